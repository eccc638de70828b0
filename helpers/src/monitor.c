/* monitor.c: the `monitor` verb: start a container and stay as its parent (conmon's role).
 *
 *     skiff-helper monitor --bundle DIR --state-dir DIR --id ID
 *         [--log-driver json-file|none] [--log-path FILE] [--log-max-size BYTES]
 *         [--log-max-files N] [--restart no|on-failure[:N]|always|unless-stopped]
 *         [--exit-command PATH [--exit-arg ARG]...] [--attach [--gate-pid PID]] [--stdin]
 *
 * Starts the container of DIR/config.json (see container.h), its stdout and stderr on
 * pipes (one pty with process.terminal), its stdin a pipe with --stdin, else /dev/null.
 * Then prints one line on stdout and the process skiff started exits, 0 or the line's
 * exitCode:
 *
 *     {"pid":N,"monitorPid":M}                    the container is running
 *     {"error":"MESSAGE","exitCode":125|126|127}  it is not (nothing is left behind)
 *
 * The monitor itself (M) goes on in a session of its own, with /dev/null as stdio, so it
 * keeps none of the caller's pipes; it ignores SIGINT, SIGTERM and SIGHUP (skiff signals
 * the container's pid directly) and reaps its children. With --attach the container's
 * process waits before its exec until the first client connects to the attach socket, so
 * a foreground `docker run` loses no output: the line then comes as soon as the process
 * exists, and an exec failure reaches the client as a stderr frame and an exit frame.
 * --gate-pid names the process that will attach (skiff's CLI): if it ends before it has
 * connected (killed in that millisecond), the gate opens anyway and the container runs as a
 * detached one, its stdin closed, as Docker's does when `docker run` dies after the start.
 * Without it, the container would wait at the gate for ever.
 *
 * The state directory (created 0700 if missing) holds:
 *
 *     monitor.pid     "PID STARTTIME\n", as pause.pid: the monitor, and its start time in
 *                     clock ticks after boot (/proc/PID/stat field 22)
 *     container.pid   "PID RESTARTCOUNT\n", rewritten on each (re)start
 *     attach.sock     the attach socket, mode 0600 (protocol in attach.h)
 *     exit.json       written (atomically) on each exit:
 *                     {"exitCode":N,"signal":S|null,"finishedAt":"RFC3339Nano",
 *                      "restartCount":R,"oomKilled":false}
 *     stop            made by skiff, not here: while it exists no restart happens
 *
 * Output is logged whether or not anyone is attached (json-file as Docker's, see
 * logfile.h; none: not at all) and sent to every attached client. On each exit the
 * monitor writes exit.json, sends the exit frame and applies --restart: on-failure[:N]
 * restarts while the exit code is not 0 (at most N times), always and unless-stopped
 * whatever the code; never when the stop file exists or the command could not be run
 * (126/127). Restarts wait 100 ms, doubling up to 1 s (back to 100 ms after a run of 10 s
 * or more), and start the same bundle again (the overlay's upper dir persists). When it
 * does not restart, the monitor removes attach.sock and monitor.pid, runs the exit
 * command (PATH with the --exit-arg words, stdio on /dev/null, in a session of its own;
 * waited for up to 5 s, skiff's `container cleanup ID`) and exits.
 *
 * Usage errors print one line on stderr and exit 125, as every failure before the
 * container runs does (then also as the JSON line).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "attach.h"
#include "cleanup.h"
#include "container.h"
#include "error.h"
#include "fuse_overlay.h"
#include "json.h"
#include "logfile.h"
#include "process.h"
#include "rootfs.h"
#include "spec.h"
#include "verbs.h"

#define MONITOR_NAME "skiff-monitor"
#define ATTACH_SOCKET "attach.sock"
#define MONITOR_PIDFILE "monitor.pid"
#define CONTAINER_PIDFILE "container.pid"
#define EXIT_FILE "exit.json"
#define STOP_FILE "stop"
#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS 1000
#define BACKOFF_RESET_MS 10000 /* a run this long starts the back-off over */
#define EXIT_COMMAND_WAIT_MS 5000
#define FLUSH_CLIENTS_MS 1000
#define READ_CHUNK 8192

enum restart_policy { RESTART_NO, RESTART_ON_FAILURE, RESTART_ALWAYS, RESTART_UNLESS_STOPPED };

struct monitor_options {
	const char *bundle;
	const char *state_dir;
	const char *id;
	bool log_none;
	const char *log_path;
	unsigned long long log_max_size;
	unsigned log_max_files;
	enum restart_policy restart;
	unsigned restart_max; /* on-failure:N; 0 = no limit */
	char **exit_command;  /* PATH, ARG..., NULL; NULL when none */
	bool attach;
	bool stdin;
	pid_t gate_pid; /* with --attach: open the gate when this process ends first; 0 = none */
};

