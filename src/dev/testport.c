// SPDX-License-Identifier: MIT
/*
 * The test port: the guest writes the GPA of a UCALL_SIZE-byte block to PORT_TEST and the
 * host acts on it (SYNC, DONE, ASSERT, POISON), as Linux KVM selftests' ucall does. The
 * block and the strings it points to are guest memory: read through mem_read(), which
 * checks every address and refuses pages known to be bad, copied once before use. Whatever
 * the guest writes here, it can only make rasvm print (rate-limited) lines.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dev/device.h"
#include "le.h"
#include "log.h"
#include "ras/ras.h"
#include "ras/sim.h"
#include "rasvm/layout.h"
#include "vm.h"

/* Copy a NUL-terminated guest string into out, replacing what is not printable. */
static void read_guest_string(struct vm *vm, uint64_t gpa, char *out, size_t outlen)
{
	size_t i = 0;

	if (gpa == 0) {
		snprintf(out, outlen, "-");
		return;
	}
	for (; i + 1 < outlen; i++) {
		uint8_t c;
		if (i > UINT64_MAX - gpa || mem_read(&vm->mem, gpa + i, &c, 1)) {
			snprintf(out, outlen, "<bad address 0x%llx>", (unsigned long long)gpa);
			return;
		}
		if (c == '\0')
			break;
		out[i] = isprint(c) ? (char)c : '?';
	}
	out[i] = '\0';
}

/* UCALL_POISON: the answer (0 or -errno) goes into the block's arg2 before the page goes bad,
 * so a guest poisoning the page that holds its own block still gets it. */
static void guest_poison(struct vm *vm, struct vcpu *vcpu, uint64_t blk_gpa, uint64_t target,
			 bool ao)
{
	int64_t r;

	if (!vm->cfg->guest_poison) {
		r = -EPERM;
		log_warn_rl("vcpu %u: guest asked to poison 0x%llx; rasvm runs without --guest-poison",
			    vcpu->index, (unsigned long long)target);
	} else if (vm->cfg->guest_poison_host) {
		r = ras_host_poison_check(vm, target, 12);
	} else {
		r = sim_check(vm, target, 12);
	}
	uint8_t answer[8];
	le_put(answer, (uint64_t)r, 8);
	if (mem_write(&vm->mem, blk_gpa + 24, answer, sizeof(answer)))
		log_warn_rl("vcpu %u: test port block at 0x%llx cannot take the answer", vcpu->index,
			    (unsigned long long)blk_gpa);
	if (r)
		return;
	r = vm->cfg->guest_poison_host ? ras_host_poison(vm, target, !ao, 12) : sim_poison(vm, target, ao, 12);
	if (r)
		log_err_rl("vcpu %u: poisoning 0x%llx failed: %s", vcpu->index,
			   (unsigned long long)target, strerror((int)-r));
}

static void testport_pio(struct vm *vm, struct vcpu *vcpu, uint16_t offset, bool is_write,
			 uint8_t *data, unsigned size)
{
	(void)offset;
	if (!is_write) {
		pio_fill(data, size, 0xff);
		return;
	}
	if (size != 4) {
		uint64_t expected = 0;
		atomic_compare_exchange_strong(&vm->first_testport_ns, &expected, now_ns());
		log_warn_rl("vcpu %u: test port written with %u bytes, expected 4; ignored", vcpu->index,
			    size);
		return;
	}
	testport_call(vm, vcpu, le_get(data, 4));
}

void testport_call(struct vm *vm, struct vcpu *vcpu, uint64_t gpa)
{
	uint64_t expected = 0;

	atomic_compare_exchange_strong(&vm->first_testport_ns, &expected, now_ns());
	/* Copy once, so the guest cannot change the block between checks and use. */
	uint8_t u[UCALL_SIZE];
	int r = mem_read(&vm->mem, gpa, u, sizeof(u));
	if (r) {
		log_warn_rl("vcpu %u: test port block at 0x%llx is %s; ignored", vcpu->index,
			    (unsigned long long)gpa, r == -EHWPOISON ? "on a poisoned page" : "outside guest RAM");
		return;
	}
	uint32_t cmd = (uint32_t)le_get(u, 4);
	uint64_t a0 = le_get(u + 8, 8), a1 = le_get(u + 16, 8), a2 = le_get(u + 24, 8);
	char s1[UCALL_STRING_MAX], s2[UCALL_STRING_MAX];

	switch (cmd) {
	case UCALL_SYNC:
		if (log_verbose) {
			read_guest_string(vm, a1, s1, sizeof(s1));
			log_debug_rl("vcpu %u: SYNC %llu %s", vcpu->index, (unsigned long long)a0, s1);
		}
		break;
	case UCALL_POISON:
		guest_poison(vm, vcpu, gpa, a0, a1 & 1);
		break;
	case UCALL_DONE:
		log_debug_rl("vcpu %u: DONE", vcpu->index);
		break;
	case UCALL_ASSERT:
		read_guest_string(vm, a0, s1, sizeof(s1));
		read_guest_string(vm, a2, s2, sizeof(s2));
		vm_end(vm, VM_ASSERT, 0, "guest assertion failed on vcpu %u at %s:%llu: %s",
		       vcpu->index, s1, (unsigned long long)a1, s2);
		break;
	default:
		log_warn_rl("vcpu %u: unknown test port command %u; ignored", vcpu->index, cmd);
		break;
	}
}

const struct device_ops testport_device = {
	.name = "testport",
	.port = PORT_TEST,
	.nports = 4,
	.pio = testport_pio,
};
