// SPDX-License-Identifier: MIT
#include "ras/hwpoison.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif

int hwpoison_probe(void)
{
	long page = sysconf(_SC_PAGESIZE);
	void *p = mmap(NULL, (size_t)page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return -errno;
	/* A PROT_NONE page cannot be pinned: EFAULT (or EBUSY) means the kernel got as far as
	 * looking for it, so it would have poisoned a real one. */
	int r = madvise(p, (size_t)page, MADV_HWPOISON);
	int err = errno;
	munmap(p, (size_t)page);
	return r == 0 || err == EFAULT || err == EBUSY ? 0 : -err;
}

int hwpoison_inject(void *hva, size_t len)
{
	/* A page the guest never touched is not there yet: MADV_HWPOISON's read-only lookup
	 * would map the shared (huge) zero page and poison that, which memory_failure() refuses
	 * ("recovery action for unsplit thp: Ignored", EBUSY; seen on the emulated x86 host).
	 * Populate the range with the guest's own private pages first; their contents do not
	 * change (a missing page reads as zeros either way). Older kernels lack the advice. */
	(void)madvise(hva, len, MADV_POPULATE_WRITE);
	return madvise(hva, len, MADV_HWPOISON) < 0 ? -errno : 0;
}

const char *hwpoison_probe_describe(void)
{
	int r = hwpoison_probe();

	if (!r)
		return "works";
	if (r == -EINVAL)
		return "not supported (EINVAL: kernel without memory-failure support)";
	if (r == -EPERM)
		return "not permitted (EPERM: needs CAP_SYS_ADMIN)";
	return strerror(-r);
}
