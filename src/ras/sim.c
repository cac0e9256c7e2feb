// SPDX-License-Identifier: MIT
#include "ras/sim.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "rasvm/layout.h"
#include "vm.h"

#define PAGE 4096ULL

/* The simulated hardware's poisoned pages, under vm->sim_lock. */
struct sim {
	uint64_t *pages;
	uint32_t count, cap;
};

static struct sim *sim_of(struct vm *vm)
{
	if (!vm->sim)
		vm->sim = calloc(1, sizeof(struct sim));
	return vm->sim;
}

static int find(const struct sim *s, uint64_t page)
{
	for (uint32_t i = 0; s && i < s->count; i++)
		if (s->pages[i] == page)
			return (int)i;
	return -1;
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
		log_err("simulator: rt_tgsigqueueinfo failed: %s", strerror(errno));
}

/* One page of a granule. */
static int poison_page(struct vm *vm, uint64_t page)
{
	uint8_t *hva = mem_gpa_to_hva(&vm->mem, page, PAGE);

	if (!hva)
		return -EFAULT;
	/* rasvm writes GHES records there while the guest runs; a PROT_NONE block would crash
	 * rasvm, which no real poisoned page does (writes do not consume poison). */
	if (page >= LAYOUT_ERROR_REGION && page < LAYOUT_ERROR_REGION_END)
		return -EBUSY;
	pthread_mutex_lock(&vm->sim_lock);
	struct sim *s = sim_of(vm);
	int r = 0;
	if (!s) {
		r = -ENOMEM;
	} else if (find(s, page) < 0) {
		if (s->count == s->cap) {
			uint32_t cap = s->cap ? s->cap * 2 : 64;
			uint64_t *p = realloc(s->pages, cap * sizeof(*p));
			if (!p)
				r = -ENOMEM;
			else
				s->pages = p, s->cap = cap;
		}
		if (!r && mprotect(hva, PAGE, PROT_NONE) < 0)
			r = -errno;
		if (!r)
			s->pages[s->count++] = page;
	}
	pthread_mutex_unlock(&vm->sim_lock);
	return r;
}

int sim_poison(struct vm *vm, uint64_t gpa, bool ao, unsigned lsb)
{
	uint64_t span = 1ULL << lsb, start = gpa & ~(span - 1);

	/* A huge host page fails whole: every guest page in it becomes inaccessible. */
	for (uint64_t p = start; p < start + span; p += PAGE) {
		int r = poison_page(vm, p);
		if (r)
			return r;
	}
	if (ao)
		send_sigbus(BUS_MCEERR_AO, mem_gpa_to_hva(&vm->mem, gpa & ~(PAGE - 1), PAGE), lsb);
	return 0;
}

bool sim_is_poisoned(struct vm *vm, uint64_t gpa, uint64_t len)
{
	bool hit = false;

	pthread_mutex_lock(&vm->sim_lock);
	for (uint64_t p = gpa & ~(PAGE - 1); len && p < gpa + len && !hit; p += PAGE)
		hit = find(vm->sim, p) >= 0;
	pthread_mutex_unlock(&vm->sim_lock);
	return hit;
}

bool sim_touch(struct vm *vm, uint64_t gpa)
{
	uint64_t page = gpa & ~(PAGE - 1);

	pthread_mutex_lock(&vm->sim_lock);
	bool hit = find(vm->sim, page) >= 0;
	pthread_mutex_unlock(&vm->sim_lock);
	if (hit) /* si_addr: the byte touched, as the kernel reports it */
		send_sigbus(BUS_MCEERR_AR, mem_gpa_to_hva(&vm->mem, page, PAGE) + (gpa - page), 12);
	return hit;
}

bool sim_touch_unknown(struct vm *vm)
{
	bool any = false;

	pthread_mutex_lock(&vm->sim_lock);
	struct sim *s = vm->sim;
	for (uint32_t i = 0; s && i < s->count; i++) {
		send_sigbus(BUS_MCEERR_AR, mem_gpa_to_hva(&vm->mem, s->pages[i], PAGE), 12);
		any = true;
	}
	pthread_mutex_unlock(&vm->sim_lock);
	return any;
}

void sim_reset(struct vm *vm)
{
	pthread_mutex_lock(&vm->sim_lock);
	struct sim *s = vm->sim;
	for (uint32_t i = 0; s && i < s->count; i++) {
		/* A new anonymous mapping over the page: a different, zeroed physical page, as a
		 * host does when it replaces a poisoned one. */
		uint8_t *hva = mem_gpa_to_hva(&vm->mem, s->pages[i], PAGE);
		if (mmap(hva, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) ==
		    MAP_FAILED)
			log_err("simulator: cannot replace the page at 0x%llx: %s",
				(unsigned long long)s->pages[i], strerror(errno));
	}
	if (s)
		s->count = 0;
	pthread_mutex_unlock(&vm->sim_lock);
}

void sim_exit(struct vm *vm)
{
	struct sim *s = vm->sim;
	if (s)
		free(s->pages);
	free(s);
	vm->sim = NULL;
}
