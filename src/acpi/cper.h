/* SPDX-License-Identifier: MIT */
/*
 * UEFI Common Platform Error Records inside an ACPI Generic Error Status Block (ACPI 6.5
 * 18.3.2.7.1, UEFI 2.10 Appendix N): encode several sections into one block, and decode a
 * block with every check Linux's GHES driver applies, printing the lines Linux prints.
 * No KVM, no globals, no logging: bytes in, bytes out.
 */
#ifndef RASVM_ACPI_CPER_H
#define RASVM_ACPI_CPER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A GUID as its 16 bytes on the wire (the first three fields little-endian). */
struct cper_guid {
	uint8_t b[16];
};
extern const struct cper_guid CPER_SEC_PLATFORM_MEM; /* A5BC1114-6F64-4EDE-B863-3E83ED7C83B1 */
extern const struct cper_guid CPER_SEC_PROC_ARM;     /* E19E3D16-BC11-11E4-9CAA-C2051D5D46B0 */
extern const struct cper_guid CPER_SEC_PCIE;         /* D995E954-BBC1-430F-AD91-B44DCB3C6F35 */
extern const struct cper_guid CPER_SEC_PROC_GENERIC; /* 9876CCAD-47B4-4BDB-B65E-16F193C4F3DB */
extern const struct cper_guid CPER_SEC_PROC_IA;      /* DC3EA0B0-A144-4797-B95B-53FA242B6E1D */

/* Parse "A5BC1114-6F64-4EDE-B863-3E83ED7C83B1"; -EINVAL if malformed. */
int cper_guid_parse(const char *text, struct cper_guid *g);
void cper_guid_format(const struct cper_guid *g, char out[37]);

/* Wall-clock time of an error, stored BCD in the entry's timestamp (UEFI N.2.1.1). */
struct cper_time {
	unsigned year, month, day, hour, minute, second; /* year in full, e.g. 2026 */
	bool precise;
};
uint64_t cper_timestamp(const struct cper_time *t);

/* One memory error (UEFI N.2.5): what rasvm reports when a guest page is lost. */
struct cper_mem_error {
	uint64_t physical_address;
	uint64_t address_mask; /* 0: not reported; else e.g. ~(granule - 1) */
	uint8_t error_type;    /* N.2.5 Memory Error Type: 0 unknown, 3 multi-bit ECC, 14 scrub UE */
};

/* One ARM processor error (UEFI N.2.4.4) with a single error information entry. */
struct cper_arm_error {
	uint64_t mpidr;
	uint64_t midr;
	uint8_t info_type;        /* 0 cache, 1 TLB, 2 bus, 3 micro-architectural */
	uint64_t physical_address; /* fault address, reported when non-zero */
};

/* Builds one Generic Error Status Block in a caller's buffer. */
struct cper_writer {
	uint8_t *buf;
	size_t cap;
	size_t len;
	unsigned entries, ue, ce;
	uint32_t severity; /* of the block: the worst of its sections */
	int error;         /* first error, sticky */
};

/* Start a block (writes the 20-byte header); -ENOSPC when cap is smaller than that. */
int cper_begin(struct cper_writer *w, uint8_t *buf, size_t cap);
/* Append a section. Each returns 0, -ENOSPC (does not fit; the block is unchanged),
 * -E2BIG (1023 entries already) or -EINVAL (bad arguments). time may be NULL. */
int cper_add_memory(struct cper_writer *w, uint32_t severity, const struct cper_mem_error *e,
		    const struct cper_time *time);
int cper_add_arm(struct cper_writer *w, uint32_t severity, const struct cper_arm_error *e,
		 const struct cper_time *time);
/* A caller-supplied section body, checked as the decoder would check it (known types'
 * sizes and layout); unknown section types pass with any non-zero length. */
int cper_add_section(struct cper_writer *w, const struct cper_guid *type, uint32_t severity,
		     const void *data, size_t len, const struct cper_time *time);
/* Fill block_status, data_length and severity; returns the block's length or -errno. */
int cper_finish(struct cper_writer *w);

/* What the decoder found; sections are walked again by cper_section(). */
struct cper_block_info {
	uint32_t block_status;
	uint32_t data_length;
	uint32_t severity;
	unsigned entries; /* sections found (block_status's count can disagree: QEMU writes 0) */
	size_t length;    /* 20 + data_length */
};

struct cper_section_info {
	struct cper_guid type;
	uint32_t severity;
	uint16_t revision;
	uint8_t validation, flags;
	uint32_t data_length;
	size_t header_length; /* 64, or 72 from revision 0x300 */
	const uint8_t *data;  /* the section body, inside the block */
};

/*
 * Validate a block as Linux does before it trusts one (drivers/acpi/apei/ghes.c
 * ghes_read_estatus, drivers/firmware/efi/cper.c cper_estatus_check): returns 0,
 * -ENOENT when block_status is 0 (no error recorded), or -EINVAL naming the failed check
 * in why. block_length is the source's Error Status Block Length.
 */
int cper_check(const uint8_t *p, size_t len, size_t block_length, struct cper_block_info *info,
	       char *why, size_t whylen);
/* The i-th section of a block that passed cper_check. */
int cper_section(const uint8_t *p, const struct cper_block_info *info, unsigned i,
		 struct cper_section_info *s);
/*
 * The lines Linux prints for a block that passed cper_check, prefixed "{seq}[Hardware Error]: ",
 * starting with "Hardware error from APEI Generic Hardware Error Source: <source_id>".
 * Returns the length the text needs (like snprintf).
 */
size_t cper_format(const uint8_t *p, const struct cper_block_info *info, unsigned seq,
		   unsigned source_id, char *out, size_t outlen);
const char *cper_severity_name(uint32_t severity);
const char *cper_mem_error_type_name(uint8_t type);

#endif
