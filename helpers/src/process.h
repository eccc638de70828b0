/* process.h: forking children, waiting for them, and running external tools. */
#ifndef SKIFF_PROCESS_H
#define SKIFF_PROCESS_H

#include <stddef.h>
#include <sys/types.h>

#include "error.h"

/*
 * fork() for helper children: the child gets SIGKILL if the helper dies, so no child
 * outlives it by accident. Returns 0 in the child, the pid in the parent, -1 on failure.
 * A child must leave with _exit(), never exit() or return, so it does not flush stdio
 * buffers or run cleanups that belong to the parent.
 */
pid_t proc_fork(struct error *err);

/* Signals as a new process has them, for a child about to exec: no signal blocked, every
 * disposition back to its default (an "ignore" would survive the exec). */
void proc_reset_signals(void);

/* Wait for pid, retrying on EINTR; *status is waitpid()'s status. */
int proc_wait(pid_t pid, int *status, struct error *err);

/* Describe a wait status: "exited 1", "killed by SIGKILL". */
void proc_describe_status(int status, char *buf, size_t len);

/*
 * A wait status as a shell (and Docker) reports it: the exit code, or 128+N when signal N
 * killed the process. (No wait here asks for stopped children.)
 */
int proc_exit_code(int status);

/*
 * Sync sockets: a SOCK_SEQPACKET socketpair (close-on-exec) over which parent and child
 * exchange struct error values with error_send()/error_recv().
 */
int proc_sync_pair(int *parent_end, int *child_end, struct error *err);

/*
 * Fork a child (proc_fork) for a handshake of several steps over a sync socket: the child
 * runs fn(arg, sync, err) with its end, exchanging struct error values with the caller as
 * the steps require, then sends its outcome last (an empty message when fn returned 0) and
 * exits, 0 or 1. Returns the child's pid, the caller's end of the socket in *sync (the
 * caller closes it and reaps the child), or -1.
 */
pid_t proc_spawn(int (*fn)(void *arg, int sync, struct error *err), void *arg, int *sync,
		 struct error *err);

/*
 * Run fn(arg) in a forked child and bring its outcome back: 0 when it succeeded,
 * otherwise -1 with the child's own error value in *err. This is how anything that
 * changes the process (namespaces, mounts, credentials) is tried without touching the
 * caller. The child is always reaped before this returns.
 */
int proc_call(int (*fn)(void *arg, struct error *err), void *arg, struct error *err);

/*
 * Run argv (argv[0] is a path, no PATH search) with stdin from /dev/null and stdout and
 * stderr captured together into output (NUL-terminated, truncated to len, trailing
 * whitespace removed). Succeeds only if the tool exits 0; otherwise *err reads
 * "TOOL ARGS...: exited 1: <its output>".
 */
int proc_run(const char *const argv[], char *output, size_t len, struct error *err);

/*
 * execvp(argv[0], argv): the helper's own exec of a command searched in its $PATH (glibc's
 * rules, "/bin:/usr/bin" when unset). Returns only on failure, with the errno to report:
 * ENOENT, not the EACCES execvp gives when it passed over an unreadable $PATH directory
 * (root's own, for uid 0 in a user namespace), unless the command is really in one of them.
 */
int proc_execvp(char *const argv[]);

#endif
