// SPDX-License-Identifier: MIT
#include "acpi/cper.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "acpi/spec.h"
#include "errmsg.h"
#include "le.h"

/* Section types, UEFI 2.10 N.2.2 Table N-6, as wire bytes. */
const struct cper_guid CPER_SEC_PLATFORM_MEM = { { 0x14, 0x11, 0xbc, 0xa5, 0x64, 0x6f, 0xde, 0x4e,
						   0xb8, 0x63, 0x3e, 0x83, 0xed, 0x7c, 0x83, 0xb1 } };
const struct cper_guid CPER_SEC_PROC_ARM = { { 0x16, 0x3d, 0x9e, 0xe1, 0x11, 0xbc, 0xe4, 0x11,
					       0x9c, 0xaa, 0xc2, 0x05, 0x1d, 0x5d, 0x46, 0xb0 } };
const struct cper_guid CPER_SEC_PCIE = { { 0x54, 0xe9, 0x95, 0xd9, 0xc1, 0xbb, 0x0f, 0x43,
					   0xad, 0x91, 0xb4, 0x4d, 0xcb, 0x3c, 0x6f, 0x35 } };
const struct cper_guid CPER_SEC_PROC_GENERIC = { { 0xad, 0xcc, 0x76, 0x98, 0xb4, 0x47, 0xdb, 0x4b,
						   0xb6, 0x5e, 0x16, 0xf1, 0x93, 0xc4, 0xf3, 0xdb } };
const struct cper_guid CPER_SEC_PROC_IA = { { 0xb0, 0xa0, 0x3e, 0xdc, 0x44, 0xa1, 0x97, 0x47,
					      0xb9, 0x5b, 0x53, 0xfa, 0x24, 0x2b, 0x6e, 0x1d } };

static int hexdigit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int cper_guid_parse(const char *t, struct cper_guid *g)
{
	/* Text order of the 16 bytes: the first three fields are stored little-endian. */
	static const int wire[16] = { 3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15 };
	int n = 0;

	if (strlen(t) != 36)
		return -EINVAL;
	for (int i = 0; i < 36;) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (t[i++] != '-')
				return -EINVAL;
			continue;
		}
		int hi = hexdigit(t[i]), lo = hexdigit(t[i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		g->b[wire[n++]] = (uint8_t)(hi << 4 | lo);
		i += 2;
	}
	return 0;
}

void cper_guid_format(const struct cper_guid *g, char out[37])
{
	const uint8_t *b = g->b;
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[3],
		 b[2], b[1], b[0], b[5], b[4], b[7], b[6], b[8], b[9], b[10], b[11], b[12], b[13],
		 b[14], b[15]);
}

static uint8_t bcd(unsigned v)
{
	return (uint8_t)(((v / 10) % 10) << 4 | (v % 10));
}

uint64_t cper_timestamp(const struct cper_time *t)
{
	/* UEFI N.2.1.1: seconds, minutes, hours, flags (bit 0 precise), day, month, year, century */
	uint8_t b[8] = { bcd(t->second), bcd(t->minute), bcd(t->hour), t->precise ? 1 : 0,
			 bcd(t->day), bcd(t->month), bcd(t->year % 100), bcd(t->year / 100) };
	return le_get(b, 8);
}

int cper_begin(struct cper_writer *w, uint8_t *buf, size_t cap)
{
	memset(w, 0, sizeof(*w));
	w->buf = buf;
	w->cap = cap;
	w->severity = CPER_SEV_NONE;
	if (cap < GESB_SIZE) {
		w->error = -ENOSPC;
		return w->error;
	}
	memset(buf, 0, GESB_SIZE);
	w->len = GESB_SIZE;
	return 0;
}

/* Severity order for the block: fatal > recoverable > corrected > none. */
static int rank(uint32_t sev)
{
	switch (sev) {
	case CPER_SEV_FATAL: return 3;
	case CPER_SEV_RECOVERABLE: return 2;
	case CPER_SEV_CORRECTED: return 1;
	default: return 0;
	}
}

