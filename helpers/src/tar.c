/* tar.c: a streaming reader for tar archives (ustar, POSIX pax, GNU long names). */
#include "tar.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"

#define BLOCK_SIZE 512
#define BUFFER_SIZE (1U << 20)
/* Go's archive/tar caps pax and GNU long-name headers at 1 MiB too. */
#define SPECIAL_MAX (1U << 20)

/* Field offsets and lengths of a ustar header block. */
#define H_NAME 0, 100
#define H_MODE 100, 8
#define H_UID 108, 8
#define H_GID 116, 8
#define H_SIZE 124, 12
#define H_MTIME 136, 12
#define H_CHKSUM 148, 8
#define H_TYPEFLAG 156
#define H_LINKNAME 157, 100
#define H_MAGIC 257
#define H_VERSION 263
#define H_DEVMAJOR 329, 8
#define H_DEVMINOR 337, 8
#define H_PREFIX 345, 155
#define H_STAR_PREFIX 345, 131
#define H_STAR_TRAILER 508

enum header_format { FORMAT_V7, FORMAT_USTAR, FORMAT_STAR, FORMAT_GNU };

int tar_reader_init(struct tar_reader *r, int fd, struct error *err)
{
	memset(r, 0, sizeof *r);
	r->fd = fd;
	r->cap = BUFFER_SIZE;
	r->buf = malloc(r->cap);
	if (r->buf == NULL)
		return error_sys(err, "allocate the tar read buffer");
	/* A bigger pipe means fewer, larger reads when Node writes faster than we unpack;
	 * on a file or when the limit is lower this simply fails. */
	fcntl(fd, F_SETPIPE_SZ, (int)BUFFER_SIZE);
	return 0;
}

void tar_reader_free(struct tar_reader *r)
{
	free(r->buf);
	free(r->global_pax);
	r->buf = NULL;
	r->global_pax = NULL;
}

void tar_entry_free(struct tar_entry *e)
{
	free(e->name);
	free(e->linkname);
	for (size_t i = 0; i < e->xattr_count; i++) {
		free(e->xattrs[i].name);
		free(e->xattrs[i].value);
	}
	free(e->xattrs);
	memset(e, 0, sizeof *e);
}

/* ---- input buffer ------------------------------------------------------------------ */

/* Make at least want bytes available in buf[start, end), unless the stream ends first. */
static int refill(struct tar_reader *r, size_t want, struct error *err)
{
	if (r->start == r->end)
		r->start = r->end = 0;
	if (r->end - r->start >= want || r->eof)
		return 0;
	if (r->cap - r->start < want) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
	}
	while (r->end - r->start < want) {
		ssize_t n = read(r->fd, r->buf + r->end, r->cap - r->end);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return error_sys(err, "read the layer stream at byte %llu",
					 (unsigned long long)(r->pos + (r->end - r->start)));
		}
		if (n == 0) {
			r->eof = true;
			break;
		}
		r->end += (size_t)n;
	}
	return 0;
}

static void consume(struct tar_reader *r, size_t n)
{
	r->start += n;
	r->pos += n;
}

/* Skip n bytes of the stream; fails if it ends first. */
static int skip(struct tar_reader *r, uint64_t n, struct error *err)
{
	while (n > 0) {
		if (refill(r, 1, err) < 0)
			return -1;
		size_t avail = r->end - r->start;
		if (avail == 0)
			return error_msg(err, "the archive ends early, at byte %llu",
					 (unsigned long long)r->pos);
		size_t take = avail < n ? avail : (size_t)n;
		consume(r, take);
		n -= take;
	}
	return 0;
}

/* One 512-byte block: 1 read, 0 the stream ended right here, -1 it ended inside one. */
static int read_block(struct tar_reader *r, unsigned char *block, struct error *err)
{
	if (refill(r, BLOCK_SIZE, err) < 0)
		return -1;
	size_t avail = r->end - r->start;
	if (avail == 0)
		return 0;
	if (avail < BLOCK_SIZE)
		return error_msg(err, "the archive ends inside a header at byte %llu",
				 (unsigned long long)r->pos);
	memcpy(block, r->buf + r->start, BLOCK_SIZE);
	consume(r, BLOCK_SIZE);
	return 1;
}

static uint64_t padding(uint64_t size)
{
	return (BLOCK_SIZE - size % BLOCK_SIZE) % BLOCK_SIZE;
}

