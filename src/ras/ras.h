/* SPDX-License-Identifier: MIT */
/*
 * Guest RAS at run time: host memory errors (real SIGBUS, or the simulator) become entries in
 * the poison table and reports to the guest by machine check or GHES, as the policy says.
 *
 *   sigbus.c  the handler: stash {code, addr, lsb} and kick; nothing else on the signal path
 *   ras.c     the work, on the vCPU thread (AR) or the main thread (AO): pages, table, route,
 *             and the per-vCPU machine-check queues, paced by MCG_STATUS.MCIP
 *   policy.c  which notification          mce.c  machine-check records (pure)
 *   ghes.c    GHES blocks behind the read-ack gate, the queue, notifications, the ack trap
 *   sim.c     the host poison simulator    poison.c  the table
 *
 * Everything that touches KVM goes through struct ras_ops (the architecture's part: x86
 * machine checks, NMIs and interrupt lines today), so the whole core runs in unit tests
 * against a fake.
 *
 * One lock (ras->lock) covers the table, the queues, the GHES state and the counters: errors
 * are rare, and one lock keeps the order of events obvious.
 *
 * The accounting invariant (checked by the tests, shown by query-ras and the summary): every
 * report of a page to the guest ends in exactly one of delivered (by machine check or a GHES
 * record the guest was notified of), queued (waiting: the guest still handles the previous
 * machine check, or its GHES source's block is not acknowledged), overflowed (the queue was
 * full), dropped (with a reason), or lost (rasvm failed: must stay 0):
 *
 *   reports == delivered_mce + sum(delivered_ghes) + queued + overflowed + dropped + lost
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

/* Why a report did not reach the guest. */
enum ras_drop {
	RAS_DROP_POLICY,        /* --ras gives no way to tell the guest (off, or AMD AO) */
	RAS_DROP_MCE_BUSY,      /* the guest kept MCG_STATUS.MCIP set longer than RAS_MCE_WAIT_NS */
	RAS_DROP_MCE_DISABLED,  /* CR4.MCE stayed clear longer than RAS_MCE_WAIT_NS */
	RAS_DROP_BANK_DISABLED, /* the guest disabled the bank (MCG_CTL or MCi_CTL) */
	RAS_DROP_RESET,         /* the guest was reset (the page replaced) before it was told */
	RAS_DROP_COUNT,
};

/* How long a machine check may wait for the guest to be able to take it (MCIP to clear,
 * CR4.MCE to be set) before it goes to a GHES source instead, or is dropped. */
#define RAS_MCE_WAIT_NS     (5ULL * 1000 * 1000 * 1000)
/* Re-check a waiting vCPU after an eighth of the time its machine check has waited, within: */
#define RAS_MCE_POLL_MIN_NS (200ULL * 1000)
#define RAS_MCE_POLL_MAX_NS (50ULL * 1000 * 1000)
/* Machine checks that may wait per vCPU (a 1 GiB granule under --ras mce is 262144 pages:
 * beyond this they are counted overflowed, as GHES records beyond --ras-queue are). */
#define RAS_MCE_QUEUE_MAX   (1u << 20)
/* The same vCPU faulting on the same page at the same instruction this often in a row,
 * after being told each time by machine check, is a guest that cannot make progress. */
#define RAS_REPEAT_RESET    64

/* A report on its way: what a queue holds. */
struct ras_report {
	uint64_t gpa;
	bool action_required;
	int vcpu;          /* the vCPU that touched the page (AR), else -1 */
};

/* A machine check waiting for its vCPU to be able to take it. */
struct mce_item {
	struct mce_record record;
	struct ras_report report;   /* gpa 0 and kind below for what is not a page's report */
	enum { MCE_PAGE, MCE_PAGE_PRIMARY, MCE_BROADCAST, MCE_RAW } kind;
};

struct mce_queue {
	struct mce_item *item;
	uint32_t head, count, cap;
	/* When the guest last made progress for this queue: it took a machine check, or the
	 * queue was empty until then. What waits gives up once that is RAS_MCE_WAIT_NS ago: a
	 * guest that never clears MCIP costs one wait for the whole queue, not one each. */
	uint64_t progress_ns;
};

/* Where a vCPU's record on a precise sync source (ops->ghes_sync_precise) stands. */
enum ras_sea {
	SEA_NONE,
	SEA_QUEUED, /* its record waits for the source's block: the vCPU stalls at its access */
	SEA_OWED,   /* its record is in the block; the SEA is raised at its faulting access */
};

