// SPDX-License-Identifier: MIT
/*
 * Verifies the QMP protocol pieces without a VM: framing a byte stream (split, several per
 * read, garbage), the request shape rules, argument schemas (unknown, missing, wrong type,
 * 64-bit values as strings), reply and event shapes, and base64.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "ctl/base64.h"
#include "config.h"
#include "ctl/protocol.h"
#include "ctl/qmp.h"
#include "vm.h"

static char err[256];

/* What a framer makes of data fed in pieces (cut at cuts[0..ncuts), ascending): one line per
 * outcome, "M <message>", "E <error>" or "T <error>" (too long). */
static char *frame_record(const char *data, size_t len, const size_t *cuts, size_t ncuts, size_t max)
{
	struct qmp_framer f;
	size_t cap = 4096, n = 0, at = 0;
	char *out = malloc(cap);

	assert_int_equal(qmp_framer_init(&f, max), 0);
	out[0] = '\0';
	for (size_t piece = 0; piece <= ncuts; piece++) {
		size_t to = piece < ncuts ? cuts[piece] : len;
		while (at < to) {
			at += qmp_framer_push(&f, data + at, to - at);
			for (;;) {
				json_t *m;
				char e[256], *line;
				int r = qmp_framer_next(&f, &m, e, sizeof(e));
				if (r == QMP_FRAME_MORE)
					break;
				if (r == QMP_FRAME_MSG) {
					char *t = json_dumps(m, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
					assert_true(asprintf(&line, "M %s\n", t) > 0);
					free(t);
					json_decref(m);
				} else {
					assert_true(asprintf(&line, "%c %s\n", r == QMP_FRAME_BAD ? 'E' : 'T', e) > 0);
				}
				size_t l = strlen(line);
				while (n + l + 1 > cap)
					out = realloc(out, cap *= 2);
				memcpy(out + n, line, l + 1);
				n += l;
				free(line);
			}
		}
	}
	qmp_framer_free(&f);
	return out;
}

static size_t count_lines(const char *rec, char kind)
{
	size_t n = 0;
	for (const char *p = rec; *p; p = strchr(p, '\n') + 1)
		n += *p == kind;
	return n;
}

/* The same outcomes whether data comes whole, cut at every offset, or byte by byte. */
static void assert_split_invariant(const char *data, size_t len, size_t max, const char *whole)
{
	size_t *cuts = malloc((len + 1) * sizeof(*cuts));
	for (size_t k = 0; k <= len; k++) {
		char *r = frame_record(data, len, &k, 1, max);
		if (strcmp(r, whole))
			fail_msg("cut at %zu of %zu:\n%s\nwhole:\n%s", k, len, r, whole);
		free(r);
	}
	for (size_t k = 0; k < len; k++)
		cuts[k] = k + 1;
	char *r = frame_record(data, len, cuts, len ? len - 1 : 0, max);
	if (strcmp(r, whole))
		fail_msg("byte by byte:\n%s\nwhole:\n%s", r, whole);
	free(r);
	/* Three pieces, a spread of cut pairs. */
	for (size_t a = 0; a <= len; a += 7)
		for (size_t b = a; b <= len; b += 5) {
			size_t two[2] = { a, b };
			r = frame_record(data, len, two, 2, max);
			if (strcmp(r, whole))
				fail_msg("cuts at %zu and %zu:\n%s\nwhole:\n%s", a, b, r, whole);
			free(r);
		}
	free(cuts);
}

/* Valid messages: what is tricky to cut (multi-byte UTF-8 in strings and keys, \u escapes
 * with a surrogate pair, \" and \\, brackets inside strings, literals, numbers, nesting,
 * top-level scalars), several in one buffer with and without white space between. */
static const char *const corpus[] = {
	"{\"execute\":\"qmp_capabilities\"}",
	"{\"execute\": \"x-inject-host-memory-error\", \"arguments\": {\"gpa\": 7340032, "
	"\"action-required\": true}, \"id\": \"\xc3\xa9\xe2\x86\x92\xf0\x9d\x84\x9e\"}",
	"{\"\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87\": \"\xd0\xb7\xd0\xbd\xd0\xb0\xd1\x87\", "
	"\"\xe6\x97\xa5\xe6\x9c\xac\": [\"\xe8\xaa\x9e\", {\"x\": null}], \"emoji \xf0\x9f\x98\x80\": false}",
	"{\"esc\": \"\\u00e9\\u2192\\ud834\\udd1e \\\" \\\\ \\/ \\b\\f\\n\\r\\t\", \"k\\\"ey\": \"}{][\", "
	"\"\\\\\": \"\\\\\\\\\\\"\", \"q\": \"\\\\\"}",
	"[1, -2, 3.5e10, 0, -0.25, 1E-3, 9223372036854775807, true, false, null, [], {}, [[[]]], "
	"{\"a\": {\"b\": {\"c\": [1, {\"d\": \"}\"}]}}}]",
	"{ \"execute\" : \"query-status\" ,\n\t\"id\" : [ true , false , null ]\r\n}",
	"\"a top-level string \\u00e9 {[\"",
	"12345",
	"true",
	"null",
	"-1.5e3",
	"{\"execute\":\"x\"}",
	"[\"\xef\xbf\xbf\", \"\\uFFFF\", \"\\uD83D\\uDE00\"]",
};
#define NCORPUS (sizeof(corpus) / sizeof(corpus[0]))

static bool is_word(const char *m)
{
	return m[0] != '{' && m[0] != '[' && m[0] != '"';
}

static void test_framing_split_anywhere(void **state)
{
	static const char *const gaps[] = { "", " ", "\r\n", "\t\n  ", "\n" };
	(void)state;
	for (size_t g = 0; g < sizeof(gaps) / sizeof(gaps[0]); g++) {
		char data[4096] = "";
		char want[8192] = "";
		for (size_t i = 0; i < NCORPUS; i++) {
			const char *gap = gaps[(g + i) % 5];
			/* A number or literal needs something after it to end. */
			if (!*gap && i && (is_word(corpus[i]) || is_word(corpus[i - 1])))
				gap = " ";
			strcat(data, gap);
			strcat(data, corpus[i]);
			json_error_t e;
			json_t *m = json_loads(corpus[i], JSON_DECODE_ANY, &e);
			if (!m)
				fail_msg("corpus %zu: %s", i, e.text);
			char *t = json_dumps(m, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
			strcat(want, "M ");
			strcat(want, t);
			strcat(want, "\n");
			free(t);
			json_decref(m);
		}
		strcat(data, "\n");
		char *whole = frame_record(data, strlen(data), NULL, 0, QMP_MESSAGE_MAX);
		assert_string_equal(whole, want);
		assert_split_invariant(data, strlen(data), QMP_MESSAGE_MAX, whole);
		free(whole);
	}
}

/* Bad input: how many errors and messages each buffer makes, however it is cut. */
static void test_framing_errors(void **state)
{
	static const struct {
		const char *data;
		size_t errors, messages;
	} cases[] = {
		{ "{\"execute\": \"query-status\" oops}{\"execute\":\"a\"}", 1, 1 },
		{ "{\"execute\" 1}\n{\"execute\":\"a\"}\n", 1, 1 },
		{ "{\"id\": 1, \"id\": 2}", 1, 0 },                   /* duplicate key */
		{ "{\"a\": \"\\u00\"} {\"a\": \"\\x\"}", 2, 0 },       /* bad escapes */
		{ "{\"a\": \"\xc3\"} {\"a\": \"\xed\xa0\x80\"}", 2, 0 }, /* bad UTF-8 */
		{ "tru\n{\"execute\":\"a\"}", 1, 1 },                  /* a literal that is not one */
		{ "oops{\"execute\":\"a\"}", 1, 1 },
		{ "}\n]]]\n{\"execute\":\"a\"}", 2, 1 },               /* stray closing brackets */
		{ "{\"execute\":\"a\"}}\n", 1, 1 },
		{ "{\"a\": [1}}\n{\"execute\":\"a\"}\n", 1, 1 },      /* '}' does not close '[' */
		{ "{\"a\": [1}\n{\"execute\":\"a\"}\n", 1, 1 },
		{ "{\"execute\": \"quit\n{\"execute\":\"a\"}\n", 1, 1 }, /* a string runs past its line */
		{ "{\"execute\": \"quit\r\n{\"execute\":\"a\"}\n", 1, 1 },
		{ "{\"execute\": \"a\tb\"}{\"execute\":\"a\"}", 1, 1 }, /* a raw tab in a string */
		{ "\x04{\"execute\":\"a\"}", 1, 1 },                   /* QEMU's resynchronisation */
		{ "{\"execute\": {\"x\": \x04{\"execute\":\"a\"}", 1, 1 },
		{ "{\"execute\": \"x\xff{\"execute\":\"a\"}", 1, 1 },
		{ "1 \"x\" true", 0, 2 },  /* scalars are messages (the request check refuses them); */
		{ "{\"execute\": \"a\"", 0, 0 }, /* "true" has nothing after it yet, nor has this */
		{ "\xc3\xa9 {}", 1, 1 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = strlen(cases[i].data);
		char *whole = frame_record(cases[i].data, len, NULL, 0, QMP_MESSAGE_MAX);
		if (count_lines(whole, 'E') != cases[i].errors || count_lines(whole, 'M') != cases[i].messages)
			fail_msg("case %zu: want %zu error(s) and %zu message(s), got:\n%s", i,
				 cases[i].errors, cases[i].messages, whole);
		assert_int_equal(count_lines(whole, 'T'), 0);
		assert_split_invariant(cases[i].data, len, QMP_MESSAGE_MAX, whole);
		free(whole);
	}
}

/* Nesting: 1024 levels is a message; deeper is one error, and the next message is served. */
static void test_framing_nesting(void **state)
{
	char data[8192];
	size_t n = 0;
	(void)state;
	for (int deep = QMP_NESTING_MAX; deep <= QMP_NESTING_MAX + 1; deep++) {
		n = 0;
		for (int i = 0; i < deep; i++)
			n += (size_t)sprintf(data + n, i % 2 ? "{\"k\":" : "[");
		data[n++] = '0';
		for (int i = deep - 1; i >= 0; i--)
			data[n++] = i % 2 ? '}' : ']';
		n += (size_t)sprintf(data + n, "{\"execute\":\"a\"}");
		char *r = frame_record(data, n, NULL, 0, QMP_MESSAGE_MAX);
		assert_int_equal(count_lines(r, 'M'), deep == QMP_NESTING_MAX ? 2 : 1);
		assert_int_equal(count_lines(r, 'E'), deep == QMP_NESTING_MAX ? 0 : 1);
		if (deep > QMP_NESTING_MAX)
			assert_non_null(strstr(r, "nesting deeper than 1024"));
		free(r);
	}
}

/* A message of max bytes is one; one byte more is refused, however it comes; white space
 * before it does not count. */
static void test_framing_too_long(void **state)
{
	char *big = malloc(QMP_MESSAGE_MAX + 64);
	(void)state;
	for (size_t extra = 0; extra <= 1; extra++) {
		size_t n = (size_t)sprintf(big, "   \r\n{\"x\": \"");
		size_t body = QMP_MESSAGE_MAX + extra - 9; /* {"x": "..."} is 9 more */
		memset(big + n, 'a', body);
		n += body;
		n += (size_t)sprintf(big + n, "\"}\n");
		char *r = frame_record(big, n, NULL, 0, QMP_MESSAGE_MAX);
		if (extra)
			assert_string_equal(r, "T message longer than 65536 bytes\n");
		else
			assert_int_equal(count_lines(r, 'M'), 1);
		free(r);
		size_t cuts[3] = { 5, 6000, n - 2 };
		r = frame_record(big, n, cuts, 3, QMP_MESSAGE_MAX);
		assert_int_equal(count_lines(r, extra ? 'T' : 'M'), 1);
		free(r);
	}
	/* A top-level token of exactly max bytes, then its end. */
	static const char word[] = "123456789 ";
	char *r = frame_record(word, strlen(word), NULL, 0, 9);
	assert_string_equal(r, "M 123456789\n");
	free(r);
	r = frame_record("1234567890 ", 11, NULL, 0, 9);
	assert_string_equal(r, "T message longer than 9 bytes\n");
	free(r);
	static const char three[] = "{\"a\":1}   {\"ab\":1}{\"abc\":1}";
	assert_split_invariant(three, strlen(three), 8,
			       "M {\"a\":1}\nM {\"ab\":1}\nT message longer than 8 bytes\n");
	free(big);
}

/* Each byte is scanned once and consumed bytes are moved once per read: a 64 KiB message
 * byte by byte and a read of 21845 tiny messages take milliseconds, not minutes. */
static void test_framing_cost(void **state)
{
	struct qmp_framer f;
	json_t *m;
	char e[256];
	struct timespec t0, t1;
	(void)state;
	assert_int_equal(qmp_framer_init(&f, QMP_MESSAGE_MAX), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(qmp_framer_push(&f, "[", 1), 1);
	for (size_t i = 1; i < QMP_MESSAGE_MAX - 2; i++) {
		assert_int_equal(qmp_framer_next(&f, &m, e, sizeof(e)), QMP_FRAME_MORE);
		assert_int_equal(qmp_framer_push(&f, i % 2 ? "0" : ",", 1), 1);
	}
	assert_int_equal(qmp_framer_push(&f, "]", 1), 1);
	assert_int_equal(qmp_framer_next(&f, &m, e, sizeof(e)), QMP_FRAME_MSG);
	assert_int_equal(json_array_size(m), QMP_MESSAGE_MAX / 2 - 1);
	json_decref(m);
	char *tiny = malloc(QMP_MESSAGE_MAX);
	for (size_t i = 0; i + 3 <= QMP_MESSAGE_MAX; i += 3)
		memcpy(tiny + i, "[] ", 3);
	assert_int_equal(qmp_framer_push(&f, tiny, QMP_MESSAGE_MAX / 3 * 3), QMP_MESSAGE_MAX / 3 * 3);
	size_t got = 0;
	while (qmp_framer_next(&f, &m, e, sizeof(e)) == QMP_FRAME_MSG)
		got++, json_decref(m);
	assert_int_equal(got, QMP_MESSAGE_MAX / 3);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (s > 1.0)
		fail_msg("framing took %.2f s", s);
	free(tiny);
	qmp_framer_free(&f);
}

static int parse(const char *text)
{
	const char *cmd;
	json_t *args, *id, *m = json_loads(text, 0, NULL);
	int r = qmp_parse_request(m, &cmd, &args, &id, err, sizeof(err));
	json_decref(m);
	return r;
}

static void test_request_shape(void **state)
{
	(void)state;
	assert_int_equal(parse("{\"execute\": \"quit\", \"id\": [1, \"x\"]}"), 0);
	assert_int_equal(parse("{\"execute\": \"stop\", \"arguments\": {}}"), 0);
	assert_int_equal(parse("[1, 2]"), -1);
	assert_string_equal(err, "QMP input must be a JSON object");
	assert_int_equal(parse("{\"arguments\": {}}"), -1);
	assert_string_equal(err, "QMP input lacks member 'execute'");
	assert_int_equal(parse("{\"execute\": 5}"), -1);
	assert_int_equal(parse("{\"execute\": \"x\", \"arguments\": [1]}"), -1);
	assert_string_equal(err, "QMP input member 'arguments' must be an object");
	assert_int_equal(parse("{\"execute\": \"x\", \"extra\": 1}"), -1);
	assert_string_equal(err, "QMP input member 'extra' is unexpected");
}

static int check(const char *args_text)
{
	static const struct qmp_arg schema[] = {
		{ "gpa", ARG_U64, true, 0, 0 }, { "ar", ARG_BOOL, false, 0, 0 },
		{ "n", ARG_UINT, false, 0, 0 }, { "s", ARG_STR, false, 0, 0 },
		{ "b", ARG_UINT, false, 0, UINT8_MAX }, { "lsb", ARG_UINT, false, 12, 30 }, { 0 } };
	json_t *a = args_text ? json_loads(args_text, 0, NULL) : NULL;
	int r = qmp_check_args(schema, a, err, sizeof(err));
	json_decref(a);
	return r;
}

static void test_arguments(void **state)
{
	(void)state;
	assert_int_equal(check("{\"gpa\": 4096, \"ar\": true, \"n\": 3, \"s\": \"x\"}"), 0);
	assert_int_equal(check("{\"gpa\": \"0xBD80000000000134\"}"), 0);
	assert_int_equal(check(NULL), -1);
	assert_string_equal(err, "Parameter 'gpa' is missing");
	assert_int_equal(check("{\"gpa\": 1, \"bogus\": 1}"), -1);
	assert_string_equal(err, "Parameter 'bogus' is unexpected");
	assert_int_equal(check("{\"gpa\": 1, \"ar\": 1}"), -1);
	assert_string_equal(err, "Invalid parameter type for 'ar', expected: boolean");
	assert_int_equal(check("{\"gpa\": -1}"), -1);
	assert_int_equal(check("{\"gpa\": \"0xZZ\"}"), -1);
	assert_int_equal(check("{\"gpa\": 1.5}"), -1);
	assert_int_equal(check("{\"gpa\": 1, \"n\": -2}"), -1);
	json_t *v = json_string("0xBD80000000000134");
	assert_int_equal(qmp_u64(v), 0xBD80000000000134ULL);
	json_decref(v);
}

static uint64_t u64_of(const char *text)
{
	json_t *v = json_string(text);
	uint64_t x = qmp_u64(v);
	json_decref(v);
	return x;
}

/* 64-bit values as strings: decimal unless 0x, never octal; nothing around the digits. */
static void test_u64_strings(void **state)
{
	(void)state;
	assert_int_equal(u64_of("010"), 10);
	assert_int_equal(u64_of("08"), 8);
	assert_int_equal(u64_of("0x10"), 16);
	assert_int_equal(u64_of("0X1f"), 31);
	assert_int_equal(u64_of("18446744073709551615"), UINT64_MAX);
	assert_int_equal(check("{\"gpa\": \"010\"}"), 0);
	assert_int_equal(check("{\"gpa\": \"09\"}"), 0);
	static const char *const bad[] = { "0x", "0x-1", "0x 1", "0x+1", "-1", " 1", "1 ", "+1",
					   "0b1", "", "18446744073709551616", "0x10000000000000000" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char args[96];
		snprintf(args, sizeof(args), "{\"gpa\": \"%s\"}", bad[i]);
		if (check(args) != -1)
			fail_msg("\"%s\" was taken as a number", bad[i]);
	}
}

static int check_cmd(const char *name, const char *args_text)
{
	const struct qmp_command *cmd = qmp_find_command(name);
	assert_non_null(cmd);
	json_t *a = json_loads(args_text, 0, NULL);
	assert_non_null(a);
	int r = qmp_check_args(cmd->args, a, err, sizeof(err));
	json_decref(a);
	return r;
}

/* Integers out of an argument's range are refused in QEMU's words, never truncated:
 * 4294967297 used to reach inject-ghes-v2-error as source 1. */
static void test_argument_ranges(void **state)
{
	(void)state;
	assert_int_equal(check("{\"gpa\": 1, \"b\": 255, \"lsb\": 12}"), 0);
	assert_int_equal(check("{\"gpa\": 1, \"b\": 256}"), -1);
	assert_string_equal(err, "Parameter 'b' expects uint8_t");
	assert_int_equal(check("{\"gpa\": 1, \"lsb\": 31}"), -1);
	assert_string_equal(err, "Parameter 'lsb' expects an integer from 12 to 30");
	assert_int_equal(check("{\"gpa\": 1, \"lsb\": 11}"), -1);
	assert_int_equal(check("{\"gpa\": 1, \"n\": 4294967295}"), 0);
	assert_int_equal(check("{\"gpa\": 1, \"n\": 4294967296}"), -1);
	assert_string_equal(err, "Parameter 'n' expects uint32_t");
	assert_int_equal(check("{\"gpa\": 1, \"n\": -1}"), -1);
	assert_string_equal(err, "Parameter 'n' expects uint32_t");
	assert_int_equal(check("{\"gpa\": 1, \"n\": \"1\"}"), -1);
	assert_string_equal(err, "Invalid parameter type for 'n', expected: integer");

	assert_int_equal(check_cmd("inject-ghes-v2-error", "{\"cper\": \"\", \"source\": 4294967297}"), -1);
	assert_string_equal(err, "Parameter 'source' expects uint16_t");
	assert_int_equal(check_cmd("inject-ghes-v2-error", "{\"cper\": \"\", \"source\": 65535}"), 0);
	assert_int_equal(check_cmd("x-inject-host-memory-error", "{\"gpa\": 0, \"lsb\": 31}"), -1);
	assert_string_equal(err, "Parameter 'lsb' expects an integer from 12 to 30");
	assert_int_equal(check_cmd("x-inject-mce", "{\"cpu\": 4294967296, \"bank\": 0, \"status\": 0, "
				   "\"mcg-status\": 0, \"addr\": 0, \"misc\": 0}"), -1);
	assert_string_equal(err, "Parameter 'cpu' expects uint32_t");
	assert_int_equal(check_cmd("x-inject-mce", "{\"cpu\": 0, \"bank\": 256, \"status\": 0, "
				   "\"mcg-status\": 0, \"addr\": 0, \"misc\": 0}"), -1);
	assert_string_equal(err, "Parameter 'bank' expects uint8_t");

	/* Every unsigned argument of every command has a bound an unsigned holds. */
	static const char *const names[] = { "qmp_capabilities", "query-version", "query-status",
		"stop", "cont", "system_reset", "quit", "inject-nmi", "inject-ghes-v2-error",
		"x-inject-host-memory-error", "x-inject-mce", "query-ras" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const struct qmp_command *cmd = qmp_find_command(names[i]);
		assert_non_null(cmd);
		for (const struct qmp_arg *a = cmd->args; a->name; a++) {
			if (a->type != ARG_UINT)
				continue;
			json_t *args = json_pack("{s:I}", a->name, (json_int_t)UINT32_MAX + 1);
			assert_int_equal(qmp_check_args(cmd->args, args, err, sizeof(err)), -1);
			assert_non_null(strstr(err, "expects"));
			json_decref(args);
		}
	}
}

static void test_replies(void **state)
{
	(void)state;
	json_t *id = json_string("abc");
	json_t *r = qmp_reply(json_pack("{s:i}", "x", 1), id);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "return"), "x")), 1);
	assert_string_equal(json_string_value(json_object_get(r, "id")), "abc");
	json_decref(r);
	r = qmp_error("CommandNotFound", "nope", NULL);
	assert_string_equal(json_string_value(json_object_get(json_object_get(r, "error"), "class")),
			    "CommandNotFound");
	assert_null(json_object_get(r, "id"));
	json_decref(r);
	json_decref(id);
	r = qmp_event_msg("STOP", NULL);
	assert_string_equal(json_string_value(json_object_get(r, "event")), "STOP");
	assert_true(json_integer_value(json_object_get(json_object_get(r, "timestamp"), "seconds")) > 0);
	assert_non_null(json_object_get(json_object_get(r, "timestamp"), "microseconds"));
	json_decref(r);
}

