// SPDX-License-Identifier: MIT
#include "ras/sim.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kvm/arch.h"
#include "log.h"
#include "ras/sigbus.h"
#include "vm.h"

#define PAGE 4096ULL

/* The simulated hardware's poisoned pages: a bit per page of guest RAM. The lock only orders
 * poisoning against resets; lookups need none. */
struct sim {
	pthread_mutex_t lock;
	struct page_bits bad;
	/* Pages already reported to rasvm (AO at poisoning, AR at an access), and the pages
	 * lost "for action required": the guest's own next access is what reports those
	 * (--poison GPA, x-inject-host-memory-error on-access). An access that cannot be placed
	 * (sim_touch_unknown) is put on the pages not reported yet first, then on those. */
	struct page_bits told, armed;
	uint64_t count, armed_count;
};

int sim_init(struct vm *vm)
{
	struct sim *s = calloc(1, sizeof(*s));

	if (!s || page_bits_init(&s->bad, vm->mem.size / PAGE)) {
		free(s);
		return -ENOMEM;
	}
	if (page_bits_init(&s->told, vm->mem.size / PAGE) ||
	    page_bits_init(&s->armed, vm->mem.size / PAGE)) {
		page_bits_free(&s->told);
		page_bits_free(&s->bad);
		free(s);
		return -ENOMEM;
	}
	pthread_mutex_init(&s->lock, NULL);
	vm->sim = s;
	return 0;
}

/* What the kernel's force_sig_mceerr() sends, to this thread. */
static void send_sigbus(int code, void *hva, unsigned lsb)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	si.si_signo = SIGBUS;
	si.si_code = code;
	si.si_addr = hva;
	si.si_addr_lsb = (short)lsb;
	if (syscall(SYS_rt_tgsigqueueinfo, getpid(), gettid(), SIGBUS, &si) < 0)
		log_err_rl("simulator: rt_tgsigqueueinfo failed: %s", strerror(errno));
}

int sim_check(struct vm *vm, uint64_t gpa, unsigned lsb)
{
	if (lsb < 12 || lsb > 30)
		return -EINVAL;
	uint64_t span = 1ULL << lsb, start = gpa & ~(span - 1);
	/* The whole granule: all guest RAM in one region (so no wrap-around and no hole), none
	 * of it rasvm's GHES pages, which rasvm writes while the guest runs (a real host error
	 * there is repaired by ras.c; the simulator just declines). */
	if (start < arch_machine.error_region_end && start + span > arch_machine.error_region)
		return -EBUSY;
	return mem_gpa_to_hva(&vm->mem, start, span) ? 0 : -EFAULT;
}

int sim_poison(struct vm *vm, uint64_t gpa, bool ao, unsigned lsb)
{
	int r = sim_check(vm, gpa, lsb);
	if (r)
		return r;
	uint64_t span = 1ULL << lsb, start = gpa & ~(span - 1);
	uint8_t *hva = mem_gpa_to_hva(&vm->mem, start, span);
	struct sim *s = vm->sim;
	pthread_mutex_lock(&s->lock);
	r = mprotect(hva, span, PROT_NONE) < 0 ? -errno : 0;
	if (!r) {
		uint64_t first = (uint64_t)(hva - vm->mem.hva) / PAGE;
		for (uint64_t i = 0; i < span / PAGE; i++) {
			s->count += !page_bits_set(&s->bad, first + i);
			page_bits_set(&vm->mem.bad, first + i);
			if (!ao)
				s->armed_count += !page_bits_set(&s->armed, first + i);
			else /* the signal's lsb names the whole granule: rasvm reports every page */
				page_bits_set(&s->told, first + i);
		}
	}
	pthread_mutex_unlock(&s->lock);
	if (!r && ao)
		send_sigbus(BUS_MCEERR_AO, hva + ((gpa - start) & ~(PAGE - 1)), lsb);
	return r;
}

/* The guest's access raises the host's SIGBUS on this vCPU thread. */
static void touched(void *hva)
{
	sigbus_set_guest_access(true);
	send_sigbus(BUS_MCEERR_AR, hva, 12);
	sigbus_set_guest_access(false);
}

bool sim_touch(struct vm *vm, uint64_t gpa)
{
	struct sim *s = vm->sim;
	uint8_t *hva = mem_gpa_to_hva(&vm->mem, gpa, 1);

	if (!s || !hva || !page_bits_test(&s->bad, (uint64_t)(hva - vm->mem.hva) / PAGE))
		return false;
	page_bits_set(&s->told, (uint64_t)(hva - vm->mem.hva) / PAGE);
	touched(hva); /* si_addr: the byte touched, as the kernel reports it */
	return true;
}

/* An access KVM could not place (EFAULT without the GPA): the pages never reported yet, as
 * the guest most likely touched the page it just asked to be poisoned (one at a time keeps
 * it exact; reporting every earlier page again queued a report per page per access). When
 * every page was reported (a repeated access): the pages lost for action required, and all
 * of them only when there are none of those. An action-optional page the guest was told of
 * is one it has stopped using (Linux offlined it): reporting it as action required made
 * Linux take a second machine check for a page it never touched, while handling the first. */
bool sim_touch_unknown(struct vm *vm)
{
	struct sim *s = vm->sim;
	bool any = false;

	if (!s)
		return false;
	for (uint64_t p = page_bits_next(&s->bad, 0); p < s->bad.pages; p = page_bits_next(&s->bad, p + 1)) {
		if (page_bits_set(&s->told, p))
			continue;
		touched(vm->mem.hva + p * PAGE);
		any = true;
	}
	if (any)
		return true;
	const struct page_bits *set = s->armed_count ? &s->armed : &s->bad;
	for (uint64_t p = page_bits_next(set, 0); p < set->pages; p = page_bits_next(set, p + 1)) {
		touched(vm->mem.hva + p * PAGE);
		any = true;
	}
	return any;
}

void sim_reset(struct vm *vm)
{
	struct sim *s = vm->sim;

	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	for (uint64_t p = page_bits_next(&s->bad, 0); s->count && p < s->bad.pages;
	     p = page_bits_next(&s->bad, p + 1)) {
		/* A new anonymous mapping over the page: a different, zeroed physical page, as a
		 * host does when it replaces a poisoned one. */
		uint8_t *hva = vm->mem.hva + p * PAGE;
		if (mmap(hva, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) ==
		    MAP_FAILED)
			log_err("simulator: cannot replace the page at offset 0x%llx: %s",
				(unsigned long long)(p * PAGE), strerror(errno));
	}
	page_bits_clear_all(&s->bad);
	page_bits_clear_all(&s->told);
	page_bits_clear_all(&s->armed);
	s->count = s->armed_count = 0;
	pthread_mutex_unlock(&s->lock);
}

void sim_exit(struct vm *vm)
{
	struct sim *s = vm->sim;
	if (!s)
		return;
	page_bits_free(&s->bad);
	page_bits_free(&s->told);
	page_bits_free(&s->armed);
	pthread_mutex_destroy(&s->lock);
	free(s);
	vm->sim = NULL;
}