/* Reserve a section: the 72-byte entry header plus len bytes of body, returned for filling. */
static uint8_t *add_entry(struct cper_writer *w, const struct cper_guid *type, uint32_t severity,
			  size_t len, const struct cper_time *time, int *err)
{
	*err = w->error;
	if (*err)
		return NULL;
	if (severity > CPER_SEV_NONE || len == 0 || len > UINT32_MAX) {
		*err = -EINVAL;
		return NULL;
	}
	if (w->entries >= GESB_ENTRY_COUNT_MAX) {
		*err = -E2BIG;
		return NULL;
	}
	if (len > w->cap - w->len || GEDE_SIZE_V3 > w->cap - w->len - len) {
		*err = -ENOSPC;
		return NULL;
	}
	uint8_t *e = w->buf + w->len;
	memset(e, 0, GEDE_SIZE_V3 + len);
	memcpy(e + GEDE_OFF_SECTION_TYPE, type->b, 16);
	le_put(e + GEDE_OFF_SEVERITY, severity, 4);
	le_put(e + GEDE_OFF_REVISION, GEDE_REVISION, 2);
	e[GEDE_OFF_VALIDATION] = time ? GEDE_VALID_TIMESTAMP : 0;
	e[GEDE_OFF_FLAGS] = w->entries == 0 ? GEDE_FLAG_PRIMARY : 0;
	le_put(e + GEDE_OFF_DATA_LENGTH, len, 4);
	if (time)
		le_put(e + GEDE_OFF_TIMESTAMP, cper_timestamp(time), 8);
	w->len += GEDE_SIZE_V3 + len;
	w->entries++;
	if (severity == CPER_SEV_RECOVERABLE || severity == CPER_SEV_FATAL)
		w->ue++;
	else if (severity == CPER_SEV_CORRECTED)
		w->ce++;
	if (rank(severity) > rank(w->severity))
		w->severity = severity;
	return e + GEDE_SIZE_V3;
}

int cper_add_memory(struct cper_writer *w, uint32_t severity, const struct cper_mem_error *m,
		    const struct cper_time *time)
{
	int err;
	uint8_t *s = add_entry(w, &CPER_SEC_PLATFORM_MEM, severity, MEM_SIZE, time, &err);

	if (!s)
		return err;
	uint64_t valid = MEM_VALID_PA | MEM_VALID_ERROR_TYPE | (m->address_mask ? MEM_VALID_PA_MASK : 0);
	le_put(s + MEM_OFF_VALIDATION, valid, 8);
	le_put(s + MEM_OFF_PA, m->physical_address, 8);
	le_put(s + MEM_OFF_PA_MASK, m->address_mask, 8);
	s[MEM_OFF_ERROR_TYPE] = m->error_type;
	return 0;
}

int cper_add_arm(struct cper_writer *w, uint32_t severity, const struct cper_arm_error *a,
		 const struct cper_time *time)
{
	int err;
	if (a->info_type > 3)
		return -EINVAL;
	uint8_t *s = add_entry(w, &CPER_SEC_PROC_ARM, severity, ARM_HEADER_SIZE + ARM_INFO_SIZE, time, &err);

	if (!s)
		return err;
	le_put(s + ARM_OFF_VALIDATION, ARM_VALID_MPIDR, 4);
	le_put(s + ARM_OFF_ERR_INFO_NUM, 1, 2);
	le_put(s + ARM_OFF_SECTION_LENGTH, ARM_HEADER_SIZE + ARM_INFO_SIZE, 4);
	le_put(s + ARM_OFF_MPIDR, a->mpidr, 8);
	le_put(s + ARM_OFF_MIDR, a->midr, 8);
	uint8_t *info = s + ARM_HEADER_SIZE;
	info[ARM_INFO_OFF_VERSION] = 0;
	info[ARM_INFO_OFF_LENGTH] = ARM_INFO_SIZE;
	le_put(info + ARM_INFO_OFF_VALIDATION, a->physical_address ? ARM_INFO_VALID_PHYS_ADDR : 0, 2);
	info[ARM_INFO_OFF_TYPE] = (uint8_t)(1u << (a->info_type + 1)); /* the 2.9A bitmap */
	le_put(info + ARM_INFO_OFF_PHYS_ADDR, a->physical_address, 8);
	return 0;
}

static bool guid_eq(const uint8_t *p, const struct cper_guid *g)
{
	return memcmp(p, g->b, 16) == 0;
}

/* The type-specific checks Linux applies before it prints or acts on a section. */
static int check_body(const uint8_t *type, const uint8_t *body, uint64_t len, char *why,
		      size_t whylen, unsigned i)
{
	if (guid_eq(type, &CPER_SEC_PLATFORM_MEM) && len < MEM_SIZE_OLD) {
		snprintf(why, whylen, "section %u: memory error section is %llu bytes; Linux needs %d",
			 i, (unsigned long long)len, MEM_SIZE_OLD);
		return -EINVAL;
	}
	if (guid_eq(type, &CPER_SEC_PROC_ARM)) {
		if (len < ARM_HEADER_SIZE) {
			snprintf(why, whylen, "section %u: ARM processor section is %llu bytes; Linux needs %d",
				 i, (unsigned long long)len, ARM_HEADER_SIZE);
			return -EINVAL;
		}
		uint64_t n = le_get(body + ARM_OFF_ERR_INFO_NUM, 2);
		uint64_t slen = le_get(body + ARM_OFF_SECTION_LENGTH, 4);
		if (slen < ARM_HEADER_SIZE + n * ARM_INFO_SIZE || slen > len) {
			snprintf(why, whylen,
				 "section %u: ARM section_length %llu does not hold its %llu error info entries within the %llu-byte section",
				 i, (unsigned long long)slen, (unsigned long long)n, (unsigned long long)len);
			return -EINVAL;
		}
	}
	return 0;
}

