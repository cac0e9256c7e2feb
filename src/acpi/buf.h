/* SPDX-License-Identifier: MIT */
/*
 * Little-endian byte writer for firmware tables: bytes in, bytes out, no KVM, no globals.
 * A buffer knows the guest physical address of its first byte so tables can point at each
 * other. Writes past the capacity are dropped and remembered; acpi_buf_error() reports them
 * once at the end instead of every caller checking every write.
 */
#ifndef RASVM_ACPI_BUF_H
#define RASVM_ACPI_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct acpi_buf {
	uint8_t *data;
	size_t cap;
	size_t len;
	uint64_t gpa; /* guest physical address of data[0] */
	bool overflow;
};

void acpi_buf_init(struct acpi_buf *b, uint8_t *data, size_t cap, uint64_t gpa);
/* 0 when every write fitted, -ENOSPC otherwise. */
int acpi_buf_error(const struct acpi_buf *b);

size_t acpi_put8(struct acpi_buf *b, uint8_t v);
size_t acpi_put16(struct acpi_buf *b, uint16_t v);
size_t acpi_put32(struct acpi_buf *b, uint32_t v);
size_t acpi_put64(struct acpi_buf *b, uint64_t v);
size_t acpi_put_bytes(struct acpi_buf *b, const void *p, size_t n);
/* Copy exactly n characters of s, padding with spaces (ACPI ids are space-padded). */
size_t acpi_put_id(struct acpi_buf *b, const char *s, size_t n);
size_t acpi_put_zeros(struct acpi_buf *b, size_t n);
void acpi_align(struct acpi_buf *b, size_t align);
/* Overwrite bytes already written (for back-patching pointers and lengths). */
void acpi_set8(struct acpi_buf *b, size_t off, uint8_t v);
void acpi_set16(struct acpi_buf *b, size_t off, uint16_t v);
void acpi_set32(struct acpi_buf *b, size_t off, uint32_t v);
void acpi_set64(struct acpi_buf *b, size_t off, uint64_t v);
uint64_t acpi_gpa_of(const struct acpi_buf *b, size_t off);

/* 5.2.3.2 Generic Address Structure. */
size_t acpi_put_gas(struct acpi_buf *b, uint8_t space, uint8_t bit_width, uint8_t bit_offset,
		    uint8_t access_size, uint64_t address);

/* 5.2.6: write a header with length and checksum zero; acpi_table_end() fills both. */
size_t acpi_table_begin(struct acpi_buf *b, const char sig[4], uint8_t revision);
void acpi_table_end(struct acpi_buf *b, size_t start);

/* Byte that makes the sum of p[0..n) zero once stored in place of a zero byte. */
uint8_t acpi_checksum(const uint8_t *p, size_t n);

#endif
