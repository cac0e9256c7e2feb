// SPDX-License-Identifier: MIT
/*
 * GHES at run time. Each source's status block is written only while its read-ack register
 * says "free"; records that arrive meanwhile wait in a bounded queue (overflow is counted,
 * never fatal), and up to --ras-block-records of them (default 1) go into one block. The
 * register page is not guest RAM: every access traps here, so reads come from rasvm's own
 * copies (the guest cannot move a block by writing its address register) and an
 * acknowledgement is seen the moment the guest writes it, which is when the next batch goes
 * out.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#include "acpi/cper.h"
#include "acpi/spec.h"
#include "kvm/arch.h"
#include "kvm/vcpu.h"
#include "le.h"
#include "log.h"
#include "ras/ras.h"
#include "ctl/qmp.h"
#include "vm.h"

/* The blocks start empty on every boot; only rasvm writes them. */
static void zero_blocks(struct ras *ras)
{
	for (unsigned id = 0; id < RAS_SOURCES_MAX; id++)
		if (ras->ghes[id].block)
			memset(ras->ghes[id].block, 0, ras->sources.block_length);
}

int ghes_init(struct ras *ras)
{
	struct vm *vm = ras->vm;

	for (unsigned id = 0; id < RAS_SOURCES_MAX; id++) {
		struct ghes_runtime *g = &ras->ghes[id];
		memset(g, 0, sizeof(*g));
		if (!(ras->sources.mask & (1u << id)))
			continue;
		g->enabled = true;
		g->block_gpa = ghes_block(arch_machine.error_region, &ras->sources, id);
		g->block = mem_gpa_to_hva(&vm->mem, g->block_gpa, ras->sources.block_length);
		g->queue = calloc(ras->queue_cap, sizeof(*g->queue));
		g->in_block = calloc((ras->sources.block_length - GESB_SIZE) / (GEDE_SIZE_V3 + MEM_SIZE) + 1,
				     sizeof(*g->in_block));
		if (!g->block || !g->queue || !g->in_block)
			return -ENOMEM;
		g->ack = 1; /* free */
	}
	zero_blocks(ras);
	return 0;
}

/* Empty a source's queue; reports in it are dropped for why (a reset). */
static void drop_queue(struct ras *ras, struct ghes_runtime *g)
{
	for (uint32_t i = 0; g->queue && i < g->count; i++) {
		struct ghes_pending *p = &g->queue[(g->head + i) % ras->queue_cap];
		if (p->raw)
			free(p->raw);
		else
			ras->n.dropped[RAS_DROP_RESET]++;
		p->raw = NULL;
	}
	g->head = g->count = 0;
}

void ghes_exit(struct ras *ras)
{
	for (unsigned id = 0; id < RAS_SOURCES_MAX; id++) {
		struct ghes_runtime *g = &ras->ghes[id];
		for (uint32_t i = 0; g->queue && i < g->count; i++)
			free(g->queue[(g->head + i) % ras->queue_cap].raw);
		free(g->queue);
		free(g->in_block);
		g->queue = NULL;
		g->in_block = NULL;
	}
}

void ghes_reset(struct ras *ras)
{
	for (unsigned id = 0; id < RAS_SOURCES_MAX; id++) {
		struct ghes_runtime *g = &ras->ghes[id];
		drop_queue(ras, g);
		g->ack = 1;
		g->in_block_count = g->in_block_records = 0;
		g->in_block_raw = false;
		g->pace_until_ns = 0;
	}
	zero_blocks(ras);
}

uint64_t ghes_queued_reports(const struct ras *ras)
{
	uint64_t n = 0;
	for (unsigned id = 0; id < RAS_SOURCES_MAX; id++) {
		const struct ghes_runtime *g = &ras->ghes[id];
		for (uint32_t i = 0; g->queue && i < g->count; i++)
			n += g->queue[(g->head + i) % ras->queue_cap].raw == NULL;
	}
	return n;
}

