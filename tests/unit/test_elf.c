// SPDX-License-Identifier: MIT
/*
 * Verifies the ELF64 loader: a good image lands at its physical addresses with .bss zeroed,
 * the embedded test guest loads, and every malformed image is rejected with a reason while
 * guest RAM stays untouched.
 */
#include <elf.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "loader/elf.h"
#include "rasvm/layout.h"

extern const uint8_t guest_image_start[], guest_image_end[];

#define RAM_SIZE (16u << 20)
#define TEXT_OFF 0x100
#define DATA_OFF 0x110
#define TEXT_GPA 0x200000
#define DATA_GPA 0x201000
#define IMG_SIZE 0x120

struct fixture {
	uint8_t *ram;
	struct guest_mem mem;
	uint8_t img[IMG_SIZE];
	char err[256];
	uint64_t entry;
};

static Elf64_Ehdr *ehdr(struct fixture *f) { return (Elf64_Ehdr *)f->img; }
static Elf64_Phdr *phdr(struct fixture *f, int i) { return (Elf64_Phdr *)(f->img + sizeof(Elf64_Ehdr)) + i; }

/* A valid two-segment image: 16 bytes of text, 8 bytes of data followed by 4088 bytes of bss. */
static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->ram = calloc(1, RAM_SIZE);
	mem_layout(&f->mem, f->ram, RAM_SIZE);
	Elf64_Ehdr *e = ehdr(f);
	memcpy(e->e_ident, ELFMAG, SELFMAG);
	e->e_ident[EI_CLASS] = ELFCLASS64;
	e->e_ident[EI_DATA] = ELFDATA2LSB;
	e->e_ident[EI_VERSION] = EV_CURRENT;
	e->e_type = ET_EXEC;
	e->e_machine = EM_X86_64;
	e->e_version = EV_CURRENT;
	e->e_entry = TEXT_GPA + 4;
	e->e_phoff = sizeof(Elf64_Ehdr);
	e->e_ehsize = sizeof(Elf64_Ehdr);
	e->e_phentsize = sizeof(Elf64_Phdr);
	e->e_phnum = 2;
	*phdr(f, 0) = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_offset = TEXT_OFF,
				    .p_vaddr = TEXT_GPA, .p_paddr = TEXT_GPA, .p_filesz = 16,
				    .p_memsz = 16 };
	*phdr(f, 1) = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_W, .p_offset = DATA_OFF,
				    .p_vaddr = DATA_GPA, .p_paddr = DATA_GPA, .p_filesz = 8,
				    .p_memsz = 4096 };
	for (int i = 0; i < 16; i++)
		f->img[TEXT_OFF + i] = (uint8_t)(0x90 + i);
	memset(f->img + DATA_OFF, 0xab, 8);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	free(f->ram);
	free(f);
	return 0;
}

static int load(struct fixture *f, size_t len)
{
	f->err[0] = '\0';
	return elf_load(f->img, len, &f->mem, &f->entry, f->err, sizeof(f->err));
}

static int ram_untouched(const struct fixture *f)
{
	for (size_t i = 0; i < RAM_SIZE; i++)
		if (f->ram[i])
			return 0;
	return 1;
}

/* Load must fail with ENOEXEC, a reason containing `why`, and no byte written. */
static void expect_reject(struct fixture *f, size_t len, const char *why)
{
	assert_int_equal(load(f, len), -ENOEXEC);
	if (!strstr(f->err, why))
		fail_msg("reason '%s' does not mention '%s'", f->err, why);
	assert_true(ram_untouched(f));
}

static void test_good_image(void **state)
{
	struct fixture *f = *state;
	memset(f->ram + DATA_GPA + 8, 0x55, 4088); /* stale bytes where .bss goes */
	assert_int_equal(load(f, IMG_SIZE), 0);
	assert_int_equal(f->entry, TEXT_GPA + 4);
	assert_memory_equal(f->ram + TEXT_GPA, f->img + TEXT_OFF, 16);
	assert_memory_equal(f->ram + DATA_GPA, f->img + DATA_OFF, 8);
	for (int i = 8; i < 4096; i++)
		assert_int_equal(f->ram[DATA_GPA + i], 0);
}

/* rasvm's RAM is a private anonymous mapping (anon_private): the whole pages of a .bss are
 * given back to the host kernel instead of being written (they read as zeros and are not
 * resident afterwards), the partial pages at either end are written, and nothing past the
 * segment changes. */
static void test_bss_pages_given_back(void **state)
{
	struct fixture *f = *state;
	size_t size = 4u << 20;
	uint8_t *ram = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(ram != MAP_FAILED);
	mem_layout(&f->mem, ram, size);
	f->mem.anon_private = true;
	phdr(f, 1)->p_memsz = 0x3100; /* .bss from DATA_GPA + 8 to DATA_GPA + 0x3100 */
	memset(ram + DATA_GPA, 0x55, 0x4000); /* stale bytes: the .bss and a page beyond */
	assert_int_equal(load(f, IMG_SIZE), 0);
	/* Before any read (a read maps the zero page, which mincore counts): the head and tail
	 * pages were written, the two whole pages between were given back. */
	unsigned char resident[4];
	assert_int_equal(mincore(ram + DATA_GPA, 0x4000, resident), 0);
	assert_true(resident[0] & 1);
	assert_false(resident[1] & 1);
	assert_false(resident[2] & 1);
	assert_true(resident[3] & 1);
	assert_memory_equal(ram + DATA_GPA, f->img + DATA_OFF, 8);
	for (size_t i = 8; i < 0x3100; i++)
		if (ram[DATA_GPA + i])
			fail_msg(".bss byte 0x%zx is 0x%x", i, ram[DATA_GPA + i]);
	for (size_t i = 0x3100; i < 0x4000; i++)
		assert_int_equal(ram[DATA_GPA + i], 0x55);
	munmap(ram, size);
}

