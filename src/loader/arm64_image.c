// SPDX-License-Identifier: MIT
#include "loader/arm64_image.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errmsg.h"
#include "le.h"
#include "loader/decompress.h"
#include "rasvm/layout_arm64.h"

#define fail(...) errmsg(err, errlen, -ENOEXEC, __VA_ARGS__)

bool arm64_is_image(const uint8_t *img, size_t len)
{
	return len >= ARM64_IMAGE_HEADER_SIZE && !memcmp(img + ARM64_IMAGE_MAGIC_OFF, "ARM\x64", 4);
}

int arm64_image_parse(const uint8_t *img, size_t len, struct arm64_image *out, char *err,
		      size_t errlen)
{
	static const unsigned page_kib[4] = { 0, 4, 16, 64 };

	if (!arm64_is_image(img, len))
		return fail("not an arm64 Image: no \"ARM\\x64\" magic at offset 56 (booting.rst)");
	out->text_offset = le_get(img + ARM64_IMAGE_TEXT_OFFSET, 8);
	out->image_size = le_get(img + ARM64_IMAGE_SIZE, 8);
	out->flags = le_get(img + ARM64_IMAGE_FLAGS, 8);
	out->page_kib = page_kib[(out->flags >> ARM64_IMAGE_PAGE_SHIFT) & 3];
	if (out->image_size == 0) {
		/* Before Linux 3.17: little-endian by assumption, text_offset 0x80000, size unknown. */
		out->text_offset = ARM64_IMAGE_OLD_TEXT_OFFSET;
		out->image_size = len;
		out->flags = 0;
		return 0;
	}
	if (out->flags & ARM64_IMAGE_FLAG_BE)
		return fail("a big-endian arm64 Image (header flags bit 0); rasvm runs little-endian guests");
	if (out->text_offset % 4096 || out->text_offset >= LAYOUT_ARM64_INITRD_ALIGN)
		return fail("text_offset 0x%llx: booting.rst wants it page-aligned within the 2 MiB aligned base",
			    (unsigned long long)out->text_offset);
	if (out->image_size < len)
		return fail("image_size 0x%llx is smaller than the file (0x%zx bytes)",
			    (unsigned long long)out->image_size, len);
	return 0;
}

int arm64_image_load(const struct loader_input *in, struct guest_mem *mem, struct boot_plan *out,
		     char *err, size_t errlen)
{
	const uint8_t *k = in->kernel;
	size_t len = in->kernel_len;
	uint8_t *unpacked = NULL;
	enum decompress_format f = decompress_detect(k, len);
	struct arm64_image img;
	int r;

	if (in->boot != LOADER_BOOT_DEFAULT)
		return fail("--boot chooses an x86 boot protocol; an arm64 Image has one");
	if (in->cmdline && (in->cmdline_len > ARM64_CMDLINE_MAX || memchr(in->cmdline, '\0', in->cmdline_len)))
		return fail("the command line is %zu bytes; arm64 Linux takes at most %u, without NUL bytes",
			    in->cmdline_len, ARM64_CMDLINE_MAX);
	if (f != DECOMPRESS_UNKNOWN) {
		/* Image.gz and friends: arm64 Linux has no decompressor of its own. */
		r = decompress(k, len, mem->size, &unpacked, &len, err, errlen);
		if (r)
			return r == -EFBIG ? fail("the %s-compressed kernel is larger than guest RAM", decompress_name(f)) : r;
		k = unpacked;
	}
	if (len >= 4 && !memcmp(k, "\x7f" "ELF", 4)) {
		r = fail("an ELF file: the arm64 rasvm boots an arm64 Image (arch/arm64/boot/Image), not a vmlinux");
		goto out;
	}
	if ((r = arm64_image_parse(k, len, &img, err, errlen)))
		goto out;
	uint64_t ram_end = LAYOUT_ARM64_RAM + mem->size;
	uint64_t start = LAYOUT_ARM64_KERNEL + img.text_offset;
	if (img.image_size > ram_end - start) {
		r = fail("the kernel needs 0x%llx bytes at 0x%llx; guest RAM ends at 0x%llx",
			 (unsigned long long)img.image_size, (unsigned long long)start,
			 (unsigned long long)ram_end);
		goto out;
	}
	uint64_t end = start + img.image_size;
	uint64_t initrd = 0;
	if (in->initrd) {
		if (in->initrd_len > ram_end - end) {
			r = fail("the initrd (%zu bytes) does not fit in guest RAM above the kernel", in->initrd_len);
			goto out;
		}
		initrd = (ram_end - in->initrd_len) & ~(LAYOUT_ARM64_INITRD_ALIGN - 1);
		if (initrd < end)
			initrd = (end + 4095) & ~4095ULL; /* no room to align: right after the kernel */
		if (initrd + in->initrd_len > ram_end) {
			r = fail("the initrd (%zu bytes) does not fit in guest RAM above the kernel", in->initrd_len);
			goto out;
		}
	}
	uint8_t *kdst = mem_gpa_to_hva(mem, start, len);
	uint8_t *idst = in->initrd ? mem_gpa_to_hva(mem, initrd, in->initrd_len) : NULL;
	if (!kdst || (in->initrd && !idst)) {
		r = fail("guest RAM is not one region at 0x%llx", (unsigned long long)LAYOUT_ARM64_RAM);
		goto out;
	}
	memcpy(kdst, k, len);
	/* The rest of image_size is the kernel's bss: it clears it itself, but not its stale data. */
	mem_zero(mem, kdst + len, img.image_size - len);
	if (idst)
		memcpy(idst, in->initrd, in->initrd_len);
	*out = (struct boot_plan){ .mode = ENTRY_ARM64_IMAGE, .entry = start,
				   .boot_params_gpa = LAYOUT_ARM64_DTB, .kernel_start = start,
				   .kernel_end = end, .initrd_gpa = initrd,
				   .initrd_size = in->initrd ? in->initrd_len : 0 };
	if (f != DECOMPRESS_UNKNOWN)
		snprintf(out->format, sizeof(out->format), "arm64 Image (%s)", decompress_name(f));
	else
		snprintf(out->format, sizeof(out->format), "arm64 Image");
	r = 0;
out:
	free(unpacked);
	return r;
}
