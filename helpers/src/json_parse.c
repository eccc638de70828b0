/* json_parse.c: a small JSON reader for config.json: a tree of values in one arena. */
#include "json_parse.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_BLOCK 4096
#define MAX_DEPTH 64

/* ---- the arena ------------------------------------------------------------------- */

struct arena_block {
	struct arena_block *next;
	size_t used, size;
	max_align_t data[];
};

void *arena_alloc(struct arena *a, size_t size)
{
	const size_t align = sizeof(max_align_t);
	size = (size + align - 1) / align * align;
	struct arena_block *b = a->blocks;
	if (b == NULL || b->size - b->used < size) {
		size_t cap = size > ARENA_BLOCK ? size : ARENA_BLOCK;
		b = malloc(sizeof *b + cap);
		if (b == NULL)
			return NULL;
		b->size = cap;
		b->used = 0;
		b->next = a->blocks;
		a->blocks = b;
	}
	void *p = (char *)b->data + b->used;
	b->used += size;
	memset(p, 0, size);
	return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
	size_t len = strlen(s);
	char *copy = arena_alloc(a, len + 1);
	if (copy != NULL)
		memcpy(copy, s, len + 1);
	return copy;
}

void arena_free(struct arena *a)
{
	while (a->blocks != NULL) {
		struct arena_block *next = a->blocks->next;
		free(a->blocks);
		a->blocks = next;
	}
}

/* ---- the parser ------------------------------------------------------------------ */

struct parser {
	const char *text;
	size_t len, pos;
	struct arena *arena;
	struct error *err;
};

static int fail_at(struct parser *p, const char *what)
{
	size_t line = 1, column = 1;
	for (size_t i = 0; i < p->pos && i < p->len; i++) {
		if (p->text[i] == '\n') {
			line++;
			column = 1;
		} else {
			column++;
		}
	}
	return error_msg(p->err, "line %zu column %zu: %s", line, column, what);
}

static int out_of_memory(struct parser *p)
{
	return error_errno(p->err, ENOMEM, "parse JSON");
}

static void skip_space(struct parser *p)
{
	while (p->pos < p->len && (p->text[p->pos] == ' ' || p->text[p->pos] == '\t' ||
				   p->text[p->pos] == '\n' || p->text[p->pos] == '\r'))
		p->pos++;
}

static bool consume(struct parser *p, const char *word)
{
	size_t n = strlen(word);
	if (p->len - p->pos < n || memcmp(p->text + p->pos, word, n) != 0)
		return false;
	p->pos += n;
	return true;
}

static int hex4(struct parser *p, unsigned *out)
{
	if (p->len - p->pos < 4)
		return fail_at(p, "truncated \\u escape");
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		char c = p->text[p->pos++];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return fail_at(p, "bad \\u escape");
	}
	*out = v;
	return 0;
}

