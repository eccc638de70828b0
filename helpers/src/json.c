/* json.c: a tiny streaming JSON writer, enough for the helper's one-line reports. */
#include "json.h"

#include <stddef.h>
#include <string.h>

void json_init(struct json *j, FILE *out)
{
	j->out = out;
	j->depth = 0;
	j->has_items = 0;
	j->after_key = false;
}

/* Put a comma before every item of a container but its first; a key's value gets none. */
static void separate(struct json *j)
{
	unsigned long long bit = 1ULL << (j->depth & 31);
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->has_items & bit)
		fputc(',', j->out);
	j->has_items |= bit;
}

static void open_container(struct json *j, char c)
{
	separate(j);
	fputc(c, j->out);
	j->depth++;
	j->has_items &= ~(1ULL << (j->depth & 31));
}

static void close_container(struct json *j, char c)
{
	fputc(c, j->out);
	j->depth--;
}

void json_object_begin(struct json *j)
{
	open_container(j, '{');
}

void json_object_end(struct json *j)
{
	close_container(j, '}');
}

void json_array_begin(struct json *j)
{
	open_container(j, '[');
}

void json_array_end(struct json *j)
{
	close_container(j, ']');
}

size_t json_utf8_length(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len;

	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;
	if (len > n)
		return 0;
	/* Overlong forms, UTF-16 surrogates and code points past U+10FFFF are invalid. */
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++) {
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	}
	return len;
}

static void write_string(FILE *out, const char *text)
{
	const unsigned char *s = (const unsigned char *)text;
	const unsigned char *end = s + strlen(text);
	fputc('"', out);
	while (*s != '\0') {
		unsigned char c = *s;
		if (c == '"' || c == '\\') {
			fputc('\\', out);
			fputc(c, out);
			s++;
		} else if (c == '\n') {
			fputs("\\n", out);
			s++;
		} else if (c == '\t') {
			fputs("\\t", out);
			s++;
		} else if (c < 0x20 || c == 0x7f) {
			fprintf(out, "\\u%04x", c);
			s++;
		} else if (c < 0x80) {
			fputc(c, out);
			s++;
		} else {
			size_t len = json_utf8_length(s, (size_t)(end - s));
			if (len == 0) {
				fputs("\\ufffd", out);
				s++;
			} else {
				fwrite(s, 1, len, out);
				s += len;
			}
		}
	}
	fputc('"', out);
}

void json_key(struct json *j, const char *key)
{
	separate(j);
	write_string(j->out, key);
	fputc(':', j->out);
	j->after_key = true;
}

void json_string(struct json *j, const char *s)
{
	separate(j);
	write_string(j->out, s);
}

void json_bool(struct json *j, bool value)
{
	separate(j);
	fputs(value ? "true" : "false", j->out);
}

void json_int(struct json *j, long long value)
{
	separate(j);
	fprintf(j->out, "%lld", value);
}
