/* pause.c: the pause process that holds a user's user and mount namespace, and joining it.
 *
 * Creating one takes three processes: the helper (H) forks a child (P) that unshares a
 * user and a mount namespace and waits on a sync socket; H maps P's user namespace from
 * outside (newuidmap/newgidmap, or by writing the maps itself for a single id) and says
 * go; P forks the pause process (Q) into the same namespaces and exits, so that Q is
 * reparented to init rather than left a child of the command H execs next (a shell's
 * `wait` would hang on it, and nobody would reap it). Q writes the pidfile itself, then
 * reports to H over the same socket and detaches. H holds pause.lock throughout, and finds
 * and joins Q through the pidfile exactly as any later caller does.
 */
#include "pause.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "file.h"
#include "process.h"

#define PAUSE_NAME "skiff-pause"
#define PIDFILE "pause.pid"
#define LOCKFILE "pause.lock"
#define STOP_TIMEOUT_MS 5000

void pause_close(struct pause *p)
{
	if (p->userns_fd >= 0)
		close(p->userns_fd);
	if (p->mntns_fd >= 0)
		close(p->mntns_fd);
	p->userns_fd = -1;
	p->mntns_fd = -1;
}

/* ---- the state directory and the pidfile ------------------------------------------- */

static int make_dirs(const char *path, struct error *err)
{
	cleanup_free char *copy = strdup(path);
	if (copy == NULL)
		return error_sys(err, "create state directory %s", path);
	for (char *p = copy + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char saved = *p;
		*p = '\0';
		if (mkdir(copy, 0700) < 0 && errno != EEXIST)
			return error_sys(err, "create state directory %s", copy);
		*p = saved;
		if (saved == '\0')
			return 0;
	}
}

int pause_open_state_dir(const char *path, bool create, struct pause_dir *dir, struct error *err)
{
	if (path[0] == '\0')
		return error_msg(err, "state directory: empty path");
	if (create && make_dirs(path, err) < 0)
		return -1;

	cleanup_fd int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return error_sys(err, "open state directory %s", path);
	struct stat st;
	if (fstat(fd, &st) < 0)
		return error_sys(err, "stat state directory %s", path);
	/* Anyone who can write the pidfile chooses the namespaces skiff joins. */
	if (st.st_uid != geteuid())
		return error_msg(err, "state directory %s is owned by uid %u, not by uid %u", path,
				 (unsigned)st.st_uid, (unsigned)geteuid());
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return error_msg(err, "state directory %s is writable by others (mode %04o); "
				      "make it private with chmod 0700",
				 path, (unsigned)(st.st_mode & 07777));
	dir->path = path;
	dir->fd = steal_fd(&fd);
	return 0;
}

/* The parts of /proc/PID/stat that tell a live pause process from anything else. */
struct proc_stat {
	char comm[16];
	char state;
	unsigned long long start_time; /* field 22 */
	unsigned long arg_start;       /* fields 48 and 49: where argv lies in memory */
	unsigned long arg_end;
};

/* pid 0 reads the caller's own. */
static int read_proc_stat(pid_t pid, struct proc_stat *st, struct error *err)
{
	char path[64];
	char text[2048];

	if (pid == 0)
		snprintf(path, sizeof path, "/proc/self/stat");
	else
		snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if (file_read(path, text, sizeof text, err) < 0)
		return -1;
	memset(st, 0, sizeof *st);

	/* comm may hold spaces and parentheses: it ends at the last ')'. */
	char *open = strchr(text, '(');
	char *close = strrchr(text, ')');
	if (open == NULL || close == NULL || close < open)
		return error_msg(err, "%s: cannot parse \"%.40s\"", path, text);
	size_t n = (size_t)(close - open - 1);
	if (n >= sizeof st->comm)
		n = sizeof st->comm - 1;
	memcpy(st->comm, open + 1, n);
	st->comm[n] = '\0';

	int field = 3;
	char *save = NULL;
	for (char *value = strtok_r(close + 1, " \n", &save); value != NULL;
	     value = strtok_r(NULL, " \n", &save), field++) {
		if (field == 3)
			st->state = value[0];
		else if (field == 22)
			st->start_time = strtoull(value, NULL, 10);
		else if (field == 48)
			st->arg_start = strtoul(value, NULL, 10);
		else if (field == 49)
			st->arg_end = strtoul(value, NULL, 10);
	}
	if (field <= 22)
		return error_msg(err, "%s: only %d fields", path, field - 1);
	return 0;
}

