// SPDX-License-Identifier: MIT
#include "acpi/aml.h"

#include <errno.h>
#include <string.h>

#include "acpi/cper.h"

/* 20.3 opcodes */
#define AML_ZERO_OP       0x00
#define AML_ONE_OP        0x01
#define AML_NAME_OP       0x08
#define AML_BYTE_PREFIX   0x0a
#define AML_WORD_PREFIX   0x0b
#define AML_DWORD_PREFIX  0x0c
#define AML_STRING_PREFIX 0x0d
#define AML_QWORD_PREFIX  0x0e
#define AML_SCOPE_OP      0x10
#define AML_BUFFER_OP     0x11
#define AML_PACKAGE_OP    0x12
#define AML_METHOD_OP     0x14
#define AML_DUAL_NAME     0x2e
#define AML_MULTI_NAME    0x2f
#define AML_LOCAL0        0x60
#define AML_ARG0          0x68 /* Arg0..Arg6 are 0x68..0x6e */
#define AML_STORE_OP      0x70
#define AML_AND_OP        0x7b
#define AML_OR_OP         0x7d
#define AML_NOTIFY_OP     0x86
#define AML_CREATE_DWORD_FIELD_OP 0x8a
#define AML_LNOT_OP       0x92
#define AML_LEQUAL_OP     0x93
#define AML_IF_OP         0xa0
#define AML_RETURN_OP     0xa4
#define AML_EXT_OP_PREFIX 0x5b
#define AML_DEVICE_OP     0x82 /* after AML_EXT_OP_PREFIX */
#define AML_ROOT_CHAR     0x5c /* '\' */

/* 6.4.2 small resource descriptors */
#define RES_IRQ_NO_FLAGS  0x22 /* type 0x04, length 2 */
#define RES_IO            0x47 /* type 0x08, length 7 */
#define RES_IO_DECODE16   0x01
#define RES_END_TAG       0x79 /* type 0x0f, length 1 */
/* 6.4.3.6 Extended Interrupt Descriptor (large resource) */
#define RES_MEM32_FIXED   0x86
#define MEM32_READ_WRITE  0x01
#define RES_EXT_IRQ       0x89
#define EXT_IRQ_CONSUMER  0x01
#define EXT_IRQ_EDGE      0x02
#define EXT_IRQ_LOW       0x04

#define PKGLEN_MAX_BYTES  4 /* 20.2.4: PkgLength is 1 to 4 bytes */

/* 20.2.2 NameString: an optional root prefix, then NameSegs of 4 characters ('_'-padded)
 * separated by '.' in the source form: one plain, two after DualNamePrefix, more after
 * MultiNamePrefix and a count. */
static void put_name(struct acpi_buf *b, const char *name)
{
	unsigned segs = 1;

	if (name[0] == '\\') {
		acpi_put8(b, AML_ROOT_CHAR);
		name++;
	}
	for (const char *p = name; *p; p++)
		segs += *p == '.';
	if (segs == 2) {
		acpi_put8(b, AML_DUAL_NAME);
	} else if (segs > 2) {
		acpi_put8(b, AML_MULTI_NAME);
		acpi_put8(b, (uint8_t)segs);
	}
	for (unsigned s = 0; s < segs; s++) {
		char seg[4] = { '_', '_', '_', '_' };
		for (size_t i = 0; i < 4 && *name && *name != '.'; i++)
			seg[i] = *name++;
		while (*name && *name != '.')
			name++; /* longer segments are cut to 4 */
		if (*name == '.')
			name++;
		acpi_put_bytes(b, seg, 4);
	}
}

static size_t pkg_begin(struct acpi_buf *b)
{
	return acpi_put_zeros(b, PKGLEN_MAX_BYTES);
}