static size_t put_utf8(char *out, unsigned cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* A string starting at the opening quote, decoded into the arena. */
static int parse_string(struct parser *p, const char **out)
{
	p->pos++; /* the quote */
	size_t start = p->pos;
	size_t end = start;
	while (end < p->len && p->text[end] != '"') {
		if (p->text[end] == '\\')
			end++;
		end++;
	}
	if (end >= p->len)
		return fail_at(p, "unterminated string");
	/* Decoding never grows a string: \uXXXX (6 bytes) makes at most 3, a pair 4 of 12. */
	char *s = arena_alloc(p->arena, end - start + 1);
	if (s == NULL)
		return out_of_memory(p);
	size_t n = 0;
	while (p->pos < end) {
		unsigned char c = (unsigned char)p->text[p->pos];
		if (c < 0x20)
			return fail_at(p, "control character in string");
		if (c != '\\') {
			s[n++] = (char)c;
			p->pos++;
			continue;
		}
		p->pos++;
		char e = p->text[p->pos++];
		switch (e) {
		case '"': s[n++] = '"'; break;
		case '\\': s[n++] = '\\'; break;
		case '/': s[n++] = '/'; break;
		case 'b': s[n++] = '\b'; break;
		case 'f': s[n++] = '\f'; break;
		case 'n': s[n++] = '\n'; break;
		case 'r': s[n++] = '\r'; break;
		case 't': s[n++] = '\t'; break;
		case 'u': {
			unsigned cp;
			if (hex4(p, &cp) < 0)
				return -1;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				unsigned lo;
				if (p->len - p->pos < 2 || p->text[p->pos] != '\\' || p->text[p->pos + 1] != 'u')
					return fail_at(p, "unpaired UTF-16 surrogate");
				p->pos += 2;
				if (hex4(p, &lo) < 0)
					return -1;
				if (lo < 0xdc00 || lo > 0xdfff)
					return fail_at(p, "unpaired UTF-16 surrogate");
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			} else if (cp >= 0xdc00 && cp <= 0xdfff) {
				return fail_at(p, "unpaired UTF-16 surrogate");
			}
			if (cp == 0)
				return fail_at(p, "\\u0000 in a string");
			n += put_utf8(s + n, cp);
			break;
		}
		default:
			p->pos--;
			return fail_at(p, "bad escape in string");
		}
	}
	s[n] = '\0';
	p->pos = end + 1;
	*out = s;
	return 0;
}

static int parse_number(struct parser *p, struct json_value *v)
{
	size_t start = p->pos;
	if (p->pos < p->len && p->text[p->pos] == '-')
		p->pos++;
	size_t digits = p->pos;
	while (p->pos < p->len && p->text[p->pos] >= '0' && p->text[p->pos] <= '9')
		p->pos++;
	if (p->pos == digits)
		return fail_at(p, "expected a value");
	while (p->pos < p->len && strchr("0123456789.eE+-", p->text[p->pos]) != NULL)
		p->pos++;
	char *text = arena_alloc(p->arena, p->pos - start + 1);
	if (text == NULL)
		return out_of_memory(p);
	memcpy(text, p->text + start, p->pos - start);
	v->type = JSON_NUMBER;
	v->text = text;
	return 0;
}

static int parse_value(struct parser *p, struct json_value *v, int depth);

