// SPDX-License-Identifier: MIT
/*
 * Verifies CPER encoding and decoding: round trips, block_status flags and entry counts,
 * the block's severity, the exact lines Linux prints, the ARM and pass-through sections,
 * and, for every check Linux applies, a broken record that rasvm's decoder AND the test
 * guest's independent reader (guest/lib/cper.c) both reject.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "acpi/cper.h"
#include "acpi/spec.h"
#include "cper.h" /* guest/lib/cper.h */

static uint8_t buf[8192];
static char why[256];

static uint32_t rd32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static void wr32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> 8 * i); }
static void wr16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }

static const struct cper_time when = { 2026, 11, 21, 23, 59, 7, true };

static int one_memory_record(uint64_t pa)
{
	struct cper_writer w;
	struct cper_mem_error e = { .physical_address = pa, .address_mask = ~0xfffULL, .error_type = 0 };
	cper_begin(&w, buf, sizeof(buf));
	assert_int_equal(cper_add_memory(&w, CPER_SEV_RECOVERABLE, &e, NULL), 0);
	return cper_finish(&w);
}

static void test_memory_record_layout(void **state)
{
	(void)state;
	assert_int_equal(one_memory_record(0x400a1000), 20 + 72 + 80);
	assert_int_equal(rd32(buf + 0), GESB_UE_VALID | 1 << 4); /* QEMU leaves the count 0 */
	assert_int_equal(rd32(buf + 12), 152);                   /* data_length */
	assert_int_equal(rd32(buf + 16), CPER_SEV_RECOVERABLE);
	assert_memory_equal(buf + 20, "\x14\x11\xbc\xa5\x64\x6f\xde\x4e\xb8\x63\x3e\x83\xed\x7c\x83\xb1", 16);
	assert_int_equal(buf[20 + 20] | buf[20 + 21] << 8, 0x300); /* revision */
	assert_int_equal(rd32(buf + 20 + 24), 80);
	const uint8_t *m = buf + 92;
	assert_int_equal(rd32(m), MEM_VALID_PA | MEM_VALID_PA_MASK | MEM_VALID_ERROR_TYPE);
	assert_int_equal(rd32(m + 16), 0x400a1000);
}

/* The lines Linux prints for this record (RAS-FACTS.md), plus the mask rasvm reports. */
static void test_linux_lines(void **state)
{
	struct cper_block_info info;
	char text[2048];
	(void)state;
	int len = one_memory_record(0x400a1000);
	assert_int_equal(cper_check(buf, (size_t)len, 4096, &info, why, sizeof(why)), 0);
	cper_format(buf, &info, 1, 0, text, sizeof(text));
	assert_string_equal(text,
		"{1}[Hardware Error]: Hardware error from APEI Generic Hardware Error Source: 0\n"
		"{1}[Hardware Error]: event severity: recoverable\n"
		"{1}[Hardware Error]:  Error 0, type: recoverable\n"
		"{1}[Hardware Error]:   section_type: memory error\n"
		"{1}[Hardware Error]:   physical_address: 0x00000000400a1000\n"
		"{1}[Hardware Error]:   physical_address_mask: 0xfffffffffffff000\n"
		"{1}[Hardware Error]:   error_type: 0, unknown\n");
	/* The size query returns what the text needs, as snprintf does. */
	assert_int_equal(cper_format(buf, &info, 1, 0, NULL, 0), strlen(text));
}

