// SPDX-License-Identifier: MIT
#include "ras/hwpoison.h"

#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

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
	return madvise(hva, len, MADV_HWPOISON) < 0 ? -errno : 0;
}
