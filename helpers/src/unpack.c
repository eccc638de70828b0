/* unpack.c: the `unpack` verb: extract one image layer (a plain tar on stdin) into a directory.
 *
 *     skiff-helper unpack --dir DIR [--whiteout-format overlay|overlay-trusted|keep]
 *                         [--skip-devices]
 *
 * skiff downloads a layer, checks its digest, decompresses it and pipes the tar stream in;
 * rootless, it runs this verb through `skiff-helper userns -- skiff-helper unpack ...`, as
 * uid 0 of the user's namespace, so that the layer's owners land on subordinate ids. DIR
 * must exist and be empty (skiff makes a fresh temp dir and renames it on success, or
 * removes it on failure: nothing is cleaned up here).
 *
 * Nothing is ever written outside DIR. Every path is resolved under one O_PATH fd of DIR
 * with openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS), so a symlink created by an earlier
 * entry cannot lead a later one out, and final components are never followed (O_EXCL,
 * O_NOFOLLOW, *at calls on a name within an already resolved parent). Names are confined
 * lexically first, as containerd does: "../../etc/passwd" becomes "etc/passwd",
 * "/abs/x" becomes "abs/x". Refused (the first one ends the unpack, exit 125):
 *
 *     an entry whose parent resolves outside DIR through a symlink (a relative one that
 *     climbs out, or any absolute one): "path resolves outside the layer through a
 *     symlink: EXDEV" -- which also covers a layer that replaces a directory with such a
 *     symlink and then writes through it;
 *     a hard link whose target goes through a symlink, is missing, or is a directory;
 *     sparse files, unknown entry types, and devices when mknod is not allowed.
 *
 * Entries replace what earlier ones made at their path (a directory with all in it),
 * except that a directory entry keeps an existing directory and updates its metadata.
 * Missing parents are made 0755, owned by uid 0. Directories get their owner, mode and
 * times last, deepest first. Hard links get no metadata of their own (they share the
 * target's inode, as GNU tar does). An entry that names the root ("./") sets DIR's own
 * metadata if it is a directory and is skipped otherwise.
 *
 * Whiteouts, by --whiteout-format (default overlay): `.wh.NAME` removes NAME from DIR and
 * leaves a 0:0 character device in its place; `.wh..wh..opq` sets user.overlay.opaque=y
 * (overlay, for overlayfs mounted with userxattr in a user namespace) or
 * trusted.overlay.opaque=y (overlay-trusted, real root) on its directory; keep writes both
 * as empty files for a later conversion. Anything else named `.wh..wh.*`, and everything
 * under it (aufs metadata such as .wh..wh.plnk/), is skipped. --skip-devices skips block
 * and character devices (mknod is refused in a user namespace) but still makes 0:0
 * character devices, which are whiteouts to overlayfs.
 *
 * Output: one line on stdout, and exit 0:
 *
 *     {"entries":N,"bytes":B,"whiteouts":W,"opaque":O,"skippedDevices":S,"warnings":K}
 *
 * N counts the archive's entries (not its pax and long-name headers), B the bytes of
 * regular files plus symlink target lengths (Docker's layer size), K the warning lines printed on stderr: an xattr in trusted.*, security.*
 * (except security.capability) or system.* that the filesystem or the namespace refuses
 * (EPERM, EOPNOTSUPP) is skipped with one warning per xattr name, and skipped devices get
 * one summary line. Failures print one line, "skiff-helper: unpack entry "NAME": ...",
 * and exit 125; usage errors exit 2.
 *
 * By hand (build first with `make -C helpers`):
 *
 *     mkdir /tmp/layer && tar -C /usr/share/doc -c . | helpers/skiff-helper unpack --dir /tmp/layer
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "file.h"
#include "json.h"
#include "tar.h"
#include "verbs.h"

#define WHITEOUT_PREFIX ".wh."
#define WHITEOUT_META_PREFIX ".wh..wh."
#define WHITEOUT_OPAQUE ".wh..wh..opq"
/* How many openat2 EAGAINs (a rename raced with resolution) to retry. */
#define OPENAT2_RETRIES 64

enum whiteout_format { WHITEOUT_OVERLAY, WHITEOUT_OVERLAY_TRUSTED, WHITEOUT_KEEP };

struct unpack_options {
	const char *dir;
	const char *spread; /* the store directory to mark for spreading (--spread) */
	enum whiteout_format whiteouts;
	bool skip_devices;
};

/* A directory whose owner, mode and times are set after everything else (see finish_dirs). */
struct dir_record {
	char *path; /* cleaned, relative to DIR; "" is DIR itself */
	char *name; /* as in the archive, for messages */
	size_t depth;
	size_t order;
	dev_t dev;
	ino_t ino;
	mode_t mode;
	uid_t uid;
	gid_t gid;
	struct timespec times[2];
};

struct unpack {
	int root; /* DIR, O_PATH: everything is resolved beneath it */
	const struct unpack_options *options;
	struct dir_record *dirs;
	size_t dir_count;
	size_t dir_cap;
	char **warned_xattrs; /* xattr names already warned about */
	size_t warned_count;
	unsigned long long entries, bytes, whiteouts, opaque, skipped_devices, warnings;
};

