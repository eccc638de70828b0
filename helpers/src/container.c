/* container.c: start a container's process from a loaded spec, held at a gate before exec.
 *
 * The caller clones the child with every namespace the spec asks to create (CLONE_NEWNS
 * always: the caller's own mounts are never touched), so the child is pid 1 of a new pid
 * namespace and still the caller's direct child. The child then, in order: resets its
 * signals, starts a session, takes its stdio, joins the namespaces given by path, brings
 * up lo in a new network namespace, builds and enters the rootfs (rootfs.c), sets the
 * hostname, opens its terminal in the container's own devpts, goes to its cwd, sets
 * oom_score_adj and rlimits, drops the capability bounding set, becomes the spec's
 * uid/gid/groups, sets its capabilities, and reports ready (sending the pty master along).
 * It waits for the caller's go, sets no_new_privs, finds args[0] as Go's exec.LookPath
 * does (runc's way, so the errors read as Docker's) and execs.
 *
 * Joining a pid namespace by path cannot be done that way: setns(CLONE_NEWPID) only
 * changes where the caller's later children go, and a rootless caller could not switch
 * back. A short-lived intermediate child joins it instead and clones the container's
 * process with CLONE_PARENT, which makes it the caller's child all the same.
 */
#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "file.h"
#include "lookpath.h"
#include "process.h"
#include "pty.h"
#include "rootfs.h"
#include "userns.h"
#include "verbs.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* What the child says over the sync socket. Exec success says nothing: the socket closes. */
enum report_kind { REPORT_READY = 1, REPORT_FAILED };

struct report {
	int kind;
	int exit_code; /* REPORT_FAILED: 125 setup, 126 cannot run, 127 not found */
	struct error error;
};

/* ---- the sync socket --------------------------------------------------------------- */

static int send_report(int fd, const struct report *r, int pass_fd)
{
	struct iovec iov = { .iov_base = (void *)r, .iov_len = sizeof *r };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (pass_fd >= 0) {
		memset(&control, 0, sizeof control);
		msg.msg_control = control.buf;
		msg.msg_controllen = sizeof control.buf;
		struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cmsg), &pass_fd, sizeof(int));
	}
	ssize_t n;
	do
		n = sendmsg(fd, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof *r ? 0 : -1;
}

/* 1 with *r (and *passed, -1 if none), 0 when the child closed its end, -1 on error. */
static int recv_report(int fd, struct report *r, int *passed, struct error *err)
{
	struct iovec iov = { .iov_base = r, .iov_len = sizeof *r };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control.buf,
		.msg_controllen = sizeof control.buf,
	};
	*passed = -1;
	ssize_t n;
	do
		n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return error_sys(err, "read the container process's report");
	for (struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg); cmsg != NULL; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
		if (cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS)
			memcpy(passed, CMSG_DATA(cmsg), sizeof(int));
	}
	if (n == 0)
		return 0;
	if ((size_t)n != sizeof *r) {
		if (*passed >= 0)
			close(*passed);
		return error_msg(err, "read the container process's report: short message");
	}
	r->error.msg[sizeof r->error.msg - 1] = '\0';
	return 1;
}

/* ---- in the child: helpers ------------------------------------------------------------ */

/* fds 0-2 from stdio, whatever numbers those have. */
static int take_stdio(const struct container_stdio *stdio, struct error *err)
{
	int from[3] = { stdio->in, stdio->out, stdio->err };
	int high[3];
	for (int i = 0; i < 3; i++) {
		high[i] = fcntl(from[i], F_DUPFD_CLOEXEC, 3);
		if (high[i] < 0)
			return error_sys(err, "set up stdio fd %d", i);
	}
	for (int i = 0; i < 3; i++) {
		if (dup2(high[i], i) < 0)
			return error_sys(err, "set up stdio fd %d", i);
		close(high[i]);
	}
	return 0;
}