int cper_add_section(struct cper_writer *w, const struct cper_guid *type, uint32_t severity,
		     const void *data, size_t len, const struct cper_time *time)
{
	char why[160];
	int err;

	if (len == 0 || check_body(type->b, data, len, why, sizeof(why), w->entries))
		return -EINVAL;
	uint8_t *s = add_entry(w, type, severity, len, time, &err);
	if (!s)
		return err;
	memcpy(s, data, len);
	return 0;
}

int cper_finish(struct cper_writer *w)
{
	if (w->error)
		return w->error;
	if (w->entries == 0)
		return -EINVAL; /* a block with no section would read as "no error" */
	uint32_t status = (w->ue ? GESB_UE_VALID : 0) | (w->ce ? GESB_CE_VALID : 0) |
			  (w->ue > 1 ? GESB_MULTIPLE_UE : 0) | (w->ce > 1 ? GESB_MULTIPLE_CE : 0) |
			  (w->entries << GESB_ENTRY_COUNT_SHIFT);
	le_put(w->buf + GESB_OFF_BLOCK_STATUS, status, 4);
	le_put(w->buf + GESB_OFF_RAW_OFFSET, 0, 4);
	le_put(w->buf + GESB_OFF_RAW_LENGTH, 0, 4);
	le_put(w->buf + GESB_OFF_DATA_LENGTH, w->len - GESB_SIZE, 4);
	le_put(w->buf + GESB_OFF_SEVERITY, w->severity, 4);
	return (int)w->len;
}

#define invalid(why, whylen, ...) errmsg(why, whylen, -EINVAL, __VA_ARGS__)

int cper_check(const uint8_t *p, size_t len, size_t block_length, struct cper_block_info *info,
	       char *why, size_t whylen)
{
	memset(info, 0, sizeof(*info));
	if (len < GESB_SIZE)
		return invalid(why, whylen,
			       "block is %zu bytes, shorter than the 20-byte Generic Error Status Block",
			       len);
	uint32_t status = (uint32_t)le_get(p + GESB_OFF_BLOCK_STATUS, 4);
	uint64_t raw_off = le_get(p + GESB_OFF_RAW_OFFSET, 4);
	uint64_t raw_len = le_get(p + GESB_OFF_RAW_LENGTH, 4);
	uint64_t data_len = le_get(p + GESB_OFF_DATA_LENGTH, 4);
	uint32_t sev = (uint32_t)le_get(p + GESB_OFF_SEVERITY, 4);

	if (status == 0) {
		snprintf(why, whylen, "block_status is 0: no error recorded");
		return -ENOENT;
	}
	/* cper_estatus_check_header() */
	if (data_len && data_len < GEDE_SIZE_V2)
		return invalid(why, whylen,
			       "data_length %llu is non-zero but smaller than a 64-byte Generic Error Data Entry",
			       (unsigned long long)data_len);
	if (raw_len && raw_off < GESB_SIZE + data_len)
		return invalid(why, whylen,
			       "raw_data_offset %llu overlaps the error data, which ends at %llu",
			       (unsigned long long)raw_off, (unsigned long long)(GESB_SIZE + data_len));
	/* ghes_read_estatus(): cper_estatus_len() against the source's block length */
	uint64_t total = raw_len ? raw_off + raw_len : GESB_SIZE + data_len;
	if (total > len)
		return invalid(why, whylen, "record length %llu runs past the %zu bytes given",
			       (unsigned long long)total, len);
	if (total > block_length)
		return invalid(why, whylen, "record length %llu exceeds the error block length %zu",
			       (unsigned long long)total, block_length);
	/* ghes_severity(): anything but 0-3 is taken as fatal, so it is never what was meant. */
	if (sev > CPER_SEV_NONE)
		return invalid(why, whylen, "error_severity %u is not 0-3 (Linux would treat it as fatal)",
			       sev);

	/* cper_estatus_check(): entries must fill data_length exactly. */
	uint64_t off = GESB_SIZE, left = data_len;
	unsigned i = 0;
	while (left) {
		const uint8_t *e = p + off;
		if (left < GEDE_SIZE_V2)
			return invalid(why, whylen,
				       "%llu bytes after section %u are too few for another entry: sections must fill data_length exactly",
				       (unsigned long long)left, i ? i - 1 : 0);
		uint64_t rev = le_get(e + GEDE_OFF_REVISION, 2);
		uint64_t hdr = (rev >> 8) >= 3 ? GEDE_SIZE_V3 : GEDE_SIZE_V2;
		if (hdr > left)
			return invalid(why, whylen,
				       "section %u: its revision 0x%llx header is %llu bytes, past data_length",
				       i, (unsigned long long)rev, (unsigned long long)hdr);
		uint64_t body = le_get(e + GEDE_OFF_DATA_LENGTH, 4);
		if (body > left - hdr)
			return invalid(why, whylen,
				       "section %u: error_data_length %llu runs past data_length (%llu bytes left)",
				       i, (unsigned long long)body, (unsigned long long)(left - hdr));
		uint32_t ssev = (uint32_t)le_get(e + GEDE_OFF_SEVERITY, 4);
		if (ssev > CPER_SEV_NONE)
			return invalid(why, whylen, "section %u: error_severity %u is not 0-3", i, ssev);
		int r = check_body(e + GEDE_OFF_SECTION_TYPE, e + hdr, body, why, whylen, i);
		if (r)
			return r;
		off += hdr + body;
		left -= hdr + body;
		i++;
	}
	info->block_status = status;
	info->data_length = (uint32_t)data_len;
	info->severity = sev;
	info->entries = i;
	info->length = (size_t)(GESB_SIZE + data_len);
	return 0;
}

