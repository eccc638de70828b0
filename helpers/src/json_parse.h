/* json_parse.h: a small JSON reader for config.json: a tree of values in one arena. */
#ifndef SKIFF_JSON_PARSE_H
#define SKIFF_JSON_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/*
 * An arena: many small allocations freed together. The parsed tree, its strings and
 * whatever a caller derives from it (spec.c's arrays) live in one, so a loaded config is
 * released with a single arena_free() and nothing in it is freed alone.
 */
struct arena {
	struct arena_block *blocks;
};

/* Zeroed memory from the arena, aligned for any type; NULL (errno ENOMEM) when out. */
void *arena_alloc(struct arena *a, size_t size);
char *arena_strdup(struct arena *a, const char *s);
void arena_free(struct arena *a);

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

/*
 * One value. Arrays and objects keep their items as a list (first, then next); an
 * object's items carry their key. Strings are decoded and NUL-terminated (a string
 * holding \u0000 is refused, since nothing here could use it); numbers keep their text
 * and are converted on request, so 64-bit rlimits lose nothing.
 */
struct json_value {
	enum json_type type;
	const char *key;	    /* the member name, in an object; NULL otherwise */
	struct json_value *next;    /* the next item of the enclosing array or object */
	struct json_value *first;   /* the first item, for arrays and objects */
	size_t count;		    /* how many items, for arrays and objects */
	const char *text;	    /* a string's value, or a number as written */
	bool boolean;
};

/*
 * Parse text (len bytes, need not be NUL-terminated) into a tree allocated in arena.
 * Errors name the place: "line 3 column 7: expected ':' after an object key". Nesting is
 * limited to 64 levels.
 */
int json_parse(const char *text, size_t len, struct arena *arena, struct json_value **root,
	       struct error *err);

/* The member named key of an object, or NULL (also when v is NULL or not an object). */
const struct json_value *json_get(const struct json_value *v, const char *key);

/*
 * Typed access for a value that may be absent (v NULL): returns 0 and leaves *out alone
 * when absent, 1 when set, -1 with err ("KEY: expected a string") on a wrong type or a
 * number out of range. what names the value in messages.
 */
int json_get_string(const struct json_value *v, const char *what, const char **out,
		    struct error *err);
int json_get_bool(const struct json_value *v, const char *what, bool *out, struct error *err);
int json_get_u64(const struct json_value *v, const char *what, uint64_t *out, struct error *err);
int json_get_i64(const struct json_value *v, const char *what, int64_t *out, struct error *err);

/* Check that v is absent or of type (an array, an object); -1 with err otherwise. */
int json_expect(const struct json_value *v, enum json_type type, const char *what,
		struct error *err);

#endif
