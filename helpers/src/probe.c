/* probe.c: the `probe` verb: what this kernel lets the calling user do, as one JSON line.
 *
 * Each check runs whatever it tries in a forked child (namespaces, mounts, devices), so
 * the helper itself is never changed, and anything mounted lives and dies in the child's
 * private mount namespace: nothing is left mounted or on disk afterwards.
 *
 * To run it by hand (build first with `make -C helpers`):
 *
 *     helpers/skiff-helper probe                      # as root: root mode's view
 *     runuser -u USER -- helpers/skiff-helper probe \
 *         --uid-map 100000:65536 --gid-map 100000:65536 \
 *         --newuidmap /usr/bin/newuidmap --newgidmap /usr/bin/newgidmap
 *
 * taking the ranges from USER's lines in /etc/subuid and /etc/subgid. It prints e.g.
 *
 *     {"userns":{"ok":true,"detail":"..."},"idmap":{...},"overlay":{...},"fuse":{...},
 *      "tun":{...},"newuidmap":{...},"newgidmap":{...}}
 *
 * on one line; `idmap` appears only when a range is given, `newuidmap`/`newgidmap` only
 * when their paths are. Exit status 0 whenever the probe ran, whatever it found; 2 on a
 * usage error. Try `chmod 0600 /dev/fuse /dev/net/tun` (and back to 0666) to see both
 * outcomes of `fuse` and `tun` as an unprivileged user.
 *
 * As root, skiff runs without a user namespace, so the overlay and tun checks do too
 * (plain mount/net namespaces); `userns` and `idmap` still create one. uid 0 inside a
 * user namespace (not the initial one) mounts overlay with userxattr, as rootless does.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/capability.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "caps.h"
#include "cleanup.h"
#include "error.h"
#include "file.h"
#include "json.h"
#include "process.h"
#include "userns.h"
#include "verbs.h"

#define DETAIL_MAX ERROR_MSG_MAX

struct probe_options {
	bool has_uid_map;
	bool has_gid_map;
	unsigned long uid_start, uid_count;
	unsigned long gid_start, gid_count;
	const char *newuidmap;
	const char *newgidmap;
};

/* Namespaces a check needs: as root a plain unshare, otherwise inside a new user namespace
 * mapped to the caller, which is how skiff itself runs containers in each mode. */
static int enter_namespaces(int flags, struct error *err)
{
	if (geteuid() == 0) {
		if (unshare(flags) < 0)
			return error_sys(err, "unshare");
		return 0;
	}
	return userns_unshare_single(flags, err);
}

/* The namespaces enter_namespaces() makes, for details: "a new user and mount namespace". */
static void describe_namespaces(const char *kind, char *buf, size_t len)
{
	snprintf(buf, len, "a new %s%s namespace", geteuid() != 0 ? "user and " : "", kind);
}

static bool in_initial_userns(void)
{
	bool initial = true;
	struct error ignored;
	userns_is_initial(&initial, &ignored);
	return initial;
}

/* ---- userns ------------------------------------------------------------------------ */

static int userns_child(void *arg, struct error *err)
{
	(void)arg;
	if (userns_unshare_single(CLONE_NEWUTS, err) < 0)
		return -1;
	/* Some LSM policies (Ubuntu's apparmor_restrict_unprivileged_userns) let the
	 * namespace be created but strip its capabilities; using one tells them apart. */
	if (sethostname("skiff-probe", strlen("skiff-probe")) < 0)
		return error_sys(err, "sethostname in the new user and UTS namespace");
	return 0;
}

/* Append the sysctl that explains a refused user namespace, if one is set that way. */
static void explain_userns_refusal(struct error *err)
{
	static const struct {
		const char *path;
		const char *name;
		const char *refusing;
	} knobs[] = {
		{ "/proc/sys/kernel/unprivileged_userns_clone", "kernel.unprivileged_userns_clone", "0" },
		{ "/proc/sys/user/max_user_namespaces", "user.max_user_namespaces", "0" },
		{ "/proc/sys/kernel/apparmor_restrict_unprivileged_userns",
		  "kernel.apparmor_restrict_unprivileged_userns", "1" },
	};
	for (size_t i = 0; i < sizeof knobs / sizeof knobs[0]; i++) {
		char value[32];
		struct error ignored;
		if (file_read(knobs[i].path, value, sizeof value, &ignored) < 0)
			continue;
		value[strcspn(value, "\n")] = '\0';
		if (strcmp(value, knobs[i].refusing) != 0)
			continue;
		size_t used = strlen(err->msg);
		snprintf(err->msg + used, sizeof err->msg - used, " (%s=%s)", knobs[i].name, value);
	}
}