static int parse_items(struct parser *p, struct json_value *v, int depth, bool object)
{
	char close = object ? '}' : ']';
	struct json_value **tail = &v->first;
	p->pos++; /* the opening bracket */
	skip_space(p);
	if (p->pos < p->len && p->text[p->pos] == close) {
		p->pos++;
		return 0;
	}
	for (;;) {
		struct json_value *item = arena_alloc(p->arena, sizeof *item);
		if (item == NULL)
			return out_of_memory(p);
		if (object) {
			skip_space(p);
			if (p->pos >= p->len || p->text[p->pos] != '"')
				return fail_at(p, "expected a string as object key");
			if (parse_string(p, &item->key) < 0)
				return -1;
			skip_space(p);
			if (p->pos >= p->len || p->text[p->pos] != ':')
				return fail_at(p, "expected ':' after an object key");
			p->pos++;
		}
		if (parse_value(p, item, depth + 1) < 0)
			return -1;
		*tail = item;
		tail = &item->next;
		v->count++;
		skip_space(p);
		if (p->pos < p->len && p->text[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (p->pos < p->len && p->text[p->pos] == close) {
			p->pos++;
			return 0;
		}
		return fail_at(p, object ? "expected ',' or '}'" : "expected ',' or ']'");
	}
}

static int parse_value(struct parser *p, struct json_value *v, int depth)
{
	if (depth > MAX_DEPTH)
		return fail_at(p, "nested too deeply");
	skip_space(p);
	if (p->pos >= p->len)
		return fail_at(p, "unexpected end of input");
	switch (p->text[p->pos]) {
	case '{':
		v->type = JSON_OBJECT;
		return parse_items(p, v, depth, true);
	case '[':
		v->type = JSON_ARRAY;
		return parse_items(p, v, depth, false);
	case '"':
		v->type = JSON_STRING;
		return parse_string(p, &v->text);
	case 't':
	case 'f':
	case 'n':
		if (consume(p, "true")) {
			v->type = JSON_BOOL;
			v->boolean = true;
		} else if (consume(p, "false")) {
			v->type = JSON_BOOL;
		} else if (consume(p, "null")) {
			v->type = JSON_NULL;
		} else {
			return fail_at(p, "expected a value");
		}
		return 0;
	default:
		return parse_number(p, v);
	}
}

int json_parse(const char *text, size_t len, struct arena *arena, struct json_value **root,
	       struct error *err)
{
	struct parser p = { .text = text, .len = len, .pos = 0, .arena = arena, .err = err };
	struct json_value *v = arena_alloc(arena, sizeof *v);
	if (v == NULL)
		return out_of_memory(&p);
	if (parse_value(&p, v, 0) < 0)
		return -1;
	skip_space(&p);
	if (p.pos != p.len)
		return fail_at(&p, "unexpected text after the value");
	*root = v;
	return 0;
}

/* ---- access ---------------------------------------------------------------------- */

const struct json_value *json_get(const struct json_value *v, const char *key)
{
	if (v == NULL || v->type != JSON_OBJECT)
		return NULL;
	/* The last of duplicate keys wins, as in Go's encoding/json. */
	const struct json_value *found = NULL;
	for (const struct json_value *item = v->first; item != NULL; item = item->next) {
		if (strcmp(item->key, key) == 0)
			found = item;
	}
	return found;
}

static const char *type_name(enum json_type type)
{
	switch (type) {
	case JSON_NULL: return "null";
	case JSON_BOOL: return "a boolean";
	case JSON_NUMBER: return "a number";
	case JSON_STRING: return "a string";
	case JSON_ARRAY: return "an array";
	case JSON_OBJECT: return "an object";
	}
	return "?";
}

int json_expect(const struct json_value *v, enum json_type type, const char *what,
		struct error *err)
{
	/* null counts as absent, as Go's encoding/json leaves the field alone. */
	if (v == NULL || v->type == type || v->type == JSON_NULL)
		return 0;
	return error_msg(err, "%s: expected %s, got %s", what, type_name(type), type_name(v->type));
}

/* 1 when v is there to read as type, 0 when absent or null, -1 (err) for another type. */
static int present(const struct json_value *v, enum json_type type, const char *what,
		   struct error *err)
{
	if (v == NULL || v->type == JSON_NULL)
		return 0;
	return json_expect(v, type, what, err) < 0 ? -1 : 1;
}

int json_get_string(const struct json_value *v, const char *what, const char **out,
		    struct error *err)
{
	int rc = present(v, JSON_STRING, what, err);
	if (rc <= 0)
		return rc;
	*out = v->text;
	return 1;
}

int json_get_bool(const struct json_value *v, const char *what, bool *out, struct error *err)
{
	int rc = present(v, JSON_BOOL, what, err);
	if (rc <= 0)
		return rc;
	*out = v->boolean;
	return 1;
}

int json_get_u64(const struct json_value *v, const char *what, uint64_t *out, struct error *err)
{
	int rc = present(v, JSON_NUMBER, what, err);
	if (rc <= 0)
		return rc;
	char *end;
	errno = 0;
	uintmax_t n = strtoumax(v->text, &end, 10);
	if (v->text[0] == '-' || errno != 0 || *end != '\0' || n > UINT64_MAX)
		return error_msg(err, "%s: %s is not a whole number in range", what, v->text);
	*out = (uint64_t)n;
	return 1;
}

int json_get_i64(const struct json_value *v, const char *what, int64_t *out, struct error *err)
{
	int rc = present(v, JSON_NUMBER, what, err);
	if (rc <= 0)
		return rc;
	char *end;
	errno = 0;
	intmax_t n = strtoimax(v->text, &end, 10);
	if (errno != 0 || *end != '\0' || n > INT64_MAX || n < INT64_MIN)
		return error_msg(err, "%s: %s is not a whole number in range", what, v->text);
	*out = (int64_t)n;
	return 1;
}