struct monitor {
	const struct monitor_options *o;
	struct spec spec;
	int state_fd;
	int sigfd;
	struct logfile log;
	struct attach_server attach;

	/* The current run of the container. */
	struct container c;
	bool running;
	bool gated;	   /* spawned, held until the first attach client */
	int gate_fd;	   /* a pidfd of --gate-pid while gated, or -1 */
	bool exec_failed; /* this run's command could not be executed */
	int out_fd, err_fd; /* the read ends of its stdout and stderr pipes, or the pty */
	int in_fd;	    /* the write end of its stdin pipe (--stdin), or -1 */
	char *in_buf;	    /* stdin data the pipe (or pty) has not taken yet */
	size_t in_len;
	bool in_close_pending;
	struct timespec started;

	unsigned restart_count;
	unsigned backoff_ms;
	bool restart_pending;
	struct timespec restart_at;
	bool done;
};

/* ---- options ----------------------------------------------------------------------- */

static void usage(FILE *out)
{
	fputs("usage: skiff-helper monitor --bundle DIR --state-dir DIR --id ID\n"
	      "           [--log-driver json-file|none] [--log-path FILE] [--log-max-size BYTES]\n"
	      "           [--log-max-files N] [--restart no|on-failure[:N]|always|unless-stopped]\n"
	      "           [--exit-command PATH [--exit-arg ARG]...] [--attach [--gate-pid PID]]\n"
	      "           [--stdin]\n"
	      "\n"
	      "Starts the container of DIR/config.json, prints {\"pid\":N,\"monitorPid\":M} (or\n"
	      "{\"error\":\"...\",\"exitCode\":125|126|127}) and stays in the background as its\n"
	      "parent: logs, attach socket, exit status, restarts, exit command. See\n"
	      "helpers/src/monitor.c for the state directory's files.\n",
	      out);
}

static bool parse_number(const char *text, unsigned long long max, unsigned long long *out)
{
	if (text[0] < '0' || text[0] > '9')
		return false;
	char *end;
	errno = 0;
	unsigned long long n = strtoull(text, &end, 10);
	if (errno != 0 || *end != '\0' || n > max)
		return false;
	*out = n;
	return true;
}

static bool parse_restart(const char *text, struct monitor_options *o)
{
	unsigned long long n = 0;
	if (strcmp(text, "no") == 0)
		o->restart = RESTART_NO;
	else if (strcmp(text, "always") == 0)
		o->restart = RESTART_ALWAYS;
	else if (strcmp(text, "unless-stopped") == 0)
		o->restart = RESTART_UNLESS_STOPPED;
	else if (strcmp(text, "on-failure") == 0)
		o->restart = RESTART_ON_FAILURE;
	else if (strncmp(text, "on-failure:", 11) == 0 && parse_number(text + 11, 1000000, &n))
		o->restart = RESTART_ON_FAILURE;
	else
		return false;
	o->restart_max = (unsigned)n;
	return true;
}

