// SPDX-License-Identifier: MIT
/*
 * GHES at run time. Each source's status block is written only while its read-ack register
 * says "free"; records that arrive meanwhile wait in a bounded queue (overflow is counted,
 * never fatal), and as many as fit go into one block. The register page is not guest RAM:
 * every access traps here, so reads come from rasvm's own copies (the guest cannot move a
 * block by writing its address register) and an acknowledgement is seen the moment the
 * guest writes it, which is when the next batch goes out.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#include "acpi/cper.h"
#include "acpi/spec.h"
#include "kvm/vcpu.h"
#include "le.h"
#include "log.h"
#include "ras/ras.h"
#include "rasvm/layout.h"
#include "ctl/qmp.h"
#include "vm.h"

int ghes_init(struct ras *ras)
{
	struct vm *vm = ras->vm;

	for (unsigned id = 0; id < RAS_SOURCES_MAX; id++) {
		struct ghes_runtime *g = &ras->ghes[id];
		memset(g, 0, sizeof(*g));
		if (!(ras->sources.mask & (1u << id)))
			continue;
		g->enabled = true;
		g->block_gpa = ghes_block(LAYOUT_ERROR_REGION, &ras->sources, id);
		g->block = mem_gpa_to_hva(&vm->mem, g->block_gpa, ras->sources.block_length);
		g->queue = calloc(ras->queue_cap, sizeof(*g->queue));
		g->in_block = calloc((ras->sources.block_length - GESB_SIZE) / (GEDE_SIZE_V3 + MEM_SIZE) + 1,
				     sizeof(*g->in_block));
		if (!g->block || !g->queue || !g->in_block)
			return -ENOMEM;
		g->ack = 1; /* free */
	}
	return 0;
}

static void drop_queue(struct ras *ras, struct ghes_runtime *g)
{
	for (uint32_t i = 0; g->queue && i < g->count; i++)
		free(g->queue[(g->head + i) % ras->queue_cap].raw);
	g->head = g->count = 0;
}

void ghes_exit(struct ras *ras)
{
	for (unsigned id = 0; id < RAS_SOURCES_MAX; id++) {
		drop_queue(ras, &ras->ghes[id]);
		free(ras->ghes[id].queue);
		free(ras->ghes[id].in_block);
		ras->ghes[id].queue = NULL;
		ras->ghes[id].in_block = NULL;
	}
}

