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
#define QMP_NESTING_MAX 1024  /* deeper {} and [] make a message bad (QEMU's limit too) */

/* ARG_ARRAY: any JSON array (the handler checks its elements).
 * ARG_U64: a non-negative integer, or a string "0x..."/decimal for values JSON integers
 * cannot hold (machine-check status words have bit 63 set). */
enum qmp_arg_type { ARG_INT, ARG_UINT, ARG_BOOL, ARG_STR, ARG_U64, ARG_ARRAY };

/* ARG_UINT and ARG_U64 values must lie in [min, max]; max 0 means the type's own limit
 * (UINT32_MAX for ARG_UINT, so a handler's unsigned never truncates; UINT64_MAX for ARG_U64). */
struct qmp_arg {
	const char *name;
	enum qmp_arg_type type;
	bool required;
	uint64_t min, max;
};

/*
 * The framer: cuts a byte stream into JSON messages before anything parses them, as QEMU's
 * JSON streamer does, so a read may end anywhere (inside a UTF-8 sequence, a literal, a \u
 * escape) without changing what is received. It tracks whether it is inside a string, after
 * a backslash, and a stack of the open { and [; a message is handed to jansson only once
 * complete: an object or array when its brackets balance, a string at its closing quote, any
 * other top-level token (number, literal, junk) at the white space, '{', '[' or '"' after it.
 * Top-level scalars are messages like any other (the request check then refuses them).
 *
 * Bad input costs one error per bad message, whatever the cuts:
 *  - a complete message jansson refuses: exactly its bytes are dropped;
 *  - a byte that never belongs in JSON text (an ASCII control character other than tab, CR
 *    and LF; 0xFE, 0xFF; an LF inside a string): the bad message ends there (QEMU's documented
 *    way for a client to get the parser back to a known state);
 *  - a tab or CR inside a string, a closing bracket that does not match, nesting deeper than
 *    QMP_NESTING_MAX: the message is reported at once and its rest dropped through the end of
 *    its line or where its brackets balance, whichever comes first;
 *  - a message longer than max bytes: QMP_FRAME_TOO_LONG; the framer then drops everything.
 * The framer owns its input buffer (max + 1 bytes): put bytes in with qmp_framer_room() and
 * qmp_framer_add() (or qmp_framer_push()), then call qmp_framer_next() until it says
 * QMP_FRAME_MORE. Each byte is scanned once; no I/O, no globals: the tests and the fuzzer
 * drive it like the server does.
 */
enum {
	QMP_FRAME_TOO_LONG = -2, /* a message over max bytes: drop the client */
	QMP_FRAME_BAD = -1,      /* a bad message: err says why; carry on */
	QMP_FRAME_MORE = 0,      /* everything so far is framed: read more */
	QMP_FRAME_MSG = 1,       /* *msg is the next message (the caller's reference) */
};

struct qmp_framer {
	char *buf;
	size_t max;        /* longest message accepted */
	size_t off, len;   /* buf[off..len) is not consumed yet */
	size_t pos;        /* buf[off..pos) is scanned; the state below is where it ended */
	size_t depth;      /* open brackets */
	unsigned char state;
	bool bad;          /* the message was reported: dropping its rest */
	unsigned char square[QMP_NESTING_MAX / 8]; /* bit per open bracket: 1 '[', 0 '{' */
};

/* 0 or -ENOMEM. */
int qmp_framer_init(struct qmp_framer *f, size_t max);
void qmp_framer_free(struct qmp_framer *f);
/* Where the next bytes go and how many fit (at least 1 once next() said QMP_FRAME_MORE). */
char *qmp_framer_room(struct qmp_framer *f, size_t *room);
/* n bytes were written at qmp_framer_room(). */
void qmp_framer_add(struct qmp_framer *f, size_t n);
/* Copies as many of data[0..n) as fit; returns how many. */
size_t qmp_framer_push(struct qmp_framer *f, const void *data, size_t n);
/* The next message or error from what was added; QMP_FRAME_MORE when none is complete. */
int qmp_framer_next(struct qmp_framer *f, json_t **msg, char *err, size_t errlen);

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