int cper_section(const uint8_t *p, const struct cper_block_info *info, unsigned i,
		 struct cper_section_info *s)
{
	size_t off = GESB_SIZE;

	if (i >= info->entries)
		return -ENOENT;
	for (unsigned n = 0;; n++) {
		const uint8_t *e = p + off;
		uint16_t rev = (uint16_t)le_get(e + GEDE_OFF_REVISION, 2);
		size_t hdr = (rev >> 8) >= 3 ? GEDE_SIZE_V3 : GEDE_SIZE_V2;
		uint32_t body = (uint32_t)le_get(e + GEDE_OFF_DATA_LENGTH, 4);
		if (n == i) {
			memcpy(s->type.b, e + GEDE_OFF_SECTION_TYPE, 16);
			s->severity = (uint32_t)le_get(e + GEDE_OFF_SEVERITY, 4);
			s->revision = rev;
			s->validation = e[GEDE_OFF_VALIDATION];
			s->flags = e[GEDE_OFF_FLAGS];
			s->data_length = body;
			s->header_length = hdr;
			s->data = e + hdr;
			return 0;
		}
		off += hdr + body;
	}
}

const char *cper_severity_name(uint32_t severity)
{
	/* drivers/firmware/efi/cper.c cper_severity_str() */
	static const char *const names[] = { "recoverable", "fatal", "corrected", "info" };
	return severity <= CPER_SEV_NONE ? names[severity] : "unknown";
}

const char *cper_mem_error_type_name(uint8_t type)
{
	/* UEFI N.2.5 Memory Error Type, in the words of Linux's cper_mem_err_type_strs[] */
	static const char *const names[] = {
		"unknown", "no error", "single-bit ECC", "multi-bit ECC",
		"single-symbol chipkill ECC", "multi-symbol chipkill ECC", "master abort",
		"target abort", "parity error", "watchdog timeout", "invalid address",
		"mirror Broken", "memory sparing", "scrub corrected error",
		"scrub uncorrected error", "physical memory map-out event",
	};
	return type < sizeof(names) / sizeof(names[0]) ? names[type] : "unknown";
}

struct text {
	char *out;
	size_t cap, len;
	char pfx[32];
};

static void line(struct text *t, const char *indent, const char *fmt, ...)
{
	char body[320];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	int n = snprintf(t->len < t->cap ? t->out + t->len : NULL, t->len < t->cap ? t->cap - t->len : 0,
			 "%s%s%s\n", t->pfx, indent, body);
	if (n > 0)
		t->len += (size_t)n;
}

static unsigned unbcd(uint8_t v)
{
	return (v >> 4) * 10 + (v & 0xf);
}

/* print_hex_dump(pfx, "", DUMP_PREFIX_OFFSET, 16, 4, p, len, ascii): 4-byte groups printed as
 * little-endian words, single bytes for a row whose length is not a multiple of 4. */
static void hex_dump(struct text *t, const char *indent, const uint8_t *p, size_t len, bool ascii)
{
	for (size_t off = 0; off < len; off += 16) {
		size_t n = len - off < 16 ? len - off : 16, group = n % 4 ? 1 : 4, lx = 0;
		char row[128];
		for (size_t j = 0; j < n; j += group) {
			if (group == 4)
				lx += (size_t)snprintf(row + lx, sizeof(row) - lx, "%s%08x", j ? " " : "",
						       (unsigned)le_get(p + off + j, 4));
			else
				lx += (size_t)snprintf(row + lx, sizeof(row) - lx, "%s%02x", j ? " " : "", p[off + j]);
		}
		if (ascii) {
			size_t col = 16 * 2 + 16 / group + 1;
			while (lx < col)
				row[lx++] = ' ';
			for (size_t j = 0; j < n; j++) {
				uint8_t c = p[off + j];
				row[lx++] = c >= 0x20 && c < 0x7f ? (char)c : '.';
			}
		}
		row[lx] = '\0';
		line(t, indent, "%08zx: %s", off, row);
	}
}

