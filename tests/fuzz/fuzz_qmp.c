// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: any bytes as what a client sends the control socket. The framer, the
 * request checks and every command's argument schema must hold, base64 arguments must decode
 * safely, and the HMP parser (human-monitor-command's command-line, and any top-level JSON
 * string taken as a command line) must give a command or QEMU's message; commands themselves
 * are not run (they need a VM).
 *
 * Split invariance: the same bytes fed whole, in two pieces and in three, cut at offsets the
 * fuzzer chooses, must give the same sequence of messages and errors (a read may end
 * anywhere). The input's first 5 bytes are those choices, the rest is the stream:
 *   [0]    the framer's longest message: QMP_MESSAGE_MAX when odd, else 16 + 4 * [0] bytes
 *          (small, so that "too long" is reached);
 *   [1..2] [3..4] two cut offsets (little-endian, taken modulo the stream's length + 1).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/base64.h"
#include "ctl/hmp.h"
#include "ctl/protocol.h"
#include "ctl/qmp.h"

/* Every error the server can meet becomes a reply (its text quotes client bytes). */
static void must_reply(const char *err, json_t *id)
{
	json_t *r = qmp_error("GenericError", err, id);
	if (!r)
		abort();
	json_decref(r);
}

/* An HMP line parses to a command with at most HMP_NUMS_MAX numbers, or to what QEMU prints. */
static void check_hmp(const char *line)
{
	struct hmp_parsed p;
	char out[512];
	int r = hmp_parse(line, &p, out, sizeof(out));
	if (r != 0 && r != 1)
		abort();
	if (r == 0 && (!p.cmd || p.nums > HMP_NUMS_MAX || strlen(p.word) >= sizeof(p.word)))
		abort();
	if (r == 1 && strlen(out) >= sizeof(out))
		abort();
}

/* What the server does with a message, short of running the command. */
static void check_request(json_t *msg)
{
	json_t *args, *id;
	const char *name;
	char err[256];

	if (json_is_string(msg))
		check_hmp(json_string_value(msg));
	if (qmp_parse_request(msg, &name, &args, &id, err, sizeof(err))) {
		must_reply(err, id);
		return;
	}
	const struct qmp_command *cmd = qmp_find_command(name);
	if (!cmd) {
		snprintf(err, sizeof(err), "The command %.64s has not been found", name);
		must_reply(err, id);
		return;
	}
	if (qmp_check_args(cmd->args, args, err, sizeof(err))) {
		must_reply(err, id);
		return;
	}
	for (const struct qmp_arg *a = cmd->args; a->name; a++) {
		json_t *v = json_object_get(args, a->name);
		if ((a->type == ARG_UINT || a->type == ARG_U64) && v) {
			uint64_t x = qmp_u64(v), max = a->max ? a->max : a->type == ARG_UINT ? UINT32_MAX : UINT64_MAX;
			if (x < a->min || x > max)
				abort(); /* a value the schema let through out of its range */
		}
	}
	json_t *line = args ? json_object_get(args, "command-line") : NULL;
	if (!strcmp(name, "human-monitor-command") && json_is_string(line))
		check_hmp(json_string_value(line));
	json_t *cper = args ? json_object_get(args, "cper") : NULL;
	if (json_is_string(cper)) {
		size_t n = strlen(json_string_value(cper));
		uint8_t *out = malloc(n / 4 * 3 + 3);
		base64_decode(json_string_value(cper), n, out, n / 4 * 3 + 3);
		free(out);
	}
}

struct record {
	char *p;
	size_t len, cap;
};

static void add(struct record *r, char kind, const char *text)
{
	size_t n = strlen(text);
	if (r->len + n + 2 > r->cap) {
		r->cap = (r->len + n + 2) * 2;
		r->p = realloc(r->p, r->cap);
		if (!r->p)
			abort();
	}
	r->p[r->len++] = kind;
	memcpy(r->p + r->len, text, n + 1);
	r->len += n + 1;
}

/* Feeds data, cut at cuts[0..ncuts) (ascending), into a framer as the server does (push what
 * fits, take every outcome, repeat) and records the outcomes: 'M' and the message (keys
 * sorted), 'E' and the error, 'T' and the error for too long. */
static struct record frame(const uint8_t *data, size_t size, const size_t *cuts, size_t ncuts,
			   size_t max, bool requests)
{
	struct qmp_framer f;
	struct record out = { 0 };
	size_t at = 0;

	if (qmp_framer_init(&f, max))
		abort();
	for (size_t piece = 0; piece <= ncuts; piece++) {
		size_t to = piece < ncuts ? cuts[piece] : size;
		while (at < to) {
			size_t room;
			qmp_framer_room(&f, &room);
			if (room == 0)
				abort(); /* the server would read 0 bytes and take it for a hang-up */
			at += qmp_framer_push(&f, data + at, to - at);
			for (;;) {
				json_t *msg;
				char err[256];
				int r = qmp_framer_next(&f, &msg, err, sizeof(err));
				if (r == QMP_FRAME_MORE)
					break;
				if (r == QMP_FRAME_MSG) {
					if (requests)
						check_request(msg);
					char *text = json_dumps(msg, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
					if (!text)
						abort();
					add(&out, 'M', text);
					free(text);
					json_decref(msg);
				} else if (r == QMP_FRAME_BAD || r == QMP_FRAME_TOO_LONG) {
					if (requests)
						must_reply(err, NULL);
					add(&out, r == QMP_FRAME_BAD ? 'E' : 'T', err);
				} else {
					abort();
				}
			}
			/* What the framer keeps is the start of one message, never more than max. */
			if (f.off > f.len || f.pos > f.len || f.len - f.off > max)
				abort();
		}
	}
	qmp_framer_free(&f);
	return out;
}

static bool same(const struct record *a, const struct record *b)
{
	return a->len == b->len && (!a->len || !memcmp(a->p, b->p, a->len));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 5 || size > 4 * QMP_MESSAGE_MAX)
		return 0;
	size_t max = data[0] & 1 ? QMP_MESSAGE_MAX : 16 + 4 * (size_t)data[0];
	size_t a = (size_t)(data[1] | data[2] << 8), b = (size_t)(data[3] | data[4] << 8);
	data += 5;
	size -= 5;
	a %= size + 1;
	b %= size + 1;
	size_t two[1] = { a }, three[2] = { a < b ? a : b, a < b ? b : a };

	struct record whole = frame(data, size, NULL, 0, max, true);
	struct record in_two = frame(data, size, two, 1, max, false);
	struct record in_three = frame(data, size, three, 2, max, false);
	if (!same(&whole, &in_two) || !same(&whole, &in_three))
		abort(); /* where a read ends changed what was received */
	free(whole.p);
	free(in_two.p);
	free(in_three.p);
	return 0;
}
