/* SPDX-License-Identifier: MIT */
/* The x86 implementation of struct ras_ops (ras/ras.h). */
#ifndef RASVM_KVM_X86_RAS_OPS_H
#define RASVM_KVM_X86_RAS_OPS_H

struct ras_ops;
extern const struct ras_ops x86_ras_ops;

#endif