/* cper_print_bits(): the names of the set bits, ", " between them, lines kept under 80. */
static void print_bits(struct text *t, const char *indent, unsigned bits, const char *const *names,
		       unsigned count)
{
	char buf[84];
	size_t len = 0, base = strlen(t->pfx) + strlen(indent);

	for (unsigned i = 0; i < count; i++) {
		if (!(bits & (1u << i)))
			continue;
		if (len && base + len + strlen(names[i]) + 2 > 80) {
			line(t, indent, "%s", buf);
			len = 0;
		}
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s", len ? ", " : "", names[i]);
		if (len >= sizeof(buf))
			len = sizeof(buf) - 1;
	}
	if (len)
		line(t, indent, "%s", buf);
}

static const char *const proc_error_types[] = { "cache error", "TLB error", "bus error",
						 "micro-architectural error" };

static const char *pick(const char *const *names, size_t count, unsigned i)
{
	return i < count ? names[i] : "unknown";
}
#define PICK(names, i) pick(names, sizeof(names) / sizeof(names[0]), i)

/* cper-arm.c cper_print_arm_err_info(): the error information field, per type bit. */
static void format_arm_err_info(struct text *t, const char *in, unsigned type, uint64_t ei)
{
	static const char *const trans[] = { "Instruction", "Data Access", "Generic" };
	static const char *const bus_op[] = {
		"Generic error (type cannot be determined)",
		"Generic read (type of instruction or data request cannot be determined)",
		"Generic write (type of instruction of data request cannot be determined)",
		"Data read", "Data write", "Instruction fetch", "Prefetch" };
	static const char *const cache_op[] = {
		"Generic error (type cannot be determined)",
		"Generic read (type of instruction or data request cannot be determined)",
		"Generic write (type of instruction of data request cannot be determined)",
		"Data read", "Data write", "Instruction fetch", "Prefetch", "Eviction",
		"Snooping (processor initiated a cache snoop that resulted in an error)",
		"Snooped (processor raised a cache error caused by another processor or device snooping its cache)",
		"Management" };
	static const char *const tlb_op[] = {
		"Generic error (type cannot be determined)",
		"Generic read (type of instruction or data request cannot be determined)",
		"Generic write (type of instruction of data request cannot be determined)",
		"Data read", "Data write", "Instruction fetch", "Prefetch",
		"Local management operation (processor initiated a TLB management operation that resulted in an error)",
		"External management operation (processor raised a TLB error caused by another processor or device broadcasting TLB operations)" };
	static const char *const part[] = { "Local processor originated request",
					    "Local processor responded to request",
					    "Local processor observed", "Generic" };
	static const char *const space[] = { "External Memory Access", "Internal Memory Access",
					     "Unknown", "Device Memory Access" };

	if (type & ARM_INFO_TYPE_VENDOR)
		return; /* vendor-specific meaning */
	if ((ei & (1u << 0)) && ((ei >> 16) & 3) < 3)
		line(t, in, "transaction type: %s", trans[(ei >> 16) & 3]);
	if (ei & (1u << 1)) {
		unsigned op = (unsigned)(ei >> 18) & 15;
		if ((type & ARM_INFO_TYPE_CACHE) && op < sizeof(cache_op) / sizeof(cache_op[0]))
			line(t, in, "cache error, operation type: %s", cache_op[op]);
		if ((type & ARM_INFO_TYPE_TLB) && op < sizeof(tlb_op) / sizeof(tlb_op[0]))
			line(t, in, "TLB error, operation type: %s", tlb_op[op]);
		if ((type & ARM_INFO_TYPE_BUS) && op < sizeof(bus_op) / sizeof(bus_op[0]))
			line(t, in, "bus error, operation type: %s", bus_op[op]);
	}
	if (ei & (1u << 2)) {
		unsigned level = (unsigned)(ei >> 22) & 7;
		if (type & ARM_INFO_TYPE_CACHE)
			line(t, in, "cache level: %u", level);
		if (type & ARM_INFO_TYPE_TLB)
			line(t, in, "TLB level: %u", level);
		if (type & ARM_INFO_TYPE_BUS)
			line(t, in, "affinity level at which the bus error occurred: %u", level);
	}
	if (ei & (1u << 3))
		line(t, in, "processor context %scorrupted", (ei >> 25) & 1 ? "" : "not ");
	if (ei & (1u << 4))
		line(t, in, "the error has %sbeen corrected", (ei >> 26) & 1 ? "" : "not ");
	if (ei & (1u << 5))
		line(t, in, "PC is %s", (ei >> 27) & 1 ? "precise" : "imprecise");
	if ((ei & (1u << 6)) && ((ei >> 28) & 1))
		line(t, in, "Program execution can be restarted reliably at the PC associated with the error.");
	if (!(type & ARM_INFO_TYPE_BUS))
		return;
	if (ei & (1u << 7))
		line(t, in, "participation type: %s", part[(ei >> 29) & 3]);
	if ((ei & (1u << 8)) && ((ei >> 31) & 1))
		line(t, in, "request timed out");
	if (ei & (1u << 9))
		line(t, in, "address space: %s", space[(ei >> 32) & 3]);
	if (ei & (1u << 10))
		line(t, in, "memory access attributes:0x%x", (unsigned)(ei >> 34) & 0x1ff);
	if (ei & (1u << 11))
		line(t, in, "access mode: %s", (ei >> 43) & 1 ? "normal" : "secure");
}

