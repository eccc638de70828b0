/* userns.h: creating user namespaces and writing their uid and gid maps. */
#ifndef SKIFF_USERNS_H
#define SKIFF_USERNS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"

/* One line of /proc/PID/uid_map or gid_map: ids inner.. map to outer.. for count ids. */
struct id_range {
	unsigned long inner;
	unsigned long outer;
	unsigned long count;
};

/* The kernel accepts at most this many lines in one map. */
#define ID_MAP_MAX_RANGES 340

/*
 * The map a rootless container gets: 0 -> the caller's own id, 1..count -> start..
 * (the subordinate range from /etc/subuid or /etc/subgid). Fills out[0..1].
 */
void userns_full_map(unsigned long own_id, unsigned long start, unsigned long count,
		     struct id_range out[2]);

/*
 * Map root inside pid's user namespace to uid/gid outside, one id each, by writing
 * /proc/PID/{setgroups,uid_map,gid_map} directly (no setuid tool needed; setgroups is
 * denied, as the kernel requires for an unprivileged writer). pid 0 means the caller.
 */
int userns_map_single(pid_t pid, uid_t uid, gid_t gid, struct error *err);

/*
 * unshare() a new user namespace together with extra_flags (CLONE_NEWNS, CLONE_NEWNET...)
 * and become root inside it, mapped to the caller's effective uid and gid.
 */
int userns_unshare_single(int extra_flags, struct error *err);

/*
 * Map pid's user namespace through the system's setuid tool (tool is newuidmap or
 * newgidmap, by path), run as a separate process: "TOOL PID inner outer count ...".
 * On failure *err carries the command, its exit status and its output.
 */
int userns_map_with_tool(const char *tool, pid_t pid, const struct id_range *ranges, size_t n,
			 struct error *err);

/*
 * Read /proc/PID/<which> ("uid_map" or "gid_map"; pid 0 means the caller) into
 * ranges[0..max), setting *n.
 */
int userns_read_map(pid_t pid, const char *which, struct id_range *ranges, size_t max, size_t *n,
		    struct error *err);

/*
 * Whether the caller is in the initial user namespace (its uid_map is the identity map of
 * all ids). uid 0 elsewhere is root only inside its namespace: overlay then needs userxattr.
 */
int userns_is_initial(bool *initial, struct error *err);

/* Whether two maps hold the same lines in the same order. */
int userns_map_equal(const struct id_range *a, size_t na, const struct id_range *b, size_t nb);

/*
 * Parse "START:COUNT", a subordinate id range as /etc/subuid gives it (--uid-map and
 * --gid-map): false unless both are decimal, COUNT is not 0 and the range stays within
 * 32-bit ids short of (uid_t)-1.
 */
bool userns_parse_range(const char *text, unsigned long *start, unsigned long *count);

/* Describe a map for messages: "0->1000, 1-65536->100000-165535". */
void userns_format_map(const struct id_range *ranges, size_t n, char *buf, size_t len);

#endif