/* How long a stalled vCPU waits outside the guest before it re-enters (and faults again):
 * the guest may need it to run (an IPI) before it can acknowledge the block. */
#define RAS_SEA_STALL_NS   (50ULL * 1000 * 1000)
/* A record owed its SEA this long, whose vCPU never faulted at the access again (its task
 * went away meanwhile), is taken back and sent to the async source instead. */
#define RAS_SEA_OWED_NS    (2ULL * 1000 * 1000 * 1000)

/* Per vCPU: the queue, and what the last action-required error looked like (repeats). */
struct ras_vcpu {
	struct mce_queue q;
	bool seen;                 /* last_* hold an access */
	uint64_t last_gpa, last_rip, last_acks;
	unsigned repeats;
	bool last_by_ghes;
	/* Its last action-required error: the vCPU's run count then (struct vcpu.runs). While
	 * the count has not moved the vCPU has not re-entered the guest: its pc is at the access. */
	bool fault_valid;
	uint64_t fault_runs;
	/* A precise sync source's record for sea_gpa: enum ras_sea, written under ras->lock,
	 * read without it by the vCPU's thread (ras_vcpu_stalled). */
	_Atomic int sea;
	uint64_t sea_gpa, sea_since_ns;
};

/* A record waiting for its source's block to be free: a memory error rasvm encodes, or a
 * whole status block a client supplied (inject-ghes-v2-error), checked already. */
struct ghes_pending {
	struct ras_report report;
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
	bool in_block_raw;
	/* Counters per source: blocks written and notified, notifications, blocks the guest
	 * acknowledged, records (entries) those blocks held, records that found the queue full. */
	uint64_t blocks, notifications, blocks_acked, records_acked, overflowed;
	uint64_t notified_ns;     /* the last notification, to remind a guest that missed one */
	uint64_t pace_until_ns;   /* --ras-pace-ms: no block before this (async and polled sources) */
};