/* ---- paths ------------------------------------------------------------------------- */

/* openat2 confined to dirfd: no absolute or escaping symlinks, no /proc magic links. */
static int open_beneath(int dirfd, const char *path, int flags, mode_t mode, uint64_t resolve)
{
	struct open_how how = {
		.flags = (uint64_t)flags | O_CLOEXEC,
		.mode = (flags & O_CREAT) ? mode : 0,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | resolve,
	};
	for (int i = 0;; i++) {
		int fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
		if (fd >= 0 || (errno != EAGAIN && errno != EINTR) || i == OPENAT2_RETRIES)
			return fd;
	}
}

/* Describe why a path inside the layer could not be resolved; what is e.g. "path". */
static int resolve_error(struct error *err, int errnum, const char *what, bool no_symlinks)
{
	switch (errnum) {
	case EXDEV:
		return error_errno(err, errnum, "%s resolves outside the layer through a symlink",
				   what);
	case ELOOP:
		return error_errno(err, errnum,
				   no_symlinks ? "%s goes through a symlink"
					       : "%s goes through a symlink loop or too many symlinks",
				   what);
	case ENOTDIR:
		return error_errno(err, errnum, "%s goes through something that is not a directory",
				   what);
	default:
		return error_errno(err, errnum, "resolve %s", what);
	}
}

/*
 * The name confined to the layer, as path.Clean("/" + name) without the leading "/":
 * ".." never climbs above the root, "." and empty components vanish. "" is the root.
 */
static char *clean_name(const char *name)
{
	size_t len = strlen(name);
	char *out = malloc(len + 1);
	if (out == NULL)
		return NULL;
	size_t used = 0;
	const char *p = name;
	while (*p != '\0') {
		while (*p == '/')
			p++;
		const char *end = strchrnul(p, '/');
		size_t n = (size_t)(end - p);
		if (n == 0 || (n == 1 && p[0] == '.')) {
			/* nothing */
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			while (used > 0 && out[used - 1] != '/')
				used--;
			if (used > 0)
				used--; /* the '/' before the dropped component */
		} else {
			if (used > 0)
				out[used++] = '/';
			memcpy(out + used, p, n);
			used += n;
		}
		p = end;
	}
	out[used] = '\0';
	return out;
}

/* The archive's name made safe for a one-line message: control bytes as '?', long cut. */
static void printable_name(const char *name, char *buf, size_t len)
{
	size_t n = 0, max = len - 1;
	size_t name_len = strlen(name);
	bool cut = name_len > 200 && max > 204;
	if (cut)
		max = 200;
	for (const char *p = name; *p != '\0' && n < max; p++)
		buf[n++] = ((unsigned char)*p < 0x20 || *p == 0x7f) ? '?' : *p;
	buf[n] = '\0';
	if (cut)
		snprintf(buf + n, len - n, "...");
}

/* Open the directory at dir_path (relative to DIR), creating missing components 0755. */
static int make_parents(struct unpack *u, char *dir_path, struct error *err)
{
	cleanup_fd int current = fcntl(u->root, F_DUPFD_CLOEXEC, 3);
	if (current < 0)
		return error_sys(err, "duplicate the layer directory fd");
	char *p = dir_path;
	for (;;) {
		char *end = strchrnul(p, '/');
		char saved = *end;
		*end = '\0';
		int fd = open_beneath(u->root, dir_path, O_PATH | O_DIRECTORY, 0, 0);
		if (fd < 0 && errno == ENOENT) {
			/* p is one component; current, its parent, was resolved beneath DIR. */
			if (mkdirat(current, p, 0755) < 0 && errno != EEXIST) {
				int errnum = errno;
				*end = saved;
				return error_errno(err, errnum, "create parent directory \"%s\"",
						   dir_path);
			}
			fd = open_beneath(u->root, dir_path, O_PATH | O_DIRECTORY, 0, 0);
		}
		if (fd < 0) {
			int errnum = errno;
			*end = saved;
			if (errnum == ENOENT)
				return error_errno(err, errnum,
						   "parent \"%s\" is a dangling symlink or vanished",
						   dir_path);
			return resolve_error(err, errnum, "path", false);
		}
		close(current);
		current = fd;
		*end = saved;
		if (saved == '\0')
			return steal_fd(&current);
		p = end + 1;
	}
}

/* An O_PATH fd of the directory that will hold path's last component (at base_off). */
static int open_parent(struct unpack *u, const char *path, size_t base_off, struct error *err)
{
	if (base_off == 0) {
		int fd = fcntl(u->root, F_DUPFD_CLOEXEC, 3);
		if (fd < 0)
			return error_sys(err, "duplicate the layer directory fd");
		return fd;
	}
	cleanup_free char *dir_path = strndup(path, base_off - 1);
	if (dir_path == NULL)
		return error_sys(err, "allocate a path");
	int fd = open_beneath(u->root, dir_path, O_PATH | O_DIRECTORY, 0, 0);
	if (fd >= 0)
		return fd;
	if (errno == ENOENT)
		return make_parents(u, dir_path, err);
	return resolve_error(err, errno, "path", false);
}

