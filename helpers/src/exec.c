/* exec.c: the `exec` verb: run a process in a running container, as `docker exec` does.
 *
 *     skiff-helper exec --pid PID [--tty] [--interactive] [--detach] [--user UID:GID]
 *         [--groups GID,...] [--cwd DIR] [--env K=V]... [--env-clear] -- CMD [ARG...]
 *
 * PID is the container's init as the caller sees it. skiff runs this verb through
 * `skiff-helper userns ... --` (as uid 0 in the user's namespace, where the container was
 * started) or, as root, directly. It joins the init's mount, uts, ipc, net, cgroup, time
 * and pid namespaces (its user namespace too if that is not the caller's), takes the
 * init's root directory, and forks the process there, which:
 *
 *   - is in a session of its own; with --tty its controlling terminal and stdio are a new
 *     pty from the container's /dev/ptmx (/dev/pts/N inside), otherwise it inherits the
 *     helper's stdout and stderr, and stdin too with --interactive (else /dev/null);
 *   - has the init's resource limits and capability bounding set, and no_new_privs if
 *     the init has it (a seccomp filter cannot be copied: see below);
 *   - runs in --cwd (default: the init's working directory) with umask 022, as UID:GID
 *     (numeric; default 0:0) with exactly the --groups given, and with exactly the --env
 *     variables as its environment (--env-clear says so explicitly: it is the default);
 *   - is CMD, found with the environment's PATH as runc finds it (Go's exec.LookPath).
 *
 * The helper stays as its parent: it forwards SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1
 * and SIGUSR2 to it, and with --tty relays the pty (stdin -> pty with --interactive,
 * pty -> stdout), with its own terminal in raw mode meanwhile when stdin is one, and the
 * window size of its stdout (else stdin) copied at start and on SIGWINCH. It exits with
 * the process's status, 128+N when signal N killed it. With --detach it exits 0 as soon
 * as CMD is running, which is left with /dev/null (or the pty) as stdio, and which the
 * helper's exit hands to the caller's reaper; a --tty pty is then read and discarded by
 * a small process of its own ("skiff-ptydrain") until the last user closes it.
 *
 * Failures: 126 when the process could not be started, with Docker's line, e.g.
 *
 *     OCI runtime exec failed: exec failed: unable to start container process: exec:
 *     "nosuch": executable file not found in $PATH: unknown
 *
 * (Docker 20.10 exits 126 for every exec start failure, "not found" included), and 125
 * with one "skiff-helper: ..." line when the helper fails, usage errors included, e.g.
 * "skiff-helper: container process 1234 is not running".
 *
 * Not done here: the process stays in the helper's cgroup, and it does not get the
 * container's seccomp filter (reading one back needs CAP_SYS_ADMIN on the host).
 *
 * By hand, with a "container" made by unshare (see helpers/README.md):
 *
 *     helpers/skiff-helper exec --pid 4242 --cwd / --env PATH=/usr/bin:/bin -- hostname
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "file.h"
#include "lookpath.h"
#include "nsjoin.h"
#include "process.h"
#include "pty.h"
#include "verbs.h"

extern char **environ;

struct exec_options {
	pid_t pid;
	bool tty;
	bool interactive;
	bool detach;
	uid_t uid;
	gid_t gid;
	bool has_groups;
	gid_t *groups;
	size_t group_count;
	const char *cwd;
	char **env; /* NULL-terminated */
	size_t env_count;
	char **command;
};

/* What the process takes over from the container's init, as Docker's exec processes do. */
struct inherited {
	uint64_t cap_bounding;
	int cap_last;
	bool no_new_privs;
	struct rlimit rlimits[RLIM_NLIMITS];
};

/* The signals a `docker exec` sig-proxy passes on; SIGCHLD and SIGWINCH are the helper's. */
static const int forwarded_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };

/* The process could not be started: Docker's wording around runc's, and Docker's status. */
static int fail_start(const struct error *err)
{
	fprintf(stderr, "OCI runtime exec failed: exec failed: unable to start container process: %s: unknown\n",
		err->msg);
	return EXIT_CANNOT_INVOKE;
}

