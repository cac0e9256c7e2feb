// SPDX-License-Identifier: MIT
/*
 * The RAS section (RASS): everything ras.c and ghes.c keep about the guest's errors, so a
 * restored VM goes on exactly where the saved one was: the poison table with each page's
 * state and counts, the counters (the accounting invariant holds across a restore and is
 * checked when loading), each vCPU's machine-check queue and what its last action-required
 * access looked like, the requests waiting for each vCPU thread (an NMI or the GED's
 * interrupt not yet raised, machine checks to inject), and per GHES source its read-ack
 * register, the records in its block, its queue (records and clients' blocks waiting for
 * the guest's acknowledgement) and its counters. Not carried: the precise synchronous
 * source's per-vCPU SEA state (arm64's; snapshots are x86-only, where it stays empty). The blocks' bytes are guest RAM
 * (state/migrate.c sends those pages under the same lock). Timing figures for make bench
 * are not carried.
 *
 * Save with ras->lock held; load before any vCPU thread runs. Every count read is bounded
 * by this VM's own limits before anything is allocated for it.
 */
#include "ras/ras_state.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "acpi/cper.h"
#include "acpi/spec.h"
#include "clock.h"
#include "le.h"
#include "ras/ras.h"
#include "state/stream.h"
#include "vm.h"

_Static_assert(RAS_DROP_COUNT == 5, "RASS v1 carries five drop reasons: bump RASS_VERSION");
_Static_assert(RAS_SOURCES_MAX == 3, "RASS v1 carries three GHES sources: bump RASS_VERSION");

/* The requests a vCPU thread may owe the guest, carried with the RAS state. */
#define CARRIED_REQUESTS (VCPU_REQ_NMI | VCPU_REQ_RAS | VCPU_REQ_SIM_TOUCH | VCPU_REQ_IRQ_GED)

/* The counters, in the order the section carries them (v1). */
static const size_t counter_off[] = {
	offsetof(struct ras_counters, received_ar), offsetof(struct ras_counters, received_ao),
	offsetof(struct ras_counters, outside_ram), offsetof(struct ras_counters, pages),
	offsetof(struct ras_counters, reports), offsetof(struct ras_counters, delivered_mce),
	offsetof(struct ras_counters, delivered_ghes[0]), offsetof(struct ras_counters, delivered_ghes[1]),
	offsetof(struct ras_counters, delivered_ghes[2]), offsetof(struct ras_counters, overflowed),
	offsetof(struct ras_counters, dropped[0]), offsetof(struct ras_counters, dropped[1]),
	offsetof(struct ras_counters, dropped[2]), offsetof(struct ras_counters, dropped[3]),
	offsetof(struct ras_counters, dropped[4]), offsetof(struct ras_counters, lost),
	offsetof(struct ras_counters, escalated), offsetof(struct ras_counters, sea_refaults),
	offsetof(struct ras_counters, ao_self), offsetof(struct ras_counters, ao_held),
	offsetof(struct ras_counters, sea_rerouted), offsetof(struct ras_counters, records_acked),
	offsetof(struct ras_counters, blocks_acked), offsetof(struct ras_counters, raw_mce),
	offsetof(struct ras_counters, raw_mce_dropped), offsetof(struct ras_counters, raw_ghes),
	offsetof(struct ras_counters, broadcasts), offsetof(struct ras_counters, resets),
	offsetof(struct ras_counters, recovered), offsetof(struct ras_counters, firmware_pages),
};
#define NCOUNTERS (sizeof(counter_off) / sizeof(counter_off[0]))
_Static_assert(NCOUNTERS * 8 == sizeof(struct ras_counters),
	       "a RAS counter is not carried: add it to RASS (and bump its version)");

static uint64_t *counter(struct ras_counters *n, unsigned i)
{
	return (uint64_t *)(void *)((uint8_t *)n + counter_off[i]);
}

static uint64_t age(uint64_t since, uint64_t now)
{
	return since && since <= now ? now - since : UINT64_MAX;
}