static void now_cper(struct cper_time *t)
{
	time_t s = time(NULL);
	struct tm tm;
	gmtime_r(&s, &tm);
	*t = (struct cper_time){ .year = (unsigned)tm.tm_year + 1900, .month = (unsigned)tm.tm_mon + 1,
				 .day = (unsigned)tm.tm_mday, .hour = (unsigned)tm.tm_hour,
				 .minute = (unsigned)tm.tm_min, .second = (unsigned)tm.tm_sec,
				 .precise = true };
}

/* Is this the sync source of a machine whose guests take it precisely (arm64's SEA)? */
static bool precise(const struct ras *ras, unsigned id)
{
	return id == RAS_SOURCE_SYNC && ras->ops->ghes_sync_precise;
}

/* Tell the guest a block holds records. vcpu: the vCPU that touched the page (AR), or -1.
 * Only vCPU threads touch KVM: the NMI (SEA) goes to that vCPU (else the boot vCPU), the
 * GED's interrupt is raised by vCPU 0; a polled source needs nothing. On a precise machine
 * the vCPU owes the SEA until it is at its access (ras.c notify_sync). */
static void notify(struct ras *ras, unsigned id, int vcpu)
{
	struct vm *vm = ras->vm;
	struct ghes_runtime *g = &ras->ghes[id];
	unsigned target = vcpu >= 0 && (unsigned)vcpu < vm->ncpus ? (unsigned)vcpu : 0;

	g->notifications++;
	g->notified_ns = now_ns();
	switch (id) {
	case RAS_SOURCE_SYNC:
		if (precise(ras, id)) {
			struct ras_vcpu *rv = &ras->vcpu[target];
			atomic_store(&rv->sea, SEA_OWED);
			rv->sea_gpa = vcpu >= 0 && g->in_block_count ? g->in_block[0] : UINT64_MAX;
			rv->sea_since_ns = g->notified_ns;
		}
		vcpu_request(&vm->vcpu[target], VCPU_REQ_GHES_SYNC);
		break;
	case RAS_SOURCE_ASYNC:
		vcpu_request(&vm->vcpu[0], VCPU_REQ_IRQ_GED);
		break;
	default:
		break; /* polled: the guest looks by itself */
	}
}

static void pop(struct ras *ras, struct ghes_runtime *g)
{
	g->head = (g->head + 1) % ras->queue_cap;
	g->count--;
}

/* --ras-pace-ms: records in one block of a paced source, half of Linux's per-CPU queue of
 * pages to recover (MEMORY_FAILURE_FIFO_SIZE, mm/memory-failure.c). */
#define GHES_PACED_RECORDS 8