void ghes_reset(struct ras *ras)
{
	for (unsigned id = 0; id < RAS_SOURCES_MAX; id++) {
		struct ghes_runtime *g = &ras->ghes[id];
		drop_queue(ras, g);
		g->ack = 1;
		g->in_block_count = 0;
	}
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

static void notify(struct ras *ras, unsigned id, struct vcpu *vcpu)
{
	struct vm *vm = ras->vm;

	ras->ghes[id].notifications++;
	if (!vm->vcpu)
		return; /* between boots: the record waits in its block for the guest */
	switch (id) {
	case RAS_SOURCE_SYNC:
		/* The vCPU that touched the page, else the boot vCPU. */
		vcpu_request(vcpu ? vcpu : &vm->vcpu[0], VCPU_REQ_NMI);
		break;
	case RAS_SOURCE_ASYNC: {
		/* An edge on the GED's interrupt: its _EVT notifies the Hardware Error Device. */
		struct kvm_irq_level irq = { .irq = IRQ_GED, .level = 1 };
		if (ioctl(vm->vm_fd, KVM_IRQ_LINE, &irq) == 0) {
			irq.level = 0;
			ioctl(vm->vm_fd, KVM_IRQ_LINE, &irq);
		}
		break;
	}
	default:
		break; /* polled: the guest looks by itself */
	}
}

/* Write as many queued records as fit into the free block, close the gate, notify. */
static void flush(struct ras *ras, unsigned id, struct vcpu *vcpu)
{
	struct ghes_runtime *g = &ras->ghes[id];
	struct cper_writer w;
	struct cper_time t;

	if (!g->ack || !g->count)
		return;
	g->in_block_count = 0;
	struct ghes_pending *first = &g->queue[g->head];
	if (first->raw) {
		/* A client's block goes out as it is, alone. */
		memset(g->block, 0, ras->sources.block_length);
		memcpy(g->block, first->raw, first->raw_len);
		g->in_block_records = (uint32_t)(le_get(first->raw, 4) >> GESB_ENTRY_COUNT_SHIFT) &
				      GESB_ENTRY_COUNT_MAX;
		if (!g->in_block_records)
			g->in_block_records = 1; /* QEMU-made blocks count 0 entries */
		free(first->raw);
		first->raw = NULL;
		g->head = (g->head + 1) % ras->queue_cap;
		g->count--;
		g->records++;
		ras->n.via_ghes[id]++;
		g->ack = 0;
		notify(ras, id, vcpu);
		return;
	}
	now_cper(&t);
	cper_begin(&w, g->block, ras->sources.block_length);
	while (g->count) {
		struct ghes_pending *p = &g->queue[g->head];
		if (p->raw)
			break; /* a client's block waits for a block of its own */
		struct cper_mem_error e = { .physical_address = p->gpa, .address_mask = ~0xfffULL,
					    .error_type = 3 /* multi-bit ECC */ };
		if (cper_add_memory(&w, CPER_SEV_RECOVERABLE, &e, &t))
			break; /* the block is full: the rest waits for the next ack */
		g->in_block[g->in_block_count++] = p->gpa;
		struct poison_entry *pe = poison_find(&ras->table, p->gpa);
		if (pe) {
			pe->state = POISON_REPORTED;
			pe->reports++;
			pe->via |= POISON_VIA_GHES_SYNC << id;
		}
		g->head = (g->head + 1) % ras->queue_cap;
		g->count--;
	}
	if (cper_finish(&w) < 0)
		return;
	g->in_block_records = g->in_block_count;
	g->records += g->in_block_count;
	ras->n.via_ghes[id] += g->in_block_count;
	g->ack = 0;
	notify(ras, id, vcpu);
}

void ghes_submit(struct ras *ras, unsigned id, uint64_t gpa, bool ar, struct vcpu *vcpu)
{
	struct ghes_runtime *g = &ras->ghes[id];

	if (g->count == ras->queue_cap) {
		/* Once per source: a guest that stopped acknowledging would flood the log. */
		if (!g->overflowed++)
			log_warn("GHES source %u: %u records wait for the guest's acknowledgement (--ras-queue); error at 0x%llx and further ones are counted as overflowed, the pages stay poisoned",
				 id, ras->queue_cap, (unsigned long long)gpa);
		ras->n.overflowed++;
		return;
	}
	g->queue[(g->head + g->count) % ras->queue_cap] = (struct ghes_pending){ gpa, ar, NULL, 0 };
	g->count++;
	flush(ras, id, vcpu);
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
	g->queue[(g->head + g->count) % ras->queue_cap] =
		(struct ghes_pending){ .raw = copy, .raw_len = (uint32_t)len };
	g->count++;
	flush(ras, id, NULL);
	pthread_mutex_unlock(&ras->lock);
	return 0;
}

/* The guest acknowledged: its records are done; send what waited. */
static void acknowledged(struct ras *ras, unsigned id, struct vcpu *vcpu)
{
	struct ghes_runtime *g = &ras->ghes[id];

	g->acks++;
	ras->n.acknowledged += g->in_block_records;
	ras->timing.last_ack_ns = now_ns();
	for (uint32_t i = 0; i < g->in_block_count; i++) {
		struct poison_entry *pe = poison_find(&ras->table, g->in_block[i]);
		if (pe && pe->state == POISON_REPORTED)
			pe->state = POISON_ACKNOWLEDGED;
	}
	log_debug("GHES source %u: guest acknowledged %u record(s)", id, g->in_block_count);
	qmp_event(ras->vm, "RAS_GHES_ACK", json_pack("{s:i,s:i}", "source", id, "records",
						      (int)g->in_block_records));
	g->in_block_count = g->in_block_records = 0;
	g->ack = 1;
	flush(ras, id, vcpu);
}

bool ghes_mmio(struct vm *vm, struct vcpu *vcpu, uint64_t gpa, bool is_write, uint8_t *data,
	       unsigned len)
{
	struct ras *ras = vm->ras;

	if (!ras || !ras->sources.mask || gpa < LAYOUT_ERROR_REGION ||
	    gpa >= LAYOUT_ERROR_REGION + GHES_REGION_BLOCKS)
		return false;
	uint64_t off = gpa - LAYOUT_ERROR_REGION;
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
			acknowledged(ras, id, vcpu);
	} else {
		log_debug("vcpu %u: write to read-only GHES register 0x%llx ignored",
			  vcpu ? vcpu->index : 0, (unsigned long long)gpa);
	}
	pthread_mutex_unlock(&ras->lock);
	return true;
}