static void test_several_entries(void **state)
{
	struct cper_writer w;
	struct cper_block_info info;
	struct cper_section_info s;
	char text[4096];
	(void)state;
	cper_begin(&w, buf, sizeof(buf));
	for (unsigned i = 0; i < 3; i++) {
		struct cper_mem_error e = { .physical_address = 0x1000 * (i + 1), .error_type = 3 };
		assert_int_equal(cper_add_memory(&w, i == 1 ? CPER_SEV_CORRECTED : CPER_SEV_RECOVERABLE,
						 &e, &when), 0);
	}
	int len = cper_finish(&w);
	assert_int_equal(len, 20 + 3 * 152);
	assert_int_equal(rd32(buf), GESB_UE_VALID | GESB_CE_VALID | GESB_MULTIPLE_UE | 3 << 4);
	assert_int_equal(rd32(buf + 16), CPER_SEV_RECOVERABLE); /* worst of the three */
	assert_int_equal(cper_check(buf, (size_t)len, (size_t)len, &info, why, sizeof(why)), 0);
	assert_int_equal(info.entries, 3);
	assert_int_equal(cper_section(buf, &info, 1, &s), 0);
	assert_int_equal(s.severity, CPER_SEV_CORRECTED);
	assert_int_equal(s.header_length, 72);
	assert_int_equal(cper_section(buf, &info, 3, &s), -ENOENT);
	cper_format(buf, &info, 7, 1, text, sizeof(text));
	assert_non_null(strstr(text, "{7}[Hardware Error]:  precise tstamp: 2026-11-21 23:59:07\n"));
	assert_non_null(strstr(text, "{7}[Hardware Error]:  Error 2, type: recoverable\n"
				     "{7}[Hardware Error]:   section_type: memory error\n"
				     "{7}[Hardware Error]:   physical_address: 0x0000000000003000\n"));
	assert_non_null(strstr(text, "error_type: 3, multi-bit ECC"));

	/* The guest's reader sees the same three. */
	struct gcper_result r;
	const char *gwhy;
	assert_int_equal(gcper_read(buf, (uint32_t)len, &r, &gwhy), 0);
	assert_int_equal(r.sections, 3);
	assert_int_equal(r.mem_count, 3);
	assert_int_equal(r.mem_addr[2], 0x3000);
	assert_int_equal(r.mem_severity[1], CPER_SEV_CORRECTED);
	assert_int_equal(r.mem_type[0], 3);
}

static void test_fatal_wins(void **state)
{
	struct cper_writer w;
	struct cper_mem_error e = { .physical_address = 0x1000 };
	(void)state;
	cper_begin(&w, buf, sizeof(buf));
	cper_add_memory(&w, CPER_SEV_CORRECTED, &e, NULL);
	cper_add_memory(&w, CPER_SEV_FATAL, &e, NULL);
	cper_add_memory(&w, CPER_SEV_CORRECTED, &e, NULL);
	cper_finish(&w);
	assert_int_equal(rd32(buf + 16), CPER_SEV_FATAL);
	assert_int_equal(rd32(buf), GESB_UE_VALID | GESB_CE_VALID | GESB_MULTIPLE_CE | 3 << 4);
}

static void test_writer_limits(void **state)
{
	struct cper_writer w;
	struct cper_mem_error e = { .physical_address = 0x1000 };
	static uint8_t big[20 + 1024 * 152];
	(void)state;
	assert_int_equal(cper_begin(&w, buf, 10), -ENOSPC);
	cper_begin(&w, buf, 20 + 152 + 100);
	assert_int_equal(cper_add_memory(&w, 0, &e, NULL), 0);
	size_t before = w.len;
	assert_int_equal(cper_add_memory(&w, 0, &e, NULL), -ENOSPC);
	assert_int_equal(w.len, before); /* a section that does not fit leaves the block as it was */
	assert_int_equal(cper_add_memory(&w, 4, &e, NULL), -EINVAL);
	assert_int_equal(cper_finish(&w), 172);
	cper_begin(&w, buf, sizeof(buf));
	assert_int_equal(cper_finish(&w), -EINVAL); /* no sections: would read as "no error" */
	cper_begin(&w, big, sizeof(big));
	for (unsigned i = 0; i < 1023; i++)
		assert_int_equal(cper_add_memory(&w, 0, &e, NULL), 0);
	assert_int_equal(cper_add_memory(&w, 0, &e, NULL), -E2BIG); /* the count is 10 bits */
}