static void usage(FILE *out)
{
	fputs("usage: skiff-helper exec --pid PID [-t|--tty] [-i|--interactive] [-d|--detach] [--user UID:GID]\n"
	      "                         [--groups GID,...] [--cwd DIR] [--env K=V]... [--env-clear]\n"
	      "                         -- CMD [ARG...]\n"
	      "\n"
	      "Runs CMD in the namespaces and root of the running container whose init is PID,\n"
	      "with that init's resource limits, capability bounding set and no_new_privs, as\n"
	      "UID:GID (default 0:0) with exactly the --env variables. --tty: on a new pty of the\n"
	      "container, relayed to stdout (and from stdin with --interactive; without it stdin\n"
	      "is /dev/null). --detach: exit 0 once CMD runs. Signals INT TERM HUP QUIT USR1 USR2\n"
	      "are forwarded. Exit status: CMD's (128+N if killed by signal N), 126 (CMD could\n"
	      "not be started), 125 (helper error).\n",
	      out);
}

/* A decimal id: 0 to 2^32 - 2 ((uid_t)-1 means "unchanged" to the kernel). */
static bool parse_id(const char *text, const char **end, unsigned long *id)
{
	char *stop;
	if (*text < '0' || *text > '9')
		return false;
	errno = 0;
	*id = strtoul(text, &stop, 10);
	*end = stop;
	return errno == 0 && *id <= 0xfffffffeUL;
}

static bool parse_user(const char *text, uid_t *uid, gid_t *gid)
{
	const char *end;
	unsigned long u, g;
	if (!parse_id(text, &end, &u) || *end != ':' || !parse_id(end + 1, &end, &g) || *end != '\0')
		return false;
	*uid = (uid_t)u;
	*gid = (gid_t)g;
	return true;
}

/* "GID,GID,..." or "" for none; groups is allocated (the caller frees it). */
static bool parse_groups(const char *text, gid_t **groups, size_t *count)
{
	size_t max = 1;
	for (const char *c = text; *c != '\0'; c++)
		max += *c == ',';
	free(*groups);
	*groups = calloc(max, sizeof **groups);
	*count = 0;
	if (*groups == NULL)
		return false;
	if (*text == '\0')
		return true;
	for (const char *c = text;; c++) {
		unsigned long g;
		if (!parse_id(c, &c, &g))
			return false;
		(*groups)[(*count)++] = (gid_t)g;
		if (*c == '\0')
			return true;
		if (*c != ',')
			return false;
	}
}

/* Returns -1 when the options are good, otherwise the exit status. */
static int parse_options(int argc, char **argv, struct exec_options *o)
{
	static const struct option long_options[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "tty", no_argument, NULL, 't' },
		{ "interactive", no_argument, NULL, 'i' },
		{ "detach", no_argument, NULL, 'd' },
		{ "user", required_argument, NULL, 'u' },
		{ "groups", required_argument, NULL, 'G' },
		{ "cwd", required_argument, NULL, 'w' },
		{ "env", required_argument, NULL, 'e' },
		{ "env-clear", no_argument, NULL, 'E' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};

	opterr = 0;
	optind = 1;
	for (;;) {
		/* "+": options end at CMD, whose own options are not ours. */
		int c = getopt_long(argc, argv, "+hitd", long_options, NULL);
		if (c == -1)
			break;
		const char *end;
		unsigned long pid;
		switch (c) {
		case 'p':
			if (!parse_id(optarg, &end, &pid) || *end != '\0' || pid == 0 || pid > INT32_MAX)
				return error_usage("exec", EXIT_ENGINE_ERROR,
						   "--pid wants a process id, got \"%s\"", optarg);
			o->pid = (pid_t)pid;
			break;
		case 't':
			o->tty = true;
			break;
		case 'i':
			o->interactive = true;
			break;
		case 'd':
			o->detach = true;
			break;
		case 'u':
			if (!parse_user(optarg, &o->uid, &o->gid))
				return error_usage("exec", EXIT_ENGINE_ERROR,
						   "--user wants numeric UID:GID, got \"%s\"", optarg);
			break;
		case 'G':
			if (!parse_groups(optarg, &o->groups, &o->group_count))
				return error_usage("exec", EXIT_ENGINE_ERROR,
						   "--groups wants numeric GID,GID,..., got \"%s\"", optarg);
			o->has_groups = true;
			break;
		case 'w':
			if (optarg[0] != '/')
				return error_usage("exec", EXIT_ENGINE_ERROR,
						   "--cwd wants an absolute path, got \"%s\"", optarg);
			o->cwd = optarg;
			break;
		case 'e':
			if (strchr(optarg, '=') == NULL || optarg[0] == '=')
				return error_usage("exec", EXIT_ENGINE_ERROR,
						   "--env wants NAME=VALUE, got \"%s\"", optarg);
			o->env[o->env_count++] = optarg;
			break;
		case 'E':
			break;
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS;
		default:
			return error_usage("exec", EXIT_ENGINE_ERROR,
					   "unknown option or missing value: %s", argv[optind - 1]);
		}
	}
	if (o->pid == 0)
		return error_usage("exec", EXIT_ENGINE_ERROR, "--pid PID is required");
	if (optind == argc)
		return error_usage("exec", EXIT_ENGINE_ERROR, "no command given (CMD after --)");
	o->command = argv + optind;
	return -1;
}

