// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: any bytes as what a client sends the control socket. The framer, the
 * request checks and every command's argument schema must hold, and base64 arguments must
 * decode safely; commands themselves are not run (they need a VM).
 *
 * Split invariance: the same bytes fed whole, in two pieces and in three, cut at offsets the
 * fuzzer chooses, must give the same sequence of messages and errors (a read may end
 * anywhere). The input's first 5 bytes are those choices, the rest is the stream:
 *   [0]    the framer's longest message: QMP_MESSAGE_MAX when odd, else 16 + 4 * [0] bytes
 *          (small, so that "too long" is reached);
 *   [1..2] [3..4] two cut offsets (little-endian, taken modulo the stream's length + 1).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/base64.h"
#include "ctl/protocol.h"
#include "ctl/qmp.h"

/* What the server does with a message, short of running the command. */
static void check_request(json_t *msg)
{
	json_t *args, *id;
	const char *name;
	char err[256];

	if (qmp_parse_request(msg, &name, &args, &id, err, sizeof(err)))
		return;
	const struct qmp_command *cmd = qmp_find_command(name);
	if (!cmd || qmp_check_args(cmd->args, args, err, sizeof(err)))
		return;
	for (const struct qmp_arg *a = cmd->args; a->name; a++) {
		json_t *v = json_object_get(args, a->name);
		if ((a->type == ARG_UINT || a->type == ARG_U64) && v) {
			uint64_t x = qmp_u64(v), max = a->max ? a->max : a->type == ARG_UINT ? UINT32_MAX : UINT64_MAX;
			if (x < a->min || x > max)
				abort(); /* a value the schema let through out of its range */
		}
	}
	json_t *cper = args ? json_object_get(args, "cper") : NULL;
	if (json_is_string(cper)) {
		size_t n = strlen(json_string_value(cper));
		uint8_t *out = malloc(n / 4 * 3 + 3);
		base64_decode(json_string_value(cper), n, out, n / 4 * 3 + 3);
		free(out);
	}
}

/* Feeds data, cut at cuts[0..ncuts) (ascending), into a framer as the server does (push what
 * fits, take every outcome, repeat) and returns the outcomes: ["M", message], ["E", error],
 * ["T", error] for too long. */
static json_t *frame(const uint8_t *data, size_t size, const size_t *cuts, size_t ncuts, size_t max,
		     bool requests)
{
	struct qmp_framer f;
	json_t *out = json_array();
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
					json_array_append_new(out, json_pack("[s,o]", "M", msg));
				} else if (r == QMP_FRAME_BAD || r == QMP_FRAME_TOO_LONG) {
					json_array_append_new(out, json_pack("[s,s]", r == QMP_FRAME_BAD ? "E" : "T", err));
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

	json_t *whole = frame(data, size, NULL, 0, max, true);
	json_t *in_two = frame(data, size, two, 1, max, false);
	json_t *in_three = frame(data, size, three, 2, max, false);
	if (!json_equal(whole, in_two) || !json_equal(whole, in_three))
		abort(); /* where a read ends changed what was received */
	json_decref(whole);
	json_decref(in_two);
	json_decref(in_three);
	return 0;
}