/* Read pause.pid: 1 with *pid and *start_time set, 0 when it is missing or malformed. */
static int read_pidfile(const struct pause_dir *dir, pid_t *pid, unsigned long long *start_time,
			struct error *err)
{
	cleanup_fd int fd = openat(dir->fd, PIDFILE, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0)
		return error_sys(err, "open %s/%s", dir->path, PIDFILE);
	char text[64];
	ssize_t n;
	do
		n = read(fd, text, sizeof text - 1);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return error_sys(err, "read %s/%s", dir->path, PIDFILE);
	text[n] = '\0';

	/* Written whole by rename, so anything else is not ours: a new one replaces it. */
	int value;
	char end;
	if (sscanf(text, "%d %llu%c", &value, start_time, &end) != 3 || end != '\n' || value <= 0)
		return 0;
	*pid = value;
	return 1;
}

/* Written by the pause process about itself, via a temporary name so readers see either
 * the old pidfile or the new one. No fsync: after a crash the start time no longer
 * matches any process, and a stale pidfile only means the next caller makes a new one. */
static int write_pidfile(const struct pause_dir *dir, struct error *err)
{
	struct proc_stat self;
	if (read_proc_stat(0, &self, err) < 0)
		return -1;
	char line[64];
	snprintf(line, sizeof line, "%d %llu\n", (int)getpid(), self.start_time);
	char temp[64];
	snprintf(temp, sizeof temp, "%s.%d.tmp", PIDFILE, (int)getpid());

	cleanup_fd int fd =
		openat(dir->fd, temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return error_sys(err, "create %s/%s", dir->path, temp);
	size_t len = strlen(line);
	ssize_t n = write(fd, line, len);
	if (n < 0 || (size_t)n != len || close(steal_fd(&fd)) < 0) {
		error_sys(err, "write %s/%s", dir->path, temp);
		unlinkat(dir->fd, temp, 0);
		return -1;
	}
	if (renameat(dir->fd, temp, dir->fd, PIDFILE) < 0) {
		error_sys(err, "rename %s/%s to %s", dir->path, temp, PIDFILE);
		unlinkat(dir->fd, temp, 0);
		return -1;
	}
	return 0;
}

/* ---- finding the pause process ------------------------------------------------------ */

/* Errors that mean "no such process of ours": it exited, or the pid is someone else's. */
static bool process_gone(int errnum)
{
	return errnum == ENOENT || errnum == ESRCH || errnum == EACCES || errnum == EPERM;
}

/* 1 when pid is still the pause process that started at start_time, 0 when it is not. */
static int is_pause(pid_t pid, unsigned long long start_time, struct error *err)
{
	struct proc_stat st;
	if (read_proc_stat(pid, &st, err) < 0)
		return process_gone(err->errnum) ? 0 : -1;
	return st.start_time == start_time && strcmp(st.comm, PAUSE_NAME) == 0 && st.state != 'Z' &&
	       st.state != 'X';
}

static int open_namespace(pid_t pid, const char *name, int *fd, struct error *err)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/ns/%s", (int)pid, name);
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd >= 0)
		return 1;
	return process_gone(errno) ? 0 : error_sys(err, "open %s", path);
}

int pause_find(const struct pause_dir *dir, struct pause *p, struct error *err)
{
	pid_t pid = 0;
	unsigned long long start_time = 0;
	int rc = read_pidfile(dir, &pid, &start_time, err);
	if (rc <= 0)
		return rc;

	/* Namespaces first, identity second: if the process is still the one the pidfile
	 * names after both are open, the fds are its namespaces whatever happens next. */
	cleanup_fd int userns_fd = -1;
	cleanup_fd int mntns_fd = -1;
	rc = open_namespace(pid, "user", &userns_fd, err);
	if (rc > 0)
		rc = open_namespace(pid, "mnt", &mntns_fd, err);
	if (rc > 0)
		rc = is_pause(pid, start_time, err);
	if (rc <= 0)
		return rc;

	pause_close(p);
	p->pid = pid;
	p->start_time = start_time;
	p->userns_fd = steal_fd(&userns_fd);
	p->mntns_fd = steal_fd(&mntns_fd);
	return 1;
}

/* ---- creating it --------------------------------------------------------------------- */

/* Make /proc/PID/cmdline read "skiff-pause" instead of the first caller's command line
 * (which would mislead anyone reading `ps`): overwrite the argument strings in place. A
 * non-NUL last byte tells the kernel to show the area only up to its first NUL, as for
 * setproctitle(3). Best effort; argv's strings (optarg too) are gone afterwards. */
