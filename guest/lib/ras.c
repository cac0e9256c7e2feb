// SPDX-License-Identifier: MIT
/*
 * The guest's side of RAS, modelled on what Linux does on x86: a machine-check handler that
 * reads the banks, offlines the page and kills the task that touched it; a GHES reader (for
 * the NMI, SCI and polled sources) that checks the record with the guest's own CPER reader,
 * prints what Linux prints, recovers each page, clears the block and acknowledges it with
 * the source's preserve/write values. A GHES record never kills a task here: Linux handles
 * every x86 GHES notification, NMI included, asynchronously (is_hest_sync_notify() is true
 * only for ARM SEA; memory_failure_queue() without MF_ACTION_REQUIRED), so the task that
 * touched the page goes back to the same load, and rasvm tells it again by machine check.
 */
#include "guest.h"
#include "lib/cper.h"

#define MSR_MCG_STATUS 0x17a
#define MCG_STATUS_EIPV (1ULL << 1) /* SDM 16.3.1.2: the error is tied to the interrupted instruction */
#define MCI_STATUS(b)  (0x401 + 4 * (b))
#define MCI_ADDR(b)    (0x402 + 4 * (b))
#define MCI_MISC(b)    (0x403 + 4 * (b))
#define MCI_VAL   (1ULL << 63)
#define MCI_UC    (1ULL << 61)
#define MCI_ADDRV (1ULL << 58)
#define OFFLINE_PAGES (1u << 20) /* a bit per 4 KiB page of the first 4 GiB */
#define CPER_SEV_RECOVERABLE 0 /* UEFI N.2.1 Error Severity */

struct guest_ras ras;
static uint8_t offline[OFFLINE_PAGES / 8];

int page_is_offline(uint64_t pfn)
{
	return pfn < OFFLINE_PAGES && (offline[pfn / 8] >> (pfn % 8) & 1);
}

/* memory_failure(): take the page out of use; with action_required (a machine check on the
 * access itself), kill the task if it was using it. Returns 1 when the interrupted context
 * is that task (the caller ends it). */
static int memory_failure(uint64_t pfn, struct trap_frame *f, int quiet, int action_required)
{
	int dirty = pfn == (USER_DATA >> 12) && ras.task_running;
	int kill = action_required && dirty && f && (f->cs & 3) == 3;

	if (pfn < OFFLINE_PAGES) {
		uint8_t bit = (uint8_t)(1u << (pfn % 8));
		if (!(__atomic_fetch_or(&offline[pfn / 8], bit, __ATOMIC_ACQ_REL) & bit))
			__atomic_add_fetch(&ras.offlined, 1, __ATOMIC_ACQ_REL);
	}
	/* Linux (6.1, judged by tests/kvm/linux_ras.sh): kill_me_maybe() says where the task
	 * consumed the page, then memory_failure() kills it. */
	if (kill && !quiet)
		printf("mce: Uncorrected hardware memory error in user-access at %lx\n"
		       "Memory failure: 0x%lx: Sending SIGBUS to task:1 due to hardware memory corruption\n",
		       pfn << 12, pfn);
	if (!quiet)
		printf("Memory failure: 0x%lx: recovery action for %s: Recovered\n", pfn,
		       dirty ? "dirty LRU page" : "free buddy page");
	return kill;
}

/* #MC (vector 18), installed at boot as Linux's is: the banks say where. An error tied to the
 * interrupted instruction (MCG_STATUS.EIPV: action required) in a user access kills the task,
 * in a kernel access goes to the fixup the kernel registered, or nothing can save us; one the
 * host found elsewhere (action optional, RIPV without EIPV) only takes the page out of use. */
static void machine_check(struct trap_frame *f)
{
	uint64_t cap = rdmsr(MSR_IA32_MCG_CAP), mcg = rdmsr(MSR_MCG_STATUS);
	unsigned banks = (unsigned)(cap & 0xff);
	int found = 0, user = (f->cs & 3) == 3, ar = (mcg & MCG_STATUS_EIPV) != 0;

	for (unsigned b = 0; b < banks; b++) {
		uint64_t st = rdmsr(MCI_STATUS(b));
		if (!(st & MCI_VAL))
			continue;
		uint64_t addr = (st & MCI_ADDRV) ? rdmsr(MCI_ADDR(b)) : 0;
		uint64_t misc = rdmsr(MCI_MISC(b));
		wrmsr(MCI_STATUS(b), 0);
		if (!ras.quiet) {
			printf("mce: [Hardware Error]: CPU %u: Machine Check Exception: %lx Bank %u: %016lx\n",
			       ras_cpu(), mcg, b, st);
			printf("mce: [Hardware Error]: RIP %02lx:<%016lx>\n", f->cs, f->rip);
			if (st & MCI_ADDRV)
				printf("mce: [Hardware Error]: ADDR %lx MISC %lx\n", addr, misc);
		}
		if (!(st & MCI_ADDRV)) {
			ras.broadcasts++; /* another vCPU's error, broadcast: nothing to recover here */
			continue;
		}
		found = 1;
		ras.machine_checks++;
		ras.last_addr = addr;
		int kill = memory_failure(addr >> 12, f, ras.quiet, ar);
		if (kill) {
			wrmsr(MSR_MCG_STATUS, 0);
			kill_task(f);
			return;
		}
	}
	wrmsr(MSR_MCG_STATUS, 0); /* MCIP off: the next machine check may come */
	/* A kernel access: checked_read resumes at the fixup the kernel registered, like Linux's
	 * exception-table entry for a checked copy, whether or not the guest is serving;
	 * returning to the load would only consume the poison again (rasvm resets a guest that
	 * does so 64 times). The RIP is the load's, or the next instruction's where the host
	 * emulated the load to completion first (rasvm's simulated poison, docs/ras.md).
	 * Anywhere else, fatal, unless serving (which survives kernel-mode errors). */
	if (found && ar && !user) {
		if (ras.kernel_fixup && f->rip >= (uint64_t)(uintptr_t)checked_read &&
		    f->rip < (uint64_t)(uintptr_t)checked_read_fault)
			f->rip = ras.kernel_fixup;
		else if (!ras.serving)
			ucall_assert(__FILE__, __LINE__, "machine check in kernel code without a fixup: fatal");
	}
}