/* Write as many queued records as fit into the free block, close the gate, notify. */
static void flush(struct ras *ras, unsigned id)
{
	struct ghes_runtime *g = &ras->ghes[id];
	struct cper_writer w;
	struct cper_time t;

	if (!g->ack || !g->count)
		return;
	if (id != RAS_SOURCE_SYNC && ras->pace_ns) {
		uint64_t now = now_ns();
		if (now < g->pace_until_ns) {
			/* vCPU 0 comes back for it (ghes_pump) when the pause is over. */
			struct vcpu *v0 = &ras->vm->vcpu[0];
			atomic_fetch_or(&v0->requests, VCPU_REQ_RAS);
			vcpu_poll_later(v0, g->pace_until_ns - now);
			return;
		}
	}
	g->in_block_count = 0;
	struct ghes_pending *first = &g->queue[g->head];
	if (first->raw) {
		/* A client's block goes out as it is, alone (checked: exactly one record long). */
		memset(g->block, 0, ras->sources.block_length);
		memcpy(g->block, first->raw, first->raw_len);
		g->in_block_records = (uint32_t)(le_get(first->raw, 4) >> GESB_ENTRY_COUNT_SHIFT) &
				      GESB_ENTRY_COUNT_MAX;
		if (!g->in_block_records)
			g->in_block_records = 1; /* QEMU-made blocks count 0 entries */
		g->in_block_raw = true;
		free(first->raw);
		first->raw = NULL;
		pop(ras, g);
		g->blocks++;
		ras->n.raw_ghes++;
		g->ack = 0;
		notify(ras, id, -1);
		return;
	}
	int who = first->report.vcpu;
	now_cper(&t);
	cper_begin(&w, g->block, ras->sources.block_length);
	uint32_t per_block = ghes_records_per_block(&ras->sources);
	while (g->count && g->in_block_count < per_block) {
		struct ghes_pending *p = &g->queue[g->head];
		if (p->raw)
			break; /* a client's block waits for a block of its own */
		/* A precise sync block holds one vCPU's records: its SEA stands for them alone. */
		if (precise(ras, id) && p->report.vcpu != who)
			break;
		/* Paced: two blocks must fit Linux's recovery queue of 16 (--ras-pace-ms). */
		if (id != RAS_SOURCE_SYNC && ras->pace_ns && g->in_block_count >= GHES_PACED_RECORDS)
			break;
		struct cper_mem_error e = { .physical_address = p->report.gpa, .address_mask = ~0xfffULL,
					    .error_type = 3 /* multi-bit ECC */ };
		if (cper_add_memory(&w, CPER_SEV_RECOVERABLE, &e, &t))
			break; /* the block is full: the rest waits for the next ack */
		g->in_block[g->in_block_count++] = p->report.gpa;
		struct poison_entry *pe = poison_find(&ras->table, p->report.gpa);
		if (pe) {
			pe->state = POISON_REPORTED;
			pe->reports++;
			pe->via |= POISON_VIA_GHES_SYNC << id;
		}
		qmp_event(ras->vm, "MEMORY_FAILURE",
			  json_pack("{s:s,s:s,s:{s:b,s:b}}", "recipient", "guest", "action", "inject",
				    "flags", "action-required", p->report.action_required, "recursive", false));
		pop(ras, g);
	}
	if (cper_finish(&w) < 0) {
		/* Cannot happen with the sizes checked at start-up; never lose the records. */
		ras->n.lost += g->in_block_count;
		log_err_rl("GHES source %u: %u record(s) did not fit a block: lost", id, g->in_block_count);
		g->in_block_count = 0;
		return;
	}
	g->in_block_records = g->in_block_count;
	g->in_block_raw = false;
	g->blocks++;
	ras->n.delivered_ghes[id] += g->in_block_count;
	g->ack = 0;
	notify(ras, id, who);
}

/* A guest that missed a notification (it came before its handler existed, say) would leave
 * its block unacknowledged for ever, and nothing more could be written: remind it, at most
 * this often, whenever a record has to wait. */
#define GHES_RENOTIFY_NS (100ULL * 1000 * 1000)

static void push(struct ras *ras, unsigned id, const struct ghes_pending *p)
{
	struct ghes_runtime *g = &ras->ghes[id];

	g->queue[(g->head + g->count) % ras->queue_cap] = *p;
	g->count++;
	if (g->ack) {
		flush(ras, id);
	} else if (precise(ras, id)) {
		/* No reminder: an SEA is raised only at an access. The vCPU that faulted waits at
		 * its access (ras_vcpu_stalled) until its record is written. */
		if (p->report.vcpu >= 0 && (unsigned)p->report.vcpu < ras->vm->ncpus) {
			struct ras_vcpu *rv = &ras->vcpu[p->report.vcpu];
			atomic_store(&rv->sea, SEA_QUEUED);
			rv->sea_gpa = p->report.gpa;
			rv->sea_since_ns = now_ns();
		}
	} else if (now_ns() - g->notified_ns > GHES_RENOTIFY_NS) {
		notify(ras, id, p->report.vcpu);
	}
}

