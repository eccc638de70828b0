/* rootfs.c: a container's filesystem: overlay root, spec mounts, /dev, pivot_root. */
#include "rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "file.h"

/* How many openat2 EAGAINs (a rename raced with resolution) to retry. */
#define OPENAT2_RETRIES 64
/* What the kernel's fs context log says about a failure, appended to messages. */
#define FS_LOG_MAX 256

/* ---- paths inside the rootfs --------------------------------------------------------- */

/* openat2 with rootfd as "/": absolute and ".." symlinks in the image stay inside it. */
static int open_in_root(int rootfd, const char *path, int flags, mode_t mode)
{
	while (*path == '/')
		path++;
	if (*path == '\0')
		path = ".";
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.mode = (flags & O_CREAT) ? mode : 0,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	for (int i = 0;; i++) {
		int fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof how);
		if (fd >= 0 || (errno != EAGAIN && errno != EINTR) || i == OPENAT2_RETRIES)
			return fd;
	}
}

/* mkdir -p of path under rootfd, every prefix resolved in the root; 0755, owned by root. */
static int mkdir_in_root(int rootfd, const char *path, struct error *err)
{
	char buf[PATH_MAX];
	if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
		return error_errno(err, ENAMETOOLONG, "create %s", path);
	for (char *end = buf + 1;; end++) {
		if (*end != '/' && *end != '\0')
			continue;
		char saved = *end;
		*end = '\0';
		cleanup_fd int fd = open_in_root(rootfd, buf, O_PATH | O_DIRECTORY, 0);
		if (fd < 0 && errno == ENOENT) {
			char *slash = strrchr(buf, '/');
			*slash = '\0';
			cleanup_fd int parent = open_in_root(rootfd, buf, O_PATH | O_DIRECTORY, 0);
			*slash = '/';
			if (parent < 0)
				return error_sys(err, "create directory %s in the rootfs", buf);
			if (mkdirat(parent, slash + 1, 0755) < 0 && errno != EEXIST)
				return error_sys(err, "create directory %s in the rootfs", buf);
			fd = open_in_root(rootfd, buf, O_PATH | O_DIRECTORY, 0);
		}
		if (fd < 0)
			return error_sys(err, "open directory %s in the rootfs", buf);
		*end = saved;
		if (saved == '\0')
			return 0;
		while (end[1] == '/')
			end++;
		if (end[1] == '\0')
			return 0;
	}
}

/* Kernel's limit on symlinks followed in one lookup, used for the same purpose here. */
#define MAX_SYMLINKS 40

/*
 * path with its symlinks resolved as if rootfd were "/", component by component, the
 * missing ones kept: what the destination of a mount means inside the container, even
 * through a symlink whose target does not exist yet (runc's SecureJoin). Nothing here is
 * trusted: the result is only ever opened with RESOLVE_IN_ROOT.
 */
