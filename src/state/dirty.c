// SPDX-License-Identifier: MIT
#include "state/dirty.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvm/dirty.h"
#include "state/ram.h"
#include "vm.h"

#define PAGE 4096ULL
#define SCRATCH_PAGES 256

int dirty_start(struct dirty *d, struct vm *vm, enum dirty_mode mode, struct ram_out *r)
{
	memset(d, 0, sizeof(*d));
	d->vm = vm;
	d->mode = mode;
	d->pagemap = -1;
	atomic_store(&vm->mem.track_written, true);
	page_bits_clear_all(&vm->mem.written);
	if (mode == DIRTY_KVM) {
		for (unsigned i = 0; i < vm->mem.nregions; i++) {
			size_t words = (size_t)((vm->mem.region[i].size / PAGE + 63) / 64);
			d->slot_log[i] = calloc(words ? words : 1, 8);
			if (!d->slot_log[i]) {
				dirty_stop(d);
				return -ENOMEM;
			}
		}
		int e = kvm_dirty_log_enable(vm, true);
		if (e) {
			snprintf(d->why, sizeof(d->why), "KVM refused dirty page logging: %s", strerror(-e));
			dirty_stop(d);
			return e;
		}
		d->started = true;
		/* Whatever the log held before (nothing: it was off) is not a change. */
		for (unsigned i = 0; i < vm->mem.nregions; i++)
			kvm_dirty_log_get(vm, i, d->slot_log[i]);
		return 0;
	}
	d->hash_bytes = (size_t)(vm->mem.size / PAGE * 8);
	d->hash = mmap(NULL, d->hash_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	d->scratch = malloc(SCRATCH_PAGES * PAGE);
	d->pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (d->hash == MAP_FAILED || !d->scratch) {
		if (d->hash == MAP_FAILED)
			d->hash = NULL;
		dirty_stop(d);
		return -ENOMEM;
	}
	r->hash = d->hash;
	d->started = true;
	return 0;
}

/* rasvm's own writes into guest RAM since the last call. */
static uint64_t take_written(struct vm *vm, struct page_bits *set)
{
	struct page_bits *w = &vm->mem.written;
	uint64_t n = 0;

	for (uint64_t i = 0; i < (w->pages + 63) / 64; i++) {
		if (!atomic_load(&w->word[i]))
			continue;
		uint64_t bits = atomic_exchange(&w->word[i], 0);
		for (; bits; bits &= bits - 1)
			n += !page_bits_set(set, i * 64 + (uint64_t)__builtin_ctzll(bits));
	}
	return n;
}

static int collect_kvm(struct dirty *d, struct page_bits *set, uint64_t *count)
{
	struct vm *vm = d->vm;

	for (unsigned i = 0; i < vm->mem.nregions; i++) {
		const struct mem_region *reg = &vm->mem.region[i];
		uint64_t pages = reg->size / PAGE, base = (uint64_t)(reg->hva - vm->mem.hva) / PAGE;
		memset(d->slot_log[i], 0, (size_t)((pages + 63) / 64 * 8));
		int e = kvm_dirty_log_get(vm, i, d->slot_log[i]);
		if (e) {
			snprintf(d->why, sizeof(d->why), "KVM_GET_DIRTY_LOG on slot %u: %s", i, strerror(-e));
			return e;
		}
		for (uint64_t w = 0; w < (pages + 63) / 64; w++)
			for (uint64_t bits = d->slot_log[i][w]; bits; bits &= bits - 1) {
				uint64_t p = w * 64 + (uint64_t)__builtin_ctzll(bits);
				if (p < pages)
					*count += !page_bits_set(set, base + p);
			}
	}
	return 0;
}

static bool present(struct dirty *d, uint64_t idx)
{
	uint64_t v;
	off_t off = (off_t)(((uintptr_t)d->vm->mem.hva / PAGE + idx) * 8);

	if (d->pagemap < 0 || pread(d->pagemap, &v, 8, off) != 8)
		return true;
	return v & (3ULL << 62); /* present or swapped */
}

static int collect_hash(struct dirty *d, struct page_bits *set, uint64_t *count)
{
	struct vm *vm = d->vm;

	for (unsigned i = 0; i < vm->mem.nregions; i++) {
		const struct mem_region *reg = &vm->mem.region[i];
		uint64_t pages = reg->size / PAGE, base = (uint64_t)(reg->hva - vm->mem.hva) / PAGE;
		for (uint64_t p = 0; p < pages;) {
			uint64_t idx = base + p;
			if (page_bits_test(&vm->mem.bad, idx)) {
				p++; /* the sender tells poisoned pages by themselves */
				continue;
			}
			if (!present(d, idx)) {
				if (d->hash[idx])
					*count += !page_bits_set(set, idx);
				p++;
				continue;
			}
			unsigned run = 1;
			while (run < SCRATCH_PAGES && p + run < pages && !page_bits_test(&vm->mem.bad, idx + run))
				run++;
			unsigned got = ram_read_pages(vm, idx, run, d->scratch);
			for (unsigned k = 0; k < got; k++)
				if (ram_page_hash(d->scratch + k * PAGE) != d->hash[idx + k])
					*count += !page_bits_set(set, idx + k);
			/* A page that cannot be read is going bad: the sender finds out. */
			if (got < run)
				*count += !page_bits_set(set, idx + got);
			p += got < run ? got + 1 : run;
		}
	}
	return 0;
}

int dirty_collect(struct dirty *d, struct page_bits *set, uint64_t *count)
{
	int e;

	*count = 0;
	e = d->mode == DIRTY_KVM ? collect_kvm(d, set, count) : collect_hash(d, set, count);
	if (!e)
		*count += take_written(d->vm, set);
	return e;
}

void dirty_stop(struct dirty *d)
{
	if (d->vm) {
		atomic_store(&d->vm->mem.track_written, false);
		if (d->mode == DIRTY_KVM && d->started)
			kvm_dirty_log_enable(d->vm, false);
	}
	for (unsigned i = 0; i < MEM_MAX_REGIONS; i++) {
		free(d->slot_log[i]);
		d->slot_log[i] = NULL;
	}
	if (d->hash)
		munmap(d->hash, d->hash_bytes);
	d->hash = NULL;
	free(d->scratch);
	d->scratch = NULL;
	if (d->pagemap >= 0)
		close(d->pagemap);
	d->pagemap = -1;
	d->started = false;
}