/* Remove the directory base in parent and everything in it; symlinks are never followed. */
static int remove_tree(int parent, const char *base, struct error *err)
{
	int fd = open_beneath(parent, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0,
			      RESOLVE_NO_SYMLINKS);
	if (fd < 0)
		return error_sys(err, "open directory \"%s\" to remove it", base);
	cleanup_dir DIR *d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return error_sys(err, "read directory \"%s\"", base);
	}
	for (;;) {
		errno = 0;
		struct dirent *de = readdir(d);
		if (de == NULL) {
			if (errno != 0)
				return error_sys(err, "read directory \"%s\"", base);
			break;
		}
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (de->d_type != DT_DIR && unlinkat(fd, de->d_name, 0) == 0)
			continue;
		if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN && errno != EISDIR)
			return error_sys(err, "remove \"%s\"", de->d_name);
		if (remove_tree(fd, de->d_name, err) < 0)
			return error_wrap(err, "in \"%s\"", base);
	}
	if (unlinkat(parent, base, AT_REMOVEDIR) < 0)
		return error_sys(err, "remove directory \"%s\"", base);
	return 0;
}

/*
 * Make room for a new entry named base in parent: what is there is removed (a directory
 * with everything in it), unless it is a directory and keep_dir is set. Returns 1 when a
 * directory was kept, 0 when the name is free.
 */