static void test_arm_and_passthrough(void **state)
{
	struct cper_writer w;
	struct cper_block_info info;
	char text[4096];
	struct cper_arm_error a = { .mpidr = 0x80000001, .midr = 0x410fd0c0, .info_type = 2,
				    .physical_address = 0x9000 };
	uint8_t pcie[48] = { 1 };
	uint8_t small_mem[40] = { 0 };
	uint8_t arm_bad[72] = { 0 };
	(void)state;
	cper_begin(&w, buf, sizeof(buf));
	assert_int_equal(cper_add_arm(&w, CPER_SEV_RECOVERABLE, &a, NULL), 0);
	assert_int_equal(cper_add_section(&w, &CPER_SEC_PCIE, CPER_SEV_CORRECTED, pcie, sizeof(pcie), NULL), 0);
	/* Pass-through sections get the decoder's checks before they are written. */
	assert_int_equal(cper_add_section(&w, &CPER_SEC_PLATFORM_MEM, 0, small_mem, sizeof(small_mem), NULL), -EINVAL);
	wr16(arm_bad + ARM_OFF_ERR_INFO_NUM, 2); /* two 32-byte entries cannot fit in 72 bytes */
	wr32(arm_bad + ARM_OFF_SECTION_LENGTH, 72);
	assert_int_equal(cper_add_section(&w, &CPER_SEC_PROC_ARM, 0, arm_bad, sizeof(arm_bad), NULL), -EINVAL);
	assert_int_equal(cper_add_section(&w, &CPER_SEC_PCIE, 0, pcie, 0, NULL), -EINVAL);
	int len = cper_finish(&w);
	assert_int_equal(len, 20 + 72 + 72 + 72 + 48);
	assert_int_equal(cper_check(buf, (size_t)len, (size_t)len, &info, why, sizeof(why)), 0);
	cper_format(buf, &info, 1, 0, text, sizeof(text));
	assert_non_null(strstr(text, "section_type: ARM processor error\n"));
	assert_non_null(strstr(text, "MPIDR): 0x0000000080000001\n"));
	assert_non_null(strstr(text, "error_type: 0x08: bus error\n")); /* UEFI 2.9A bitmap */
	assert_non_null(strstr(text, "physical fault address: 0x0000000000009000\n"));
	assert_non_null(strstr(text, "section_type: PCIe error\n"));
}

static void test_guid_text(void **state)
{
	struct cper_guid g;
	char t[37];
	(void)state;
	assert_int_equal(cper_guid_parse("A5BC1114-6F64-4EDE-B863-3E83ED7C83B1", &g), 0);
	assert_memory_equal(g.b, CPER_SEC_PLATFORM_MEM.b, 16);
	cper_guid_format(&CPER_SEC_PROC_ARM, t);
	assert_string_equal(t, "e19e3d16-bc11-11e4-9caa-c2051d5d46b0");
	assert_int_equal(cper_guid_parse("A5BC1114-6F64-4EDE-B863-3E83ED7C83B", &g), -EINVAL);
	assert_int_equal(cper_guid_parse("A5BC1114+6F64-4EDE-B863-3E83ED7C83B1", &g), -EINVAL);
	assert_int_equal(cper_guid_parse("G5BC1114-6F64-4EDE-B863-3E83ED7C83B1", &g), -EINVAL);
	struct cper_time t0 = { 2026, 1, 2, 3, 4, 5, false };
	/* BCD bytes: seconds, minutes, hours, flags, day, month, year, century */
	assert_int_equal(cper_timestamp(&t0), 0x2026010200030405ULL);
}

/* Each case breaks one rule Linux enforces; both readers must refuse it. */
struct broken {
	const char *rule; /* what rasvm's decoder must say */
	void (*mutate)(uint8_t *b, size_t *len, size_t *block_length);
};

