/* cleanup.h: scope-bound release of fds, memory, directories and child processes. */
#ifndef SKIFF_CLEANUP_H
#define SKIFF_CLEANUP_H

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/*
 * Declare a resource with one of these and it is released when the variable goes out of
 * scope, on every return path:
 *
 *     cleanup_fd int fd = open(path, O_RDONLY | O_CLOEXEC);
 *     cleanup_free char *buf = malloc(n);
 *     cleanup_pid pid_t pid = proc_fork(err);   // killed and reaped unless waited for
 *
 * To hand a resource on (return it, or after waiting for a pid), take it out with
 * steal_fd()/steal_ptr() or set the variable to -1/NULL; the cleanup then does nothing.
 * errno is preserved, so `return error_sys(...)` reports the failure, not the close().
 */

static inline void cleanup_close_fd(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}

static inline void cleanup_free_ptr(void *p)
{
	int saved = errno;
	free(*(void **)p);
	errno = saved;
}

static inline void cleanup_close_dir(DIR **d)
{
	if (*d != NULL) {
		int saved = errno;
		closedir(*d);
		errno = saved;
	}
}

static inline void cleanup_close_file(FILE **f)
{
	if (*f != NULL) {
		int saved = errno;
		fclose(*f);
		errno = saved;
	}
}

/* A child that nobody waited for is killed and reaped, so error paths leave no process. */
static inline void cleanup_reap_pid(pid_t *pid)
{
	if (*pid > 0) {
		int saved = errno;
		kill(*pid, SIGKILL);
		while (waitpid(*pid, NULL, 0) < 0 && errno == EINTR)
			;
		errno = saved;
	}
}

#define cleanup_fd __attribute__((cleanup(cleanup_close_fd)))
#define cleanup_free __attribute__((cleanup(cleanup_free_ptr)))
#define cleanup_dir __attribute__((cleanup(cleanup_close_dir)))
#define cleanup_file __attribute__((cleanup(cleanup_close_file)))
#define cleanup_pid __attribute__((cleanup(cleanup_reap_pid)))

static inline int steal_fd(int *fd)
{
	int v = *fd;
	*fd = -1;
	return v;
}

#define steal_ptr(pp)                          \
	({                                     \
		__typeof__(*(pp)) steal_v_ = *(pp); \
		*(pp) = NULL;                  \
		steal_v_;                      \
	})

#endif
