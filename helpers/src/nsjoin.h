/* nsjoin.h: entering the namespaces and root directory of a running process (the exec verb). */
#ifndef SKIFF_NSJOIN_H
#define SKIFF_NSJOIN_H

#include <sys/types.h>

#include "error.h"

/* user, mnt, uts, ipc, net, cgroup, time, pid: the namespaces a process can be in. */
#define NSJOIN_COUNT 8

/*
 * A running process (a container's init) whose namespaces the caller is about to join.
 * Everything is opened through /proc/PID while the process is known to be alive (checked
 * through its pidfd afterwards, so a pid reused in between is never joined), because
 * once the caller is in the container's mount namespace the host's /proc/PID is out of
 * reach. All fds are close-on-exec; -1 where not open.
 */
struct ns_target {
	pid_t pid;
	int pidfd;
	int root_fd;		     /* /proc/PID/root: its root, pivot_root'ed or chroot'ed */
	int cwd_fd;		     /* /proc/PID/cwd */
	int ns_fd[NSJOIN_COUNT];    /* -1 for a namespace that is the caller's own already */
	int differ;		     /* CLONE_NEW* flags of the namespaces that are not the caller's */
};

/* Set every fd of t to -1, so ns_target_close() is safe before ns_target_open(). */
void ns_target_init(struct ns_target *t);

/* Close whatever t holds (safe to call twice). */
void ns_target_close(struct ns_target *t);

/*
 * Open pid's namespaces, root and working directory. A process that is gone (or a
 * zombie, whose namespaces are gone) fails with errnum ESRCH and the message
 * "container process PID is not running".
 */
int ns_target_open(pid_t pid, struct ns_target *t, struct error *err);

/* Fails with ESRCH (same message) if the process has exited since ns_target_open(). */
int ns_target_check_alive(const struct ns_target *t, struct error *err);

/*
 * Join those of the namespaces in types (CLONE_NEW* flags) that are not the caller's
 * already; the user namespace, if it differs, comes first. With CLONE_NEWNS the caller's
 * root and working directory also become the process's root (as nsenter --root does):
 * setns() alone would put it at the namespace's root mount, which is not the container's
 * root when that was made by chroot or sits under other mounts. CLONE_NEWPID, as always,
 * applies to the caller's children only.
 *
 * Uses one setns(pidfd, flags) call where the kernel supports it (5.8+: all or nothing),
 * else one setns() per namespace fd. Changes the calling process, which must be
 * single-threaded.
 */
int ns_target_join(const struct ns_target *t, int types, struct error *err);

#endif