static void short_block(uint8_t *b, size_t *len, size_t *bl) { (void)b; (void)bl; *len = 19; }
static void data_below_entry(uint8_t *b, size_t *len, size_t *bl) { (void)len; (void)bl; wr32(b + 12, 63); }
static void raw_overlap(uint8_t *b, size_t *len, size_t *bl) { (void)len; (void)bl; wr32(b + 4, 100); wr32(b + 8, 8); }
static void past_block(uint8_t *b, size_t *len, size_t *bl) { (void)b; (void)len; *bl = 171; }
static void bad_severity(uint8_t *b, size_t *len, size_t *bl) { (void)len; (void)bl; wr32(b + 16, 4); }
static void trailing(uint8_t *b, size_t *len, size_t *bl) { (void)bl; wr32(b + 12, 152 + 16); *len += 16; }
static void v2_header_past(uint8_t *b, size_t *len, size_t *bl)
{
	(void)len; (void)bl;
	wr32(b + 12, 68);       /* room for a 64-byte header but not the 72 of revision 0x300 */
	wr32(b + 20 + 24, 0);
}
static void data_past(uint8_t *b, size_t *len, size_t *bl) { (void)len; (void)bl; wr32(b + 20 + 24, 81); }
static void section_severity(uint8_t *b, size_t *len, size_t *bl) { (void)len; (void)bl; wr32(b + 20 + 16, 7); }
static void mem_small(uint8_t *b, size_t *len, size_t *bl)
{
	(void)bl;
	wr32(b + 12, 72 + 72); /* a 72-byte memory section, short of Linux's 73 */
	wr32(b + 20 + 24, 72);
	*len = 20 + 144;
}

static const struct broken cases[] = {
	{ "shorter than the 20-byte", short_block },
	{ "smaller than a 64-byte Generic Error Data Entry", data_below_entry },
	{ "overlaps the error data", raw_overlap },
	{ "exceeds the error block length", past_block },
	{ "error_severity 4 is not 0-3", bad_severity },
	{ "too few for another entry", trailing },
	{ "header is 72 bytes, past data_length", v2_header_past },
	{ "error_data_length 81 runs past data_length", data_past },
	{ "section 0: error_severity 7", section_severity },
	{ "memory error section is 72 bytes", mem_small },
};

static void test_every_linux_check(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cper_block_info info;
		struct gcper_result r;
		const char *gwhy = NULL;
		size_t len = (size_t)one_memory_record(0x5000), bl = 4096;

		cases[i].mutate(buf, &len, &bl);
		why[0] = '\0';
		if (cper_check(buf, len, bl, &info, why, sizeof(why)) != -EINVAL || !strstr(why, cases[i].rule))
			fail_msg("decoder on '%s': said '%s'", cases[i].rule, why);
		if (gcper_read(buf, (uint32_t)(len < bl ? len : bl), &r, &gwhy) != -1)
			fail_msg("guest reader accepted the '%s' case", cases[i].rule);
	}
	/* An empty block is "no error", not malformed, for both. */
	struct cper_block_info info;
	struct gcper_result r;
	const char *gwhy;
	memset(buf, 0, 64);
	assert_int_equal(cper_check(buf, 64, 64, &info, why, sizeof(why)), -ENOENT);
	assert_int_equal(gcper_read(buf, 64, &r, &gwhy), 1);
}

/* The guest's printer (guest/lib/cper.c) and rasvm's (src/acpi/cper.c) are written apart; for
 * every kind of section they must print the same lines, which are Linux's. */
struct gtext {
	char *p;
	size_t len, cap;
};

static void gappend(void *ctx, const char *line)
{
	struct gtext *t = ctx;
	size_t n = strlen(line);
	if (t->len + n + 2 > t->cap)
		return;
	memcpy(t->p + t->len, line, n);
	t->p[t->len + n] = '\n';
	t->len += n + 1;
	t->p[t->len] = '\0';
}

static void both_print(const uint8_t *blk, int len)
{
	static char host[65536], guest[65536];
	static struct gcper_result r;
	struct cper_block_info info;
	const char *gwhy = "";
	struct gtext t = { guest, 0, sizeof(guest) };

	assert_int_equal(cper_check(blk, (size_t)len, (size_t)len, &info, why, sizeof(why)), 0);
	assert_int_equal(gcper_read(blk, (uint32_t)len, &r, &gwhy), 0);
	cper_format(blk, &info, 7, 3, host, sizeof(host));
	guest[0] = '\0';
	gcper_print(blk, &r, 7, 3, gappend, &t);
	assert_string_equal(guest, host);
}

