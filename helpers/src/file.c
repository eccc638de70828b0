/* file.c: whole-file reads and writes, for /proc and /sys files and small probes. */
#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"

static int write_all_once(int fd, const char *path, const char *data, struct error *err)
{
	size_t len = strlen(data);
	ssize_t n;
	do
		n = write(fd, data, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return error_sys(err, "write %s", path);
	if ((size_t)n != len)
		return error_msg(err, "write %s: short write (%zd of %zu bytes)", path, n, len);
	return 0;
}

int file_write(const char *path, const char *data, struct error *err)
{
	cleanup_fd int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return error_sys(err, "open %s", path);
	return write_all_once(fd, path, data, err);
}

int file_create(const char *path, const char *data, mode_t mode, struct error *err)
{
	cleanup_fd int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return error_sys(err, "create %s", path);
	if (write_all_once(fd, path, data, err) < 0)
		return -1;
	if (close(steal_fd(&fd)) < 0)
		return error_sys(err, "close %s", path);
	return 0;
}

ssize_t file_read(const char *path, char *buf, size_t len, struct error *err)
{
	cleanup_fd int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return error_sys(err, "open %s", path);
	return file_read_fd(fd, path, buf, len, err);
}

ssize_t file_read_fd(int fd, const char *path, char *buf, size_t len, struct error *err)
{
	size_t used = 0;
	while (used < len - 1) {
		ssize_t n = read(fd, buf + used, len - 1 - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return error_sys(err, "read %s", path);
		if (n == 0)
			break;
		used += (size_t)n;
	}
	buf[used] = '\0';
	return (ssize_t)used;
}

int file_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EAGAIN) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };
			if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
				return -1;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}