static void set_cmdline(void)
{
	struct proc_stat self;
	struct error ignored;
	if (read_proc_stat(0, &self, &ignored) < 0 || self.arg_start == 0 ||
	    self.arg_end < self.arg_start + sizeof PAUSE_NAME + 1)
		return;
	char *area = (char *)self.arg_start;
	size_t len = self.arg_end - self.arg_start;
	memset(area, 0, len);
	memcpy(area, PAUSE_NAME, sizeof PAUSE_NAME);
	area[len - 1] = ' ';
}

/* Put /dev/null on fds 0-2 and close every other fd but keep, which moves to a new number
 * (returned) in case it was one of 0-2. The caller's pipes must not stay open in a
 * process that lives for days: `$(skiff ...)` would never see end of file. */
static int detach_fds(int keep, struct error *err)
{
	int moved = fcntl(keep, F_DUPFD_CLOEXEC, 3);
	if (moved < 0)
		return error_sys(err, "duplicate the sync socket");
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0)
		return error_sys(err, "open /dev/null");
	for (int fd = 0; fd < 3; fd++) {
		if (null != fd && dup2(null, fd) < 0)
			return error_sys(err, "redirect fd %d to /dev/null", fd);
	}
	if ((moved > 3 && close_range(3, (unsigned)moved - 1, 0) < 0) ||
	    close_range((unsigned)moved + 1, ~0U, 0) < 0) {
		if (errno != ENOSYS)
			return error_sys(err, "close inherited fds");
		long max = sysconf(_SC_OPEN_MAX);
		for (long fd = 3; fd < (max > 0 && max < 65536 ? max : 65536); fd++) {
			if (fd != moved)
				close((int)fd);
		}
	}
	return moved;
}

/* Everything the pause process does before it reports; returns the sync socket's new fd. */
static int pause_setup(int sync, const struct pause_dir *dir, struct error *err)
{
	if (prctl(PR_SET_NAME, PAUSE_NAME) < 0)
		return error_sys(err, "name the pause process");
	/* Its own session: no terminal, no job-control signals from the caller's shell. */
	if (setsid() < 0)
		return error_sys(err, "setsid in the pause process");
	sigset_t mask;
	sigfillset(&mask);
	sigdelset(&mask, SIGTERM);
	if (sigprocmask(SIG_SETMASK, &mask, NULL) < 0)
		return error_sys(err, "block signals in the pause process");
	/* A caller may have ignored SIGTERM, and that would be inherited. */
	if (signal(SIGTERM, SIG_DFL) == SIG_ERR)
		return error_sys(err, "reset SIGTERM in the pause process");
	if (chdir("/") < 0)
		return error_sys(err, "chdir / in the pause process");
	if (write_pidfile(dir, err) < 0)
		return -1;
	set_cmdline();
	return detach_fds(sync, err);
}

static void __attribute__((noreturn)) become_pause(int sync, const struct pause_dir *dir)
{
	struct error outcome = { 0 };
	struct error ignored;
	int fd = pause_setup(sync, dir, &outcome);
	if (fd < 0) {
		error_send(sync, &outcome, &ignored);
		_exit(1);
	}
	memset(&outcome, 0, sizeof outcome);
	/* The helper gone means nobody joins: leave, and the pidfile is stale. */
	if (error_send(fd, &outcome, &ignored) < 0)
		_exit(1);
	close(fd);
	for (;;)
		pause();
}

/* P: unshare, wait to be mapped, fork the pause process. Returns only on failure. */
static int namespace_child(void *arg, int sync, struct error *err)
{
	const struct pause_dir *dir = arg;
	struct error message = { 0 };

	/* The new mount namespace is owned by the new user namespace, which makes it less
	 * privileged than the caller's: the kernel turns shared mounts into slaves, so host
	 * mounts still show up inside and nothing mounted inside reaches the host. */
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
		return error_sys(err, "unshare user and mount namespaces");
	if (error_send(sync, &message, err) < 0)
		return -1;
	int got = error_recv(sync, &message, err);
	if (got <= 0)
		return got < 0 ? -1 : error_msg(err, "helper stopped before mapping the user namespace");

	pid_t pid = fork();
	if (pid < 0)
		return error_sys(err, "fork the pause process");
	if (pid == 0)
		become_pause(sync, dir);
	_exit(0);
}

