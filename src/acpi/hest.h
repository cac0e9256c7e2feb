/* SPDX-License-Identifier: MIT */
/*
 * The Hardware Error Source Table with GHESv2 sources, and the error region behind it:
 * per source id an error-block-address register, a read-ack register and an error status
 * block. Bytes in, bytes out: the caller says where the region lives in guest memory.
 *
 * Source ids never change meaning once published (they are migration ABI), so every id has
 * fixed slots in the region whether or not the source is enabled. The registers' values
 * (block address; ack 1 = free, 0 = record pending) are the VMM's to serve:
 *
 *   region + 0x000 + 8*id   u64 error-block-address register (holds the block's address)
 *   region + 0x100 + 8*id   u64 read-ack register (1 = free, 0 = record pending)
 *   region + 0x1000 + id*block_length   error status block
 */
#ifndef RASVM_ACPI_HEST_H
#define RASVM_ACPI_HEST_H

#include <stdint.h>

#include "acpi/buf.h"

/* What each id is for; how the guest is notified is the architecture's (struct hest_notify). */
enum ras_source_id {
	RAS_SOURCE_SYNC = 0,   /* synchronous errors: NMI on x86, SEA on arm64 */
	RAS_SOURCE_ASYNC = 1,  /* asynchronous errors, raised through the GED: SCI on x86, GSIV on arm64 */
	RAS_SOURCE_POLLED = 2, /* polled by the guest every poll_ms */
	RAS_SOURCES_MAX = 3,
};

#define GHES_REGION_ACK_OFFSET   0x100
#define GHES_REGION_BLOCKS       0x1000
#define GHES_BLOCK_MIN           1024   /* room for several 172-byte memory records */
#define GHES_BLOCK_MAX           65536  /* Linux warns about larger blocks */
#define GHES_BLOCK_DEFAULT       4096
#define GHES_POLL_DEFAULT_MS     1000
/* Memory-error records per status block by default: one, as firmware-first platforms (and
 * QEMU) write. Linux's GHES code queues each record's page in memory_failure_queue(), which
 * holds 16 per CPU and drops the rest ("buffer overflow when queuing memory failure"): a
 * block packed with 26 records lost pages under a storm (tests/kvm/linux_ras.sh). */
#define GHES_RECORDS_DEFAULT     1
#define GHES_POLL_MAX_MS         3600000
#define RAS_SOURCES_DEFAULT      ((1u << RAS_SOURCE_SYNC) | (1u << RAS_SOURCE_ASYNC) | (1u << RAS_SOURCE_POLLED))

struct ras_sources {
	uint32_t mask;         /* bit per enum ras_source_id */
	uint32_t block_length; /* bytes per error status block */
	uint32_t poll_ms;      /* poll interval of RAS_SOURCE_POLLED */
	uint32_t records_max;  /* memory-error records per block (the HEST's Max Sections Per
				* Record); 0: as many as fit */
};

const char *ras_source_name(unsigned id);
/* "sync,async,polled", "none", any subset; -EINVAL for an unknown name. */
int ras_sources_parse(const char *list, uint32_t *mask);
/* -EINVAL with the reason when block length or poll interval are out of range. */
int ras_sources_check(const struct ras_sources *s, const char **why);

/* How many memory-error records rasvm puts into one block: records_max, or as many as fit. */
uint32_t ghes_records_per_block(const struct ras_sources *s);

/* Bytes of the error region the sources need from the region's base. */
uint64_t ghes_region_size(const struct ras_sources *s);
uint64_t ghes_address_register(uint64_t region, unsigned id);
uint64_t ghes_ack_register(uint64_t region, unsigned id);
uint64_t ghes_block(uint64_t region, const struct ras_sources *s, unsigned id);

/* 18.3.2.9 Hardware Error Notification Structure: how the guest learns of a record. */
struct hest_notify {
	uint8_t type;    /* NOTIFY_* (spec.h, Table 18.15) */
	uint32_t vector; /* the interrupt for NOTIFY_EXTERNAL and NOTIFY_GSIV, else 0 */
};

/*
 * Write the HEST: one GHESv2 entry per enabled source, notified as notify[id] says (the
 * architecture decides: Linux treats only SEA as synchronous). A polled source's Poll
 * Interval is s->poll_ms. Returns the table's offset in b.
 */
size_t hest_build(struct acpi_buf *b, const struct ras_sources *s,
		  const struct hest_notify notify[RAS_SOURCES_MAX], uint64_t region);

#endif
