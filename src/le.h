/* SPDX-License-Identifier: MIT */
/*
 * Little-endian loads and stores of 1 to 8 bytes. Everything rasvm shares with a guest or
 * reads from a file (ACPI tables, CPER records, ELF headers, the boot-info page, the test
 * port's blocks, boot page tables) is little-endian, and may sit at any alignment.
 */
#ifndef RASVM_LE_H
#define RASVM_LE_H

#include <stdint.h>

static inline uint64_t le_get(const uint8_t *p, unsigned width)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < width; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static inline void le_put(uint8_t *p, uint64_t v, unsigned width)
{
	for (unsigned i = 0; i < width; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

#endif