/* Read the next report from the child side; a report with a message is its failure. */
static int expect_ok(int sync, const char *step, struct error *err)
{
	struct error message;
	int got = error_recv(sync, &message, err);
	if (got < 0)
		return error_wrap(err, "%s", step);
	if (got == 0)
		return error_msg(err, "%s: the child process exited without reporting", step);
	if (message.msg[0] != '\0') {
		*err = message;
		return -1;
	}
	return 0;
}

static void expected_maps(const struct pause_idmap *idmap, struct id_range uid_map[2],
			  struct id_range gid_map[2], size_t *n)
{
	if (idmap->single_id) {
		uid_map[0] = (struct id_range){ .inner = 0, .outer = geteuid(), .count = 1 };
		gid_map[0] = (struct id_range){ .inner = 0, .outer = getegid(), .count = 1 };
		*n = 1;
		return;
	}
	userns_full_map(geteuid(), idmap->uid_start, idmap->uid_count, uid_map);
	userns_full_map(getegid(), idmap->gid_start, idmap->gid_count, gid_map);
	*n = 2;
}

static int map_ids(pid_t pid, const struct pause_idmap *idmap, struct error *err)
{
	if (idmap->single_id) {
		if (userns_map_single(pid, geteuid(), getegid(), err) < 0)
			return error_wrap(err, "map uid 0 to %u in the new user namespace",
					  (unsigned)geteuid());
		return 0;
	}
	struct id_range uid_map[2];
	struct id_range gid_map[2];
	size_t n;
	expected_maps(idmap, uid_map, gid_map, &n);
	if (userns_map_with_tool(idmap->newuidmap, pid, uid_map, n, err) < 0)
		return -1;
	return userns_map_with_tool(idmap->newgidmap, pid, gid_map, n, err);
}

static int create(const struct pause_dir *dir, const struct pause_idmap *idmap, struct error *err)
{
	/* Forked by proc_fork: if the helper dies half-way, P dies too (Q is forked only after). */
	cleanup_fd int parent_end = -1;
	cleanup_pid pid_t pid = proc_spawn(namespace_child, (void *)dir, &parent_end, err);
	if (pid < 0)
		return -1;

	if (expect_ok(parent_end, "create the user namespace", err) < 0)
		return -1;
	if (map_ids(pid, idmap, err) < 0)
		return -1;
	struct error go = { 0 };
	if (error_send(parent_end, &go, err) < 0)
		return error_wrap(err, "start the pause process");
	if (expect_ok(parent_end, "start the pause process", err) < 0)
		return -1;
	int status;
	if (proc_wait(pid, &status, err) < 0)
		return -1;
	pid = -1;
	return 0;
}

static int lock_state_dir(const struct pause_dir *dir, struct error *err)
{
	cleanup_fd int fd = openat(dir->fd, LOCKFILE, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return error_sys(err, "open %s/%s", dir->path, LOCKFILE);
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR)
			return error_sys(err, "lock %s/%s", dir->path, LOCKFILE);
	}
	return steal_fd(&fd);
}

/* Release explicitly rather than by close: a copy of the fd in a child would keep it. */
static void unlock_state_dir(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		flock(*fd, LOCK_UN);
		close(*fd);
		errno = saved;
	}
}

#define cleanup_lock __attribute__((cleanup(unlock_state_dir)))

static int check_map(const struct pause *p, const char *which, const struct id_range *want,
		     size_t n, struct error *err)
{
	struct id_range got[ID_MAP_MAX_RANGES];
	size_t n_got;
	if (userns_read_map(p->pid, which, got, ID_MAP_MAX_RANGES, &n_got, err) < 0)
		return error_wrap(err, "pause process %d", (int)p->pid);
	if (userns_map_equal(got, n_got, want, n))
		return 0;
	char got_text[256];
	char want_text[256];
	userns_format_map(got, n_got, got_text, sizeof got_text);
	userns_format_map(want, n, want_text, sizeof want_text);
	return error_msg(err,
			 "pause process %d has %s %s, not %s as asked; stop it (userns --stop) "
			 "so the next call creates one with the new map",
			 (int)p->pid, which, got_text, want_text);
}

int pause_ensure(const struct pause_dir *dir, const struct pause_idmap *idmap, struct pause *p,
		 struct error *err)
{
	int rc = pause_find(dir, p, err);
	if (rc < 0)
		return -1;
	if (rc == 0) {
		cleanup_lock int lock = lock_state_dir(dir, err);
		if (lock < 0)
			return -1;
		/* Another caller may have created it while this one waited for the lock. */
		rc = pause_find(dir, p, err);
		if (rc == 0 && create(dir, idmap, err) < 0)
			return -1;
		if (rc == 0)
			rc = pause_find(dir, p, err);
		if (rc < 0)
			return -1;
		if (rc == 0)
			return error_msg(err, "the new pause process exited at once");
	}

