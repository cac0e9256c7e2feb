// SPDX-License-Identifier: MIT
#include "stats.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log.h"
#include "ras/ras.h"

/* Resident set of the whole process, from /proc/self/statm (second field, in pages). */
static uint64_t rss_bytes(int statm)
{
	unsigned long size = 0, resident = 0;
	char buf[128];
	ssize_t n = statm >= 0 ? pread(statm, buf, sizeof(buf) - 1, 0) : -1;

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	if (sscanf(buf, "%lu %lu", &size, &resident) != 2)
		resident = 0;
	return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

/* Resident pages of guest RAM, counted with mincore() a chunk at a time. */
static uint64_t guest_resident_bytes(const struct guest_mem *m)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	unsigned char vec[4096];
	uint64_t total = 0;

	for (uint64_t off = 0; off < m->size; off += sizeof(vec) * page) {
		uint64_t len = m->size - off;
		if (len > sizeof(vec) * page)
			len = sizeof(vec) * page;
		if (mincore(m->hva + off, len, vec) < 0)
			return 0;
		for (size_t i = 0; i < (len + page - 1) / page; i++)
			total += vec[i] & 1;
	}
	return total * page;
}

int stats_open(const char *path, struct stats_files *f)
{
	f->out = fopen(path, "w");
	f->statm = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
	if (!f->out) {
		int err = errno;
		log_warn("--stats %s: cannot write: %s", path, strerror(err));
		if (f->statm >= 0)
			close(f->statm);
		f->statm = -1;
		return -err;
	}
	return 0;
}

void stats_write(struct stats_files *sf, struct vm *vm)
{
	FILE *f = sf->out;

	if (!f)
		return;
	uint64_t rss = rss_bytes(sf->statm);
	uint64_t guest = guest_resident_bytes(&vm->mem);
	fprintf(f, "first_testport_ns %llu\n", (unsigned long long)atomic_load(&vm->first_testport_ns));
	fprintf(f, "rss_kib %llu\n", (unsigned long long)(rss >> 10));
	fprintf(f, "guest_resident_kib %llu\n", (unsigned long long)(guest >> 10));
	fprintf(f, "vmm_kib %llu\n", (unsigned long long)((rss > guest ? rss - guest : 0) >> 10));
	if (vm->ras)
		ras_stats(vm->ras, f);
	fclose(f);
	if (sf->statm >= 0)
		close(sf->statm);
	*sf = (struct stats_files){ .statm = -1 };
}