/* cper-arm.c cper_print_proc_arm() as of Linux 6.16 (UEFI 2.9A type bitmap); section_length
 * was checked against the body by cper_check. */
static void format_arm(struct text *t, const uint8_t *b)
{
	static const char *const ctx_types[] = {
		"AArch32 general purpose registers", "AArch32 EL1 context registers",
		"AArch32 EL2 context registers", "AArch32 secure context registers",
		"AArch64 general purpose registers", "AArch64 EL1 context registers",
		"AArch64 EL2 context registers", "AArch64 EL3 context registers",
		"Misc. system register structure" };
	uint32_t valid = (uint32_t)le_get(b + ARM_OFF_VALIDATION, 4);
	unsigned n = (unsigned)le_get(b + ARM_OFF_ERR_INFO_NUM, 2);
	unsigned nctx = (unsigned)le_get(b + ARM_OFF_CONTEXT_INFO_NUM, 2);
	int64_t len = (int64_t)le_get(b + ARM_OFF_SECTION_LENGTH, 4) - (ARM_HEADER_SIZE + (int64_t)n * ARM_INFO_SIZE);

	line(t, "  ", "MIDR: 0x%016llx", (unsigned long long)le_get(b + ARM_OFF_MIDR, 8));
	if (len < 0) {
		line(t, "  ", "section length: %u", (unsigned)le_get(b + ARM_OFF_SECTION_LENGTH, 4));
		line(t, "  ", "section length is too small");
		line(t, "  ", "firmware-generated error record is incorrect");
		line(t, "  ", "ERR_INFO_NUM is %u", n);
		return;
	}
	if (valid & ARM_VALID_MPIDR)
		line(t, "  ", "Multiprocessor Affinity Register (MPIDR): 0x%016llx",
		     (unsigned long long)le_get(b + ARM_OFF_MPIDR, 8));
	if (valid & ARM_VALID_AFFINITY_LEVEL)
		line(t, "  ", "error affinity level: %u", b[ARM_OFF_AFFINITY_LEVEL]);
	if (valid & ARM_VALID_RUNNING_STATE) {
		line(t, "  ", "running state: 0x%x", (unsigned)le_get(b + ARM_OFF_RUNNING_STATE, 4));
		line(t, "  ", "Power State Coordination Interface state: %d",
		     (int)(int32_t)le_get(b + ARM_OFF_PSCI_STATE, 4));
	}
	const uint8_t *e = b + ARM_HEADER_SIZE;
	for (unsigned k = 0; k < n; k++, e += ARM_INFO_SIZE) {
		unsigned v = (unsigned)le_get(e + ARM_INFO_OFF_VALIDATION, 2), type = e[ARM_INFO_OFF_TYPE];
		uint8_t fl = e[ARM_INFO_OFF_FLAGS];
		char names[120] = "";
		size_t o = 0;
		line(t, "  ", "Error info structure %u:", k);
		line(t, "  ", "num errors: %u", (unsigned)le_get(e + ARM_INFO_OFF_MULTIPLE, 2) + 1);
		if (v & ARM_INFO_VALID_FLAGS) {
			if (fl & 1)
				line(t, "   ", "first error captured");
			if (fl & 2)
				line(t, "   ", "last error captured");
			if (fl & 4)
				line(t, "   ", "propagated error captured");
			if (fl & 8)
				line(t, "   ", "overflow occurred, error info is incomplete");
		}
		for (unsigned bit = 0; bit < 4; bit++) /* cper_bits_to_str(): '|' between names */
			if ((type & ARM_INFO_TYPE_MASK) >> 1 & (1u << bit))
				o += (size_t)snprintf(names + o, sizeof(names) - o, "%s%s", o ? "|" : "",
						      proc_error_types[bit]);
		line(t, "   ", "error_type: 0x%02x: %s%s", type, names,
		     type & ~ARM_INFO_TYPE_MASK ? " with reserved bit(s)" : "");
		if (v & ARM_INFO_VALID_ERROR_INFO) {
			uint64_t ei = le_get(e + ARM_INFO_OFF_ERROR_INFO, 8);
			line(t, "   ", "error_info: 0x%016llx", (unsigned long long)ei);
			format_arm_err_info(t, "    ", type, ei);
		}
		if (v & ARM_INFO_VALID_VIRT_ADDR)
			line(t, "   ", "virtual fault address: 0x%016llx",
			     (unsigned long long)le_get(e + ARM_INFO_OFF_VIRT_ADDR, 8));
		if (v & ARM_INFO_VALID_PHYS_ADDR)
			line(t, "   ", "physical fault address: 0x%016llx",
			     (unsigned long long)le_get(e + ARM_INFO_OFF_PHYS_ADDR, 8));
	}
	for (unsigned k = 0; k < nctx; k++) {
		line(t, "  ", "Context info structure %u:", k);
		if (len < ARM_CONTEXT_HEADER_SIZE) {
			/* Linux reads the header before it checks; rasvm does not read past the
			 * section. */
			line(t, "   ", "section length is too small");
			line(t, "  ", "firmware-generated error record is incorrect");
			return;
		}
		unsigned ctype = (unsigned)le_get(e + 2, 2);
		int64_t size = ARM_CONTEXT_HEADER_SIZE + (int64_t)le_get(e + 4, 4);
		if (len < size) {
			line(t, "   ", "section length is too small");
			line(t, "  ", "firmware-generated error record is incorrect");
			return;
		}
		if (ctype > 8) {
			line(t, "   ", "Invalid context type: %u (max: 8)", ctype);
			return;
		}
		line(t, "   ", "register context type: %s", ctx_types[ctype]);
		hex_dump(t, "   ", e + ARM_CONTEXT_HEADER_SIZE, (size_t)(size - ARM_CONTEXT_HEADER_SIZE), false);
		len -= size;
		e += size;
	}
	if (len > 0) {
		line(t, "  ", "Vendor specific error info has %u bytes:", (unsigned)len);
		hex_dump(t, "   ", e, (size_t)len, true);
	}
}

