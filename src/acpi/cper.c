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
	info[ARM_INFO_OFF_TYPE] = a->info_type;
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
	char body[256];
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

static void format_section(struct text *t, const struct cper_section_info *s, unsigned i)
{
	const uint8_t *b = s->data;

	/* cper_estatus_print_section(): timestamp first, then severity, then the body. */
	if (s->header_length == GEDE_SIZE_V3 && (s->validation & GEDE_VALID_TIMESTAMP)) {
		const uint8_t *ts = b - GEDE_SIZE_V3 + GEDE_OFF_TIMESTAMP;
		line(t, " ", "%ststamp: %02u%02u-%02u-%02u %02u:%02u:%02u",
		     (ts[3] & 1) ? "precise " : "imprecise ", unbcd(ts[7]), unbcd(ts[6]), unbcd(ts[5]),
		     unbcd(ts[4]), unbcd(ts[2]), unbcd(ts[1]), unbcd(ts[0]));
	}
	line(t, " ", "Error %u, type: %s", i, cper_severity_name(s->severity));
	if (guid_eq(s->type.b, &CPER_SEC_PLATFORM_MEM)) {
		uint64_t v = le_get(b + MEM_OFF_VALIDATION, 8);
		line(t, "  ", "section_type: memory error");
		if (v & MEM_VALID_ERROR_STATUS)
			line(t, "  ", "error_status: 0x%016llx", (unsigned long long)le_get(b + MEM_OFF_ERROR_STATUS, 8));
		if (v & MEM_VALID_PA)
			line(t, "  ", "physical_address: 0x%016llx", (unsigned long long)le_get(b + MEM_OFF_PA, 8));
		if (v & MEM_VALID_PA_MASK)
			line(t, "  ", "physical_address_mask: 0x%016llx",
			     (unsigned long long)le_get(b + MEM_OFF_PA_MASK, 8));
		if (v & MEM_VALID_ERROR_TYPE)
			line(t, "  ", "error_type: %u, %s", b[MEM_OFF_ERROR_TYPE],
			     cper_mem_error_type_name(b[MEM_OFF_ERROR_TYPE]));
	} else if (guid_eq(s->type.b, &CPER_SEC_PROC_ARM)) {
		line(t, "  ", "section_type: ARM processor error");
		line(t, "  ", "MIDR: 0x%016llx", (unsigned long long)le_get(b + ARM_OFF_MIDR, 8));
		if (le_get(b + ARM_OFF_VALIDATION, 4) & ARM_VALID_MPIDR)
			line(t, "  ", "Multiprocessor Affinity Register (MPIDR): 0x%016llx",
			     (unsigned long long)le_get(b + ARM_OFF_MPIDR, 8));
		unsigned n = (unsigned)le_get(b + ARM_OFF_ERR_INFO_NUM, 2);
		for (unsigned k = 0; k < n; k++) {
			const uint8_t *info = b + ARM_HEADER_SIZE + k * ARM_INFO_SIZE;
			static const char *const types[] = { "cache error", "TLB error", "bus error",
							     "micro-architectural error" };
			line(t, "  ", "Error info structure %u:", k);
			line(t, "  ", " error_type: %u, %s", info[ARM_INFO_OFF_TYPE],
			     info[ARM_INFO_OFF_TYPE] < 4 ? types[info[ARM_INFO_OFF_TYPE]] : "unknown");
			if (le_get(info + ARM_INFO_OFF_VALIDATION, 2) & ARM_INFO_VALID_PHYS_ADDR)
				line(t, "  ", " physical fault address: 0x%016llx",
				     (unsigned long long)le_get(info + ARM_INFO_OFF_PHYS_ADDR, 8));
		}
	} else {
		const char *name = guid_eq(s->type.b, &CPER_SEC_PCIE)           ? "PCIe error"
				   : guid_eq(s->type.b, &CPER_SEC_PROC_GENERIC) ? "general processor error"
				   : guid_eq(s->type.b, &CPER_SEC_PROC_IA)      ? "IA32/X64 processor error"
										 : NULL;
		if (name) {
			line(t, "  ", "section_type: %s", name);
		} else {
			char g[37];
			cper_guid_format(&s->type, g);
			line(t, "  ", "section type: unknown, %s", g);
		}
		line(t, "  ", "section length: %#x", s->data_length);
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
	line(&t, "", "event severity: %s", cper_severity_name(info->severity));
	for (unsigned i = 0; i < info->entries; i++) {
		struct cper_section_info s;
		if (cper_section(p, info, i, &s) == 0)
			format_section(&t, &s, i);
	}
	return t.len;
}