/* An error quoting what the client sent, cut inside a UTF-8 character (a member name under
 * %.64s), is still a reply: the bad bytes become '?'. It used to be no reply at all. */
static void test_error_utf8(void **state)
{
	const char *cmd;
	json_t *args, *id;
	char text[256] = "{\"execute\": \"x\", \"id\": 7, \"a";
	(void)state;
	for (int i = 0; i < 40; i++)
		strcat(text, "\xc3\xa9");
	strcat(text, "\": 1}");
	json_t *m = json_loads(text, 0, NULL);
	assert_non_null(m);
	assert_int_equal(qmp_parse_request(m, &cmd, &args, &id, err, sizeof(err)), -1);
	json_t *r = qmp_error("GenericError", err, id);
	assert_non_null(r);
	const char *desc = json_string_value(json_object_get(json_object_get(r, "error"), "desc"));
	assert_non_null(strstr(desc, "a\xc3\xa9\xc3\xa9"));
	assert_non_null(strstr(desc, "?' is unexpected"));
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 7);
	json_decref(r);
	json_decref(m);
	static const char *const bad[] = { "\xc3", "\xed\xa0\x80", "\xc0\xaf", "\xf4\x90\x80\x80", "\xff" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = qmp_error("GenericError", bad[i], NULL);
		assert_non_null(r);
		desc = json_string_value(json_object_get(json_object_get(r, "error"), "desc"));
		assert_int_equal(strspn(desc, "?"), strlen(bad[i]));
		json_decref(r);
	}
	r = qmp_error("GenericError", "\xe2\x86\x92 \xf0\x9d\x84\x9e", NULL);
	assert_string_equal(json_string_value(json_object_get(json_object_get(r, "error"), "desc")),
			    "\xe2\x86\x92 \xf0\x9d\x84\x9e");
	json_decref(r);
}

