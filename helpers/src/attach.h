/* attach.h: the monitor's attach socket: clients that see a container's output and feed its stdin. */
#ifndef SKIFF_ATTACH_H
#define SKIFF_ATTACH_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/*
 * A unix stream socket (mode 0600) that any number of clients connect to. Both ways the
 * stream is framed: 1 byte type, 4 bytes big-endian payload length, the payload.
 *
 *     client -> monitor   0    stdin data for the container
 *                         'c'  close the container's stdin (no payload)
 *                         'r'  resize the terminal: rows, cols (2 + 2 bytes, big-endian)
 *     monitor -> client   1    stdout data        2    stderr data
 *                         'e'  exit: the status, 4 bytes big-endian (128+N for signal N);
 *                              the monitor then shuts down its sending side, discards what
 *                              the client still sends, and closes once the client has
 *                              (closing first would fail the client's last writes with EPIPE,
 *                              and a client that fails a write may drop output it has not read)
 *
 * Output goes to every client. Each has a send queue of at most ATTACH_QUEUE_MAX bytes:
 * a client too slow to keep up loses whole frames rather than stall the container.
 * Unknown client frame types are skipped.
 */

#define ATTACH_STDIN 0
#define ATTACH_CLOSE_STDIN 'c'
#define ATTACH_RESIZE 'r'
#define ATTACH_STDOUT 1
#define ATTACH_STDERR 2
#define ATTACH_EXIT 'e'

#define ATTACH_QUEUE_MAX (256 * 1024)

struct attach_client {
	int fd;
	char *queue; /* frames waiting to be sent */
	size_t queued, sent, cap;
	bool closing;	   /* shut down once the queue is sent (after the exit frame) */
	bool shut;	   /* our side is shut down: waiting for the client to close */
	bool input_done;   /* the client shut down its sending side */
	unsigned char header[5];
	size_t header_got;
	uint32_t payload_left;
	unsigned char resize[4];
	size_t resize_got;
	unsigned long long dropped; /* frames not queued because the client was too slow */
};

/* What the clients' frames turn into; the monitor acts on them. */
struct attach_handler {
	void *ctx;
	void (*stdin_data)(void *ctx, const char *data, size_t len);
	void (*stdin_close)(void *ctx);
	void (*resize)(void *ctx, unsigned rows, unsigned cols);
};

struct attach_server {
	int listen_fd;
	char *path;
	struct attach_client *clients;
	size_t count;
};

/* Listen on path (removed first if a stale socket is there), non-blocking, mode 0600. */
int attach_listen(struct attach_server *s, const char *path, struct error *err);

/* Accept waiting clients; returns how many were accepted. */
size_t attach_accept(struct attach_server *s);

/*
 * The poll entries for the clients: POLLIN while input is wanted (accept_input false holds
 * it back, e.g. while the container's stdin is full), POLLOUT while frames wait. Fills
 * fds[0..count) in client order; returns count.
 */
size_t attach_poll_fds(const struct attach_server *s, bool accept_input, struct pollfd *fds);

/*
 * Act on what poll said about the clients (fds as attach_poll_fds filled them): read and
 * dispatch their frames, send their queues, drop the ones that are gone.
 */
void attach_handle(struct attach_server *s, const struct pollfd *fds, size_t n,
		   const struct attach_handler *h);

/* Queue a frame for every client. */
void attach_broadcast(struct attach_server *s, unsigned char type, const char *data, size_t len);

/* Queue the exit frame for every client, each shut down once it has been sent. */
void attach_broadcast_exit(struct attach_server *s, int status);

/* For up to timeout_ms, send what is queued and wait for the clients to close; then close every client. */
void attach_flush_all(struct attach_server *s, int timeout_ms);

/* Close the listening socket and remove it from the filesystem (clients stay). */
void attach_unlisten(struct attach_server *s);

#endif