/* Read the data of a metadata header (pax, GNU long name) into a NUL-terminated copy. */
static int read_special(struct tar_reader *r, uint64_t size, uint64_t offset, char **out,
			size_t *len, struct error *err)
{
	if (size > SPECIAL_MAX)
		return error_msg(err, "tar header at byte %llu: its %llu-byte extension exceeds %u",
				 (unsigned long long)offset, (unsigned long long)size, SPECIAL_MAX);
	cleanup_free char *data = malloc(size + 1);
	if (data == NULL)
		return error_sys(err, "allocate %llu bytes", (unsigned long long)size);
	size_t got = 0;
	while (got < size) {
		if (refill(r, 1, err) < 0)
			return -1;
		size_t avail = r->end - r->start;
		if (avail == 0)
			return error_msg(err, "the archive ends inside the header at byte %llu",
					 (unsigned long long)offset);
		size_t take = avail < size - got ? avail : size - got;
		memcpy(data + got, r->buf + r->start, take);
		consume(r, take);
		got += take;
	}
	data[size] = '\0';
	if (skip(r, padding(size), err) < 0)
		return -1;
	*out = steal_ptr(&data);
	*len = size;
	return 0;
}

ssize_t tar_data(struct tar_reader *r, const void **chunk, struct error *err)
{
	if (r->data_left == 0)
		return 0;
	if (refill(r, 1, err) < 0)
		return -1;
	size_t avail = r->end - r->start;
	if (avail == 0)
		return error_msg(err, "the archive ends inside this entry's data, at byte %llu",
				 (unsigned long long)r->pos);
	size_t take = avail < r->data_left ? avail : (size_t)r->data_left;
	if (take > SSIZE_MAX)
		take = SSIZE_MAX;
	*chunk = r->buf + r->start;
	consume(r, take);
	r->data_left -= take;
	return (ssize_t)take;
}

int tar_drain(struct tar_reader *r, struct error *err)
{
	for (;;) {
		consume(r, r->end - r->start);
		if (r->eof)
			return 0;
		if (refill(r, 1, err) < 0)
			return -1;
	}
}

/* ---- header fields ----------------------------------------------------------------- */

/* A NUL-terminated copy of a fixed-size field that may fill it without a NUL. */
static char *field_string(const unsigned char *block, size_t off, size_t len)
{
	return strndup((const char *)block + off, len);
}

/* Octal (padded with spaces or NULs) or GNU base-256; false if neither. */
static bool field_number(const unsigned char *block, size_t off, size_t len, int64_t *out)
{
	const unsigned char *b = block + off;
	if (b[0] & 0x80) {
		/* Base-256: big-endian two's complement, the top bit of byte 0 is the marker. */
		unsigned char inv = (b[0] & 0x40) ? 0xff : 0;
		uint64_t x = 0;
		for (size_t i = 0; i < len; i++) {
			unsigned char c = b[i] ^ inv;
			if (i == 0)
				c &= 0x7f;
			if (x >> 56)
				return false;
			x = x << 8 | c;
		}
		if (x >> 63)
			return false;
		*out = inv ? ~(int64_t)x : (int64_t)x;
		return true;
	}
	size_t i = 0, n = len;
	while (i < n && (b[i] == ' ' || b[i] == '\0'))
		i++;
	while (n > i && (b[n - 1] == ' ' || b[n - 1] == '\0'))
		n--;
	uint64_t x = 0;
	for (; i < n && b[i] != '\0'; i++) {
		if (b[i] < '0' || b[i] > '7' || (x >> 60))
			return false;
		x = x << 3 | (uint64_t)(b[i] - '0');
	}
	if (x >> 63)
		return false;
	*out = (int64_t)x;
	return true;
}

static bool checksum_ok(const unsigned char *block)
{
	int64_t want;
	if (!field_number(block, H_CHKSUM, &want))
		return false;
	/* Some old writers summed signed chars; Go accepts either sum, and so do we. */
	int64_t sum_unsigned = 0, sum_signed = 0;
	for (size_t i = 0; i < BLOCK_SIZE; i++) {
		unsigned char c = (i >= 148 && i < 156) ? ' ' : block[i];
		sum_unsigned += c;
		sum_signed += (signed char)c;
	}
	return want == sum_unsigned || want == sum_signed;
}

static bool all_zero(const unsigned char *block)
{
	for (size_t i = 0; i < BLOCK_SIZE; i++) {
		if (block[i] != 0)
			return false;
	}
	return true;
}

