// SPDX-License-Identifier: MIT
/* libFuzzer target: the input, split at NUL bytes, as rasvm's argv (and each piece as a
 * size). Parsing must never crash, and an accepted run configuration must be in range. */
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char buf[4096], *argv[64], err[256];
	struct config c;
	uint64_t bytes;
	int argc = 0;

	if (size >= sizeof(buf))
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[argc++] = "rasvm";
	for (char *p = buf; p < buf + size && argc < 63; p += strlen(p) + 1) {
		argv[argc++] = p;
		config_parse_size(p, &bytes);
	}
	argv[argc] = NULL;
	if (config_parse(argc, argv, &c, err, sizeof(err)) == 0 && c.cmd == CMD_RUN &&
	    (c.cpus < 1 || c.cpus > 254 || c.memory < LAYOUT_RAM_MIN || c.memory % 4096))
		abort();
	return 0;
}
