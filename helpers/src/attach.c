/* attach.c: the monitor's attach socket: clients that see a container's output and feed its stdin. */
#include "attach.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* A drained queue bigger than this is freed, so an idle monitor stays small. */
#define QUEUE_KEEP 4096

int attach_listen(struct attach_server *s, const char *path, struct error *err)
{
	memset(s, 0, sizeof *s);
	s->listen_fd = -1;
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof addr.sun_path)
		return error_errno(err, ENAMETOOLONG, "attach socket %s", path);
	strcpy(addr.sun_path, path);
	s->path = strdup(path);
	if (s->path == NULL)
		return error_sys(err, "attach socket %s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return error_sys(err, "create attach socket %s", path);
	if (unlink(path) < 0 && errno != ENOENT) {
		close(fd);
		return error_sys(err, "remove stale attach socket %s", path);
	}
	/* The socket file's mode comes from the umask at bind time: 0600 from the start. */
	mode_t old = umask(0177);
	int rc = bind(fd, (struct sockaddr *)&addr, sizeof addr);
	umask(old);
	if (rc < 0 || listen(fd, 16) < 0) {
		error_sys(err, "listen on attach socket %s", path);
		close(fd);
		return -1;
	}
	s->listen_fd = fd;
	return 0;
}

size_t attach_accept(struct attach_server *s)
{
	size_t accepted = 0;
	while (s->listen_fd >= 0) {
		int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0 && errno == EINTR)
			continue;
		if (fd < 0)
			break;
		struct attach_client *grown = realloc(s->clients, (s->count + 1) * sizeof *grown);
		if (grown == NULL) {
			close(fd);
			break;
		}
		s->clients = grown;
		memset(&s->clients[s->count], 0, sizeof s->clients[s->count]);
		s->clients[s->count].fd = fd;
		s->count++;
		accepted++;
	}
	return accepted;
}

static void remove_client(struct attach_server *s, size_t i)
{
	close(s->clients[i].fd);
	free(s->clients[i].queue);
	s->clients[i] = s->clients[s->count - 1];
	s->count--;
	if (s->count == 0) {
		free(s->clients);
		s->clients = NULL;
	}
}

/* Queue one frame; force skips the size limit (the exit frame must get through). */
static void queue_frame(struct attach_client *c, unsigned char type, const char *data, size_t len,
			bool force)
{
	size_t waiting = c->queued - c->sent;
	size_t need = waiting + 5 + len;
	if (need > ATTACH_QUEUE_MAX && !force) {
		c->dropped++;
		return;
	}
	if (c->sent > 0) {
		memmove(c->queue, c->queue + c->sent, waiting);
		c->queued = waiting;
		c->sent = 0;
	}
	if (need > c->cap) {
		size_t cap = c->cap ? c->cap : QUEUE_KEEP;
		while (cap < need)
			cap *= 2;
		char *grown = realloc(c->queue, cap);
		if (grown == NULL) {
			c->dropped++;
			return;
		}
		c->queue = grown;
		c->cap = cap;
	}
	unsigned char *p = (unsigned char *)c->queue + c->queued;
	p[0] = type;
	p[1] = (unsigned char)(len >> 24);
	p[2] = (unsigned char)(len >> 16);
	p[3] = (unsigned char)(len >> 8);
	p[4] = (unsigned char)len;
	if (len > 0)
		memcpy(p + 5, data, len);
	c->queued += 5 + len;
}