static int join_namespaces(const struct spec *spec, struct error *err)
{
	/* The mount namespace last: the others' paths are host paths. */
	static const int order[] = { CLONE_NEWNET, CLONE_NEWIPC, CLONE_NEWUTS, CLONE_NEWCGROUP,
				     CLONE_NEWNS };
	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
		const struct spec_namespace *ns = spec_namespace(spec, order[i]);
		if (ns == NULL || ns->path == NULL)
			continue;
		cleanup_fd int fd = open(ns->path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return error_sys(err, "open %s namespace %s", ns->name, ns->path);
		if (setns(fd, ns->type) < 0)
			return error_sys(err, "join %s namespace %s", ns->name, ns->path);
	}
	return 0;
}

static int loopback_up(struct error *err)
{
	cleanup_fd int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return error_sys(err, "bring up lo: socket");
	struct ifreq ifr;
	memset(&ifr, 0, sizeof ifr);
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		return error_sys(err, "bring up lo: get flags");
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		return error_sys(err, "bring up lo");
	return 0;
}

/* chdir to the process's cwd, creating it (0755, as root) when missing, as Docker does. */
static int enter_cwd(const char *cwd, struct error *err)
{
	if (chdir(cwd) == 0)
		return 0;
	if (errno != ENOENT)
		return error_sys(err, "chdir to cwd %s", cwd);
	char path[PATH_MAX];
	if (snprintf(path, sizeof path, "%s", cwd) >= (int)sizeof path)
		return error_errno(err, ENAMETOOLONG, "chdir to cwd %s", cwd);
	for (char *p = path + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char saved = *p;
		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return error_sys(err, "create cwd %s", path);
		*p = saved;
		if (saved == '\0')
			break;
	}
	if (chdir(cwd) < 0)
		return error_sys(err, "chdir to cwd %s", cwd);
	return 0;
}

static int set_rlimits(const struct spec_process *p, struct error *err)
{
	for (size_t i = 0; i < p->rlimit_count; i++) {
		if (setrlimit((__rlimit_resource_t)p->rlimits[i].resource, &p->rlimits[i].limit) < 0)
			return error_sys(err, "set %s to %llu:%llu", p->rlimits[i].name,
					 (unsigned long long)p->rlimits[i].limit.rlim_cur,
					 (unsigned long long)p->rlimits[i].limit.rlim_max);
	}
	return 0;
}

/*
 * A non-root user must be able to reopen its stdio (/dev/stdout is /proc/self/fd/1, and
 * opening a pipe that way checks the pipe's owner), as runc makes sure. /dev/null is
 * left alone; failures are not fatal.
 */
static void give_stdio(uid_t uid)
{
	struct stat null_st;
	bool have_null = stat("/dev/null", &null_st) == 0;
	for (int fd = 0; fd <= 2; fd++) {
		struct stat st;
		if (fstat(fd, &st) < 0 || st.st_uid == uid)
			continue;
		if (have_null && S_ISCHR(st.st_mode) && st.st_rdev == null_st.st_rdev)
			continue;
		if (fchown(fd, uid, (gid_t)-1) < 0) {
			/* Not ours to change (an fd from outside the namespace): leave it. */
		}
	}
}

static int last_cap(void)
{
	char buf[16];
	struct error ignored;
	if (file_read("/proc/sys/kernel/cap_last_cap", buf, sizeof buf, &ignored) > 0)
		return atoi(buf);
	return CAP_LAST_CAP;
}

