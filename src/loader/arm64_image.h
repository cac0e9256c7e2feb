/* SPDX-License-Identifier: MIT */
/*
 * An arm64 Linux Image (Documentation/arch/arm64/booting.rst): its 64-byte header, where it
 * goes (LAYOUT_ARM64_KERNEL, 2 MiB aligned, plus text_offset), the initrd as high in RAM as it
 * fits. A gzip (or other) compressed Image is decompressed on the host: arm64 kernels cannot
 * decompress themselves. The arm64 test guest is an Image too, booted the same way.
 * Pure code, no KVM: the caller writes the firmware (device tree with /chosen) afterwards.
 */
#ifndef RASVM_LOADER_ARM64_IMAGE_H
#define RASVM_LOADER_ARM64_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kvm/mem.h"
#include "loader/loader.h"

/* booting.rst, "Call the kernel image": the header's fields by offset. */
#define ARM64_IMAGE_HEADER_SIZE   64
#define ARM64_IMAGE_TEXT_OFFSET   8    /* u64: image load offset from the 2 MiB aligned base */
#define ARM64_IMAGE_SIZE          16   /* u64: effective image size (bss included); 0 before 3.17 */
#define ARM64_IMAGE_FLAGS         24   /* u64: kernel flags */
#define ARM64_IMAGE_MAGIC_OFF     56   /* "ARM\x64" */
#define ARM64_IMAGE_FLAG_BE       (1ULL << 0) /* big-endian kernel */
#define ARM64_IMAGE_PAGE_SHIFT    1    /* bits 1-2: page size, 0 unspecified, 1 4K, 2 16K, 3 64K */
#define ARM64_IMAGE_FLAG_ANYWHERE (1ULL << 3) /* placement: anywhere in 48-bit physical space */
#define ARM64_IMAGE_OLD_TEXT_OFFSET 0x80000 /* what kernels with image_size 0 assume */
/* COMMAND_LINE_SIZE (arch/arm64/include/uapi/asm/setup.h): 2048 bytes, NUL included. */
#define ARM64_CMDLINE_MAX         2047

struct arm64_image {
	uint64_t text_offset;
	uint64_t image_size;   /* effective size from the load address (file length when unknown) */
	uint64_t flags;
	unsigned page_kib;     /* 4, 16, 64, or 0 (unspecified) */
};

/* True when img carries the Image magic. */
bool arm64_is_image(const uint8_t *img, size_t len);
/* Read and check the header. 0 or -ENOEXEC with the reason in err. */
int arm64_image_parse(const uint8_t *img, size_t len, struct arm64_image *out, char *err,
		      size_t errlen);
/*
 * Decompress if needed, check everything against guest RAM (mem: the arm64 machine's, one
 * RAM region from LAYOUT_ARM64_RAM), then copy the kernel to LAYOUT_ARM64_KERNEL plus its
 * text_offset and the initrd to the top of RAM; out->entry is the kernel's first byte,
 * out->boot_params_gpa the device tree's address (x0). 0, -ENOEXEC or -ENOMEM (reason in
 * err). The command line only has its length checked here: it goes into /chosen.
 */
int arm64_image_load(const struct loader_input *in, struct guest_mem *mem, struct boot_plan *out,
		     char *err, size_t errlen);

#endif