static void test_base64(void **state)
{
	uint8_t out[16];
	(void)state;
	assert_int_equal(base64_decode("aGVsbG8=", 8, out, sizeof(out)), 5);
	assert_memory_equal(out, "hello", 5);
	assert_int_equal(base64_decode("aGk=", 4, out, sizeof(out)), 2);
	assert_int_equal(base64_decode("", 0, out, sizeof(out)), 0);
	assert_int_equal(base64_decode("aGVsbG8", 7, out, sizeof(out)), -1);    /* length */
	assert_int_equal(base64_decode("aG=sbG8=", 8, out, sizeof(out)), -1);   /* '=' inside */
	assert_int_equal(base64_decode("aGVs!G8=", 8, out, sizeof(out)), -1);   /* bad character */
	assert_int_equal(base64_decode("aGVsbG8=", 8, out, 4), -1);             /* does not fit */
	assert_int_equal(base64_decode("+/+/", 4, out, sizeof(out)), 3);
	assert_int_equal(out[0], 0xfb);
}

/* Reads from fd until want events (and the reply, when reply is set) have come; returns how
 * many events came (it gives up after 10 s). */
static size_t read_events(int fd, size_t want, bool reply)
{
	struct qmp_framer f;
	size_t events = 0;
	time_t end = time(NULL) + 10;
	assert_int_equal(qmp_framer_init(&f, QMP_MESSAGE_MAX), 0);
	while ((events < want || reply) && time(NULL) < end) {
		size_t room;
		char *p = qmp_framer_room(&f, &room);
		ssize_t r = recv(fd, p, room, MSG_DONTWAIT);
		if (r <= 0) {
			usleep(1000);
			continue;
		}
		qmp_framer_add(&f, (size_t)r);
		json_t *m;
		char e[256];
		while (qmp_framer_next(&f, &m, e, sizeof(e)) == QMP_FRAME_MSG) {
			if (json_object_get(m, "event"))
				events++;
			if (json_object_get(m, "return"))
				reply = false;
			json_decref(m);
		}
	}
	qmp_framer_free(&f);
	return events;
}

