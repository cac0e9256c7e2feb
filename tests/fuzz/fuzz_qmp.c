// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: any bytes as what a client sends the control socket. The framer, the
 * request checks and every command's argument schema must hold, and base64 arguments must
 * decode safely; commands themselves are not run (they need a VM).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/base64.h"
#include "ctl/protocol.h"
#include "ctl/qmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	size_t off = 0;

	if (size > 4 * QMP_MESSAGE_MAX)
		return 0;
	char *buf = malloc(size ? size : 1);
	memcpy(buf, data, size);
	while (off < size) {
		json_t *msg, *args, *id;
		const char *name;
		size_t used;
		int f = qmp_frame(buf + off, size - off, &msg, &used, err, sizeof(err));
		if (f == 0)
			break;
		if (used == 0 || used > size - off)
			abort(); /* the framer must always make progress inside the buffer */
		off += used;
		if (f < 0)
			continue;
		if (qmp_parse_request(msg, &name, &args, &id, err, sizeof(err)) == 0) {
			const struct qmp_command *cmd = qmp_find_command(name);
			if (cmd && qmp_check_args(cmd->args, args, err, sizeof(err)) == 0) {
				json_t *cper = args ? json_object_get(args, "cper") : NULL;
				if (json_is_string(cper)) {
					size_t n = strlen(json_string_value(cper));
					uint8_t *out = malloc(n / 4 * 3 + 3);
					base64_decode(json_string_value(cper), n, out, n / 4 * 3 + 3);
					free(out);
				}
			}
		}
		json_decref(msg);
	}
	free(buf);
	return 0;
}
