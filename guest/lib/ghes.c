// SPDX-License-Identifier: MIT
/*
 * The GHES reader both guests share, as Linux's ghes_proc() reads a source: the status block
 * the source's address register names is checked with the guest's own CPER reader, printed as
 * Linux prints it, each memory address in it recovered (the guest's ras_memory_failure()),
 * then the block cleared and acknowledged with the source's preserve/write values. What a
 * record does to a task, and which notifications deliver it, are each guest's ras.c.
 */
#include "guest.h"
#include "lib/cper.h"

#define CPER_SEV_FATAL 1 /* UEFI N.2.1 Error Severity */

/*
 * One lock and one record buffer per source, as Linux keeps per-source state: a machine
 * check, an NMI or an SEA can interrupt the SCI's or the GED's interrupt handler on the same
 * CPU, and a handler that waited for a lock its own CPU holds would wait for ever. So the SEA
 * path takes only its own source's lock; the #MC handler takes no lock at all.
 */
static volatile int source_lock[GHES_MAX];
static struct gcper_result rec[GHES_MAX]; /* large: static, used under source_lock */

static void lock(int i)
{
	while (__atomic_exchange_n(&source_lock[i], 1, __ATOMIC_ACQUIRE))
		cpu_relax();
}

static void unlock(int i)
{
	__atomic_store_n(&source_lock[i], 0, __ATOMIC_RELEASE);
}

void kill_task(struct trap_frame *f)
{
	ras.task_running = 0;
	ras.tasks_killed++;
	task_end(f, TASK_KILLED);
}

static void print_line(void *ctx, const char *line)
{
	(void)ctx;
	printf("%s\n", line);
}

int ghes_process(const struct ghes_source *src, struct trap_frame *f, int sync)
{
	const char *why = "";
	int kill = 0, i = (int)(src - ras.sources);
	struct gcper_result *rp = &rec[i];

	lock(i);
	uint64_t block = reg_read64(src->address_reg);
	const uint8_t *b = (const uint8_t *)(uintptr_t)block;
	const char *bad = ras_block_bad(block, src->block_length);
	if (bad) {
		unlock(i);
		ucall_assert(__FILE__, __LINE__, bad);
	}
	if (get_le(b, 4) == 0) {
		unlock(i);
		return 0; /* nothing recorded: not ours */
	}
	unsigned seq = (unsigned)__atomic_add_fetch(&ras.ghes_events, 1, __ATOMIC_ACQ_REL);
	int r = gcper_read(b, src->block_length, rp, &why);
	if (r < 0) {
		printf("{%u}[Hardware Error]: GHES source %u: invalid error status block: %s\n", seq,
		       src->id, why);
		ras.ghes_invalid++;
	} else {
		if (!ras.quiet)
			gcper_print(b, rp, seq, src->id, print_line, 0);
		/* ghes_proc(): a fatal record panics the kernel once it is printed. */
		if (rp->severity == CPER_SEV_FATAL) {
			printf("Kernel panic - not syncing: Fatal hardware error!\n");
			power_off(GUEST_EXIT_GHES_PANIC);
		}
		uint32_t n = rp->mem_count < GCPER_MAX_MEM ? rp->mem_count : GCPER_MAX_MEM;
		for (uint32_t k = 0; k < n; k++) {
			if (ras.on_record)
				ras.on_record(rp->mem_addr[k]);
			ras.ghes_records++;
			ras.last_addr = rp->mem_addr[k];
			kill |= ras_memory_failure(rp->mem_addr[k], f, sync);
		}
		ras_record_sections(b, rp, f);
	}
	/* As Linux (ghes_clear_estatus, ghes_ack_error): block_status 0, then read the ack
	 * register, AND preserve, OR write, write it back. */
	*(volatile uint32_t *)(uintptr_t)block = 0;
	uint64_t ack = reg_read64(src->ack_reg);
	reg_write64(src->ack_reg, (ack & src->ack_preserve) | src->ack_write);
	__atomic_add_fetch(&ras.acks, 1, __ATOMIC_ACQ_REL);
	unlock(i);
	if (kill)
		kill_task(f);
	return 1;
}

void ghes_read_sources(void)
{
	const char *why = "";
	int n = hest_read(ras.sources, GHES_MAX, &why);

	if (n < 0)
		ucall_assert(__FILE__, __LINE__, why);
	ras.nsources = n;
}

const struct ghes_source *ras_source(unsigned notify)
{
	for (int i = 0; i < ras.nsources; i++)
		if (ras.sources[i].notify == notify)
			return &ras.sources[i];
	return 0;
}
