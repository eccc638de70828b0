/* error.h: the error value every fallible helper function fills in: errno plus a message. */
#ifndef SKIFF_ERROR_H
#define SKIFF_ERROR_H

#include <stddef.h>

#define ERROR_MSG_MAX 1024

/*
 * A failed operation, described for a person: "mount overlay on /tmp/x: EPERM".
 * errnum keeps the raw errno (0 when the failure has none, e.g. a tool's exit status)
 * so callers can still decide on it. It lives on the caller's stack: no allocation,
 * nothing to free, and it can be passed whole through a pipe from a child process.
 *
 * Convention: a function that can fail takes `struct error *err` last and returns
 * 0 on success or -1 after filling *err, so failures read `return error_sys(err, ...)`.
 */
struct error {
	int errnum;
	char msg[ERROR_MSG_MAX];
};

/* The symbolic name of an errno value ("EPERM"), or "errno 123" for unknown values. */
const char *errno_name(int errnum, char *buf, size_t len);

/* Record "MESSAGE: ENAME" for the current errno. Always returns -1. */
int error_sys(struct error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Record "MESSAGE: ENAME" for an explicit errno value. Always returns -1. */
int error_errno(struct error *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Record a message that has no errno (a tool's exit status, a bad value). Always returns -1. */
int error_msg(struct error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prefix context to an existing error: "probe overlay: " + old message. Always returns -1. */
int error_wrap(struct error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Send an error value through a sync socket (a SOCK_SEQPACKET socketpair, see
 * process.h) and receive it on the other side: how a forked child reports the outcome of
 * a step. An empty msg means success. Sending to a peer that has exited fails with EPIPE
 * rather than raising SIGPIPE.
 */
int error_send(int fd, const struct error *value, struct error *err);
/* Returns 1 when a value was received, 0 when the peer closed its end without a word. */
int error_recv(int fd, struct error *value, struct error *err);

/*
 * How a verb reports a failure: one line on stderr, "skiff-helper: MESSAGE" (line breaks,
 * e.g. in a tool's output, become spaces: skiff shows the line as its error). Returns
 * status, the verb's exit code for it: `return error_print(&err, EXIT_ENGINE_ERROR);`.
 */
int error_print(const struct error *err, int status);

/*
 * How a verb reports a usage error: one line on stderr, "skiff-helper VERB: MESSAGE (see
 * skiff-helper VERB --help)". Returns status, the verb's usage exit code (EXIT_USAGE, or
 * EXIT_ENGINE_ERROR for the verbs that pass a command's status through; see verbs.h).
 */
int error_usage(const char *verb, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
