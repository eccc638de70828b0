/* pause.h: the pause process that holds a user's user and mount namespace, and joining it. */
#ifndef SKIFF_PAUSE_H
#define SKIFF_PAUSE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"
#include "userns.h"

/*
 * One pause process per user holds a user namespace (uid 0 inside = the user, 1..N = the
 * subordinate ids) and a mount namespace owned by it, so that every skiff process joins
 * the same two and sees the same layer and overlay mounts. It lives in the state
 * directory (skiff's runtime dir) as two files:
 *
 *     pause.pid    "PID STARTTIME\n": the pid and its start time in clock ticks after
 *                  boot (/proc/PID/stat field 22), which tells it from a later process
 *                  that got the same pid (after a reboot, or once pids wrap)
 *     pause.lock   flock()ed around check-and-create, so concurrent callers make one
 *
 * The pause process itself is a fork of the helper, not an exec: its name (comm and
 * cmdline) is "skiff-pause", it is in a session of its own with its fds on /dev/null,
 * and it ignores every signal but SIGTERM and SIGKILL.
 */

/* How a new pause process's user namespace is mapped. */
struct pause_idmap {
	/* true: 0 -> the caller's uid and gid only, written directly (no subordinate ids). */
	bool single_id;
	/* Otherwise 0 -> own id and 1..count -> start.., through the setuid tools. */
	unsigned long uid_start, uid_count;
	unsigned long gid_start, gid_count;
	const char *newuidmap;
	const char *newgidmap;
};

/* The state directory: its path, for messages, and an fd everything is opened under. */
struct pause_dir {
	const char *path;
	int fd;
};

/* A running pause process, with its namespaces open (fds are -1 when not). */
struct pause {
	pid_t pid;
	unsigned long long start_time;
	int userns_fd;
	int mntns_fd;
};

#define PAUSE_INIT { .pid = 0, .start_time = 0, .userns_fd = -1, .mntns_fd = -1 }

/* Close the namespace fds of p (safe to call twice). */
void pause_close(struct pause *p);

/*
 * Open the state directory at path into dir, creating it (and missing parents) with mode
 * 0700 when create is set; without it a missing directory fails with errnum ENOENT. It
 * must be owned by the caller and writable by nobody else, since its pidfile decides
 * whose namespaces skiff joins. dir->fd is close-on-exec; the caller closes it.
 */
int pause_open_state_dir(const char *path, bool create, struct pause_dir *dir, struct error *err);

/*
 * Find the pause process named in the state directory: 1 when it is alive (p filled in,
 * namespaces open), 0 when there is none or the pidfile is stale.
 */
int pause_find(const struct pause_dir *dir, struct pause *p, struct error *err);

/*
 * Find the pause process or, if there is none, create it (under the lock) with idmap.
 * Either way its maps must be the ones idmap describes; if they are not (the subordinate
 * ranges changed, or --single-id was used before), this fails rather than mixing two
 * mappings in one user's storage.
 */
int pause_ensure(const struct pause_dir *dir, const struct pause_idmap *idmap, struct pause *p,
		 struct error *err);

/*
 * Join p's user and mount namespaces and become uid and gid 0 there, keeping the working
 * directory (by path). Changes the calling process: the helper calls this just before
 * exec, and it must be single-threaded (setns refuses a user namespace change otherwise).
 */
int pause_join(const struct pause *p, struct error *err);

/*
 * Stop the pause process if there is one (SIGTERM, SIGKILL after 5 s) and remove the
 * pidfile. Processes already in its namespaces keep running; the next caller makes a
 * new pause process and so new namespaces.
 */
int pause_stop(const struct pause_dir *dir, struct error *err);

#endif
