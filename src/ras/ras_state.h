/* SPDX-License-Identifier: MIT */
/* The RAS section of a snapshot or migration stream (ras_state.c). */
#ifndef RASVM_RAS_RAS_STATE_H
#define RASVM_RAS_RAS_STATE_H

#include <stdint.h>

#include "state/stream.h"

#define TAG_RASS STATE_TAG('R', 'A', 'S', 'S')
#define RASS_VERSION 1

struct vm;

/* What a load leaves for the vCPU threads: their requests and the simulator's touch. */
struct ras_load {
	uint32_t *requests;   /* per vCPU */
	uint64_t *touch_gpa;  /* per vCPU */
};
int ras_load_init(struct ras_load *l, unsigned ncpus);
void ras_load_free(struct ras_load *l);

/* With ras->lock held (the requests read are the ones that go with the state). */
void ras_state_save(struct vm *vm, struct state_out *o);
/* The section whose first record in_header() just read, into vm->ras (takes ras->lock).
 * On failure nothing of it stays: 0 or -1 (in->why). */
int ras_state_load(struct vm *vm, struct state_in *in, struct ras_load *out);
/* After a load, before the vCPU threads start: hand them what they owe the guest. */
void ras_state_resume(struct vm *vm, const struct ras_load *l);

#endif
