// SPDX-License-Identifier: MIT
#include "state/offline.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "acpi/spec.h"
#include "kvm/vcpu.h"
#include "ras/ras.h"
#include "ras/sim.h"
#include "rasvm/layout.h"

/* No KVM: nothing is injected while a snapshot is only read. */
static enum mce_result no_mce(struct vcpu *v, const struct mce_record *r) { (void)v, (void)r; return MCE_FAILED; }
static bool no_lmce(struct vcpu *v) { (void)v; return false; }
static int no_nmi(struct vcpu *v) { (void)v; return -ENOTSUP; }
static int no_irq(struct vm *vm, unsigned gsi) { (void)vm, (void)gsi; return -ENOTSUP; }
static int no_rip(struct vcpu *v, uint64_t *rip) { (void)v; *rip = 0; return -ENOTSUP; }
static const struct ras_ops offline_ops = {
	.inject_mce = no_mce, .lmce_enabled = no_lmce, .nmi = no_nmi, .notify_sync = no_nmi,
	.irq_pulse = no_irq, .rip = no_rip, .machine_checks = true, /* an x86 VM's state */
};

/* The most a snapshot check reserves (address space only: pages cost what the file holds). */
#define OFFLINE_MEMORY_MAX (1ULL << 40)

int offline_vm_init(struct offline_vm *o, const struct state_header *h, char *why, size_t len)
{
	struct config *c = &o->cfg;
	struct vm *vm = &o->vm;
	const char *msg;

	memset(o, 0, sizeof(*o));
	c->cmd = CMD_RUN;
	c->memory = h->memory;
	c->cpus = h->cpus;
	c->ras = (struct ras_sources){ .mask = h->ras_sources, .block_length = h->ras_block, .poll_ms = h->ras_poll_ms };
	c->ras_queue = h->ras_queue;
	c->serial = SERIAL_NONE;
	if (ras_policy_parse(h->ras_policy, &c->ras_policy))
		return snprintf(why, len, "RAS policy '%s' unknown", h->ras_policy), -EINVAL;
	if (c->memory < LAYOUT_RAM_MIN || c->memory > OFFLINE_MEMORY_MAX || c->memory % 4096)
		return snprintf(why, len, "a guest of %llu bytes is not one rasvm builds", (unsigned long long)c->memory), -EINVAL;
	if (c->cpus < 1 || c->cpus > MADT_MAX_XAPIC_ID)
		return snprintf(why, len, "%u vCPUs: rasvm builds 1 to %u", c->cpus, MADT_MAX_XAPIC_ID), -EINVAL;
	if (c->ras_queue < 1 || c->ras_queue > RAS_QUEUE_MAX_RECORDS)
		return snprintf(why, len, "--ras-queue %u is out of range", c->ras_queue), -EINVAL;
	if (ras_sources_check(&c->ras, &msg) ||
	    LAYOUT_ERROR_REGION + ghes_region_size(&c->ras) > LAYOUT_ERROR_REGION_END)
		return snprintf(why, len, "GHES sources rasvm would not build (block %u, poll %u ms)",
				c->ras.block_length, c->ras.poll_ms), -EINVAL;
	o->ram = mmap(NULL, c->memory, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (o->ram == MAP_FAILED) {
		o->ram = NULL;
		return snprintf(why, len, "cannot reserve %llu MiB", (unsigned long long)(c->memory >> 20)), -ENOMEM;
	}
	vm->cfg = c;
	vm->kvm_fd = vm->vm_fd = -1;
	vm->ncpus = c->cpus;
	vm->life.wake_fd = vm->life.signal_fd = -1;
	atomic_store(&vm->mcg_cap, h->mcg_cap);
	mem_layout(&vm->mem, o->ram, c->memory);
	if (c->ras.mask && mem_punch(&vm->mem, LAYOUT_ERROR_REGION, 4096))
		return snprintf(why, len, "the error region cannot be laid out"), -EINVAL;
	bool same = vm->mem.nregions == h->nregions;
	for (unsigned i = 0; same && i < h->nregions; i++)
		same = vm->mem.region[i].gpa == h->region[i].gpa && vm->mem.region[i].size == h->region[i].size;
	if (!same)
		return snprintf(why, len, "memory layout differs: this rasvm lays out %llu MiB otherwise",
				(unsigned long long)(c->memory >> 20)), -EINVAL;
	if (mem_track_init(&vm->mem))
		return snprintf(why, len, "out of memory"), -ENOMEM;
	o->built = 1;
	if (sim_init(vm))
		return snprintf(why, len, "out of memory"), -ENOMEM;
	o->built = 2;
	if (vcpus_alloc(vm))
		return snprintf(why, len, "out of memory"), -ENOMEM;
	o->built = 3;
	pthread_mutex_init(&vm->life.lock, NULL);
	pthread_cond_init(&vm->life.cond, NULL);
	pthread_mutex_init(&vm->serial.lock, NULL);
	pthread_cond_init(&vm->serial.cond, NULL);
	vm->serial.fd = -1;
	o->built = 4;
	if (ras_init(vm, &offline_ops))
		return snprintf(why, len, "out of memory"), -ENOMEM;
	o->built = 5;
	return 0;
}

void offline_vm_free(struct offline_vm *o)
{
	struct vm *vm = &o->vm;

	if (o->built >= 5 || vm->ras)
		ras_exit(vm);
	if (o->built >= 4) {
		pthread_mutex_destroy(&vm->serial.lock);
		pthread_cond_destroy(&vm->serial.cond);
		pthread_mutex_destroy(&vm->life.lock);
		pthread_cond_destroy(&vm->life.cond);
	}
	if (o->built >= 3)
		vcpus_free(vm);
	if (o->built >= 2)
		sim_exit(vm);
	if (o->built >= 1)
		mem_track_free(&vm->mem);
	if (o->ram)
		munmap(o->ram, o->cfg.memory);
	o->ram = NULL;
	o->built = 0;
}
