/* SPDX-License-Identifier: MIT */
/*
 * A VM without KVM, shaped as a stream's header describes (guest RAM reserved and laid out,
 * the RAS core with architecture operations that do nothing, the serial port's registers),
 * so `snapshot check` and the fuzzer can run every section's loader on a snapshot without
 * starting anything.
 */
#ifndef RASVM_STATE_OFFLINE_H
#define RASVM_STATE_OFFLINE_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "state/header.h"
#include "vm.h"

struct offline_vm {
	struct vm vm;
	struct config cfg;
	uint8_t *ram;
	unsigned built;   /* how far offline_vm_init got, for the unwinding */
};

/* 0, or -EINVAL/-ENOMEM with why (a machine this rasvm would not build). */
int offline_vm_init(struct offline_vm *o, const struct state_header *h, char *why, size_t len);
void offline_vm_free(struct offline_vm *o);

#endif
