// SPDX-License-Identifier: MIT
#include "cper.h"

/* ACPI 6.5 Table 18.11 / 18.12 and UEFI 2.10 N.2.5, by byte offset. */
static uint32_t u16_at(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static uint32_t u32_at(const uint8_t *p) { return u16_at(p) | u16_at(p + 2) << 16; }
static uint64_t u64_at(const uint8_t *p) { return (uint64_t)u32_at(p) | (uint64_t)u32_at(p + 4) << 32; }

/* Memory error section type A5BC1114-6F64-4EDE-B863-3E83ED7C83B1, field by field. */
static int is_memory_section(const uint8_t *g)
{
	static const uint8_t tail[8] = { 0xb8, 0x63, 0x3e, 0x83, 0xed, 0x7c, 0x83, 0xb1 };
	if (u32_at(g) != 0xa5bc1114u || u16_at(g + 4) != 0x6f64 || u16_at(g + 6) != 0x4ede)
		return 0;
	for (int i = 0; i < 8; i++)
		if (g[8 + i] != tail[i])
			return 0;
	return 1;
}

int gcper_read(const uint8_t *blk, uint32_t blk_len, struct gcper_result *r, const char **why)
{
	r->sections = r->mem_count = 0;
	if (blk_len < 20) {
		*why = "block shorter than its 20-byte header";
		return -1;
	}
	uint32_t block_status = u32_at(blk);
	uint32_t raw_offset = u32_at(blk + 4), raw_length = u32_at(blk + 8);
	uint32_t data_length = u32_at(blk + 12);
	r->severity = u32_at(blk + 16);
	if (block_status == 0)
		return 1;
	if (data_length != 0 && data_length < 64) {
		*why = "data_length below one 64-byte entry";
		return -1;
	}
	uint64_t end = 20 + (uint64_t)data_length;
	if (raw_length != 0) {
		if (raw_offset < end) {
			*why = "raw data overlaps the entries";
			return -1;
		}
		end = (uint64_t)raw_offset + raw_length;
	}
	if (end > blk_len) {
		*why = "record longer than the error block";
		return -1;
	}
	if (r->severity > 3) {
		*why = "block severity not 0-3";
		return -1;
	}
	/* Walk the entries: each header is 64 bytes (72 from revision 3), then its data. */
	const uint8_t *e = blk + 20;
	uint32_t remaining = data_length;
	while (remaining > 0) {
		if (remaining < 64) {
			*why = "bytes left over after the last entry";
			return -1;
		}
		uint32_t header = (e[21] >= 3) ? 72 : 64; /* revision's major byte */
		if (header > remaining) {
			*why = "entry header past data_length";
			return -1;
		}
		uint32_t length = u32_at(e + 24);
		if (length > remaining - header) {
			*why = "entry data past data_length";
			return -1;
		}
		uint32_t sev = u32_at(e + 16);
		if (sev > 3) {
			*why = "entry severity not 0-3";
			return -1;
		}
		const uint8_t *body = e + header;
		if (is_memory_section(e)) {
			if (length < 73) {
				*why = "memory section too small";
				return -1;
			}
			uint64_t valid = u64_at(body);
			if ((valid & 2) && r->mem_count < GCPER_MAX_MEM) {
				r->mem_addr[r->mem_count] = u64_at(body + 16);
				r->mem_severity[r->mem_count] = sev;
				r->mem_type[r->mem_count] = (valid & 0x4000) ? body[72] : 0xff;
			}
			if (valid & 2)
				r->mem_count++;
		}
		r->sections++;
		e = body + length;
		remaining -= header + length;
	}
	return 0;
}