	struct id_range uid_map[2];
	struct id_range gid_map[2];
	size_t n;
	expected_maps(idmap, uid_map, gid_map, &n);
	if (check_map(p, "uid_map", uid_map, n, err) < 0 || check_map(p, "gid_map", gid_map, n, err) < 0)
		return -1;
	return 0;
}

/* ---- joining and stopping it -------------------------------------------------------- */

int pause_join(const struct pause *p, struct error *err)
{
	/* Joining a mount namespace moves the working directory to its root. */
	cleanup_free char *cwd = get_current_dir_name();
	if (cwd == NULL)
		return error_sys(err, "get the working directory");

	if (setns(p->userns_fd, CLONE_NEWUSER) < 0)
		return error_sys(err, "join the user namespace of pause process %d", (int)p->pid);
	if (setns(p->mntns_fd, CLONE_NEWNS) < 0)
		return error_sys(err, "join the mount namespace of pause process %d", (int)p->pid);
	if (chdir(cwd) < 0)
		return error_sys(err, "chdir %s in the mount namespace of pause process %d", cwd,
				 (int)p->pid);
	if (setresgid(0, 0, 0) < 0)
		return error_sys(err, "setresgid 0 in the user namespace");
	/* Host groups show up as the overflow gid inside; a single-id namespace has
	 * setgroups denied (the kernel's condition for writing its gid_map), so keep them. */
	if (setgroups(0, NULL) < 0 && errno != EPERM)
		return error_sys(err, "setgroups to none in the user namespace");
	if (setresuid(0, 0, 0) < 0)
		return error_sys(err, "setresuid 0 in the user namespace");
	return 0;
}

static int signal_pause(const struct pause *p, int signal, struct error *err)
{
	/* Through a pidfd checked to still be the pause process, so a reused pid is never hit. */
	cleanup_fd int pidfd = (int)syscall(SYS_pidfd_open, p->pid, 0);
	if (pidfd < 0 && errno == ESRCH)
		return 0;
	if (pidfd < 0 && errno != ENOSYS)
		return error_sys(err, "pidfd_open pause process %d", (int)p->pid);
	int rc = is_pause(p->pid, p->start_time, err);
	if (rc <= 0)
		return rc;
	if (pidfd >= 0)
		rc = (int)syscall(SYS_pidfd_send_signal, pidfd, signal, NULL, 0);
	else
		rc = kill(p->pid, signal);
	if (rc < 0 && errno != ESRCH)
		return error_sys(err, "kill pause process %d with SIG%s", (int)p->pid,
				 sigabbrev_np(signal) ?: "?");
	return 0;
}

/* Wait until the pause process has exited; 1 when it did within timeout_ms, else 0. */
static int wait_gone(const struct pause *p, int timeout_ms, struct error *err)
{
	const struct timespec step = { .tv_sec = 0, .tv_nsec = 10 * 1000 * 1000 };
	for (int waited = 0; waited <= timeout_ms; waited += 10) {
		int rc = is_pause(p->pid, p->start_time, err);
		if (rc <= 0)
			return rc < 0 ? -1 : 1;
		nanosleep(&step, NULL);
	}
	return 0;
}

int pause_stop(const struct pause_dir *dir, struct error *err)
{
	cleanup_lock int lock = lock_state_dir(dir, err);
	if (lock < 0)
		return -1;
	struct pause p = PAUSE_INIT;
	int rc = pause_find(dir, &p, err);
	pause_close(&p);
	if (rc < 0)
		return -1;
	if (rc > 0) {
		if (signal_pause(&p, SIGTERM, err) < 0)
			return -1;
		rc = wait_gone(&p, STOP_TIMEOUT_MS, err);
		if (rc == 0 && signal_pause(&p, SIGKILL, err) == 0)
			rc = wait_gone(&p, STOP_TIMEOUT_MS, err);
		if (rc < 0)
			return -1;
		if (rc == 0)
			return error_msg(err, "pause process %d did not exit after SIGKILL", (int)p.pid);
	}
	if (unlinkat(dir->fd, PIDFILE, 0) < 0 && errno != ENOENT)
		return error_sys(err, "remove %s/%s", dir->path, PIDFILE);
	return 0;
}
