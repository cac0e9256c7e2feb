/* SPDX-License-Identifier: MIT */
/*
 * Which guest pages changed since they were sent, for pre-copy rounds:
 *  - kvm: KVM's dirty page log (KVM_GET_DIRTY_LOG on every memory slot), plus the pages rasvm
 *    itself wrote with mem_write() (KVM logs only the guest's writes);
 *  - hash: where KVM keeps no log, a 64-bit content hash per page, recorded as each page is
 *    sent and compared at each round (every present page is read again each round: slower,
 *    and a change that keeps the hash would be missed, about 2^-64 per page and round).
 * Pages rasvm writes directly in its GHES blocks are sent in the last round under the RAS
 * lock whatever the tracker says (state/migrate.c).
 */
#ifndef RASVM_STATE_DIRTY_H
#define RASVM_STATE_DIRTY_H

#include <stdbool.h>
#include <stdint.h>

#include "kvm/mem.h"

struct vm;
struct ram_out;

enum dirty_mode { DIRTY_KVM, DIRTY_HASH };

struct dirty {
	struct vm *vm;
	enum dirty_mode mode;
	bool started;
	uint64_t *slot_log[MEM_MAX_REGIONS]; /* KVM_GET_DIRTY_LOG buffers */
	uint64_t *hash;                      /* DIRTY_HASH: per page, what was sent */
	size_t hash_bytes;
	int pagemap;
	uint8_t *scratch;                    /* DIRTY_HASH: pages read to compare */
	char why[160];
};

/* Start tracking; with DIRTY_HASH, r->hash is pointed at the table the sender fills. */
int dirty_start(struct dirty *d, struct vm *vm, enum dirty_mode mode, struct ram_out *r);
/* Set in 'set' every page written since the last call; *count: how many. 0 or -errno. */
int dirty_collect(struct dirty *d, struct page_bits *set, uint64_t *count);
void dirty_stop(struct dirty *d);

#endif
