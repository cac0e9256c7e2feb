/* SPDX-License-Identifier: MIT */
/*
 * Guest RAS at run time: host memory errors (real SIGBUS, or the simulator) become entries in
 * the poison table and reports to the guest by machine check or GHES, as the policy says.
 *
 *   sigbus.c  the handler: stash {code, addr, lsb} and kick; nothing else on the signal path
 *   ras.c     the work, on the vCPU thread (AR) or the main thread (AO): pages, table, route
 *   policy.c  which notification          mce.c  machine-check records and injection
 *   ghes.c    GHES blocks behind the read-ack gate, the queue, notifications, the ack trap
 *   sim.c     the host poison simulator    poison.c  the table
 *
 * One lock (ras->lock) covers the table, the GHES state and the counters: errors are rare,
 * and one lock keeps the order of events obvious.
 */
#ifndef RASVM_RAS_RAS_H
#define RASVM_RAS_RAS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "acpi/hest.h"
#include "ras/mce.h"
#include "ras/poison.h"
#include "ras/policy.h"

struct vm;
struct vcpu;


/* A record waiting for its source's block to be free: a memory error rasvm encodes, or a
 * whole status block a client supplied (inject-ghes-v2-error), checked already. */
struct ghes_pending {
	uint64_t gpa;
	bool action_required;
	uint8_t *raw;      /* malloc'd, or NULL */
	uint32_t raw_len;
};

struct ghes_runtime {
	bool enabled;
	uint64_t block_gpa;
	uint8_t *block;           /* host view of the status block (guest RAM) */
	uint64_t ack;             /* the read-ack register: 1 free, 0 a record awaits the guest */
	struct ghes_pending *queue;
	uint32_t head, count;     /* ring of ras->queue_cap entries */
	uint64_t *in_block;       /* pages of the records in the block now, to mark acknowledged */
	uint32_t in_block_count;
	uint32_t in_block_records; /* records in the block now (a client's block may hold several) */
	uint64_t notifications, records, acks, overflowed;
};

struct ras_counters {
	uint64_t received_ar, received_ao;  /* host errors (signals) */
	uint64_t outside_ram;               /* AO errors outside guest RAM, ignored */
	uint64_t pages;                     /* guest pages named by errors (a granule can name many) */
	uint64_t via_mce;                   /* reports by machine check */
	uint64_t via_ghes[RAS_SOURCES_MAX]; /* records written to each GHES source's block */
	uint64_t acknowledged;              /* GHES records the guest acknowledged */
	uint64_t overflowed;                /* records that found their source's queue full */
	uint64_t dropped;                   /* AO the guest could not take (MCIP set, no route) */
	uint64_t lost;                      /* errors rasvm failed to record at all: must stay 0 */
	uint64_t resets;                    /* guest resets forced by a machine check it could not take */
	uint64_t recovered;                 /* poisoned pages replaced by healthy memory at resets */
};

/* Timing for make bench: SIGBUS to the guest handler's first instruction (PORT_MARK). */
#define RAS_LATENCY_SAMPLES_MAX 1000000
/* A growing list of nanosecond values, at most RAS_LATENCY_SAMPLES_MAX kept. */
struct ns_series {
	uint64_t *ns;
	uint32_t count, cap;
};

struct ras_timing {
	uint64_t pending_ns;      /* SIGBUS time of the error whose handler has not run yet */
	struct ns_series latency; /* SIGBUS -> handler's first instruction */
	uint64_t first_error_ns, last_ack_ns;
	struct ns_series marks;   /* every mark, for benchmarks that time from their own clock */
};

struct ras {
	struct vm *vm;
	pthread_mutex_t lock;
	enum ras_policy policy;
	struct ras_sources sources;
	uint32_t queue_cap;
	bool amd_guest;
	bool intel_broadcast;      /* Intel family 6: every vCPU sees a machine check */
	struct poison_table table;
	struct ghes_runtime ghes[RAS_SOURCES_MAX];
	struct ras_counters n;
	struct ras_timing timing;
};

int ras_init(struct vm *vm);
void ras_exit(struct vm *vm);
/* After a reset: the poisoned pages were replaced, so forget them; GHES starts free again. */
void ras_reset(struct vm *vm);

/* The work for one host memory error (from the SIGBUS handler's queue). vcpu is the thread
 * that got an action-required error, NULL for the main thread. */
void ras_host_error(struct vm *vm, struct vcpu *vcpu, int code, void *addr, unsigned lsb,
		    uint64_t t_ns);
/* The guest's NMI or #MC handler started (its first instruction wrote PORT_MARK). */
void ras_mark(struct vm *vm, uint64_t t_ns);
/* Drain the SIGBUS events stashed for this thread (vcpu) or for the process (vcpu NULL). */
void ras_drain(struct vm *vm, struct vcpu *vcpu);

/* Act on VCPU_REQ_MCE / VCPU_REQ_NMI, on the vCPU's own thread. */
void ras_vcpu_requests(struct vcpu *v, unsigned req);

/* GHES register page accesses (trapped as MMIO); true when gpa is in it. */
bool ghes_mmio(struct vm *vm, struct vcpu *vcpu, uint64_t gpa, bool is_write, uint8_t *data,
	       unsigned len);
/* inject-ghes-v2-error: a caller's status block, checked with the decoder first (why says
 * what failed). 0, -EINVAL, -ENOENT (no such source), -ENOSPC (queue full). */
int ghes_inject_raw(struct ras *ras, unsigned id, const uint8_t *blk, size_t len, char *why,
		    size_t whylen);
/* The simulator through the control socket: gpa's granule goes bad; action required means a
 * vCPU touches it now (vCPU 0), else the host reports it at once. 0 or -errno. */
int ras_inject_host_error(struct vm *vm, uint64_t gpa, bool action_required, unsigned lsb);
/* x-inject-mce: a raw machine check for one vCPU, optionally broadcast. */
int ras_inject_mce(struct vm *vm, unsigned cpu, const struct mce_record *r, bool broadcast);

/* Queue a record for a source and write what fits if the block is free. Lock held. */
void ghes_submit(struct ras *ras, unsigned id, uint64_t gpa, bool action_required, struct vcpu *vcpu);
int ghes_init(struct ras *ras);
void ghes_exit(struct ras *ras);
void ghes_reset(struct ras *ras);

/* "key value" lines for --stats: counters, latency percentiles, storm timing. */
void ras_stats(struct ras *ras, FILE *f);

/* Print the summary of what happened (rasvm: lines on stderr). */
void ras_summary(struct vm *vm);

#endif
