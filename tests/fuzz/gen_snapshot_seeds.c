// SPDX-License-Identifier: MIT
/*
 * Writes seeds for fuzz_snapshot into DIR: small but complete streams (an 8 MiB, one- or
 * two-vCPU machine, a few pages of RAM, one of them poisoned, RAS state with a page in each
 * state and records queued, made-up vCPU state KVM's sizes), and the header alone. Built and
 * run by tests/cli/fuzz.sh, so the seeds follow the format as it changes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "clock.h"
#include "dev/serial.h"
#include "kvm/x86/cpu_state.h"
#include "le.h"
#include "ras/ras.h"
#include "ras/ras_state.h"
#include "rasvm/layout.h"
#include "state/header.h"
#include "state/offline.h"
#include "state/ram.h"
#include "state/sections.h"
#include "state/stream.h"

static void header_for(struct state_header *h, unsigned cpus)
{
	struct guest_mem m;

	memset(h, 0, sizeof(*h));
	h->format = STATE_FORMAT;
	strcpy(h->writer, "rasvm seed");
	for (unsigned i = 0; i < state_nsections; i++)
		h->section[h->nsections++] = (struct header_section){ state_sections[i].tag, state_sections[i].version };
	strcpy(h->vendor, "GenuineIntel");
	h->signature = 0x906ea;
	h->xsave_size = 4096;
	h->mcg_cap = 0x100010a;
	h->cpus = cpus;
	h->memory = 8 << 20;
	h->ras_sources = 7;
	h->ras_block = 4096;
	h->ras_poll_ms = 1000;
	h->ras_queue = 8;
	strcpy(h->ras_policy, "both");
	strcpy(h->scenario, "seed");
	mem_layout(&m, (uint8_t *)0x7f0000000000ULL, h->memory); /* the layout only: never dereferenced */
	mem_punch(&m, LAYOUT_ERROR_REGION, 4096);
	for (unsigned i = 0; i < m.nregions; i++) {
		h->region[i].gpa = m.region[i].gpa;
		h->region[i].size = m.region[i].size;
	}
	h->nregions = m.nregions;
}

static enum mce_result busy(struct vcpu *v, const struct mce_record *r) { (void)v, (void)r; return MCE_BUSY; }
static bool no(struct vcpu *v) { (void)v; return false; }
static int ok(struct vcpu *v) { (void)v; return 0; }
static int irq(struct vm *vm, unsigned g) { (void)vm, (void)g; return 0; }
static int rip(struct vcpu *v, uint64_t *r) { (void)v; *r = 0; return 0; }
/* An x86 guest's RAS (the snapshot is x86's): machine checks, an NMI for the sync source. */
static const struct ras_ops ops = { .inject_mce = busy, .lmce_enabled = no, .nmi = ok, .notify_sync = ok,
				    .irq_pulse = irq, .rip = rip, .machine_checks = true };

static int write_seed(const char *dir, const char *name, unsigned cpus, int errors)
{
	struct state_header h;
	struct offline_vm o;
	struct state_out out;
	struct ram_out ro;
	char why[200], path[4096];
	static char text[HEADER_TEXT_MAX];

	header_for(&h, cpus);
	if (offline_vm_init(&o, &h, why, sizeof(why)) || out_init(&out, -1) || ram_out_init(&ro, &o.vm, &out)) {
		fprintf(stderr, "seed: %s\n", why);
		return 1;
	}
	o.vm.ras->ops = &ops;
	struct vm *vm = &o.vm;
	for (int i = 0; i < 3; i++)
		memset(mem_gpa_to_hva(&vm->mem, 0x200000 + i * 4096, 4096), 0x30 + i, 64);
	for (int i = 0; i < errors; i++)
		ras_host_error(vm, i == 1 ? &vm->vcpu[0] : NULL, i == 1 ? BUS_MCEERR_AR : BUS_MCEERR_AO,
			       mem_gpa_to_hva(&vm->mem, 0x300000 + i * 4096, 1), 12, now_ns());
	header_format(&h, text, sizeof(text));
	out_preamble(&out);
	out_begin(&out, TAG_HEAD, 1, 0);
	out_bytes(&out, text, strlen(text));
	out_end(&out);
	out_begin(&out, TAG_MACH, MACH_VERSION, 0);
	out_u32(&out, 0);
	out_u64(&out, h.mcg_cap);
	out_end(&out);
	ram_send_all(&ro);
	ram_send_poisoned(&ro, NULL);
	for (unsigned i = 0; i < cpus; i++) {
		static struct vcpu_image img;
		memset(&img, 0, sizeof(img));
		img.ncpuid = 2;
		img.cpuid[0].function = 0;
		img.cpuid[1].function = 1;
		img.xsave_len = 4096;
		img.xsave = calloc(1, 4096);
		img.has_xcrs = img.has_debugregs = true;
		img.nmsrs = 2;
		img.msr[0] = (struct cpu_msr){ 0x10, 12345 };
		img.msr[1] = (struct cpu_msr){ 0x17a, 0 };
		cpu_state_write(&out, i, &img);
		free(img.xsave);
	}
	struct vm_image vi;
	memset(&vi, 0, sizeof(vi));
	for (unsigned i = 0; i < 3; i++)
		vi.chip[i].chip_id = i;
	vm_state_write(&out, &vi);
	serial_state_save(&vm->serial, &out);
	pthread_mutex_lock(&vm->ras->lock);
	ras_state_save(vm, &out);
	pthread_mutex_unlock(&vm->ras->lock);
	out_begin(&out, TAG_DONE, 1, 0);
	out_u64(&out, out.records);
	out_end(&out);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(out.buf, 1, out.len, f) != out.len || fclose(f)) {
		perror(path);
		return 1;
	}
	snprintf(path, sizeof(path), "%s/%s.header", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(text, 1, strlen(text), f) != strlen(text) || fclose(f))
		return 1;
	ram_out_free(&ro);
	out_free(&out);
	offline_vm_free(&o);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: gen_snapshot_seeds DIR\n");
		return 64;
	}
	return write_seed(argv[1], "one-cpu.snap", 1, 0) || write_seed(argv[1], "two-cpus-errors.snap", 2, 5);
}
