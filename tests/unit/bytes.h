/* SPDX-License-Identifier: MIT */
/* Reading back what the code under test wrote, independently of its own helpers. */
#ifndef TESTS_UNIT_BYTES_H
#define TESTS_UNIT_BYTES_H

#include <stddef.h>
#include <stdint.h>

/* A little-endian field of width 1 to 8 bytes (wider would shift a uint64_t by 64 or more). */
static inline uint64_t rd(const uint8_t *p, int width)
{
	uint64_t v = 0;
	for (int i = 0; i < width; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* The ACPI checksum rule: every byte of a table sums to 0 (mod 256). */
static inline uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;
	while (n--)
		s = (uint8_t)(s + *p++);
	return s;
}

#endif
