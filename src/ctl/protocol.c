// SPDX-License-Identifier: MIT
#include "ctl/protocol.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include "errmsg.h"

int qmp_frame(const char *buf, size_t len, json_t **msg, size_t *used, char *err, size_t errlen)
{
	json_error_t e;
	size_t skip = 0;

	while (skip < len && isspace((unsigned char)buf[skip]))
		skip++;
	*used = skip;
	*msg = NULL;
	if (skip == len)
		return 0;
	/* JSON_DISABLE_EOF_CHECK: stop after the first value, report where it ended. */
	json_t *v = json_loadb(buf + skip, len - skip, JSON_DISABLE_EOF_CHECK | JSON_REJECT_DUPLICATES, &e);
	if (v) {
		*msg = v;
		*used = skip + (size_t)e.position;
		return 1;
	}
	/* Running out of input is "wait for more"; any other error is final. */
	if (json_error_code(&e) == json_error_premature_end_of_input ||
	    (e.position >= (int)(len - skip) && strstr(e.text, "end of")))
		return 0;
	*used = skip + (e.position > 0 ? (size_t)e.position : 1);
	if (*used > len)
		*used = len;
	errmsg(err, errlen, 0, "JSON parse error, %s", e.text);
	return -1;
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
					     "unsigned 64-bit integer (number or \"0x...\" string)" };
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

json_t *qmp_error(const char *cls, const char *desc, json_t *id)
{
	json_t *r = json_pack("{s:{s:s,s:s}}", "error", "class", cls, "desc", desc);
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
