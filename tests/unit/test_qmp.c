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
#include <string.h>
#include <cmocka.h>

#include "ctl/base64.h"
#include "ctl/protocol.h"
#include "ctl/qmp.h"

static char err[256];

static void test_framing(void **state)
{
	json_t *m;
	size_t used;
	(void)state;
	const char *two = "  {\"execute\": \"a\"}{\"execute\": \"b\"}  ";
	assert_int_equal(qmp_frame(two, strlen(two), &m, &used, err, sizeof(err)), 1);
	assert_string_equal(json_string_value(json_object_get(m, "execute")), "a");
	json_decref(m);
	assert_int_equal(qmp_frame(two + used, strlen(two) - used, &m, &used, err, sizeof(err)), 1);
	assert_string_equal(json_string_value(json_object_get(m, "execute")), "b");
	json_decref(m);
	const char *half = "{\"execute\": \"qu";
	assert_int_equal(qmp_frame(half, strlen(half), &m, &used, err, sizeof(err)), 0);
	assert_int_equal(qmp_frame("   ", 3, &m, &used, err, sizeof(err)), 0);
	assert_int_equal(used, 3);
	const char *bad = "{\"execute\" 1}";
	assert_int_equal(qmp_frame(bad, strlen(bad), &m, &used, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "JSON parse error"));
	assert_true(used > 0 && used <= strlen(bad));
	const char *dup = "{\"id\": 1, \"id\": 2}";
	assert_int_equal(qmp_frame(dup, strlen(dup), &m, &used, err, sizeof(err)), -1);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_framing),
		cmocka_unit_test(test_request_shape),
		cmocka_unit_test(test_arguments),
		cmocka_unit_test(test_u64_strings),
		cmocka_unit_test(test_argument_ranges),
		cmocka_unit_test(test_replies),
		cmocka_unit_test(test_base64),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