void ras_state_save(struct vm *vm, struct state_out *o)
{
	struct ras *ras = vm->ras;
	uint64_t now = now_ns();

	out_begin(o, TAG_RASS, RASS_VERSION, 0);
	out_u32(o, (uint32_t)ras->policy);
	out_u32(o, ras->sources.mask);
	out_u32(o, ras->sources.block_length);
	out_u32(o, ras->queue_cap);
	out_u8(o, ras->amd_guest);
	out_u8(o, ras->intel_broadcast);
	out_u32(o, (uint32_t)NCOUNTERS);
	for (unsigned i = 0; i < NCOUNTERS; i++)
		out_u64(o, *counter(&ras->n, i));
	/* The poison table. */
	out_u32(o, ras->table.count);
	for (uint32_t i = 0; i < ras->table.capacity; i++) {
		const struct poison_entry *e = &ras->table.slot[i];
		if (e->gpa == UINT64_MAX)
			continue;
		out_u64(o, e->gpa);
		out_u8(o, (uint8_t)e->state);
		out_u8(o, e->action_required);
		out_u16(o, (uint16_t)e->via);
		out_u32(o, e->errors);
		out_u32(o, e->reports);
	}
	/* Per vCPU. */
	out_u32(o, vm->ncpus);
	for (unsigned v = 0; v < vm->ncpus; v++) {
		const struct ras_vcpu *rv = &ras->vcpu[v];
		out_u8(o, rv->seen);
		out_u8(o, rv->last_by_ghes);
		out_u32(o, rv->repeats);
		out_u64(o, rv->last_gpa);
		out_u64(o, rv->last_rip);
		out_u64(o, rv->last_acks);
		out_u32(o, atomic_load(&vm->vcpu[v].requests) & CARRIED_REQUESTS);
		out_u64(o, atomic_load(&vm->vcpu[v].touch_gpa));
		const struct mce_queue *q = &rv->q;
		out_u32(o, q->count);
		/* How long the queue has waited on the guest (docs/ras.md, pacing). */
		out_u64(o, age(q->progress_ns, now));
		for (uint32_t i = 0; i < q->count; i++) {
			const struct mce_item *it = &q->item[(q->head + i) % q->cap];
			out_u32(o, (uint32_t)it->kind);
			out_u32(o, it->record.bank);
			out_u64(o, it->record.status);
			out_u64(o, it->record.mcg_status);
			out_u64(o, it->record.addr);
			out_u64(o, it->record.misc);
			out_u64(o, it->report.gpa);
			out_u8(o, it->report.action_required);
			out_u32(o, (uint32_t)it->report.vcpu);
		}
	}
	/* Per GHES source. */
	for (unsigned id = 0; id < RAS_SOURCES_MAX; id++) {
		const struct ghes_runtime *g = &ras->ghes[id];
		out_u8(o, g->enabled);
		if (!g->enabled)
			continue;
		out_u64(o, g->ack);
		out_u64(o, g->blocks);
		out_u64(o, g->notifications);
		out_u64(o, g->blocks_acked);
		out_u64(o, g->records_acked);
		out_u64(o, g->overflowed);
		out_u64(o, age(g->notified_ns, now));
		out_u64(o, g->pace_until_ns > now ? g->pace_until_ns - now : 0); /* --ras-pace-ms left */
		out_u32(o, g->in_block_count);
		for (uint32_t i = 0; i < g->in_block_count; i++)
			out_u64(o, g->in_block[i]);
		out_u32(o, g->in_block_records);
		out_u8(o, g->in_block_raw);
		out_u32(o, g->count);
		for (uint32_t i = 0; i < g->count; i++) {
			const struct ghes_pending *p = &g->queue[(g->head + i) % ras->queue_cap];
			out_u8(o, p->raw != NULL);
			if (p->raw) {
				out_u32(o, p->raw_len);
				out_bytes(o, p->raw, p->raw_len);
			} else {
				out_u64(o, p->report.gpa);
				out_u8(o, p->report.action_required);
				out_u32(o, (uint32_t)p->report.vcpu);
			}
		}
	}
	out_end(o);
}

/* ---- Loading ---- */

static uint64_t since(uint64_t age_ns, uint64_t now)
{
	return age_ns == UINT64_MAX || age_ns > now ? 0 : now - age_ns;
}

static bool ram_page(struct vm *vm, uint64_t gpa)
{
	return !(gpa & 0xfff) && mem_gpa_to_hva(&vm->mem, gpa, 4096);
}