static int read_inherited(pid_t pid, struct inherited *inh, struct error *err)
{
	char path[64];
	char status[8192];
	memset(inh, 0, sizeof *inh);
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	if (file_read(path, status, sizeof status, err) < 0)
		return -1;
	const char *bnd = strstr(status, "\nCapBnd:");
	const char *nnp = strstr(status, "\nNoNewPrivs:");
	if (bnd == NULL || sscanf(bnd, "\nCapBnd: %" SCNx64, &inh->cap_bounding) != 1)
		return error_msg(err, "%s has no CapBnd line", path);
	int flag = 0;
	if (nnp != NULL && sscanf(nnp, "\nNoNewPrivs: %d", &flag) != 1)
		return error_msg(err, "%s has a bad NoNewPrivs line", path);
	inh->no_new_privs = flag != 0;

	char last[32];
	struct error ignored;
	inh->cap_last = CAP_LAST_CAP;
	if (file_read("/proc/sys/kernel/cap_last_cap", last, sizeof last, &ignored) > 0)
		inh->cap_last = atoi(last);

	for (int r = 0; r < RLIM_NLIMITS; r++) {
		if (prlimit(pid, (enum __rlimit_resource)r, NULL, &inh->rlimits[r]) < 0)
			return error_sys(err, "read resource limit %d of container process %d", r, (int)pid);
	}
	return 0;
}