/* arm64 Linux's ghes_handle_arm_hw_error() for a recoverable ARM section: a cache error with
 * a physical address loses that page (memory_failure); every other error info is reported as
 * unhandled. An ARM record counts as a GHES record here once per section. */
static void arm_hw_error(const uint8_t *b, uint32_t sev, struct trap_frame *f)
{
	static const char *const names[4] = { "cache error", "TLB error", "bus error",
					      "micro-architectural error" };
	unsigned n = (unsigned)get_le(b + 4, 2);

	ras.ghes_records++;
	if (sev != CPER_SEV_RECOVERABLE)
		return;
	const uint8_t *e = b + 40;
	for (unsigned i = 0; i < n; i++, e += 32) {
		unsigned type = e[4], valid = (unsigned)get_le(e + 2, 2);
		if ((type & 2) && (valid & 16)) {
			uint64_t pa = get_le(e + 24, 8);
			ras.last_addr = pa;
			memory_failure(pa >> 12, f, ras.quiet, 0);
			continue;
		}
		if (ras.quiet)
			continue;
		char text[120];
		unsigned at = 0;
		text[0] = 0;
		for (int t = 1; t <= 4; t++)
			if (type & (1u << t))
				at += (unsigned)snprintf(text + at, sizeof(text) - at, "%s%s", at ? "|" : "", names[t - 1]);
		printf("[Firmware Warn]: GHES: Unhandled processor error type 0x%02x: %s%s\n", type, text,
		       (type & ~0x1eu) ? " with reserved bit(s)" : "");
	}
}

/* lib/ghes.c's questions. The error region is identity-mapped RAM the guest trusts. */
const char *ras_block_bad(uint64_t block, uint32_t len)
{
	(void)block;
	(void)len;
	return 0;
}

/* A GHES record never kills a task here (see the top): never action required. */
int ras_memory_failure(uint64_t pa, struct trap_frame *f, int sync)
{
	(void)sync;
	return memory_failure(pa >> 12, f, ras.quiet, 0);
}

/* ARM processor error sections: arm_hw_error() each. */
void ras_record_sections(const uint8_t *b, const struct gcper_result *rp, struct trap_frame *f)
{
	for (uint32_t i = 0; i < rp->sections && i < GCPER_MAX_SECTIONS; i++)
		if (rp->sec[i].kind == GSEC_ARM)
			arm_hw_error(b + rp->sec[i].entry + rp->sec[i].header, rp->sec[i].severity, f);
}

static void nmi(struct trap_frame *f)
{
	const struct ghes_source *s = ras_source(NOTIFY_TYPE_NMI);
	ras.nmis++;
	if (s && !ras.no_ack && ghes_process(s, f, 0))
		return;
	if (ras.on_bare_nmi) {
		ras.on_bare_nmi();
		return;
	}
	if (ras.serving) {
		/* serve: an NMI that carries no record is the operator's "stop" (inject-nmi). */
		printf("serve: NMI without an error record: stopping\n");
		ucall_done();
		power_off(0);
	}
}

static void ged_interrupt(struct trap_frame *f)
{
	const struct ghes_source *s = ras_source(NOTIFY_TYPE_SCI);
	ras.scis++;
	/* An edge may stand for several blocks: read until the source is empty. */
	while (s && !ras.no_ack && ghes_process(s, f, 0))
		;
	lapic_eoi();
}

void ras_early(void)
{
	trap_set_handler(GUEST_VECTOR_MC, machine_check);
}

void ras_setup(void)
{
	ghes_read_sources();
	trap_set_handler(GUEST_VECTOR_MC, machine_check);
	trap_set_handler(GUEST_VECTOR_NMI, nmi);
	if (ras_source(NOTIFY_TYPE_SCI))
		irq_route(GED_GSI, GED_VECTOR, ged_interrupt);
}
