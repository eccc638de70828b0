/* init.c: the `init` verb: a minimal pid 1 for `docker run --init` (the role of tini).
 *
 *     skiff-helper init [--] CMD [ARG...]
 *
 * skiff bind-mounts the helper into the container at /sbin/docker-init and runs
 * `/sbin/docker-init init -- CMD...` as its process 1, because a program that does not
 * expect to be pid 1 neither reaps the orphans the kernel hands it nor gets the signals
 * it has no handler for. This verb forks CMD (searched in $PATH) into a process group of
 * its own, which it makes the terminal's foreground group when stdin is a terminal;
 * passes every signal it receives to CMD (SIGCHLD aside; SIGTTIN and SIGTTOU are
 * ignored); reaps every child, orphans included; and exits with CMD's status as soon as
 * CMD exits (128+N if signal N killed it), the kernel then ending whatever is left in
 * the container. When not pid 1 it makes itself a child subreaper, so orphans still come
 * to it. If CMD cannot be executed it says so on stderr as tini does,
 * "[FATAL skiff-init (7)] exec nosuch failed: No such file or directory", and exits
 * 127 when CMD was not found, 126 otherwise; 125 for its own failures (usage included).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "error.h"
#include "process.h"
#include "verbs.h"

/* Faults that concern the init itself and stay deliverable (as with tini). */
static const int synchronous_signals[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP, SIGSYS };

static int fail(const char *what)
{
	struct error err;
	error_sys(&err, "%s", what);
	fprintf(stderr, "skiff-helper init: %s\n", err.msg);
	return EXIT_ENGINE_ERROR;
}

static void usage(FILE *out)
{
	fputs("usage: skiff-helper init [--] CMD [ARG...]\n"
	      "\n"
	      "A minimal init for a container's pid 1 (docker run --init): runs CMD in its own\n"
	      "process group (the terminal's foreground one), forwards signals to it, reaps every\n"
	      "child and exits with CMD's status (128+N if killed by signal N); 127/126 when CMD\n"
	      "is not found / cannot be executed, 125 on its own errors.\n",
	      out);
}

static void run_command(char **command, const sigset_t *mask) __attribute__((noreturn));
static void run_command(char **command, const sigset_t *mask)
{
	setpgid(0, 0);
	/* We are in the background until this succeeds; SIGTTOU is ignored, so it may. */
	if (isatty(STDIN_FILENO) && tcsetpgrp(STDIN_FILENO, getpgrp()) < 0 && errno != ENOTTY &&
	    errno != ENXIO)
		fprintf(stderr, "[WARN  skiff-init (%d)] give the terminal to the command: %s\n",
			(int)getpid(), strerror(errno));
	signal(SIGTTIN, SIG_DFL);
	signal(SIGTTOU, SIG_DFL);
	sigprocmask(SIG_SETMASK, mask, NULL);
	int errnum = proc_execvp(command);
	fprintf(stderr, "[FATAL skiff-init (%d)] exec %s failed: %s\n", (int)getpid(), command[0],
		strerror(errnum));
	_exit(errnum == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_INVOKE);
}

int init_main(int argc, char **argv)
{
	static const struct option long_options[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	opterr = 0;
	optind = 1;
	for (;;) {
		int c = getopt_long(argc, argv, "+h", long_options, NULL);
		if (c == -1)
			break;
		if (c == 'h') {
			usage(stdout);
			return EXIT_SUCCESS;
		}
		return error_usage("init", EXIT_ENGINE_ERROR, "unknown option %s", argv[optind - 1]);
	}
	if (optind == argc)
		return error_usage("init", EXIT_ENGINE_ERROR, "no command given");
	char **command = argv + optind;

	/* Every signal waits in the queue for sigwaitinfo(): as pid 1, a signal with no
	 * handler would otherwise be dropped, and one with a handler would interrupt us. */
	sigset_t all;
	sigset_t original;
	sigfillset(&all);
	for (size_t i = 0; i < sizeof synchronous_signals / sizeof synchronous_signals[0]; i++)
		sigdelset(&all, synchronous_signals[i]);
	if (sigprocmask(SIG_SETMASK, &all, &original) < 0)
		return fail("block signals");
	signal(SIGTTIN, SIG_IGN);
	signal(SIGTTOU, SIG_IGN);
	if (getpid() != 1 && prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		return fail("become a child subreaper");

	pid_t child = fork();
	if (child < 0)
		return fail("fork");
	if (child == 0)
		run_command(command, &original);
	/* Also here, so a signal to the group cannot come before the child has done it. */
	setpgid(child, child);

	for (;;) {
		siginfo_t info;
		int sig = sigwaitinfo(&all, &info);
		if (sig < 0) {
			if (errno == EINTR)
				continue;
			return fail("wait for signals");
		}
		if (sig != SIGCHLD) {
			kill(child, sig);
			continue;
		}
		/* One SIGCHLD may stand for several children: reap until none is left. */
		for (;;) {
			int status;
			pid_t pid = waitpid(-1, &status, WNOHANG);
			if (pid < 0 && errno == EINTR)
				continue;
			if (pid <= 0)
				break;
			if (pid == child)
				return proc_exit_code(status);
		}
	}
}
