/* process.c: forking children, waiting for them, and running external tools. */
#include "process.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"

pid_t proc_fork(struct error *err)
{
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0)
		return error_sys(err, "fork");
	if (pid == 0) {
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
			_exit(127);
		/* The parent may have died before the death signal was armed. */
		if (getppid() != parent)
			_exit(127);
	}
	return pid;
}

void proc_reset_signals(void)
{
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int sig = 1; sig < NSIG; sig++) {
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	}
}

int proc_wait(pid_t pid, int *status, struct error *err)
{
	while (waitpid(pid, status, 0) < 0) {
		if (errno != EINTR)
			return error_sys(err, "wait for process %d", (int)pid);
	}
	return 0;
}

void proc_describe_status(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exited %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by SIG%s", sigabbrev_np(WTERMSIG(status)) ?: "?");
	else
		snprintf(buf, len, "wait status 0x%x", (unsigned)status);
}

int proc_exit_code(int status)
{
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

int proc_sync_pair(int *parent_end, int *child_end, struct error *err)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return error_sys(err, "create sync socketpair");
	*parent_end = sv[0];
	*child_end = sv[1];
	return 0;
}

pid_t proc_spawn(int (*fn)(void *arg, int sync, struct error *err), void *arg, int *sync,
		 struct error *err)
{
	cleanup_fd int parent_end = -1;
	cleanup_fd int child_end = -1;
	if (proc_sync_pair(&parent_end, &child_end, err) < 0)
		return -1;

	pid_t pid = proc_fork(err);
	if (pid < 0)
		return -1;
	if (pid == 0) {
		struct error outcome = { 0 };
		struct error ignored;
		close(parent_end);
		if (fn(arg, child_end, &outcome) == 0)
			memset(&outcome, 0, sizeof outcome);
		else if (outcome.msg[0] == '\0')
			error_msg(&outcome, "failed without a message");
		error_send(child_end, &outcome, &ignored);
		_exit(outcome.msg[0] == '\0' ? 0 : 1);
	}
	*sync = steal_fd(&parent_end);
	return pid;
}

/* proc_call's function as a one-step proc_spawn one. */
struct call {
	int (*fn)(void *arg, struct error *err);
	void *arg;
};

static int call_step(void *arg, int sync, struct error *err)
{
	const struct call *call = arg;
	(void)sync;
	return call->fn(call->arg, err);
}

int proc_call(int (*fn)(void *arg, struct error *err), void *arg, struct error *err)
{
	struct call call = { .fn = fn, .arg = arg };
	cleanup_fd int sync = -1;
	cleanup_pid pid_t pid = proc_spawn(call_step, &call, &sync, err);
	if (pid < 0)
		return -1;

	struct error outcome;
	int got = error_recv(sync, &outcome, err);
	if (got < 0)
		return -1;
	int status;
	if (proc_wait(pid, &status, err) < 0)
		return -1;
	pid = -1;
	if (got == 0) {
		char how[64];
		proc_describe_status(status, how, sizeof how);
		return error_msg(err, "child process %s without reporting", how);
	}
	if (outcome.msg[0] != '\0') {
		*err = outcome;
		return -1;
	}
	return 0;
}

static void describe_command(const char *const argv[], char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; argv[i] != NULL && used < len; i++) {
		int n = snprintf(buf + used, len - used, "%s%s", i ? " " : "", argv[i]);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

static void trim_trailing_space(char *s, size_t n)
{
	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	s[n] = '\0';
}

int proc_run(const char *const argv[], char *output, size_t len, struct error *err)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return error_sys(err, "create pipe for %s", argv[0]);
	cleanup_fd int read_end = fds[0];
	cleanup_fd int write_end = fds[1];

	cleanup_pid pid_t pid = proc_fork(err);
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (devnull < 0 || dup2(devnull, STDIN_FILENO) < 0 || dup2(write_end, STDOUT_FILENO) < 0 ||
		    dup2(write_end, STDERR_FILENO) < 0)
			_exit(127);
		signal(SIGPIPE, SIG_DFL);
		execv(argv[0], (char *const *)argv);
		struct error failed;
		error_sys(&failed, "exec %s", argv[0]);
		if (write(STDERR_FILENO, failed.msg, strlen(failed.msg)) < 0)
			_exit(127);
		_exit(127);
	}
	close(steal_fd(&write_end));

	/* Read to the end even past len, so the tool never blocks on a full pipe. */
	size_t used = 0;
	for (;;) {
		char chunk[512];
		ssize_t n = read(read_end, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return error_sys(err, "read output of %s", argv[0]);
		if (n == 0)
			break;
		size_t keep = (size_t)n;
		if (len > 0 && keep > len - 1 - used)
			keep = len - 1 - used;
		memcpy(output + used, chunk, keep);
		used += keep;
	}
	if (len > 0)
		trim_trailing_space(output, used);

	int status;
	if (proc_wait(pid, &status, err) < 0)
		return -1;
	pid = -1;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;

	char command[512];
	char how[64];
	describe_command(argv, command, sizeof command);
	proc_describe_status(status, how, sizeof how);
	if (len > 0 && output[0] != '\0')
		return error_msg(err, "%s: %s: %s", command, how, output);
	return error_msg(err, "%s: %s", command, how);
}

/* Whether name, which has no '/', names anything in one of $PATH's directories. */
static bool found_in_path(const char *name)
{
	const char *path = getenv("PATH");
	for (const char *dir = path ? path : "/bin:/usr/bin";; dir++) {
		size_t n = strcspn(dir, ":");
		char candidate[4096];
		if (snprintf(candidate, sizeof candidate, "%.*s/%s", (int)n, n ? dir : ".", name) <
			    (int)sizeof candidate &&
		    access(candidate, F_OK) == 0)
			return true;
		dir += n;
		if (*dir == '\0')
			return false;
	}
}

int proc_execvp(char *const argv[])
{
	execvp(argv[0], argv);
	int errnum = errno;
	if (errnum == EACCES && strchr(argv[0], '/') == NULL && !found_in_path(argv[0]))
		errnum = ENOENT;
	return errnum;
}
