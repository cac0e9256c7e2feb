// SPDX-License-Identifier: MIT
/*
 * Verifies the arm64 Image loader (src/loader/arm64_image.c) without KVM: the header checks
 * of booting.rst (magic, endianness, text_offset, image_size, pre-3.17 images), where the
 * kernel and the initrd go in the arm64 machine's RAM, that the kernel's bss is cleared, that
 * a gzip-compressed Image is unpacked, and that what it cannot boot is refused with a reason
 * and leaves RAM alone.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <zlib.h>
#include <cmocka.h>

#include "le.h"
#include "loader/arm64_image.h"
#include "rasvm/layout_arm64.h"

#define RAM (64u << 20)

static struct guest_mem mem;
static uint8_t *ram;

static int setup(void **state)
{
	(void)state;
	ram = mmap(NULL, RAM, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(ram != MAP_FAILED);
	mem_layout_at(&mem, ram, RAM, LAYOUT_ARM64_RAM);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	munmap(ram, RAM);
	return 0;
}

/* An Image of len bytes with this header; the rest a pattern. */
static uint8_t *image(size_t len, uint64_t text_offset, uint64_t image_size, uint64_t flags)
{
	uint8_t *k = malloc(len);
	assert_non_null(k);
	for (size_t i = 0; i < len; i++)
		k[i] = (uint8_t)(i * 7 + 1);
	le_put(k, 0x14000010, 4); /* b +0x40 */
	le_put(k + 4, 0, 4);
	le_put(k + ARM64_IMAGE_TEXT_OFFSET, text_offset, 8);
	le_put(k + ARM64_IMAGE_SIZE, image_size, 8);
	le_put(k + ARM64_IMAGE_FLAGS, flags, 8);
	memset(k + 32, 0, 24);
	memcpy(k + ARM64_IMAGE_MAGIC_OFF, "ARM\x64", 4);
	le_put(k + 60, 0, 4);
	return k;
}

static void *hva(uint64_t gpa) { return ram + (gpa - LAYOUT_ARM64_RAM); }

static void test_header(void **state)
{
	struct arm64_image img;
	char err[200];
	uint8_t *k = image(8192, 0, 0x10000, 0xa);

	(void)state;
	assert_true(arm64_is_image(k, 8192));
	assert_int_equal(arm64_image_parse(k, 8192, &img, err, sizeof(err)), 0);
	assert_int_equal(img.text_offset, 0);
	assert_int_equal(img.image_size, 0x10000);
	assert_int_equal(img.page_kib, 4);
	le_put(k + ARM64_IMAGE_FLAGS, 0xb, 8);
	assert_int_equal(arm64_image_parse(k, 8192, &img, err, sizeof(err)), -ENOEXEC);
	assert_non_null(strstr(err, "big-endian"));
	le_put(k + ARM64_IMAGE_FLAGS, 0xa, 8);
	le_put(k + ARM64_IMAGE_TEXT_OFFSET, 0x123, 8);
	assert_int_equal(arm64_image_parse(k, 8192, &img, err, sizeof(err)), -ENOEXEC);
	assert_non_null(strstr(err, "text_offset"));
	le_put(k + ARM64_IMAGE_TEXT_OFFSET, 0, 8);
	le_put(k + ARM64_IMAGE_SIZE, 4096, 8);
	assert_int_equal(arm64_image_parse(k, 8192, &img, err, sizeof(err)), -ENOEXEC);
	assert_non_null(strstr(err, "image_size"));
	/* Before 3.17: image_size 0 means text_offset 0x80000, size unknown. */
	le_put(k + ARM64_IMAGE_SIZE, 0, 8);
	assert_int_equal(arm64_image_parse(k, 8192, &img, err, sizeof(err)), 0);
	assert_int_equal(img.text_offset, ARM64_IMAGE_OLD_TEXT_OFFSET);
	assert_int_equal(img.image_size, 8192);
	memcpy(k + ARM64_IMAGE_MAGIC_OFF, "ARM\x65", 4);
	assert_false(arm64_is_image(k, 8192));
	assert_int_equal(arm64_image_parse(k, 8192, &img, err, sizeof(err)), -ENOEXEC);
	free(k);
}

