/* file.h: whole-file reads and writes, for /proc and /sys files and small probes. */
#ifndef SKIFF_FILE_H
#define SKIFF_FILE_H

#include <stddef.h>
#include <sys/types.h>

#include "error.h"

/*
 * Write data to an existing file in one write() call, as /proc/PID/uid_map requires.
 * Fails on a short write.
 */
int file_write(const char *path, const char *data, struct error *err);

/* Create (or truncate) path with mode and write data to it. */
int file_create(const char *path, const char *data, mode_t mode, struct error *err);

/* Read up to len - 1 bytes of path into buf, NUL-terminated; returns the byte count or -1. */
ssize_t file_read(const char *path, char *buf, size_t len, struct error *err);

/* The same from an open fd (path names it in messages), for a caller that checks the file
 * before reading it. */
ssize_t file_read_fd(int fd, const char *path, char *buf, size_t len, struct error *err);

/*
 * Write all len bytes of data to fd, retrying on EINTR and waiting in poll() while a
 * non-blocking fd is full (Node shares its stdio that way). Returns 0, or -1 with errno
 * set: callers word (or ignore) the failure themselves.
 */
int file_write_all(int fd, const void *data, size_t len);

#endif
