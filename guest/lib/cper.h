/* SPDX-License-Identifier: MIT */
/*
 * The test guest's own reader of GHES error status blocks, written from the ACPI and UEFI
 * specifications and Linux's rules, independently of rasvm's encoder (src/acpi/cper.c), so
 * one shared misreading cannot make both sides agree. Freestanding: also compiled into a
 * host unit test that feeds it the same broken records as rasvm's decoder.
 */
#ifndef GUEST_CPER_H
#define GUEST_CPER_H

#include <stddef.h>
#include <stdint.h>

#define GCPER_MAX_MEM 512 /* a 64 KiB block holds 431 memory records */

struct gcper_result {
	uint32_t severity;   /* of the block */
	uint32_t sections;
	uint32_t mem_count;  /* memory sections with a valid physical address (first GCPER_MAX_MEM kept) */
	uint64_t mem_addr[GCPER_MAX_MEM];
	uint32_t mem_severity[GCPER_MAX_MEM];
	uint8_t mem_type[GCPER_MAX_MEM]; /* 0xff: type not valid */
};

/* 0 when the block is one Linux would accept; 1 when block_status is 0 (empty); -1 when
 * malformed, with *why naming the rule broken. blk_len is the source's block length. */
int gcper_read(const uint8_t *blk, uint32_t blk_len, struct gcper_result *r, const char **why);

#endif
