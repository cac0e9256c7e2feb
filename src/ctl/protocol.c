// SPDX-License-Identifier: MIT
#include "ctl/protocol.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include "errmsg.h"

/* Where the scan is: between messages, inside an object or array (outside its strings), in a
 * string, right after a backslash in one, in a top-level token that is neither. */
enum { FR_IDLE, FR_VALUE, FR_STRING, FR_ESCAPE, FR_WORD, FR_DEAD };

int qmp_framer_init(struct qmp_framer *f, size_t max)
{
	*f = (struct qmp_framer){ .max = max };
	f->buf = malloc(max + 1);
	return f->buf ? 0 : -ENOMEM;
}

void qmp_framer_free(struct qmp_framer *f)
{
	free(f->buf);
	f->buf = NULL;
}

char *qmp_framer_room(struct qmp_framer *f, size_t *room)
{
	/* Consumed bytes are dropped here, once per read, not once per message: a read full of
	 * tiny messages must not cost a move of the buffer each. */
	if (f->off) {
		memmove(f->buf, f->buf + f->off, f->len - f->off);
		f->len -= f->off;
		f->pos -= f->off;
		f->off = 0;
	}
	*room = f->max + 1 - f->len;
	return f->buf + f->len;
}

void qmp_framer_add(struct qmp_framer *f, size_t n)
{
	f->len += n;
}

size_t qmp_framer_push(struct qmp_framer *f, const void *data, size_t n)
{
	size_t room;
	char *p = qmp_framer_room(f, &room);
	if (n > room)
		n = room;
	memcpy(p, data, n);
	qmp_framer_add(f, n);
	return n;
}

static bool is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Bytes that never belong in JSON text, wherever they are: QEMU's lexer takes them as the
 * client's way back to a known state, and so does this framer. */
static bool is_stray(unsigned char c)
{
	return (c < 0x20 && !is_ws(c)) || c >= 0xfe;
}

static void set_square(struct qmp_framer *f, size_t level, bool square)
{
	unsigned char bit = (unsigned char)(1u << (level % 8));
	if (square)
		f->square[level / 8] |= bit;
	else
		f->square[level / 8] &= (unsigned char)~bit;
}

static bool is_square(const struct qmp_framer *f, size_t level)
{
	return f->square[level / 8] >> (level % 8) & 1;
}

/* Between messages again. */
static void idle(struct qmp_framer *f)
{
	f->state = FR_IDLE;
	f->depth = 0;
	f->bad = false;
}

/* The message is buf[off..end): consume it and hand it to jansson. */
static int emit(struct qmp_framer *f, size_t end, json_t **msg, char *err, size_t errlen)
{
	json_error_t e;
	const char *text = f->buf + f->off;
	size_t n = end - f->off;

	f->off = f->pos = end;
	idle(f);
	*msg = json_loadb(text, n, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &e);
	if (*msg)
		return QMP_FRAME_MSG;
	errmsg(err, errlen, 0, "JSON parse error, %s", e.text);
	return QMP_FRAME_BAD;
}

/* The byte at i makes the message bad; *hard: it also ends it. Otherwise the rest is dropped
 * through the end of its line or where its brackets balance. */
static int bad(struct qmp_framer *f, size_t i, bool hard)
{
	f->off = f->pos = i + 1;
	if (hard || (f->depth == 0 && f->state == FR_VALUE))
		idle(f);
	else
		f->bad = true;
	return QMP_FRAME_BAD;
}

/* Dropping the rest of a bad message: the same scan without the checks. */
static void skip(struct qmp_framer *f, unsigned char c)
{
	if (c == '\n' || is_stray(c)) {
		idle(f);
		return;
	}
	switch (f->state) {
	case FR_VALUE:
		if (c == '"')
			f->state = FR_STRING;
		else if (c == '{' || c == '[')
			f->depth++;
		else if ((c == '}' || c == ']') && --f->depth == 0)
			idle(f);
		break;
	case FR_STRING:
		if (c == '\\')
			f->state = FR_ESCAPE;
		else if (c == '"' && f->depth == 0)
			idle(f);
		else if (c == '"')
			f->state = FR_VALUE;
		break;
	case FR_ESCAPE:
		f->state = FR_STRING;
		break;
	}
}

