/* lookpath.c: finding a container's command as runc does (Go's exec.LookPath), in Go's words. */
#include "lookpath.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

const char *go_strerror(int errnum, char *buf, size_t len)
{
	const char *text = strerrordesc_np(errnum);
	if (text == NULL)
		snprintf(buf, len, "errno %d", errnum);
	else
		snprintf(buf, len, "%s", text);
	buf[0] = (char)tolower((unsigned char)buf[0]);
	return buf;
}

/* Go's findExecutable: 0 when name is a file with an x bit, else why not (EACCES or stat's). */
static int find_executable(const char *name)
{
	struct stat st;
	if (stat(name, &st) < 0)
		return errno;
	if (!S_ISDIR(st.st_mode) && (st.st_mode & 0111) != 0)
		return 0;
	return EACCES;
}

/* A failure already worded in *err: errnum tells the caller which one it is. */
static int fail(struct error *err, int errnum)
{
	err->errnum = errnum;
	return -1;
}

int lookpath(const char *name, const char *path, char *found, size_t len, struct error *err)
{
	char text[128];
	if (strchr(name, '/') != NULL) {
		int errnum = find_executable(name);
		if (errnum == 0) {
			snprintf(found, len, "%s", name);
			return 0;
		}
		if (errnum == EACCES)
			error_msg(err, "exec: \"%s\": permission denied", name);
		else
			error_msg(err, "exec: \"%s\": stat %s: %s", name, name,
				  go_strerror(errnum, text, sizeof text));
		return fail(err, errnum);
	}
	/* Go splits an empty PATH into no directories at all, not one "." entry. */
	if (path != NULL && *path == '\0')
		path = NULL;
	for (const char *dir = path; dir != NULL; dir++) {
		size_t n = strcspn(dir, ":");
		if (snprintf(found, len, "%.*s/%s", (int)n, n ? dir : ".", name) < (int)len &&
		    find_executable(found) == 0)
			return 0;
		dir += n;
		if (*dir == '\0')
			break;
	}
	error_msg(err, "exec: \"%s\": executable file not found in $PATH", name);
	return fail(err, ENOENT);
}