static enum header_format header_format(const unsigned char *block)
{
	if (memcmp(block + H_MAGIC, "ustar\0", 6) == 0 && memcmp(block + H_VERSION, "00", 2) == 0)
		return memcmp(block + H_STAR_TRAILER, "tar\0", 4) == 0 ? FORMAT_STAR : FORMAT_USTAR;
	if (memcmp(block + H_MAGIC, "ustar ", 6) == 0 && memcmp(block + H_VERSION, " \0", 2) == 0)
		return FORMAT_GNU;
	return FORMAT_V7;
}

/* ---- pax records ------------------------------------------------------------------- */

static int add_xattr(struct tar_entry *e, const char *name, size_t name_len, const char *value,
		     size_t len, struct error *err)
{
	struct tar_xattr *grown = realloc(e->xattrs, (e->xattr_count + 1) * sizeof *grown);
	if (grown == NULL)
		return error_sys(err, "allocate xattrs");
	e->xattrs = grown;
	struct tar_xattr *x = &e->xattrs[e->xattr_count];
	x->name = strndup(name, name_len);
	x->value = malloc(len + 1);
	if (x->name == NULL || x->value == NULL) {
		free(x->name);
		free(x->value);
		return error_sys(err, "allocate xattrs");
	}
	memcpy(x->value, value, len);
	x->value[len] = '\0';
	x->len = len;
	e->xattr_count++;
	return 0;
}

static int base64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Decode base64 (padding optional) in place; false on a bad character. */
static bool base64_decode(char *s, size_t len, size_t *out_len)
{
	size_t out = 0;
	unsigned acc = 0;
	int bits = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '=')
			break;
		int v = base64_value(s[i]);
		if (v < 0)
			return false;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			s[out++] = (char)((acc >> bits) & 0xff);
		}
	}
	*out_len = out;
	return true;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* libarchive percent-encodes xattr names in LIBARCHIVE.xattr.NAME; decode in place. */
static size_t url_decode(char *s, size_t len)
{
	size_t out = 0;
	for (size_t i = 0; i < len; i++) {
		int hi, lo;
		if (s[i] == '%' && i + 2 < len && (hi = hex_value(s[i + 1])) >= 0 && (lo = hex_value(s[i + 2])) >= 0) {
			s[out++] = (char)(hi << 4 | lo);
			i += 2;
		} else {
			s[out++] = s[i];
		}
	}
	return out;
}