static int clear_slot(int parent, const char *base, bool keep_dir, struct error *err)
{
	struct stat st;
	if (fstatat(parent, base, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return 0;
		return error_sys(err, "stat the existing \"%s\"", base);
	}
	if (S_ISDIR(st.st_mode)) {
		if (keep_dir)
			return 1;
		if (remove_tree(parent, base, err) < 0)
			return error_wrap(err, "replace directory");
		return 0;
	}
	if (unlinkat(parent, base, 0) < 0)
		return error_sys(err, "remove the existing \"%s\"", base);
	return 0;
}

/* ---- metadata ---------------------------------------------------------------------- */

static int entry_ids(const struct tar_entry *e, uid_t *uid, gid_t *gid, struct error *err)
{
	/* (uid_t)-1 means "unchanged" to chown, so it is no owner. */
	if (e->uid < 0 || e->uid >= (int64_t)UINT32_MAX || e->gid < 0 ||
	    e->gid >= (int64_t)UINT32_MAX)
		return error_msg(err, "owner %lld:%lld is out of range", (long long)e->uid,
				 (long long)e->gid);
	*uid = (uid_t)e->uid;
	*gid = (gid_t)e->gid;
	return 0;
}

/* Docker's rule: atime from the archive when it has one later than mtime, else mtime. */
static void entry_times(const struct tar_entry *e, struct timespec times[2])
{
	times[1] = e->mtime;
	times[0] = e->mtime;
	if (e->has_atime && (e->atime.tv_sec > e->mtime.tv_sec ||
			     (e->atime.tv_sec == e->mtime.tv_sec && e->atime.tv_nsec > e->mtime.tv_nsec)))
		times[0] = e->atime;
}

/* Xattrs a layer may carry that this filesystem or namespace need not accept. */
static bool xattr_optional(const char *name, int errnum)
{
	if (errnum != EPERM && errnum != EOPNOTSUPP)
		return false;
	if (strcmp(name, "security.capability") == 0)
		return false;
	return strncmp(name, "trusted.", 8) == 0 || strncmp(name, "security.", 9) == 0 ||
	       strncmp(name, "system.", 7) == 0;
}

static void warn_xattr(struct unpack *u, const struct tar_entry *e, const char *xattr, int errnum)
{
	for (size_t i = 0; i < u->warned_count; i++) {
		if (strcmp(u->warned_xattrs[i], xattr) == 0)
			return;
	}
	char **grown = realloc(u->warned_xattrs, (u->warned_count + 1) * sizeof *grown);
	if (grown != NULL) {
		u->warned_xattrs = grown;
		char *copy = strdup(xattr);
		if (copy != NULL)
			u->warned_xattrs[u->warned_count++] = copy;
	}
	char name[256], ebuf[32];
	printable_name(e->name, name, sizeof name);
	fprintf(stderr,
		"skiff-helper: warning: unpack entry \"%s\": xattr %s not set: %s (skipped here "
		"and for later entries)\n",
		name, xattr, errno_name(errnum, ebuf, sizeof ebuf));
	u->warnings++;
}

/*
 * Set e's xattrs on fd, or, for entries that cannot be opened for that (symlinks, fifos,
 * devices), on base in the directory parent through its /proc/self/fd magic link.
 */
static int set_xattrs(struct unpack *u, const struct tar_entry *e, int fd, int parent,
		      const char *base, struct error *err)
{
	char proc_path[64 + NAME_MAX];
	if (fd < 0 && e->xattr_count > 0)
		snprintf(proc_path, sizeof proc_path, "/proc/self/fd/%d/%s", parent, base);
	for (size_t i = 0; i < e->xattr_count; i++) {
		const struct tar_xattr *x = &e->xattrs[i];
		int rc = fd >= 0 ? fsetxattr(fd, x->name, x->value, x->len, 0)
				 : lsetxattr(proc_path, x->name, x->value, x->len, 0);
		if (rc == 0)
			continue;
		if (xattr_optional(x->name, errno)) {
			warn_xattr(u, e, x->name, errno);
			continue;
		}
		return error_sys(err, "set xattr %s", x->name);
	}
	return 0;
}

/* Owner, mode (a symlink has none), xattrs and times of a non-directory that cannot be
 * opened: a symlink, fifo or device just made at base. */
static int set_node_metadata(struct unpack *u, const struct tar_entry *e, int parent,
			     const char *base, struct error *err)
{
	uid_t uid = 0;
	gid_t gid = 0;
	struct timespec times[2];
	if (entry_ids(e, &uid, &gid, err) < 0)
		return -1;
	if (fchownat(parent, base, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
		return error_sys(err, "chown to %u:%u", (unsigned)uid, (unsigned)gid);
	/* A node made by mknod in this directory is no symlink to follow. */
	if (e->type != TAR_SYMLINK && fchmodat(parent, base, e->mode, 0) < 0)
		return error_sys(err, "chmod %04o", (unsigned)e->mode);
	if (set_xattrs(u, e, -1, parent, base, err) < 0)
		return -1;
	entry_times(e, times);
	if (utimensat(parent, base, times, AT_SYMLINK_NOFOLLOW) < 0)
		return error_sys(err, "set times");
	return 0;
}

/* ---- entries ----------------------------------------------------------------------- */

/* A regular file; with_data false makes it empty (whiteouts kept as files). */
static int create_file(struct unpack *u, struct tar_reader *r, const struct tar_entry *e,
		       int parent, const char *base, bool with_data, struct error *err)
{
	uid_t uid = 0;
	gid_t gid = 0;
	struct timespec times[2];
	if (entry_ids(e, &uid, &gid, err) < 0)
		return -1;

	int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW;
	cleanup_fd int fd = open_beneath(parent, base, flags, 0600, 0);
	if (fd < 0 && errno == EEXIST) {
		if (clear_slot(parent, base, false, err) < 0)
			return -1;
		fd = open_beneath(parent, base, flags, 0600, 0);
	}
	if (fd < 0)
		return error_sys(err, "create file");

	if (with_data) {
		const void *chunk;
		ssize_t n;
		while ((n = tar_data(r, &chunk, err)) > 0) {
			if (file_write_all(fd, chunk, (size_t)n) < 0)
				return error_sys(err, "write file");
			u->bytes += (unsigned long long)n;
		}
		if (n < 0)
			return -1;
	}
	/* chown drops setuid, setgid and file capabilities, so mode and xattrs come after. */
	if (fchown(fd, uid, gid) < 0)
		return error_sys(err, "chown to %u:%u", (unsigned)uid, (unsigned)gid);
	if (fchmod(fd, e->mode) < 0)
		return error_sys(err, "chmod %04o", (unsigned)e->mode);
	if (set_xattrs(u, e, fd, -1, NULL, err) < 0)
		return -1;
	entry_times(e, times);
	if (futimens(fd, times) < 0)
		return error_sys(err, "set times");
	if (close(steal_fd(&fd)) < 0)
		return error_sys(err, "close file");
	return 0;
}

static int record_dir(struct unpack *u, const struct tar_entry *e, const char *path, int fd,
		      struct error *err)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return error_sys(err, "stat directory");
	if (u->dir_count == u->dir_cap) {
		size_t cap = u->dir_cap ? u->dir_cap * 2 : 256;
		struct dir_record *grown = realloc(u->dirs, cap * sizeof *grown);
		if (grown == NULL)
			return error_sys(err, "allocate directory records");
		u->dirs = grown;
		u->dir_cap = cap;
	}
	struct dir_record *d = &u->dirs[u->dir_count];
	memset(d, 0, sizeof *d);
	if (entry_ids(e, &d->uid, &d->gid, err) < 0)
		return -1;
	d->path = strdup(path);
	d->name = strdup(e->name);
	if (d->path == NULL || d->name == NULL) {
		free(d->path);
		free(d->name);
		return error_sys(err, "allocate directory records");
	}
	d->depth = 0;
	for (const char *p = path; *p != '\0'; p++)
		d->depth += *p == '/';
	d->depth += path[0] != '\0';
	d->order = u->dir_count;
	d->dev = st.st_dev;
	d->ino = st.st_ino;
	d->mode = e->mode;
	entry_times(e, d->times);
	u->dir_count++;
	return 0;
}

/*
 * A directory: made (or kept, when one is there) now with xattrs, and recorded so that
 * finish_dirs() sets its owner, mode and times once its children are in: a 0555
 * directory must still receive them, and each child changes its mtime.
 */
static int create_dir(struct unpack *u, const struct tar_entry *e, const char *path, int parent,
		      const char *base, struct error *err)
{
	if (mkdirat(parent, base, 0700) < 0) {
		if (errno != EEXIST)
			return error_sys(err, "create directory");
		int kept = clear_slot(parent, base, true, err);
		if (kept < 0)
			return -1;
		if (!kept && mkdirat(parent, base, 0700) < 0)
			return error_sys(err, "create directory");
	}
	cleanup_fd int fd = open_beneath(parent, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0, 0);
	if (fd < 0)
		return error_sys(err, "open the new directory");
	if (set_xattrs(u, e, fd, -1, NULL, err) < 0)
		return -1;
	return record_dir(u, e, path, fd, err);
}

/* "./" in the archive: DIR itself, whose metadata the layer may set. */
static int apply_root(struct unpack *u, const struct tar_entry *e, struct error *err)
{
	cleanup_fd int fd = open_beneath(u->root, ".", O_RDONLY | O_DIRECTORY, 0, 0);
	if (fd < 0)
		return error_sys(err, "open the layer directory");
	if (set_xattrs(u, e, fd, -1, NULL, err) < 0)
		return -1;
	return record_dir(u, e, "", fd, err);
}

static int create_symlink(struct unpack *u, const struct tar_entry *e, int parent,
			  const char *base, struct error *err)
{
	/* The target is stored as it is: nothing here ever follows it. */
	if (symlinkat(e->linkname, parent, base) < 0) {
		if (errno != EEXIST)
			return error_sys(err, "create symlink");
		if (clear_slot(parent, base, false, err) < 0)
			return -1;
		if (symlinkat(e->linkname, parent, base) < 0)
			return error_sys(err, "create symlink");
	}
	if (set_node_metadata(u, e, parent, base, err) < 0)
		return -1;
	/* Docker counts a symlink's size (its target's length) in a layer's size: so do we. */
	u->bytes += strlen(e->linkname);
	return 0;
}

/* linkat() of the inode behind an O_PATH fd, as `flink` would. */
static int link_fd(int target, int parent, const char *base)
{
	char proc_path[64];
	snprintf(proc_path, sizeof proc_path, "/proc/self/fd/%d", target);
	if (linkat(AT_FDCWD, proc_path, parent, base, AT_SYMLINK_FOLLOW) == 0)
		return 0;
	/* Without /proc, AT_EMPTY_PATH does the same where the kernel allows it. */
	if (errno == ENOENT && access("/proc/self/fd", F_OK) < 0)
		return linkat(target, "", parent, base, AT_EMPTY_PATH);
	return -1;
}

static int create_hardlink(struct unpack *u, const struct tar_entry *e, const char *path,
			   int parent, const char *base, struct error *err)
{
	cleanup_free char *target_path = clean_name(e->linkname);
	if (target_path == NULL)
		return error_sys(err, "allocate a path");
	char what[300];
	char shown[256];
	printable_name(e->linkname, shown, sizeof shown);
	snprintf(what, sizeof what, "hard link target \"%s\"", shown);
	if (target_path[0] == '\0')
		return error_msg(err, "%s is the layer's root directory", what);
	/* A link to itself: tar writers emit it for an entry seen twice; nothing to do. */
	if (strcmp(target_path, path) == 0)
		return 0;

	/* No symlink anywhere on the way: the target is named by its own path. O_NOFOLLOW
	 * with O_PATH gives the symlink itself when that is what the target is. */
	cleanup_fd int target = open_beneath(u->root, target_path, O_PATH | O_NOFOLLOW, 0,
					     RESOLVE_NO_SYMLINKS);
	if (target < 0) {
		if (errno == ENOENT)
			return error_errno(err, errno, "%s does not exist in the layer", what);
		return resolve_error(err, errno, what, true);
	}
	struct stat st;
	if (fstat(target, &st) < 0)
		return error_sys(err, "stat %s", what);
	if (S_ISDIR(st.st_mode))
		return error_msg(err, "%s is a directory", what);

	if (link_fd(target, parent, base) < 0) {
		if (errno != EEXIST)
			return error_sys(err, "create hard link to \"%s\"", target_path);
		if (clear_slot(parent, base, false, err) < 0)
			return -1;
		if (link_fd(target, parent, base) < 0)
			return error_sys(err, "create hard link to \"%s\"", target_path);
	}
	return 0;
}

/* Fifos, and devices where mknod is allowed. */
static int create_node(struct unpack *u, const struct tar_entry *e, int parent, const char *base,
		       struct error *err)
{
	mode_t kind = e->type == TAR_FIFO ? S_IFIFO : e->type == TAR_CHAR ? S_IFCHR : S_IFBLK;
	dev_t dev = e->type == TAR_FIFO ? 0 : makedev(e->devmajor, e->devminor);
	if (mknodat(parent, base, kind | (e->mode & 0777), dev) < 0) {
		if (errno != EEXIST)
			return error_sys(err, "mknod");
		if (clear_slot(parent, base, false, err) < 0)
			return -1;
		if (mknodat(parent, base, kind | (e->mode & 0777), dev) < 0)
			return error_sys(err, "mknod");
	}
	return set_node_metadata(u, e, parent, base, err);
}

/* `.wh.NAME`: NAME is deleted; overlayfs reads that from a 0:0 character device. */
static int create_whiteout(struct unpack *u, const struct tar_entry *e, int parent,
			   const char *name, struct error *err)
{
	if (clear_slot(parent, name, false, err) < 0)
		return -1;
	if (mknodat(parent, name, S_IFCHR, makedev(0, 0)) < 0)
		return error_sys(err, "create whiteout device for \"%s\"", name);
	uid_t uid = 0;
	gid_t gid = 0;
	if (entry_ids(e, &uid, &gid, err) < 0)
		return -1;
	/* Docker gives the whiteout the entry's owner; overlayfs itself does not care. */
	if (fchownat(parent, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
		return error_sys(err, "chown whiteout to %u:%u", (unsigned)uid, (unsigned)gid);
	u->whiteouts++;
	return 0;
}

/* `.wh..wh..opq`: the directory hides whatever lower layers have in it. */
static int mark_opaque(struct unpack *u, int parent, struct error *err)
{
	const char *xattr = u->options->whiteouts == WHITEOUT_OVERLAY_TRUSTED
				    ? "trusted.overlay.opaque"
				    : "user.overlay.opaque";
	cleanup_fd int fd = open_beneath(parent, ".", O_RDONLY | O_DIRECTORY, 0, 0);
	if (fd < 0)
		return error_sys(err, "open the opaque directory");
	if (fsetxattr(fd, xattr, "y", 1, 0) < 0)
		return error_sys(err, "set %s on its directory", xattr);
	u->opaque++;
	return 0;
}

/*
 * aufs metadata (.wh..wh.plnk, .wh..wh.aufs, .wh..wh.orph and all under them) is no part
 * of the image: any component named .wh..wh.* but the final .wh..wh..opq marker.
 */
static bool in_aufs_metadata(const char *path, bool opaque)
{
	size_t meta_len = strlen(WHITEOUT_META_PREFIX);
	for (const char *p = path;;) {
		const char *end = strchrnul(p, '/');
		bool last = *end == '\0';
		if ((size_t)(end - p) >= meta_len && strncmp(p, WHITEOUT_META_PREFIX, meta_len) == 0 &&
		    !(last && opaque))
			return true;
		if (last)
			return false;
		p = end + 1;
	}
}

static bool known_type(char type)
{
	return type == TAR_REGULAR || type == TAR_HARDLINK || type == TAR_SYMLINK ||
	       type == TAR_CHAR || type == TAR_BLOCK || type == TAR_DIRECTORY || type == TAR_FIFO;
}

static int apply_entry(struct unpack *u, struct tar_reader *r, const struct tar_entry *e,
		       struct error *err)
{
	if (e->sparse)
		return error_msg(err, "sparse entries are not supported");
	if (!known_type(e->type)) {
		if (e->type > 0x20 && e->type < 0x7f)
			return error_msg(err, "unsupported entry type '%c'", e->type);
		return error_msg(err, "unsupported entry type 0x%02x", (unsigned char)e->type);
	}

	cleanup_free char *path = clean_name(e->name);
	if (path == NULL)
		return error_sys(err, "allocate a path");
	if (path[0] == '\0') {
		/* The root itself: only a directory entry means something (its metadata). */
		return e->type == TAR_DIRECTORY ? apply_root(u, e, err) : 0;
	}
	char *slash = strrchr(path, '/');
	const char *base = slash != NULL ? slash + 1 : path;
	size_t base_off = (size_t)(base - path);
	enum whiteout_format format = u->options->whiteouts;

	bool whiteout = strncmp(base, WHITEOUT_PREFIX, strlen(WHITEOUT_PREFIX)) == 0;
	bool opaque = strcmp(base, WHITEOUT_OPAQUE) == 0;
	if (in_aufs_metadata(path, opaque))
		return 0;
	const char *hidden = base + strlen(WHITEOUT_PREFIX);
	if (whiteout && !opaque &&
	    (hidden[0] == '\0' || strcmp(hidden, ".") == 0 || strcmp(hidden, "..") == 0))
		return error_msg(err, "a whiteout that names no file");

	cleanup_fd int parent = open_parent(u, path, base_off, err);
	if (parent < 0)
		return -1;

	if (whiteout && format != WHITEOUT_KEEP)
		return opaque ? mark_opaque(u, parent, err) : create_whiteout(u, e, parent, hidden, err);
	if (whiteout) {
		/* Kept for a later conversion, as the empty files they are in the archive. */
		if (opaque)
			u->opaque++;
		else
			u->whiteouts++;
		return create_file(u, r, e, parent, base, false, err);
	}

	switch (e->type) {
	case TAR_REGULAR:
		return create_file(u, r, e, parent, base, true, err);
	case TAR_DIRECTORY:
		return create_dir(u, e, path, parent, base, err);
	case TAR_SYMLINK:
		return create_symlink(u, e, parent, base, err);
	case TAR_HARDLINK:
		return create_hardlink(u, e, path, parent, base, err);
	case TAR_FIFO:
		return create_node(u, e, parent, base, err);
	default: /* TAR_CHAR, TAR_BLOCK */
		/* 0:0 is a whiteout to overlayfs, and the one device a user namespace may make. */
		if (u->options->skip_devices &&
		    !(e->type == TAR_CHAR && e->devmajor == 0 && e->devminor == 0)) {
			u->skipped_devices++;
			return 0;
		}
		return create_node(u, e, parent, base, err);
	}
}

static int compare_dirs(const void *a, const void *b)
{
	const struct dir_record *x = a, *y = b;
	if (x->depth != y->depth)
		return x->depth > y->depth ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static int finish_dir(struct unpack *u, const struct dir_record *d, struct error *err)
{
	cleanup_fd int fd = open_beneath(u->root, d->path[0] ? d->path : ".",
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0, 0);
	if (fd < 0) {
		/* Removed or replaced by a later entry (by a symlink, say): nothing to do. */
		if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP || errno == EXDEV)
			return 0;
		return error_sys(err, "open directory");
	}
	struct stat st;
	if (fstat(fd, &st) < 0)
		return error_sys(err, "stat directory");
	if (st.st_dev != d->dev || st.st_ino != d->ino)
		return 0; /* the path names another directory now */
	if (fchown(fd, d->uid, d->gid) < 0)
		return error_sys(err, "chown to %u:%u", (unsigned)d->uid, (unsigned)d->gid);
	if (fchmod(fd, d->mode) < 0)
		return error_sys(err, "chmod %04o", (unsigned)d->mode);
	if (futimens(fd, d->times) < 0)
		return error_sys(err, "set times");
	return 0;
}

/*
 * Directories' owners, modes and times, deepest first and, at one depth, in archive
 * order (a directory listed twice takes its last entry's). Setting a child's metadata
 * leaves its parent's mtime alone, so each is final once set.
 */
static int finish_dirs(struct unpack *u, struct error *err)
{
	if (u->dir_count > 1)
		qsort(u->dirs, u->dir_count, sizeof *u->dirs, compare_dirs);
	for (size_t i = 0; i < u->dir_count; i++) {
		if (finish_dir(u, &u->dirs[i], err) < 0) {
			char name[256];
			printable_name(u->dirs[i].name, name, sizeof name);
			return error_wrap(err, "unpack entry \"%s\"", name);
		}
	}
	return 0;
}

static void free_unpack(struct unpack *u)
{
	for (size_t i = 0; i < u->dir_count; i++) {
		free(u->dirs[i].path);
		free(u->dirs[i].name);
	}
	free(u->dirs);
	for (size_t i = 0; i < u->warned_count; i++)
		free(u->warned_xattrs[i]);
	free(u->warned_xattrs);
}

/* ---- the verb ---------------------------------------------------------------------- */

static void usage(FILE *out)
{
	fputs("usage: skiff-helper unpack --dir DIR [--whiteout-format overlay|overlay-trusted|keep]\n"
	      "                           [--skip-devices] [--spread STORE]\n"
	      "\n"
	      "Extracts the uncompressed tar stream on stdin (one image layer) into DIR, which\n"
	      "must exist and be empty, never writing outside it. Whiteouts become overlayfs\n"
	      "whiteouts: 0:0 character devices, and user.overlay.opaque (overlay, the default)\n"
	      "or trusted.overlay.opaque (overlay-trusted) on opaque directories; keep writes\n"
	      "them as the empty .wh.* files they are. --skip-devices skips device nodes, which\n"
	      "a user namespace cannot make. --spread marks STORE, the directory the caller\n"
	      "makes layer directories in, so that ext4 spreads them over its block groups.\n"
	      "Prints {\"entries\":N,\"bytes\":N,\"whiteouts\":N,\n"
	      "\"opaque\":N,\"skippedDevices\":N,\"warnings\":N}; exit status 125 on failure.\n",
	      out);
}

/* Returns -1 when the options are good, otherwise the exit status. */
static int parse_options(int argc, char **argv, struct unpack_options *o)
{
	static const struct option long_options[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "whiteout-format", required_argument, NULL, 'w' },
		{ "skip-devices", no_argument, NULL, 's' },
		{ "spread", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	opterr = 0;
	optind = 1;
	for (;;) {
		int c = getopt_long(argc, argv, "h", long_options, NULL);
		if (c == -1)
			break;
		switch (c) {
		case 'd':
			o->dir = optarg;
			break;
		case 'w':
			if (strcmp(optarg, "overlay") == 0)
				o->whiteouts = WHITEOUT_OVERLAY;
			else if (strcmp(optarg, "overlay-trusted") == 0)
				o->whiteouts = WHITEOUT_OVERLAY_TRUSTED;
			else if (strcmp(optarg, "keep") == 0)
				o->whiteouts = WHITEOUT_KEEP;
			else
				return error_usage("unpack", EXIT_USAGE,
						   "--whiteout-format is overlay, overlay-trusted or "
						   "keep, not \"%s\"",
						   optarg);
			break;
		case 's':
			o->skip_devices = true;
			break;
		case 'S':
			o->spread = optarg;
			break;
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS;
		default:
			return error_usage("unpack", EXIT_USAGE,
					   "unknown option or missing value: %s", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return error_usage("unpack", EXIT_USAGE,
				   "unexpected argument \"%s\"", argv[optind]);
	if (o->dir == NULL)
		return error_usage("unpack", EXIT_USAGE, "--dir DIR is required");
	return -1;
}

static int open_empty_dir(const char *path, struct error *err)
{
	cleanup_fd int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return error_sys(err, "unpack: open %s", path);
	int list_fd = open_beneath(fd, ".", O_RDONLY | O_DIRECTORY, 0, 0);
	if (list_fd < 0)
		return error_sys(err, "unpack: read %s", path);
	cleanup_dir DIR *d = fdopendir(list_fd);
	if (d == NULL) {
		close(list_fd);
		return error_sys(err, "unpack: read %s", path);
	}
	struct dirent *de;
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			return error_msg(err, "unpack: %s is not empty (it has \"%s\")", path,
					 de->d_name);
	}
	if (errno != 0)
		return error_sys(err, "unpack: read %s", path);
	return steal_fd(&fd);
}

/*
 * ext4 puts a new directory's inode in its parent's block group and a file's in its
 * directory's. On an ext4 without a journal, allocating an inode first steps over each inode
 * of the group freed in the last minute or so (recently_deleted() in fs/ext4/ialloc.c):
 * after rmi or prune freed a layer of thousands of files, unpacking the next one into the
 * same group is quadratic. Pulling the Debian fixture right after removing it took 4.4 s of
 * kernel time instead of 0.4 s. With the top-directory flag (chattr +T) on the store, ext4
 * places each new layer directory as it places the root's children: in a group with
 * above-average free space and the fewest directories, searched from a group picked by
 * hashing the (random) name. Only a placement preference: any failure is ignored, and
 * other filesystems are left alone.
 */
static void spread_directories(const char *store)
{
	cleanup_fd int fd = open(store, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct statfs fs;
	int flags;
	if (fd < 0 || fstatfs(fd, &fs) < 0 || fs.f_type != EXT4_SUPER_MAGIC ||
	    ioctl(fd, FS_IOC_GETFLAGS, &flags) < 0 || (flags & FS_TOPDIR_FL) != 0)
		return;
	flags |= FS_TOPDIR_FL;
	if (ioctl(fd, FS_IOC_SETFLAGS, &flags) < 0) {
		/* not the owner, or a filesystem that refuses the flag: placement as before */
	}
}

static int run(struct unpack *u, struct error *err)
{
	struct tar_reader r;
	if (tar_reader_init(&r, STDIN_FILENO, err) < 0)
		return error_wrap(err, "unpack");
	int rc;
	for (;;) {
		struct tar_entry e;
		rc = tar_next(&r, &e, err);
		if (rc <= 0)
			break;
		u->entries++;
		rc = apply_entry(u, &r, &e, err);
		if (rc < 0) {
			char name[256];
			printable_name(e.name, name, sizeof name);
			error_wrap(err, "unpack entry \"%s\"", name);
		}
		tar_entry_free(&e);
		if (rc < 0)
			break;
	}
	if (rc == 0 && (rc = finish_dirs(u, err)) == 0) {
		/* Whatever follows the end of the archive (zero padding to a record size): read
		 * it, so the writer never sees EPIPE on success. */
		rc = tar_drain(&r, err);
	}
	tar_reader_free(&r);
	if (rc < 0 && strncmp(err->msg, "unpack", 6) != 0)
		error_wrap(err, "unpack");
	return rc;
}

int unpack_main(int argc, char **argv)
{
	struct unpack_options o = { .whiteouts = WHITEOUT_OVERLAY };
	int status = parse_options(argc, argv, &o);
	if (status >= 0)
		return status;

	struct error err;
	/* Modes come from the archive exactly; parents made on the way are 0755. */
	umask(0);
	if (o.spread != NULL)
		spread_directories(o.spread);
	struct unpack u = { .options = &o };
	u.root = open_empty_dir(o.dir, &err);
	if (u.root < 0)
		return error_print(&err, EXIT_ENGINE_ERROR);
	int rc = run(&u, &err);
	close(u.root);
	free_unpack(&u);
	if (rc < 0)
		return error_print(&err, EXIT_ENGINE_ERROR);

	if (u.skipped_devices > 0) {
		fprintf(stderr, "skiff-helper: warning: skipped %llu device nodes (rootless)\n",
			u.skipped_devices);
		u.warnings++;
	}
	struct json j;
	json_init(&j, stdout);
	json_object_begin(&j);
	json_key(&j, "entries");
	json_int(&j, (long long)u.entries);
	json_key(&j, "bytes");
	json_int(&j, (long long)u.bytes);
	json_key(&j, "whiteouts");
	json_int(&j, (long long)u.whiteouts);
	json_key(&j, "opaque");
	json_int(&j, (long long)u.opaque);
	json_key(&j, "skippedDevices");
	json_int(&j, (long long)u.skipped_devices);
	json_key(&j, "warnings");
	json_int(&j, (long long)u.warnings);
	json_object_end(&j);
	fputc('\n', stdout);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		error_sys(&err, "unpack: write stdout");
		return error_print(&err, EXIT_ENGINE_ERROR);
	}
	return EXIT_SUCCESS;
}
