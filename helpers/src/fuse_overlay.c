/* fuse_overlay.c: a container's overlay root through fuse-overlayfs (see fuse_overlay.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "fuse_overlay.h"
#include "lookpath.h"
#include "process.h"

#define FUSE_OVERLAY_NAME "fuse-overlayfs"

int fuse_overlay_program(const struct spec *spec, char *found, size_t len, struct error *err)
{
	if (spec->mount_program != NULL) {
		if (access(spec->mount_program, X_OK) < 0)
			return error_sys(err, "mount program %s", spec->mount_program);
		if (snprintf(found, len, "%s", spec->mount_program) >= (int)len)
			return error_errno(err, ENAMETOOLONG, "mount program %s", spec->mount_program);
		return 0;
	}
	const char *env = getenv("PATH");
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s%s/usr/bin:/usr/local/bin", env != NULL ? env : "", env != NULL ? ":" : "");
	struct error ignored;
	if (lookpath(FUSE_OVERLAY_NAME, path, found, len, &ignored) < 0)
		return error_errno(err, ENOENT, "%s is not installed", FUSE_OVERLAY_NAME);
	return 0;
}

static bool has_comma(const struct spec *spec)
{
	if ((spec->upperdir != NULL && strchr(spec->upperdir, ',') != NULL) ||
	    (spec->workdir != NULL && strchr(spec->workdir, ',') != NULL))
		return true;
	for (size_t i = 0; spec->lowerdirs[i] != NULL; i++) {
		if (strchr(spec->lowerdirs[i], ',') != NULL)
			return true;
	}
	return false;
}

/* lowerdir=TOP:...:BOTTOM[,upperdir=U,workdir=W] (without an upper dir: read-only) */
static char *mount_options(const struct spec *spec, struct error *err)
{
	if (has_comma(spec)) {
		error_errno(err, EINVAL, "mount overlay on %s: a layer path holds a comma, which %s cannot take",
			    spec->root_path, FUSE_OVERLAY_NAME);
		return NULL;
	}
	size_t len = 64 + (spec->upperdir != NULL ? strlen(spec->upperdir) + strlen(spec->workdir) : 0);
	for (size_t i = 0; spec->lowerdirs[i] != NULL; i++)
		len += strlen(spec->lowerdirs[i]) + 1;
	char *out = malloc(len);
	if (out == NULL) {
		error_errno(err, ENOMEM, "mount options");
		return NULL;
	}
	size_t used = (size_t)snprintf(out, len, "lowerdir=");
	for (size_t i = 0; spec->lowerdirs[i] != NULL; i++)
		used += (size_t)snprintf(out + used, len - used, "%s%s", i ? ":" : "", spec->lowerdirs[i]);
	if (spec->upperdir != NULL)
		snprintf(out + used, len - used, ",upperdir=%s,workdir=%s", spec->upperdir, spec->workdir);
	return out;
}

int fuse_overlay_mount(const struct spec *spec, const char *program, struct error *err)
{
	if (spec->lowerdirs == NULL)
		return error_msg(err, "mount overlay on %s: no layers to mount", spec->root_path);
	cleanup_free char *options = mount_options(spec, err);
	if (options == NULL)
		return -1;
	int out[2];
	if (pipe2(out, O_CLOEXEC) < 0)
		return error_sys(err, "mount overlay on %s: pipe", spec->root_path);
	pid_t pid = fork();
	if (pid < 0) {
		close(out[0]);
		close(out[1]);
		return error_sys(err, "mount overlay on %s: fork", spec->root_path);
	}
	if (pid == 0) {
		/* Its daemon outlives this call: a session of its own, nothing of ours but stderr
		 * (which it redirects to /dev/null when it daemonizes), and not the monitor's signal
		 * state (libfuse installs its exit handlers only over default dispositions). */
		proc_reset_signals();
		setsid();
		int null = open("/dev/null", O_RDWR);
		if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(out[1], 2) < 0)
			_exit(125);
		syscall(SYS_close_range, 3, ~0U, 0);
		execl(program, program, "-o", options, spec->root_path, (char *)NULL);
		dprintf(2, "exec %s: %s", program, strerror(errno));
		_exit(127);
	}
	close(out[1]);
	int status;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			close(out[0]);
			return error_sys(err, "mount overlay on %s: wait for %s", spec->root_path, program);
		}
	}
	/* The foreground process has exited: read what it said without waiting on the daemon. */
	char text[ERROR_MSG_MAX / 2] = "";
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	ssize_t n = read(out[0], text, sizeof text - 1);
	close(out[0]);
	text[n > 0 ? n : 0] = '\0';
	for (char *end = text + strlen(text); end > text && (end[-1] == '\n' || end[-1] == ' ');)
		*--end = '\0';
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	char how[64];
	proc_describe_status(status, how, sizeof how);
	return error_msg(err, "mount overlay on %s with %s: %s", spec->root_path, program, text[0] ? text : how);
}

void fuse_overlay_unmount(const struct spec *spec)
{
	/* Every mount stacked there; EINVAL once none is left (or the directory is gone). */
	for (int i = 0; i < 16 && umount2(spec->root_path, MNT_DETACH) == 0; i++)
		;
}
