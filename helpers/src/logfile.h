/* logfile.h: a container's output as Docker's json-file log, with size-based rotation. */
#ifndef SKIFF_LOGFILE_H
#define SKIFF_LOGFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "error.h"

/*
 * One record per line of output, as Docker's json-file driver writes them:
 *
 *     {"log":"hello\n","stream":"stdout","time":"2026-11-24T10:00:00.123456789Z"}
 *
 * "log" is escaped as Docker's writer does (\" \\ \n \r, every other control byte and
 * < > & as \u00XX, U+2028/U+2029 as \u2028/\u2029, each byte of invalid UTF-8 as
 * \ufffd); "time" is Go's RFC3339Nano in UTC (trailing zeros of the fraction dropped).
 * A line longer than 16 KiB is cut into 16 KiB records without the newline, and a last
 * line without one is written as it is when its stream ends (logfile_flush).
 *
 * Rotation: before a record, if the file has reached max_size, FILE.(N-2) is renamed to
 * FILE.(N-1), ..., FILE to FILE.1, keeping max_files files in all (one: FILE is just
 * truncated). Write errors (a full disk) drop records silently: the container must not
 * stall for its log.
 */

enum log_stream_id { LOG_STDOUT, LOG_STDERR, LOG_STREAMS };

struct logfile {
	int fd;			 /* -1: no log (driver none) */
	const char *path;
	unsigned long long max_size; /* 0: no limit */
	unsigned max_files;
	unsigned long long size;
	struct {
		char *line; /* the part of a line seen so far, without its newline */
		size_t len;
	} pending[LOG_STREAMS];
};

/* A logfile that writes nothing (--log-driver none). */
void logfile_init_none(struct logfile *l);

/* Open (append to) path, mode 0640. */
int logfile_open(struct logfile *l, const char *path, unsigned long long max_size,
		 unsigned max_files, struct error *err);

/* Output read from the container on one stream: complete lines become records at once. */
void logfile_write(struct logfile *l, enum log_stream_id stream, const char *data, size_t len);

/* The stream ended: write what is left of its last line. */
void logfile_flush(struct logfile *l, enum log_stream_id stream);

void logfile_close(struct logfile *l);

/*
 * Go's RFC3339Nano in UTC, e.g. "2026-11-24T10:00:00.1234567Z"; buf needs 40 bytes.
 * This and format_uint use no stdio or time zone code: a monitor that only logs keeps
 * little of the binary resident.
 */
void format_rfc3339nano(const struct timespec *t, char *buf, size_t len);

/* value in decimal, at least width digits (zero-padded), NUL-terminated; returns the end. */
char *format_uint(char *out, unsigned long long value, int width);

#endif
