/* SPDX-License-Identifier: MIT */
/*
 * The sections of a snapshot or migration stream, their tags and versions, and what a
 * running VM says about itself in a header (machine.c). Each section is saved and loaded by
 * the code that owns the state, beside it: RAMP state/ram.c, VCPU/IRQC/PIT2/CLCK
 * kvm/x86/cpu_state.c, SERL dev/serial.c, RASS ras/ras_state.c, MACH state/migrate.c.
 */
#ifndef RASVM_STATE_SECTIONS_H
#define RASVM_STATE_SECTIONS_H

#include "state/header.h"
#include "state/stream.h"

#define TAG_MACH STATE_TAG('M', 'A', 'C', 'H')
#define TAG_SERL STATE_TAG('S', 'E', 'R', 'L')
#define MACH_VERSION 1

struct vm;

/* Every section this rasvm writes, in stream order, with the versions it reads. */
extern const struct section_support state_sections[];
extern const unsigned state_nsections;

/* This VM, described as a stream it would write begins. */
void state_header_from_vm(const struct vm *vm, struct state_header *h);
/* What this host's KVM offers (kvm_fd: /dev/kvm open; vm_fd -1 when there is no VM). */
void state_host_from_kvm(int kvm_fd, int vm_fd, struct state_host *host);
/* Both, as query-migrate-compat and --incoming compare them. */
void state_compat_vm(const struct vm *vm, const struct state_header *h, struct compat *c);

#endif
