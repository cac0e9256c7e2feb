// SPDX-License-Identifier: MIT
/*
 * Find the RSDP the way a legacy OS does (scan 0xE0000-0xFFFFF on 16-byte boundaries), then
 * walk the XSDT (or, with an ACPI 1.0 RSDP as SeaBIOS gives under QEMU, the RSDT) and verify
 * every table's length and checksum. Tables may lie anywhere below 4 GiB (identity-mapped). Written from the ACPI
 * specification independently of the VMM's table builder (src/acpi/), so a bug in one
 * cannot make both agree.
 */
#include "guest.h"

#define SCAN_START 0xe0000
#define SCAN_END   0x100000
#define RSDP_LEN   36
#define RSDP_V1_LEN 20
#define HDR_LEN    36
#define MAPPED_END 0x100000000ULL /* what the page tables map */
#define TABLE_MAX  0x100000       /* a table longer than 1 MiB is not believed */

static const uint8_t *find_rsdp(void)
{
	for (uintptr_t a = SCAN_START; a < SCAN_END; a += 16) {
		const uint8_t *p = (const uint8_t *)a;
		if (memcmp(p, "RSD PTR ", 8) == 0 && acpi_sum(p, 20) == 0)
			return p;
	}
	return 0;
}

/* Verify one table at addr; prints its signature, length and checksum verdict. */
static const uint8_t *check_table(uint64_t addr, const char *expect, int verbose)
{
	const uint8_t *t = (const uint8_t *)(uintptr_t)addr;

	if (addr < 0x1000 || addr + HDR_LEN > MAPPED_END) {
		printf("ACPI: table pointer 0x%lx outside mapped memory\n", addr);
		return 0;
	}
	uint32_t len = (uint32_t)get_le(t + 4, 4);
	if (len < HDR_LEN || len > TABLE_MAX || addr + len > MAPPED_END) {
		printf("ACPI: %c%c%c%c at 0x%lx has bad length %u\n", t[0], t[1], t[2], t[3], addr, len);
		return 0;
	}
	if (expect && memcmp(t, expect, 4) != 0) {
		printf("ACPI: expected %s at 0x%lx\n", expect, addr);
		return 0;
	}
	return acpi_table_sum_ok(t, addr, len, verbose) ? t : 0;
}

/* The root table (XSDT, or RSDT for an ACPI 1.0 RSDP) and its entry width. */
static const uint8_t *root_table(const uint8_t *rsdp, unsigned *width, int verbose)
{
	if (rsdp[15] >= 2) {
		*width = 8;
		return check_table(get_le(rsdp + 24, 8), "XSDT", verbose);
	}
	*width = 4;
	return check_table(get_le(rsdp + 16, 4), "RSDT", verbose);
}

/* The first table with this signature among the root table's entries, checksum verified. */
const uint8_t *acpi_find(const char *sig)
{
	const uint8_t *rsdp = find_rsdp(), *root;
	unsigned w;

	if (!rsdp || !(root = root_table(rsdp, &w, 0)))
		return 0;
	uint32_t n = ((uint32_t)get_le(root + 4, 4) - HDR_LEN) / w;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t addr = get_le(root + HDR_LEN + w * i, w);
		if (addr >= 0x1000 && addr + 4 <= MAPPED_END &&
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
	uint32_t rlen = rev >= 2 ? (uint32_t)get_le(rsdp + 20, 4) : RSDP_V1_LEN;
	if ((rev >= 2 && rlen < RSDP_LEN) || acpi_sum(rsdp, rev >= 2 ? RSDP_LEN : RSDP_V1_LEN) != 0) {
		printf("ACPI: RSDP revision %u length %u: checksum BAD\n", rev, rlen);
		return -1;
	}
	if (verbose)
		printf("ACPI: RSDP 0x%08lx %06x (v%02u) checksum ok\n", (uint64_t)(uintptr_t)rsdp,
		       rev >= 2 ? RSDP_LEN : RSDP_V1_LEN, rev);

	unsigned w;
	const uint8_t *root = root_table(rsdp, &w, verbose);
	if (!root)
		return -1;
	int found = 1;
	uint32_t n = ((uint32_t)get_le(root + 4, 4) - HDR_LEN) / w;
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *t = check_table(get_le(root + HDR_LEN + w * i, w), 0, verbose);
		if (!t)
			return -1;
		found++;
		/* The DSDT is reached through the FADT: X_DSDT (offset 140), else DSDT (40). */
		if (memcmp(t, "FACP", 4) == 0) {
			uint64_t dsdt = get_le(t + 4, 4) >= 148 ? get_le(t + 140, 8) : 0;
			if (!dsdt)
				dsdt = get_le(t + 40, 4);
			if (!check_table(dsdt, "DSDT", verbose))
				return -1;
			found++;
		}
	}
	return found;
}
