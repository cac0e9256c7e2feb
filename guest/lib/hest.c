// SPDX-License-Identifier: MIT
/*
 * The guest's reading of the HEST, with the checks Linux makes before it uses a GHES source
 * (drivers/acpi/apei/hest.c and ghes.c): entry types it accepts, entries inside the table,
 * unique source ids, Generic Address Structures it can map, a usable notification type and
 * block length. Independent of the VMM's writer.
 */
#include "guest.h"

static int gas_ok(const uint8_t *g, uint64_t *addr)
{
	uint8_t space = g[0], width = g[1], offset = g[2], access = g[3];
	*addr = get_le(g + 4, 8);
	/* apei_check_gar(): non-zero address, memory or I/O space, access size 1-4 that holds
	 * the register. */
	return *addr != 0 && space <= 1 && access >= 1 && access <= 4 &&
	       width + offset <= (8u << (access - 1));
}

int hest_read(struct ghes_source *src, int max, const char **why)
{
	const uint8_t *t = acpi_find("HEST");
	if (!t)
		return 0;
	uint32_t len = (uint32_t)get_le(t + 4, 4);
	uint32_t count = (uint32_t)get_le(t + 36, 4);
	uint32_t off = 40;
	int n = 0;

	for (uint32_t i = 0; i < count; i++) {
		if (off + 2 > len) {
			*why = "HEST entry past the table end";
			return -1;
		}
		const uint8_t *e = t + off;
		uint32_t type = (uint32_t)get_le(e, 2);
		/* Linux disables the whole HEST for types 3-5 and 12 and above. */
		if ((type >= 3 && type <= 5) || type >= 12) {
			*why = "HEST entry of a type Linux refuses";
			return -1;
		}
		if (type != 10) {
			*why = "the test guest expects only GHESv2 entries";
			return -1;
		}
		if (off + 92 > len) {
			*why = "GHESv2 entry past the table end";
			return -1;
		}
		if (n == max) {
			*why = "more GHES sources than the guest keeps";
			return -1;
		}
		struct ghes_source *s = &src[n];
		s->id = (uint16_t)get_le(e + 2, 2);
		for (int k = 0; k < n; k++)
			if (src[k].id == s->id) {
				*why = "two GHES sources with one id";
				return -1;
			}
		if (!gas_ok(e + 20, &s->address_reg) || !gas_ok(e + 64, &s->ack_reg)) {
			*why = "GHES register address Linux cannot use";
			return -1;
		}
		s->notify = e[32];
		if (!GUEST_NOTIFY_OK(s->notify)) {
			*why = "notification type this guest's architecture cannot take";
			return -1;
		}
		s->poll_ms = (uint32_t)get_le(e + 36, 4);
		s->vector = (uint32_t)get_le(e + 40, 4);
		s->block_length = (uint32_t)get_le(e + 60, 4);
		if (s->block_length < 20) {
			*why = "error status block shorter than its header";
			return -1;
		}
		s->ack_preserve = get_le(e + 76, 8);
		s->ack_write = get_le(e + 84, 8);
		if (!e[7]) {
			*why = "a disabled GHES source";
			return -1;
		}
		n++;
		off += 92;
	}
	if (off != len) {
		*why = "bytes after the last HEST entry";
		return -1;
	}
	return n;
}
