// SPDX-License-Identifier: MIT
/*
 * The test port: the guest writes the GPA of a UCALL_SIZE-byte block to PORT_TEST and the
 * host acts on it (SYNC, DONE, ASSERT), as Linux KVM selftests' ucall does. The block and
 * the strings it points to are guest memory, so every address and length is checked.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <errno.h>

#include "dev/device.h"
#include "le.h"
#include "ras/sim.h"
#include "log.h"
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
		const uint8_t *c = mem_gpa_to_hva(&vm->mem, gpa + i, 1);
		if (c && sim_is_poisoned(vm, gpa + i, 1))
			c = NULL;
		if (!c) {
			snprintf(out, outlen, "<bad address 0x%llx>", (unsigned long long)gpa);
			return;
		}
		if (*c == '\0')
			break;
		out[i] = isprint(*c) ? (char)*c : '?';
	}
	out[i] = '\0';
}

static void testport_pio(struct vm *vm, struct vcpu *vcpu, uint16_t offset, bool is_write,
			 uint8_t *data, unsigned size)
{
	uint64_t expected = 0;

	(void)offset;
	if (!is_write) {
		pio_fill(data, size, 0xff);
		return;
	}
	atomic_compare_exchange_strong(&vm->first_testport_ns, &expected, now_ns());
	if (size != 4) {
		log_warn("vcpu %u: test port written with %u bytes, expected 4; ignored", vcpu->index,
			 size);
		return;
	}
	uint64_t gpa = le_get(data, 4);
	const uint8_t *blk = mem_gpa_to_hva(&vm->mem, gpa, UCALL_SIZE);
	if (blk && sim_is_poisoned(vm, gpa, UCALL_SIZE)) {
		log_warn("vcpu %u: test port block at 0x%llx is on a poisoned page; ignored", vcpu->index,
			 (unsigned long long)gpa);
		return;
	}
	if (!blk) {
		log_warn("vcpu %u: test port block at 0x%llx is outside guest RAM; ignored", vcpu->index,
			 (unsigned long long)gpa);
		return;
	}
	/* Copy once, so the guest cannot change the block between checks and use. */
	uint8_t u[UCALL_SIZE];
	memcpy(u, blk, sizeof(u));
	uint32_t cmd = (uint32_t)le_get(u, 4);
	uint64_t a0 = le_get(u + 8, 8), a1 = le_get(u + 16, 8), a2 = le_get(u + 24, 8);
	char s1[UCALL_STRING_MAX], s2[UCALL_STRING_MAX];

	switch (cmd) {
	case UCALL_SYNC:
		read_guest_string(vm, a1, s1, sizeof(s1));
		log_debug("vcpu %u: SYNC %llu %s", vcpu->index, (unsigned long long)a0, s1);
		break;
	case UCALL_POISON: {
		int64_t r = -EPERM;
		if (vm->cfg->guest_poison)
			r = sim_poison(vm, a0, a1 & 1, 12);
		else
			log_warn("vcpu %u: guest asked to poison 0x%llx; rasvm runs without --guest-poison",
				 vcpu->index, (unsigned long long)a0);
		/* The answer goes back into the block, re-checked: the guest may have moved it. */
		uint8_t *out = mem_gpa_to_hva(&vm->mem, gpa + 24, 8);
		if (out)
			le_put(out, (uint64_t)r, 8);
		break;
	}
	case UCALL_DONE:
		log_debug("vcpu %u: DONE", vcpu->index);
		break;
	case UCALL_ASSERT:
		read_guest_string(vm, a0, s1, sizeof(s1));
		read_guest_string(vm, a2, s2, sizeof(s2));
		vm_end(vm, VM_ASSERT, 0, "guest assertion failed on vcpu %u at %s:%llu: %s",
		       vcpu->index, s1, (unsigned long long)a1, s2);
		break;
	default:
		log_warn("vcpu %u: unknown test port command %u; ignored", vcpu->index, cmd);
		break;
	}
}

const struct device_ops testport_device = {
	.name = "testport",
	.port = PORT_TEST,
	.nports = 4,
	.pio = testport_pio,
};
