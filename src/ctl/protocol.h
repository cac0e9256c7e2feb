/* SPDX-License-Identifier: MIT */
/*
 * The QEMU Machine Protocol, the parts that need no VM: framing a byte stream into JSON
 * messages, checking a request's shape and its arguments against a command's schema, and
 * building replies. Pure, so the fuzzer can drive it.
 */
#ifndef RASVM_CTL_PROTOCOL_H
#define RASVM_CTL_PROTOCOL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define QMP_MESSAGE_MAX 65536 /* a request larger than this is refused and its client dropped */

/* ARG_U64: a non-negative integer, or a string "0x..."/decimal for values JSON integers
 * cannot hold (machine-check status words have bit 63 set). */
enum qmp_arg_type { ARG_INT, ARG_UINT, ARG_BOOL, ARG_STR, ARG_U64 };

/* ARG_UINT and ARG_U64 values must lie in [min, max]; max 0 means the type's own limit
 * (UINT32_MAX for ARG_UINT, so a handler's unsigned never truncates; UINT64_MAX for ARG_U64). */
struct qmp_arg {
	const char *name;
	enum qmp_arg_type type;
	bool required;
	uint64_t min, max;
};

/*
 * Take the first JSON value from buf[0..len). Returns 1 with *msg and *used set, 0 when the
 * value is incomplete (wait for more bytes), -1 when it can never parse (*used says how much
 * to discard: everything up to the error). Leading white space is skipped.
 */
int qmp_frame(const char *buf, size_t len, json_t **msg, size_t *used, char *err, size_t errlen);

/* A request is {"execute": NAME, "arguments"?: {...}, "id"?: any}. 0 or -1 with err. */
int qmp_parse_request(json_t *msg, const char **command, json_t **args, json_t **id, char *err,
		      size_t errlen);

/* Arguments must be an object (or absent) whose members the schema names, of its types. */
int qmp_check_args(const struct qmp_arg *schema, json_t *args, char *err, size_t errlen);

/* The value of an ARG_U64 (or ARG_UINT) argument that passed qmp_check_args. */
uint64_t qmp_u64(json_t *v);

/* {"return": ret, "id": id} (id omitted when NULL); steals ret. */
json_t *qmp_reply(json_t *ret, json_t *id);
/* {"error": {"class": cls, "desc": desc}, "id": id} */
json_t *qmp_error(const char *cls, const char *desc, json_t *id);
/* {"event": name, "data": data, "timestamp": {"seconds", "microseconds"}}; steals data. */
json_t *qmp_event_msg(const char *name, json_t *data);

#endif