/* Empty what ras_init made (or an earlier load) before filling it again. */
static void clear(struct ras *ras)
{
	struct vm *vm = ras->vm;

	poison_clear(&ras->table);
	for (unsigned v = 0; v < vm->ncpus; v++) {
		ras->vcpu[v].q.head = ras->vcpu[v].q.count = 0;
		struct mce_queue keep = ras->vcpu[v].q;
		ras->vcpu[v] = (struct ras_vcpu){ .q = keep };
	}
	for (unsigned id = 0; id < RAS_SOURCES_MAX; id++) {
		struct ghes_runtime *g = &ras->ghes[id];
		for (uint32_t i = 0; g->queue && i < g->count; i++) {
			free(g->queue[(g->head + i) % ras->queue_cap].raw);
			g->queue[(g->head + i) % ras->queue_cap].raw = NULL;
		}
		g->head = g->count = 0;
		g->in_block_count = g->in_block_records = 0;
	}
}

static int load_vcpu(struct vm *vm, struct state_in *in, unsigned v, uint64_t now, uint64_t *items,
		     struct ras_load *out)
{
	struct ras *ras = vm->ras;
	struct ras_vcpu *rv = &ras->vcpu[v];
	uint8_t seen, by_ghes;
	uint32_t requests, count;
	uint64_t touch, waited;

	if (in_u8(in, &seen) || in_u8(in, &by_ghes) || in_u32(in, &rv->repeats) ||
	    in_u64(in, &rv->last_gpa) || in_u64(in, &rv->last_rip) || in_u64(in, &rv->last_acks) ||
	    in_u32(in, &requests) || in_u64(in, &touch) || in_u32(in, &count) ||
	    in_u64(in, &waited))
		return -1;
	rv->seen = seen;
	rv->last_by_ghes = by_ghes;
	if (seen > 1 || by_ghes > 1 || (requests & ~(uint32_t)CARRIED_REQUESTS))
		return in_fail(in, "RASS: vCPU %u: bad flags or requests 0x%x", v, requests);
	out->requests[v] = requests;
	out->touch_gpa[v] = touch;
	*items += count;
	if (count > RAS_MCE_QUEUE_MAX || *items > RAS_MCE_QUEUE_MAX)
		return in_fail(in, "RASS: more machine checks queued than rasvm ever keeps (%u)", RAS_MCE_QUEUE_MAX);
	struct mce_queue *q = &rv->q;
	q->progress_ns = count ? since(waited, now) : 0;
	uint64_t banks = atomic_load(&vm->mcg_cap) & 0xff;
	for (uint32_t i = 0; i < count; i++) {
		struct mce_item it = { 0 };
		uint32_t kind, bank, who;
		uint8_t ar;
		if (in_u32(in, &kind) || in_u32(in, &bank) || in_u64(in, &it.record.status) ||
		    in_u64(in, &it.record.mcg_status) || in_u64(in, &it.record.addr) ||
		    in_u64(in, &it.record.misc) || in_u64(in, &it.report.gpa) || in_u8(in, &ar) ||
		    in_u32(in, &who))
			return -1;
		if (kind > MCE_RAW || bank >= banks || ar > 1 ||
		    ((int32_t)who != -1 && who >= vm->ncpus))
			return in_fail(in, "RASS: vCPU %u: machine check %u is not one rasvm makes", v, i);
		it.kind = kind;
		it.record.bank = bank;
		it.report.action_required = ar;
		it.report.vcpu = (int32_t)who;
		/* Grow as the items arrive, never ahead of them. */
		if (q->count == q->cap) {
			uint32_t cap = q->cap ? q->cap * 2 : 16;
			struct mce_item *n = malloc(cap * sizeof(*n));
			if (!n)
				return in_fail(in, "out of memory for the machine-check queues");
			for (uint32_t k = 0; k < q->count; k++)
				n[k] = q->item[(q->head + k) % q->cap];
			free(q->item);
			q->item = n;
			q->cap = cap;
			q->head = 0;
		}
		q->item[(q->head + q->count) % q->cap] = it;
		q->count++;
	}
	return 0;
}

