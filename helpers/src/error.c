/* error.c: building, passing and printing struct error values. */
#include "error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

const char *errno_name(int errnum, char *buf, size_t len)
{
	/* glibc's name table, so messages say EPERM rather than locale-dependent prose. */
	const char *name = strerrorname_np(errnum);
	if (name != NULL)
		return name;
	snprintf(buf, len, "errno %d", errnum);
	return buf;
}

static void vset(struct error *err, int errnum, const char *fmt, va_list ap)
{
	int n = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof err->msg)
		n = sizeof err->msg - 1;
	err->errnum = errnum;
	if (errnum != 0) {
		char buf[32];
		snprintf(err->msg + n, sizeof err->msg - n, ": %s", errno_name(errnum, buf, sizeof buf));
	}
}

int error_sys(struct error *err, const char *fmt, ...)
{
	int errnum = errno;
	va_list ap;
	va_start(ap, fmt);
	vset(err, errnum, fmt, ap);
	va_end(ap);
	return -1;
}

int error_errno(struct error *err, int errnum, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vset(err, errnum, fmt, ap);
	va_end(ap);
	return -1;
}

int error_msg(struct error *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vset(err, 0, fmt, ap);
	va_end(ap);
	return -1;
}

int error_wrap(struct error *err, const char *fmt, ...)
{
	char prefix[ERROR_MSG_MAX];
	char old[ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(prefix, sizeof prefix, fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof old);
	/* Truncation keeps the prefix, which names the step that failed. */
	if (snprintf(err->msg, sizeof err->msg, "%s: %s", prefix, old) < 0)
		err->msg[0] = '\0';
	return -1;
}

int error_send(int fd, const struct error *value, struct error *err)
{
	ssize_t n;
	do
		n = send(fd, value, sizeof *value, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return error_sys(err, "send to sync socket");
	if ((size_t)n != sizeof *value)
		return error_msg(err, "send to sync socket: short write");
	return 0;
}

int error_recv(int fd, struct error *value, struct error *err)
{
	ssize_t n;
	do
		n = recv(fd, value, sizeof *value, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return error_sys(err, "receive from sync socket");
	if (n == 0)
		return 0;
	if ((size_t)n != sizeof *value)
		return error_msg(err, "receive from sync socket: short read");
	value->msg[sizeof value->msg - 1] = '\0';
	return 1;
}

int error_print(const struct error *err, int status)
{
	char line[ERROR_MSG_MAX];
	snprintf(line, sizeof line, "%s", err->msg);
	for (char *c = line; *c != '\0'; c++) {
		if (*c == '\n' || *c == '\r')
			*c = ' ';
	}
	fprintf(stderr, "skiff-helper: %s\n", line);
	return status;
}

int error_usage(const char *verb, int status, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "skiff-helper %s: ", verb);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see skiff-helper %s --help)\n", verb);
	return status;
}
