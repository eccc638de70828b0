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

#endif