static int check_userns(char *detail, size_t len, struct error *err)
{
	if (proc_call(userns_child, NULL, err) < 0) {
		explain_userns_refusal(err);
		return -1;
	}
	snprintf(detail, len,
		 "created a user namespace with uid 0 inside mapped to uid %u, and used its "
		 "capabilities",
		 (unsigned)geteuid());
	return 0;
}

/* ---- idmap ------------------------------------------------------------------------- */

struct idmap_plan {
	const struct probe_options *options;
	struct id_range uid_map[2];
	struct id_range gid_map[2];
};

static int verify_map(const char *which, const struct id_range *want, struct error *err)
{
	struct id_range got[ID_MAP_MAX_RANGES];
	size_t n;
	if (userns_read_map(0, which, got, ID_MAP_MAX_RANGES, &n, err) < 0)
		return -1;
	if (userns_map_equal(got, n, want, 2))
		return 0;
	char got_text[256];
	char want_text[256];
	userns_format_map(got, n, got_text, sizeof got_text);
	userns_format_map(want, 2, want_text, sizeof want_text);
	return error_msg(err, "%s inside the user namespace is %s, expected %s", which, got_text,
			 want_text);
}

/* Child side: enter a user namespace, wait to be mapped, then check the maps took. */
static int idmap_child_steps(void *arg, int sync, struct error *err)
{
	const struct idmap_plan *plan = arg;
	struct error message = { 0 };

	if (unshare(CLONE_NEWUSER) < 0)
		return error_sys(err, "unshare user namespace");
	if (error_send(sync, &message, err) < 0)
		return -1;
	int got = error_recv(sync, &message, err);
	if (got <= 0)
		return got < 0 ? -1 : error_msg(err, "parent stopped before mapping");

	const struct probe_options *o = plan->options;
	if (o->has_uid_map && verify_map("uid_map", plan->uid_map, err) < 0)
		return -1;
	if (o->has_gid_map && verify_map("gid_map", plan->gid_map, err) < 0)
		return -1;
	/* Switching to a subordinate id proves the mapping is usable, not just written. */
	if (o->has_gid_map && setresgid(1, 1, 1) < 0)
		return error_sys(err, "setresgid to gid 1 inside the user namespace");
	if (o->has_uid_map && setresuid(1, 1, 1) < 0)
		return error_sys(err, "setresuid to uid 1 inside the user namespace");
	return 0;
}

static int check_idmap(const struct probe_options *o, char *detail, size_t len, struct error *err)
{
	struct idmap_plan plan = { .options = o };
	userns_full_map(getuid(), o->uid_start, o->uid_count, plan.uid_map);
	userns_full_map(getgid(), o->gid_start, o->gid_count, plan.gid_map);

	cleanup_fd int parent_end = -1;
	cleanup_pid pid_t pid = proc_spawn(idmap_child_steps, &plan, &parent_end, err);
	if (pid < 0)
		return -1;

	/* First word from the child: it is in a new user namespace, or why not. */
	struct error message;
	int got = error_recv(parent_end, &message, err);
	if (got < 0)
		return -1;
	if (got == 0)
		return error_msg(err, "child exited before creating a user namespace");
	if (message.msg[0] != '\0') {
		*err = message;
		return -1;
	}

	/* Mapped from outside by the setuid tools, as Podman does; the child cannot. */
	if (o->has_uid_map && userns_map_with_tool(o->newuidmap, pid, plan.uid_map, 2, err) < 0)
		return -1;
	if (o->has_gid_map && userns_map_with_tool(o->newgidmap, pid, plan.gid_map, 2, err) < 0)
		return -1;

	struct error go = { 0 };
	if (error_send(parent_end, &go, err) < 0)
		return -1;
	got = error_recv(parent_end, &message, err);
	if (got < 0)
		return -1;
	int status;
	if (proc_wait(pid, &status, err) < 0)
		return -1;
	pid = -1;
	if (got == 0)
		return error_msg(err, "child exited without checking its mapping");
	if (message.msg[0] != '\0') {
		*err = message;
		return -1;
	}

	char uids[256] = "";
	char gids[256] = "";
	if (o->has_uid_map)
		userns_format_map(plan.uid_map, 2, uids, sizeof uids);
	if (o->has_gid_map)
		userns_format_map(plan.gid_map, 2, gids, sizeof gids);
	snprintf(detail, len, "mapped%s%s%s%s%s and switched to id 1 inside", o->has_uid_map ? " uids " : "",
		 uids, o->has_uid_map && o->has_gid_map ? ";" : "", o->has_gid_map ? " gids " : "", gids);
	return 0;
}