static int resolve_in_root(int rootfd, const char *path, char *out, size_t len, struct error *err)
{
	char rest[PATH_MAX];
	char resolved[PATH_MAX] = "";
	size_t used = 0;
	int links = 0;
	if (snprintf(rest, sizeof rest, "%s", path) >= (int)sizeof rest)
		return error_errno(err, ENAMETOOLONG, "resolve %s in the rootfs", path);
	char *p = rest;
	while (*p != '\0') {
		while (*p == '/')
			p++;
		char *end = strchrnul(p, '/');
		size_t n = (size_t)(end - p);
		char saved = *end;
		*end = '\0';
		if (n == 0 || strcmp(p, ".") == 0) {
			/* nothing */
		} else if (strcmp(p, "..") == 0) {
			while (used > 0 && resolved[used - 1] != '/')
				used--;
			if (used > 0)
				used--;
			resolved[used] = '\0';
		} else {
			if (used + 1 + n >= sizeof resolved)
				return error_errno(err, ENAMETOOLONG, "resolve %s in the rootfs", path);
			resolved[used] = '/';
			memcpy(resolved + used + 1, p, n + 1);
			char target[PATH_MAX];
			ssize_t t = readlinkat(rootfd, resolved + 1, target, sizeof target - 1);
			if (t < 0) {
				used += 1 + n; /* not a symlink, or missing: keep it */
			} else {
				if (++links > MAX_SYMLINKS)
					return error_errno(err, ELOOP, "resolve %s in the rootfs", path);
				target[t] = '\0';
				resolved[used] = '\0';
				if (target[0] == '/')
					used = 0;
				resolved[used] = '\0';
				/* The link's target, then what was left after it. */
				char next[PATH_MAX];
				*end = saved;
				if (snprintf(next, sizeof next, "%s/%s", target, end) >= (int)sizeof next)
					return error_errno(err, ENAMETOOLONG, "resolve %s in the rootfs", path);
				memcpy(rest, next, strlen(next) + 1);
				p = rest;
				continue;
			}
		}
		*end = saved;
		p = end;
	}
	if (snprintf(out, len, "%s", used ? resolved : "/") >= (int)len)
		return error_errno(err, ENAMETOOLONG, "resolve %s in the rootfs", path);
	return 0;
}

/*
 * An O_PATH fd of path in the rootfs to mount on, creating it when missing: a directory,
 * or an empty file when a file (a device node, /etc/hosts) is bound there.
 */
static int mount_target(int rootfd, const char *destination, bool directory, struct error *err)
{
	char path[PATH_MAX];
	if (resolve_in_root(rootfd, destination, path, sizeof path, err) < 0)
		return -1;
	int fd = open_in_root(rootfd, path, O_PATH, 0);
	if (fd >= 0 || errno != ENOENT) {
		if (fd < 0)
			return error_sys(err, "open %s in the rootfs", path);
		return fd;
	}
	if (directory) {
		if (mkdir_in_root(rootfd, path, err) < 0)
			return -1;
	} else {
		char parent[PATH_MAX];
		snprintf(parent, sizeof parent, "%s", path);
		char *slash = strrchr(parent, '/');
		if (slash != NULL && slash != parent) {
			*slash = '\0';
			if (mkdir_in_root(rootfd, parent, err) < 0)
				return -1;
		}
		cleanup_fd int file = open_in_root(rootfd, path, O_RDONLY | O_CREAT | O_NOCTTY, 0644);
		if (file < 0)
			return error_sys(err, "create %s in the rootfs", path);
	}
	fd = open_in_root(rootfd, path, O_PATH, 0);
	if (fd < 0)
		return error_sys(err, "open %s in the rootfs", path);
	return fd;
}

/* ---- the mount API ------------------------------------------------------------------ */

/* Record a failed mount step, with what the filesystem said about it in its fs context's
 * log: "mount overlay on /x: EINVAL (overlay: failed to resolve 'y': -2)". */
static int fs_error(struct error *err, int fs, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fs_error(struct error *err, int fs, const char *fmt, ...)
{
	int errnum = errno;
	char log[FS_LOG_MAX] = "";
	size_t used = 0;
	for (int i = 0; i < 4 && fs >= 0; i++) {
		char line[FS_LOG_MAX];
		ssize_t n = read(fs, line, sizeof line - 1);
		if (n <= 0)
			break;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == ' '))
			n--;
		line[n] = '\0';
		/* "e overlay: failed to resolve 'x': -2": drop the "e " severity prefix. */
		const char *text = (n > 2 && line[1] == ' ') ? line + 2 : line;
		int w = snprintf(log + used, sizeof log - used, "%s%s", used ? "; " : "", text);
		if (w < 0 || (size_t)w >= sizeof log - used)
			break;
		used += (size_t)w;
	}
	char what[PATH_MAX + 64];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	if (log[0] == '\0')
		return error_errno(err, errnum, "%s", what);
	char name[32];
	error_msg(err, "%s: %s (%s)", what, errno_name(errnum, name, sizeof name), log);
	err->errnum = errnum;
	return -1;
}

