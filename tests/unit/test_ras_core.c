// SPDX-License-Identifier: MIT
/*
 * Verifies the runtime RAS core (ras.c, ghes.c, the poison table, the policy) against a fake
 * VM and a fake guest, no KVM: struct ras_ops is a script whose guest state (MCG_STATUS.MCIP,
 * CR4.MCE, bank enables, RIP) the tests set, and "running a vCPU" means doing its requests.
 * Each test is one defect of the hardening issue; the property test drives random sequences
 * of host errors, injections, guest handling, acknowledgements, resets and stops and checks
 * after every step that each report is accounted exactly once (delivered, queued,
 * overflowed, dropped with a reason, or lost) and that every block the guest is told of
 * holds exactly the records rasvm says it wrote.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "acpi/cper.h"
#include "acpi/spec.h"
#include "kvm/vcpu.h"
#include "le.h"
#include "ras/ras.h"
#include "ras/sim.h"
#include "rasvm/layout.h"
#include "vm.h"

#define RAM (32u << 20)
#define NCPUS 2
#define PAGE 4096u

/* ---- The fake guest: what the ops see, and what they did ---- */
struct fake_cpu {
	bool mcip, cr4_mce, bank_on;
	uint64_t rip;
	unsigned injected, nmis;
	struct mce_record last;
};
static struct fake_cpu cpu[NCPUS];
static unsigned irq_pulses;
static bool fail_inject;

static enum mce_result fake_inject(struct vcpu *v, const struct mce_record *r)
{
	struct fake_cpu *c = &cpu[v->index];
	bool uc = r->status & MCI_STATUS_UC;

	if (fail_inject)
		return MCE_FAILED;
	if (uc && c->mcip)
		return MCE_BUSY;
	if (uc && !c->cr4_mce)
		return MCE_DISABLED;
	if (uc && !c->bank_on)
		return MCE_BANK_DISABLED;
	if (uc)
		c->mcip = true;
	c->injected++;
	c->last = *r;
	return MCE_INJECTED;
}
static bool fake_lmce(struct vcpu *v) { (void)v; return false; }
static int fake_nmi(struct vcpu *v) { cpu[v->index].nmis++; return 0; }
static int fake_irq(struct vm *vm, unsigned gsi) { (void)vm; assert_int_equal(gsi, IRQ_GED); irq_pulses++; return 0; }
static int fake_rip(struct vcpu *v, uint64_t *rip) { *rip = cpu[v->index].rip; return 0; }

/* x86's: the vendor and family from the VM's CPUID. */
static void fake_guest_cpu(struct vm *v, bool *amd, bool *broadcast)
{
	uint32_t vendor = 0, leaf1 = 0;
	for (unsigned i = 0; v->cpuid && i < v->cpuid->nent; i++) {
		if (v->cpuid->entries[i].function == 0)
			vendor = v->cpuid->entries[i].ebx;
		if (v->cpuid->entries[i].function == 1)
			leaf1 = v->cpuid->entries[i].eax;
	}
	mce_guest_cpu(vendor, leaf1, amd, broadcast);
}

static const struct ras_ops fake_ops = {
	.inject_mce = fake_inject, .lmce_enabled = fake_lmce, .nmi = fake_nmi,
	.notify_sync = fake_nmi, .irq_pulse = fake_irq, .rip = fake_rip, .machine_checks = true,
	.guest_cpu = fake_guest_cpu,
};

/* arm64's: no machine checks, the sync source (SEA) taken precisely by the guest. The "machine
 * check" route is the CPU's exception without a record (fake_inject counts it the same). */
static const struct ras_ops fake_arm64_ops = {
	.inject_mce = fake_inject, .lmce_enabled = fake_lmce, .notify_sync = fake_nmi,
	.irq_pulse = fake_irq, .rip = fake_rip, .ghes_sync_precise = true,
};
static const struct ras_ops *build_ops = &fake_ops;

/* ---- The fake VM ---- */
static struct config cfg;
static struct vm vm;
static uint8_t *ram;

