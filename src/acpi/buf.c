// SPDX-License-Identifier: MIT
#include "acpi/buf.h"

#include <errno.h>
#include <string.h>

#include "acpi/spec.h"
#include "le.h"

void acpi_buf_init(struct acpi_buf *b, uint8_t *data, size_t cap, uint64_t gpa)
{
	b->data = data;
	b->cap = cap;
	b->len = 0;
	b->gpa = gpa;
	b->overflow = false;
}

int acpi_buf_error(const struct acpi_buf *b)
{
	return b->overflow ? -ENOSPC : 0;
}

/* Reserve n bytes; NULL (and the overflow flag) when they do not fit. */
static uint8_t *reserve(struct acpi_buf *b, size_t n, size_t *off)
{
	*off = b->len;
	if (b->overflow || n > b->cap - b->len) {
		b->overflow = true;
		return NULL;
	}
	b->len += n;
	return b->data + *off;
}

static size_t put_le(struct acpi_buf *b, uint64_t v, size_t width)
{
	size_t off;
	uint8_t *p = reserve(b, width, &off);

	if (p)
		le_put(p, v, (unsigned)width);
	return off;
}

size_t acpi_put8(struct acpi_buf *b, uint8_t v) { return put_le(b, v, 1); }
size_t acpi_put16(struct acpi_buf *b, uint16_t v) { return put_le(b, v, 2); }
size_t acpi_put32(struct acpi_buf *b, uint32_t v) { return put_le(b, v, 4); }
size_t acpi_put64(struct acpi_buf *b, uint64_t v) { return put_le(b, v, 8); }

size_t acpi_put_bytes(struct acpi_buf *b, const void *src, size_t n)
{
	size_t off;
	uint8_t *p = reserve(b, n, &off);

	if (p && n)
		memcpy(p, src, n);
	return off;
}

size_t acpi_put_id(struct acpi_buf *b, const char *s, size_t n)
{
	size_t off;
	uint8_t *p = reserve(b, n, &off);
	size_t i = 0;

	if (!p)
		return off;
	for (; i < n && s[i]; i++)
		p[i] = (uint8_t)s[i];
	for (; i < n; i++)
		p[i] = ' ';
	return off;
}

size_t acpi_put_zeros(struct acpi_buf *b, size_t n)
{
	size_t off;
	uint8_t *p = reserve(b, n, &off);

	if (p)
		memset(p, 0, n);
	return off;
}

void acpi_align(struct acpi_buf *b, size_t align)
{
	size_t rem = b->len % align;

	if (rem)
		acpi_put_zeros(b, align - rem);
}

static void set_le(struct acpi_buf *b, size_t off, uint64_t v, size_t width)
{
	if (off > b->len || width > b->len - off) {
		b->overflow = true;
		return;
	}
	le_put(b->data + off, v, (unsigned)width);
}

void acpi_set8(struct acpi_buf *b, size_t off, uint8_t v) { set_le(b, off, v, 1); }
void acpi_set16(struct acpi_buf *b, size_t off, uint16_t v) { set_le(b, off, v, 2); }
void acpi_set32(struct acpi_buf *b, size_t off, uint32_t v) { set_le(b, off, v, 4); }
void acpi_set64(struct acpi_buf *b, size_t off, uint64_t v) { set_le(b, off, v, 8); }

uint64_t acpi_gpa_of(const struct acpi_buf *b, size_t off)
{
	return b->gpa + off;
}

size_t acpi_put_gas(struct acpi_buf *b, uint8_t space, uint8_t bit_width, uint8_t bit_offset,
		    uint8_t access_size, uint64_t address)
{
	size_t off = acpi_put8(b, space); /* Address Space ID */
	acpi_put8(b, bit_width);          /* Register Bit Width */
	acpi_put8(b, bit_offset);         /* Register Bit Offset */
	acpi_put8(b, access_size);        /* Access Size */
	acpi_put64(b, address);           /* Address */
	return off;
}

size_t acpi_table_begin(struct acpi_buf *b, const char sig[4], uint8_t revision)
{
	size_t start = acpi_put_id(b, sig, 4);      /* Signature */
	acpi_put32(b, 0);                            /* Length, filled by acpi_table_end */
	acpi_put8(b, revision);                      /* Revision */
	acpi_put8(b, 0);                             /* Checksum, filled by acpi_table_end */
	acpi_put_id(b, ACPI_OEM_ID, 6);              /* OEMID */
	acpi_put_id(b, ACPI_OEM_TABLE_ID, 8);        /* OEM Table ID */
	acpi_put32(b, 1);                            /* OEM Revision */
	acpi_put_id(b, ACPI_CREATOR_ID, 4);          /* Creator ID */
	acpi_put32(b, ACPI_CREATOR_REVISION);        /* Creator Revision */
	return start;
}

void acpi_table_end(struct acpi_buf *b, size_t start)
{
	if (b->overflow || start + ACPI_HDR_SIZE > b->len)
		return;
	size_t len = b->len - start;

	acpi_set32(b, start + ACPI_HDR_LENGTH, (uint32_t)len);
	acpi_set8(b, start + ACPI_HDR_CHECKSUM, 0);
	acpi_set8(b, start + ACPI_HDR_CHECKSUM, acpi_checksum(b->data + start, len));
}

uint8_t acpi_checksum(const uint8_t *p, size_t n)
{
	uint8_t sum = 0;

	for (size_t i = 0; i < n; i++)
		sum = (uint8_t)(sum + p[i]);
	return (uint8_t)(0 - sum);
}