static bool parse_decimal(const char *s, size_t len, bool allow_negative, int64_t *out)
{
	bool negative = false;
	size_t i = 0;
	if (allow_negative && len > 0 && s[0] == '-') {
		negative = true;
		i = 1;
	}
	if (i == len)
		return false;
	uint64_t x = 0;
	for (; i < len; i++) {
		if (s[i] < '0' || s[i] > '9' || x > (uint64_t)INT64_MAX / 10)
			return false;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	if (x > (uint64_t)INT64_MAX)
		return false;
	*out = negative ? -(int64_t)x : (int64_t)x;
	return true;
}

/* "SECONDS[.FRACTION]", possibly negative, as pax writes mtime and atime. */
static bool parse_pax_time(const char *s, size_t len, struct timespec *out)
{
	const char *dot = memchr(s, '.', len);
	size_t int_len = dot ? (size_t)(dot - s) : len;
	int64_t sec;
	if (!parse_decimal(s, int_len, true, &sec))
		return false;
	long nsec = 0;
	if (dot != NULL) {
		size_t frac_len = len - int_len - 1;
		if (frac_len == 0)
			return false;
		for (size_t i = 0; i < frac_len; i++) {
			char c = dot[1 + i];
			if (c < '0' || c > '9')
				return false;
			if (i < 9)
				nsec = nsec * 10 + (c - '0');
		}
		for (size_t i = frac_len; i < 9; i++)
			nsec *= 10;
	}
	if (s[0] == '-' && nsec > 0) {
		sec -= 1;
		nsec = 1000000000L - nsec;
	}
	out->tv_sec = (time_t)sec;
	out->tv_nsec = nsec;
	return true;
}

static int replace_string(char **field, const char *value, size_t len, struct error *err)
{
	char *copy = strndup(value, len);
	if (copy == NULL)
		return error_sys(err, "allocate a name");
	free(*field);
	*field = copy;
	return 0;
}

/*
 * Apply pax records ("LEN KEY=VALUE\n"...) to e. Global records (`g` headers) set
 * defaults for every later entry, but a path, link target or size can only ever describe
 * one entry, so those are taken from per-file records only. *size receives a pax size.
 * The records are decoded in place (base64, percent-encoding).
 */
static int apply_pax(struct tar_entry *e, char *records, size_t len, bool global, uint64_t *size,
		     struct error *err)
{
	size_t pos = 0;
	while (pos < len) {
		/* Some writers pad the records with NULs: skip them between records. */
		if (records[pos] == '\0') {
			pos++;
			continue;
		}
		char *rec = records + pos;
		size_t rest = len - pos;
		size_t i = 0;
		uint64_t rec_len = 0;
		while (i < rest && rec[i] >= '0' && rec[i] <= '9' && rec_len < SPECIAL_MAX) {
			rec_len = rec_len * 10 + (uint64_t)(rec[i] - '0');
			i++;
		}
		if (i == 0 || i >= rest || rec[i] != ' ' || rec_len <= i + 1 || rec_len > rest ||
		    rec[rec_len - 1] != '\n')
			return error_msg(err, "a malformed pax record at offset %zu", pos);
		char *key = rec + i + 1;
		char *end = rec + rec_len - 1; /* the '\n' */
		char *eq = memchr(key, '=', (size_t)(end - key));
		if (eq == NULL || eq == key)
			return error_msg(err, "a malformed pax record at offset %zu", pos);
		size_t key_len = (size_t)(eq - key);
		char *value = eq + 1;
		size_t value_len = (size_t)(end - value);
		pos += rec_len;

#define KEY_IS(k) (key_len == sizeof(k) - 1 && memcmp(key, k, key_len) == 0)
#define KEY_HAS_PREFIX(p) (key_len > sizeof(p) - 1 && memcmp(key, p, sizeof(p) - 1) == 0)
		bool is_name = KEY_IS("path") || KEY_IS("linkpath");
		if (is_name && memchr(value, '\0', value_len) != NULL)
			return error_msg(err, "the pax %.*s contains a NUL byte", (int)key_len, key);
		/* POSIX: an empty value undoes the keyword (the header field applies again). */
		if (value_len == 0 && !KEY_HAS_PREFIX("SCHILY.xattr.") &&
		    !KEY_HAS_PREFIX("LIBARCHIVE.xattr."))
			continue;

		if (KEY_IS("path")) {
			if (!global && replace_string(&e->name, value, value_len, err) < 0)
				return -1;
		} else if (KEY_IS("linkpath")) {
			if (!global && replace_string(&e->linkname, value, value_len, err) < 0)
				return -1;
		} else if (KEY_IS("size")) {
			int64_t v;
			if (!parse_decimal(value, value_len, false, &v))
				return error_msg(err, "a bad pax size \"%.*s\"", (int)value_len, value);
			if (!global)
				*size = (uint64_t)v;
		} else if (KEY_IS("uid") || KEY_IS("gid")) {
			int64_t v;
			if (!parse_decimal(value, value_len, false, &v))
				return error_msg(err, "a bad pax %.*s \"%.*s\"", (int)key_len, key,
						 (int)value_len, value);
			*(KEY_IS("uid") ? &e->uid : &e->gid) = v;
		} else if (KEY_IS("mtime")) {
			if (!parse_pax_time(value, value_len, &e->mtime))
				return error_msg(err, "a bad pax mtime \"%.*s\"", (int)value_len, value);
		} else if (KEY_IS("atime")) {
			if (!parse_pax_time(value, value_len, &e->atime))
				return error_msg(err, "a bad pax atime \"%.*s\"", (int)value_len, value);
			e->has_atime = true;
		} else if (KEY_HAS_PREFIX("SCHILY.xattr.")) {
			const char *name = key + strlen("SCHILY.xattr.");
			if (add_xattr(e, name, key_len - strlen("SCHILY.xattr."), value, value_len,
				      err) < 0)
				return -1;
		} else if (KEY_HAS_PREFIX("LIBARCHIVE.xattr.")) {
			char *name = key + strlen("LIBARCHIVE.xattr.");
			size_t name_len = url_decode(name, key_len - strlen("LIBARCHIVE.xattr."));
			size_t decoded_len;
			if (!base64_decode(value, value_len, &decoded_len))
				return error_msg(err, "a bad base64 value for %.*s", (int)key_len,
						 key);
			if (add_xattr(e, name, name_len, value, decoded_len, err) < 0)
				return -1;
		} else if (KEY_HAS_PREFIX("GNU.sparse.")) {
			/* Refused by the caller, which should name the file, not GNU's stand-in. */
			e->sparse = true;
			if (KEY_IS("GNU.sparse.name") && !global &&
			    replace_string(&e->name, value, value_len, err) < 0)
				return -1;
		}
		/* Everything else (uname, gname, ctime, comment, charset...) is not ours. */
#undef KEY_IS
#undef KEY_HAS_PREFIX
	}
	return 0;
}

/* ---- entries ----------------------------------------------------------------------- */

/* Go's isHeaderOnlyType: these never carry data, whatever their size field says. */
static bool header_only(char type)
{
	return type == TAR_HARDLINK || type == TAR_SYMLINK || type == TAR_CHAR ||
	       type == TAR_BLOCK || type == TAR_DIRECTORY || type == TAR_FIFO;
}

/* Fill e from a real entry's header plus the metadata headers that preceded it. */
static int build_entry(struct tar_reader *r, const unsigned char *block, uint64_t offset,
		       char *long_name, char *long_link, char *pax, size_t pax_len,
		       struct tar_entry *e, struct error *err)
{
	enum header_format format = header_format(block);
	int64_t mode, uid, gid, size, mtime, devmajor = 0, devminor = 0;

	memset(e, 0, sizeof *e);
	e->offset = offset;
	if (!field_number(block, H_MODE, &mode) || !field_number(block, H_UID, &uid) ||
	    !field_number(block, H_GID, &gid) || !field_number(block, H_SIZE, &size) ||
	    !field_number(block, H_MTIME, &mtime))
		return error_msg(err, "invalid tar header at byte %llu: a bad number field",
				 (unsigned long long)offset);
	if (format != FORMAT_V7 && (!field_number(block, H_DEVMAJOR, &devmajor) ||
				    !field_number(block, H_DEVMINOR, &devminor)))
		return error_msg(err, "invalid tar header at byte %llu: a bad device number",
				 (unsigned long long)offset);
	if (size < 0)
		return error_msg(err, "invalid tar header at byte %llu: a negative size",
				 (unsigned long long)offset);

	e->type = (char)block[H_TYPEFLAG];
	e->mode = (mode_t)(mode & 07777);
	e->uid = uid;
	e->gid = gid;
	e->mtime.tv_sec = (time_t)mtime;
	e->devmajor = (unsigned)devmajor;
	e->devminor = (unsigned)devminor;
	uint64_t data_size = (uint64_t)size;

	if (long_name != NULL) {
		e->name = strdup(long_name);
	} else {
		cleanup_free char *name = field_string(block, H_NAME);
		cleanup_free char *prefix = format == FORMAT_USTAR ? field_string(block, H_PREFIX)
					    : format == FORMAT_STAR ? field_string(block, H_STAR_PREFIX)
								    : NULL;
		if (name != NULL && prefix != NULL && prefix[0] != '\0') {
			if (asprintf(&e->name, "%s/%s", prefix, name) < 0)
				e->name = NULL;
		} else {
			e->name = steal_ptr(&name);
		}
	}
	e->linkname = long_link != NULL ? strdup(long_link) : field_string(block, H_LINKNAME);
	if (e->name == NULL || e->linkname == NULL)
		return error_sys(err, "allocate a name");

	if (r->global_pax != NULL) {
		/* apply_pax decodes in place: give it a copy, the records serve every entry. */
		cleanup_free char *global = malloc(r->global_pax_len + 1);
		if (global == NULL)
			return error_sys(err, "allocate global pax records");
		memcpy(global, r->global_pax, r->global_pax_len + 1);
		if (apply_pax(e, global, r->global_pax_len, true, &data_size, err) < 0)
			return error_wrap(err, "tar header at byte %llu: global pax header",
					  (unsigned long long)offset);
	}
	if (pax != NULL && apply_pax(e, pax, pax_len, false, &data_size, err) < 0)
		return error_wrap(err, "tar header at byte %llu: pax header",
				  (unsigned long long)offset);

	if (e->type == '\0') {
		/* Pre-POSIX archives mark directories only by a trailing slash. */
		size_t n = strlen(e->name);
		e->type = n > 0 && e->name[n - 1] == '/' ? TAR_DIRECTORY : TAR_REGULAR;
	} else if (e->type == '7') {
		e->type = TAR_REGULAR; /* contiguous file: a plain file everywhere but one OS */
	} else if (e->type == 'S') {
		e->sparse = true;
	}
	if (header_only(e->type))
		data_size = 0;
	e->size = data_size;
	r->data_left = data_size;
	r->skip_left = padding(data_size);
	return 0;
}

/* Append a `g` header's records to the ones already in force. */
static int add_global_pax(struct tar_reader *r, const char *records, size_t len, struct error *err)
{
	if (r->global_pax_len + len > 16 * SPECIAL_MAX)
		return error_msg(err, "too many global pax headers");
	char *grown = realloc(r->global_pax, r->global_pax_len + len + 1);
	if (grown == NULL)
		return error_sys(err, "allocate global pax records");
	size_t used = len;
	memcpy(grown + r->global_pax_len, records, used);
	r->global_pax = grown;
	r->global_pax_len += used;
	r->global_pax[r->global_pax_len] = '\0';
	return 0;
}

int tar_next(struct tar_reader *r, struct tar_entry *e, struct error *err)
{
	cleanup_free char *long_name = NULL;
	cleanup_free char *long_link = NULL;
	cleanup_free char *pax = NULL;
	size_t pax_len = 0;
	unsigned char block[BLOCK_SIZE];
	bool pending = false; /* metadata headers read that still wait for their entry */
	uint64_t entry_offset = 0;

	memset(e, 0, sizeof *e);
	if (skip(r, r->data_left + r->skip_left, err) < 0)
		return -1;
	r->data_left = r->skip_left = 0;

	for (;;) {
		uint64_t offset = r->pos;
		int got = read_block(r, block, err);
		if (got < 0)
			return -1;
		if (got == 0) {
			if (pending)
				return error_msg(err, "the archive ends after the extension header at "
						      "byte %llu",
						 (unsigned long long)entry_offset);
			return 0;
		}
		if (all_zero(block)) {
			/* The end: a second zero block, or the stream simply stops. */
			got = read_block(r, block, err);
			if (got < 0)
				return -1;
			if (got > 0 && !all_zero(block))
				return error_msg(err, "invalid tar header at byte %llu: a lone zero "
						      "block inside the archive",
						 (unsigned long long)offset);
			if (pending)
				return error_msg(err, "the archive ends after the extension header at "
						      "byte %llu",
						 (unsigned long long)entry_offset);
			return 0;
		}
		if (!checksum_ok(block))
			return error_msg(err, "invalid tar header at byte %llu: checksum mismatch",
					 (unsigned long long)offset);
		if (!pending)
			entry_offset = offset;
		char type = (char)block[H_TYPEFLAG];

		if (type != 'x' && type != 'g' && type != 'L' && type != 'K') {
			int rc = build_entry(r, block, entry_offset, long_name, long_link, pax, pax_len,
					     e, err);
			if (rc < 0) {
				tar_entry_free(e);
				return -1;
			}
			return 1;
		}

		int64_t size;
		if (!field_number(block, H_SIZE, &size) || size < 0)
			return error_msg(err, "invalid tar header at byte %llu: a bad size field",
					 (unsigned long long)offset);
		char *data = NULL;
		size_t len = 0;
		if (read_special(r, (uint64_t)size, offset, &data, &len, err) < 0)
			return -1;
		/* A `g` header stands alone (Go returns it as an entry); the others describe
		 * the entry that follows and must not be the last thing in the archive. */
		pending = pending || type != 'g';
		if (type == 'g') {
			int rc = add_global_pax(r, data, len, err);
			free(data);
			if (rc < 0)
				return -1;
		} else if (type == 'x') {
			/* Several `x` headers in a row: the later records win, as appended. */
			if (pax == NULL) {
				pax = data;
				pax_len = len;
			} else {
				size_t used = len;
				char *grown = realloc(pax, pax_len + used + 1);
				if (grown == NULL) {
					free(data);
					return error_sys(err, "allocate pax records");
				}
				memcpy(grown + pax_len, data, used);
				pax_len += used;
				grown[pax_len] = '\0';
				pax = grown;
				free(data);
			}
		} else {
			/* GNU long names: the data is the name, NUL-terminated (or not). */
			char **slot = type == 'L' ? &long_name : &long_link;
			free(*slot);
			*slot = data;
		}
	}
}