/* Attach a detached mount (from fsmount or open_tree) on the O_PATH fd target. */
static int attach(int mnt, int target)
{
	return move_mount(mnt, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
}

/* Set a mount option list on an fs context: "key=value" as a string, "key" as a flag. */
static int fs_configure(int fs, const char *const *data, const char *skip_key)
{
	for (size_t i = 0; data != NULL && data[i] != NULL; i++) {
		char key[256];
		const char *eq = strchr(data[i], '=');
		size_t len = eq ? (size_t)(eq - data[i]) : strlen(data[i]);
		if (len >= sizeof key) {
			errno = EINVAL;
			return -1;
		}
		memcpy(key, data[i], len);
		key[len] = '\0';
		if (skip_key != NULL && strcmp(key, skip_key) == 0)
			continue;
		int rc = eq ? fsconfig(fs, FSCONFIG_SET_STRING, key, eq + 1, 0)
			    : fsconfig(fs, FSCONFIG_SET_FLAG, key, NULL, 0);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* A new detached mount of filesystem type with options data and attributes attrs. */
static int fs_mount(const char *type, const char *source, const char *const *data,
		    const char *skip_key, unsigned attrs, const char *dest, struct error *err)
{
	cleanup_fd int fs = fsopen(type, FSOPEN_CLOEXEC);
	if (fs < 0)
		return error_sys(err, "mount %s on %s", type, dest);
	if (source != NULL && source[0] != '\0' &&
	    fsconfig(fs, FSCONFIG_SET_STRING, "source", source, 0) < 0)
		return fs_error(err, fs, "mount %s on %s: source", type, dest);
	if (fs_configure(fs, data, skip_key) < 0)
		return fs_error(err, fs, "mount %s on %s: options", type, dest);
	if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return fs_error(err, fs, "mount %s on %s", type, dest);
	int mnt = fsmount(fs, FSMOUNT_CLOEXEC, attrs);
	if (mnt < 0)
		return fs_error(err, fs, "mount %s on %s", type, dest);
	return mnt;
}

/* A detached copy of the mount (tree, when recursive) at source, with attrs added. */
static int bind_tree(const char *source, bool recursive, uint64_t attrs, bool atime,
		     const char *dest, struct error *err)
{
	int tree = open_tree(AT_FDCWD, source,
			     OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0));
	if (tree < 0)
		return error_sys(err, "bind mount %s on %s", source, dest);
	if (attrs != 0 || atime) {
		/* Only adds flags: ones the source's mount has locked (nosuid from the host, in a
		 * user namespace) stay, where a remount that omitted them would be refused. */
		struct mount_attr attr = {
			.attr_set = attrs,
			.attr_clr = atime ? MOUNT_ATTR__ATIME : 0,
		};
		if (mount_setattr(tree, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr,
				  sizeof attr) < 0) {
			error_sys(err, "set options of bind mount %s on %s", source, dest);
			close(tree);
			return -1;
		}
	}
	return tree;
}

static bool has_option(const char *const *data, const char *key)
{
	size_t len = strlen(key);
	for (size_t i = 0; data != NULL && data[i] != NULL; i++) {
		if (strncmp(data[i], key, len) == 0 && (data[i][len] == '\0' || data[i][len] == '='))
			return true;
	}
	return false;
}

/* make_mount's answer when there is nothing to mount: the destination stays as it is. */
#define NO_MOUNT (-2)

/* The detached mount for one entry of mounts, with the fallbacks a user namespace needs. */
static int make_mount(const struct spec_mount *m, struct error *err)
{
	const char *dest = m->destination;
	unsigned attrs = (unsigned)m->attr_set;
	if (m->bind)
		return bind_tree(m->source, m->recursive, m->attr_set, m->atime, dest, err);
	if (strcmp(m->type, "cgroup") == 0 || strcmp(m->type, "cgroup2") == 0)
		return error_msg(err, "mount %s on %s: cgroup mounts are not supported", m->type, dest);

	int mnt = fs_mount(m->type, m->source, m->data, NULL, attrs, dest, err);
	if (mnt >= 0)
		return mnt;
	int errnum = err->errnum;
	/* sysfs belongs to the network namespace: without one of its own, a user namespace
	 * may not mount it. Rootless runc and crun bind the host's, read-only, instead. */
	if (strcmp(m->type, "sysfs") == 0 && (errnum == EPERM || errnum == EACCES))
		return bind_tree("/sys", true, m->attr_set | MOUNT_ATTR_RDONLY, m->atime, dest, err);
	/* Likewise mqueue without an IPC namespace of its own; a host with no /dev/mqueue
	 * has nothing to share, and the container gets an empty directory. */
	if (strcmp(m->type, "mqueue") == 0 && (errnum == EPERM || errnum == EACCES)) {
		if (access("/dev/mqueue", F_OK) < 0 && errno == ENOENT)
			return NO_MOUNT;
		return bind_tree("/dev/mqueue", false, m->attr_set, m->atime, dest, err);
	}
	/* devpts' gid=5 (tty) is refused when the namespace maps no gid 5 (a single-id one). */
	if (strcmp(m->type, "devpts") == 0 && errnum == EINVAL && has_option(m->data, "gid")) {
		struct error first = *err;
		mnt = fs_mount(m->type, m->source, m->data, "gid", attrs, dest, err);
		if (mnt < 0)
			*err = first;
		return mnt;
	}
	return -1;
}

static int mount_one(int rootfd, const struct spec_mount *m, struct error *err)
{
	bool directory = true;
	if (m->bind) {
		struct stat st;
		if (stat(m->source, &st) < 0)
			return error_sys(err, "bind mount %s on %s: stat source", m->source, m->destination);
		directory = S_ISDIR(st.st_mode);
	}
	cleanup_fd int target = mount_target(rootfd, m->destination, directory, err);
	if (target < 0)
		return -1;
	cleanup_fd int mnt = make_mount(m, err);
	if (mnt == NO_MOUNT)
		return 0;
	if (mnt < 0)
		return -1;
	if (attach(mnt, target) < 0)
		return error_sys(err, "mount %s on %s", m->bind ? m->source : m->type, m->destination);

	if (m->propagation != 0) {
		/* The fd taken before mounting names what is under the new mount: look again. */
		cleanup_fd int mounted = open_in_root(rootfd, m->destination, O_PATH, 0);
		struct mount_attr attr = { .propagation = m->propagation };
		if (mounted < 0 ||
		    mount_setattr(mounted, "", AT_EMPTY_PATH | (m->propagation_recursive ? AT_RECURSIVE : 0),
				  &attr, sizeof attr) < 0)
			return error_sys(err, "set propagation of %s", m->destination);
	}
	return 0;
}

/* ---- the root ---------------------------------------------------------------------- */

/* The length of the longest directory prefix ("/a/b/") all of paths share. */
static size_t common_directory(const char *const *paths, size_t n)
{
	size_t len = strlen(paths[0]);
	for (size_t i = 1; i < n; i++) {
		size_t k = 0;
		while (k < len && paths[i][k] == paths[0][k])
			k++;
		len = k;
	}
	while (len > 0 && paths[0][len - 1] != '/')
		len--;
	return len;
}

/* "lowerdir=A:B,upperdir=U,workdir=W[,userxattr]", each path without its first skip
 * bytes, in a malloc'd string; NULL when out of memory. */
static char *overlay_options(const struct spec *spec, bool userxattr, size_t skip)
{
	char *data = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&data, &len);
	if (out == NULL)
		return NULL;
	fputs("lowerdir=", out);
	for (size_t i = 0; spec->lowerdirs[i] != NULL; i++)
		fprintf(out, "%s%s", i ? ":" : "", spec->lowerdirs[i] + skip);
	if (spec->upperdir != NULL)
		fprintf(out, ",upperdir=%s,workdir=%s", spec->upperdir + skip, spec->workdir + skip);
	if (userxattr)
		fputs(",userxattr", out);
	if (fclose(out) != 0) {
		free(data);
		return NULL;
	}
	return data;
}

/*
 * Overlay's classic option string, for kernels before 6.8 (no "lowerdir+"). mount(2) takes
 * one page of options: when the absolute paths do not fit, they are given relative to
 * their common directory, which becomes the working directory for the call (the bundle's
 * again after).
 */
static int mount_overlay_legacy(const struct spec *spec, bool userxattr, struct error *err)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t n = 0;
	while (spec->lowerdirs[n] != NULL)
		n++;
	cleanup_free const char **paths = calloc(n + 2, sizeof *paths);
	cleanup_free char *data = overlay_options(spec, userxattr, 0);
	if (data == NULL || paths == NULL)
		return error_sys(err, "mount overlay on %s", spec->root_path);

	size_t skip = 0;
	if (strlen(data) >= page) {
		memcpy(paths, spec->lowerdirs, n * sizeof *paths);
		if (spec->upperdir != NULL) {
			paths[n++] = spec->upperdir;
			paths[n++] = spec->workdir;
		}
		skip = common_directory(paths, n);
		free(data);
		data = overlay_options(spec, userxattr, skip);
		if (data == NULL)
			return error_sys(err, "mount overlay on %s", spec->root_path);
		if (strlen(data) >= page)
			return error_errno(err, E2BIG, "mount overlay on %s: the layers' paths do not "
						       "fit in a page of mount options",
					   spec->root_path);
		char dir[PATH_MAX];
		snprintf(dir, sizeof dir, "%.*s", (int)skip, spec->lowerdirs[0]);
		if (chdir(dir) < 0)
			return error_sys(err, "mount overlay on %s: chdir %s", spec->root_path, dir);
	}
	int rc = mount("overlay", spec->root_path, "overlay", 0, data);
	int errnum = errno;
	if (skip > 0 && chdir(spec->bundle) < 0)
		return error_sys(err, "chdir %s", spec->bundle);
	if (rc < 0)
		return error_errno(err, errnum, "mount overlay on %s", spec->root_path);
	return 0;
}

