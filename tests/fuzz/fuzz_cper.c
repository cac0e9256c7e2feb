// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: any byte string as a GHES error status block. rasvm's decoder must not
 * read outside it, the formatter must stay inside what the checker accepted, and the guest's
 * independent reader must agree with the decoder on which blocks are valid.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acpi/cper.h"
#include "cper.h" /* guest/lib/cper.h */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cper_block_info info;
	struct gcper_result g;
	const char *gwhy;
	char why[256];
	static char text[1 << 16];

	if (size > 65536)
		return 0;
	/* A copy of exactly size bytes, so ASan flags any read past the end. */
	uint8_t *p = malloc(size ? size : 1);
	memcpy(p, data, size);
	int r = cper_check(p, size, size, &info, why, sizeof(why));
	if (r == 0)
		cper_format(p, &info, 1, 0, text, sizeof(text));
	int gr = gcper_read(p, (uint32_t)size, &g, &gwhy);
	/* The guest reader skips ARM-specific checks, so only its rejections must match. */
	if (r == 0 && gr == -1)
		abort();
	if (gr == 0 && r != 0 && !strstr(why, "ARM"))
		abort();
	free(p);
	return 0;
}
