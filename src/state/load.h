/* SPDX-License-Identifier: MIT */
/*
 * Reading a stream's records after its header, through DONE, into a VM: guest RAM and the
 * RAS and serial state directly, the KVM state (vCPUs, interrupt controllers, PIT, clock)
 * into images that migrate.c applies once everything has arrived intact. The same code runs
 * for a restore, for `snapshot check` and for the fuzzer (on an offline VM, offline.c).
 */
#ifndef RASVM_STATE_LOAD_H
#define RASVM_STATE_LOAD_H

#include <stdbool.h>
#include <stdint.h>

#include "kvm/x86/cpu_state.h"
#include "ras/ras_state.h"
#include "state/header.h"
#include "state/ram.h"
#include "state/stream.h"

struct vm;

struct state_load {
	struct vm *vm;
	const struct state_header *h;
	struct ram_in ram;
	struct ras_load rl;
	struct vm_image vmimg;
	struct vcpu_image *img;        /* per vCPU */
	bool *seen_cpu;
	bool seen_mach, seen_irqc, seen_pit, seen_clck, seen_serl, seen_rass;
	uint32_t resets;
	uint64_t sections[16];         /* records per section tag, for `snapshot check` */
	/* Called every few records (progress for query-migrate), may be NULL. */
	void (*progress)(void *arg, const struct state_in *in, const struct ram_in *ram);
	void *arg;
};

int state_load_init(struct state_load *l, struct vm *vm, const struct state_header *h);
void state_load_free(struct state_load *l);
/* Every record through DONE. 0, or -1 with in->why (in->err: -EBADMSG for damage). */
int state_load_records(struct state_load *l, struct state_in *in);

/* Read a stream's preamble and HEAD record and parse the header. 0 or -1 with in->why. */
int state_read_header(struct state_in *in, struct state_header *h);

#endif