void ghes_sea_expire(struct ras *ras, uint64_t now)
{
	struct ghes_runtime *g = &ras->ghes[RAS_SOURCE_SYNC];

	if (!g->enabled || g->ack || g->in_block_raw || !g->in_block_count)
		return;
	for (unsigned i = 0; i < ras->vm->ncpus; i++) {
		struct ras_vcpu *rv = &ras->vcpu[i];
		if (atomic_load(&rv->sea) != SEA_OWED || now - rv->sea_since_ns < RAS_SEA_OWED_NS)
			continue;
		/* The guest was never told (no SEA was raised): take the records back, free the
		 * block, and report the pages the asynchronous way. */
		atomic_store(&rv->sea, SEA_NONE);
		log_warn_rl("vcpu %u never came back to the access of page 0x%llx: its %u SEA record(s) go to the async source",
			    i, (unsigned long long)rv->sea_gpa, g->in_block_count);
		uint32_t n = g->in_block_count;
		ras->n.delivered_ghes[RAS_SOURCE_SYNC] -= n;
		ras->n.sea_rerouted += n;
		g->blocks--;
		memset(g->block, 0, ras->sources.block_length);
		g->in_block_count = g->in_block_records = 0;
		g->ack = 1;
		int to = ras_route(RAS_POLICY_GHES, false, ras->sources.mask, ras->guest);
		for (uint32_t k = 0; k < n; k++) {
			struct ras_report rep = { .gpa = g->in_block[k], .vcpu = -1 };
			if (to >= ROUTE_GHES_SYNC && to <= ROUTE_GHES_POLLED)
				ghes_submit(ras, RAS_SOURCE_SYNC + (unsigned)(to - ROUTE_GHES_SYNC), &rep);
			else
				ras->n.dropped[RAS_DROP_POLICY]++;
		}
		flush(ras, RAS_SOURCE_SYNC); /* whatever waited behind them */
		return;
	}
}

void ghes_submit(struct ras *ras, unsigned id, const struct ras_report *rep)
{
	struct ghes_runtime *g = &ras->ghes[id];

	if (g->count == ras->queue_cap) {
		g->overflowed++;
		ras->n.overflowed++;
		qmp_event(ras->vm, "MEMORY_FAILURE",
			  json_pack("{s:s,s:s,s:{s:b,s:b}}", "recipient", "guest", "action", "ignore",
				    "flags", "action-required", rep->action_required, "recursive", false));
		/* Once per source: a guest that stopped acknowledging would flood the log. */
		if (g->overflowed == 1)
			log_warn("GHES source %u: %u records wait for the guest's acknowledgement (--ras-queue); error at 0x%llx and further ones are counted as overflowed, the pages stay poisoned",
				 id, ras->queue_cap, (unsigned long long)rep->gpa);
		return;
	}
	push(ras, id, &(struct ghes_pending){ .report = *rep });
}

int ghes_inject_raw(struct ras *ras, unsigned id, const uint8_t *blk, size_t len, char *why,
		    size_t whylen)
{
	struct cper_block_info info;
	int r;

	if (id >= RAS_SOURCES_MAX || !ras->ghes[id].enabled) {
		snprintf(why, whylen, "GHES source %u is not published (see --ras-sources)", id);
		return -ENOENT;
	}
	if ((r = cper_check(blk, len, ras->sources.block_length, &info, why, whylen)))
		return r == -ENOENT ? -EINVAL : r;
	/* Only the record goes into the block: bytes after it would land in whatever follows
	 * (the next source's block), so a longer buffer is refused, not trimmed. */
	if (len != info.length) {
		snprintf(why, whylen, "%zu bytes were sent, but the record is %zu bytes long (20 + data_length %u)",
			 len, info.length, info.data_length);
		return -EINVAL;
	}
	uint8_t *copy = malloc(len);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, blk, len);
	pthread_mutex_lock(&ras->lock);
	struct ghes_runtime *g = &ras->ghes[id];
	if (g->count == ras->queue_cap) {
		pthread_mutex_unlock(&ras->lock);
		free(copy);
		snprintf(why, whylen, "GHES source %u: %u records already wait for the guest", id,
			 ras->queue_cap);
		return -ENOSPC;
	}
	push(ras, id, &(struct ghes_pending){ .raw = copy, .raw_len = (uint32_t)len, .report.vcpu = -1 });
	pthread_mutex_unlock(&ras->lock);
	return 0;
}

