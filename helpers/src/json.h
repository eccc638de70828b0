/* json.h: a tiny streaming JSON writer, enough for the helper's one-line reports. */
#ifndef SKIFF_JSON_H
#define SKIFF_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/*
 * Writes compact JSON to out; commas and colons are placed for the caller:
 *
 *     struct json j;
 *     json_init(&j, stdout);
 *     json_object_begin(&j);
 *     json_key(&j, "ok");
 *     json_bool(&j, true);
 *     json_object_end(&j);           // {"ok":true}
 *
 * Strings are escaped and any invalid UTF-8 (a tool's raw stderr) becomes U+FFFD, so the
 * output is always valid JSON. Nesting is limited to 32 levels.
 */
struct json {
	FILE *out;
	unsigned depth;
	unsigned long long has_items; /* bit d: the container at depth d has an item already */
	bool after_key;
};

void json_init(struct json *j, FILE *out);
void json_object_begin(struct json *j);
void json_object_end(struct json *j);
void json_array_begin(struct json *j);
void json_array_end(struct json *j);
void json_key(struct json *j, const char *key);
void json_string(struct json *j, const char *s);
void json_bool(struct json *j, bool value);
void json_int(struct json *j, long long value);

/*
 * The length (2 to 4) of the valid UTF-8 sequence at s, at most n bytes, or 0 when there
 * is none (overlong forms, UTF-16 surrogates and code points past U+10FFFF are invalid, as
 * for Go): how both JSON writers, this one and logfile.c's, tell which bytes become U+FFFD.
 * Only for a byte s[0] of 0x80 or more.
 */
size_t json_utf8_length(const unsigned char *s, size_t n);

#endif
