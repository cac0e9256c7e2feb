// SPDX-License-Identifier: MIT
/*
 * The guest's side of RAS, modelled on what Linux does on arm64 (drivers/acpi/apei/ghes.c,
 * arch/arm64/mm/fault.c, arch/arm64/kernel/traps.c):
 *  - a synchronous external abort (SEA) first asks the SEA-notified GHES source
 *    (ghes_notify_sea): a record there is action required (is_hest_sync_notify()): the page
 *    is taken out of use and the task that faulted at EL0 is killed (SIGBUS BUS_MCEERR_AR);
 *    at EL1 only a fixup can save the kernel (Linux panics). An SEA no source claims kills the
 *    EL0 task without recovering anything (do_sea -> arm64_notify_die);
 *  - the GED's interrupt (a GSIV source) and polling read their sources asynchronously:
 *    the pages go out of use, nothing is killed;
 *  - an SError whose syndrome says "restartable" (AET UEO, or corrected) is survived, any
 *    other is fatal (arm64_is_fatal_ras_serror).
 * Each record is checked with the guest's own CPER reader, printed as Linux prints it,
 * cleared and acknowledged with the source's preserve/write values.
 */
#include "guest.h"
#include "lib/cper.h"

#define OFFLINE_PAGES (1u << 18) /* a bit per 4 KiB page of the first 1 GiB of RAM */

struct guest_ras ras;
static uint8_t offline[OFFLINE_PAGES / 8];

int page_is_offline(uint64_t pa)
{
	uint64_t i = (pa - LAYOUT_ARM64_RAM) >> 12;
	return pa >= LAYOUT_ARM64_RAM && i < OFFLINE_PAGES && (offline[i / 8] >> (i % 8) & 1);
}

/* memory_failure(): take the page out of use; with sync (the record came with the SEA of this
 * very access) kill the task if it was using it and faulted at EL0. Returns 1 when the
 * interrupted context is that task (the caller ends it). */
static int memory_failure(uint64_t pa, struct trap_frame *f, int sync)
{
	uint64_t pfn = pa >> 12, i = (pa - LAYOUT_ARM64_RAM) >> 12;
	int dirty = (pa & ~0xfffULL) == USER_DATA && ras.task_running;
	int kill = sync && dirty && f && from_el0(f);

	if (pa >= LAYOUT_ARM64_RAM && i < OFFLINE_PAGES) {
		uint8_t bit = (uint8_t)(1u << (i % 8));
		if (!(__atomic_fetch_or(&offline[i / 8], bit, __ATOMIC_ACQ_REL) & bit))
			__atomic_add_fetch(&ras.offlined, 1, __ATOMIC_ACQ_REL);
	}
	if (kill && !ras.quiet)
		printf("Memory failure: 0x%lx: Sending SIGBUS to task:1 due to hardware memory corruption\n", pfn);
	if (!ras.quiet)
		printf("Memory failure: 0x%lx: recovery action for %s: Recovered\n", pfn,
		       dirty ? "dirty LRU page" : "free buddy page");
	return kill;
}

/* lib/ghes.c's questions: the block must lie in the ACPI NVS range the EFI memory map gives;
 * no other sections than memory errors are acted on. */
const char *ras_block_bad(uint64_t block, uint32_t len)
{
	if (block < bi.nvs_base || block + len > bi.nvs_end)
		return "the block address register points outside the ACPI NVS range";
	return 0;
}

int ras_memory_failure(uint64_t pa, struct trap_frame *f, int sync)
{
	return memory_failure(pa, f, sync);
}

void ras_record_sections(const uint8_t *b, const struct gcper_result *rp, struct trap_frame *f)
{
	(void)b;
	(void)rp;
	(void)f;
}

/* The fixup is checked_read's alone: an abort anywhere else does not resume there (its
 * return would go wherever x30 points). */
static int at_checked_read(const struct trap_frame *f)
{
	return ras.kernel_fixup && f->elr == (uint64_t)(uintptr_t)checked_read;
}

void ras_sea(struct trap_frame *f)
{
	mark(); /* first thing: rasvm times SIGBUS -> handler (--stats) */
	const struct ghes_source *s = ras_source(NOTIFY_TYPE_SEA);
	int el0 = from_el0(f);

	ras.seas++;
	ras.last_far = f->far;
	if (s && !ras.no_ack && ghes_process(s, f, 1)) {
		/* Claimed. A task that faulted was killed above if the record named its page;
		 * in the kernel only a fixup lets it carry on. */
		if (!el0) {
			if (at_checked_read(f))
				f->elr = ras.kernel_fixup;
			else if (ras.serving)
				f->elr += 4;
			else
				ucall_assert(__FILE__, __LINE__, "SEA in kernel mode without a fixup: Linux panics");
		}
		return;
	}
	ras.seas_unclaimed++;
	if (!ras.quiet)
		printf("sea: no GHES record claims it (far 0x%lx, %s): %s\n", f->far, el0 ? "EL0" : "EL1",
		       el0 && ras.task_running ? "the task is killed (SIGBUS), nothing is recovered"
		       : at_checked_read(f) ? "the kernel resumes at its fixup" : "the access is skipped");
	if (el0 && ras.task_running)
		kill_task(f);
	else if (!el0 && at_checked_read(f))
		f->elr = ras.kernel_fixup;
	else if (ras.serving)
		f->elr += 4; /* a hostile access rasvm answered with an abort: skip it */
	else
		ucall_assert(__FILE__, __LINE__, "SEA without a record: Linux would panic");
}

void ras_serror(struct trap_frame *f)
{
	uint64_t iss = f->esr & 0xffffff;
	unsigned aet = (unsigned)(iss >> 10) & 7, ids = (unsigned)(iss >> 24) & 1;

	mark();
	ras.serrors++;
	/* arm64_is_fatal_ras_serror(): corrected (6) and restartable (UEO, 2) errors let the CPU
	 * make progress; anything else, or an IMPLEMENTATION DEFINED syndrome, is fatal. */
	if (!ids && (iss & 0x3f) == 0x11 && (aet == 2 || aet == 6)) {
		if (!ras.quiet)
			printf("serror: ESR 0x%lx: a restartable error (AET %u): carrying on\n", f->esr & 0xffffffffUL, aet);
		return;
	}
	printf("SError Interrupt on CPU%u, code 0x%lx -- SError\n", cpu_index(), f->esr & 0xffffffffUL);
	printf("Kernel panic - not syncing: Asynchronous SError Interrupt\n");
	power_off(GUEST_EXIT_GHES_PANIC);
}

static void ged_interrupt(struct trap_frame *f)
{
	const struct ghes_source *s = ras_source(NOTIFY_TYPE_GSIV);
	ras.gsivs++;
	/* An edge may stand for several blocks: read until the source is empty. */
	while (s && !ras.no_ack && ghes_process(s, f, 0))
		;
}

void ras_setup(void)
{
	ghes_read_sources();
	const struct ghes_source *g = ras_source(NOTIFY_TYPE_GSIV);
	if (g) {
		GUEST_ASSERT(g->vector == IRQ_ARM64_GED);
		gic_route_spi(g->vector, 1, ged_interrupt);
	}
}
