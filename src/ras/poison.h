/* SPDX-License-Identifier: MIT */
/*
 * The poison table: every guest page a host memory error has hit, with its state. Pure
 * data (no KVM, no locking: the caller holds the RAS lock), so it can be serialised with
 * the VM and unit-tested anywhere.
 */
#ifndef RASVM_RAS_POISON_H
#define RASVM_RAS_POISON_H

#include <stdbool.h>
#include <stdint.h>

enum poison_state {
	POISON_NEW,          /* recorded, not yet told to the guest */
	POISON_REPORTED,     /* delivered (machine check, or a GHES record the guest was notified of) */
	POISON_ACKNOWLEDGED, /* the guest acknowledged the GHES record that carried it */
	POISON_RECOVERED,    /* replaced by healthy memory (guest reset) */
};

/* How a page's error was last delivered (bit set) */
#define POISON_VIA_MCE         (1u << 0)
#define POISON_VIA_GHES_SYNC   (1u << 1)
#define POISON_VIA_GHES_ASYNC  (1u << 2)
#define POISON_VIA_GHES_POLLED (1u << 3)

struct poison_entry {
	uint64_t gpa;          /* page-aligned; UINT64_MAX marks a free slot */
	enum poison_state state;
	bool action_required;  /* the last error on it was AR (else AO) */
	/* Poisoned for real as "action required" (ras_host_poison): the host kernel's immediate
	 * action-optional signal for it is held back; the guest's own access reports it. */
	bool await_access;
	/* Poisoned for real as "action optional" and reported by rasvm at once: the host
	 * kernel's signal for it, if it comes, is a repeat. */
	bool self_reported;
	unsigned via;          /* POISON_VIA_* of every delivery so far */
	uint32_t errors;       /* host errors that named this page */
	uint32_t reports;      /* times it was reported to the guest (repeat accesses re-report) */
};

struct poison_table {
	struct poison_entry *slot;
	uint32_t capacity;     /* power of two */
	uint32_t count;
};

void poison_init(struct poison_table *t);
void poison_free(struct poison_table *t);
/* The entry for the page holding gpa, created as POISON_NEW if absent; NULL when memory for
 * the table cannot be had (-ENOMEM for the caller to count). *created says which. */
struct poison_entry *poison_get(struct poison_table *t, uint64_t gpa, bool *created);
struct poison_entry *poison_find(const struct poison_table *t, uint64_t gpa);
/* Forget every page (after a reset replaced them). */
void poison_clear(struct poison_table *t);
const char *poison_state_name(enum poison_state s);

#endif