/* Returns -1 when the options are good, otherwise the exit status. */
static int parse_options(int argc, char **argv, struct monitor_options *o)
{
	static const struct option long_options[] = {
		{ "bundle", required_argument, NULL, 'b' },
		{ "state-dir", required_argument, NULL, 'd' },
		{ "id", required_argument, NULL, 'i' },
		{ "log-driver", required_argument, NULL, 'L' },
		{ "log-path", required_argument, NULL, 'l' },
		{ "log-max-size", required_argument, NULL, 's' },
		{ "log-max-files", required_argument, NULL, 'f' },
		{ "restart", required_argument, NULL, 'r' },
		{ "exit-command", required_argument, NULL, 'x' },
		{ "exit-arg", required_argument, NULL, 'a' },
		{ "attach", no_argument, NULL, 'A' },
		{ "gate-pid", required_argument, NULL, 'g' },
		{ "stdin", no_argument, NULL, 'I' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long long n;
	size_t exit_words = 0;
	o->log_max_files = 1;
	o->exit_command = calloc((size_t)argc + 1, sizeof *o->exit_command);
	if (o->exit_command == NULL)
		return error_usage("monitor", EXIT_ENGINE_ERROR, "out of memory");
	opterr = 0;
	optind = 1;
	for (;;) {
		int c = getopt_long(argc, argv, "+h", long_options, NULL);
		if (c == -1)
			break;
		switch (c) {
		case 'b': o->bundle = optarg; break;
		case 'd': o->state_dir = optarg; break;
		case 'i': o->id = optarg; break;
		case 'l': o->log_path = optarg; break;
		case 'A': o->attach = true; break;
		case 'g':
			if (!parse_number(optarg, INT_MAX, &n) || n == 0)
				return error_usage("monitor", EXIT_ENGINE_ERROR,
						   "--gate-pid wants a process id, got \"%s\"", optarg);
			o->gate_pid = (pid_t)n;
			break;
		case 'I': o->stdin = true; break;
		case 'L':
			if (strcmp(optarg, "none") == 0)
				o->log_none = true;
			else if (strcmp(optarg, "json-file") == 0)
				o->log_none = false;
			else
				return error_usage("monitor", EXIT_ENGINE_ERROR,
						   "--log-driver: json-file or none, not \"%s\"", optarg);
			break;
		case 's':
			if (!parse_number(optarg, ULLONG_MAX, &o->log_max_size))
				return error_usage("monitor", EXIT_ENGINE_ERROR,
						   "--log-max-size wants a number of bytes, got \"%s\"", optarg);
			break;
		case 'f':
			if (!parse_number(optarg, 1000000, &n) || n == 0)
				return error_usage("monitor", EXIT_ENGINE_ERROR,
						   "--log-max-files wants a number from 1, got \"%s\"", optarg);
			o->log_max_files = (unsigned)n;
			break;
		case 'r':
			if (!parse_restart(optarg, o))
				return error_usage("monitor", EXIT_ENGINE_ERROR,
						   "--restart: no, on-failure[:N], always or unless-stopped, "
						   "not \"%s\"", optarg);
			break;
		case 'x':
			if (exit_words > 0)
				return error_usage("monitor", EXIT_ENGINE_ERROR,
						   "--exit-command given twice");
			o->exit_command[exit_words++] = optarg;
			break;
		case 'a':
			if (exit_words == 0)
				return error_usage("monitor", EXIT_ENGINE_ERROR,
						   "--exit-arg before --exit-command");
			o->exit_command[exit_words++] = optarg;
			break;
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS;
		default:
			return error_usage("monitor", EXIT_ENGINE_ERROR,
					   "unknown option or missing value: %s", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return error_usage("monitor", EXIT_ENGINE_ERROR,
				   "unexpected argument \"%s\"", argv[optind]);
	if (o->bundle == NULL || o->state_dir == NULL || o->id == NULL)
		return error_usage("monitor", EXIT_ENGINE_ERROR,
				   "--bundle, --state-dir and --id are required");
	if (!o->log_none && o->log_path == NULL)
		return error_usage("monitor", EXIT_ENGINE_ERROR,
				   "--log-path FILE is required with the json-file log driver");
	/* The monitor works in the state directory: a relative name would move with it. */
	if (o->log_path != NULL && o->log_path[0] != '/')
		return error_usage("monitor", EXIT_ENGINE_ERROR,
				   "--log-path wants an absolute path, got \"%s\"", o->log_path);
	if (exit_words == 0) {
		free(o->exit_command);
		o->exit_command = NULL;
	} else if (o->exit_command[0][0] != '/') {
		return error_usage("monitor", EXIT_ENGINE_ERROR,
				   "--exit-command wants an absolute path, got \"%s\"", o->exit_command[0]);
	}
	return -1;
}

/* ---- small things ------------------------------------------------------------------ */

static long long elapsed_ms(const struct timespec *from, const struct timespec *to)
{
	return (long long)(to->tv_sec - from->tv_sec) * 1000 + (to->tv_nsec - from->tv_nsec) / 1000000;
}

static void add_ms(struct timespec *t, unsigned ms)
{
	t->tv_sec += ms / 1000;
	t->tv_nsec += (long)(ms % 1000) * 1000000;
	if (t->tv_nsec >= 1000000000) {
		t->tv_sec++;
		t->tv_nsec -= 1000000000;
	}
}

/* Write a file of the state directory atomically: NAME.tmp, then renamed over NAME. */
static int write_state_file(int dirfd, const char *name, const char *text, struct error *err)
{
	char tmp[64];
	strcpy(stpcpy(tmp, name), ".tmp"); /* names are this file's constants */
	cleanup_fd int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return error_sys(err, "create %s", tmp);
	size_t len = strlen(text);
	if (write(fd, text, len) != (ssize_t)len)
		return error_sys(err, "write %s", tmp);
	if (close(steal_fd(&fd)) < 0)
		return error_sys(err, "close %s", tmp);
	if (renameat(dirfd, tmp, dirfd, name) < 0)
		return error_sys(err, "rename %s to %s", tmp, name);
	return 0;
}

/* This process's start time, /proc/self/stat field 22, as pause.pid records it. */
static unsigned long long own_start_time(void)
{
	char stat[1024];
	cleanup_fd int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, stat, sizeof stat - 1);
	if (n <= 0)
		return 0;
	stat[n] = '\0';
	/* After the command name, in parentheses and perhaps with spaces, field 3 starts. */
	char *p = strrchr(stat, ')');
	unsigned long long value = 0;
	for (int field = 2; p != NULL && field < 22; field++)
		p = strchr(p + 1, ' ');
	if (p != NULL)
		value = strtoull(p + 1, NULL, 10);
	return value;
}

static bool stop_requested(const struct monitor *m)
{
	return faccessat(m->state_fd, STOP_FILE, F_OK, 0) == 0;
}

static int open_state_dir(const char *path, struct error *err)
{
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return error_sys(err, "create state directory %s", path);
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return error_sys(err, "open state directory %s", path);
	return fd;
}

/* ---- the container's runs -------------------------------------------------------------- */

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Mounts the rootfs through fuse-overlayfs in the monitor's mount namespace (the user
 * namespace's): the container's process then binds it, and restarts reuse it. */
static int mount_fuse_root(struct monitor *m, struct error *err)
{
	char program[PATH_MAX];
	if (fuse_overlay_program(&m->spec, program, sizeof program, err) < 0)
		return -1;
	/* One left by a monitor that was killed (its daemon still serving it) goes first, so that
	 * two daemons never share the upper and work dirs. */
	fuse_overlay_unmount(&m->spec);
	if (fuse_overlay_mount(&m->spec, program, err) < 0)
		return -1;
	m->spec.root_premounted = true;
	return 0;
}

static void unmount_fuse_root(struct monitor *m)
{
	if (!m->spec.root_premounted)
		return;
	fuse_overlay_unmount(&m->spec);
	m->spec.root_premounted = false;
}

/* Pipes for the container's stdio (none with a terminal) and the process, held at the gate. */
static int spawn(struct monitor *m, struct error *err)
{
	int out[2] = { -1, -1 }, errp[2] = { -1, -1 }, in[2] = { -1, -1 };
	struct container_stdio stdio = { -1, -1, -1 };
	int rc = -1;
	if (!m->spec.process.terminal) {
		if (pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
			error_sys(err, "create pipes for the container's output");
			goto out;
		}
		if (m->o->stdin) {
			if (pipe2(in, O_CLOEXEC) < 0) {
				error_sys(err, "create a pipe for the container's stdin");
				goto out;
			}
		} else if ((in[0] = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0) {
			error_sys(err, "open /dev/null");
			goto out;
		}
		/* The monitor's ends never block it: a full pipe means wait, not stall. */
		fcntl(out[0], F_SETFL, O_NONBLOCK);
		fcntl(errp[0], F_SETFL, O_NONBLOCK);
		if (in[1] >= 0)
			fcntl(in[1], F_SETFL, O_NONBLOCK);
		stdio = (struct container_stdio){ .in = in[0], .out = out[1], .err = errp[1] };
	}
	m->c = (struct container)CONTAINER_INIT;
	if (m->spec.mount_program != NULL && !m->spec.root_premounted && mount_fuse_root(m, err) < 0)
		goto out;
	if (container_spawn(&m->spec, &stdio, CONTAINER_DIE_WITH_PARENT, &m->c, err) < 0) {
		if (m->spec.root_premounted || m->spec.lowerdirs == NULL || !rootfs_overlay_refused(err))
			goto out;
		/* The kernel will not mount the overlay here: fuse-overlayfs can, if installed. */
		struct error refused = *err, fuse;
		if (mount_fuse_root(m, &fuse) < 0) {
			error_errno(err, refused.errnum, "%s; fuse-overlayfs instead: %s", refused.msg, fuse.msg);
			goto out;
		}
		if (container_spawn(&m->spec, &stdio, CONTAINER_DIE_WITH_PARENT, &m->c, err) < 0)
			goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &m->started);
	m->running = true;
	m->exec_failed = false;
	if (m->spec.process.terminal) {
		m->out_fd = m->c.terminal;
		m->c.terminal = -1; /* the monitor closes it as out_fd */
	} else {
		m->out_fd = out[0];
		m->err_fd = errp[0];
		m->in_fd = in[1];
		out[0] = errp[0] = in[1] = -1;
	}
	char text[64];
	char *p = format_uint(text, (unsigned long long)m->c.pid, 0);
	*p++ = ' ';
	p = format_uint(p, m->restart_count, 0);
	strcpy(p, "\n");
	struct error ignored;
	write_state_file(m->state_fd, CONTAINER_PIDFILE, text, &ignored);
	rc = 0;
out:
	for (int i = 0; i < 2; i++) {
		close_fd(&out[i]);
		close_fd(&errp[i]);
		close_fd(&in[i]);
	}
	return rc;
}

/* Open the gate; on an exec failure the process exits 126/127 and is reaped as usual. */
static int start(struct monitor *m, int *code, struct error *err)
{
	m->gated = false;
	close_fd(&m->gate_fd);
	if (container_start(&m->c, code, err) == 0)
		return 0;
	m->exec_failed = true;
	return -1;
}

static int terminal_fd(const struct monitor *m)
{
	return m->spec.process.terminal ? m->out_fd : -1;
}

/* Where stdin data goes: the stdin pipe, or the pty; -1 without --stdin (`-t` alone). */
static int stdin_target(const struct monitor *m)
{
	if (!m->o->stdin)
		return -1;
	return m->spec.process.terminal ? m->out_fd : m->in_fd;
}

static void close_stdin(struct monitor *m)
{
	free(m->in_buf);
	m->in_buf = NULL;
	m->in_len = 0;
	m->in_close_pending = false;
	if (m->spec.process.terminal) {
		/* A pty has no end of input: its EOF character is what a reader sees as one. */
		struct termios t;
		char eof = 4;
		if (m->o->stdin && m->out_fd >= 0) {
			if (tcgetattr(m->out_fd, &t) == 0 && t.c_cc[VEOF] != _POSIX_VDISABLE)
				eof = (char)t.c_cc[VEOF];
			if (write(m->out_fd, &eof, 1) < 0) {
				/* the container is gone or not reading: nothing to close */
			}
		}
		return;
	}
	close_fd(&m->in_fd);
}

/* Give the container what stdin it takes now; keep the rest for POLLOUT. */
static void push_stdin(struct monitor *m)
{
	int fd = stdin_target(m);
	while (m->in_len > 0 && fd >= 0) {
		ssize_t n = write(fd, m->in_buf, m->in_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			/* EPIPE: the container closed its stdin. */
			if (!m->spec.process.terminal)
				close_fd(&m->in_fd);
			m->in_len = 0;
			break;
		}
		memmove(m->in_buf, m->in_buf + n, m->in_len - (size_t)n);
		m->in_len -= (size_t)n;
	}
	if (m->in_len == 0) {
		free(m->in_buf);
		m->in_buf = NULL;
		if (m->in_close_pending)
			close_stdin(m);
	}
}

static void on_stdin_data(void *ctx, const char *data, size_t len)
{
	struct monitor *m = ctx;
	if (stdin_target(m) < 0 || m->in_close_pending)
		return;
	char *grown = realloc(m->in_buf, m->in_len + len);
	if (grown == NULL)
		return;
	memcpy(grown + m->in_len, data, len);
	m->in_buf = grown;
	m->in_len += len;
	push_stdin(m);
}

static void on_stdin_close(void *ctx)
{
	struct monitor *m = ctx;
	if (m->in_len > 0)
		m->in_close_pending = true;
	else
		close_stdin(m);
}

static void on_resize(void *ctx, unsigned rows, unsigned cols)
{
	struct monitor *m = ctx;
	struct winsize size = { .ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols };
	if (terminal_fd(m) >= 0)
		ioctl(terminal_fd(m), TIOCSWINSZ, &size);
}

/* Read what one output fd has now; false (and the fd closed) once it has ended. */
static bool pump_output(struct monitor *m, int *fd, enum log_stream_id stream, bool drain)
{
	char buf[READ_CHUNK];
	do {
		ssize_t n = read(*fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return true;
		if (n <= 0) {
			/* EOF, or EIO from a pty whose other side is all closed. */
			logfile_flush(&m->log, stream);
			close_fd(fd);
			return false;
		}
		logfile_write(&m->log, stream, buf, (size_t)n);
		attach_broadcast(&m->attach, stream == LOG_STDOUT ? ATTACH_STDOUT : ATTACH_STDERR, buf,
				 (size_t)n);
	} while (drain);
	return true;
}

static void write_exit_file(struct monitor *m, int code, int signal)
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	char finished[40];
	format_rfc3339nano(&now, finished, sizeof finished);
	/* Put together by hand: see format_uint() in logfile.h for why not snprintf. */
	char text[256];
	char *p = stpcpy(text, "{\"exitCode\":");
	p = format_uint(p, (unsigned)code, 0);
	p = stpcpy(p, ",\"signal\":");
	p = signal > 0 ? format_uint(p, (unsigned)signal, 0) : stpcpy(p, "null");
	p = stpcpy(stpcpy(stpcpy(p, ",\"finishedAt\":\""), finished), "\",\"restartCount\":");
	p = format_uint(p, m->restart_count, 0);
	stpcpy(p, ",\"oomKilled\":false}\n");
	struct error ignored;
	write_state_file(m->state_fd, EXIT_FILE, text, &ignored);
}

static bool should_restart(const struct monitor *m, int code)
{
	if (m->exec_failed || stop_requested(m))
		return false;
	switch (m->o->restart) {
	case RESTART_NO:
		return false;
	case RESTART_ON_FAILURE:
		return code != 0 && (m->o->restart_max == 0 || m->restart_count < m->o->restart_max);
	case RESTART_ALWAYS:
	case RESTART_UNLESS_STOPPED:
		return true;
	}
	return false;
}

/* The run ended with code (and signal, or 0): record it, tell the clients, and decide. */
static void finish_run(struct monitor *m, int code, int signal)
{
	write_exit_file(m, code, signal);
	attach_broadcast_exit(&m->attach, code);
	if (!should_restart(m, code)) {
		m->done = true;
		return;
	}
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (m->backoff_ms == 0 || elapsed_ms(&m->started, &now) >= BACKOFF_RESET_MS)
		m->backoff_ms = BACKOFF_FIRST_MS;
	else if (m->backoff_ms < BACKOFF_MAX_MS)
		m->backoff_ms = m->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : m->backoff_ms * 2;
	m->restart_at = now;
	add_ms(&m->restart_at, m->backoff_ms);
	m->restart_pending = true;
}

static void container_exited(struct monitor *m, int status)
{
	/* Whatever it wrote before exiting is in the pipes still. */
	if (m->out_fd >= 0)
		pump_output(m, &m->out_fd, LOG_STDOUT, true);
	if (m->err_fd >= 0)
		pump_output(m, &m->err_fd, LOG_STDERR, true);
	for (int s = 0; s < LOG_STREAMS; s++)
		logfile_flush(&m->log, (enum log_stream_id)s);
	close_fd(&m->out_fd);
	close_fd(&m->err_fd);
	close_fd(&m->in_fd);
	free(m->in_buf);
	m->in_buf = NULL;
	m->in_len = 0;
	m->in_close_pending = false;
	container_close(&m->c);
	m->running = false;
	m->gated = false;
	close_fd(&m->gate_fd);
	finish_run(m, proc_exit_code(status), WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

static void restart(struct monitor *m)
{
	m->restart_pending = false;
	if (stop_requested(m)) {
		m->done = true;
		return;
	}
	m->restart_count++;
	struct error err;
	int code = EXIT_ENGINE_ERROR;
	if (spawn(m, &err) < 0) {
		/* Recorded as a run that failed to start, which is not restarted again. */
		m->exec_failed = true;
		finish_run(m, EXIT_ENGINE_ERROR, 0);
		return;
	}
	if (start(m, &code, &err) < 0) {
		/* It exits with code; its exit is handled as any other. */
	}
}

static void reap(struct monitor *m)
{
	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG);
		if (pid <= 0)
			return;
		if (m->running && pid == m->c.pid)
			container_exited(m, status);
	}
}

/* ---- the event loop ----------------------------------------------------------------- */

enum { SLOT_SIGNALS, SLOT_LISTEN, SLOT_OUT, SLOT_ERR, SLOT_IN, SLOT_GATE, SLOT_COUNT };

/* How often to look for --gate-pid where the kernel has no pidfd (before 5.3). */
#define GATE_POLL_MS 200

/* Watches --gate-pid while gated: through a pidfd, or by polling kill(pid, 0) without one.
 * Returns false when the process is gone already. */
static bool watch_gate_pid(struct monitor *m)
{
	m->gate_fd = (int)syscall(SYS_pidfd_open, m->o->gate_pid, 0);
	if (m->gate_fd >= 0)
		return true;
	if (errno == ESRCH)
		return false;
	return true; /* no pidfd: polled */
}

static bool gate_pid_gone(const struct monitor *m)
{
	return kill(m->o->gate_pid, 0) < 0 && errno == ESRCH;
}

/* The process that was to attach ended first: run the container as a detached one. Nobody
 * will send its stdin, so that ends, as when an attached client leaves (StdinOnce). */
static void open_abandoned_gate(struct monitor *m)
{
	struct error err;
	int code;
	if (start(m, &code, &err) < 0)
		return; /* it exits 126/127 and is reaped as usual */
	if (m->o->stdin)
		on_stdin_close(m);
}

static void handle_first_client(struct monitor *m)
{
	struct error err;
	int code;
	if (start(m, &code, &err) < 0) {
		char line[ERROR_MSG_MAX + 2];
		int n = snprintf(line, sizeof line, "%s\n", err.msg);
		attach_broadcast(&m->attach, ATTACH_STDERR, line, (size_t)n);
	}
}

static void event_loop(struct monitor *m)
{
	const struct attach_handler handler = {
		.ctx = m,
		.stdin_data = on_stdin_data,
		.stdin_close = on_stdin_close,
		.resize = on_resize,
	};
	struct pollfd *fds = NULL;
	size_t fds_cap = 0;
	while (!m->done) {
		size_t want = SLOT_COUNT + m->attach.count;
		if (want > fds_cap) {
			struct pollfd *grown = realloc(fds, want * sizeof *fds);
			if (grown == NULL) {
				struct timespec pause = { 0, 50 * 1000 * 1000 };
				nanosleep(&pause, NULL);
				continue;
			}
			fds = grown;
			fds_cap = want;
		}
		/* Client input waits while the container's stdin is full. */
		bool take_input = m->in_len == 0;
		fds[SLOT_SIGNALS] = (struct pollfd){ .fd = m->sigfd, .events = POLLIN };
		fds[SLOT_LISTEN] = (struct pollfd){ .fd = m->attach.listen_fd, .events = POLLIN };
		fds[SLOT_OUT] = (struct pollfd){ .fd = m->gated ? -1 : m->out_fd, .events = POLLIN };
		fds[SLOT_ERR] = (struct pollfd){ .fd = m->gated ? -1 : m->err_fd, .events = POLLIN };
		fds[SLOT_IN] = (struct pollfd){ .fd = m->in_len > 0 ? stdin_target(m) : -1, .events = POLLOUT };
		fds[SLOT_GATE] = (struct pollfd){ .fd = m->gated ? m->gate_fd : -1, .events = POLLIN };
		bool gate_polled = m->gated && m->o->gate_pid > 0 && m->gate_fd < 0;
		size_t clients = attach_poll_fds(&m->attach, take_input, fds + SLOT_COUNT);

		int timeout = -1;
		if (m->restart_pending) {
			struct timespec now;
			clock_gettime(CLOCK_MONOTONIC, &now);
			long long left = elapsed_ms(&now, &m->restart_at);
			timeout = left > 0 ? (int)left + 1 : 0;
		}
		if (gate_polled && (timeout < 0 || timeout > GATE_POLL_MS))
			timeout = GATE_POLL_MS;
		int n = poll(fds, SLOT_COUNT + clients, timeout);
		if (n < 0 && errno != EINTR)
			break;
		if (n < 0)
			continue;

		if (fds[SLOT_OUT].revents)
			pump_output(m, &m->out_fd, LOG_STDOUT, false);
		if (fds[SLOT_ERR].revents)
			pump_output(m, &m->err_fd, LOG_STDERR, false);
		if (fds[SLOT_IN].revents)
			push_stdin(m);
		attach_handle(&m->attach, fds + SLOT_COUNT, clients, &handler);
		if ((fds[SLOT_LISTEN].revents & POLLIN) && attach_accept(&m->attach) > 0 && m->gated)
			handle_first_client(m);
		if (m->gated && ((fds[SLOT_GATE].revents & (POLLIN | POLLHUP)) || (gate_polled && gate_pid_gone(m))))
			open_abandoned_gate(m);
		if (fds[SLOT_SIGNALS].revents & POLLIN) {
			struct signalfd_siginfo si;
			while (read(m->sigfd, &si, sizeof si) == (ssize_t)sizeof si)
				;
			reap(m);
		}
		if (m->restart_pending && !m->done) {
			struct timespec now;
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (elapsed_ms(&now, &m->restart_at) <= 0)
				restart(m);
		}
	}
	free(fds);
}

/* ---- the end ------------------------------------------------------------------------ */

static void run_exit_command(const struct monitor *m)
{
	if (m->o->exit_command == NULL)
		return;
	/* Not proc_fork(): the command must not die with the monitor. */
	pid_t pid = fork();
	if (pid < 0)
		return;
	if (pid == 0) {
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		setsid();
		if (chdir("/") < 0)
			_exit(127);
		execv(m->o->exit_command[0], m->o->exit_command);
		_exit(127);
	}
	struct timespec step = { 0, 20 * 1000 * 1000 };
	for (int waited = 0; waited < EXIT_COMMAND_WAIT_MS; waited += 20) {
		pid_t done = waitpid(pid, NULL, WNOHANG);
		if (done == pid || (done < 0 && errno == ECHILD))
			return;
		nanosleep(&step, NULL);
	}
}

/* ---- the verb ---------------------------------------------------------------------- */

/* The linker's bounds of the binary's code (ld's default script provides them). */
extern char __executable_start[], etext[];

/*
 * While the container was set up, the kernel mapped the static binary's code in 64 KiB
 * fault-around chunks: most of it ends up resident, and an idle monitor would grow with
 * the helper. These pages are clean copies of the file (never written: relocations live
 * in other segments), so they are dropped from the resident set and what the event loop
 * runs faults back in from the page cache. That loop avoids stdio and time zone code
 * (see format_uint() in logfile.h), which would bring a quarter MiB back: an idle
 * monitor measured 676 KiB instead of 916.
 */
static void shed_startup_code(void)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t start = (uintptr_t)__executable_start & ~(page - 1);
	uintptr_t end = (uintptr_t)etext & ~(page - 1);
	if (end > start)
		madvise((void *)start, end - start, MADV_DONTNEED);
}

static void print_result(pid_t pid, const char *error, int code)
{
	struct json j;
	json_init(&j, stdout);
	json_object_begin(&j);
	if (error == NULL) {
		json_key(&j, "pid");
		json_int(&j, pid);
		json_key(&j, "monitorPid");
		json_int(&j, getpid());
	} else {
		json_key(&j, "error");
		json_string(&j, error);
		json_key(&j, "exitCode");
		json_int(&j, code);
	}
	json_object_end(&j);
	fputc('\n', stdout);
	fflush(stdout);
}

/* Hand stdio back to nobody (/dev/null) and tell the waiting parent code (0 = running). */
static void detach(int notify_fd, int code)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		for (int fd = 0; fd <= 2; fd++)
			dup2(null, fd);
		close(null);
	}
	unsigned char byte = (unsigned char)code;
	if (write(notify_fd, &byte, 1) < 0) {
		/* the parent is gone: nobody to tell */
	}
	close(notify_fd);
}

/* The monitor proper, in its own session; returns the process's exit status. */
static int monitor(struct monitor *m, int notify_fd)
{
	struct error err;
	char pidfile[64];
	snprintf(pidfile, sizeof pidfile, "%d %llu\n", (int)getpid(), own_start_time());
	if (write_state_file(m->state_fd, MONITOR_PIDFILE, pidfile, &err) < 0 ||
	    attach_listen(&m->attach, ATTACH_SOCKET, &err) < 0) {
		print_result(0, err.msg, EXIT_ENGINE_ERROR);
		unlinkat(m->state_fd, MONITOR_PIDFILE, 0);
		detach(notify_fd, EXIT_ENGINE_ERROR);
		return EXIT_ENGINE_ERROR;
	}

	int code = EXIT_ENGINE_ERROR;
	int rc = spawn(m, &err);
	if (rc == 0 && !m->o->attach)
		rc = start(m, &code, &err);
	if (rc < 0) {
		print_result(0, err.msg, code);
		if (m->running) {
			/* It is exiting with code: reap it before anything says it is gone. */
			while (waitpid(m->c.pid, NULL, 0) < 0 && errno == EINTR)
				;
		}
		attach_unlisten(&m->attach);
		unmount_fuse_root(m);
		unlinkat(m->state_fd, MONITOR_PIDFILE, 0);
		unlinkat(m->state_fd, CONTAINER_PIDFILE, 0);
		detach(notify_fd, code);
		return code;
	}
	m->gated = m->o->attach;
	/* Before the result line: until the caller has read it, its pid cannot have been reused. */
	bool gate_watched = !m->gated || m->o->gate_pid == 0 || watch_gate_pid(m);
	print_result(m->c.pid, NULL, 0);
	detach(notify_fd, 0);
	shed_startup_code();
	if (!gate_watched)
		open_abandoned_gate(m);

	event_loop(m);

	attach_flush_all(&m->attach, FLUSH_CLIENTS_MS);
	attach_unlisten(&m->attach);
	unmount_fuse_root(m);
	unlinkat(m->state_fd, MONITOR_PIDFILE, 0);
	run_exit_command(m);
	return EXIT_SUCCESS;
}

int monitor_main(int argc, char **argv)
{
	/* Nothing the caller left open (a pipe of skiff's) may stay open in the monitor. */
	syscall(SYS_close_range, 3, ~0U, 0);

	struct monitor_options o = { 0 };
	int status = parse_options(argc, argv, &o);
	if (status >= 0) {
		free(o.exit_command);
		return status;
	}
	struct monitor m = {
		.o = &o,
		.state_fd = -1,
		.sigfd = -1,
		.c = CONTAINER_INIT,
		.out_fd = -1,
		.err_fd = -1,
		.in_fd = -1,
		.gate_fd = -1,
	};
	logfile_init_none(&m.log);
	struct error err;
	int code = EXIT_ENGINE_ERROR;
	if (spec_load(o.bundle, &m.spec, &err) < 0)
		goto fail;
	if ((m.state_fd = open_state_dir(o.state_dir, &err)) < 0)
		goto fail;
	if (o.log_none)
		logfile_init_none(&m.log);
	else if (logfile_open(&m.log, o.log_path, o.log_max_size, o.log_max_files, &err) < 0)
		goto fail;
	/* The socket's name is relative: a state dir's path may be longer than sun_path. */
	if (fchdir(m.state_fd) < 0) {
		error_sys(&err, "chdir %s", o.state_dir);
		goto fail;
	}

	int ready[2];
	if (pipe2(ready, O_CLOEXEC) < 0) {
		error_sys(&err, "create pipe");
		goto fail;
	}
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0) {
		error_sys(&err, "fork the monitor");
		goto fail;
	}
	if (pid > 0) {
		/* The process skiff started: wait for the monitor's word, then leave. */
		close(ready[1]);
		unsigned char byte;
		ssize_t n;
		do
			n = read(ready[0], &byte, 1);
		while (n < 0 && errno == EINTR);
		if (n == 1)
			return byte;
		error_msg(&err, "the monitor exited before starting the container");
		goto fail;
	}
	close(ready[0]);
	setsid();
	prctl(PR_SET_NAME, MONITOR_NAME);
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	m.sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (m.sigfd < 0) {
		error_sys(&err, "create signalfd");
		print_result(0, err.msg, EXIT_ENGINE_ERROR);
		detach(ready[1], EXIT_ENGINE_ERROR);
		_exit(EXIT_ENGINE_ERROR);
	}
	status = monitor(&m, ready[1]);
	logfile_close(&m.log);
	spec_free(&m.spec);
	free(o.exit_command);
	_exit(status);

fail:
	print_result(0, err.msg, code);
	if (m.state_fd >= 0)
		close(m.state_fd);
	logfile_close(&m.log);
	spec_free(&m.spec);
	free(o.exit_command);
	return code;
}
