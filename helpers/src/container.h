/* container.h: start a container's process from a loaded spec, held at a gate before exec. */
#ifndef SKIFF_CONTAINER_H
#define SKIFF_CONTAINER_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "spec.h"

/*
 * Starting a container takes two calls, so a caller can publish the pid (and open an
 * attach socket) before the command produces any output:
 *
 *     struct container c = CONTAINER_INIT;
 *     container_spawn(&spec, &stdio, 0, &c, &err);   // namespaces, mounts, user: all but exec
 *     ...                                             // c.pid is known; c.terminal is the pty
 *     container_start(&c, &code, &err);               // open the gate; exec, or 126/127
 *     ...                                             // waitpid(c.pid): the caller reaps it
 *     container_close(&c);
 *
 * The process is a direct child of the caller (clone() with the namespaces to create), so
 * the caller waits for it as for any child and gets its exit status. Setup runs in the
 * child; whatever fails there comes back as a struct error over a close-on-exec sync
 * socket ("mount overlay on /x/merged: EINVAL"), and the spawn fails with the child
 * already reaped (exit status 125 for the caller to use). After the gate, the only
 * failures are the exec's: container_start() then gives 127 (not found) or 126 (cannot be
 * run) with Docker's words (`exec: "nosuch": executable file not found in $PATH`); the
 * child exits with that status and the caller reaps it as usual. The caller must be
 * single-threaded.
 */
struct container {
	pid_t pid;	/* in the caller's pid namespace */
	int sync_fd;	/* the caller's end of the sync socket */
	int terminal;	/* the pty master (non-blocking) when process.terminal, else -1 */
};

#define CONTAINER_INIT { .pid = 0, .sync_fd = -1, .terminal = -1 }

/* stdin, stdout and stderr for a process without a terminal (ignored with one). */
struct container_stdio {
	int in, out, err;
};

/* The process gets SIGKILL when the caller dies: the `run` verb's, and the monitor's (a container
 * whose monitor was killed is shown stopped, so it must be; nothing would log or reap it). */
#define CONTAINER_DIE_WITH_PARENT 1u

int container_spawn(const struct spec *spec, const struct container_stdio *stdio, unsigned flags,
		    struct container *c, struct error *err);

/*
 * Let the process exec. Returns 0 once it has, or -1 with *exit_code 126 or 127 and err
 * saying why (the process then exits with that status).
 */
int container_start(struct container *c, int *exit_code, struct error *err);

/* Close the caller's fds for c; the process itself is not touched. */
void container_close(struct container *c);

#endif
