/* logfile.c: a container's output as Docker's json-file log, with size-based rotation. */
#include "logfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h> /* rename */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"

/* Docker's copier cuts lines at its buffer size. */
#define LOG_LINE_MAX (16 * 1024)
/* Records up to this size are formatted on the stack; bigger ones in a heap buffer. */
#define RECORD_STACK 2048

static const char *const stream_names[LOG_STREAMS] = { "stdout", "stderr" };

char *format_uint(char *out, unsigned long long value, int width)
{
	char digits[24];
	int n = 0;
	do {
		digits[n++] = (char)('0' + value % 10);
		value /= 10;
	} while (value > 0);
	while (n < width)
		digits[n++] = '0';
	while (n > 0)
		*out++ = digits[--n];
	*out = '\0';
	return out;
}

void format_rfc3339nano(const struct timespec *t, char *buf, size_t len)
{
	if (len < 40) {
		if (len > 0)
			buf[0] = '\0';
		return;
	}
	/* Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm): no gmtime(),
	 * whose time zone machinery an idle monitor need not keep in memory. */
	long long secs = t->tv_sec;
	long long days = secs / 86400, rem = secs % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	days += 719468;
	long long era = (days >= 0 ? days : days - 146096) / 146097;
	long long doe = days - era * 146097;
	long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	long long mp = (5 * doy + 2) / 153;
	unsigned day = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	unsigned month = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	long long year = yoe + era * 400 + (month <= 2);

	char *p = format_uint(buf, (unsigned long long)(year < 0 ? 0 : year), 4);
	*p++ = '-';
	p = format_uint(p, month, 2);
	*p++ = '-';
	p = format_uint(p, day, 2);
	*p++ = 'T';
	p = format_uint(p, (unsigned long long)(rem / 3600), 2);
	*p++ = ':';
	p = format_uint(p, (unsigned long long)(rem / 60 % 60), 2);
	*p++ = ':';
	p = format_uint(p, (unsigned long long)(rem % 60), 2);
	if (t->tv_nsec > 0) {
		/* Go's RFC3339Nano: the fraction without its trailing zeros. */
		*p++ = '.';
		char *fraction = p;
		p = format_uint(p, (unsigned long long)t->tv_nsec, 9);
		while (p > fraction && p[-1] == '0')
			p--;
	}
	*p++ = 'Z';
	*p = '\0';
}

/*
 * Escape data into out (NULL: only count); returns the length. As Docker's
 * ffjsonWriteJSONBytesAsString: at most 6 bytes per input byte.
 */
static size_t escape(const char *data, size_t len, char *out)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)data;
	size_t n = 0;
#define PUT(c)                        \
	do {                          \
		if (out != NULL)      \
			out[n] = (c); \
		n++;                  \
	} while (0)
	for (size_t i = 0; i < len;) {
		unsigned char c = s[i];
		if (c < 0x80) {
			if (c >= 0x20 && c != '\\' && c != '"' && c != '<' && c != '>' && c != '&') {
				PUT((char)c);
			} else if (c == '\\' || c == '"') {
				PUT('\\');
				PUT((char)c);
			} else if (c == '\n') {
				PUT('\\');
				PUT('n');
			} else if (c == '\r') {
				PUT('\\');
				PUT('r');
			} else {
				PUT('\\');
				PUT('u');
				PUT('0');
				PUT('0');
				PUT(hex[c >> 4]);
				PUT(hex[c & 0xf]);
			}
			i++;
			continue;
		}
		size_t seq = json_utf8_length(s + i, len - i);
		if (seq == 0) {
			const char *fffd = "\\ufffd";
			for (int k = 0; k < 6; k++)
				PUT(fffd[k]);
			i++;
			continue;
		}
		/* U+2028 and U+2029 (E2 80 A8/A9) end lines in JavaScript. */
		if (seq == 3 && c == 0xe2 && s[i + 1] == 0x80 && (s[i + 2] == 0xa8 || s[i + 2] == 0xa9)) {
			const char *ls = s[i + 2] == 0xa8 ? "\\u2028" : "\\u2029";
			for (int k = 0; k < 6; k++)
				PUT(ls[k]);
		} else {
			for (size_t k = 0; k < seq; k++)
				PUT((char)s[i + k]);
		}
		i += seq;
	}
#undef PUT
	return n;
}

void logfile_init_none(struct logfile *l)
{
	memset(l, 0, sizeof *l);
	l->fd = -1;
}

int logfile_open(struct logfile *l, const char *path, unsigned long long max_size,
		 unsigned max_files, struct error *err)
{
	logfile_init_none(l);
	if (strlen(path) >= PATH_MAX - 24)
		return error_errno(err, ENAMETOOLONG, "log file %s", path);
	l->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (l->fd < 0)
		return error_sys(err, "open log file %s", path);
	off_t size = lseek(l->fd, 0, SEEK_END);
	l->size = size > 0 ? (unsigned long long)size : 0;
	l->path = path;
	l->max_size = max_size;
	l->max_files = max_files > 0 ? max_files : 1;
	return 0;
}