/* ---- overlay ----------------------------------------------------------------------- */

static int make_dirs(const char *const *paths, struct error *err)
{
	for (size_t i = 0; paths[i] != NULL; i++) {
		if (mkdir(paths[i], 0755) < 0)
			return error_sys(err, "mkdir %s", paths[i]);
	}
	return 0;
}

static int expect_whiteout(const char *path, struct error *err)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return error_sys(err, "removing a lower file left no whiteout: lstat %s", path);
	if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(0, 0))
		return error_msg(err, "%s is not a whiteout (a 0:0 character device)", path);
	return 0;
}

static int expect_empty_dir(const char *path, struct error *err)
{
	cleanup_dir DIR *dir = opendir(path);
	if (dir == NULL)
		return error_sys(err, "opendir %s", path);
	struct dirent *entry;
	errno = 0;
	while ((entry = readdir(dir)) != NULL) {
		if (strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0)
			return error_msg(err,
					 "%s shows lower entry %s after being removed and recreated "
					 "(opaque directory not honoured)",
					 path, entry->d_name);
	}
	if (errno != 0)
		return error_sys(err, "readdir %s", path);
	return 0;
}

static int overlay_child(void *arg, struct error *err)
{
	const char *dir = arg;
	bool initial;

	if (enter_namespaces(CLONE_NEWNS, err) < 0)
		return -1;
	if (userns_is_initial(&initial, err) < 0)
		return -1;
	/* Nothing mounted from here on may propagate back to the host. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return error_sys(err, "make / a private mount");
	if (mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700") < 0)
		return error_sys(err, "mount tmpfs on %s", dir);
	/* Relative paths keep the overlay options free of ',' and ':' in $TMPDIR. */
	if (chdir(dir) < 0)
		return error_sys(err, "chdir %s", dir);

	const char *const dirs[] = { "lower", "lower/dir", "upper", "work", "merged", NULL };
	if (make_dirs(dirs, err) < 0)
		return -1;
	if (file_create("lower/gone", "lower\n", 0644, err) < 0 ||
	    file_create("lower/dir/inner", "lower\n", 0644, err) < 0)
		return -1;

	/* Since 5.11 the kernel mounts overlay in a user namespace, with userxattr: its
	 * metadata goes in user.overlay.* since trusted.* needs init-namespace privilege. */
	const char *options = !initial ? "lowerdir=lower,upperdir=upper,workdir=work,userxattr"
					: "lowerdir=lower,upperdir=upper,workdir=work";
	if (mount("overlay", "merged", "overlay", 0, options) < 0)
		return error_sys(err, "mount overlay on %s/merged (%s)", dir, options);

	if (file_create("merged/new", "upper\n", 0644, err) < 0)
		return error_wrap(err, "write through overlay");
	struct stat st;
	if (lstat("upper/new", &st) < 0)
		return error_sys(err, "a file written through overlay is not in upperdir: lstat upper/new");

	if (unlink("merged/gone") < 0)
		return error_sys(err, "remove lower file merged/gone (whiteout)");
	if (lstat("merged/gone", &st) == 0 || errno != ENOENT)
		return error_msg(err, "merged/gone is still visible after removal");
	if (expect_whiteout("upper/gone", err) < 0)
		return -1;

	if (unlink("merged/dir/inner") < 0)
		return error_sys(err, "remove lower file merged/dir/inner");
	if (rmdir("merged/dir") < 0)
		return error_sys(err, "remove lower directory merged/dir");
	if (mkdir("merged/dir", 0755) < 0)
		return error_sys(err, "recreate merged/dir (opaque directory)");
	return expect_empty_dir("merged/dir", err);
}

static int check_overlay(char *detail, size_t len, struct error *err)
{
	const char *tmp = getenv("TMPDIR");
	char dir[PATH_MAX];
	if (tmp == NULL || tmp[0] != '/')
		tmp = "/tmp";
	if (snprintf(dir, sizeof dir, "%s/skiff-probe-XXXXXX", tmp) >= (int)sizeof dir)
		return error_msg(err, "TMPDIR is too long");
	if (mkdtemp(dir) == NULL)
		return error_sys(err, "create temporary directory %s", dir);

	/* Everything inside lives on the child's tmpfs; only the empty mount point is ours. */
	int rc = proc_call(overlay_child, dir, err);
	if (rmdir(dir) < 0 && rc == 0)
		return error_sys(err, "remove %s", dir);
	if (rc < 0)
		return -1;

	char namespaces[64];
	describe_namespaces("mount", namespaces, sizeof namespaces);
	bool rootless = geteuid() != 0 || !in_initial_userns();
	snprintf(detail, len, "native overlay%s in %s: mount, write, whiteout and opaque directory work",
		 rootless ? " with userxattr" : "", namespaces);
	return 0;
}

