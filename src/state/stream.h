/* SPDX-License-Identifier: MIT */
/*
 * The snapshot and migration stream: the same bytes in a file (migrate file:PATH) and on a
 * socket (unix:, tcp:). docs/migration.md has the format; in short:
 *
 *   preamble  "RASVMST\n", u32 format version, u32 flags (0)            16 bytes
 *   record    u32 tag, u16 version, u16 flags, u32 instance, u32 length,
 *             u32 crc (CRC-32C of the 16 header bytes before it and the payload), payload
 *
 * The first record is HEAD (the compatibility header, text), the last DONE. A section (the
 * state of one subsystem, one instance: a vCPU, a GHES source...) is one record, or several
 * of the same tag, version and instance, each but the last flagged STATE_MORE, so no record
 * is ever longer than STATE_RECORD_MAX however large the state. Integers are little-endian
 * with explicit widths. Everything read is hostile: lengths are bounded before anything is
 * allocated, and every record's CRC is checked before its contents are used (RAM records
 * are checked as their pages land, and a damaged one fails the whole load before any guest
 * code runs).
 *
 * Pure I/O and bytes: no KVM, no VM; the fuzzer and the unit tests drive it from memory.
 */
#ifndef RASVM_STATE_STREAM_H
#define RASVM_STATE_STREAM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STATE_MAGIC        "RASVMST\n"
#define STATE_FORMAT       1u          /* the format this rasvm writes and the newest it reads */
#define STATE_PREAMBLE     16u
#define STATE_REC_HDR      20u
#define STATE_MORE         0x0001u     /* record flag: the section continues in the next record */
#define STATE_RECORD_MAX   (2u << 20)  /* no record's payload is longer (RAM: 8 + 256 * 4104) */
#define STATE_SECTION_CHUNK (256u << 10) /* sections are cut into records of about this much */

/* A tag is four characters, stored so the file shows them in order. */
#define STATE_TAG(a, b, c, d) \
	((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)
#define TAG_HEAD STATE_TAG('H', 'E', 'A', 'D')
#define TAG_DONE STATE_TAG('D', 'O', 'N', 'E')
#define TAG_RAM  STATE_TAG('R', 'A', 'M', 'P')

/* "RASS" for printing; buf holds 5 bytes, unprintable bytes become '?'. */
const char *state_tag_name(uint32_t tag, char buf[5]);

/* ---- Writing ---- */

struct state_out {
	int fd;                 /* -1: keep everything in buf (tests) */
	bool is_socket;         /* send(MSG_NOSIGNAL): a gone peer is an error, not SIGPIPE */
	uint8_t *buf;
	size_t len, cap;
	size_t rec;             /* offset of the open record's header in buf; SIZE_MAX: none */
	uint32_t tag, instance;
	uint16_t version;
	uint64_t bytes;         /* handed to the fd so far */
	uint64_t records;       /* records closed so far */
	int err;                /* the first error, -errno; sticky */
	char why[160];
	/* Pacing and cancellation, for migrate.c (0 / NULL: none). */
	uint64_t max_bps;
	uint64_t paced_bytes, paced_since_ns;
	atomic_bool *cancel;
};

int out_init(struct state_out *o, int fd);
void out_free(struct state_out *o);
/* The preamble. */
void out_preamble(struct state_out *o);
/* Open a section; it ends with out_end. */
void out_begin(struct state_out *o, uint32_t tag, uint16_t version, uint32_t instance);
void out_u8(struct state_out *o, uint8_t v);
void out_u16(struct state_out *o, uint16_t v);
void out_u32(struct state_out *o, uint32_t v);
void out_u64(struct state_out *o, uint64_t v);
void out_bytes(struct state_out *o, const void *p, size_t n);
/* n (at most STATE_RECORD_MAX / 2) bytes of the open record to fill in place, or NULL after
 * an error. Never split across records. */
void *out_reserve(struct state_out *o, size_t n);
/* Give back the last n bytes reserved and not used. */
void out_unreserve(struct state_out *o, size_t n);
/* Drop the open record (nothing in it is wanted). */
void out_abandon(struct state_out *o);
/* Close the section's last record. */
void out_end(struct state_out *o);
/* Append whole records made by another writer kept in memory (fd -1, nothing open). */
void out_append(struct state_out *o, const struct state_out *records);
/* Write what is complete to the fd. 0 or o->err. */
int out_flush(struct state_out *o);

/* ---- Reading ---- */

struct state_in;
/* Wait until fd has bytes: 0, or -errno (-ECANCELED, -ETIMEDOUT) with why set. */
typedef int (*state_wait_fn)(struct state_in *in, void *arg);

struct state_in {
	int fd;                 /* -1: read from mem */
	const uint8_t *mem;
	size_t mem_len, mem_pos;
	state_wait_fn wait;     /* before each read(2) of fd, when set */
	void *wait_arg;
	uint8_t *ahead;         /* read-ahead for fd */
	size_t ahead_pos, ahead_len;
	/* The current record. */
	uint32_t tag, instance, length, crc_want, crc;
	uint16_t version, flags;
	size_t left;            /* payload bytes not read yet */
	uint8_t *pay;           /* in_payload: the whole payload (STATE_RECORD_MAX bytes) */
	size_t pay_len, pay_pos;
	bool in_section;
	uint64_t bytes, records;
	int err;
	char why[256];
};

int in_init_fd(struct state_in *i, int fd);
void in_init_mem(struct state_in *i, const void *data, size_t len);
void in_free(struct state_in *i);
/* Fail with a reason (the first one sticks); returns -1. */
int in_fail(struct state_in *i, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The preamble: 0, or -1 naming what is wrong (not a snapshot, format too new). */
int in_preamble(struct state_in *i, uint32_t *format);
/* The next record's header (its length bounded by STATE_RECORD_MAX). 0 or -1. */
int in_header(struct state_in *i);
/* Raw payload bytes of the current record into dst (n <= i->left), CRC accumulated. */
int in_raw(struct state_in *i, void *dst, size_t n);
/* After the last in_raw of a record: the CRC must match. */
int in_crc_check(struct state_in *i);
/* The rest of the current record into i->pay, CRC checked. */
int in_payload(struct state_in *i);

/* A section whose first record's header in_header just read: its payload, then values
 * across its continuation records (same tag, version and instance, or the load fails). */
int in_section_begin(struct state_in *i);
int in_u8(struct state_in *i, uint8_t *v);
int in_u16(struct state_in *i, uint16_t *v);
int in_u32(struct state_in *i, uint32_t *v);
int in_u64(struct state_in *i, uint64_t *v);
int in_bytes(struct state_in *i, void *dst, size_t n);
/* The section must be used up exactly: no bytes left, no record to follow. */
int in_section_end(struct state_in *i);

#endif