/* Send what the kernel takes now; false when the client is gone. */
static bool send_queue(struct attach_client *c)
{
	while (c->sent < c->queued) {
		ssize_t n = send(c->fd, c->queue + c->sent, c->queued - c->sent, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return true;
		if (n <= 0)
			return false;
		c->sent += (size_t)n;
	}
	c->sent = c->queued = 0;
	if (c->cap > QUEUE_KEEP) {
		free(c->queue);
		c->queue = NULL;
		c->cap = 0;
	}
	return true;
}

static void finish_frame(struct attach_client *c, const struct attach_handler *h)
{
	unsigned char type = c->header[0];
	if (type == ATTACH_CLOSE_STDIN && h->stdin_close != NULL)
		h->stdin_close(h->ctx);
	if (type == ATTACH_RESIZE && c->resize_got == 4 && h->resize != NULL)
		h->resize(h->ctx, (unsigned)(c->resize[0] << 8 | c->resize[1]),
			  (unsigned)(c->resize[2] << 8 | c->resize[3]));
	c->header_got = 0;
	c->resize_got = 0;
}

static void parse_input(struct attach_client *c, const char *data, size_t len,
			const struct attach_handler *h)
{
	while (len > 0) {
		if (c->header_got < sizeof c->header) {
			size_t take = sizeof c->header - c->header_got;
			if (take > len)
				take = len;
			memcpy(c->header + c->header_got, data, take);
			c->header_got += take;
			data += take;
			len -= take;
			if (c->header_got == sizeof c->header) {
				c->payload_left = (uint32_t)c->header[1] << 24 | (uint32_t)c->header[2] << 16 |
						  (uint32_t)c->header[3] << 8 | c->header[4];
				if (c->payload_left == 0)
					finish_frame(c, h);
			}
			continue;
		}
		size_t take = c->payload_left < len ? c->payload_left : len;
		if (c->header[0] == ATTACH_STDIN && h->stdin_data != NULL) {
			h->stdin_data(h->ctx, data, take);
		} else if (c->header[0] == ATTACH_RESIZE) {
			for (size_t i = 0; i < take && c->resize_got < sizeof c->resize; i++)
				c->resize[c->resize_got++] = (unsigned char)data[i];
		}
		c->payload_left -= (uint32_t)take;
		data += take;
		len -= take;
		if (c->payload_left == 0)
			finish_frame(c, h);
	}
}

size_t attach_poll_fds(const struct attach_server *s, bool accept_input, struct pollfd *fds)
{
	for (size_t i = 0; i < s->count; i++) {
		const struct attach_client *c = &s->clients[i];
		fds[i].fd = c->fd;
		fds[i].events = 0;
		fds[i].revents = 0;
		if (c->shut || (accept_input && !c->input_done && !c->closing))
			fds[i].events |= POLLIN;
		if (c->queued > c->sent)
			fds[i].events |= POLLOUT;
	}
	return s->count;
}

/* After the exit frame is sent: stop sending, and wait for the client to close. */
static void shut_client(struct attach_client *c)
{
	if (c->shut)
		return;
	shutdown(c->fd, SHUT_WR);
	c->shut = true;
}

/* A shut client's input is discarded; false once it has closed. */
static bool discard_input(struct attach_client *c)
{
	char buf[4096];
	for (;;) {
		ssize_t r = read(c->fd, buf, sizeof buf);
		if (r > 0)
			continue;
		return r < 0 && (errno == EAGAIN || errno == EINTR);
	}
}

void attach_handle(struct attach_server *s, const struct pollfd *fds, size_t n,
		   const struct attach_handler *h)
{
	/* From the end: removing client i moves the last one, already handled, into its place. */
	for (size_t k = n; k-- > 0;) {
		struct attach_client *c = &s->clients[k];
		short re = fds[k].revents;
		bool gone = false;
		if ((re & POLLOUT) && !send_queue(c))
			gone = true;
		if (!gone && c->shut) {
			if (re & (POLLIN | POLLHUP | POLLERR))
				gone = !discard_input(c);
		} else if (!gone && (fds[k].events & POLLIN) && (re & (POLLIN | POLLHUP | POLLERR))) {
			char buf[4096];
			ssize_t r = read(c->fd, buf, sizeof buf);
			if (r > 0)
				parse_input(c, buf, (size_t)r, h);
			else if (r == 0)
				c->input_done = true;
			else if (errno != EAGAIN && errno != EINTR)
				gone = true;
		} else if (!gone && (re & (POLLHUP | POLLERR))) {
			gone = true;
		}
		if (!gone && c->closing && c->queued == c->sent) {
			if (c->input_done)
				gone = true;
			else
				shut_client(c);
		}
		if (gone)
			remove_client(s, k);
	}
}

void attach_broadcast(struct attach_server *s, unsigned char type, const char *data, size_t len)
{
	for (size_t i = 0; i < s->count; i++) {
		if (!s->clients[i].closing)
			queue_frame(&s->clients[i], type, data, len, false);
	}
}

void attach_broadcast_exit(struct attach_server *s, int status)
{
	char payload[4] = { (char)(status >> 24), (char)(status >> 16), (char)(status >> 8), (char)status };
	for (size_t i = 0; i < s->count; i++) {
		if (!s->clients[i].closing) {
			queue_frame(&s->clients[i], ATTACH_EXIT, payload, sizeof payload, true);
			s->clients[i].closing = true;
		}
	}
}

static long long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

void attach_flush_all(struct attach_server *s, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;
	while (s->count > 0) {
		struct pollfd fds[64];
		size_t n = s->count < 64 ? s->count : 64;
		for (size_t i = 0; i < n; i++) {
			struct attach_client *c = &s->clients[i];
			if (c->queued == c->sent)
				shut_client(c);
			fds[i].fd = c->fd;
			fds[i].events = c->queued > c->sent ? POLLOUT : POLLIN;
			fds[i].revents = 0;
		}
		long long left = deadline - now_ms();
		if (left <= 0 || poll(fds, n, (int)left) <= 0)
			break;
		for (size_t k = n; k-- > 0;) {
			struct attach_client *c = &s->clients[k];
			short re = fds[k].revents;
			bool gone = false;
			if (re & POLLOUT)
				gone = !send_queue(c);
			else if (re & (POLLIN | POLLHUP | POLLERR))
				gone = c->input_done || !discard_input(c);
			if (gone)
				remove_client(s, k);
		}
	}
	while (s->count > 0)
		remove_client(s, s->count - 1);
}

void attach_unlisten(struct attach_server *s)
{
	if (s->listen_fd >= 0) {
		close(s->listen_fd);
		s->listen_fd = -1;
	}
	if (s->path != NULL) {
		unlink(s->path);
		free(s->path);
		s->path = NULL;
	}
}