static void test_load(void **state)
{
	struct boot_plan plan;
	char err[200];
	uint8_t *k = image(10000, 0x10000, 0x20000, 0xa);
	uint8_t initrd[5000];
	const char cmd[] = "console=ttyAMA0";

	(void)state;
	memset(initrd, 0x77, sizeof(initrd));
	memset(hva(LAYOUT_ARM64_KERNEL + 0x10000), 0xee, 0x20000); /* stale: the bss must be cleared */
	struct loader_input in = { .kernel = k, .kernel_len = 10000, .initrd = initrd,
				   .initrd_len = sizeof(initrd), .cmdline = cmd, .cmdline_len = strlen(cmd) };
	assert_int_equal(arm64_image_load(&in, &mem, &plan, err, sizeof(err)), 0);
	assert_int_equal(plan.mode, ENTRY_ARM64_IMAGE);
	assert_int_equal(plan.entry, LAYOUT_ARM64_KERNEL + 0x10000);
	assert_int_equal(plan.boot_params_gpa, LAYOUT_ARM64_DTB);
	assert_int_equal(plan.kernel_end, LAYOUT_ARM64_KERNEL + 0x30000);
	assert_memory_equal(hva(plan.entry), k, 10000);
	for (size_t i = 10000; i < 0x20000; i++)
		if (((uint8_t *)hva(plan.entry))[i])
			fail_msg("bss byte %zu not cleared", i);
	/* The initrd as high as it fits, its start 2 MiB aligned. */
	assert_int_equal(plan.initrd_gpa, (LAYOUT_ARM64_RAM + RAM - sizeof(initrd)) & ~(LAYOUT_ARM64_INITRD_ALIGN - 1));
	assert_int_equal(plan.initrd_size, sizeof(initrd));
	assert_memory_equal(hva(plan.initrd_gpa), initrd, sizeof(initrd));
	assert_string_equal(plan.format, "arm64 Image");
	free(k);
}

static void test_refused(void **state)
{
	struct boot_plan plan;
	char err[200];
	uint8_t *k = image(4096, 0, RAM, 0xa); /* bigger than what RAM has above the base */
	struct loader_input in = { .kernel = k, .kernel_len = 4096 };

	(void)state;
	memset(hva(LAYOUT_ARM64_KERNEL), 0x33, 4096);
	assert_int_equal(arm64_image_load(&in, &mem, &plan, err, sizeof(err)), -ENOEXEC);
	assert_non_null(strstr(err, "guest RAM ends"));
	assert_int_equal(((uint8_t *)hva(LAYOUT_ARM64_KERNEL))[0], 0x33); /* RAM untouched */
	le_put(k + ARM64_IMAGE_SIZE, 0x10000, 8);
	static uint8_t big[RAM];
	in.initrd = big;
	in.initrd_len = RAM - 0x100000;
	assert_int_equal(arm64_image_load(&in, &mem, &plan, err, sizeof(err)), -ENOEXEC);
	assert_non_null(strstr(err, "initrd"));
	in.initrd = NULL;
	in.initrd_len = 0;
	static char longcmd[ARM64_CMDLINE_MAX + 2];
	memset(longcmd, 'x', sizeof(longcmd) - 1);
	in.cmdline = longcmd;
	in.cmdline_len = strlen(longcmd);
	assert_int_equal(arm64_image_load(&in, &mem, &plan, err, sizeof(err)), -ENOEXEC);
	assert_non_null(strstr(err, "command line"));
	in.cmdline = NULL;
	in.cmdline_len = 0;
	in.boot = LOADER_BOOT_PVH;
	assert_int_equal(arm64_image_load(&in, &mem, &plan, err, sizeof(err)), -ENOEXEC);
	in.boot = LOADER_BOOT_DEFAULT;
	static const uint8_t elf[64] = { 0x7f, 'E', 'L', 'F', 2, 1, 1 };
	in.kernel = elf;
	in.kernel_len = sizeof(elf);
	assert_int_equal(arm64_image_load(&in, &mem, &plan, err, sizeof(err)), -ENOEXEC);
	assert_non_null(strstr(err, "vmlinux"));
	free(k);
}

/* Image.gz: arm64 kernels cannot decompress themselves; rasvm does. */
static void test_gzip(void **state)
{
	struct boot_plan plan;
	char err[200];
	uint8_t *k = image(65536, 0, 0x20000, 0xa);
	uLongf zlen = compressBound(65536) + 64;
	uint8_t *z = malloc(zlen);
	z_stream s = { 0 };

	(void)state;
	assert_int_equal(deflateInit2(&s, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
	s.next_in = k;
	s.avail_in = 65536;
	s.next_out = z;
	s.avail_out = (uInt)zlen;
	assert_int_equal(deflate(&s, Z_FINISH), Z_STREAM_END);
	zlen = s.total_out;
	deflateEnd(&s);
	struct loader_input in = { .kernel = z, .kernel_len = zlen };
	assert_int_equal(arm64_image_load(&in, &mem, &plan, err, sizeof(err)), 0);
	assert_memory_equal(hva(LAYOUT_ARM64_KERNEL), k, 65536);
	assert_string_equal(plan.format, "arm64 Image (gzip)");
	free(z);
	free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_gzip),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