/* cper.c cper_print_proc_generic() */
static void format_proc_generic(struct text *t, const uint8_t *b)
{
	static const char *const ptype[] = { "IA32/X64", "IA64", "ARM" };
	static const char *const isa[] = { "IA32", "IA64", "X64", "ARM A32/T32", "ARM A64" };
	static const char *const op[] = { "unknown or generic", "data read", "data write",
					  "instruction execution" };
	static const char *const flags[] = { "restartable", "precise IP", "overflow", "corrected" };
	uint64_t v = le_get(b + PROC_OFF_VALIDATION, 8);

	if (v & (1u << 0))
		line(t, "  ", "processor_type: %u, %s", b[PROC_OFF_TYPE], PICK(ptype, b[PROC_OFF_TYPE]));
	if (v & (1u << 1))
		line(t, "  ", "processor_isa: %u, %s", b[PROC_OFF_ISA], PICK(isa, b[PROC_OFF_ISA]));
	if (v & (1u << 2)) {
		line(t, "  ", "error_type: 0x%02x", b[PROC_OFF_ERROR_TYPE]);
		print_bits(t, "  ", b[PROC_OFF_ERROR_TYPE], proc_error_types, 4);
	}
	if (v & (1u << 3))
		line(t, "  ", "operation: %u, %s", b[PROC_OFF_OPERATION], PICK(op, b[PROC_OFF_OPERATION]));
	if (v & (1u << 4)) {
		line(t, "  ", "flags: 0x%02x", b[PROC_OFF_FLAGS]);
		print_bits(t, "  ", b[PROC_OFF_FLAGS], flags, 4);
	}
	if (v & (1u << 5))
		line(t, "  ", "level: %u", b[PROC_OFF_LEVEL]);
	static const struct { unsigned bit, off; const char *name; } q[] = {
		{ 6, PROC_OFF_VERSION, "version_info" }, { 8, PROC_OFF_ID, "processor_id" },
		{ 9, PROC_OFF_TARGET, "target_address" }, { 10, PROC_OFF_REQUESTOR, "requestor_id" },
		{ 11, PROC_OFF_RESPONDER, "responder_id" }, { 12, PROC_OFF_IP, "IP" } };
	for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++)
		if (v & (1ull << q[i].bit))
			line(t, "  ", "%s: 0x%016llx", q[i].name, (unsigned long long)le_get(b + q[i].off, 8));
}

/* cper_mem_err_status_str() */
static const char *mem_status_name(uint64_t status)
{
	switch ((status >> 8) & 0xff) {
	case 1: return "Error detected internal to the component";
	case 4: return "Storage error in DRAM memory";
	case 5: return "Storage error in TLB";
	case 6: return "Storage error in cache";
	case 7: return "Error in one or more functional units";
	case 8: return "Component failed self test";
	case 9: return "Overflow or undervalue of internal queue";
	case 16: return "Error detected in the bus";
	case 17: return "Virtual address not found on IO-TLB or IO-PDIR";
	case 18: return "Improper access error";
	case 19: return "Access to a memory address which is not mapped to any component";
	case 20: return "Loss of Lockstep";
	case 21: return "Response not associated with a request";
	case 22: return "Bus parity error - must also set the A, C, or D Bits";
	case 23: return "Detection of a protocol error";
	case 24: return "Detection of a PATH_ERROR";
	case 25: return "Bus operation timeout";
	case 26: return "A read was issued to data that has been poisoned";
	default: return "Reserved";
	}
}

