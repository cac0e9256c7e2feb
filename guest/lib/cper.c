// SPDX-License-Identifier: MIT
#include "cper.h"

#include <stdarg.h>

/* The guest's own (guest/lib/print.c), or the C library's in the host unit test. */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...);

/* ACPI 6.5 Table 18.11 / 18.12 and UEFI 2.10 N.2.5, by byte offset. */
static uint32_t u16_at(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static uint32_t u32_at(const uint8_t *p) { return u16_at(p) | u16_at(p + 2) << 16; }
static uint64_t u64_at(const uint8_t *p) { return (uint64_t)u32_at(p) | (uint64_t)u32_at(p + 4) << 32; }

/* Section types (UEFI 2.10 Table N-6), field by field: time_low, time_mid, time_hi, then the
 * eight bytes as written. */
static const struct {
	uint32_t a;
	uint16_t b, c;
	uint8_t d[8];
	uint8_t kind;
} kinds[] = {
	{ 0xa5bc1114u, 0x6f64, 0x4ede, { 0xb8, 0x63, 0x3e, 0x83, 0xed, 0x7c, 0x83, 0xb1 }, GSEC_MEMORY },
	{ 0xe19e3d16u, 0xbc11, 0x11e4, { 0x9c, 0xaa, 0xc2, 0x05, 0x1d, 0x5d, 0x46, 0xb0 }, GSEC_ARM },
	{ 0x9876ccadu, 0x47b4, 0x4bdb, { 0xb6, 0x5e, 0x16, 0xf1, 0x93, 0xc4, 0xf3, 0xdb }, GSEC_PROC_GENERIC },
	{ 0xd995e954u, 0xbbc1, 0x430f, { 0xad, 0x91, 0xb4, 0x4d, 0xcb, 0x3c, 0x6f, 0x35 }, GSEC_PCIE },
	{ 0xdc3ea0b0u, 0xa144, 0x4797, { 0xb9, 0x5b, 0x53, 0xfa, 0x24, 0x2b, 0x6e, 0x1d }, GSEC_PROC_IA },
};

static uint8_t section_kind(const uint8_t *g)
{
	for (unsigned k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		if (u32_at(g) != kinds[k].a || u16_at(g + 4) != kinds[k].b || u16_at(g + 6) != kinds[k].c)
			continue;
		int same = 1;
		for (int i = 0; i < 8; i++)
			same &= g[8 + i] == kinds[k].d[i];
		if (same)
			return kinds[k].kind;
	}
	return GSEC_OTHER;
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
		uint8_t kind = section_kind(e);
		if (r->sections < GCPER_MAX_SECTIONS)
			r->sec[r->sections] = (struct gcper_section){ .entry = (uint32_t)(e - blk), .header = header,
								      .length = length, .severity = sev, .kind = kind };
		if (kind == GSEC_ARM) {
			/* Linux's ghes reads err_info_num entries of 32 bytes after the 40-byte
			 * header: section_length must hold them, and lie within the section. */
			if (length < 40) {
				*why = "ARM processor section too small";
				return -1;
			}
			uint32_t slen = u32_at(body + 8), n = u16_at(body + 4);
			if (slen < 40 + 32 * n || slen > length) {
				*why = "ARM section_length does not hold its error info entries";
				return -1;
			}
		}
		if (kind == GSEC_MEMORY) {
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

/* ---- printing: drivers/firmware/efi/cper.c and cper-arm.c, written again ---- */

struct gline {
	gcper_out out;
	void *ctx;
	char pfx[40];
};

static void say(struct gline *g, int depth, const char *fmt, ...)
{
	char body[300], line[360];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	snprintf(line, sizeof(line), "%s%s%s", g->pfx, &"    "[4 - depth], body);
	g->out(g->ctx, line);
}

const char *gcper_severity(uint32_t sev)
{
	switch (sev) {
	case 0: return "recoverable";
	case 1: return "fatal";
	case 2: return "corrected";
	case 3: return "info";
	default: return "unknown";
	}
}

static unsigned from_bcd(uint8_t b)
{
	return (unsigned)(b >> 4) * 10 + (b & 15);
}

static void guid_text(const uint8_t *g, char *out)
{
	snprintf(out, 37, "%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x", u32_at(g), u16_at(g + 4),
		 u16_at(g + 6), g[8], g[9], g[10], g[11], g[12], g[13], g[14], g[15]);
}

/* print_hex_dump(..., DUMP_PREFIX_OFFSET, 16 per row, groups of 4, ascii) */
static void dump(struct gline *g, int depth, const uint8_t *p, uint32_t len, int ascii)
{
	static const char hex[] = "0123456789abcdef";
	for (uint32_t row = 0; row < len; row += 16) {
		uint32_t n = len - row > 16 ? 16 : len - row;
		uint32_t step = (n & 3) ? 1 : 4;
		char text[100];
		unsigned at = 0;
		for (uint32_t i = 0; i < n; i += step) {
			if (i)
				text[at++] = ' ';
			for (int b = (int)step - 1; b >= 0; b--) { /* a group is a little-endian word */
				uint8_t v = p[row + i + (uint32_t)b];
				text[at++] = hex[v >> 4];
				text[at++] = hex[v & 15];
			}
		}
		if (ascii) {
			unsigned column = 32 + 16 / step + 1;
			while (at < column)
				text[at++] = ' ';
			for (uint32_t i = 0; i < n; i++) {
				uint8_t v = p[row + i];
				text[at++] = v >= 32 && v < 127 ? (char)v : '.';
			}
		}
		text[at] = 0;
		say(g, depth, "%08x: %s", row, text);
	}
}

static const char *const proc_err[4] = { "cache error", "TLB error", "bus error", "micro-architectural error" };

static const char *nth(const char *const *list, unsigned count, unsigned i)
{
	return i < count ? list[i] : "unknown";
}

static void arm_error_info(struct gline *g, unsigned type, uint64_t v)
{
	static const char *const tt[3] = { "Instruction", "Data Access", "Generic" };
	static const char *const common[7] = {
		"Generic error (type cannot be determined)",
		"Generic read (type of instruction or data request cannot be determined)",
		"Generic write (type of instruction of data request cannot be determined)",
		"Data read", "Data write", "Instruction fetch", "Prefetch" };
	static const char *const cache_more[4] = {
		"Eviction", "Snooping (processor initiated a cache snoop that resulted in an error)",
		"Snooped (processor raised a cache error caused by another processor or device snooping its cache)",
		"Management" };
	static const char *const tlb_more[2] = {
		"Local management operation (processor initiated a TLB management operation that resulted in an error)",
		"External management operation (processor raised a TLB error caused by another processor or device broadcasting TLB operations)" };
	static const char *const who[4] = { "Local processor originated request", "Local processor responded to request",
					    "Local processor observed", "Generic" };
	static const char *const where[4] = { "External Memory Access", "Internal Memory Access", "Unknown",
					      "Device Memory Access" };
	int cache = type & 2, tlb = type & 4, bus = type & 8;

	if (type & 16)
		return; /* micro-architectural: vendor defined */
	if ((v & 1) && ((v >> 16) & 3) != 3)
		say(g, 4, "transaction type: %s", tt[(v >> 16) & 3]);
	if (v & 2) {
		unsigned op = (unsigned)(v >> 18) & 15;
		if (cache && op < 11)
			say(g, 4, "cache error, operation type: %s", op < 7 ? common[op] : cache_more[op - 7]);
		if (tlb && op < 9)
			say(g, 4, "TLB error, operation type: %s", op < 7 ? common[op] : tlb_more[op - 7]);
		if (bus && op < 7)
			say(g, 4, "bus error, operation type: %s", common[op]);
	}
	if (v & 4) {
		unsigned lv = (unsigned)(v >> 22) & 7;
		if (cache)
			say(g, 4, "cache level: %u", lv);
		if (tlb)
			say(g, 4, "TLB level: %u", lv);
		if (bus)
			say(g, 4, "affinity level at which the bus error occurred: %u", lv);
	}
	if (v & 8)
		say(g, 4, (v >> 25) & 1 ? "processor context corrupted" : "processor context not corrupted");
	if (v & 16)
		say(g, 4, (v >> 26) & 1 ? "the error has been corrected" : "the error has not been corrected");
	if (v & 32)
		say(g, 4, (v >> 27) & 1 ? "PC is precise" : "PC is imprecise");
	if ((v & 64) && ((v >> 28) & 1))
		say(g, 4, "Program execution can be restarted reliably at the PC associated with the error.");
	if (!bus)
		return;
	if (v & 128)
		say(g, 4, "participation type: %s", who[(v >> 29) & 3]);
	if ((v & 256) && ((v >> 31) & 1))
		say(g, 4, "request timed out");
	if (v & 512)
		say(g, 4, "address space: %s", where[(v >> 32) & 3]);
	if (v & 1024)
		say(g, 4, "memory access attributes:0x%x", (unsigned)((v >> 34) & 0x1ff));
	if (v & 2048)
		say(g, 4, "access mode: %s", (v >> 43) & 1 ? "normal" : "secure");
}

static void print_arm(struct gline *g, const uint8_t *b)
{
	static const char *const ctx_name[9] = {
		"AArch32 general purpose registers", "AArch32 EL1 context registers", "AArch32 EL2 context registers",
		"AArch32 secure context registers", "AArch64 general purpose registers", "AArch64 EL1 context registers",
		"AArch64 EL2 context registers", "AArch64 EL3 context registers", "Misc. system register structure" };
	uint32_t valid = u32_at(b), slen = u32_at(b + 8);
	unsigned ninfo = u16_at(b + 4), nctx = u16_at(b + 6);
	long left = (long)slen - 40 - 32L * (long)ninfo;

	say(g, 2, "MIDR: 0x%016lx", u64_at(b + 24));
	if (left < 0) { /* gcper_read refuses these; kept for the record */
		say(g, 2, "section length: %u", slen);
		return;
	}
	if (valid & 1)
		say(g, 2, "Multiprocessor Affinity Register (MPIDR): 0x%016lx", u64_at(b + 16));
	if (valid & 2)
		say(g, 2, "error affinity level: %u", b[12]);
	if (valid & 4) {
		say(g, 2, "running state: 0x%x", u32_at(b + 32));
		say(g, 2, "Power State Coordination Interface state: %d", (int)u32_at(b + 36));
	}
	const uint8_t *e = b + 40;
	for (unsigned i = 0; i < ninfo; i++, e += 32) {
		unsigned iv = u16_at(e + 2), type = e[4], fl = e[7];
		char names[120];
		unsigned at = 0;
		say(g, 2, "Error info structure %u:", i);
		say(g, 2, "num errors: %u", u16_at(e + 5) + 1);
		if (iv & 2) {
			static const char *const fn[4] = { "first error captured", "last error captured",
							   "propagated error captured",
							   "overflow occurred, error info is incomplete" };
			for (int f = 0; f < 4; f++)
				if (fl & (1u << f))
					say(g, 3, "%s", fn[f]);
		}
		names[0] = 0;
		for (int t = 1; t <= 4; t++)
			if (type & (1u << t))
				at += (unsigned)snprintf(names + at, sizeof(names) - at, "%s%s", at ? "|" : "", proc_err[t - 1]);
		say(g, 3, "error_type: 0x%02x: %s%s", type, names, (type & ~0x1eu) ? " with reserved bit(s)" : "");
		if (iv & 4) {
			say(g, 3, "error_info: 0x%016lx", u64_at(e + 8));
			arm_error_info(g, type, u64_at(e + 8));
		}
		if (iv & 8)
			say(g, 3, "virtual fault address: 0x%016lx", u64_at(e + 16));
		if (iv & 16)
			say(g, 3, "physical fault address: 0x%016lx", u64_at(e + 24));
	}
	for (unsigned i = 0; i < nctx; i++) {
		say(g, 2, "Context info structure %u:", i);
		long need = left < 8 ? 8 : 8 + (long)u32_at(e + 4);
		if (left < need) {
			say(g, 3, "section length is too small");
			say(g, 2, "firmware-generated error record is incorrect");
			return;
		}
		unsigned type = u16_at(e + 2);
		if (type > 8) {
			say(g, 3, "Invalid context type: %u (max: 8)", type);
			return;
		}
		say(g, 3, "register context type: %s", ctx_name[type]);
		dump(g, 3, e + 8, (uint32_t)(need - 8), 0);
		left -= need;
		e += need;
	}
	if (left > 0) {
		say(g, 2, "Vendor specific error info has %u bytes:", (unsigned)left);
		dump(g, 3, e, (uint32_t)left, 1);
	}
}

/* cper_print_bits(): names joined by ", ", a new line before one would pass 80 columns. */
static void bit_names(struct gline *g, unsigned bits, const char *const *names)
{
	char buf[84];
	unsigned at = 0, base = 0;
	while (g->pfx[base])
		base++;
	base += 2;
	for (int i = 0; i < 4; i++) {
		if (!(bits & (1u << i)))
			continue;
		unsigned n = 0;
		while (names[i][n])
			n++;
		if (at && base + at + n + 2 > 80) {
			say(g, 2, "%s", buf);
			at = 0;
		}
		at += (unsigned)snprintf(buf + at, sizeof(buf) - at, "%s%s", at ? ", " : "", names[i]);
	}
	if (at)
		say(g, 2, "%s", buf);
}

static void print_proc(struct gline *g, const uint8_t *b)
{
	static const char *const ptype[3] = { "IA32/X64", "IA64", "ARM" };
	static const char *const isa[5] = { "IA32", "IA64", "X64", "ARM A32/T32", "ARM A64" };
	static const char *const op[4] = { "unknown or generic", "data read", "data write", "instruction execution" };
	static const char *const fl[4] = { "restartable", "precise IP", "overflow", "corrected" };
	uint64_t v = u64_at(b);

	if (v & 1)
		say(g, 2, "processor_type: %u, %s", b[8], nth(ptype, 3, b[8]));
	if (v & 2)
		say(g, 2, "processor_isa: %u, %s", b[9], nth(isa, 5, b[9]));
	if (v & 4) {
		say(g, 2, "error_type: 0x%02x", b[10]);
		bit_names(g, b[10], proc_err);
	}
	if (v & 8)
		say(g, 2, "operation: %u, %s", b[11], nth(op, 4, b[11]));
	if (v & 16) {
		say(g, 2, "flags: 0x%02x", b[12]);
		bit_names(g, b[12], fl);
	}
	if (v & 32)
		say(g, 2, "level: %u", b[13]);
	if (v & 64)
		say(g, 2, "version_info: 0x%016lx", u64_at(b + 16));
	if (v & 256)
		say(g, 2, "processor_id: 0x%016lx", u64_at(b + 152));
	if (v & 512)
		say(g, 2, "target_address: 0x%016lx", u64_at(b + 160));
	if (v & 1024)
		say(g, 2, "requestor_id: 0x%016lx", u64_at(b + 168));
	if (v & 2048)
		say(g, 2, "responder_id: 0x%016lx", u64_at(b + 176));
	if (v & 4096)
		say(g, 2, "IP: 0x%016lx", u64_at(b + 184));
}

static const char *mem_type(uint8_t t)
{
	static const char *const names[16] = {
		"unknown", "no error", "single-bit ECC", "multi-bit ECC", "single-symbol chipkill ECC",
		"multi-symbol chipkill ECC", "master abort", "target abort", "parity error", "watchdog timeout",
		"invalid address", "mirror Broken", "memory sparing", "scrub corrected error",
		"scrub uncorrected error", "physical memory map-out event" };
	return t < 16 ? names[t] : "unknown";
}

static const char *mem_status(uint64_t st)
{
	static const struct { uint8_t code; const char *text; } t[] = {
		{ 1, "Error detected internal to the component" }, { 4, "Storage error in DRAM memory" },
		{ 5, "Storage error in TLB" }, { 6, "Storage error in cache" },
		{ 7, "Error in one or more functional units" }, { 8, "Component failed self test" },
		{ 9, "Overflow or undervalue of internal queue" }, { 16, "Error detected in the bus" },
		{ 17, "Virtual address not found on IO-TLB or IO-PDIR" }, { 18, "Improper access error" },
		{ 19, "Access to a memory address which is not mapped to any component" },
		{ 20, "Loss of Lockstep" }, { 21, "Response not associated with a request" },
		{ 22, "Bus parity error - must also set the A, C, or D Bits" },
		{ 23, "Detection of a protocol error" }, { 24, "Detection of a PATH_ERROR" },
		{ 25, "Bus operation timeout" }, { 26, "A read was issued to data that has been poisoned" } };
	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].code == ((st >> 8) & 0xff))
			return t[i].text;
	return "Reserved";
}

static void print_section(struct gline *g, const uint8_t *blk, const struct gcper_section *s, unsigned i)
{
	const uint8_t *e = blk + s->entry, *b = e + s->header;
	uint8_t valid = e[22];

	if (s->header == 72 && (valid & 4)) {
		const uint8_t *ts = e + 64;
		say(g, 1, "%s tstamp: %02u%02u-%02u-%02u %02u:%02u:%02u", (ts[3] & 1) ? "precise" : "imprecise",
		    from_bcd(ts[7]), from_bcd(ts[6]), from_bcd(ts[5]), from_bcd(ts[4]), from_bcd(ts[2]),
		    from_bcd(ts[1]), from_bcd(ts[0]));
	}
	say(g, 1, "Error %u, type: %s", i, gcper_severity(s->severity));
	if (valid & 1) {
		char id[37];
		guid_text(e + 28, id);
		say(g, 1, "fru_id: %s", id);
	}
	if (valid & 2) {
		char text[21];
		int n = 0;
		while (n < 20 && e[44 + n]) {
			text[n] = (char)e[44 + n];
			n++;
		}
		text[n] = 0;
		say(g, 1, "fru_text: %s", text);
	}
	switch (s->kind) {
	case GSEC_MEMORY: {
		uint64_t v = u64_at(b);
		say(g, 2, "section_type: memory error");
		if (v & 1)
			say(g, 3, "error_status: %s (0x%016lx)", mem_status(u64_at(b + 8)), u64_at(b + 8));
		if (v & 2)
			say(g, 2, "physical_address: 0x%016lx", u64_at(b + 16));
		if (v & 4)
			say(g, 2, "physical_address_mask: 0x%016lx", u64_at(b + 24));
		if (v & 0x4000)
			say(g, 2, "error_type: %u, %s", b[72], mem_type(b[72]));
		break;
	}
	case GSEC_ARM:
		say(g, 2, "section_type: ARM processor error");
		print_arm(g, b);
		break;
	case GSEC_PROC_GENERIC:
		say(g, 2, "section_type: general processor error");
		if (s->length >= 192)
			print_proc(g, b);
		else
			say(g, 0, "[Firmware Warn]: error section length is too small");
		break;
	case GSEC_PCIE:
	case GSEC_PROC_IA:
		say(g, 2, "section_type: %s", s->kind == GSEC_PCIE ? "PCIe error" : "IA32/X64 processor error");
		if (s->length)
			say(g, 2, "section length: 0x%x", s->length);
		else
			say(g, 2, "section length: 0");
		break;
	default: {
		char id[37];
		guid_text(e, id);
		say(g, 2, "section type: unknown, %s", id);
		if (s->length)
			say(g, 2, "section length: 0x%x", s->length);
		else
			say(g, 2, "section length: 0");
		dump(g, 2, b, s->length, 1);
	}
	}
}

void gcper_print(const uint8_t *blk, const struct gcper_result *r, unsigned seq, unsigned source,
		 gcper_out out, void *ctx)
{
	struct gline g = { .out = out, .ctx = ctx };

	snprintf(g.pfx, sizeof(g.pfx), "{%u}[Hardware Error]: ", seq);
	say(&g, 0, "Hardware error from APEI Generic Hardware Error Source: %u", source);
	if (r->severity == 2)
		say(&g, 0, "It has been corrected by h/w and requires no further action");
	say(&g, 0, "event severity: %s", gcper_severity(r->severity));
	for (uint32_t i = 0; i < r->sections && i < GCPER_MAX_SECTIONS; i++)
		print_section(&g, blk, &r->sec[i], i);
}