int qmp_framer_next(struct qmp_framer *f, json_t **msg, char *err, size_t errlen)
{
	*msg = NULL;
	if (f->state == FR_DEAD) {
		f->off = f->pos = f->len;
		return QMP_FRAME_MORE;
	}
	for (size_t i = f->pos; i < f->len; i++) {
		unsigned char c = (unsigned char)f->buf[i];
		if (f->bad) {
			skip(f, c);
			f->off = f->pos = i + 1;
			continue;
		}
		if (f->state == FR_IDLE) {
			if (is_ws(c)) {
				f->off = f->pos = i + 1;
				continue;
			}
			/* A message starts here: an object, an array or a string is scanned as a
			 * value (a string at depth 0); anything else is a top-level token. */
			f->off = i;
			f->state = c == '{' || c == '[' || c == '"' ? FR_VALUE : FR_WORD;
		} else if (f->state == FR_WORD && (is_ws(c) || c == '{' || c == '[' || c == '"')) {
			return emit(f, i, msg, err, errlen); /* the byte at i starts what follows */
		}
		if (i - f->off >= f->max) {
			errmsg(err, errlen, 0, "message longer than %zu bytes", f->max);
			f->state = FR_DEAD;
			f->off = f->pos = f->len;
			return QMP_FRAME_TOO_LONG;
		}
		if (c >= 0xfe) {
			errmsg(err, errlen, 0, "JSON parse error, invalid byte 0x%02x", c);
			return bad(f, i, true);
		}
		if (f->state == FR_STRING || f->state == FR_ESCAPE) {
			if (c < 0x20) {
				errmsg(err, errlen, 0, "JSON parse error, control character 0x%02x in a string", c);
				f->state = FR_STRING;
				/* A string cannot span lines: LF ends it, and the message, there. */
				return bad(f, i, c != '\t' && c != '\r');
			}
			if (f->state == FR_ESCAPE)
				f->state = FR_STRING;
			else if (c == '\\')
				f->state = FR_ESCAPE;
			else if (c == '"' && f->depth == 0)
				return emit(f, i + 1, msg, err, errlen);
			else if (c == '"')
				f->state = FR_VALUE;
			continue;
		}
		if (is_stray(c)) {
			errmsg(err, errlen, 0, "JSON parse error, stray byte 0x%02x", c);
			return bad(f, i, true);
		}
		if (f->state == FR_WORD)
			continue;
		/* FR_VALUE: inside an object or array, outside its strings (or at the first byte) */
		if (c == '"') {
			f->state = FR_STRING;
		} else if (c == '{' || c == '[') {
			if (f->depth == QMP_NESTING_MAX) {
				errmsg(err, errlen, 0, "JSON parse error, nesting deeper than %d", QMP_NESTING_MAX);
				f->depth++;
				return bad(f, i, false);
			}
			set_square(f, f->depth++, c == '[');
		} else if (c == '}' || c == ']') {
			if (is_square(f, --f->depth) != (c == ']')) {
				errmsg(err, errlen, 0, "JSON parse error, '%c' does not close '%c'", c,
				       is_square(f, f->depth) ? '[' : '{');
				return bad(f, i, false);
			}
			if (f->depth == 0)
				return emit(f, i + 1, msg, err, errlen);
		}
	}
	f->pos = f->len;
	return QMP_FRAME_MORE;
}

int qmp_parse_request(json_t *msg, const char **command, json_t **args, json_t **id, char *err,
		      size_t errlen)
{
	const char *key;
	json_t *v;

	*command = NULL;
	*args = NULL;
	*id = NULL;
	if (!json_is_object(msg))
		return errmsg(err, errlen, -1, "QMP input must be a JSON object");
	*id = json_object_get(msg, "id");
	json_object_foreach(msg, key, v) {
		if (!strcmp(key, "execute")) {
			if (!json_is_string(v))
				return errmsg(err, errlen, -1, "QMP input member 'execute' must be a string");
			*command = json_string_value(v);
		} else if (!strcmp(key, "arguments")) {
			if (!json_is_object(v))
				return errmsg(err, errlen, -1, "QMP input member 'arguments' must be an object");
			*args = v;
		} else if (strcmp(key, "id")) {
			return errmsg(err, errlen, -1, "QMP input member '%.64s' is unexpected", key);
		}
	}
	if (!*command)
		return errmsg(err, errlen, -1, "QMP input lacks member 'execute'");
	return 0;
}

static const char *type_name(enum qmp_arg_type t)
{
	static const char *const names[] = { "integer", "integer", "boolean", "string",
					     "unsigned 64-bit integer (number or \"0x...\" string)", "array" };
	return names[t];
}

/* Decimal, or hexadecimal after 0x: never octal ("010" is ten), no sign, no space. */
static bool parse_u64_text(const char *s, uint64_t *v)
{
	char *end;
	int base = 10;

	if (!s)
		return false;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		base = 16;
	}
	if (!isxdigit((unsigned char)s[0]) || (base == 10 && !isdigit((unsigned char)s[0])))
		return false;
	errno = 0;
	unsigned long long x = strtoull(s, &end, base);
	if (errno || *end)
		return false;
	*v = x;
	return true;
}

