// SPDX-License-Identifier: MIT
/* What both guests' ACPI walkers (x86: lib/acpi.c, arm64: arm64/lib.c) check of every table:
 * its checksum, and the line Linux prints for it. */
#include "guest.h"

uint8_t acpi_sum(const void *p, uint64_t n)
{
	const uint8_t *b = p;
	uint8_t s = 0;
	while (n--)
		s = (uint8_t)(s + *b++);
	return s;
}

int acpi_table_sum_ok(const uint8_t *t, uint64_t addr, uint32_t len, int verbose)
{
	int ok = acpi_sum(t, len) == 0;
	if (verbose || !ok)
		printf("ACPI: %c%c%c%c 0x%08lx %06x (v%02u) checksum %s\n", t[0], t[1], t[2], t[3], addr,
		       len, t[8], ok ? "ok" : "BAD");
	return ok;
}