static int drop_capabilities(const struct inherited *inh, struct error *err)
{
	for (int cap = 0; cap <= inh->cap_last && cap < 64; cap++) {
		if (inh->cap_bounding & ((uint64_t)1 << cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
			return error_sys(err, "drop capability %d from the bounding set", cap);
	}
	/* As uid 0 the process would get its inheritable set back at exec, bounding set or not. */
	struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[2];
	if (syscall(SYS_capget, &header, data) < 0)
		return error_sys(err, "capget");
	data[0].inheritable &= (uint32_t)inh->cap_bounding;
	data[1].inheritable &= (uint32_t)(inh->cap_bounding >> 32);
	if (syscall(SYS_capset, &header, data) < 0)
		return error_sys(err, "capset");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return error_sys(err, "clear the ambient capabilities");
	return 0;
}

/* What the forked process needs; everything else of the helper's it closes or leaves. */
struct child_setup {
	const struct exec_options *o;
	const struct inherited *inh;
	int slave;  /* the pty's slave with --tty, else -1 */
	int devnull;
	int cwd_fd; /* the init's working directory, for no --cwd */
};

/* Everything between fork and exec, in the container; errors read as runc's where it has one. */
static int prepare_child(const struct child_setup *c, char *path, size_t len, struct error *err)
{
	const struct exec_options *o = c->o;
	char text[128];

	if (setsid() < 0)
		return error_sys(err, "setsid");
	if (c->slave >= 0) {
		if (pty_make_controlling(c->slave, err) < 0)
			return -1;
		if (c->slave > STDERR_FILENO)
			close(c->slave);
		/* As runc does, the user gets its own terminal (before setuid, while we may). */
		if ((o->uid != 0 || o->gid != 0) && fchown(STDIN_FILENO, o->uid, o->gid) < 0)
			return error_sys(err, "chown the pty to %u:%u", (unsigned)o->uid, (unsigned)o->gid);
	} else {
		int first = o->detach ? STDIN_FILENO : o->interactive ? -1 : STDIN_FILENO;
		int last = o->detach ? STDERR_FILENO : STDIN_FILENO;
		for (int fd = first; fd >= 0 && fd <= last; fd++) {
			if (dup2(c->devnull, fd) < 0)
				return error_sys(err, "dup /dev/null to fd %d", fd);
		}
	}
	if (c->devnull > STDERR_FILENO)
		close(c->devnull);

	umask(022);
	if (o->cwd != NULL ? chdir(o->cwd) < 0 : fchdir(c->cwd_fd) < 0)
		return error_msg(err, "chdir to cwd (\"%s\") set in config.json failed: %s",
				 o->cwd ? o->cwd : ".", go_strerror(errno, text, sizeof text));

	for (int r = 0; r < RLIM_NLIMITS; r++) {
		/* Raising a hard limit past the helper's needs CAP_SYS_RESOURCE on the host, which
		 * the init could not have had either: keep the helper's then. */
		if (setrlimit((enum __rlimit_resource)r, &c->inh->rlimits[r]) < 0 && errno != EPERM)
			return error_sys(err, "set resource limit %d", r);
	}
	if (drop_capabilities(c->inh, err) < 0)
		return -1;

	/* Without --groups: none. A namespace with setgroups denied (a single-id one) keeps
	 * what it has, as the userns verb does. */
	if (setgroups(o->group_count, o->groups) < 0 && (o->has_groups || errno != EPERM))
		return error_sys(err, "setgroups");
	if (setresgid(o->gid, o->gid, o->gid) < 0)
		return error_sys(err, "setresgid %u", (unsigned)o->gid);
	if (setresuid(o->uid, o->uid, o->uid) < 0)
		return error_sys(err, "setresuid %u", (unsigned)o->uid);
	if (c->inh->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return error_sys(err, "set no_new_privs");

	environ = o->env;
	if (lookpath(o->command[0], getenv("PATH"), path, len, err) < 0)
		return -1;
	/* Nothing the helper inherited reaches the container; the sync socket closes at exec. */
	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		return error_sys(err, "mark fds close-on-exec");
	return 0;
}

static void run_child(const struct child_setup *c, int sync_fd) __attribute__((noreturn));
static void run_child(const struct child_setup *c, int sync_fd)
{
	struct error outcome = { 0 };
	struct error ignored;
	char path[4096];
	char text[128];

	if (prepare_child(c, path, sizeof path, &outcome) == 0) {
		proc_reset_signals();
		execve(path, c->o->command, c->o->env);
		if (errno == ENOEXEC) {
			/* As runc: the process started; it says so on its stderr and exits 1. */
			dprintf(STDERR_FILENO, "exec %s: %s\n", path, go_strerror(errno, text, sizeof text));
			close(sync_fd);
			_exit(1);
		}
		error_msg(&outcome, "exec %s: %s", path, go_strerror(errno, text, sizeof text));
	}
	error_send(sync_fd, &outcome, &ignored);
	_exit(EXIT_CANNOT_INVOKE);
}

/* With --detach --tty: someone must keep reading the pty, or the process blocks on output. */
static int start_drainer(int master, int devnull, struct error *err)
{
	pid_t pid = fork();
	if (pid < 0)
		return error_sys(err, "fork the pty drainer");
	if (pid > 0)
		return 0;
	if (setsid() < 0 || dup2(devnull, STDIN_FILENO) < 0 || dup2(devnull, STDOUT_FILENO) < 0 ||
	    dup2(devnull, STDERR_FILENO) < 0 || dup2(master, 3) < 0 || close_range(4, ~0U, 0) < 0)
		_exit(1);
	prctl(PR_SET_NAME, "skiff-ptydrain", 0, 0, 0);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (fcntl(3, F_SETFL, 0) < 0)
		_exit(1);
	char buf[4096];
	ssize_t n;
	/* EIO: the last holder of the slave closed it. */
	while ((n = read(3, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
		;
	_exit(0);
}

/* The helper's side while the process runs: signals, and with --tty the pty's traffic. */
struct relay {
	pid_t child;
	int sigfd;
	int master;	   /* -1 without --tty */
	bool stdin_open;   /* still copying stdin to the pty */
	bool master_open;  /* some slave fd is still open */
	bool stdout_open;
	char input[4096]; /* read from stdin, not yet written to the pty */
	size_t input_len;
	char last_input;   /* the last byte queued, to finish a partial line before EOF */
};

/* stdin ended: a pipe's EOF becomes the pty's end-of-file character, as for script(1). */
static void queue_eof(struct relay *r)
{
	struct termios t;
	if (isatty(STDIN_FILENO) || tcgetattr(r->master, &t) < 0 || !(t.c_lflag & ICANON))
		return;
	/* One VEOF ends a partial line, a second one (or one at a line's start) reads as EOF. */
	int count = r->last_input != '\0' && r->last_input != '\n' ? 2 : 1;
	while (count-- > 0)
		r->input[r->input_len++] = (char)t.c_cc[VEOF];
}

/* Room kept in relay.input for queue_eof()'s two characters. */
#define EOF_ROOM 2

static void pump_input(struct relay *r)
{
	ssize_t n = read(STDIN_FILENO, r->input + r->input_len,
			 sizeof r->input - EOF_ROOM - r->input_len);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		r->stdin_open = false;
		queue_eof(r);
		return;
	}
	r->input_len += (size_t)n;
	r->last_input = r->input[r->input_len - 1];
}

static void flush_input(struct relay *r)
{
	ssize_t n = write(r->master, r->input, r->input_len);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n < 0) {
		r->input_len = 0;
		return;
	}
	memmove(r->input, r->input + n, r->input_len - (size_t)n);
	r->input_len -= (size_t)n;
}

/* Returns false when the pty has nothing more for now (or ever). */
static bool pump_output(struct relay *r)
{
	char buf[8192];
	ssize_t n = read(r->master, buf, sizeof buf);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return false;
	if (n <= 0) {
		/* EIO: every slave fd is closed. */
		r->master_open = false;
		return false;
	}
	if (r->stdout_open && file_write_all(STDOUT_FILENO, buf, (size_t)n) < 0)
		r->stdout_open = false;
	return true;
}

static void copy_window_size(int master)
{
	if (!pty_copy_size(STDOUT_FILENO, master))
		pty_copy_size(STDIN_FILENO, master);
}

/* Returns true once the child has exited, its wait status in *status. */
static bool handle_signals(struct relay *r, int *status)
{
	struct signalfd_siginfo si;
	bool exited = false;
	while (read(r->sigfd, &si, sizeof si) == (ssize_t)sizeof si) {
		if (si.ssi_signo == SIGCHLD) {
			if (waitpid(r->child, status, WNOHANG) == r->child)
				exited = true;
		} else if (si.ssi_signo == SIGWINCH) {
			if (r->master >= 0)
				copy_window_size(r->master);
		} else {
			kill(r->child, (int)si.ssi_signo);
		}
	}
	return exited;
}

/* Until the child exits; returns its wait status, or -1 with err. */
static int supervise(struct relay *r, struct error *err)
{
	int status = 0;
	for (;;) {
		struct pollfd fds[3];
		nfds_t n = 0;
		int master_at = -1;
		int stdin_at = -1;
		fds[n++] = (struct pollfd){ .fd = r->sigfd, .events = POLLIN };
		if (r->master >= 0 && r->master_open) {
			master_at = (int)n;
			fds[n++] = (struct pollfd){ .fd = r->master,
						    .events = POLLIN | (r->input_len ? POLLOUT : 0) };
		}
		if (r->stdin_open && r->input_len < sizeof r->input - EOF_ROOM) {
			stdin_at = (int)n;
			fds[n++] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN };
		}
		if (poll(fds, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			return error_sys(err, "poll");
		}
		if (fds[0].revents && handle_signals(r, &status))
			break;
		if (master_at >= 0 && fds[master_at].revents & (POLLIN | POLLHUP | POLLERR))
			pump_output(r);
		if (master_at >= 0 && r->master_open && fds[master_at].revents & POLLOUT)
			flush_input(r);
		if (stdin_at >= 0 && fds[stdin_at].revents)
			pump_input(r);
	}
	/* What the process wrote before it exited is still in the pty (reading it flushes the
	 * kernel's pending buffer); a background process still writing does not hold us. */
	if (r->master >= 0 && r->master_open) {
		while (pump_output(r))
			;
	}
	return status;
}

static int run(const struct exec_options *o)
{
	struct error err;

	/* The forked process is visible in the container before it execs: keep the
	 * container's processes from ptracing it (exec makes it dumpable again). */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
		error_sys(&err, "prctl PR_SET_DUMPABLE");
		return error_print(&err, EXIT_ENGINE_ERROR);
	}
	signal(SIGPIPE, SIG_IGN);

	struct ns_target target __attribute__((cleanup(ns_target_close)));
	struct inherited inh;
	ns_target_init(&target);
	if (ns_target_open(o->pid, &target, &err) < 0 || read_inherited(o->pid, &inh, &err) < 0 ||
	    ns_target_check_alive(&target, &err) < 0)
		return error_print(&err, EXIT_ENGINE_ERROR);
	cleanup_fd int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0) {
		error_sys(&err, "open /dev/null");
		return error_print(&err, EXIT_ENGINE_ERROR);
	}

	/* All but the pid namespace for now: a --detach --tty drainer stays out of it. */
	if (ns_target_join(&target, (target.differ & ~CLONE_NEWPID) | CLONE_NEWNS, &err) < 0)
		return error_print(&err, EXIT_ENGINE_ERROR);
	cleanup_fd int master = -1;
	cleanup_fd int slave = -1;
	if (o->tty) {
		if (pty_open(&master, &slave, &err) < 0)
			return error_print(&err, EXIT_ENGINE_ERROR);
		copy_window_size(master);
	}

	/* Blocked before the fork, so none is lost; the child unblocks them before exec. */
	sigset_t handled;
	sigemptyset(&handled);
	for (size_t i = 0; i < sizeof forwarded_signals / sizeof forwarded_signals[0]; i++)
		sigaddset(&handled, forwarded_signals[i]);
	sigaddset(&handled, SIGCHLD);
	sigaddset(&handled, SIGWINCH);
	if (sigprocmask(SIG_BLOCK, &handled, NULL) < 0) {
		error_sys(&err, "block signals");
		return error_print(&err, EXIT_ENGINE_ERROR);
	}
	cleanup_fd int sigfd = signalfd(-1, &handled, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sigfd < 0) {
		error_sys(&err, "signalfd");
		return error_print(&err, EXIT_ENGINE_ERROR);
	}
	if (o->detach && o->tty && start_drainer(master, devnull, &err) < 0)
		return error_print(&err, EXIT_ENGINE_ERROR);

	if (ns_target_join(&target, CLONE_NEWPID, &err) < 0)
		return error_print(&err, EXIT_ENGINE_ERROR);
	cleanup_fd int cwd_fd = steal_fd(&target.cwd_fd);
	ns_target_close(&target);

	cleanup_fd int parent_end = -1;
	cleanup_fd int child_end = -1;
	if (proc_sync_pair(&parent_end, &child_end, &err) < 0)
		return error_print(&err, EXIT_ENGINE_ERROR);
	/* Not proc_fork(): the process must outlive the helper (--detach, or a killed CLI). */
	cleanup_pid pid_t child = fork();
	if (child < 0) {
		error_sys(&err, "fork");
		return error_print(&err, EXIT_ENGINE_ERROR);
	}
	if (child == 0) {
		close(parent_end);
		close(sigfd);
		if (master >= 0)
			close(master);
		struct child_setup setup = {
			.o = o, .inh = &inh, .slave = slave, .devnull = devnull, .cwd_fd = cwd_fd,
		};
		run_child(&setup, child_end);
	}
	close(steal_fd(&child_end));
	if (slave >= 0)
		close(steal_fd(&slave));

	/* The sync socket closes without a word when the exec succeeds. */
	struct error outcome;
	int got = error_recv(parent_end, &outcome, &err);
	if (got < 0)
		return error_print(&err, EXIT_ENGINE_ERROR);
	if (got > 0) {
		int ignored;
		if (proc_wait(child, &ignored, &err) < 0)
			return error_print(&err, EXIT_ENGINE_ERROR);
		child = -1;
		return fail_start(&outcome);
	}
	if (o->detach) {
		child = -1;
		return EXIT_SUCCESS;
	}

	struct termios saved;
	bool raw = o->tty && o->interactive && isatty(STDIN_FILENO);
	if (raw && term_set_raw(STDIN_FILENO, &saved, &err) < 0)
		return error_print(&err, EXIT_ENGINE_ERROR);
	struct relay relay = {
		.child = child,
		.sigfd = sigfd,
		.master = master,
		.stdin_open = o->tty && o->interactive,
		.master_open = true,
		.stdout_open = true,
	};
	int wait_status = supervise(&relay, &err);
	if (raw)
		term_restore(STDIN_FILENO, &saved);
	if (wait_status < 0)
		return error_print(&err, EXIT_ENGINE_ERROR);
	child = -1;
	return proc_exit_code(wait_status);
}

int exec_main(int argc, char **argv)
{
	cleanup_free char **env = calloc((size_t)argc + 1, sizeof *env);
	if (env == NULL) {
		fputs("skiff-helper: out of memory\n", stderr);
		return EXIT_ENGINE_ERROR;
	}
	struct exec_options o = { .env = env };
	int status = parse_options(argc, argv, &o);
	if (status < 0)
		status = run(&o);
	free(o.groups);
	return status;
}