static int load_source(struct vm *vm, struct state_in *in, unsigned id, uint64_t now)
{
	struct ras *ras = vm->ras;
	struct ghes_runtime *g = &ras->ghes[id];
	uint8_t enabled, raw_flag;
	uint64_t a, pace;
	uint32_t n;

	if (in_u8(in, &enabled))
		return -1;
	if (enabled != g->enabled)
		return in_fail(in, "RASS: GHES source %u is %s in the snapshot, %s here", id,
			       enabled ? "published" : "absent", g->enabled ? "published" : "absent");
	if (!enabled)
		return 0;
	if (in_u64(in, &g->ack) || in_u64(in, &g->blocks) || in_u64(in, &g->notifications) ||
	    in_u64(in, &g->blocks_acked) || in_u64(in, &g->records_acked) || in_u64(in, &g->overflowed) ||
	    in_u64(in, &a) || in_u64(in, &pace) || in_u32(in, &n))
		return -1;
	g->notified_ns = since(a, now);
	if (pace > ras->pace_ns)
		return in_fail(in, "RASS: GHES source %u: a pause longer than --ras-pace-ms", id);
	g->pace_until_ns = now + pace;
	uint32_t cap = (ras->sources.block_length - GESB_SIZE) / (GEDE_SIZE_V3 + MEM_SIZE) + 1;
	if (g->ack > 1 || n > cap)
		return in_fail(in, "RASS: GHES source %u: read-ack %llu or %u records in the block (at most %u)",
			       id, (unsigned long long)g->ack, n, cap);
	for (uint32_t i = 0; i < n; i++) {
		if (in_u64(in, &g->in_block[i]))
			return -1;
		if (!ram_page(vm, g->in_block[i]))
			return in_fail(in, "RASS: GHES source %u: a record names 0x%llx, not a page of guest RAM",
				       id, (unsigned long long)g->in_block[i]);
	}
	g->in_block_count = n;
	if (in_u32(in, &g->in_block_records) || in_u8(in, &raw_flag) || in_u32(in, &n))
		return -1;
	g->in_block_raw = raw_flag;
	if (raw_flag > 1 || g->in_block_records > GESB_ENTRY_COUNT_MAX || n > ras->queue_cap)
		return in_fail(in, "RASS: GHES source %u: %u records waiting, the queue holds %u", id, n,
			       ras->queue_cap);
	for (uint32_t i = 0; i < n; i++) {
		struct ghes_pending p = { 0 };
		uint8_t has_raw, ar;
		uint32_t who;
		if (in_u8(in, &has_raw))
			return -1;
		if (has_raw == 1) {
			uint32_t len;
			struct cper_block_info info;
			char why[160];
			if (in_u32(in, &len))
				return -1;
			if (len == 0 || len > ras->sources.block_length)
				return in_fail(in, "RASS: GHES source %u: a waiting block of %u bytes (at most %u)", id,
					       len, ras->sources.block_length);
			p.raw = malloc(len);
			if (!p.raw)
				return in_fail(in, "out of memory");
			p.raw_len = len;
			p.report.vcpu = -1;
			/* Queued now, so ghes_exit frees it whatever happens next. */
			g->queue[(g->head + g->count) % ras->queue_cap] = p;
			g->count++;
			if (in_bytes(in, p.raw, len))
				return -1;
			/* The same check the control socket applies (ghes_inject_raw). */
			if (cper_check(p.raw, len, ras->sources.block_length, &info, why, sizeof(why)) ||
			    info.length != len)
				return in_fail(in, "RASS: GHES source %u: a waiting block fails its check: %s", id, why);
			continue;
		}
		if (has_raw != 0 || in_u64(in, &p.report.gpa) || in_u8(in, &ar) || in_u32(in, &who))
			return has_raw ? in_fail(in, "RASS: bad queue entry") : -1;
		if (!ram_page(vm, p.report.gpa) || ar > 1 || ((int32_t)who != -1 && who >= vm->ncpus))
			return in_fail(in, "RASS: GHES source %u: a waiting record is not one rasvm makes", id);
		p.report.action_required = ar;
		p.report.vcpu = (int32_t)who;
		g->queue[(g->head + g->count) % ras->queue_cap] = p;
		g->count++;
	}
	return 0;
}

