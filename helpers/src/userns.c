/* userns.c: creating user namespaces and writing their uid and gid maps. */
#include "userns.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "file.h"
#include "process.h"

void userns_full_map(unsigned long own_id, unsigned long start, unsigned long count,
		     struct id_range out[2])
{
	out[0] = (struct id_range){ .inner = 0, .outer = own_id, .count = 1 };
	out[1] = (struct id_range){ .inner = 1, .outer = start, .count = count };
}

static void proc_path(pid_t pid, const char *file, char *buf, size_t len)
{
	if (pid == 0)
		snprintf(buf, len, "/proc/self/%s", file);
	else
		snprintf(buf, len, "/proc/%d/%s", (int)pid, file);
}

int userns_map_single(pid_t pid, uid_t uid, gid_t gid, struct error *err)
{
	char path[64];
	char line[64];

	/* Older kernels have no setgroups file; there, gid_map is writable without it. */
	proc_path(pid, "setgroups", path, sizeof path);
	if (file_write(path, "deny", err) < 0 && err->errnum != ENOENT)
		return -1;

	proc_path(pid, "uid_map", path, sizeof path);
	snprintf(line, sizeof line, "0 %u 1\n", (unsigned)uid);
	if (file_write(path, line, err) < 0)
		return -1;

	proc_path(pid, "gid_map", path, sizeof path);
	snprintf(line, sizeof line, "0 %u 1\n", (unsigned)gid);
	return file_write(path, line, err);
}

int userns_unshare_single(int extra_flags, struct error *err)
{
	/* Read before unshare: inside, until mapped, the caller is the overflow id. */
	uid_t uid = geteuid();
	gid_t gid = getegid();

	if (unshare(CLONE_NEWUSER | extra_flags) < 0)
		return error_sys(err, "unshare user namespace");
	if (userns_map_single(0, uid, gid, err) < 0)
		return error_wrap(err, "map uid 0 to %u in the new user namespace", (unsigned)uid);
	return 0;
}

int userns_map_with_tool(const char *tool, pid_t pid, const struct id_range *ranges, size_t n,
			 struct error *err)
{
	if (n == 0 || n > ID_MAP_MAX_RANGES)
		return error_msg(err, "%s: %zu id ranges (want 1 to %d)", tool, n, ID_MAP_MAX_RANGES);

	/* argv: tool, pid, three numbers per range, NULL; each number fits in 24 bytes. */
	size_t argc = 2 + 3 * n;
	cleanup_free const char **argv = calloc(argc + 1, sizeof *argv);
	cleanup_free char *numbers = calloc(argc, 24);
	if (argv == NULL || numbers == NULL)
		return error_sys(err, "allocate arguments for %s", tool);

	argv[0] = tool;
	snprintf(numbers, 24, "%d", (int)pid);
	argv[1] = numbers;
	for (size_t i = 0; i < n; i++) {
		const unsigned long values[3] = { ranges[i].inner, ranges[i].outer, ranges[i].count };
		for (size_t k = 0; k < 3; k++) {
			size_t slot = 2 + 3 * i + k;
			snprintf(numbers + 24 * slot, 24, "%lu", values[k]);
			argv[slot] = numbers + 24 * slot;
		}
	}

	char output[512];
	return proc_run(argv, output, sizeof output, err);
}

int userns_read_map(pid_t pid, const char *which, struct id_range *ranges, size_t max, size_t *n,
		    struct error *err)
{
	char path[64];
	char text[4096];

	proc_path(pid, which, path, sizeof path);
	if (file_read(path, text, sizeof text, err) < 0)
		return -1;

	*n = 0;
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		struct id_range r;
		if (sscanf(line, "%lu %lu %lu", &r.inner, &r.outer, &r.count) != 3)
			return error_msg(err, "%s: cannot parse line \"%s\"", path, line);
		if (*n == max)
			return error_msg(err, "%s: more than %zu lines", path, max);
		ranges[(*n)++] = r;
	}
	return 0;
}

int userns_is_initial(bool *initial, struct error *err)
{
	static const struct id_range identity = { .inner = 0, .outer = 0, .count = 4294967295UL };
	struct id_range map[ID_MAP_MAX_RANGES];
	size_t n;
	if (userns_read_map(0, "uid_map", map, ID_MAP_MAX_RANGES, &n, err) < 0)
		return -1;
	*initial = userns_map_equal(map, n, &identity, 1);
	return 0;
}

int userns_map_equal(const struct id_range *a, size_t na, const struct id_range *b, size_t nb)
{
	if (na != nb)
		return 0;
	for (size_t i = 0; i < na; i++) {
		if (a[i].inner != b[i].inner || a[i].outer != b[i].outer || a[i].count != b[i].count)
			return 0;
	}
	return 1;
}

void userns_format_map(const struct id_range *ranges, size_t n, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	if (n == 0) {
		snprintf(buf, len, "(empty)");
		return;
	}
	for (size_t i = 0; i < n && used < len; i++) {
		const struct id_range *r = &ranges[i];
		int w;
		if (r->count == 1)
			w = snprintf(buf + used, len - used, "%s%lu->%lu", i ? ", " : "", r->inner, r->outer);
		else
			w = snprintf(buf + used, len - used, "%s%lu-%lu->%lu-%lu", i ? ", " : "", r->inner,
				     r->inner + r->count - 1, r->outer, r->outer + r->count - 1);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

bool userns_parse_range(const char *text, unsigned long *start, unsigned long *count)
{
	char *end;
	if (text[0] < '0' || text[0] > '9')
		return false;
	errno = 0;
	*start = strtoul(text, &end, 10);
	if (errno != 0 || *end != ':' || end[1] < '0' || end[1] > '9')
		return false;
	*count = strtoul(end + 1, &end, 10);
	if (errno != 0 || *end != '\0' || *count == 0)
		return false;
	/* Ids are 32-bit and (uid_t)-1 is reserved. */
	return *start <= 0xfffffffeUL && *count <= 0xfffffffeUL - *start;
}