/* "PATH.N" (PATH is shorter than PATH_MAX - 24: checked when the log is opened). */
static void numbered(char *out, const char *path, unsigned n)
{
	size_t len = strlen(path);
	memcpy(out, path, len);
	out[len] = '.';
	format_uint(out + len + 1, n, 0);
}

static void rotate(struct logfile *l)
{
	char from[PATH_MAX], to[PATH_MAX];
	close(l->fd);
	l->fd = -1;
	if (l->max_files > 1) {
		numbered(to, l->path, l->max_files - 1);
		unlink(to);
		for (unsigned i = l->max_files - 1; i >= 2; i--) {
			numbered(from, l->path, i - 1);
			numbered(to, l->path, i);
			rename(from, to);
		}
		numbered(to, l->path, 1);
		rename(l->path, to);
	}
	l->fd = open(l->path, O_WRONLY | O_APPEND | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	l->size = 0;
}

static void write_record(struct logfile *l, enum log_stream_id stream, const char *data, size_t len,
			 bool newline)
{
	if (l->fd < 0)
		return;
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	char time[40];
	format_rfc3339nano(&now, time, sizeof time);

	size_t escaped = escape(data, len, NULL) + (newline ? 2 : 0);
	size_t size = escaped + strlen(time) + 64;
	char stack[RECORD_STACK];
	char *buf = size <= sizeof stack ? stack : malloc(size);
	if (buf == NULL)
		return;
	size_t n = 0;
	memcpy(buf, "{\"log\":\"", 8);
	n = 8;
	n += escape(data, len, buf + n);
	if (newline) {
		buf[n++] = '\\';
		buf[n++] = 'n';
	}
	const char *parts[] = { "\",\"stream\":\"", stream_names[stream], "\",\"time\":\"", time, "\"}\n" };
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
		size_t part = strlen(parts[i]);
		memcpy(buf + n, parts[i], part);
		n += part;
	}

	if (l->max_size > 0 && l->size >= l->max_size)
		rotate(l);
	for (size_t done = 0; l->fd >= 0 && done < n;) {
		ssize_t w = write(l->fd, buf + done, n - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		done += (size_t)w;
		l->size += (unsigned long long)w;
	}
	if (buf != stack)
		free(buf);
}

/* Append to a stream's partial line; false when out of memory (the data is then lost). */
static bool keep_pending(struct logfile *l, enum log_stream_id stream, const char *data, size_t len)
{
	char *grown = realloc(l->pending[stream].line, l->pending[stream].len + len);
	if (grown == NULL)
		return false;
	memcpy(grown + l->pending[stream].len, data, len);
	l->pending[stream].line = grown;
	l->pending[stream].len += len;
	return true;
}

static void drop_pending(struct logfile *l, enum log_stream_id stream)
{
	free(l->pending[stream].line);
	l->pending[stream].line = NULL;
	l->pending[stream].len = 0;
}

/* One record of a stream's pending part plus data[0..len), as one buffer so that a UTF-8
 * sequence cut between two reads is whole again. */
static void emit(struct logfile *l, enum log_stream_id stream, const char *data, size_t len,
		 bool newline)
{
	if (l->pending[stream].len == 0) {
		write_record(l, stream, data, len, newline);
		return;
	}
	if (keep_pending(l, stream, data, len))
		write_record(l, stream, l->pending[stream].line, l->pending[stream].len, newline);
	drop_pending(l, stream);
}

void logfile_write(struct logfile *l, enum log_stream_id stream, const char *data, size_t len)
{
	if (l->fd < 0)
		return;
	while (len > 0) {
		size_t have = l->pending[stream].len;
		const char *nl = memchr(data, '\n', len);
		size_t line = nl ? (size_t)(nl - data) : len;
		if (have + line >= LOG_LINE_MAX) {
			/* A full buffer without a newline: a record of exactly 16 KiB, cut. */
			size_t take = LOG_LINE_MAX - have;
			emit(l, stream, data, take, false);
			data += take;
			len -= take;
			continue;
		}
		if (nl == NULL) {
			keep_pending(l, stream, data, len);
			return;
		}
		emit(l, stream, data, line, true);
		data += line + 1;
		len -= line + 1;
	}
}

void logfile_flush(struct logfile *l, enum log_stream_id stream)
{
	if (l->pending[stream].len > 0)
		write_record(l, stream, l->pending[stream].line, l->pending[stream].len, false);
	drop_pending(l, stream);
}

void logfile_close(struct logfile *l)
{
	for (int s = 0; s < LOG_STREAMS; s++)
		drop_pending(l, (enum log_stream_id)s);
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
}