static void format_section(struct text *t, const struct cper_section_info *s, unsigned i)
{
	const uint8_t *b = s->data, *e = b - s->header_length;

	/* cper_estatus_print_section(): timestamp first, then severity, FRU, then the body. */
	if (s->header_length == GEDE_SIZE_V3 && (s->validation & GEDE_VALID_TIMESTAMP)) {
		const uint8_t *ts = e + GEDE_OFF_TIMESTAMP;
		line(t, " ", "%ststamp: %02u%02u-%02u-%02u %02u:%02u:%02u",
		     (ts[3] & 1) ? "precise " : "imprecise ", unbcd(ts[7]), unbcd(ts[6]), unbcd(ts[5]),
		     unbcd(ts[4]), unbcd(ts[2]), unbcd(ts[1]), unbcd(ts[0]));
	}
	line(t, " ", "Error %u, type: %s", i, cper_severity_name(s->severity));
	if (s->validation & GEDE_VALID_FRU_ID) {
		char g[37];
		cper_guid_format((const struct cper_guid *)(e + GEDE_OFF_FRU_ID), g);
		line(t, " ", "fru_id: %s", g);
	}
	if (s->validation & GEDE_VALID_FRU_TEXT) {
		char text[21];
		size_t n = 0;
		while (n < 20 && e[GEDE_OFF_FRU_TEXT + n])
			n++;
		memcpy(text, e + GEDE_OFF_FRU_TEXT, n);
		text[n] = '\0';
		line(t, " ", "fru_text: %s", text);
	}
	if (guid_eq(s->type.b, &CPER_SEC_PROC_GENERIC)) {
		line(t, "  ", "section_type: general processor error");
		if (s->data_length >= PROC_SIZE)
			format_proc_generic(t, b);
		else
			line(t, "", "[Firmware Warn]: error section length is too small");
	} else if (guid_eq(s->type.b, &CPER_SEC_PLATFORM_MEM)) {
		uint64_t v = le_get(b + MEM_OFF_VALIDATION, 8);
		line(t, "  ", "section_type: memory error");
		if (v & MEM_VALID_ERROR_STATUS) {
			uint64_t st = le_get(b + MEM_OFF_ERROR_STATUS, 8);
			line(t, "   ", "error_status: %s (0x%016llx)", mem_status_name(st), (unsigned long long)st);
		}
		if (v & MEM_VALID_PA)
			line(t, "  ", "physical_address: 0x%016llx", (unsigned long long)le_get(b + MEM_OFF_PA, 8));
		if (v & MEM_VALID_PA_MASK)
			line(t, "  ", "physical_address_mask: 0x%016llx",
			     (unsigned long long)le_get(b + MEM_OFF_PA_MASK, 8));
		if (v & MEM_VALID_ERROR_TYPE)
			line(t, "  ", "error_type: %u, %s", b[MEM_OFF_ERROR_TYPE],
			     cper_mem_error_type_name(b[MEM_OFF_ERROR_TYPE]));
	} else if (guid_eq(s->type.b, &CPER_SEC_PROC_ARM)) {
		/* As arm64 Linux prints it (x86 Linux builds no ARM decoder: it prints the section
		 * as unknown). */
		line(t, "  ", "section_type: ARM processor error");
		format_arm(t, b);
	} else if (guid_eq(s->type.b, &CPER_SEC_PCIE) || guid_eq(s->type.b, &CPER_SEC_PROC_IA)) {
		/* Linux decodes these further; rasvm names them. */
		line(t, "  ", "section_type: %s",
		     guid_eq(s->type.b, &CPER_SEC_PCIE) ? "PCIe error" : "IA32/X64 processor error");
		line(t, "  ", "section length: %#x", s->data_length);
	} else {
		char g[37];
		cper_guid_format(&s->type, g);
		line(t, "  ", "section type: unknown, %s", g);
		line(t, "  ", "section length: %#x", s->data_length);
		hex_dump(t, "  ", b, s->data_length, true);
	}
}

size_t cper_format(const uint8_t *p, const struct cper_block_info *info, unsigned seq,
		   unsigned source_id, char *out, size_t outlen)
{
	struct text t = { .out = out, .cap = outlen };

	snprintf(t.pfx, sizeof(t.pfx), "{%u}[Hardware Error]: ", seq);
	if (outlen)
		out[0] = '\0';
	line(&t, "", "Hardware error from APEI Generic Hardware Error Source: %u", source_id);
	if (info->severity == CPER_SEV_CORRECTED)
		line(&t, "", "It has been corrected by h/w and requires no further action");
	line(&t, "", "event severity: %s", cper_severity_name(info->severity));
	for (unsigned i = 0; i < info->entries; i++) {
		struct cper_section_info s;
		if (cper_section(p, info, i, &s) == 0)
			format_section(&t, &s, i);
	}
	return t.len;
}
