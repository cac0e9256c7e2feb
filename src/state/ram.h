/* SPDX-License-Identifier: MIT */
/*
 * Guest RAM in the stream: RAMP records of at most RAM_PAGES_PER_RECORD pages, each page
 * named by its guest physical address and kind: its 4096 bytes, zero (the destination
 * clears a page it was sent before), or poisoned (no bytes: the destination makes the page
 * inaccessible to the guest, as the source had it).
 *
 * The source never reads a page rasvm knows is bad (mem.bad), and reads every other page
 * with process_vm_readv(2) on itself: a page that goes bad or is taken away (the
 * simulator's PROT_NONE) while it is being read makes the read fail, never a SIGBUS or
 * SIGSEGV in rasvm. Untouched pages (not present in /proc/self/pagemap) and pages of zeros
 * are never sent unless the destination holds older bytes for them, so a snapshot costs
 * what the guest has written, not its RAM size.
 *
 * Pages are indexed as elsewhere in rasvm (mem.bad, the simulator): by their offset in the
 * host mapping, in 4 KiB pages.
 */
#ifndef RASVM_STATE_RAM_H
#define RASVM_STATE_RAM_H

#include <stdbool.h>
#include <stdint.h>

#include "kvm/mem.h"

#define RAM_PAGES_PER_RECORD 256
#define RAMP_VERSION 1

enum ram_kind {
	RAM_DATA = 0,     /* 4096 bytes follow */
	RAM_ZERO = 1,     /* the page is all zeros now */
	RAM_POISONED = 2, /* lost: inaccessible to the guest until a reset replaces it */
};

struct vm;
struct state_out;
struct state_in;

struct ram_out {
	struct vm *vm;
	struct state_out *o;
	int pagemap;               /* /proc/self/pagemap, -1: every page is read */
	struct page_bits has_data; /* the destination holds non-zero bytes for these pages */
	struct page_bits poison_sent;
	uint64_t *hash;            /* per page: hash of what was sent (content tracking), or NULL */
	/* The batch being gathered. */
	uint64_t batch[RAM_PAGES_PER_RECORD];
	unsigned nbatch;
	bool force;                /* this batch's pages go whatever pagemap says (a range) */
	/* Called every 16 records (query-migrate's figures move during a round), may be NULL. */
	void (*progress)(void *arg, const struct ram_out *r);
	void *progress_arg;
	/* Counters (QEMU's query-migrate names in migrate.c). */
	uint64_t data_pages, zero_pages, poisoned_pages, records;
	uint64_t unreadable;       /* of the poisoned: pages rasvm could not read nor knew bad */
	int err;
	char why[160];
};

int ram_out_init(struct ram_out *r, struct vm *vm, struct state_out *o);
void ram_out_free(struct ram_out *r);
/* The first round: every page with bytes in it (untouched and zero pages are skipped). */
int ram_send_all(struct ram_out *r);
/* The pages set in 'pages' (host page indexes). */
int ram_send_set(struct ram_out *r, const struct page_bits *pages);
/* Every page rasvm knows bad (mem.bad) that the destination was not told of yet. How many. */
int ram_send_poisoned(struct ram_out *r, uint64_t *count);
/* [gpa, gpa + len) with its bytes, bad or not (rasvm's GHES blocks: always readable). */
int ram_send_range(struct ram_out *r, uint64_t gpa, uint64_t len);

/* A page's content hash: 0 for a page of zeros. */
uint64_t ram_page_hash(const void *page);
/* Read npages pages from guest RAM at host index first into dst without ever faulting on a
 * bad page; returns how many were read before the first that could not be. */
unsigned ram_read_pages(struct vm *vm, uint64_t first, unsigned npages, uint8_t *dst);

struct ram_in {
	struct vm *vm;
	struct page_bits poisoned; /* pages the stream said are poisoned */
	uint64_t data_pages, zero_pages, poisoned_pages;
};

int ram_in_init(struct ram_in *r, struct vm *vm);
void ram_in_free(struct ram_in *r);
/* A RAMP record whose header in_header() just read: pages straight into guest RAM, then
 * the record's CRC. 0 or -1 (in->why). */
int ram_load_record(struct ram_in *r, struct state_in *in);
/* At the end of the load: make every poisoned page inaccessible as the simulator does
 * (the guest's next access is reported again). How many could not be (0 expected). */
unsigned ram_apply_poison(struct ram_in *r);

#endif