/*
 * The overlay through the new mount API, one "lowerdir+" per layer (Linux 6.8): no limit
 * on the layer count or the option string's length. Older kernels refuse lowerdir+ with
 * EINVAL, and get the classic option string instead.
 */
static int mount_overlay(const struct spec *spec, bool userxattr, struct error *err)
{
	const char *dest = spec->root_path;
	cleanup_fd int fs = fsopen("overlay", FSOPEN_CLOEXEC);
	if (fs < 0)
		return error_sys(err, "mount overlay on %s", dest);
	if (fsconfig(fs, FSCONFIG_SET_STRING, "source", "overlay", 0) < 0)
		return fs_error(err, fs, "mount overlay on %s: source", dest);
	for (size_t i = 0; spec->lowerdirs[i] != NULL; i++) {
		if (fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir+", spec->lowerdirs[i], 0) == 0)
			continue;
		if (i == 0 && errno == EINVAL)
			return mount_overlay_legacy(spec, userxattr, err);
		return fs_error(err, fs, "mount overlay on %s: lower dir %s", dest, spec->lowerdirs[i]);
	}
	if (spec->upperdir != NULL && fsconfig(fs, FSCONFIG_SET_STRING, "upperdir", spec->upperdir, 0) < 0)
		return fs_error(err, fs, "mount overlay on %s: upper dir %s", dest, spec->upperdir);
	if (spec->workdir != NULL && fsconfig(fs, FSCONFIG_SET_STRING, "workdir", spec->workdir, 0) < 0)
		return fs_error(err, fs, "mount overlay on %s: work dir %s", dest, spec->workdir);
	if (userxattr && fsconfig(fs, FSCONFIG_SET_FLAG, "userxattr", NULL, 0) < 0)
		return fs_error(err, fs, "mount overlay on %s: userxattr", dest);
	if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return fs_error(err, fs, "mount overlay on %s", dest);
	cleanup_fd int mnt = fsmount(fs, FSMOUNT_CLOEXEC, 0);
	if (mnt < 0)
		return fs_error(err, fs, "mount overlay on %s", dest);
	if (move_mount(mnt, "", AT_FDCWD, dest, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return error_sys(err, "mount overlay on %s", dest);
	return 0;
}

/* root.path as a mount of its own, which pivot_root needs. */
static int bind_root(const struct spec *spec, struct error *err)
{
	cleanup_fd int tree = bind_tree(spec->root_path, true, 0, false, spec->root_path, err);
	if (tree < 0)
		return -1;
	if (move_mount(tree, "", AT_FDCWD, spec->root_path, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return error_sys(err, "bind mount %s on itself", spec->root_path);
	return 0;
}

/* /dev's links, as runc makes them when /dev is a new filesystem rather than a bind. */
static int dev_symlinks(int rootfd, struct error *err)
{
	static const char *const links[][2] = {
		{ "/proc/self/fd", "fd" },	  { "/proc/self/fd/0", "stdin" },
		{ "/proc/self/fd/1", "stdout" }, { "/proc/self/fd/2", "stderr" },
		{ "pts/ptmx", "ptmx" },
	};
	cleanup_fd int dev = open_in_root(rootfd, "/dev", O_PATH | O_DIRECTORY, 0);
	if (dev < 0)
		return error_sys(err, "open /dev in the rootfs");
	for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
		/* One that exists already (a bind-mounted /dev/ptmx) stays. */
		if (symlinkat(links[i][0], dev, links[i][1]) < 0 && errno != EEXIST)
			return error_sys(err, "create symlink /dev/%s", links[i][1]);
	}
	return 0;
}

static bool dev_is_fresh(const struct spec *spec)
{
	for (size_t i = 0; i < spec->mount_count; i++) {
		if (strcmp(spec->mounts[i].destination, "/dev") == 0)
			return !spec->mounts[i].bind;
	}
	return false;
}

bool rootfs_overlay_refused(const struct error *err)
{
	static const char prefix[] = "mount overlay on ";
	if (strncmp(err->msg, prefix, sizeof prefix - 1) != 0)
		return false;
	return err->errnum == EPERM || err->errnum == EINVAL || err->errnum == ENODEV ||
	       err->errnum == EOPNOTSUPP;
}

int rootfs_enter(const struct spec *spec, bool userxattr, struct error *err)
{
	unsigned long propagation = MS_REC | MS_PRIVATE;
	if (spec->rootfs_propagation & (MS_SHARED | MS_SLAVE))
		propagation = MS_REC | MS_SLAVE;
	if (mount(NULL, "/", NULL, propagation, NULL) < 0)
		return error_sys(err, "make / %s", propagation & MS_SLAVE ? "rslave" : "rprivate");

	if (spec->lowerdirs != NULL && !spec->root_premounted) {
		if (mount_overlay(spec, userxattr, err) < 0)
			return -1;
	} else if (bind_root(spec, err) < 0) {
		return -1;
	}
	cleanup_fd int rootfd = open(spec->root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return error_sys(err, "open rootfs %s", spec->root_path);

	for (size_t i = 0; i < spec->mount_count; i++) {
		if (mount_one(rootfd, &spec->mounts[i], err) < 0)
			return -1;
	}
	if (dev_is_fresh(spec) && dev_symlinks(rootfd, err) < 0)
		return -1;

	/* pivot_root(".", ".") stacks the old root on the new one; detaching it leaves only
	 * the container's. It is made a slave first so the unmount reaches no other namespace. */
	if (fchdir(rootfd) < 0)
		return error_sys(err, "chdir %s", spec->root_path);
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return error_sys(err, "pivot_root %s", spec->root_path);
	if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		return error_sys(err, "make the old root rslave");
	if (umount2(".", MNT_DETACH) < 0)
		return error_sys(err, "unmount the old root");
	if (chdir("/") < 0)
		return error_sys(err, "chdir /");
	return 0;
}

/* ---- after pivot_root ------------------------------------------------------------- */

static int write_sysctl(const struct spec_sysctl *s, struct error *err)
{
	char path[PATH_MAX];
	int n = snprintf(path, sizeof path, "/proc/sys/%s", s->key);
	if (n < 0 || n >= (int)sizeof path)
		return error_errno(err, ENAMETOOLONG, "sysctl %s", s->key);
	for (char *c = path + strlen("/proc/sys/"); *c != '\0'; c++) {
		if (*c == '.')
			*c = '/';
	}
	if (file_write(path, s->value, err) < 0)
		return error_wrap(err, "sysctl %s=%s", s->key, s->value);
	return 0;
}

static int readonly_path(const char *path, struct error *err)
{
	cleanup_fd int target = open(path, O_PATH | O_CLOEXEC);
	if (target < 0 && errno == ENOENT)
		return 0;
	if (target < 0)
		return error_sys(err, "make %s read-only", path);
	cleanup_fd int tree = open_tree(target, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
							  AT_RECURSIVE | AT_EMPTY_PATH);
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
	if (tree < 0 || mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0 ||
	    attach(tree, target) < 0)
		return error_sys(err, "make %s read-only", path);
	return 0;
}

static int masked_path(const char *path, struct error *err)
{
	cleanup_fd int target = open(path, O_PATH | O_CLOEXEC);
	if (target < 0 && errno == ENOENT)
		return 0;
	struct stat st;
	if (target < 0 || fstat(target, &st) < 0)
		return error_sys(err, "mask %s", path);
	cleanup_fd int mnt = -1;
	if (S_ISDIR(st.st_mode)) {
		static const char *const empty[] = { "size=0", NULL };
		mnt = fs_mount("tmpfs", "tmpfs", empty, NULL, MOUNT_ATTR_RDONLY, path, err);
		if (mnt < 0)
			return error_wrap(err, "mask %s", path);
	} else {
		mnt = open_tree(AT_FDCWD, "/dev/null", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
		if (mnt < 0)
			return error_sys(err, "mask %s: bind /dev/null", path);
	}
	if (attach(mnt, target) < 0)
		return error_sys(err, "mask %s", path);
	return 0;
}

int rootfs_finish(const struct spec *spec, struct error *err)
{
	for (size_t i = 0; i < spec->sysctl_count; i++) {
		if (write_sysctl(&spec->sysctls[i], err) < 0)
			return -1;
	}
	for (size_t i = 0; spec->readonly_paths != NULL && spec->readonly_paths[i] != NULL; i++) {
		if (readonly_path(spec->readonly_paths[i], err) < 0)
			return -1;
	}
	for (size_t i = 0; spec->masked_paths != NULL && spec->masked_paths[i] != NULL; i++) {
		if (masked_path(spec->masked_paths[i], err) < 0)
			return -1;
	}
	if (spec->rootfs_propagation != 0 && mount(NULL, "/", NULL, spec->rootfs_propagation, NULL) < 0)
		return error_sys(err, "set rootfsPropagation of /");
	if (spec->root_readonly) {
		struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
		if (mount_setattr(AT_FDCWD, "/", 0, &attr, sizeof attr) < 0)
			return error_sys(err, "make the root read-only");
	}
	return 0;
}
