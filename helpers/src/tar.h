/* tar.h: a streaming reader for tar archives (ustar, POSIX pax, GNU long names). */
#ifndef SKIFF_TAR_H
#define SKIFF_TAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "error.h"

/*
 * Reads a plain (uncompressed) tar stream from a file descriptor, one entry at a time,
 * as Go's archive/tar does (Docker's reference): ustar, POSIX pax with per-file `x` and
 * global `g` headers, GNU long names and link names (`L`, `K`), base-256 numbers, old V7
 * headers. Header checksums are verified. Metadata headers (`x`, `g`, `L`, `K`) are folded
 * into the entry they describe; the caller only sees real entries:
 *
 *     struct tar_reader r;
 *     struct tar_entry e;
 *     tar_reader_init(&r, STDIN_FILENO, &err);
 *     while ((rc = tar_next(&r, &e, &err)) > 0) {
 *             const void *chunk;
 *             ssize_t n;
 *             while ((n = tar_data(&r, &chunk, &err)) > 0)
 *                     ...write chunk...
 *             tar_entry_free(&e);
 *     }
 *
 * Data that an entry's reader leaves unread is skipped by the next tar_next().
 *
 * Global `g` records apply to every later entry (POSIX), except path, linkpath and size,
 * which can only ever describe one entry and are ignored there. Like Go, links, devices,
 * directories and fifos carry no data whatever their size field says.
 */

/* Entry types after normalisation ('\0' and '7' read as TAR_REGULAR). */
enum {
	TAR_REGULAR = '0',
	TAR_HARDLINK = '1',
	TAR_SYMLINK = '2',
	TAR_CHAR = '3',
	TAR_BLOCK = '4',
	TAR_DIRECTORY = '5',
	TAR_FIFO = '6',
};

struct tar_xattr {
	char *name;
	char *value; /* binary; len bytes */
	size_t len;
};

struct tar_entry {
	char *name;	/* as stored: pax path, GNU long name, or ustar prefix + "/" + name */
	char *linkname; /* hard link target or symlink contents ("" if none) */
	char type;	/* TAR_* or, for types this reader does not interpret, the raw flag */
	mode_t mode;	/* permission bits with setuid, setgid and sticky (07777) */
	int64_t uid;
	int64_t gid;
	uint64_t size;	/* bytes of data that follow (0 for links, directories, devices) */
	struct timespec mtime;
	struct timespec atime; /* only when has_atime (pax) */
	bool has_atime;
	unsigned devmajor;
	unsigned devminor;
	struct tar_xattr *xattrs; /* SCHILY.xattr.* and LIBARCHIVE.xattr.* pax records */
	size_t xattr_count;
	bool sparse;	 /* a GNU sparse file (type 'S' or GNU.sparse.* records) */
	uint64_t offset; /* byte offset of the entry's first header in the stream */
};

struct tar_reader {
	int fd;
	unsigned char *buf; /* input buffer: bytes [start, end) are read but not consumed */
	size_t cap;
	size_t start;
	size_t end;
	bool eof;
	uint64_t pos;	     /* stream offset of buf[start] */
	uint64_t data_left;  /* unread data bytes of the current entry */
	uint64_t skip_left;  /* padding (and unread data) to skip before the next header */
	char *global_pax;    /* records of all `g` headers so far, in order */
	size_t global_pax_len;
};

int tar_reader_init(struct tar_reader *r, int fd, struct error *err);
void tar_reader_free(struct tar_reader *r);

/*
 * The next entry into *e (free it with tar_entry_free): 1 when there is one, 0 at the end
 * of the archive (two zero blocks, one zero block then EOF, or EOF where a header would
 * start, as Go's reader accepts), -1 on a bad or truncated archive.
 */
int tar_next(struct tar_reader *r, struct tar_entry *e, struct error *err);

/*
 * Borrow the next piece of the current entry's data: *chunk points into the reader's
 * buffer and stays valid until the next call. Returns its length, 0 when the data is
 * all read, -1 when the stream ends early or a read fails.
 */
ssize_t tar_data(struct tar_reader *r, const void **chunk, struct error *err);

/* Read and discard the rest of the stream (whatever follows the end of the archive). */
int tar_drain(struct tar_reader *r, struct error *err);

void tar_entry_free(struct tar_entry *e);

#endif