static int drop_bounding_set(uint64_t keep, struct error *err)
{
	int last = last_cap();
	for (int cap = 0; cap <= last && cap < 64; cap++) {
		if (keep & ((uint64_t)1 << cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
			return error_sys(err, "drop capability %d from the bounding set", cap);
	}
	return 0;
}

static int set_capabilities(const uint64_t *caps, struct error *err)
{
	struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[2];
	for (int i = 0; i < 2; i++) {
		data[i].effective = (uint32_t)(caps[CAPS_EFFECTIVE] >> (32 * i));
		data[i].permitted = (uint32_t)(caps[CAPS_PERMITTED] >> (32 * i));
		data[i].inheritable = (uint32_t)(caps[CAPS_INHERITABLE] >> (32 * i));
	}
	if (syscall(SYS_capset, &header, data) < 0)
		return error_sys(err, "set capabilities");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return error_sys(err, "clear ambient capabilities");
	int last = last_cap();
	for (int cap = 0; cap <= last && cap < 64; cap++) {
		if (!(caps[CAPS_AMBIENT] & ((uint64_t)1 << cap)))
			continue;
		/* The kernel wants an ambient capability permitted and inheritable too. */
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
			return error_sys(err, "raise ambient capability %d", cap);
	}
	return 0;
}

static int set_user(const struct spec_process *p, struct error *err)
{
	if (p->has_capabilities && drop_bounding_set(p->capabilities[CAPS_BOUNDING], err) < 0)
		return -1;
	/* Keep the permitted set across the uid change; capset then trims it to the spec's. */
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return error_sys(err, "keep capabilities");
	if (setgroups(p->additional_gid_count, p->additional_gids) < 0) {
		/* A namespace with setgroups denied (one mapping a single id) allows no groups. */
		if (!(errno == EPERM && p->additional_gid_count == 0))
			return error_sys(err, "set additional groups");
	}
	if (setresgid(p->gid, p->gid, p->gid) < 0)
		return error_sys(err, "set gid %u", (unsigned)p->gid);
	if (setresuid(p->uid, p->uid, p->uid) < 0)
		return error_sys(err, "set uid %u", (unsigned)p->uid);
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return error_sys(err, "reset keep-capabilities");
	if (p->has_capabilities && set_capabilities(p->capabilities, err) < 0)
		return -1;
	return 0;
}

/* The PATH args[0] is looked for in: the process's own, else runc's default. */
static const char *env_path(char *const *env)
{
	const char *path = DEFAULT_PATH;
	for (size_t i = 0; env[i] != NULL; i++) {
		if (strncmp(env[i], "PATH=", 5) == 0)
			path = env[i] + 5;
	}
	return path;
}

/* ---- in the child ------------------------------------------------------------------ */

struct child_args {
	const struct spec *spec;
	const struct container_stdio *stdio;
	unsigned flags;
	int sync_fd;
	int created; /* CLONE_NEW* flags of the namespaces made by the clone */
};

/* Everything up to the ready report; the pty master, if any, goes to *terminal. */
static int child_setup(const struct child_args *a, int *terminal, struct error *err)
{
	const struct spec *spec = a->spec;
	const struct spec_process *p = &spec->process;

	proc_reset_signals();
	if ((a->flags & CONTAINER_DIE_WITH_PARENT) && prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		return error_sys(err, "set the parent-death signal");
	if (setsid() < 0)
		return error_sys(err, "start a session");
	if (!p->terminal && take_stdio(a->stdio, err) < 0)
		return -1;
	/* Nothing of the caller's (log files, sockets) may reach the command. */
	if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		return error_sys(err, "mark fds close-on-exec");
	if (chdir(spec->bundle) < 0)
		return error_sys(err, "chdir to the bundle %s", spec->bundle);
	if (join_namespaces(spec, err) < 0)
		return -1;
	if ((a->created & CLONE_NEWNET) && loopback_up(err) < 0)
		return -1;

	bool initial;
	if (userns_is_initial(&initial, err) < 0)
		return -1;
	if (rootfs_enter(spec, !initial, err) < 0 || rootfs_finish(spec, err) < 0)
		return -1;
	if (spec->hostname != NULL && (a->created & CLONE_NEWUTS) &&
	    sethostname(spec->hostname, strlen(spec->hostname)) < 0)
		return error_sys(err, "set hostname %s", spec->hostname);

	if (p->terminal) {
		int slave;
		if (pty_open(terminal, &slave, err) < 0)
			return -1;
		int rc = pty_make_controlling(slave, err);
		if (rc == 0 && p->uid != 0 && fchown(slave, p->uid, (gid_t)-1) < 0)
			rc = error_sys(err, "give the pty to uid %u", (unsigned)p->uid);
		close(slave);
		if (rc < 0)
			return -1;
	}
	if (enter_cwd(p->cwd, err) < 0)
		return -1;
	if (p->has_oom_score_adj) {
		char value[16];
		snprintf(value, sizeof value, "%d", p->oom_score_adj);
		if (file_write("/proc/self/oom_score_adj", value, err) < 0)
			return error_wrap(err, "set oomScoreAdj");
	}
	if (set_rlimits(p, err) < 0)
		return -1;
	if (!p->terminal && p->uid != 0)
		give_stdio(p->uid);
	if (set_user(p, err) < 0)
		return -1;
	/* A change of uid or gid clears the parent-death signal: set it again for the command. */
	if ((a->flags & CONTAINER_DIE_WITH_PARENT) && prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		return error_sys(err, "set the parent-death signal");
	return 0;
}

static void child_fail(int sync_fd, int code, const struct error *err) __attribute__((noreturn));
static void child_fail(int sync_fd, int code, const struct error *err)
{
	struct report r = { .kind = REPORT_FAILED, .exit_code = code, .error = *err };
	send_report(sync_fd, &r, -1);
	_exit(code);
}

static void child_main(const struct child_args *a) __attribute__((noreturn));
static void child_main(const struct child_args *a)
{
	const struct spec_process *p = &a->spec->process;
	struct error err = { 0 };
	int terminal = -1;

	if (child_setup(a, &terminal, &err) < 0)
		child_fail(a->sync_fd, EXIT_ENGINE_ERROR, &err);
	struct report ready = { .kind = REPORT_READY };
	if (send_report(a->sync_fd, &ready, terminal) < 0)
		_exit(EXIT_ENGINE_ERROR); /* the caller is gone */
	if (terminal >= 0)
		close(terminal);

	/* The gate: one byte says go; end of file means the caller gave up. */
	char go;
	ssize_t n;
	do
		n = recv(a->sync_fd, &go, 1, 0);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		_exit(EXIT_ENGINE_ERROR);

	if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		error_sys(&err, "set no_new_privs");
		child_fail(a->sync_fd, EXIT_ENGINE_ERROR, &err);
	}
	char path[PATH_MAX];
	if (lookpath(p->args[0], env_path(p->env), path, sizeof path, &err) < 0)
		child_fail(a->sync_fd, err.errnum == EACCES ? EXIT_CANNOT_INVOKE : EXIT_NOT_FOUND, &err);
	execve(path, p->args, p->env);
	int errnum = errno;
	char text[128];
	if (errnum == ENOEXEC) {
		/* As runc: a file the kernel cannot run (another architecture) is the container's own
		 * failure: its stderr says so and it exits 1; the start itself succeeded. */
		dprintf(STDERR_FILENO, "exec %s: %s\n", path, go_strerror(errnum, text, sizeof text));
		close(a->sync_fd);
		_exit(1);
	}
	error_msg(&err, "exec %s: %s", path, go_strerror(errnum, text, sizeof text));
	child_fail(a->sync_fd, errnum == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_INVOKE, &err);
}

/* ---- in the caller ------------------------------------------------------------------- */

/* fork() with namespace flags; the child continues in glibc as after fork (no threads). */
static pid_t clone_process(unsigned long flags)
{
	return (pid_t)syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
}

/* Join the pid namespace at path in an intermediate child that clones the process as
 * the caller's child (CLONE_PARENT); returns its pid in the caller's namespace. */
static pid_t clone_into_pid_namespace(const char *path, unsigned long flags,
				      const struct child_args *a, struct error *err)
{
	cleanup_fd int nsfd = open(path, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0)
		return error_sys(err, "open pid namespace %s", path);
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return error_sys(err, "create pipe");
	cleanup_fd int read_end = fds[0];
	cleanup_fd int write_end = fds[1];

	cleanup_pid pid_t helper = proc_fork(err);
	if (helper < 0)
		return -1;
	if (helper == 0) {
		close(read_end);
		pid_t pid = -1;
		int errnum = 0;
		if (setns(nsfd, CLONE_NEWPID) < 0) {
			errnum = errno;
		} else {
			pid = clone_process(flags | CLONE_PARENT);
			errnum = errno;
			if (pid == 0) {
				close(write_end);
				child_main(a);
			}
		}
		int out[2] = { pid, errnum };
		_exit(write(write_end, out, sizeof out) == sizeof out ? 0 : 1);
	}
	close(steal_fd(&write_end));
	int in[2] = { -1, EIO };
	ssize_t n;
	do
		n = read(read_end, in, sizeof in);
	while (n < 0 && errno == EINTR);
	int status;
	if (proc_wait(helper, &status, err) < 0)
		return -1;
	helper = -1;
	if (n != (ssize_t)sizeof in || in[0] <= 0)
		return error_errno(err, in[1], "join pid namespace %s", path);
	return in[0];
}

int container_spawn(const struct spec *spec, const struct container_stdio *stdio, unsigned flags,
		    struct container *c, struct error *err)
{
	static const struct container_stdio no_stdio = { .in = 0, .out = 1, .err = 2 };
	if (stdio == NULL)
		stdio = &no_stdio;

	unsigned long created = CLONE_NEWNS;
	const struct spec_namespace *mount_ns = spec_namespace(spec, CLONE_NEWNS);
	if (mount_ns != NULL && mount_ns->path != NULL)
		created = 0;
	for (size_t i = 0; i < spec->namespace_count; i++) {
		if (spec->namespaces[i].path == NULL)
			created |= (unsigned long)spec->namespaces[i].type;
	}

	cleanup_fd int parent_end = -1;
	cleanup_fd int child_end = -1;
	if (proc_sync_pair(&parent_end, &child_end, err) < 0)
		return -1;
	struct child_args a = {
		.spec = spec,
		.stdio = stdio,
		.flags = flags,
		.sync_fd = child_end,
		.created = (int)created,
	};

	cleanup_pid pid_t pid = -1;
	const struct spec_namespace *pid_ns = spec_namespace(spec, CLONE_NEWPID);
	if (pid_ns != NULL && pid_ns->path != NULL) {
		pid = clone_into_pid_namespace(pid_ns->path, created, &a, err);
		if (pid < 0)
			return -1;
	} else {
		pid = clone_process(created);
		if (pid < 0)
			return error_sys(err, "create the container process (clone)");
		if (pid == 0) {
			close(parent_end);
			child_main(&a);
		}
	}
	close(steal_fd(&child_end));

	struct report r;
	int terminal = -1;
	int got = recv_report(parent_end, &r, &terminal, err);
	if (got < 0)
		return -1;
	if (got > 0 && r.kind == REPORT_READY) {
		if (spec->process.terminal && terminal < 0)
			return error_msg(err, "the container process sent no terminal");
		c->pid = pid;
		c->sync_fd = steal_fd(&parent_end);
		c->terminal = terminal;
		pid = -1;
		return 0;
	}
	if (terminal >= 0)
		close(terminal);
	int status;
	if (proc_wait(pid, &status, err) < 0)
		return -1;
	pid = -1;
	if (got > 0) {
		*err = r.error;
		return -1;
	}
	char how[64];
	proc_describe_status(status, how, sizeof how);
	return error_msg(err, "the container process %s before it was set up", how);
}

int container_start(struct container *c, int *exit_code, struct error *err)
{
	*exit_code = EXIT_ENGINE_ERROR;
	char go = 1;
	ssize_t n;
	do
		n = send(c->sync_fd, &go, 1, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		return error_sys(err, "start the container process");

	struct report r;
	int passed;
	int got = recv_report(c->sync_fd, &r, &passed, err);
	if (passed >= 0)
		close(passed);
	close(c->sync_fd);
	c->sync_fd = -1;
	if (got < 0)
		return -1;
	if (got == 0)
		return 0; /* the socket closed on exec */
	*exit_code = r.exit_code;
	*err = r.error;
	return -1;
}

void container_close(struct container *c)
{
	if (c->sync_fd >= 0)
		close(c->sync_fd);
	if (c->terminal >= 0)
		close(c->terminal);
	c->sync_fd = -1;
	c->terminal = -1;
}