static size_t count_in_file(const char *path, const char *text)
{
	char buf[8192];
	FILE *fp = fopen(path, "r");
	size_t n = 0;
	assert_non_null(fp);
	while (fgets(buf, sizeof(buf), fp))
		n += strstr(buf, text) != NULL;
	fclose(fp);
	return n;
}

/* Events the full queue refuses are counted (qmp_events_dropped), every event is either
 * delivered or counted, and the log tells of them: at once, then not again within 10 s, and
 * once more at the end. The server thread is held in query-status (which takes
 * vm->life.lock) while events are sent, as a command that blocks would hold it. */
static void test_events_dropped(void **state)
{
	struct vm vm = { 0 };
	char dir[] = "/tmp/rasvm-test-qmp-XXXXXX", sock[64], logf[64];
	const size_t flood = 4096 + 500;
	(void)state;

	assert_non_null(mkdtemp(dir));
	snprintf(sock, sizeof(sock), "%s/s", dir);
	snprintf(logf, sizeof(logf), "%s/log", dir);
	pthread_mutex_init(&vm.life.lock, NULL);
	fflush(stderr);
	int saved = dup(2), lfd = open(logf, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(lfd, 2);
	close(lfd);
	struct qmp_listen l;
	char err[128];
	assert_int_equal(config_parse_qmp(sock, &l, err, sizeof(err)), 0);
	assert_int_equal(qmp_start_listeners(&vm, &l, 1, NULL, 0), 0);
	assert_int_equal(qmp_events_dropped(&vm), 0);

	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	strcpy(a.sun_path, sock);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	static const char caps[] = "{\"execute\": \"qmp_capabilities\"}";
	assert_int_equal(send(fd, caps, strlen(caps), 0), (ssize_t)strlen(caps));
	read_events(fd, 0, true);

	size_t sent = 0, got = 0;
	for (int round = 0; round < 2; round++) {
		static const char status[] = "{\"execute\": \"query-status\"}";
		pthread_mutex_lock(&vm.life.lock);
		assert_int_equal(send(fd, status, strlen(status), 0), (ssize_t)strlen(status));
		usleep(200 * 1000); /* the server thread is now waiting for the lock */
		for (size_t i = 0; i < flood; i++)
			qmp_event(&vm, "TEST_EVENT", json_pack("{s:i}", "n", (int)i));
		sent += flood;
		uint64_t dropped = qmp_events_dropped(&vm);
		assert_true(dropped >= 500 * (unsigned)(round + 1));
		pthread_mutex_unlock(&vm.life.lock);
		got += read_events(fd, sent - dropped - got, true);
		assert_int_equal(got + qmp_events_dropped(&vm), sent);
		usleep(100 * 1000);
		fflush(stderr);
		assert_int_equal(count_in_file(logf, "event(s) dropped"), 1); /* the second waits */
	}
	uint64_t dropped = qmp_events_dropped(&vm);
	qmp_stop(&vm);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(fd);
	assert_int_equal(count_in_file(logf, "event(s) dropped"), 2);
	char want[64];
	snprintf(want, sizeof(want), "qmp: %llu event(s) dropped", (unsigned long long)dropped);
	assert_int_equal(count_in_file(logf, want), 1);
	unlink(logf);
	rmdir(dir);
	pthread_mutex_destroy(&vm.life.lock);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_framing_split_anywhere),
		cmocka_unit_test(test_framing_errors),
		cmocka_unit_test(test_framing_nesting),
		cmocka_unit_test(test_framing_too_long),
		cmocka_unit_test(test_framing_cost),
		cmocka_unit_test(test_request_shape),
		cmocka_unit_test(test_arguments),
		cmocka_unit_test(test_u64_strings),
		cmocka_unit_test(test_argument_ranges),
		cmocka_unit_test(test_replies),
		cmocka_unit_test(test_error_utf8),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_events_dropped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