static void build(enum ras_policy policy, uint32_t sources, uint32_t queue)
{
	memset(&cfg, 0, sizeof(cfg));
	cfg.ras_policy = policy;
	cfg.ras = (struct ras_sources){ .mask = sources, .block_length = 4096, .poll_ms = 1000 };
	cfg.ras_queue = queue;
	cfg.cpus = NCPUS;
	memset(&vm, 0, sizeof(vm));
	vm.cfg = &cfg;
	vm.ncpus = NCPUS;
	vm.vm_fd = vm.kvm_fd = -1;
	ram = mmap(NULL, RAM, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(ram != MAP_FAILED);
	mem_layout(&vm.mem, ram, RAM);
	assert_int_equal(mem_punch(&vm.mem, LAYOUT_ERROR_REGION, 4096), 0);
	assert_int_equal(mem_track_init(&vm.mem), 0);
	assert_int_equal(sim_init(&vm), 0);
	assert_int_equal(vcpus_alloc(&vm), 0);
	assert_int_equal(vm_life_init(&vm), 0);
	assert_int_equal(ras_init(&vm, build_ops), 0);
	vm.ras->mce_wait_ns = 2 * 1000 * 1000; /* 2 ms instead of 5 s */
	assert_true(vm_boot_begin(&vm));
	memset(cpu, 0, sizeof(cpu));
	for (unsigned i = 0; i < NCPUS; i++)
		cpu[i] = (struct fake_cpu){ .cr4_mce = true, .bank_on = true, .rip = 0x401000 + i };
	irq_pulses = 0;
	fail_inject = false;
}

static int teardown(void **state)
{
	(void)state;
	ras_exit(&vm);
	vm_life_destroy(&vm);
	vcpus_free(&vm);
	sim_exit(&vm);
	mem_track_free(&vm.mem);
	munmap(ram, RAM);
	return 0;
}

static void check_invariant(void)
{
	uint64_t reports, accounted;
	pthread_mutex_lock(&vm.ras->lock);
	int r = ras_check_invariant(vm.ras, &reports, &accounted);
	pthread_mutex_unlock(&vm.ras->lock);
	if (r)
		fail_msg("%llu reports, %llu accounted", (unsigned long long)reports,
			 (unsigned long long)accounted);
}

/* The host's SIGBUS for gpa, as the handler would have stashed it. */
static void host_error(unsigned vcpu, bool ar, uint64_t gpa, unsigned lsb)
{
	void *hva = mem_gpa_to_hva(&vm.mem, gpa, 1);
	assert_non_null(hva);
	ras_host_error(&vm, ar ? &vm.vcpu[vcpu] : NULL, ar ? BUS_MCEERR_AR : BUS_MCEERR_AO, hva, lsb, now_ns());
	check_invariant();
}

/* A vCPU thread's turn: everything asked of it. */
static unsigned run_vcpu(unsigned i)
{
	unsigned req = atomic_exchange(&vm.vcpu[i].requests, 0);
	ras_vcpu_work(&vm.vcpu[i], req);
	check_invariant();
	return req;
}

/* The guest's #MC handler finishes: MCIP off. */
static void guest_mce_done(unsigned i) { cpu[i].mcip = false; }

static uint64_t reg(uint64_t gpa)
{
	uint8_t b[8];
	assert_true(ghes_mmio(&vm, &vm.vcpu[0], gpa, false, b, 8));
	return le_get(b, 8);
}

/* The guest reads source id's block as Linux does and acknowledges it; returns the records. */
static unsigned guest_ack(unsigned id)
{
	if (reg(ghes_ack_register(LAYOUT_ERROR_REGION, id)) != 0)
		return 0; /* nothing pending */
	uint64_t block = reg(ghes_address_register(LAYOUT_ERROR_REGION, id));
	const uint8_t *b = mem_gpa_to_hva(&vm.mem, block, 4096);
	struct cper_block_info info;
	char why[128];
	assert_non_null(b);
	if (cper_check(b, 4096, 4096, &info, why, sizeof(why)))
		fail_msg("source %u: the block the guest is told of is invalid: %s", id, why);
	/* Exactly the pages rasvm says it wrote, in order (a client's block aside). */
	const struct ghes_runtime *g = &vm.ras->ghes[id];
	if (!g->in_block_raw) {
		assert_int_equal(info.entries, g->in_block_count);
		for (unsigned i = 0; i < info.entries; i++) {
			struct cper_section_info sec;
			assert_int_equal(cper_section(b, &info, i, &sec), 0);
			assert_int_equal(le_get(sec.data + 16, 8), g->in_block[i]); /* physical_addr */
		}
	}
	uint8_t v[8];
	le_put(v, GHES_ACK_WRITE, 8);
	memset((void *)b, 0, 4);
	assert_true(ghes_mmio(&vm, &vm.vcpu[0], ghes_ack_register(LAYOUT_ERROR_REGION, id), true, v, 8));
	check_invariant();
	return info.entries;
}

static const struct ras_counters *n(void) { return &vm.ras->n; }

/* Defect 4: one action-optional error over a 2 MiB granule with --ras mce is 512 machine
 * checks, paced one at a time as the guest clears MCIP: none lost, none dropped. */
static void test_granule_paced(void **state)
{
	(void)state;
	build(RAS_POLICY_MCE, RAS_SOURCES_DEFAULT, 1024);
	/* Pacing, not giving up: a pause of the test between two rounds (a loaded machine, a
	 * sanitizer) must not count as the guest holding MCIP. */
	vm.ras->mce_wait_ns = RAS_MCE_WAIT_NS;
	host_error(0, false, 0x600000 + 0x5000, 21);
	assert_int_equal(n()->reports, 512);
	assert_int_equal(n()->pages, 512);
	unsigned rounds = 0;
	while (cpu[0].injected < 512 && rounds++ < 2000) {
		run_vcpu(0);
		guest_mce_done(0);
		atomic_fetch_or(&vm.vcpu[0].requests, VCPU_REQ_RAS); /* the poll timer's kick */
	}
	assert_int_equal(cpu[0].injected, 512);
	assert_int_equal(n()->delivered_mce, 512);
	assert_int_equal(n()->lost, 0);
	assert_int_equal(ras_dropped_total(n()), 0);
	assert_int_equal(cpu[0].last.misc & 0x3f, 12);
}

/* Defect 4, the other half: a guest that never clears MCIP. The first machine check goes in;
 * the rest wait, then go to the GHES source the policy would use for them. */
static void test_mcip_held_falls_back_to_ghes(void **state)
{
	(void)state;
	build(RAS_POLICY_MCE, RAS_SOURCES_DEFAULT, 1024);
	for (unsigned i = 0; i < 10; i++)
		host_error(0, false, 0x800000 + i * PAGE, 12);
	run_vcpu(0);
	assert_int_equal(cpu[0].injected, 1);
	assert_int_equal(n()->delivered_mce, 1);
	pthread_mutex_lock(&vm.ras->lock);
	assert_int_equal(ras_mce_queued_reports(vm.ras), 9);
	pthread_mutex_unlock(&vm.ras->lock);
	usleep(3000); /* longer than mce_wait_ns */
	run_vcpu(0);
	assert_int_equal(cpu[0].injected, 1);
	/* The first fills the block, the rest wait for the guest's acknowledgement. */
	assert_int_equal(n()->delivered_ghes[RAS_SOURCE_ASYNC], 1);
	assert_true(run_vcpu(0) & VCPU_REQ_IRQ_GED);
	assert_int_equal(irq_pulses, 1);
	assert_int_equal(guest_ack(RAS_SOURCE_ASYNC), 1);
	assert_int_equal(n()->delivered_ghes[RAS_SOURCE_ASYNC], 9);
	assert_int_equal(guest_ack(RAS_SOURCE_ASYNC), 8);
	assert_int_equal(n()->records_acked, 9);
	assert_int_equal(n()->blocks_acked, 2);
}

/* --ras-block-records 1 (rasvm's default for Linux guests, whose memory_failure_queue()
 * holds 16 per CPU): five queued errors go out one record per block, each after the ack. */
static void test_one_record_per_block(void **state)
{
	(void)state;
	build(RAS_POLICY_BOTH, RAS_SOURCES_DEFAULT, 1024);
	vm.ras->sources.records_max = 1;
	for (unsigned i = 0; i < 5; i++)
		host_error(0, false, 0x800000 + i * PAGE, 12);
	assert_int_equal(n()->delivered_ghes[RAS_SOURCE_ASYNC], 1);
	for (unsigned i = 0; i < 5; i++) {
		assert_int_equal(guest_ack(RAS_SOURCE_ASYNC), 1);
		assert_int_equal(n()->delivered_ghes[RAS_SOURCE_ASYNC], i + 2 > 5 ? 5 : i + 2);
	}
	assert_int_equal(n()->records_acked, 5);
	assert_int_equal(n()->blocks_acked, 5);
}

/* With no GHES source to fall back to, a guest that keeps MCIP set gets its errors dropped
 * with that reason, counted. */
static void test_mcip_held_no_ghes_dropped(void **state)
{
	(void)state;
	build(RAS_POLICY_MCE, 0, 1024);
	host_error(0, false, 0x800000, 12);
	host_error(0, false, 0x801000, 12);
	run_vcpu(0);
	usleep(3000);
	run_vcpu(0);
	assert_int_equal(n()->delivered_mce, 1);
	assert_int_equal(n()->dropped[RAS_DROP_MCE_BUSY], 1);
	assert_int_equal(n()->lost, 0);
}

/* CR4.MCE clear: an action-optional machine check waits for the guest to turn it on; an
 * action-required one on such a CPU is a reset (the CPU would shut down), counted once. */
static void test_cr4_mce_clear(void **state)
{
	(void)state;
	build(RAS_POLICY_MCE, 0, 1024);
	cpu[0].cr4_mce = false;
	host_error(0, false, 0x800000, 12);
	run_vcpu(0);
	assert_int_equal(cpu[0].injected, 0);
	cpu[0].cr4_mce = true;
	run_vcpu(0);
	atomic_fetch_or(&vm.vcpu[0].requests, VCPU_REQ_RAS);
	run_vcpu(0);
	assert_int_equal(cpu[0].injected, 1);
	guest_mce_done(0);
	cpu[1].cr4_mce = false;
	host_error(1, true, 0x900000, 12);
	run_vcpu(1);
	assert_int_equal(n()->resets, 1);
	assert_int_equal(n()->dropped[RAS_DROP_RESET], 1);
	assert_true(vm_leaving(&vm));
	enum vm_reset_cause cause;
	char why[256];
	assert_true(vm_boot_finish(&vm, &cause, why, sizeof(why)));
	assert_int_equal(cause, VM_RESET_RAS);
	assert_non_null(strstr(why, "CR4.MCE clear"));
}

/* Defect 11: a machine check into a bank the guest disabled is not a delivery. */
static void test_bank_disabled(void **state)
{
	(void)state;
	build(RAS_POLICY_MCE, 0, 1024);
	cpu[0].bank_on = false;
	host_error(0, false, 0x800000, 12);
	run_vcpu(0);
	assert_int_equal(n()->delivered_mce, 0);
	assert_int_equal(n()->dropped[RAS_DROP_BANK_DISABLED], 1);
}

/* Defect 5: an action-required error that arrives as the vCPU stops is recorded (the page
 * is in the table, so the reset replaces it) and accounted; the reset drops it with its
 * reason and recovers the page. */
static void test_ar_at_stop(void **state)
{
	(void)state;
	build(RAS_POLICY_BOTH, RAS_SOURCES_DEFAULT, 1024);
	vm_end(&vm, VM_QUIT, 0, "quit");
	host_error(1, true, 0x700000, 12);
	run_vcpu(1); /* leaving: nothing is injected */
	assert_int_equal(cpu[1].injected, 0);
	pthread_mutex_lock(&vm.ras->lock);
	assert_non_null(poison_find(&vm.ras->table, 0x700000));
	assert_int_equal(ras_mce_queued_reports(vm.ras), 1);
	pthread_mutex_unlock(&vm.ras->lock);
	assert_true(mem_is_bad(&vm.mem, 0x700123, 1));
	ras_reset(&vm);
	check_invariant();
	assert_int_equal(n()->dropped[RAS_DROP_RESET], 1);
	assert_int_equal(n()->recovered, 1);
	assert_false(mem_is_bad(&vm.mem, 0x700123, 1));
}

/* Defect 16: with --ras ghes, the same vCPU touching the same page from the same instruction
 * again after a GHES record is told by machine check; machine checks that do not help either
 * end in a reset instead of a loop. */
static void test_repeat_escalates(void **state)
{
	(void)state;
	build(RAS_POLICY_GHES, RAS_SOURCES_DEFAULT, 1024);
	host_error(0, true, 0x700000, 12);
	assert_true(run_vcpu(0) & VCPU_REQ_GHES_SYNC);
	assert_int_equal(cpu[0].nmis, 1);
	assert_int_equal(n()->delivered_ghes[RAS_SOURCE_SYNC], 1);
	assert_int_equal(guest_ack(RAS_SOURCE_SYNC), 1);
	host_error(0, true, 0x700000, 12); /* the guest went back to the same load */
	run_vcpu(0);
	assert_int_equal(n()->escalated, 1);
	assert_int_equal(cpu[0].injected, 1);
	assert_true(cpu[0].last.status & MCI_STATUS_AR);
	/* A different instruction is a new access: GHES again. */
	guest_mce_done(0);
	cpu[0].rip += 4;
	host_error(0, true, 0x700000, 12);
	run_vcpu(0);
	assert_int_equal(n()->delivered_ghes[RAS_SOURCE_SYNC], 2);
	/* --ras mce and a guest that returns to the load after every machine check. */
	teardown(NULL);
	build(RAS_POLICY_MCE, 0, 1024);
	for (unsigned i = 0; i <= RAS_REPEAT_RESET && !vm_leaving(&vm); i++) {
		host_error(0, true, 0x700000, 12);
		run_vcpu(0);
		guest_mce_done(0);
	}
	assert_true(vm_leaving(&vm));
	assert_int_equal(n()->resets, 1);
	assert_int_equal(n()->delivered_mce, RAS_REPEAT_RESET);
	assert_int_equal(n()->dropped[RAS_DROP_RESET], 1);
}

/* Defect 3: a raw block longer than its record is refused, and nothing lands past the
 * source's own block. */
static void test_raw_trailing_bytes(void **state)
{
	uint8_t rec[4096 * 4];
	struct cper_writer w;
	struct cper_mem_error e = { .physical_address = 0x1234000, .address_mask = ~0xfffULL, .error_type = 3 };
	char why[192];
	(void)state;
	build(RAS_POLICY_BOTH, RAS_SOURCES_DEFAULT, 1024);
	memset(rec, 0xab, sizeof(rec));
	cper_begin(&w, rec, 4096);
	assert_int_equal(cper_add_memory(&w, CPER_SEV_RECOVERABLE, &e, NULL), 0);
	int len = cper_finish(&w);
	assert_true(len > 0);
	uint64_t next = ghes_block(LAYOUT_ERROR_REGION, &cfg.ras, 1);
	uint8_t *nb = mem_gpa_to_hva(&vm.mem, next, 4096);
	assert_int_equal(ghes_inject_raw(vm.ras, 0, rec, (size_t)len + 12 * 1024, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "the record is"));
	for (unsigned i = 0; i < 4096; i++)
		assert_int_equal(nb[i], 0);
	assert_int_equal(ghes_inject_raw(vm.ras, 0, rec, (size_t)len, why, sizeof(why)), 0);
	assert_int_equal(n()->raw_ghes, 1);
	assert_int_equal(guest_ack(0), 1);
	assert_int_equal(n()->records_acked, 1);
	assert_int_equal(n()->reports, 0); /* a client's block is not a page's report */
	assert_int_equal(ghes_inject_raw(vm.ras, 7, rec, (size_t)len, why, sizeof(why)), -ENOENT);
}

/* Defect 11: the broadcast of an Intel family-6 guest reaches the other vCPUs, is not a
 * delivery, and x-inject-mce is counted. */
static void test_broadcast_and_raw(void **state)
{
	static struct {
		struct kvm_cpuid2 c;
		struct kvm_cpuid_entry2 e[2];
	} id = { .c.nent = 2, .e = { { .function = 0, .ebx = 0x756e6547 }, { .function = 1, .eax = 0x50654 } } };
	(void)state;
	build(RAS_POLICY_MCE, 0, 1024);
	ras_exit(&vm);
	vm.cpuid = &id.c;
	assert_int_equal(ras_init(&vm, &fake_ops), 0);
	assert_true(vm.ras->intel_broadcast);
	host_error(0, true, 0x700000, 12);
	run_vcpu(0);
	run_vcpu(1);
	assert_int_equal(cpu[1].injected, 1);
	assert_int_equal(cpu[1].last.bank, MCE_BROADCAST_BANK);
	assert_int_equal(n()->delivered_mce, 1);
	assert_int_equal(n()->broadcasts, 1);
	guest_mce_done(0);
	guest_mce_done(1);
	struct mce_record r = { .bank = 9, .status = MCI_STATUS_VAL | MCI_STATUS_UC, .mcg_status = MCG_STATUS_MCIP };
	assert_int_equal(ras_inject_mce(&vm, 1, &r, false), 0);
	run_vcpu(1);
	assert_int_equal(n()->raw_mce, 1);
	vm.cpuid = NULL;
}

/* A client's raw machine check waits in vCPU 0's queue when the vCPU stops at an access to a
 * poisoned page: the action-required error goes first, the raw one once the guest cleared
 * MCIP. Behind the raw one it found MCIP set by it in the same pump and reset the guest
 * (tests/kvm/hostile.sh in the emulated x86 host). */
static void test_ar_before_waiting_raw(void **state)
{
	(void)state;
	build(RAS_POLICY_MCE, 0, 1024);
	struct mce_record r = { .bank = 9, .status = MCI_STATUS_VAL | MCI_STATUS_UC, .mcg_status = MCG_STATUS_MCIP };
	assert_int_equal(ras_inject_mce(&vm, 0, &r, false), 0);
	host_error(0, true, 0x700000, 12);
	run_vcpu(0);
	assert_int_equal(cpu[0].injected, 1);
	assert_true(cpu[0].last.status & MCI_STATUS_ADDRV);
	assert_int_equal(cpu[0].last.addr, 0x700000);
	assert_int_equal(n()->delivered_mce, 1);
	assert_int_equal(n()->resets, 0);
	assert_int_equal(n()->raw_mce, 0);
	guest_mce_done(0);
	run_vcpu(0);
	assert_int_equal(cpu[0].injected, 2);
	assert_int_equal(cpu[0].last.bank, 9);
	assert_int_equal(n()->raw_mce, 1);
	assert_int_equal(n()->resets, 0);
}

/* The property: random sequences never break the accounting, and every block the guest is
 * told of holds what rasvm says it wrote. */
static void test_random_sequences(void **state)
{
	(void)state;
	for (unsigned seed = 1; seed <= 40; seed++) {
		srandom(seed);
		enum ras_policy p = (enum ras_policy)(random() % 4);
		uint32_t sources = (uint32_t)(random() % 8);
		build(p, sources, 1 + (uint32_t)(random() % 32));
		for (unsigned step = 0; step < 400; step++) {
			unsigned v = (unsigned)(random() % NCPUS);
			uint64_t gpa = 0x200000 + (uint64_t)(random() % 2048) * PAGE;
			switch (random() % 12) {
			case 0: case 1: case 2:
				host_error(v, false, gpa, random() % 8 ? 12 : 14);
				break;
			case 3: case 4:
				if (p != RAS_POLICY_OFF) /* --ras off ends the VM on AR: tested elsewhere */
					host_error(v, true, gpa, 12);
				break;
			case 5: case 6:
				run_vcpu(v);
				break;
			case 7:
				guest_mce_done(v);
				break;
			case 8:
				for (unsigned id = 0; id < RAS_SOURCES_MAX; id++)
					if (sources & (1u << id))
						guest_ack(id);
				break;
			case 9:
				cpu[v].cr4_mce = random() % 4 != 0;
				cpu[v].bank_on = random() % 8 != 0;
				cpu[v].rip = 0x401000 + (uint64_t)(random() % 3);
				break;
			case 10: {
				struct mce_record r = { .bank = 9, .status = MCI_STATUS_VAL | MCI_STATUS_UC,
							.mcg_status = MCG_STATUS_MCIP };
				ras_inject_mce(&vm, v, &r, random() % 2);
				break;
			}
			case 11:
				if (random() % 4 == 0 && vm_outcome(&vm, NULL, NULL, 0) == VM_OUTCOME_NONE) {
					/* A reset: the vCPUs stop, the machine is rebuilt. */
					enum vm_reset_cause cause;
					char why[256];
					vm_reset(&vm, VM_RESET_CONTROL, "test");
					assert_true(vm_boot_finish(&vm, &cause, why, sizeof(why)));
					ras_reset(&vm);
					check_invariant();
					assert_true(vm_boot_begin(&vm));
					for (unsigned i = 0; i < NCPUS; i++)
						cpu[i].mcip = false;
				}
				break;
			}
			if (vm_leaving(&vm) && vm_outcome(&vm, NULL, NULL, 0) == VM_OUTCOME_NONE) {
				/* RAS asked for a reset: carry it out as boot.c would. */
				enum vm_reset_cause cause;
				char why[256];
				assert_true(vm_boot_finish(&vm, &cause, why, sizeof(why)));
				ras_reset(&vm);
				assert_true(vm_boot_begin(&vm));
				for (unsigned i = 0; i < NCPUS; i++)
					cpu[i].mcip = false;
			}
		}
		assert_int_equal(n()->lost, 0);
		check_invariant();
		teardown(NULL);
	}
	build(RAS_POLICY_BOTH, RAS_SOURCES_DEFAULT, 8); /* for the group's teardown */
}

/* ---- arm64: the sync source is an SEA the guest takes for the access that faulted ---- */

static void build_arm64(enum ras_policy policy, uint32_t sources)
{
	build_ops = &fake_arm64_ops;
	build(policy, sources, 1024);
	build_ops = &fake_ops;
}

/* The default policy sends action required to the SEA source at once: the record is in the
 * block and the SEA raised on the vCPU that faulted, which is still at its access. */
static void test_sea_at_the_access(void **state)
{
	(void)state;
	build_arm64(RAS_POLICY_BOTH, RAS_SOURCES_DEFAULT);
	host_error(1, true, 0x700000, 12);
	assert_true(run_vcpu(1) & VCPU_REQ_GHES_SYNC);
	assert_int_equal(cpu[1].nmis, 1);
	assert_int_equal(cpu[0].nmis + cpu[0].injected + cpu[1].injected, 0);
	assert_int_equal(n()->delivered_ghes[RAS_SOURCE_SYNC], 1);
	assert_false(ras_vcpu_stalled(&vm.vcpu[1]));
	assert_int_equal(guest_ack(RAS_SOURCE_SYNC), 1);
	/* The same access again after the record: a new access, told the same way (x86 would
	 * escalate to a machine check, as Linux takes x86 GHES asynchronously). */
	host_error(1, true, 0x700000, 12);
	run_vcpu(1);
	assert_int_equal(cpu[1].nmis, 2);
	assert_int_equal(n()->escalated, 0);
	assert_int_equal(n()->delivered_ghes[RAS_SOURCE_SYNC], 2);
	/* Action optional never goes to the SEA source: async first. */
	host_error(0, false, 0x900000, 12);
	assert_int_equal(n()->delivered_ghes[RAS_SOURCE_ASYNC], 1);
}

/* An error while the guest has not acknowledged the previous SEA record: never fatal. The
 * record waits, the vCPU stalls at its access; when the block is free the record is written
 * and its SEA raised there. A vCPU that ran meanwhile gets it when it faults again. */
static void test_sea_waits_for_the_block(void **state)
{
	(void)state;
	build_arm64(RAS_POLICY_BOTH, RAS_SOURCES_DEFAULT);
	host_error(0, true, 0x700000, 12);
	run_vcpu(0);
	assert_int_equal(cpu[0].nmis, 1);
	host_error(1, true, 0x701000, 12); /* the block still holds vCPU 0's record */
	run_vcpu(1);
	assert_int_equal(cpu[1].nmis, 0);
	assert_true(ras_vcpu_stalled(&vm.vcpu[1]));
	assert_int_equal(n()->reports, 2);
	/* The stalled vCPU faults again meanwhile: the same report, not a new one. */
	host_error(1, true, 0x701000, 12);
	run_vcpu(1);
	assert_int_equal(n()->reports, 2);
	assert_int_equal(n()->sea_refaults, 1);
	assert_int_equal(guest_ack(RAS_SOURCE_SYNC), 1); /* on vCPU 0: vCPU 1's record goes out */
	assert_true(run_vcpu(1) & VCPU_REQ_GHES_SYNC);
	assert_int_equal(cpu[1].nmis, 1);
	assert_false(ras_vcpu_stalled(&vm.vcpu[1]));
	assert_int_equal(guest_ack(RAS_SOURCE_SYNC), 1);

	/* This time vCPU 1 re-enters the guest before the block frees: no SEA at the ack ... */
	host_error(0, true, 0x702000, 12);
	run_vcpu(0);
	host_error(1, true, 0x703000, 12);
	run_vcpu(1);
	vm.vcpu[1].runs++; /* it ran (an interrupt, say) */
	assert_int_equal(guest_ack(RAS_SOURCE_SYNC), 1);
	run_vcpu(1);
	assert_int_equal(cpu[1].nmis, 1);
	assert_int_equal(n()->delivered_ghes[RAS_SOURCE_SYNC], 4);
	/* ... but when its access faults again, right there. */
	host_error(1, true, 0x703000, 12);
	run_vcpu(1);
	assert_int_equal(cpu[1].nmis, 2);
	assert_int_equal(n()->reports, 4);
	assert_int_equal(guest_ack(RAS_SOURCE_SYNC), 1);
	assert_int_equal(n()->lost, 0);
}

/* A record owed its SEA whose vCPU never comes back to the access goes to the async source. */
static void test_sea_owed_expires(void **state)
{
	(void)state;
	build_arm64(RAS_POLICY_BOTH, RAS_SOURCES_DEFAULT);
	host_error(0, true, 0x700000, 12);
	run_vcpu(0);
	host_error(1, true, 0x701000, 12);
	vm.vcpu[1].runs++;
	assert_int_equal(guest_ack(RAS_SOURCE_SYNC), 1);
	run_vcpu(1);
	assert_int_equal(cpu[1].nmis, 0);
	pthread_mutex_lock(&vm.ras->lock);
	ghes_sea_expire(vm.ras, now_ns() + RAS_SEA_OWED_NS + 1);
	pthread_mutex_unlock(&vm.ras->lock);
	check_invariant();
	assert_int_equal(n()->sea_rerouted, 1);
	assert_int_equal(n()->delivered_ghes[RAS_SOURCE_SYNC], 1);
	assert_int_equal(n()->delivered_ghes[RAS_SOURCE_ASYNC], 1);
	assert_true(run_vcpu(0) & VCPU_REQ_IRQ_GED);
	assert_int_equal(guest_ack(RAS_SOURCE_ASYNC), 1);
	/* The SEA block is free again. */
	host_error(0, true, 0x702000, 12);
	run_vcpu(0);
	assert_int_equal(cpu[0].nmis, 2);
}

/* --ras mce on arm64: the CPU's own exceptions, no records. */
/* --ras-pace-ms: after each acknowledged async block the next waits out the pause (vCPU 0
 * writes it when it comes back, ghes_pump) and holds at most 8 records, so two blocks fit
 * Linux's recovery queue of 16. None is lost on the way. */
static void test_async_paced(void **state)
{
	(void)state;
	build(RAS_POLICY_GHES, RAS_SOURCES_DEFAULT, 1024);
	vm.ras->pace_ns = 100ULL * 1000 * 1000;
	host_error(0, false, 0x800000, 18); /* 64 pages */
	/* The first page found the block free and went alone; 63 wait. */
	unsigned got = guest_ack(RAS_SOURCE_ASYNC), blocks = 1;
	assert_int_equal(got, 1);
	while (got < 64) {
		/* Acknowledged just now: nothing new before the pause is over. */
		assert_int_equal(guest_ack(RAS_SOURCE_ASYNC), 0);
		run_vcpu(0);
		assert_int_equal(guest_ack(RAS_SOURCE_ASYNC), 0);
		usleep(110000);
		assert_true(run_vcpu(0) & VCPU_REQ_RAS); /* asked to come back */
		run_vcpu(0);
		unsigned k = guest_ack(RAS_SOURCE_ASYNC);
		assert_true(k >= 1 && k <= 8);
		got += k;
		blocks++;
	}
	assert_int_equal(got, 64);
	assert_int_equal(blocks, 1 + 8); /* 63 = 7 x 8 + 7 */
	assert_int_equal(n()->delivered_ghes[RAS_SOURCE_ASYNC], 64);
	assert_int_equal(n()->lost, 0);
}

static void test_arm64_bare_exceptions(void **state)
{
	(void)state;
	build_arm64(RAS_POLICY_MCE, RAS_SOURCES_DEFAULT);
	host_error(0, true, 0x700000, 12);
	run_vcpu(0);
	assert_int_equal(cpu[0].injected, 1);
	assert_true(cpu[0].last.status & MCI_STATUS_AR);
	assert_int_equal(n()->delivered_mce, 1);
	assert_int_equal(n()->delivered_ghes[RAS_SOURCE_SYNC], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_granule_paced, teardown),
		cmocka_unit_test_teardown(test_mcip_held_falls_back_to_ghes, teardown),
		cmocka_unit_test_teardown(test_one_record_per_block, teardown),
		cmocka_unit_test_teardown(test_mcip_held_no_ghes_dropped, teardown),
		cmocka_unit_test_teardown(test_cr4_mce_clear, teardown),
		cmocka_unit_test_teardown(test_bank_disabled, teardown),
		cmocka_unit_test_teardown(test_ar_at_stop, teardown),
		cmocka_unit_test_teardown(test_repeat_escalates, teardown),
		cmocka_unit_test_teardown(test_raw_trailing_bytes, teardown),
		cmocka_unit_test_teardown(test_broadcast_and_raw, teardown),
		cmocka_unit_test_teardown(test_ar_before_waiting_raw, teardown),
		cmocka_unit_test_teardown(test_random_sequences, teardown),
		cmocka_unit_test_teardown(test_sea_at_the_access, teardown),
		cmocka_unit_test_teardown(test_sea_waits_for_the_block, teardown),
		cmocka_unit_test_teardown(test_sea_owed_expires, teardown),
		cmocka_unit_test_teardown(test_arm64_bare_exceptions, teardown),
		cmocka_unit_test_teardown(test_async_paced, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