static void test_embedded_guest_loads(void **state)
{
	struct fixture *f = *state;
	size_t len = (size_t)(guest_image_end - guest_image_start);
	assert_int_equal(elf_load(guest_image_start, len, &f->mem, &f->entry, f->err, sizeof(f->err)), 0);
	assert_true(f->entry >= LAYOUT_KERNEL_MIN);
}

static void test_header_checks(void **state)
{
	struct fixture *f = *state;
	expect_reject(f, 10, "shorter than an ELF64 header");
	f->img[1] = 'X';
	expect_reject(f, IMG_SIZE, "bad magic");
	f->img[1] = 'E';
	f->img[EI_CLASS] = ELFCLASS32;
	expect_reject(f, IMG_SIZE, "ELFCLASS64");
	f->img[EI_CLASS] = ELFCLASS64;
	f->img[EI_DATA] = ELFDATA2MSB;
	expect_reject(f, IMG_SIZE, "little-endian");
	f->img[EI_DATA] = ELFDATA2LSB;
	f->img[EI_VERSION] = 0;
	expect_reject(f, IMG_SIZE, "ELF version");
	f->img[EI_VERSION] = EV_CURRENT;
	ehdr(f)->e_type = ET_DYN;
	expect_reject(f, IMG_SIZE, "ET_EXEC");
	ehdr(f)->e_type = ET_EXEC;
	ehdr(f)->e_machine = EM_AARCH64;
	expect_reject(f, IMG_SIZE, "EM_X86_64");
	ehdr(f)->e_machine = EM_X86_64;
	ehdr(f)->e_phentsize = 32;
	expect_reject(f, IMG_SIZE, "program header size");
	ehdr(f)->e_phentsize = sizeof(Elf64_Phdr);
	ehdr(f)->e_phnum = 0;
	expect_reject(f, IMG_SIZE, "no program headers");
	ehdr(f)->e_phnum = 2;
	ehdr(f)->e_phoff = UINT64_MAX - 8; /* offset + size would wrap */
	expect_reject(f, IMG_SIZE, "past the end of the file");
	ehdr(f)->e_phoff = sizeof(Elf64_Ehdr);
	expect_reject(f, sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr), "past the end of the file");
}

static void test_segment_checks(void **state)
{
	struct fixture *f = *state;
	Elf64_Phdr *t = phdr(f, 0), *d = phdr(f, 1);

	expect_reject(f, TEXT_OFF + 8, "beyond the end of the file"); /* truncated file */
	t->p_offset = UINT64_MAX; /* wraps when the size is added */
	expect_reject(f, IMG_SIZE, "beyond the end of the file");
	t->p_offset = TEXT_OFF;
	d->p_filesz = 8192;
	expect_reject(f, IMG_SIZE, "exceeds memory size");
	d->p_filesz = 8;
	t->p_paddr = t->p_vaddr = LAYOUT_ACPI_BASE;
	ehdr(f)->e_entry = LAYOUT_ACPI_BASE;
	expect_reject(f, IMG_SIZE, "ACPI tables");
	t->p_paddr = t->p_vaddr = RAM_SIZE - 8; /* straddles the end of RAM */
	ehdr(f)->e_entry = RAM_SIZE - 8;
	expect_reject(f, IMG_SIZE, "outside guest RAM");
	t->p_paddr = t->p_vaddr = 0x1000000000ULL;
	expect_reject(f, IMG_SIZE, "beyond 4 GiB");
	t->p_paddr = t->p_vaddr = UINT64_MAX - 4; /* address + size wraps */
	expect_reject(f, IMG_SIZE, "beyond 4 GiB");
	t->p_paddr = t->p_vaddr = TEXT_GPA;
	ehdr(f)->e_entry = TEXT_GPA;
	d->p_paddr = d->p_vaddr = TEXT_GPA + 8;
	expect_reject(f, IMG_SIZE, "overlap");
	d->p_paddr = d->p_vaddr = DATA_GPA;
	t->p_vaddr = 0xffffffff80200000ULL;
	expect_reject(f, IMG_SIZE, "identity-map");
	t->p_vaddr = TEXT_GPA;
}

static void test_entry_checks(void **state)
{
	struct fixture *f = *state;
	ehdr(f)->e_entry = DATA_GPA; /* inside a segment, but not an executable one */
	expect_reject(f, IMG_SIZE, "not inside an executable segment");
	ehdr(f)->e_entry = 0x100;
	expect_reject(f, IMG_SIZE, "not inside an executable segment");
	phdr(f, 0)->p_type = PT_NOTE;
	phdr(f, 1)->p_type = PT_NOTE;
	expect_reject(f, IMG_SIZE, "no loadable");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_good_image, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bss_pages_given_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_embedded_guest_loads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_header_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_segment_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_entry_checks, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
