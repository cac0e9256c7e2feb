// SPDX-License-Identifier: MIT
#include "loader/loader.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errmsg.h"
#include "loader/decompress.h"
#include "loader/elf.h"
#include "loader/linux_x86.h"
#include "rasvm/layout.h"

#define fail(...) errmsg(err, errlen, -ENOEXEC, __VA_ARGS__)

/* A rasvm guest: every vCPU enters it in 64-bit mode, with the boot-info page in RSI. */
static int load_rasvm_elf(const struct loader_input *in, struct guest_mem *mem,
			  struct boot_plan *out, char *err, size_t errlen)
{
	struct elf_info info;
	int r;

	if (in->initrd || in->cmdline || in->boot != LOADER_BOOT_DEFAULT)
		return fail("%s is for Linux kernels; this is a rasvm ELF64 guest (no Linux or Xen ELF notes, linked at its physical addresses)",
			    in->initrd ? "--initrd" : in->cmdline ? "--cmdline" : "--boot");
	if ((r = elf_parse(in->kernel, in->kernel_len, mem, false, &info, err, errlen)))
		return r;
	elf_copy(in->kernel, in->kernel_len, mem);
	*out = (struct boot_plan){ .mode = ENTRY_RASVM_ELF64, .entry = info.entry,
				   .boot_params_gpa = LAYOUT_BOOT_INFO, .kernel_start = info.lo,
				   .kernel_end = info.hi, .format = "rasvm ELF64 guest" };
	return 0;
}

/* Something that is no kernel rasvm boots: say what it looks like where that helps. */
static int unknown(const uint8_t *k, size_t len, char *err, size_t errlen)
{
	enum decompress_format f = decompress_detect(k, len);

	if (f != DECOMPRESS_UNKNOWN)
		return fail("a %s-compressed file, not a kernel: decompress it first (rasvm boots a vmlinux ELF or a bzImage)",
			    decompress_name(f));
	/* arm64 Image: "ARM\x64" at offset 0x38 (Documentation/arch/arm64/booting.rst) */
	if (len >= 0x3c && !memcmp(k + 0x38, "ARM\x64", 4))
		return fail("an arm64 Image; this rasvm boots x86_64 kernels");
	return fail("not a kernel rasvm can boot: neither an ELF file (bad magic) nor a bzImage (no \"HdrS\" at 0x202)");
}

int loader_load(const struct loader_input *in, struct guest_mem *mem, struct boot_plan *out,
		char *err, size_t errlen)
{
	const uint8_t *k = in->kernel;
	size_t len = in->kernel_len;

	if (len >= SELFMAG && !memcmp(k, ELFMAG, SELFMAG)) {
		if (elf_is_vmlinux(k, len))
			return linux_load(in, mem, out, err, errlen);
		return load_rasvm_elf(in, mem, out, err, errlen);
	}
	if (linux_is_bzimage(k, len))
		return linux_load(in, mem, out, err, errlen);
	return unknown(k, len, err, errlen);
}

int loader_map_file(const char *what, const char *path, uint64_t max, const uint8_t **data,
		    size_t *len, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	int r;

	if (fd < 0) {
		r = -errno;
		return errmsg(err, errlen, r, "%s %s: cannot open: %s", what, path, strerror(-r));
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return errmsg(err, errlen, -EINVAL, "%s %s: not a regular file", what, path);
	}
	if (st.st_size == 0) {
		close(fd);
		return fail("%s %s: the file is empty", what, path);
	}
	if ((uint64_t)st.st_size > max) {
		close(fd);
		return fail("%s %s: %lld bytes is more than the guest's RAM", what, path,
			    (long long)st.st_size);
	}
	void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	r = -errno;
	close(fd);
	if (p == MAP_FAILED)
		return errmsg(err, errlen, r, "%s %s: cannot map: %s", what, path, strerror(-r));
	*data = p;
	*len = (size_t)st.st_size;
	return 0;
}

void loader_release_file(const uint8_t *data, size_t len)
{
	if (data)
		madvise((void *)data, len, MADV_DONTNEED);
}

void loader_unmap_file(const uint8_t *data, size_t len)
{
	if (data)
		munmap((void *)data, len);
}