int ras_state_load(struct vm *vm, struct state_in *in, struct ras_load *out)
{
	struct ras *ras = vm->ras;
	uint32_t policy, mask, block, queue, nc, count, ncpus;
	uint8_t amd, broadcast;
	uint64_t now = now_ns(), items = 0;
	int r = -1;

	if (in->version != RASS_VERSION)
		return in_fail(in, "RASS version %u: this rasvm reads version %u", in->version, RASS_VERSION);
	if (in_section_begin(in))
		return -1;
	pthread_mutex_lock(&ras->lock);
	clear(ras);
	memset(&ras->n, 0, sizeof(ras->n));
	if (in_u32(in, &policy) || in_u32(in, &mask) || in_u32(in, &block) || in_u32(in, &queue) ||
	    in_u8(in, &amd) || in_u8(in, &broadcast) || in_u32(in, &nc))
		goto out;
	if (policy != (uint32_t)ras->policy || mask != ras->sources.mask ||
	    block != ras->sources.block_length || queue != ras->queue_cap) {
		in_fail(in, "RASS: the RAS configuration differs from this VM's");
		goto out;
	}
	if (amd > 1 || broadcast > 1 || nc != NCOUNTERS) {
		in_fail(in, "RASS: %u counters, this rasvm reads %u", nc, (unsigned)NCOUNTERS);
		goto out;
	}
	ras->amd_guest = amd;
	ras->intel_broadcast = broadcast;
	for (unsigned i = 0; i < nc; i++)
		if (in_u64(in, counter(&ras->n, i)))
			goto out;
	if (in_u32(in, &count))
		goto out;
	if (count > vm->mem.size / 4096) {
		in_fail(in, "RASS: %u poisoned pages in a guest of %llu pages", count,
			(unsigned long long)(vm->mem.size / 4096));
		goto out;
	}
	for (uint32_t i = 0; i < count; i++) {
		uint64_t gpa;
		uint8_t state, ar;
		uint16_t via;
		uint32_t errors, reports;
		bool created;
		if (in_u64(in, &gpa) || in_u8(in, &state) || in_u8(in, &ar) || in_u16(in, &via) ||
		    in_u32(in, &errors) || in_u32(in, &reports))
			goto out;
		if (!ram_page(vm, gpa) || state > POISON_RECOVERED || ar > 1 || via > 0xf) {
			in_fail(in, "RASS: poisoned page %u (0x%llx) is not one rasvm records", i,
				(unsigned long long)gpa);
			goto out;
		}
		struct poison_entry *e = poison_get(&ras->table, gpa, &created);
		if (!e || !created) {
			in_fail(in, e ? "RASS: page 0x%llx listed twice" : "out of memory for page 0x%llx",
				(unsigned long long)gpa);
			goto out;
		}
		e->state = state;
		e->action_required = ar;
		e->via = via;
		e->errors = errors;
		e->reports = reports;
	}
	if (in_u32(in, &ncpus))
		goto out;
	if (ncpus != vm->ncpus) {
		in_fail(in, "RASS: %u vCPUs, this VM has %u", ncpus, vm->ncpus);
		goto out;
	}
	for (unsigned v = 0; v < ncpus; v++)
		if (load_vcpu(vm, in, v, now, &items, out))
			goto out;
	for (unsigned id = 0; id < RAS_SOURCES_MAX; id++)
		if (load_source(vm, in, id, now))
			goto out;
	if (in_section_end(in))
		goto out;
	uint64_t reports, accounted;
	if (ras_check_invariant(ras, &reports, &accounted)) {
		in_fail(in, "RASS: the accounting does not balance (%llu reports, %llu accounted for)",
			(unsigned long long)reports, (unsigned long long)accounted);
		goto out;
	}
	r = 0;
out:
	if (r)
		clear(ras); /* nothing half-loaded is left behind */
	pthread_mutex_unlock(&ras->lock);
	return r;
}

void ras_state_resume(struct vm *vm, const struct ras_load *l)
{
	for (unsigned v = 0; v < vm->ncpus; v++) {
		unsigned req = l->requests[v];
		if (vm->ras->vcpu[v].q.count)
			req |= VCPU_REQ_RAS; /* machine checks wait: look at once */
		atomic_store(&vm->vcpu[v].touch_gpa, l->touch_gpa[v]);
		/* Before the vCPU threads start: do_work() takes them first thing. */
		atomic_fetch_or(&vm->vcpu[v].requests, req);
	}
}

int ras_load_init(struct ras_load *l, unsigned ncpus)
{
	l->requests = calloc(ncpus, sizeof(*l->requests));
	l->touch_gpa = calloc(ncpus, sizeof(*l->touch_gpa));
	if (l->requests && l->touch_gpa)
		return 0;
	ras_load_free(l);
	return -ENOMEM;
}

void ras_load_free(struct ras_load *l)
{
	free(l->requests);
	free(l->touch_gpa);
	l->requests = NULL;
	l->touch_gpa = NULL;
}
