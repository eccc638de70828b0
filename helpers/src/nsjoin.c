/* nsjoin.c: entering the namespaces and root directory of a running process (the exec verb). */
#include "nsjoin.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"

/* In joining order: the user namespace first, since it grants the rights to join the rest. */
static const struct {
	const char *name;
	int type;
} namespaces[NSJOIN_COUNT] = {
	{ "user", CLONE_NEWUSER }, { "mnt", CLONE_NEWNS },	     { "uts", CLONE_NEWUTS },
	{ "ipc", CLONE_NEWIPC },   { "net", CLONE_NEWNET },	     { "cgroup", CLONE_NEWCGROUP },
	{ "time", CLONE_NEWTIME }, { "pid", CLONE_NEWPID },
};

void ns_target_init(struct ns_target *t)
{
	memset(t, 0, sizeof *t);
	t->pidfd = -1;
	t->root_fd = -1;
	t->cwd_fd = -1;
	for (int i = 0; i < NSJOIN_COUNT; i++)
		t->ns_fd[i] = -1;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void ns_target_close(struct ns_target *t)
{
	close_fd(&t->pidfd);
	close_fd(&t->root_fd);
	close_fd(&t->cwd_fd);
	for (int i = 0; i < NSJOIN_COUNT; i++)
		close_fd(&t->ns_fd[i]);
}

static int not_running(pid_t pid, struct error *err)
{
	error_msg(err, "container process %d is not running", (int)pid);
	err->errnum = ESRCH;
	return -1;
}

/* A process that exited (or is a zombie) has no namespaces or root left to open. */
static bool gone(int errnum)
{
	return errnum == ENOENT || errnum == ESRCH;
}

static int open_proc(pid_t pid, const char *name, int flags, int *fd, struct error *err)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, name);
	*fd = open(path, flags | O_RDONLY | O_CLOEXEC);
	if (*fd < 0 && gone(errno))
		return not_running(pid, err);
	if (*fd < 0)
		return error_sys(err, "open %s", path);
	return 0;
}

/* Whether the namespace behind fd is the one the caller is in already. */
static int is_own_namespace(int fd, const char *name, bool *own, struct error *err)
{
	char path[64];
	struct stat theirs;
	struct stat ours;
	snprintf(path, sizeof path, "/proc/self/ns/%s", name);
	if (fstat(fd, &theirs) < 0)
		return error_sys(err, "stat the %s namespace of the container process", name);
	if (stat(path, &ours) < 0)
		return error_sys(err, "stat %s", path);
	*own = theirs.st_dev == ours.st_dev && theirs.st_ino == ours.st_ino;
	return 0;
}

int ns_target_open(pid_t pid, struct ns_target *t, struct error *err)
{
	ns_target_init(t);
	t->pid = pid;

	/* Opened first: what is opened by pid afterwards belongs to this process if it is
	 * still alive when ns_target_check_alive() asks through the pidfd. */
	t->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (t->pidfd < 0 && errno == ESRCH)
		return not_running(pid, err);
	if (t->pidfd < 0 && errno != ENOSYS)
		return error_sys(err, "pidfd_open container process %d", (int)pid);

	for (int i = 0; i < NSJOIN_COUNT; i++) {
		char name[32];
		snprintf(name, sizeof name, "/proc/self/ns/%s", namespaces[i].name);
		/* A kernel without this kind of namespace (time before 5.6) has no such file. */
		if (access(name, F_OK) < 0 && errno == ENOENT)
			continue;
		snprintf(name, sizeof name, "ns/%s", namespaces[i].name);
		cleanup_fd int fd = -1;
		if (open_proc(pid, name, 0, &fd, err) < 0)
			return -1;
		bool own = false;
		if (is_own_namespace(fd, namespaces[i].name, &own, err) < 0)
			return -1;
		if (!own) {
			t->ns_fd[i] = steal_fd(&fd);
			t->differ |= namespaces[i].type;
		}
	}
	if (open_proc(pid, "root", O_DIRECTORY, &t->root_fd, err) < 0 ||
	    open_proc(pid, "cwd", O_DIRECTORY, &t->cwd_fd, err) < 0)
		return -1;
	return ns_target_check_alive(t, err);
}

int ns_target_check_alive(const struct ns_target *t, struct error *err)
{
	int rc = t->pidfd >= 0 ? (int)syscall(SYS_pidfd_send_signal, t->pidfd, 0, NULL, 0)
			       : kill(t->pid, 0);
	if (rc < 0 && errno == ESRCH)
		return not_running(t->pid, err);
	if (rc < 0)
		return error_sys(err, "check container process %d", (int)t->pid);
	return 0;
}

/* "mnt,uts,pid" for messages. */
static void describe_types(int types, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (int i = 0; i < NSJOIN_COUNT && used < len; i++) {
		if (!(types & namespaces[i].type))
			continue;
		int n = snprintf(buf + used, len - used, "%s%s", used ? "," : "", namespaces[i].name);
		if (n < 0)
			return;
		used += (size_t)n;
	}
}

static int join_one_by_one(const struct ns_target *t, int types, struct error *err)
{
	for (int i = 0; i < NSJOIN_COUNT; i++) {
		if (!(types & namespaces[i].type))
			continue;
		if (setns(t->ns_fd[i], namespaces[i].type) < 0)
			return error_sys(err, "join the %s namespace of container process %d",
					 namespaces[i].name, (int)t->pid);
	}
	return 0;
}

int ns_target_join(const struct ns_target *t, int types, struct error *err)
{
	bool enter_root = types & CLONE_NEWNS;
	types &= t->differ;
	if (types != 0) {
		int rc = -1;
		if (t->pidfd >= 0)
			rc = setns(t->pidfd, types);
		/* EINVAL: a kernel before 5.8, whose setns() takes namespace fds only (and
		 * for any other cause the one-by-one path names the namespace at fault). */
		if (rc < 0 && (t->pidfd < 0 || errno == EINVAL))
			rc = join_one_by_one(t, types, err);
		else if (rc < 0) {
			char names[64];
			describe_types(types, names, sizeof names);
			return error_sys(err, "join the namespaces (%s) of container process %d", names,
					 (int)t->pid);
		}
		if (rc < 0)
			return -1;
	}
	if (enter_root) {
		/* The process's own root, wherever its mount namespace's root is. */
		if (fchdir(t->root_fd) < 0)
			return error_sys(err, "enter the root of container process %d", (int)t->pid);
		if (chroot(".") < 0)
			return error_sys(err, "chroot to the root of container process %d", (int)t->pid);
	}
	return 0;
}
