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
#define GCPER_MAX_SECTIONS 512 /* sections kept for printing (a 64 KiB block holds at most 862) */

/* What a section is, by its type GUID. */
enum { GSEC_OTHER, GSEC_MEMORY, GSEC_ARM, GSEC_PROC_GENERIC, GSEC_PCIE, GSEC_PROC_IA };

struct gcper_section {
	uint32_t entry;    /* offset of its Generic Error Data Entry in the block */
	uint32_t header;   /* 64, or 72 from revision 3 */
	uint32_t length;   /* Error Data Length */
	uint32_t severity;
	uint8_t kind;      /* GSEC_* */
};

struct gcper_result {
	uint32_t severity;   /* of the block */
	uint32_t sections;
	uint32_t mem_count;  /* memory sections with a valid physical address (first GCPER_MAX_MEM kept) */
	uint64_t mem_addr[GCPER_MAX_MEM];
	uint32_t mem_severity[GCPER_MAX_MEM];
	uint8_t mem_type[GCPER_MAX_MEM]; /* 0xff: type not valid */
	struct gcper_section sec[GCPER_MAX_SECTIONS]; /* the first GCPER_MAX_SECTIONS of sections */
};

/* 0 when the block is one Linux would accept; 1 when block_status is 0 (empty); -1 when
 * malformed, with *why naming the rule broken. blk_len is the source's block length. */
int gcper_read(const uint8_t *blk, uint32_t blk_len, struct gcper_result *r, const char **why);

/* The lines Linux prints for a block gcper_read accepted (cper_estatus_print, as
 * __ghes_print_estatus prefixes them: "{seq}[Hardware Error]: "), one call of out per line
 * without its newline. ARM sections as arm64 Linux prints them. */
typedef void (*gcper_out)(void *ctx, const char *line);
void gcper_print(const uint8_t *blk, const struct gcper_result *r, unsigned seq, unsigned source,
		 gcper_out out, void *ctx);

/* Section severity and name, as Linux's cper_severity_str(). */
const char *gcper_severity(uint32_t sev);

#endif
