// SPDX-License-Identifier: MIT
/* From a host memory error to a report the guest can act on; see ras.h for the map. */
#include "ras/ras.h"

#include <errno.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "ctl/qmp.h"
#include "kvm/arch.h"
#include "kvm/vcpu.h"
#include "log.h"
#include "ras/hwpoison.h"
#include "ras/sigbus.h"
#include "ras/sim.h"
#include "vm.h"

#define PAGE 4096ULL

static const char *const drop_names[RAS_DROP_COUNT] = {
	[RAS_DROP_POLICY] = "no route (--ras)",
	[RAS_DROP_MCE_BUSY] = "guest busy with a machine check (MCIP)",
	[RAS_DROP_MCE_DISABLED] = "machine checks disabled (CR4.MCE)",
	[RAS_DROP_BANK_DISABLED] = "machine-check bank disabled by the guest",
	[RAS_DROP_RESET] = "reset before delivery",
};

const char *ras_drop_name(enum ras_drop d)
{
	return (unsigned)d < RAS_DROP_COUNT ? drop_names[d] : "?";
}

uint64_t ras_dropped_total(const struct ras_counters *n)
{
	uint64_t t = 0;
	for (unsigned i = 0; i < RAS_DROP_COUNT; i++)
		t += n->dropped[i];
	return t;
}

int ras_init(struct vm *vm, const struct ras_ops *ops)
{
	struct ras *ras = calloc(1, sizeof(*ras));

	if (!ras)
		return -ENOMEM;
	ras->vm = vm;
	ras->ops = ops;
	pthread_mutex_init(&ras->lock, NULL);
	ras->policy = vm->cfg->ras_policy;
	ras->sources = vm->cfg->ras;
	ras->queue_cap = vm->cfg->ras_queue;
	ras->pace_ns = (uint64_t)vm->cfg->ras_pace_ms * 1000000ULL;
	ras->mce_wait_ns = RAS_MCE_WAIT_NS;
	ras->host_hwpoison = hwpoison_probe() == 0;
	poison_init(&ras->table);
	/* x86: CPUID vendor, family and model decide the machine-check encoding and the broadcast. */
	if (ops->guest_cpu)
		ops->guest_cpu(vm, &ras->amd_guest, &ras->intel_broadcast);
	ras->guest = (ras->amd_guest ? RAS_GUEST_AMD : 0) | (ops->ghes_sync_precise ? RAS_GUEST_ARM64 : 0);
	vm->ras = ras;
	ras->vcpu = calloc(vm->ncpus, sizeof(*ras->vcpu));
	if (!ras->vcpu)
		return -ENOMEM;
	return ghes_init(ras);
}

void ras_exit(struct vm *vm)
{
	struct ras *ras = vm->ras;
	if (!ras)
		return;
	ghes_exit(ras);
	for (unsigned i = 0; ras->vcpu && i < vm->ncpus; i++)
		free(ras->vcpu[i].q.item);
	free(ras->vcpu);
	free(ras->timing.latency.ns);
	free(ras->timing.marks.ns);
	poison_free(&ras->table);
	pthread_mutex_destroy(&ras->lock);
	free(ras);
	vm->ras = NULL;
}

/* MEMORY_FAILURE, with QEMU's schema, for the control socket. */
static void memory_failure_event(struct ras *ras, const char *recipient, const char *action,
				 bool ar, bool recursive)
{
	qmp_event(ras->vm, "MEMORY_FAILURE",
		  json_pack("{s:s,s:s,s:{s:b,s:b}}", "recipient", recipient, "action", action, "flags",
			    "action-required", ar, "recursive", recursive));
}

/* A report that will not reach the guest. */
static void drop(struct ras *ras, const struct ras_report *rep, enum ras_drop why)
{
	ras->n.dropped[why]++;
	memory_failure_event(ras, "guest", why == RAS_DROP_RESET ? "reset" : "ignore",
			     rep->action_required, false);
	if (why != RAS_DROP_RESET) /* the reset has its own line */
		log_warn_rl("error at guest page 0x%llx not reported to the guest: %s; the page stays poisoned",
		    (unsigned long long)rep->gpa, ras_drop_name(why));
}

/* ---- Machine-check queues, one per vCPU, paced by MCG_STATUS.MCIP ---- */