/* The guest acknowledged: its records are done; send what waited. */
static void acknowledged(struct ras *ras, unsigned id)
{
	struct ghes_runtime *g = &ras->ghes[id];

	g->blocks_acked++;
	g->records_acked += g->in_block_records;
	ras->n.blocks_acked++;
	ras->n.records_acked += g->in_block_records;
	ras->timing.last_ack_ns = now_ns();
	for (uint32_t i = 0; i < g->in_block_count; i++) {
		struct poison_entry *pe = poison_find(&ras->table, g->in_block[i]);
		if (pe && pe->state == POISON_REPORTED)
			pe->state = POISON_ACKNOWLEDGED;
	}
	log_debug("GHES source %u: guest acknowledged a block of %u record(s)%s", id,
		  g->in_block_records, g->in_block_raw ? " (injected)" : "");
	qmp_event(ras->vm, "RAS_GHES_ACK", json_pack("{s:i,s:i}", "source", id, "records",
						      (int)g->in_block_records));
	g->in_block_count = g->in_block_records = 0;
	g->ack = 1;
	/* --ras-pace-ms: Linux acknowledges at once but recovers the pages later, from a queue of
	 * 16 per CPU (memory_failure_queue(): "buffer overflow when queuing memory failure"
	 * beyond): a pause lets it catch up. */
	g->pace_until_ns = ras->pace_ns ? ras->timing.last_ack_ns + ras->pace_ns : 0;
	flush(ras, id);
}

void ghes_pump(struct ras *ras)
{
	for (unsigned id = 0; id < RAS_SOURCES_MAX; id++)
		if (id != RAS_SOURCE_SYNC && ras->ghes[id].enabled)
			flush(ras, id);
}

bool ghes_mmio(struct vm *vm, struct vcpu *vcpu, uint64_t gpa, bool is_write, uint8_t *data,
	       unsigned len)
{
	struct ras *ras = vm->ras;

	if (!ras || !ras->sources.mask || gpa < arch_machine.error_region ||
	    gpa >= arch_machine.error_region + GHES_REGION_BLOCKS)
		return false;
	uint64_t off = gpa - arch_machine.error_region;
	/* Registers are 8 bytes; accept any aligned part of one (Linux uses 64-bit accesses). */
	unsigned id = RAS_SOURCES_MAX, shift = (unsigned)(off % 8) * 8;
	bool is_ack = false;
	if (off < 8 * RAS_SOURCES_MAX) {
		id = (unsigned)(off / 8);
	} else if (off >= GHES_REGION_ACK_OFFSET && off < GHES_REGION_ACK_OFFSET + 8 * RAS_SOURCES_MAX) {
		id = (unsigned)((off - GHES_REGION_ACK_OFFSET) / 8);
		is_ack = true;
	}
	pthread_mutex_lock(&ras->lock);
	struct ghes_runtime *g = id < RAS_SOURCES_MAX ? &ras->ghes[id] : NULL;
	bool valid = g && g->enabled && len <= 8 && (off % 8) + len <= 8;
	if (!is_write) {
		uint64_t v = !valid ? 0 : is_ack ? g->ack : g->block_gpa;
		le_put(data, v >> shift, len);
	} else if (valid && is_ack) {
		/* Linux writes (ack & preserve) | write: bit 0 set means "done with the block". */
		uint64_t v = le_get(data, len) << shift;
		if ((v & GHES_ACK_WRITE) && !g->ack)
			acknowledged(ras, id);
	} else {
		log_debug_rl("vcpu %u: write to read-only GHES register 0x%llx ignored",
			     vcpu ? vcpu->index : 0, (unsigned long long)gpa);
	}
	pthread_mutex_unlock(&ras->lock);
	return true;
}