uint64_t qmp_u64(json_t *v)
{
	uint64_t x = 0;
	if (json_is_integer(v))
		return (uint64_t)json_integer_value(v);
	parse_u64_text(json_string_value(v), &x);
	return x;
}

static bool type_ok(enum qmp_arg_type t, json_t *v)
{
	switch (t) {
	case ARG_INT:
		return json_is_integer(v);
	case ARG_UINT:
		return json_is_integer(v);
	case ARG_BOOL:
		return json_is_boolean(v);
	case ARG_U64: {
		uint64_t x;
		return (json_is_integer(v) && json_integer_value(v) >= 0) ||
		       (json_is_string(v) && parse_u64_text(json_string_value(v), &x));
	}
	case ARG_ARRAY:
		return json_is_array(v);
	default:
		return json_is_string(v);
	}
}

/* An ARG_UINT or ARG_U64 value within its bounds; else QEMU's words for what it expects. */
static int range_ok(const struct qmp_arg *a, json_t *v, char *err, size_t errlen)
{
	uint64_t max = a->max ? a->max : a->type == ARG_UINT ? UINT32_MAX : UINT64_MAX;
	bool neg = json_is_integer(v) && json_integer_value(v) < 0;
	uint64_t x = qmp_u64(v);

	if (!neg && x >= a->min && x <= max)
		return 0;
	if (a->min == 0 && (max == UINT8_MAX || max == UINT16_MAX || max == UINT32_MAX))
		return errmsg(err, errlen, -1, "Parameter '%s' expects uint%d_t", a->name,
			      max == UINT8_MAX ? 8 : max == UINT16_MAX ? 16 : 32);
	return errmsg(err, errlen, -1, "Parameter '%s' expects an integer from %llu to %llu", a->name,
		      (unsigned long long)a->min, (unsigned long long)max);
}

int qmp_check_args(const struct qmp_arg *schema, json_t *args, char *err, size_t errlen)
{
	const char *key;
	json_t *v;

	if (args && !json_is_object(args))
		return errmsg(err, errlen, -1, "QMP input member 'arguments' must be an object");
	if (args) {
		json_object_foreach(args, key, v) {
			const struct qmp_arg *a = schema;
			while (a && a->name && strcmp(a->name, key))
				a++;
			if (!a || !a->name)
				return errmsg(err, errlen, -1, "Parameter '%.64s' is unexpected", key);
			if (!type_ok(a->type, v))
				return errmsg(err, errlen, -1, "Invalid parameter type for '%s', expected: %s",
					      a->name, type_name(a->type));
			if ((a->type == ARG_UINT || a->type == ARG_U64) && range_ok(a, v, err, errlen))
				return -1;
		}
	}
	for (const struct qmp_arg *a = schema; a && a->name; a++)
		if (a->required && (!args || !json_object_get(args, a->name)))
			return errmsg(err, errlen, -1, "Parameter '%s' is missing", a->name);
	return 0;
}

json_t *qmp_reply(json_t *ret, json_t *id)
{
	json_t *r = json_pack("{s:o}", "return", ret ? ret : json_object());
	if (id)
		json_object_set(r, "id", id);
	return r;
}

/* Length of the valid UTF-8 sequence at s (1 to 4), 0 if there is none. */
static size_t utf8_len(const unsigned char *s)
{
	uint32_t cp;
	size_t n;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0; /* also stops at the terminating NUL */
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

json_t *qmp_error(const char *cls, const char *desc, json_t *id)
{
	/* desc may quote what the client sent, cut at a byte count (%.64s, jansson's "near
	 * '...'"): a JSON string must be valid UTF-8, or there would be no reply at all. */
	char clean[512];
	size_t o = 0;
	for (const unsigned char *p = (const unsigned char *)desc; *p && o + 5 < sizeof(clean);) {
		size_t n = utf8_len(p);
		if (n) {
			memcpy(clean + o, p, n);
			o += n, p += n;
		} else {
			clean[o++] = '?', p++;
		}
	}
	clean[o] = '\0';
	json_t *r = json_pack("{s:{s:s,s:s}}", "error", "class", cls, "desc", clean);
	if (id)
		json_object_set(r, "id", id);
	return r;
}

json_t *qmp_event_msg(const char *name, json_t *data)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return json_pack("{s:s,s:o,s:{s:I,s:I}}", "event", name, "data", data ? data : json_object(),
			 "timestamp", "seconds", (json_int_t)tv.tv_sec, "microseconds",
			 (json_int_t)tv.tv_usec);
}