/* ---- fuse, tun --------------------------------------------------------------------- */

/* Open a device read-write; on failure say who may open it, for `skiff doctor`. */
static int open_device(const char *path, struct error *err)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	int saved = errno;
	struct stat st;
	if (stat(path, &st) < 0)
		return error_errno(err, saved, "open %s", path);
	error_errno(err, saved, "open %s", path);
	size_t used = strlen(err->msg);
	snprintf(err->msg + used, sizeof err->msg - used, " (mode %04o, owner %u:%u)",
		 (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid, (unsigned)st.st_gid);
	return -1;
}

static int check_fuse(char *detail, size_t len, struct error *err)
{
	cleanup_fd int fd = open_device("/dev/fuse", err);
	if (fd < 0)
		return -1;
	snprintf(detail, len, "opened /dev/fuse read-write");
	return 0;
}

static int tap_child(void *arg, struct error *err)
{
	(void)arg;
	if (enter_namespaces(CLONE_NEWNET, err) < 0)
		return -1;
	cleanup_fd int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return error_sys(err, "open /dev/net/tun in the new network namespace");
	struct ifreq request;
	memset(&request, 0, sizeof request);
	request.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(request.ifr_name, sizeof request.ifr_name, "tap0");
	if (ioctl(fd, TUNSETIFF, &request) < 0)
		return error_sys(err, "create tap device tap0 with TUNSETIFF");
	return 0;
}

static int check_tun(char *detail, size_t len, struct error *err)
{
	cleanup_fd int fd = open_device("/dev/net/tun", err);
	if (fd < 0)
		return -1;
	if (proc_call(tap_child, NULL, err) < 0)
		return -1;
	char namespaces[64];
	describe_namespaces("network", namespaces, sizeof namespaces);
	snprintf(detail, len, "opened /dev/net/tun read-write and created a tap device in %s",
		 namespaces);
	return 0;
}

/* ---- newuidmap, newgidmap ---------------------------------------------------------- */

