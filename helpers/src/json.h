/* json.h: a tiny streaming JSON writer, enough for the helper's one-line reports. */
#ifndef SKIFF_JSON_H
#define SKIFF_JSON_H

#include <stdbool.h>
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

#endif