void aml_end(struct acpi_buf *b, size_t pkg)
{
	if (b->overflow || pkg + PKGLEN_MAX_BYTES > b->len)
		return;
	size_t body = b->len - pkg - PKGLEN_MAX_BYTES;
	size_t n;

	/* The encoded length counts the PkgLength bytes themselves. */
	if (body + 1 <= 0x3f)
		n = 1;
	else if (body + 2 <= 0xfff)
		n = 2;
	else if (body + 3 <= 0xfffff)
		n = 3;
	else
		n = 4;
	size_t total = body + n;

	memmove(b->data + pkg + n, b->data + pkg + PKGLEN_MAX_BYTES, body);
	b->len -= PKGLEN_MAX_BYTES - n;
	if (n == 1) {
		b->data[pkg] = (uint8_t)total;
		return;
	}
	/* Lead byte: bits 7:6 = following byte count, bits 3:0 = low nibble. */
	b->data[pkg] = (uint8_t)(((n - 1) << 6) | (total & 0xf));
	for (size_t i = 1; i < n; i++)
		b->data[pkg + i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
}

size_t aml_scope_begin(struct acpi_buf *b, const char *name)
{
	acpi_put8(b, AML_SCOPE_OP);
	size_t pkg = pkg_begin(b);
	put_name(b, name);
	return pkg;
}

size_t aml_device_begin(struct acpi_buf *b, const char *name)
{
	acpi_put8(b, AML_EXT_OP_PREFIX);
	acpi_put8(b, AML_DEVICE_OP);
	size_t pkg = pkg_begin(b);
	put_name(b, name);
	return pkg;
}

size_t aml_method_begin(struct acpi_buf *b, const char *name, unsigned nargs)
{
	acpi_put8(b, AML_METHOD_OP);
	size_t pkg = pkg_begin(b);
	put_name(b, name);
	acpi_put8(b, (uint8_t)(nargs & 7)); /* MethodFlags: ArgCount, not serialized, SyncLevel 0 */
	return pkg;
}

static void put_int(struct acpi_buf *b, uint64_t v);

void aml_notify(struct acpi_buf *b, const char *path, uint64_t value)
{
	acpi_put8(b, AML_NOTIFY_OP);
	put_name(b, path);
	put_int(b, value);
}

void aml_res_ext_irq(struct acpi_buf *b, uint32_t gsi, bool edge, bool active_low)
{
	acpi_put8(b, RES_EXT_IRQ);
	acpi_put16(b, 6); /* length: flags, count, one interrupt number */
	acpi_put8(b, (uint8_t)(EXT_IRQ_CONSUMER | (edge ? EXT_IRQ_EDGE : 0) |
			       (active_low ? EXT_IRQ_LOW : 0)));
	acpi_put8(b, 1);
	acpi_put32(b, gsi);
}

static void put_int(struct acpi_buf *b, uint64_t v)
{
	if (v == 0) {
		acpi_put8(b, AML_ZERO_OP);
	} else if (v == 1) {
		acpi_put8(b, AML_ONE_OP);
	} else if (v <= 0xff) {
		acpi_put8(b, AML_BYTE_PREFIX);
		acpi_put8(b, (uint8_t)v);
	} else if (v <= 0xffff) {
		acpi_put8(b, AML_WORD_PREFIX);
		acpi_put16(b, (uint16_t)v);
	} else if (v <= 0xffffffff) {
		acpi_put8(b, AML_DWORD_PREFIX);
		acpi_put32(b, (uint32_t)v);
	} else {
		acpi_put8(b, AML_QWORD_PREFIX);
		acpi_put64(b, v);
	}
}

void aml_name_int(struct acpi_buf *b, const char *name, uint64_t value)
{
	acpi_put8(b, AML_NAME_OP);
	put_name(b, name);
	put_int(b, value);
}

void aml_name_package(struct acpi_buf *b, const char *name, const uint64_t *v, unsigned n)
{
	acpi_put8(b, AML_NAME_OP);
	put_name(b, name);
	acpi_put8(b, AML_PACKAGE_OP);
	size_t pkg = pkg_begin(b);
	acpi_put8(b, (uint8_t)n); /* NumElements */
	for (unsigned i = 0; i < n; i++)
		put_int(b, v[i]);
	aml_end(b, pkg);
}

void aml_name_string(struct acpi_buf *b, const char *name, const char *s)
{
	acpi_put8(b, AML_NAME_OP);
	put_name(b, name);
	acpi_put8(b, AML_STRING_PREFIX);
	acpi_put_bytes(b, s, strlen(s) + 1);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int aml_eisaid(const char *id, uint32_t *out)
{
	uint32_t v = 0;

	if (strlen(id) != 7)
		return -EINVAL;
	for (int i = 0; i < 3; i++) {
		if (id[i] < 'A' || id[i] > 'Z')
			return -EINVAL;
		v |= (uint32_t)(id[i] - 0x40) << (26 - 5 * i);
	}
	for (int i = 0; i < 4; i++) {
		int h = hexval(id[3 + i]);
		if (h < 0)
			return -EINVAL;
		v |= (uint32_t)h << (12 - 4 * i);
	}
	/* The compressed id is stored most significant byte first. */
	*out = __builtin_bswap32(v);
	return 0;
}

int aml_name_eisaid(struct acpi_buf *b, const char *name, const char *id)
{
	uint32_t v;
	int err = aml_eisaid(id, &v);

	if (err)
		return err;
	acpi_put8(b, AML_NAME_OP);
	put_name(b, name);
	acpi_put8(b, AML_DWORD_PREFIX);
	acpi_put32(b, v);
	return 0;
}

/* Name(_CRS, Buffer(size) { descriptors }): the size operand is patched by aml_crs_end. */
size_t aml_crs_begin(struct acpi_buf *b)
{
	acpi_put8(b, AML_NAME_OP);
	put_name(b, "_CRS");
	acpi_put8(b, AML_BUFFER_OP);
	size_t pkg = pkg_begin(b);
	acpi_put8(b, AML_WORD_PREFIX); /* BufferSize, always a WordConst so its width is fixed */
	acpi_put16(b, 0);
	return pkg;
}

void aml_crs_end(struct acpi_buf *b, size_t pkg)
{
	acpi_put8(b, RES_END_TAG);
	acpi_put8(b, 0); /* checksum 0: "treat as correct" (6.4.2.9) */
	size_t size_off = pkg + PKGLEN_MAX_BYTES + 1;
	if (!b->overflow && b->len >= size_off + 2) {
		size_t bytes = b->len - (size_off + 2);
		b->data[size_off] = (uint8_t)bytes;
		b->data[size_off + 1] = (uint8_t)(bytes >> 8);
	}
	aml_end(b, pkg);
}

void aml_res_io(struct acpi_buf *b, uint16_t base, uint8_t len)
{
	acpi_put8(b, RES_IO);
	acpi_put8(b, RES_IO_DECODE16);
	acpi_put16(b, base); /* range minimum */
	acpi_put16(b, base); /* range maximum */
	acpi_put8(b, 1);     /* alignment */
	acpi_put8(b, len);   /* range length */
}

void aml_res_irq(struct acpi_buf *b, uint8_t irq)
{
	acpi_put8(b, RES_IRQ_NO_FLAGS);
	acpi_put16(b, (uint16_t)(1u << irq)); /* IRQ mask, irq < 16 */
}

void aml_res_mem32_fixed(struct acpi_buf *b, uint32_t base, uint32_t len)
{
	acpi_put8(b, RES_MEM32_FIXED);
	acpi_put16(b, 9);                /* length: information, base, range length */
	acpi_put8(b, MEM32_READ_WRITE);  /* information: read-write */
	acpi_put32(b, base);             /* range base address */
	acpi_put32(b, len);              /* range length */
}

/* Buffer(16) { the UUID's bytes }, what ToUUID() (19.6.142) compiles to. */
static void put_uuid(struct acpi_buf *b, const char *text)
{
	struct cper_guid u = { { 0 } };

	cper_guid_parse(text, &u); /* the same byte order: first three fields little-endian */
	acpi_put8(b, AML_BUFFER_OP);
	size_t pkg = pkg_begin(b);
	put_int(b, sizeof(u.b)); /* BufferSize */
	acpi_put_bytes(b, u.b, sizeof(u.b));
	aml_end(b, pkg);
}

/* CreateDWordField(Arg3, offset, name) */
static void put_arg3_dword_field(struct acpi_buf *b, unsigned offset, const char *name)
{
	acpi_put8(b, AML_CREATE_DWORD_FIELD_OP);
	acpi_put8(b, AML_ARG0 + 3);
	put_int(b, offset);
	put_name(b, name);
}

/* If (Arg0 == ToUUID(uuid)) { ... }: returns the If's package for aml_end(). */
static size_t if_arg0_is(struct acpi_buf *b, const char *uuid)
{
	acpi_put8(b, AML_IF_OP);
	size_t pkg = pkg_begin(b);
	acpi_put8(b, AML_LEQUAL_OP);
	acpi_put8(b, AML_ARG0);
	put_uuid(b, uuid);
	return pkg;
}

/* Or(name, value, name), i.e. name |= value */
static void put_or_into(struct acpi_buf *b, const char *name, uint64_t value)
{
	acpi_put8(b, AML_OR_OP);
	put_name(b, name);
	put_int(b, value);
	put_name(b, name);
}

/* 6.2.11.2 Platform-Wide _OSC Capabilities DWORD 2, bit 4: APEI Support. */
#define OSC_SB_APEI_SUPPORT      0x10
/* 6.2.11 _OSC Capabilities Buffer DWORD 1 (status) bits. */
#define OSC_UNRECOGNIZED_UUID    0x04
#define OSC_CAPABILITIES_MASKED  0x10

void aml_osc_apei(struct acpi_buf *b)
{
	size_t osc = aml_method_begin(b, "_OSC", 4);

	put_arg3_dword_field(b, 0, "CDW1");
	size_t platform = if_arg0_is(b, "0811B06E-4A27-44F9-8D60-3CBBC22E7B48");
	put_arg3_dword_field(b, 4, "CDW2");
	/* Local0 = CDW2 & APEI; If (Local0 != CDW2) { CDW1 |= masked }; CDW2 = Local0 */
	acpi_put8(b, AML_AND_OP);
	put_name(b, "CDW2");
	put_int(b, OSC_SB_APEI_SUPPORT);
	acpi_put8(b, AML_LOCAL0);
	acpi_put8(b, AML_IF_OP);
	size_t masked = pkg_begin(b);
	acpi_put8(b, AML_LNOT_OP);
	acpi_put8(b, AML_LEQUAL_OP);
	acpi_put8(b, AML_LOCAL0);
	put_name(b, "CDW2");
	put_or_into(b, "CDW1", OSC_CAPABILITIES_MASKED);
	aml_end(b, masked);
	acpi_put8(b, AML_STORE_OP);
	acpi_put8(b, AML_LOCAL0);
	put_name(b, "CDW2");
	acpi_put8(b, AML_RETURN_OP);
	acpi_put8(b, AML_ARG0 + 3);
	aml_end(b, platform);
	/* Microsoft's WHEA _OSC: asked for by Linux's apei_osc_setup(); nothing to negotiate. */
	size_t whea = if_arg0_is(b, "ED855E0C-6C90-47BF-A62A-26DE0FC5AD5C");
	acpi_put8(b, AML_RETURN_OP);
	acpi_put8(b, AML_ARG0 + 3);
	aml_end(b, whea);
	put_or_into(b, "CDW1", OSC_UNRECOGNIZED_UUID);
	acpi_put8(b, AML_RETURN_OP);
	acpi_put8(b, AML_ARG0 + 3);
	aml_end(b, osc);
}