/* Whether tool can raise the capability cap it needs: setuid root or file capabilities. */
static int check_id_tool(const char *tool, int cap, char *detail, size_t len, struct error *err)
{
	struct stat st;
	if (stat(tool, &st) < 0)
		return error_sys(err, "stat %s", tool);
	if (!S_ISREG(st.st_mode))
		return error_msg(err, "%s is not a regular file", tool);
	if (access(tool, X_OK) < 0)
		return error_sys(err, "%s is not executable by uid %u", tool, (unsigned)getuid());

	struct statvfs fs;
	if (statvfs(tool, &fs) < 0)
		return error_sys(err, "statvfs %s", tool);
	if (fs.f_flag & ST_NOSUID)
		return error_msg(err, "%s is on a nosuid mount, where neither setuid nor file "
				      "capabilities take effect",
				 tool);

	bool setuid_root = (st.st_mode & S_ISUID) && st.st_uid == 0;
	struct file_caps caps;
	if (file_caps_read(tool, &caps, err) < 0)
		return -1;
	char caps_text[512];
	file_caps_format(&caps, caps_text, sizeof caps_text);

	if (setuid_root) {
		if (caps.present)
			snprintf(detail, len, "%s is setuid root (file capabilities %s)", tool, caps_text);
		else
			snprintf(detail, len, "%s is setuid root", tool);
		return 0;
	}
	if (!caps.present) {
		if (st.st_mode & S_ISUID)
			return error_msg(err, "%s is setuid but owned by uid %u, not root", tool,
					 (unsigned)st.st_uid);
		return error_msg(err,
				 "%s is neither setuid root nor has file capabilities (mode %04o, "
				 "owner %u:%u)",
				 tool, (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid,
				 (unsigned)st.st_gid);
	}
	if (!(caps.permitted & ((uint64_t)1 << cap)))
		return error_msg(err, "%s has file capabilities %s but not %s", tool, caps_text,
				 cap_name(cap));
	if (!caps.effective)
		return error_msg(err, "%s has file capabilities %s without the effective flag", tool,
				 caps_text);
	if (caps.rootid != 0)
		return error_msg(err,
				 "%s has file capabilities %s that apply only in the user namespace "
				 "whose root is uid %u",
				 tool, caps_text, (unsigned)caps.rootid);
	snprintf(detail, len, "%s has file capabilities %s", tool, caps_text);
	return 0;
}

/* ---- the verb ---------------------------------------------------------------------- */

static void report(struct json *j, const char *name, int rc, const char *detail,
		   const struct error *err)
{
	json_key(j, name);
	json_object_begin(j);
	json_key(j, "ok");
	json_bool(j, rc == 0);
	json_key(j, "detail");
	json_string(j, rc == 0 ? detail : err->msg);
	json_object_end(j);
}

static void usage(FILE *out)
{
	fputs("usage: skiff-helper probe [--uid-map START:COUNT] [--gid-map START:COUNT]\n"
	      "                          [--newuidmap PATH] [--newgidmap PATH]\n"
	      "\n"
	      "Checks what the kernel allows this user (user namespaces, id mapping, overlay,\n"
	      "/dev/fuse, /dev/net/tun, newuidmap/newgidmap) and prints one line of JSON:\n"
	      "{\"CHECK\":{\"ok\":BOOL,\"detail\":\"...\"},...}. --uid-map/--gid-map need the\n"
	      "matching tool path and add the \"idmap\" check.\n",
	      out);
}

static int usage_error(const char *fmt, const char *arg)
{
	fputs("skiff-helper probe: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs("\n", stderr);
	usage(stderr);
	return EXIT_USAGE;
}

int probe_main(int argc, char **argv)
{
	static const struct option long_options[] = {
		{ "uid-map", required_argument, NULL, 'u' },
		{ "gid-map", required_argument, NULL, 'g' },
		{ "newuidmap", required_argument, NULL, 'U' },
		{ "newgidmap", required_argument, NULL, 'G' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct probe_options o = { 0 };

	opterr = 0;
	optind = 1;
	for (;;) {
		int c = getopt_long(argc, argv, "h", long_options, NULL);
		if (c == -1)
			break;
		switch (c) {
		case 'u':
			if (!userns_parse_range(optarg, &o.uid_start, &o.uid_count))
				return usage_error("--uid-map wants START:COUNT, got \"%s\"", optarg);
			o.has_uid_map = true;
			break;
		case 'g':
			if (!userns_parse_range(optarg, &o.gid_start, &o.gid_count))
				return usage_error("--gid-map wants START:COUNT, got \"%s\"", optarg);
			o.has_gid_map = true;
			break;
		case 'U':
			o.newuidmap = optarg;
			break;
		case 'G':
			o.newgidmap = optarg;
			break;
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS;
		default:
			return usage_error("unknown option or missing value: %s", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument \"%s\"", argv[optind]);
	if (o.has_uid_map && o.newuidmap == NULL)
		return usage_error("%s needs --newuidmap PATH", "--uid-map");
	if (o.has_gid_map && o.newgidmap == NULL)
		return usage_error("%s needs --newgidmap PATH", "--gid-map");

	struct json j;
	char detail[DETAIL_MAX];
	struct error err;
	int rc;

	json_init(&j, stdout);
	json_object_begin(&j);

	rc = check_userns(detail, sizeof detail, &err);
	report(&j, "userns", rc, detail, &err);
	if (o.has_uid_map || o.has_gid_map) {
		rc = check_idmap(&o, detail, sizeof detail, &err);
		report(&j, "idmap", rc, detail, &err);
	}
	rc = check_overlay(detail, sizeof detail, &err);
	report(&j, "overlay", rc, detail, &err);
	rc = check_fuse(detail, sizeof detail, &err);
	report(&j, "fuse", rc, detail, &err);
	rc = check_tun(detail, sizeof detail, &err);
	report(&j, "tun", rc, detail, &err);
	if (o.newuidmap != NULL) {
		rc = check_id_tool(o.newuidmap, CAP_SETUID, detail, sizeof detail, &err);
		report(&j, "newuidmap", rc, detail, &err);
	}
	if (o.newgidmap != NULL) {
		rc = check_id_tool(o.newgidmap, CAP_SETGID, detail, sizeof detail, &err);
		report(&j, "newgidmap", rc, detail, &err);
	}

	json_object_end(&j);
	fputc('\n', stdout);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		perror("skiff-helper probe: write stdout");
		return EXIT_FAILURE;
	}
	return EXIT_SUCCESS;
}
