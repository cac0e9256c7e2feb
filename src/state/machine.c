// SPDX-License-Identifier: MIT
/* The section table, and a VM and its host described for the compatibility check. */
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "dev/serial.h"
#include "kvm/kvm.h"
#include "kvm/x86/cpu_state.h"
#include "ras/ras_state.h"
#include "state/ram.h"
#include "state/sections.h"
#include "vm.h"

#ifndef RASVM_VERSION
#define RASVM_VERSION "0.0.0-dev"
#endif

const struct section_support state_sections[] = {
	{ TAG_MACH, MACH_VERSION, 1, true },
	{ TAG_RAM, RAMP_VERSION, 1, true },
	{ TAG_VCPU, VCPU_VERSION, 1, true },
	{ TAG_IRQC, IRQC_VERSION, 1, true },
	{ TAG_PIT2, PIT2_VERSION, 1, true },
	{ TAG_CLCK, CLCK_VERSION, 1, true },
	{ TAG_SERL, SERL_VERSION, 1, true },
	{ TAG_RASS, RASS_VERSION, 1, true },
};
const unsigned state_nsections = sizeof(state_sections) / sizeof(state_sections[0]);

static void cpu_words(const struct kvm_cpuid2 *c, char vendor[13], uint32_t *sig, uint32_t w[CPUW_COUNT])
{
	struct cpuid_leaf *l = calloc(c ? c->nent : 1, sizeof(*l));
	unsigned n = 0;

	for (unsigned i = 0; c && l && i < c->nent; i++)
		l[n++] = (struct cpuid_leaf){ c->entries[i].function, c->entries[i].index, c->entries[i].eax,
					      c->entries[i].ebx, c->entries[i].ecx, c->entries[i].edx };
	header_cpu_words(l, n, vendor, sig, w);
	free(l);
}

void state_header_from_vm(const struct vm *vm, struct state_header *h)
{
	const struct config *cfg = vm->cfg;

	memset(h, 0, sizeof(*h));
	h->format = STATE_FORMAT;
	snprintf(h->writer, sizeof(h->writer), "rasvm %s", RASVM_VERSION);
	for (unsigned i = 0; i < state_nsections; i++)
		h->section[h->nsections++] = (struct header_section){ state_sections[i].tag, state_sections[i].version };
	cpu_words(vm->cpuid, h->vendor, &h->signature, h->features);
	/* The bit rasvm sets in every vCPU's CPUID (kvm/x86/cpu.c) is not the host's. */
	/* Asked of /dev/kvm, not of the VM: the control socket's thread calls this while the
	 * main thread may be replacing the VM (a reset), and KVM gives both the same answer (the
	 * process's XSAVE permissions, not the VM's). */
	h->xsave_size = cpu_state_xsave_size(vm->kvm_fd);
	h->mcg_cap = atomic_load(&((struct vm *)vm)->mcg_cap);
	h->cpus = vm->ncpus;
	h->memory = vm->mem.size;
	for (unsigned i = 0; i < vm->mem.nregions && i < HEADER_REGIONS_MAX; i++) {
		h->region[i].gpa = vm->mem.region[i].gpa;
		h->region[i].size = vm->mem.region[i].size;
		h->nregions++;
	}
	h->ras_sources = cfg->ras.mask;
	h->ras_block = cfg->ras.block_length;
	h->ras_poll_ms = cfg->ras.poll_ms;
	h->ras_queue = cfg->ras_queue;
	snprintf(h->ras_policy, sizeof(h->ras_policy), "%s", ras_policy_name(cfg->ras_policy));
	h->guest_poison = cfg->guest_poison;
	snprintf(h->scenario, sizeof(h->scenario), "%s", cfg->scenario);
	if (cfg->kernel) {
		snprintf(h->boot, sizeof(h->boot), "%s", cfg->boot == LOADER_BOOT_PVH ? "pvh" : "64");
		snprintf(h->kernel, sizeof(h->kernel), "%s", cfg->kernel);
	}
	if (cfg->initrd)
		snprintf(h->initrd, sizeof(h->initrd), "%s", cfg->initrd);
	if (cfg->cmdline)
		snprintf(h->cmdline, sizeof(h->cmdline), "%s", cfg->cmdline);
}

void state_host_from_kvm(int kvm_fd, int vm_fd, struct state_host *host)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + 256 * sizeof(c->entries[0]));
	uint64_t cap = 0;
	uint32_t sig;
	long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);

	memset(host, 0, sizeof(*host));
	if (c) {
		c->nent = 256;
		if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) < 0)
			c->nent = 0;
	}
	cpu_words(c, host->vendor, &sig, host->features);
	free(c);
	host->xsave_size = cpu_state_xsave_size(vm_fd >= 0 ? vm_fd : kvm_fd);
	if (ioctl(kvm_fd, KVM_X86_GET_MCE_CAP_SUPPORTED, &cap) == 0)
		host->mcg_cap_supported = cap;
	host->mce_banks = (unsigned)kvm_check_extension(kvm_fd, KVM_CAP_MCE);
	host->max_vcpus = kvm_max_vcpus(kvm_fd);
	host->ram = pages > 0 && psize > 0 ? (uint64_t)pages * (uint64_t)psize : UINT64_MAX;
}

void state_compat_vm(const struct vm *vm, const struct state_header *h, struct compat *c)
{
	struct state_header local;
	struct state_host host;

	state_header_from_vm(vm, &local);
	state_host_from_kvm(vm->kvm_fd, -1, &host); /* not vm_fd: see state_header_from_vm */
	state_compat(h, state_sections, state_nsections, &host, &local, c);
}