struct ras_counters {
	uint64_t received_ar, received_ao;  /* host errors (signals) */
	uint64_t outside_ram;               /* AO errors outside guest RAM, ignored */
	uint64_t pages;                     /* distinct guest pages named by errors */
	uint64_t reports;                   /* reports of a page to the guest (a page can have several) */
	uint64_t delivered_mce;             /* reports delivered by machine check */
	uint64_t delivered_ghes[RAS_SOURCES_MAX]; /* reports written to each source's block */
	uint64_t overflowed;                /* reports that found their queue full */
	uint64_t dropped[RAS_DROP_COUNT];   /* reports that could not reach the guest, by reason */
	uint64_t lost;                      /* reports rasvm failed to handle: must stay 0 */
	uint64_t escalated;                 /* GHES reports of a repeated access sent again by machine check */
	uint64_t sea_refaults;              /* repeated faults of an access whose SEA record waited (not new reports) */
	uint64_t ao_self;                   /* the kernel's action-optional signals for pages rasvm poisoned as action optional and reported itself */
	uint64_t ao_held;                   /* the kernel's action-optional signals for pages poisoned as action required */
	uint64_t sea_rerouted;              /* SEA records whose vCPU never came back to the access: sent async */
	uint64_t records_acked;             /* GHES records the guest acknowledged */
	uint64_t blocks_acked;              /* GHES blocks the guest acknowledged */
	uint64_t raw_mce, raw_mce_dropped;  /* x-inject-mce machine checks injected, dropped */
	uint64_t raw_ghes;                  /* inject-ghes-v2-error blocks written */
	uint64_t broadcasts;                /* Intel broadcast machine checks to other vCPUs */
	uint64_t resets;                    /* guest resets forced by a machine check it could not take */
	uint64_t recovered;                 /* poisoned pages replaced by healthy memory at resets */
	uint64_t firmware_pages;            /* rasvm's own GHES pages replaced after a host error */
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

/* The architecture's part: everything that needs KVM, called on the named vCPU's thread
 * (x86: kvm/x86/ras_ops.c, arm64: kvm/arm64/ras_ops.c), and what it tells the core about how
 * its guests take errors. */
struct ras_ops {
	/* Inject a machine check, or say why the guest cannot take one now. arm64 has none: there
	 * the "machine check" route (--ras mce) is the CPU's own error exception without a
	 * firmware record, a synchronous external abort (action required) or an SError with an
	 * ESR (action optional). */
	enum mce_result (*inject_mce)(struct vcpu *v, const struct mce_record *r);
	/* Whether the guest turned on local machine checks on this vCPU. */
	bool (*lmce_enabled)(struct vcpu *v);
	/* inject-nmi; -ENOTSUP where the machine has no NMI (arm64). */
	int (*nmi)(struct vcpu *v);
	/* The synchronous GHES source's notification on this vCPU: x86 an NMI, arm64 the
	 * synchronous external abort (SEA). */
	int (*notify_sync)(struct vcpu *v);
	/* An edge on an interrupt line (from vCPU 0's thread). */
	int (*irq_pulse)(struct vm *vm, unsigned gsi);
	/* The guest's instruction pointer now. */
	int (*rip)(struct vcpu *v, uint64_t *rip);
	/* Optional: the guest CPU's vendor traits (x86: from CPUID); both false without. */
	void (*guest_cpu)(struct vm *vm, bool *amd, bool *intel_broadcast);
	/* The machine has machine checks (x86): x-inject-mce, and the policy's default route
	 * for action-required errors. Without them (arm64) action required goes to the
	 * synchronous GHES source by default. */
	bool machine_checks;
	/* The guest handles the synchronous source's records synchronously, precisely for the
	 * access that faulted (arm64 SEA: Linux's is_hest_sync_notify()). Then a repeated access
	 * after such a record is not escalated (there is nothing to escalate to, and the guest
	 * did act), the synchronous block holds one vCPU's records at a time, and its
	 * notification is raised only at that vCPU's faulting access (see ras.c). */
	bool ghes_sync_precise;
};

/* x-inject-host-memory-error's "source": the next action-optional reports of a granule go to
 * this GHES source, whatever the policy would pick (tests reach every source in one boot). */
#define RAS_HINTS 64
struct ras_hint {
	uint64_t start, end;   /* [start, end) guest physical; end 0: unused */
	unsigned source;
};

struct ras {
	struct vm *vm;
	const struct ras_ops *ops;
	pthread_mutex_t lock;
	enum ras_policy policy;
	struct ras_sources sources;
	uint32_t queue_cap;
	uint64_t pace_ns;          /* --ras-pace-ms */
	uint64_t mce_wait_ns;      /* RAS_MCE_WAIT_NS (tests shorten it) */
	bool host_hwpoison;        /* the host kernel poisons pages for real (MADV_HWPOISON) */
	bool amd_guest;
	unsigned guest;            /* RAS_GUEST_* for the policy */
	bool intel_broadcast;      /* Intel family 6 model >= 14 or later: every vCPU sees a machine check */
	struct poison_table table;
	struct ras_vcpu *vcpu;     /* vm->ncpus entries */
	struct ghes_runtime ghes[RAS_SOURCES_MAX];
	struct ras_counters n;
	struct ras_timing timing;
	struct ras_hint hint[RAS_HINTS];
	unsigned next_hint;
};

/* Set up for the whole run (before any thread that can inject starts). The guest's CPU
 * vendor and family come from vm->cpuid. */
int ras_init(struct vm *vm, const struct ras_ops *ops);
void ras_exit(struct vm *vm);
/* At a reset, with no vCPU running: replace the poisoned pages, forget them, drop what was
 * queued for the old boot (counted), empty the blocks. */
void ras_reset(struct vm *vm);

/* The work for one host memory error (from the SIGBUS handler's queue). vcpu is the thread
 * that got an action-required error, NULL for the main thread. */
void ras_host_error(struct vm *vm, struct vcpu *vcpu, int code, void *addr, unsigned lsb,
		    uint64_t t_ns);
/* The guest's NMI or #MC handler started (its first instruction wrote PORT_MARK). */
void ras_mark(struct vm *vm, uint64_t t_ns);
/* Drain the SIGBUS events stashed for this thread (vcpu) or for the process (vcpu NULL). */
void ras_drain(struct vm *vm, struct vcpu *vcpu);

/* VCPU_REQ_RAS / VCPU_REQ_NMI / VCPU_REQ_GHES_SYNC / VCPU_REQ_IRQ_GED, on the vCPU's own
 * thread. */
void ras_vcpu_work(struct vcpu *v, unsigned req);
/* On the vCPU's own thread, before it enters the guest: its access faulted and its SEA record
 * waits for the block; it should hold (at most RAS_SEA_STALL_NS, still taking requests)
 * rather than fault again at once. Lock-free. */
bool ras_vcpu_stalled(struct vcpu *v);

/* GHES register page accesses (trapped as MMIO); true when gpa is in it. */
bool ghes_mmio(struct vm *vm, struct vcpu *vcpu, uint64_t gpa, bool is_write, uint8_t *data,
	       unsigned len);
/* inject-ghes-v2-error: a caller's status block, checked with the decoder first (why says
 * what failed). Only the record is kept (a buffer longer than its record is refused).
 * 0, -EINVAL, -ENOENT (no such source), -ENOSPC (queue full), -ENOMEM. */
int ghes_inject_raw(struct ras *ras, unsigned id, const uint8_t *blk, size_t len, char *why,
		    size_t whylen);
/* x-inject-host-memory-error: gpa's granule goes bad. Where the host kernel can poison pages
 * (*real set), it does (ras_host_poison): its own SIGBUS follows, AO at once, or with
 * action_required AR when the guest touches a page; elsewhere the simulator does, and action
 * required means vCPU 0 touches it now.
 * 0 or -errno (sim_check's: -EFAULT not RAM, -EBUSY rasvm's GHES pages). */
int ras_inject_host_error(struct vm *vm, uint64_t gpa, bool action_required, unsigned lsb, bool *real);
/* The granule of gpa poisoned by the host kernel (MADV_HWPOISON): what ras_inject_host_error
 * does where the host can. The kernel signals action optional at once (rasvm asks for early
 * kills); with action_required that signal is held back and the guest learns of the page
 * when it touches it (the kernel's BUS_MCEERR_AR through KVM), the way a load from a page
 * that went bad unnoticed is reported. The pages are faulted in first (MADV_HWPOISON on a page
 * never touched would poison the shared zero page). ras_host_poison_check says what it would
 * answer: 0, sim_check's -EINVAL/-EFAULT/-EBUSY, -EOPNOTSUPP (the host cannot), -EEXIST (a
 * page of it is known bad already: rasvm must not touch it). */
int ras_host_poison_check(struct vm *vm, uint64_t gpa, unsigned lsb);
int ras_host_poison(struct vm *vm, uint64_t gpa, bool action_required, unsigned lsb);
/* The same, with options: source >= 0 sends its action-optional reports to that GHES source
 * (a published one: -ENOENT otherwise) instead of the policy's choice; on_access makes the
 * simulator wait for the guest's own access to raise action required, as a real host does
 * (an error raised while the guest runs kernel code elsewhere would be fatal to it). */
int ras_inject_host_error_ex(struct vm *vm, uint64_t gpa, bool action_required, unsigned lsb,
			     int source, bool on_access, bool *real);
/* x-inject-mce: a raw machine check for one vCPU, optionally broadcast; paced like the rest. */
int ras_inject_mce(struct vm *vm, unsigned cpu, const struct mce_record *r, bool broadcast);

/* ghes.c, with ras->lock held: queue a record for a source and write what fits if the block
 * is free. */
void ghes_submit(struct ras *ras, unsigned id, const struct ras_report *rep);
/* With ras->lock held, on a vCPU thread (VCPU_REQ_RAS): write what waited out --ras-pace-ms. */
void ghes_pump(struct ras *ras);
/* ghes.c, with ras->lock held (main thread): take back SEA records owed longer than
 * RAS_SEA_OWED_NS (their vCPU left the access) and send them to the async source. */
void ghes_sea_expire(struct ras *ras, uint64_t now);
int ghes_init(struct ras *ras);
void ghes_exit(struct ras *ras);
void ghes_reset(struct ras *ras);
/* Reports waiting in GHES queues (records rasvm encodes; clients' blocks not counted). */
uint64_t ghes_queued_reports(const struct ras *ras);

/* The invariant above, with ras->lock held: 0, or -1 with the two sides. */
int ras_check_invariant(const struct ras *ras, uint64_t *reports, uint64_t *accounted);
/* Reports waiting in machine-check queues (with ras->lock held). */
uint64_t ras_mce_queued_reports(const struct ras *ras);
uint64_t ras_dropped_total(const struct ras_counters *n);
const char *ras_drop_name(enum ras_drop d);

/* "key value" lines for --stats: counters, latency percentiles, storm timing. */
void ras_stats(struct ras *ras, FILE *f);

/* Print the summary of what happened (rasvm: lines on stderr). */
void ras_summary(struct vm *vm);

#endif
