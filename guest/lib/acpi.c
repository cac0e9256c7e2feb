// SPDX-License-Identifier: MIT
/*
 * Find the RSDP the way a legacy OS does (scan 0xE0000-0xFFFFF on 16-byte boundaries), then
 * walk the XSDT and verify every table's length and checksum. Written from the ACPI
 * specification independently of the VMM's table builder (src/acpi/), so a bug in one
 * cannot make both agree.
 */
#include "guest.h"

#define SCAN_START 0xe0000
#define SCAN_END   0x100000
#define RSDP_LEN   36
#define HDR_LEN    36

static uint8_t sum(const uint8_t *p, uint64_t n)
{
	uint8_t s = 0;
	while (n--)
		s = (uint8_t)(s + *p++);
	return s;
}

static const uint8_t *find_rsdp(void)
{
	for (uintptr_t a = SCAN_START; a < SCAN_END; a += 16) {
		const uint8_t *p = (const uint8_t *)a;
		if (memcmp(p, "RSD PTR ", 8) == 0 && sum(p, 20) == 0)
			return p;
	}
	return 0;
}

/* Verify one table at addr; prints its signature, length and checksum verdict. */
static const uint8_t *check_table(uint64_t addr, const char *expect, int verbose)
{
	const uint8_t *t = (const uint8_t *)(uintptr_t)addr;

	/* Tables live in the ACPI area below 1 MiB; anything else is a VMM bug. */
	if (addr < SCAN_START || addr + HDR_LEN > SCAN_END) {
		printf("ACPI: table pointer 0x%lx outside the ACPI area\n", addr);
		return 0;
	}
	uint32_t len = (uint32_t)get_le(t + 4, 4);
	if (len < HDR_LEN || addr + len > SCAN_END) {
		printf("ACPI: %c%c%c%c at 0x%lx has bad length %u\n", t[0], t[1], t[2], t[3], addr, len);
		return 0;
	}
	if (expect && memcmp(t, expect, 4) != 0) {
		printf("ACPI: expected %s at 0x%lx\n", expect, addr);
		return 0;
	}
	int ok = sum(t, len) == 0;
	if (verbose || !ok)
		printf("ACPI: %c%c%c%c 0x%08lx %06x (v%02u) checksum %s\n", t[0], t[1], t[2], t[3], addr,
		       len, t[8], ok ? "ok" : "BAD");
	return ok ? t : 0;
}

/* The first table with this signature among the XSDT's entries, checksum verified. */
const uint8_t *acpi_find(const char *sig)
{
	const uint8_t *rsdp = find_rsdp();

	if (!rsdp || rsdp[15] < 2)
		return 0;
	const uint8_t *xsdt = check_table(get_le(rsdp + 24, 8), "XSDT", 0);
	if (!xsdt)
		return 0;
	uint32_t n = ((uint32_t)get_le(xsdt + 4, 4) - HDR_LEN) / 8;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t addr = get_le(xsdt + HDR_LEN + 8 * i, 8);
		if (addr >= SCAN_START && addr + 4 <= SCAN_END &&
		    memcmp((const void *)(uintptr_t)addr, sig, 4) == 0)
			return check_table(addr, sig, 0);
	}
	return 0;
}

int acpi_walk(int verbose)
{
	const uint8_t *rsdp = find_rsdp();

	if (!rsdp) {
		printf("ACPI: no RSDP found in 0xe0000-0xfffff\n");
		return -1;
	}
	uint8_t rev = rsdp[15];
	uint32_t rlen = (uint32_t)get_le(rsdp + 20, 4);
	if (rev < 2 || rlen < RSDP_LEN || sum(rsdp, RSDP_LEN) != 0) {
		printf("ACPI: RSDP revision %u length %u: extended checksum BAD\n", rev, rlen);
		return -1;
	}
	if (verbose)
		printf("ACPI: RSDP 0x%08lx %06x (v%02u) checksum ok\n", (uint64_t)(uintptr_t)rsdp,
		       RSDP_LEN, rev);

	const uint8_t *xsdt = check_table(get_le(rsdp + 24, 8), "XSDT", verbose);
	if (!xsdt)
		return -1;
	int found = 1;
	uint32_t n = ((uint32_t)get_le(xsdt + 4, 4) - HDR_LEN) / 8;
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *t = check_table(get_le(xsdt + HDR_LEN + 8 * i, 8), 0, verbose);
		if (!t)
			return -1;
		found++;
		/* The DSDT is reached through the FADT's X_DSDT field (offset 140). */
		if (memcmp(t, "FACP", 4) == 0 && get_le(t + 4, 4) >= 148) {
			if (!check_table(get_le(t + 140, 8), "DSDT", verbose))
				return -1;
			found++;
		}
	}
	return found;
}