/* Room for one more item, or -ENOSPC (the queue is at RAS_MCE_QUEUE_MAX) or -ENOMEM. */
static int mq_reserve(struct mce_queue *q)
{
	if (q->count == q->cap) {
		if (q->cap >= RAS_MCE_QUEUE_MAX)
			return -ENOSPC;
		uint32_t cap = q->cap ? q->cap * 2 : 16;
		struct mce_item *n = malloc(cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		for (uint32_t i = 0; i < q->count; i++)
			n[i] = q->item[(q->head + i) % q->cap];
		free(q->item);
		q->item = n;
		q->cap = cap;
		q->head = 0;
	}
	if (!q->count)
		q->progress_ns = now_ns(); /* the wait starts with the first in line */
	return 0;
}

static int mq_push(struct mce_queue *q, const struct mce_item *it)
{
	int r = mq_reserve(q);
	if (r)
		return r;
	q->item[(q->head + q->count) % q->cap] = *it;
	q->count++;
	return 0;
}

/* At the head: an action-required error goes before what waits (see queue_mce). */
static int mq_push_front(struct mce_queue *q, const struct mce_item *it)
{
	int r = mq_reserve(q);
	if (r)
		return r;
	q->head = (q->head + q->cap - 1) % q->cap;
	q->item[q->head] = *it;
	q->count++;
	return 0;
}

static void mq_pop(struct mce_queue *q)
{
	q->head = (q->head + 1) % q->cap;
	q->count--;
}

static bool is_page(const struct mce_item *it)
{
	return it->kind == MCE_PAGE || it->kind == MCE_PAGE_PRIMARY;
}

uint64_t ras_mce_queued_reports(const struct ras *ras)
{
	uint64_t n = 0;
	for (unsigned v = 0; v < ras->vm->ncpus; v++) {
		const struct mce_queue *q = &ras->vcpu[v].q;
		for (uint32_t i = 0; i < q->count; i++)
			n += is_page(&q->item[(q->head + i) % q->cap]);
	}
	return n;
}

/* Queue a page's machine check for a vCPU's thread. */
static void queue_mce(struct ras *ras, struct vcpu *target, const struct ras_report *rep)
{
	struct mce_item it = { .report = *rep, .kind = MCE_PAGE_PRIMARY };

	mce_encode(rep->action_required, ras->amd_guest, rep->gpa, 12, &it.record);
	/* An action-required error is the access the vCPU is stopped at: it goes first. What
	 * waits in the queue (an action-optional page, a client's raw machine check, a
	 * broadcast) happens asynchronously and can be taken once the guest's handler cleared
	 * MCIP, as a CPU takes its synchronous error before a pending asynchronous one. Behind
	 * them, the action-required error would find MCIP set by the machine check injected
	 * just before it in the same pump, which the guest has not even started handling, and
	 * the guest would be reset for a nested machine check that never happened. */
	int r = rep->action_required ? mq_push_front(&ras->vcpu[target->index].q, &it)
				     : mq_push(&ras->vcpu[target->index].q, &it);
	if (r) {
		if (r == -ENOMEM) {
			ras->n.lost++;
			log_err_rl("out of memory queueing a machine check for 0x%llx: lost",
				   (unsigned long long)rep->gpa);
		} else {
			ras->n.overflowed++;
			memory_failure_event(ras, "guest", "ignore", rep->action_required, false);
			log_warn_rl("vcpu %u: %u machine checks already wait; error at 0x%llx counted as overflowed",
				    target->index, RAS_MCE_QUEUE_MAX, (unsigned long long)rep->gpa);
		}
		return;
	}
	vcpu_request(target, VCPU_REQ_RAS);
}

static struct poison_entry *mark_reported(struct ras *ras, uint64_t gpa, unsigned via)
{
	struct poison_entry *e = poison_find(&ras->table, gpa);
	if (e) {
		e->state = POISON_REPORTED;
		e->reports++;
		e->via |= via;
	}
	return e;
}

/* The policy's GHES source for an action-optional page, or -1. */
static int ghes_fallback(struct ras *ras)
{
	enum ras_route r = ras_route(RAS_POLICY_GHES, false, ras->sources.mask, ras->guest);
	return r >= ROUTE_GHES_SYNC && r <= ROUTE_GHES_POLLED ? RAS_SOURCE_SYNC + (int)(r - ROUTE_GHES_SYNC) : -1;
}

/* The head waited long enough: a page goes to GHES if it can, else it is dropped. */
static void give_up(struct ras *ras, struct vcpu *v, const struct mce_item *it, enum ras_drop why)
{
	int src = ghes_fallback(ras);

	if (it->kind == MCE_RAW) {
		ras->n.raw_mce_dropped++;
		log_warn_rl("vcpu %u: x-inject-mce to bank %u dropped: %s", v->index, it->record.bank,
			    ras_drop_name(why));
	} else if (is_page(it) && src >= 0) {
		log_warn_rl("vcpu %u: machine check for 0x%llx could not be taken (%s): sent to GHES source %d",
			    v->index, (unsigned long long)it->report.gpa, ras_drop_name(why), src);
		ghes_submit(ras, (unsigned)src, &it->report);
	} else if (is_page(it)) {
		drop(ras, &it->report, why);
	}
}

/* An uncorrected machine check on a CPU that cannot take one shuts the CPU down (SDM 15.10.4.1):
 * rasvm resets the guest instead of letting KVM triple-fault it silently. */
static void reset_for(struct ras *ras, struct vcpu *v, const struct mce_item *it, const char *why)
{
	if (vm_reset(ras->vm, VM_RESET_RAS, "resetting the guest: vcpu %u: an action-required machine check for 0x%llx arrived while %s: the CPU would shut down",
		     v->index, (unsigned long long)it->report.gpa, why) == 1)
		ras->n.resets++;
	drop(ras, &it->report, RAS_DROP_RESET);
}

/* What a page's machine check becomes once injected. */
static void injected(struct ras *ras, struct vcpu *v, const struct mce_item *it, bool local)
{
	struct vm *vm = ras->vm;

	if (it->kind == MCE_RAW) {
		ras->n.raw_mce++;
		return;
	}
	if (!is_page(it))
		return;
	ras->n.delivered_mce++;
	mark_reported(ras, it->report.gpa, POISON_VIA_MCE);
	memory_failure_event(ras, "guest", "inject", it->report.action_required, false);
	/* An Intel family-6 CPU signals it to every CPU (the others see the broadcast) unless the
	 * guest turned on local machine checks (SDM 16.3.1.5; QEMU decides the same way). */
	if (it->kind != MCE_PAGE_PRIMARY || !ras->intel_broadcast || local)
		return;
	struct mce_item b = { .kind = MCE_BROADCAST, .report.vcpu = -1 };
	mce_encode_broadcast(&b.record);
	for (unsigned i = 0; i < vm->ncpus; i++) {
		if (i == v->index || mq_push(&ras->vcpu[i].q, &b))
			continue;
		ras->n.broadcasts++;
		vcpu_request(&vm->vcpu[i], VCPU_REQ_RAS);
	}
}

/* Inject what this vCPU's guest can take now, in order; on its thread, lock held. A head the
 * guest cannot take yet waits, and the thread looks again soon (less often as it waits). */
static void mce_pump(struct ras *ras, struct vcpu *v)
{
	struct mce_queue *q = &ras->vcpu[v->index].q;

	while (q->count && !vm_leaving(ras->vm)) {
		struct mce_item it = q->item[q->head];
		struct mce_record rec = it.record;
		bool local = it.kind == MCE_PAGE_PRIMARY && (rec.status & MCI_STATUS_AR) &&
			     ras->ops->lmce_enabled(v);
		if (local)
			rec.mcg_status |= MCG_STATUS_LMCES;
		enum mce_result res = ras->ops->inject_mce(v, &rec);
		bool ar_page = is_page(&it) && it.report.action_required;

		if (res == MCE_INJECTED) {
			mq_pop(q);
			q->progress_ns = now_ns();
			injected(ras, v, &it, local);
			continue;
		}
		if (res == MCE_FAILED) {
			mq_pop(q);
			if (it.kind == MCE_RAW) {
				ras->n.raw_mce_dropped++;
			} else if (is_page(&it)) {
				ras->n.lost++;
				log_err_rl("vcpu %u: KVM_X86_SET_MCE failed for 0x%llx: lost", v->index,
					   (unsigned long long)it.report.gpa);
			}
			continue;
		}
		if (ar_page) {
			/* The guest touched the page and cannot be told: no waiting is possible. */
			mq_pop(q);
			reset_for(ras, v, &it,
				  res == MCE_BUSY ? "the guest was still handling one (MCG_STATUS.MCIP set)"
				  : res == MCE_DISABLED ? "the guest had machine checks disabled (CR4.MCE clear)"
							: "the guest had disabled the bank");
			continue;
		}
		enum ras_drop why = res == MCE_BUSY ? RAS_DROP_MCE_BUSY
				    : res == MCE_DISABLED ? RAS_DROP_MCE_DISABLED : RAS_DROP_BANK_DISABLED;
		uint64_t age = now_ns() - q->progress_ns;
		if (res != MCE_BANK_DISABLED && age < ras->mce_wait_ns) {
			/* Look again soon: often at first, less so the longer the guest takes. */
			uint64_t later = age / 8;
			later = later < RAS_MCE_POLL_MIN_NS ? RAS_MCE_POLL_MIN_NS
				: later > RAS_MCE_POLL_MAX_NS ? RAS_MCE_POLL_MAX_NS : later;
			atomic_fetch_or(&v->requests, VCPU_REQ_RAS);
			vcpu_poll_later(v, later);
			return;
		}
		mq_pop(q);
		give_up(ras, v, &it, why);
	}
}

/* Has v not re-entered the guest since its last action-required error? (Its thread only.) */
static bool at_fault(const struct ras *ras, const struct vcpu *v)
{
	const struct ras_vcpu *rv = &ras->vcpu[v->index];
	return rv->fault_valid && rv->fault_runs == v->runs;
}

/* The sync source's notification, on v's thread. On a precise machine (arm64's SEA) it is
 * raised only where the guest faulted: at v's access, right after the host reported it.
 * A record written while v was elsewhere (the block was busy, the guest acknowledged later)
 * stays owed until v faults at the access again (ras_host_error). */
static void notify_sync(struct ras *ras, struct vcpu *v)
{
	int r = 0;

	pthread_mutex_lock(&ras->lock);
	struct ras_vcpu *rv = &ras->vcpu[v->index];
	if (!ras->ops->ghes_sync_precise) {
		r = ras->ops->notify_sync(v);
	} else if (atomic_load(&rv->sea) == SEA_OWED && (at_fault(ras, v) || rv->sea_gpa == UINT64_MAX)) {
		/* sea_gpa UINT64_MAX: a record no access is waiting for (a client's block). */
		atomic_store(&rv->sea, SEA_NONE);
		r = ras->ops->notify_sync(v);
	}
	pthread_mutex_unlock(&ras->lock);
	if (r)
		log_err_rl("vcpu %u: notifying the sync GHES source failed: %s", v->index, strerror(-r));
}

void ras_vcpu_work(struct vcpu *v, unsigned req)
{
	struct ras *ras = v->vm->ras;
	int r;

	if (!ras)
		return;
	if (req & VCPU_REQ_RAS) {
		pthread_mutex_lock(&ras->lock);
		mce_pump(ras, v);
		if (ras->pace_ns)
			ghes_pump(ras);
		pthread_mutex_unlock(&ras->lock);
	}
	if ((req & VCPU_REQ_NMI) && ras->ops->nmi && (r = ras->ops->nmi(v)))
		log_err_rl("vcpu %u: injecting an NMI failed: %s", v->index, strerror(-r));
	if (req & VCPU_REQ_GHES_SYNC)
		notify_sync(ras, v);
	if ((req & VCPU_REQ_IRQ_GED) && (r = ras->ops->irq_pulse(v->vm, arch_machine.ged_irq)))
		log_err_rl("vcpu %u: raising the GED interrupt failed: %s", v->index, strerror(-r));
}

bool ras_vcpu_stalled(struct vcpu *v)
{
	struct ras *ras = v->vm->ras;

	if (!ras || atomic_load(&ras->vcpu[v->index].sea) != SEA_QUEUED)
		return false;
	return at_fault(ras, v);
}

/* ---- From a page to a route ---- */

/* An action-required error on a vCPU: is it the same access as last time? After a GHES
 * report (which Linux handles asynchronously on x86, so the access just repeats) the guest is
 * told again by machine check; when machine checks do not help either, the guest cannot make
 * progress: *livelock asks for a reset. */
static enum ras_route repeated_access(struct ras *ras, struct vcpu *v, uint64_t gpa,
				      enum ras_route route, bool *livelock)
{
	struct ras_vcpu *rv = &ras->vcpu[v->index];
	uint64_t rip = 0;
	bool ghes = route >= ROUTE_GHES_SYNC && route <= ROUTE_GHES_POLLED;
	bool known = ras->ops->rip(v, &rip) == 0;
	bool same = known && rv->seen && rv->last_gpa == gpa && rv->last_rip == rip;

	*livelock = false;
	rv->repeats = same ? rv->repeats + 1 : 0;
	/* On a precise machine the guest handled the sync record synchronously: a repeated
	 * access is a new access, told again the same way. */
	if (same && rv->last_by_ghes && ghes && !ras->ops->ghes_sync_precise) {
		ras->n.escalated++;
		log_warn_rl("vcpu %u touched page 0x%llx again at rip 0x%llx after a GHES record%s: telling it by machine check",
			    v->index, (unsigned long long)gpa, (unsigned long long)rip,
			    rv->last_acks == ras->n.blocks_acked ? " it has not acknowledged" : "");
		route = ROUTE_MCE;
	} else if (same && route == ROUTE_MCE && rv->repeats >= RAS_REPEAT_RESET) {
		*livelock = true;
	}
	rv->seen = known;
	rv->last_gpa = gpa;
	rv->last_rip = rip;
	rv->last_acks = ras->n.blocks_acked;
	rv->last_by_ghes = route >= ROUTE_GHES_SYNC && route <= ROUTE_GHES_POLLED;
	return route;
}

/* A precise machine's vCPU faulting again at an access whose SEA record waits (queued, or in
 * the block with its SEA owed): the same report, not a new one. An owed SEA is raised now,
 * the vCPU being at the access. */
static bool sea_refault(struct ras *ras, struct vcpu *vcpu, uint64_t gpa)
{
	struct ras_vcpu *rv = &ras->vcpu[vcpu->index];
	int sea = atomic_load(&rv->sea);

	if (!ras->ops->ghes_sync_precise || sea == SEA_NONE || rv->sea_gpa != gpa)
		return false;
	ras->n.sea_refaults++;
	if (sea == SEA_OWED)
		vcpu_request(vcpu, VCPU_REQ_GHES_SYNC);
	return true;
}

/* A hint for this page (x-inject-host-memory-error's source), consumed: the route, or -1. */
static int hinted_route(struct ras *ras, uint64_t gpa)
{
	for (unsigned i = 0; i < RAS_HINTS; i++) {
		struct ras_hint *h = &ras->hint[i];
		if (h->end && gpa >= h->start && gpa < h->end) {
			int route = ROUTE_GHES_SYNC + (int)(h->source - RAS_SOURCE_SYNC);
			if (gpa + PAGE >= h->end)
				h->end = 0; /* the granule's last page: done */
			return route;
		}
	}
	return -1;
}

static void deliver(struct ras *ras, struct vcpu *vcpu, const struct ras_report *rep)
{
	struct vm *vm = ras->vm;
	enum ras_route route = ras_route(ras->policy, rep->action_required, ras->sources.mask, ras->guest);
	bool livelock = false;
	int hinted = rep->action_required ? -1 : hinted_route(ras, rep->gpa);

	if (rep->action_required && vcpu && sea_refault(ras, vcpu, rep->gpa))
		return;
	if (hinted >= 0)
		route = (enum ras_route)hinted;
	ras->n.reports++;
	if (rep->action_required && vcpu)
		route = repeated_access(ras, vcpu, rep->gpa, route, &livelock);
	log_debug("host memory error (%s) at guest page 0x%llx -> %s",
		  rep->action_required ? "action required" : "action optional",
		  (unsigned long long)rep->gpa, ras_route_name(route));
	if (livelock) {
		if (vm_reset(vm, VM_RESET_RAS, "resetting the guest: vcpu %u touched poisoned page 0x%llx %u times from the same instruction after being told by machine check",
			     vcpu->index, (unsigned long long)rep->gpa, ras->vcpu[vcpu->index].repeats) == 1)
			ras->n.resets++;
		drop(ras, rep, RAS_DROP_RESET);
		return;
	}
	switch (route) {
	case ROUTE_MCE:
		queue_mce(ras, rep->action_required && vcpu ? vcpu : &vm->vcpu[0], rep);
		break;
	case ROUTE_GHES_SYNC:
	case ROUTE_GHES_ASYNC:
	case ROUTE_GHES_POLLED:
		ghes_submit(ras, RAS_SOURCE_SYNC + (unsigned)(route - ROUTE_GHES_SYNC), rep);
		break;
	case ROUTE_DROP:
		drop(ras, rep, RAS_DROP_POLICY);
		break;
	case ROUTE_FATAL:
		ras->n.dropped[RAS_DROP_POLICY]++;
		memory_failure_event(ras, "guest", "fatal", rep->action_required, false);
		vm_end(vm, VM_HOST_MEMORY, 0,
		       "guest touched poisoned page 0x%llx and --ras %s gives no way to tell it",
		       (unsigned long long)rep->gpa, ras_policy_name(ras->policy));
		break;
	}
}

/* A host error on one of rasvm's own GHES pages (the status blocks live in guest RAM, but
 * only rasvm writes them): put a fresh page there and carry on; the guest is not told. */
static bool firmware_page(struct ras *ras, uint64_t gpa, uint8_t *hva)
{
	if (gpa < arch_machine.error_region || gpa >= arch_machine.error_region_end)
		return false;
	if (mmap(hva, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) ==
	    MAP_FAILED) {
		log_err("host memory error on rasvm's GHES page 0x%llx, and it cannot be replaced: %s",
			(unsigned long long)gpa, strerror(errno));
		return false;
	}
	ras->n.firmware_pages++;
	log_warn("host memory error on rasvm's GHES page 0x%llx: replaced by a fresh page", (unsigned long long)gpa);
	return true;
}

/* rasvm poisoned these pages itself as action optional and reported them then
 * (ras_host_poison): an action-optional signal naming only such pages is the kernel's for
 * the same error, not a second error. Taken as that (and counted apart) when so. The kernel
 * names one 4 KiB page per signal here (rasvm's RAM is not hugetlbfs), so a signal is a
 * repeat as a whole or not at all. */
static bool self_reported_repeat(struct vm *vm, uint8_t *start, uint64_t span)
{
	struct ras *ras = vm->ras;
	unsigned n = 0;
	uint64_t gpa;

	for (uint64_t off = 0; off < span; off += PAGE) {
		if (!mem_hva_to_gpa(&vm->mem, start + off, &gpa))
			continue;
		const struct poison_entry *e = poison_find(&ras->table, gpa);
		if (!e || !e->self_reported)
			return false;
		n++;
	}
	for (uint64_t off = 0; n && off < span; off += PAGE)
		if (mem_hva_to_gpa(&vm->mem, start + off, &gpa))
			poison_find(&ras->table, gpa)->self_reported = false;
	ras->n.ao_self += n;
	return n != 0;
}

/* ras_host_error with ras->lock held. */
static void host_error_locked(struct vm *vm, struct vcpu *vcpu, int code, void *addr, unsigned lsb,
			      uint64_t t_ns)
{
	struct ras *ras = vm->ras;
	bool ar = code == BUS_MCEERR_AR;
	uint64_t hit_gpa = 0;
	bool hit_in_ram = mem_hva_to_gpa(&vm->mem, addr, &hit_gpa);

	if (lsb < 12 || lsb > 30) {
		log_warn_rl("host memory error with si_addr_lsb %u: taken as one page", lsb);
		lsb = 12;
	}
	uint64_t span = 1ULL << lsb;
	uint8_t *start = (uint8_t *)((uintptr_t)addr & ~(uintptr_t)(span - 1));

	if (!ar && self_reported_repeat(vm, start, span))
		return;
	ar ? ras->n.received_ar++ : ras->n.received_ao++;
	if (ar && vcpu) {
		/* Until it runs the guest again, this vCPU is at the access that faulted. */
		ras->vcpu[vcpu->index].fault_valid = true;
		ras->vcpu[vcpu->index].fault_runs = vcpu->runs;
	}
	if (!ras->timing.first_error_ns)
		ras->timing.first_error_ns = t_ns;
	if (!ras->timing.pending_ns)
		ras->timing.pending_ns = t_ns;
	unsigned pages = 0;
	/* Every guest page in the granule is lost; the one touched gets the AR report, the
	 * others are reported as action optional. */
	for (uint64_t off = 0; off < span; off += PAGE) {
		uint64_t gpa;
		if (!mem_hva_to_gpa(&vm->mem, start + off, &gpa))
			continue;
		pages++;
		mem_mark_bad(&vm->mem, gpa);
		if (firmware_page(ras, gpa, start + off))
			continue;
		bool this_ar = ar && hit_in_ram && (hit_gpa & ~(PAGE - 1)) == gpa;
		struct ras_report rep = { .gpa = gpa, .action_required = this_ar,
					  .vcpu = this_ar && vcpu ? (int)vcpu->index : -1 };
		bool created;
		struct poison_entry *e = poison_get(&ras->table, gpa, &created);
		if (!e) {
			ras->n.reports++;
			ras->n.lost++;
			log_err_rl("poison table full: error at guest page 0x%llx lost", (unsigned long long)gpa);
			continue;
		}
		ras->n.pages += created;
		e->errors++;
		if (!ar && e->await_access) {
			/* Poisoned as action required: the guest hears of it at its access. */
			e->await_access = false;
			ras->n.ao_held++;
			continue;
		}
		/* await_access stays set until the kernel's own action-optional signal comes: it
		 * goes to another thread and may arrive after the guest's access did. */
		e->action_required = this_ar;
		deliver(ras, this_ar ? vcpu : NULL, &rep);
	}
	if (!pages) {
		ras->n.outside_ram++;
		memory_failure_event(ras, "hypervisor", "ignore", ar, false);
		log_warn_rl("host memory error (action optional) at %p, outside guest RAM: ignored", addr);
	}
}

void ras_host_error(struct vm *vm, struct vcpu *vcpu, int code, void *addr, unsigned lsb,
		    uint64_t t_ns)
{
	pthread_mutex_lock(&vm->ras->lock);
	host_error_locked(vm, vcpu, code, addr, lsb, t_ns);
	pthread_mutex_unlock(&vm->ras->lock);
}

void ras_drain(struct vm *vm, struct vcpu *vcpu)
{
	struct sigbus_ring *ring = vcpu ? &vcpu->sigbus : sigbus_process_ring();
	struct sigbus_event ev;

	while (sigbus_pop(ring, &ev))
		ras_host_error(vm, ev.code == BUS_MCEERR_AR ? vcpu : NULL, ev.code, ev.addr, ev.lsb,
			       ev.t_ns);
	if (!vcpu && vm->ras && vm->ras->ops->ghes_sync_precise) {
		pthread_mutex_lock(&vm->ras->lock);
		ghes_sea_expire(vm->ras, now_ns());
		pthread_mutex_unlock(&vm->ras->lock);
	}
	uint64_t lost = atomic_exchange(&ring->overflow, 0);
	if (lost && vm->ras) {
		pthread_mutex_lock(&vm->ras->lock);
		vm->ras->n.reports += lost;
		vm->ras->n.lost += lost;
		pthread_mutex_unlock(&vm->ras->lock);
		log_err("%llu host memory error signal(s) arrived faster than rasvm could queue them",
			(unsigned long long)lost);
	}
}

void ras_reset(struct vm *vm)
{
	struct ras *ras = vm->ras;

	pthread_mutex_lock(&ras->lock);
	/* What waited for the old boot will never reach it: the new one starts on new pages. */
	for (unsigned v = 0; v < vm->ncpus; v++) {
		struct mce_queue *q = &ras->vcpu[v].q;
		while (q->count) {
			struct mce_item *it = &q->item[q->head];
			if (is_page(it))
				drop(ras, &it->report, RAS_DROP_RESET);
			else if (it->kind == MCE_RAW)
				ras->n.raw_mce_dropped++;
			mq_pop(q);
		}
		struct mce_queue keep = *q;
		ras->vcpu[v] = (struct ras_vcpu){ .q = keep };
	}
	for (uint32_t i = 0; i < ras->table.capacity; i++) {
		struct poison_entry *e = &ras->table.slot[i];
		uint8_t *hva = e->gpa != UINT64_MAX ? mem_gpa_to_hva(&vm->mem, e->gpa, PAGE) : NULL;
		/* A fresh anonymous page in place of the bad one. */
		if (!hva)
			continue;
		if (mmap(hva, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
			 -1, 0) == MAP_FAILED) {
			log_err("reset: cannot replace the poisoned page at 0x%llx: %s",
				(unsigned long long)e->gpa, strerror(errno));
			continue;
		}
		e->state = POISON_RECOVERED;
		ras->n.recovered++;
	}
	if (ras->table.count)
		log_info("reset: %u poisoned guest page(s) replaced by healthy memory", ras->table.count);
	poison_clear(&ras->table);
	ghes_reset(ras);
	/* The simulator replaces its pages too; then nothing is known bad any more. */
	sim_reset(vm);
	mem_clear_bad(&vm->mem);
	pthread_mutex_unlock(&ras->lock);
}

/* With ras->lock held: is any page of [start, start + span) known bad already? */
static bool known_bad(struct ras *ras, uint64_t start, uint64_t span)
{
	for (uint64_t off = 0; off < span; off += PAGE)
		if (poison_find(&ras->table, start + off) || mem_is_bad(&ras->vm->mem, start + off, PAGE))
			return true;
	return false;
}

/* -EEXIST when a page of gpa's granule is already known bad, else 0. */
static int granule_lost(struct ras *ras, uint64_t gpa, unsigned lsb)
{
	uint64_t span = 1ULL << lsb;

	pthread_mutex_lock(&ras->lock);
	int r = known_bad(ras, gpa & ~(span - 1), span) ? -EEXIST : 0;
	pthread_mutex_unlock(&ras->lock);
	return r;
}

/* What ras_host_poison refuses before taking the lock: 0 to go on. */
static int host_poison_allowed(struct vm *vm, uint64_t gpa, unsigned lsb)
{
	int r = sim_check(vm, gpa, lsb);

	return r ? r : vm->ras->host_hwpoison ? 0 : -EOPNOTSUPP;
}

int ras_host_poison_check(struct vm *vm, uint64_t gpa, unsigned lsb)
{
	int r = host_poison_allowed(vm, gpa, lsb);

	return r ? r : granule_lost(vm->ras, gpa, lsb);
}

int ras_host_poison(struct vm *vm, uint64_t gpa, bool ar, unsigned lsb)
{
	struct ras *ras = vm->ras;
	int r = host_poison_allowed(vm, gpa, lsb);

	if (r)
		return r;
	uint64_t span = 1ULL << lsb, start = gpa & ~(span - 1);
	uint8_t *hva = mem_gpa_to_hva(&vm->mem, start, span);
	/* Under the lock: the kernel's signal is handled (ras_drain) only after the pages are in
	 * the table, so a held-back one is never reported by mistake. */
	pthread_mutex_lock(&ras->lock);
	if (known_bad(ras, start, span)) {
		pthread_mutex_unlock(&ras->lock);
		return -EEXIST;
	}
	/* A page never touched is the shared zero page to the kernel: give each its own page
	 * first, without changing a byte (an atomic OR of 0 is a write the guest cannot race). */
	for (uint64_t off = 0; off < span; off += PAGE)
		__atomic_fetch_or((uint64_t *)(void *)(hva + off), 0, __ATOMIC_SEQ_CST);
	r = hwpoison_inject(hva, span);
	if (r == -EBUSY)
		r = -EIO; /* the kernel refused (EBUSY means a firmware page to callers) */
	if (!r && !ar) {
		/* Action optional: reported now, not when the kernel's signal comes. SIGBUS is not
		 * a queued signal: while one is pending for the thread the kernel chose, the next
		 * is dropped, and a storm of poisonings outruns the handler (seen in the emulated
		 * host: most of 500 lost). The signal, if it comes, is then a repeat. */
		uint64_t t = now_ns();
		/* Page by page, as the kernel's signals come (each names one 4 KiB page): guest RAM
		 * need not be aligned to the granule in rasvm's address space. */
		for (uint64_t off = 0; off < span; off += PAGE)
			host_error_locked(vm, NULL, BUS_MCEERR_AO, hva + off, 12, t);
	}
	for (uint64_t off = 0; !r && off < span; off += PAGE) {
		bool created;
		struct poison_entry *e = poison_get(&ras->table, start + off, &created);
		if (!e)
			continue; /* the signal will find no room either: counted lost then */
		ras->n.pages += created;
		e->await_access = ar;
		e->self_reported = !ar;
	}
	pthread_mutex_unlock(&ras->lock);
	return r;
}

int ras_inject_host_error_ex(struct vm *vm, uint64_t gpa, bool ar, unsigned lsb, int source,
			     bool on_access, bool *real)
{
	struct ras *ras = vm->ras;
	int r = sim_check(vm, gpa, lsb);

	*real = ras->host_hwpoison;
	if (r)
		return r;
	/* A page already lost is not lost again: the host kernel would say "already hardware
	 * poisoned" and send nothing, so the simulator does not either (ras_host_poison checks
	 * again under the lock). The guest's own access to it is still reported, each time. */
	r = granule_lost(ras, gpa, lsb);
	if (r)
		return r;
	if (source >= 0) {
		if (source >= RAS_SOURCES_MAX || !(ras->sources.mask & (1u << source)))
			return -ENOENT;
		uint64_t span = 1ULL << lsb, start = gpa & ~(span - 1);
		pthread_mutex_lock(&ras->lock);
		ras->hint[ras->next_hint++ % RAS_HINTS] =
			(struct ras_hint){ .start = start, .end = start + span, .source = (unsigned)source };
		pthread_mutex_unlock(&ras->lock);
	}
	if (*real)
		return ras_host_poison(vm, gpa, ar, lsb);
	r = sim_poison(vm, gpa, !ar, lsb);
	if (r || !ar || on_access)
		return r;
	atomic_store(&vm->vcpu[0].touch_gpa, gpa);
	vcpu_request(&vm->vcpu[0], VCPU_REQ_SIM_TOUCH);
	return 0;
}

int ras_inject_host_error(struct vm *vm, uint64_t gpa, bool ar, unsigned lsb, bool *real)
{
	return ras_inject_host_error_ex(vm, gpa, ar, lsb, -1, false, real);
}

int ras_inject_mce(struct vm *vm, unsigned cpu, const struct mce_record *r, bool broadcast)
{
	struct ras *ras = vm->ras;
	struct mce_item raw = { .record = *r, .kind = MCE_RAW, .report.vcpu = -1 };
	struct mce_item b = { .kind = MCE_BROADCAST, .report.vcpu = -1 };
	int ret = 0;

	if (cpu >= vm->ncpus)
		return -EINVAL;
	mce_encode_broadcast(&b.record);
	pthread_mutex_lock(&ras->lock);
	for (unsigned i = 0; i < vm->ncpus && !ret; i++) {
		if (i == cpu)
			ret = mq_push(&ras->vcpu[i].q, &raw); /* as given: no LMCE decision */
		else if (broadcast && !mq_push(&ras->vcpu[i].q, &b))
			ras->n.broadcasts++;
	}
	pthread_mutex_unlock(&ras->lock);
	for (unsigned i = 0; i < vm->ncpus; i++)
		if (i == cpu || broadcast)
			vcpu_request(&vm->vcpu[i], VCPU_REQ_RAS);
	return ret;
}

int ras_check_invariant(const struct ras *ras, uint64_t *reports, uint64_t *accounted)
{
	const struct ras_counters *n = &ras->n;
	uint64_t a = n->delivered_mce + n->overflowed + ras_dropped_total(n) + n->lost +
		     ras_mce_queued_reports(ras) + ghes_queued_reports(ras);

	for (unsigned id = 0; id < RAS_SOURCES_MAX; id++)
		a += n->delivered_ghes[id];
	*reports = n->reports;
	*accounted = a;
	return a == n->reports ? 0 : -1;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

void ras_stats(struct ras *ras, FILE *f)
{
	struct ras_timing *t = &ras->timing;

	pthread_mutex_lock(&ras->lock);
	fprintf(f, "ras_errors %llu\n", (unsigned long long)(ras->n.received_ar + ras->n.received_ao));
	fprintf(f, "ras_acknowledged %llu\n", (unsigned long long)ras->n.records_acked);
	fprintf(f, "ras_lost %llu\n", (unsigned long long)ras->n.lost);
	fprintf(f, "ras_overflowed %llu\n", (unsigned long long)ras->n.overflowed);
	fprintf(f, "ras_first_error_ns %llu\n", (unsigned long long)t->first_error_ns);
	fprintf(f, "ras_last_ack_ns %llu\n", (unsigned long long)t->last_ack_ns);
	const struct ns_series *lat = &t->latency;
	fprintf(f, "ras_latency_samples %u\n", lat->count);
	for (uint32_t i = 0; i < t->marks.count; i++)
		fprintf(f, "ras_mark_ns %llu\n", (unsigned long long)t->marks.ns[i]);
	if (lat->count) {
		qsort(lat->ns, lat->count, sizeof(*lat->ns), cmp_u64);
		fprintf(f, "ras_latency_median_ns %llu\n", (unsigned long long)lat->ns[lat->count / 2]);
		fprintf(f, "ras_latency_p99_ns %llu\n",
			(unsigned long long)lat->ns[(lat->count * 99ULL) / 100]);
		fprintf(f, "ras_latency_max_ns %llu\n", (unsigned long long)lat->ns[lat->count - 1]);
	}
	pthread_mutex_unlock(&ras->lock);
}

/* Keep v unless the series is full (or out of memory: a benchmark figure, not RAS state). */
static void series_add(struct ns_series *s, uint64_t v)
{
	if (s->count == s->cap && s->cap < RAS_LATENCY_SAMPLES_MAX) {
		uint32_t cap = s->cap ? s->cap * 2 : 1024;
		uint64_t *p = realloc(s->ns, cap * sizeof(*p));
		if (p)
			s->ns = p, s->cap = cap;
	}
	if (s->count < s->cap)
		s->ns[s->count++] = v;
}

void ras_mark(struct vm *vm, uint64_t t_ns)
{
	struct ras *ras = vm->ras;
	struct ras_timing *t = &ras->timing;

	pthread_mutex_lock(&ras->lock);
	series_add(&t->marks, t_ns);
	if (t->pending_ns && t->pending_ns < t_ns)
		series_add(&t->latency, t_ns - t->pending_ns);
	t->pending_ns = 0;
	pthread_mutex_unlock(&ras->lock);
}

void ras_summary(struct vm *vm)
{
	struct ras *ras = vm->ras;
	if (!ras)
		return;
	pthread_mutex_lock(&ras->lock);
	const struct ras_counters *n = &ras->n;
	uint64_t ghes = n->delivered_ghes[0] + n->delivered_ghes[1] + n->delivered_ghes[2];
	if (n->received_ar + n->received_ao + n->lost + n->raw_mce + n->raw_ghes == 0) {
		pthread_mutex_unlock(&ras->lock);
		return;
	}
	uint64_t queued = ras_mce_queued_reports(ras) + ghes_queued_reports(ras);
	log_info("RAS summary: %llu host memory error(s): %llu action required, %llu action optional; %llu guest page(s) poisoned, %llu report(s)",
		 (unsigned long long)(n->received_ar + n->received_ao), (unsigned long long)n->received_ar,
		 (unsigned long long)n->received_ao, (unsigned long long)n->pages,
		 (unsigned long long)n->reports);
	log_info("RAS summary: delivered %llu by machine check, %llu by GHES (sync %llu, async %llu, polled %llu); acknowledged %llu record(s) in %llu block(s)",
		 (unsigned long long)n->delivered_mce, (unsigned long long)ghes,
		 (unsigned long long)n->delivered_ghes[0], (unsigned long long)n->delivered_ghes[1],
		 (unsigned long long)n->delivered_ghes[2], (unsigned long long)n->records_acked,
		 (unsigned long long)n->blocks_acked);
	log_info("RAS summary: queued %llu, overflowed %llu, dropped %llu, outside guest RAM %llu, resets %llu, recovered %llu, lost %llu",
		 (unsigned long long)queued, (unsigned long long)n->overflowed,
		 (unsigned long long)ras_dropped_total(n), (unsigned long long)n->outside_ram,
		 (unsigned long long)n->resets, (unsigned long long)n->recovered, (unsigned long long)n->lost);
	for (unsigned d = 0; d < RAS_DROP_COUNT; d++)
		if (n->dropped[d])
			log_info("RAS summary: dropped %llu: %s", (unsigned long long)n->dropped[d], ras_drop_name(d));
	if (n->escalated)
		log_info("RAS summary: %llu repeated access(es) after a GHES record told again by machine check",
			 (unsigned long long)n->escalated);
	if (n->ao_self)
		log_info("RAS summary: %llu action-optional signal(s) of the host for pages rasvm poisoned and reported itself",
			 (unsigned long long)n->ao_self);
	if (n->ao_held)
		log_info("RAS summary: %llu action-optional signal(s) of the host held back for pages poisoned as action required",
			 (unsigned long long)n->ao_held);
	if (n->sea_refaults || n->sea_rerouted)
		log_info("RAS summary: %llu fault(s) again at an access whose SEA record waited, %llu SEA record(s) sent async (their access was gone)",
			 (unsigned long long)n->sea_refaults, (unsigned long long)n->sea_rerouted);
	if (n->raw_mce || n->raw_mce_dropped || n->raw_ghes)
		log_info("RAS summary: injected by the control socket: %llu machine check(s) (%llu dropped), %llu GHES block(s)",
			 (unsigned long long)n->raw_mce, (unsigned long long)n->raw_mce_dropped,
			 (unsigned long long)n->raw_ghes);
	uint64_t reports, accounted;
	if (ras_check_invariant(ras, &reports, &accounted))
		log_err("RAS summary: %llu report(s) but %llu accounted for: rasvm lost track (a bug)",
			(unsigned long long)reports, (unsigned long long)accounted);
	unsigned shown = 0;
	for (uint32_t i = 0; i < ras->table.capacity && shown < 16; i++) {
		const struct poison_entry *e = &ras->table.slot[i];
		if (e->gpa == UINT64_MAX)
			continue;
		shown++;
		log_info("RAS summary: page 0x%llx %s (%s, %u error(s), reported %u time(s)%s%s)",
			 (unsigned long long)e->gpa, poison_state_name(e->state),
			 e->action_required ? "action required" : "action optional", e->errors, e->reports,
			 e->via & POISON_VIA_MCE ? ", machine check" : "",
			 e->via & ~POISON_VIA_MCE ? ", GHES" : "");
	}
	if (ras->table.count > shown)
		log_info("RAS summary: ... and %u more page(s)", ras->table.count - shown);
	pthread_mutex_unlock(&ras->lock);
}
