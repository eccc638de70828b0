/* run.c: the `run` verb: run a container from an OCI bundle in the foreground.
 *
 *     skiff-helper run --bundle DIR
 *
 * Reads DIR/config.json (see spec.h for what is honoured), starts the container with the
 * helper's own stdin, stdout and stderr (see container.h) and waits for it, forwarding
 * SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 to it. It is killed if the helper
 * dies. With process.terminal the container gets a pty from its own /dev/pts (the master
 * comes back over the sync socket) and the helper relays: its stdin to the pty (with its
 * own terminal in raw mode meanwhile, and the window size copied at start and on
 * SIGWINCH; an end of stdin becomes the pty's EOF character), the pty to its stdout.
 * Rootless, skiff runs it as `skiff-helper userns ... -- skiff-helper run ...`.
 *
 * Exit status, as Docker's: the container's own (128+N when signal N killed it); 125 with
 * one line, "skiff-helper: mount overlay on /x/merged: EINVAL", when anything before the
 * exec fails (usage errors too); 127 when the command is not found and 126 when it cannot
 * be run, with Docker's words: `skiff-helper: exec: "nosuch": executable file not found in
 * $PATH`, `skiff-helper: exec: "/etc/passwd": permission denied`.
 *
 * By hand (an unpacked rootfs in /tmp/t/rootfs and a config.json from `runc spec`, see
 * helpers/README.md):
 *
 *     helpers/skiff-helper run --bundle /tmp/t
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "cleanup.h"
#include "container.h"
#include "error.h"
#include "file.h"
#include "process.h"
#include "pty.h"
#include "spec.h"
#include "verbs.h"

static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };

/* Copy what the pty has now to stdout; false once it is closed (EIO: no slave left). */
static bool drain_terminal(int master)
{
	char buf[4096];
	for (;;) {
		ssize_t n = read(master, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return true;
		if (n <= 0)
			return false;
		file_write_all(STDOUT_FILENO, buf, (size_t)n);
	}
}

/* The pty's end-of-file character, for an end of the helper's stdin. */
static void send_eof(int master)
{
	struct termios t;
	char eof = 4; /* ^D */
	if (tcgetattr(master, &t) == 0 && t.c_cc[VEOF] != _POSIX_VDISABLE)
		eof = (char)t.c_cc[VEOF];
	file_write_all(master, &eof, 1);
}

/* Relay and forward signals until the container exits; returns its wait status. */
static int supervise(const struct container *c, int sigfd)
{
	int master = c->terminal;
	bool stdin_open = master >= 0;
	for (;;) {
		struct pollfd fds[3] = {
			{ .fd = sigfd, .events = POLLIN },
			{ .fd = stdin_open ? STDIN_FILENO : -1, .events = POLLIN },
			{ .fd = master, .events = POLLIN },
		};
		if (poll(fds, 3, -1) < 0 && errno != EINTR)
			return -1;
		if (fds[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sigfd, &si, sizeof si) == (ssize_t)sizeof si) {
				if (si.ssi_signo == SIGWINCH && master >= 0) {
					pty_copy_size(STDIN_FILENO, master);
				} else if (si.ssi_signo != SIGCHLD) {
					kill(c->pid, (int)si.ssi_signo);
				}
			}
			int status;
			pid_t done = waitpid(c->pid, &status, WNOHANG);
			if (done == c->pid) {
				if (master >= 0)
					drain_terminal(master);
				return status;
			}
		}
		if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			char buf[4096];
			ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
			if (master < 0) {
				stdin_open = false;
			} else if (n > 0) {
				file_write_all(master, buf, (size_t)n);
			} else if (n == 0 || errno != EINTR) {
				stdin_open = false;
				send_eof(master);
			}
		}
		if (fds[2].revents & (POLLIN | POLLHUP | POLLERR)) {
			if (!drain_terminal(master))
				master = -1; /* the container's side is closed; wait for its exit */
		}
	}
}

int run_main(int argc, char **argv)
{
	static const struct option long_options[] = {
		{ "bundle", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *bundle = NULL;
	opterr = 0;
	optind = 1;
	for (;;) {
		int c = getopt_long(argc, argv, "+h", long_options, NULL);
		if (c == -1)
			break;
		switch (c) {
		case 'b':
			bundle = optarg;
			break;
		case 'h':
			fputs("usage: skiff-helper run --bundle DIR\n"
			      "\n"
			      "Runs the container described by DIR/config.json in the foreground with\n"
			      "this process's stdio (a relayed pty with process.terminal) and exits with\n"
			      "its status: 125 helper error, 126 cannot run, 127 not found.\n",
			      stdout);
			return EXIT_SUCCESS;
		default:
			return error_usage("run", EXIT_ENGINE_ERROR,
					   "unknown option or missing value: %s", argv[optind - 1]);
		}
	}
	if (bundle == NULL)
		return error_usage("run", EXIT_ENGINE_ERROR, "--bundle DIR is required");
	if (optind < argc)
		return error_usage("run", EXIT_ENGINE_ERROR,
				   "unexpected argument \"%s\"", argv[optind]);

	struct error err;
	struct spec spec;
	if (spec_load(bundle, &spec, &err) < 0)
		return error_print(&err, EXIT_ENGINE_ERROR);

	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGWINCH);
	for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++)
		sigaddset(&mask, forwarded[i]);
	signal(SIGPIPE, SIG_IGN);
	cleanup_fd int sigfd = -1;
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0 ||
	    (sigfd = signalfd(-1, &mask, SFD_CLOEXEC)) < 0) {
		error_sys(&err, "set up signal handling");
		spec_free(&spec);
		return error_print(&err, EXIT_ENGINE_ERROR);
	}

	struct container c = CONTAINER_INIT;
	const struct container_stdio stdio = { .in = STDIN_FILENO, .out = STDOUT_FILENO, .err = STDERR_FILENO };
	int rc = container_spawn(&spec, &stdio, CONTAINER_DIE_WITH_PARENT, &c, &err);
	spec_free(&spec);
	if (rc < 0)
		return error_print(&err, EXIT_ENGINE_ERROR);

	struct termios saved;
	bool raw = false;
	if (c.terminal >= 0 && isatty(STDIN_FILENO)) {
		pty_copy_size(STDIN_FILENO, c.terminal);
		struct error ignored;
		raw = term_set_raw(STDIN_FILENO, &saved, &ignored) == 0;
	}

	int code;
	int status;
	if (container_start(&c, &code, &err) < 0) {
		if (raw)
			term_restore(STDIN_FILENO, &saved);
		error_print(&err, code);
		while (waitpid(c.pid, &status, 0) < 0 && errno == EINTR)
			;
		container_close(&c);
		return code;
	}
	status = supervise(&c, sigfd);
	if (raw)
		term_restore(STDIN_FILENO, &saved);
	container_close(&c);
	if (status < 0) {
		error_sys(&err, "wait for the container");
		return error_print(&err, EXIT_ENGINE_ERROR);
	}
	return proc_exit_code(status);
}