static void test_guest_prints_as_rasvm(void **state)
{
	struct cper_writer w;
	struct cper_time when = { 2026, 3, 4, 5, 6, 7, true };
	uint8_t arm[40 + 3 * 32 + 8 + 16 + 5] = { 0 }, proc[192] = { 0 }, odd[21], mem[80] = { 0 };
	(void)state;

	/* ARM: every validity bit, three error infos (one of each kind with all error_info bits,
	 * one with reserved type bits), a context, vendor bytes. */
	wr32(arm + 0, 0x7);
	wr16(arm + 4, 3);
	wr16(arm + 6, 1);
	wr32(arm + 8, sizeof(arm));
	arm[12] = 2;
	wr32(arm + 16, 0x81);
	wr32(arm + 24, 0x410fd0c0);
	wr32(arm + 32, 1);
	wr32(arm + 36, 3);
	static const uint8_t types[3] = { 0x02, 0x0c, 0x21 };
	for (int k = 0; k < 3; k++) {
		uint8_t *e = arm + 40 + 32 * k;
		e[1] = 32;
		wr16(e + 2, 0x1f);
		e[4] = types[k];
		wr16(e + 5, (uint16_t)k);
		e[7] = 0xf;
		wr32(e + 8, 0xffffffffu);
		wr32(e + 12, 0xfffu);
		wr32(e + 16, 0x1000);
		wr32(e + 24, 0x704000);
	}
	uint8_t *c = arm + 40 + 96;
	wr16(c + 2, 5);
	wr32(c + 4, 16);
	memcpy(c + 8, "registers-here!!", 16);
	memcpy(c + 24, "\x13{\x04\x05\x01", 5);
	/* Generic processor: every field valid. */
	wr32(proc, 0x1fff);
	proc[8] = 2, proc[9] = 4, proc[10] = 0xf, proc[11] = 3, proc[12] = 0xf, proc[13] = 1;
	for (int k = 16; k < 192; k++)
		proc[k] = (uint8_t)k;
	/* Unknown: 21 bytes (a short last row, bytes not printable). */
	for (int k = 0; k < 21; k++)
		odd[k] = (uint8_t)(k * 13);
	wr32(mem, 0x4007);
	wr32(mem + 8, 0x1a00);
	wr32(mem + 16, 0x705000);
	wr32(mem + 24, 0xfffff000);
	mem[72] = 14;
	struct cper_guid other;
	cper_guid_parse("01234567-89AB-CDEF-0123-456789ABCDEF", &other);
	for (uint32_t sev = 0; sev < 4; sev++) {
		cper_begin(&w, buf, sizeof(buf));
		assert_int_equal(cper_add_section(&w, &CPER_SEC_PROC_ARM, sev, arm, sizeof(arm), &when), 0);
		assert_int_equal(cper_add_section(&w, &CPER_SEC_PROC_GENERIC, sev, proc, sizeof(proc), NULL), 0);
		assert_int_equal(cper_add_section(&w, &other, sev, odd, sizeof(odd), &when), 0);
		assert_int_equal(cper_add_section(&w, &CPER_SEC_PLATFORM_MEM, sev, mem, sizeof(mem), NULL), 0);
		assert_int_equal(cper_add_section(&w, &CPER_SEC_PCIE, sev, odd, sizeof(odd), NULL), 0);
		int len = cper_finish(&w);
		/* FRU id and text on the first entry */
		uint8_t *e0 = buf + 20;
		e0[GEDE_OFF_VALIDATION] |= GEDE_VALID_FRU_ID | GEDE_VALID_FRU_TEXT;
		memcpy(e0 + GEDE_OFF_FRU_ID, CPER_SEC_PROC_ARM.b, 16);
		memcpy(e0 + GEDE_OFF_FRU_TEXT, "DIMM-A1", 8);
		both_print(buf, len);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_memory_record_layout),
		cmocka_unit_test(test_linux_lines),
		cmocka_unit_test(test_several_entries),
		cmocka_unit_test(test_fatal_wins),
		cmocka_unit_test(test_writer_limits),
		cmocka_unit_test(test_arm_and_passthrough),
		cmocka_unit_test(test_guid_text),
		cmocka_unit_test(test_every_linux_check),
		cmocka_unit_test(test_guest_prints_as_rasvm),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
