// SPDX-License-Identifier: MIT
/*
 * Verifies the Linux loader without KVM: a vmlinux and bzImages with payloads made by each
 * compressor's own tool (tests/golden/linux, scripts/gen-linux-fixtures.sh) land at their
 * physical addresses; the plan names the entry; the zero page (boot.rst offsets), the PVH
 * start_info, the e820 map, the command line and the initrd are where and what Linux expects;
 * and every malformed kernel, initrd or command line is refused with a reason and no byte of
 * guest RAM written. Also: the decompressor's bound is exact, rasvm guests still load.
 */
#include <elf.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <cmocka.h>

#include "bytes.h"
#include "loader/decompress.h"
#include "loader/elf.h"
#include "loader/linux_x86.h"
#include "loader/loader.h"
#include "rasvm/layout.h"

#ifndef SRCDIR
#define SRCDIR "."
#endif

extern const uint8_t guest_image_start[], guest_image_end[];

#define RAM_SIZE (64u << 20)
#define RSDP 0xe0000
#define K_MAP 0xffffffff80000000ULL /* __START_KERNEL_map */

/* The small vmlinux built here. */
#define SMALL_TEXT 0x1000000 /* text: 0x1000 bytes, byte i = (i * 7 + 3) & 0xff */
#define SMALL_DATA 0x1001000 /* data: 0x100 bytes of 0xd0, then 0x100 of bss */
#define SMALL_PCPU 0x1002000 /* "percpu": vaddr 0, 0x100 bytes of 0x5a */
#define SMALL_PVH  0x1000100
#define SMALL_SIZE 0x1600

/* The fixtures' vmlinux (scripts/gen-linux-fixtures.sh). */
#define FIX_TEXT      0x1000000
#define FIX_TEXT_LEN  0x3000
#define FIX_DATA      0x1003000
#define FIX_DATA_LEN  0x880000
#define FIX_BSS_LEN   0x10000
#define FIX_PCPU      (FIX_DATA + FIX_DATA_LEN + FIX_BSS_LEN)
#define FIX_FILE_LEN  (0x1000 + FIX_TEXT_LEN + FIX_DATA_LEN + 0x1000)
#define FIX_SPAN      (FIX_PCPU + 0x1000 - FIX_TEXT)

/* The bzImage built here around a payload: setup_sects 4, payload at 0x100 in the
 * protected-mode code, protocol 2.15, init_size 16 MiB. */
#define BZ_SETUP     (5 * 512)
#define BZ_PAYLOAD   0x100
#define BZ_INIT_SIZE 0x1000000

struct fixture {
	uint8_t *ram;
	struct guest_mem mem;
	struct loader_input in;
	struct boot_plan plan;
	char err[256];
	uint8_t *kernel; /* owned */
	size_t kernel_len;
	uint8_t initrd[0x10000];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->ram = calloc(1, RAM_SIZE);
	mem_layout(&f->mem, f->ram, RAM_SIZE);
	f->in.rsdp = RSDP;
	for (size_t i = 0; i < sizeof(f->initrd); i++)
		f->initrd[i] = (uint8_t)(i * 13 + 1);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	free(f->kernel);
	free(f->ram);
	free(f);
	return 0;
}

static void set_kernel(struct fixture *f, uint8_t *k, size_t len)
{
	free(f->kernel);
	f->kernel = k;
	f->kernel_len = len;
	f->in.kernel = k;
	f->in.kernel_len = len;
}

static int load(struct fixture *f)
{
	f->err[0] = '\0';
	memset(&f->plan, 0, sizeof(f->plan));
	return loader_load(&f->in, &f->mem, &f->plan, f->err, sizeof(f->err));
}

static int ram_untouched(const struct fixture *f)
{
	static const uint8_t zero[4096];
	for (size_t i = 0; i < RAM_SIZE; i += sizeof(zero))
		if (memcmp(f->ram + i, zero, sizeof(zero)))
			return 0;
	return 1;
}

/* Load must fail with ENOEXEC, a reason containing why, and no byte written. */
static void expect_reject(struct fixture *f, const char *why)
{
	int r = load(f);
	if (r != -ENOEXEC)
		fail_msg("load returned %d ('%s'), expected -ENOEXEC for '%s'", r, f->err, why);
	if (!strstr(f->err, why))
		fail_msg("reason '%s' does not mention '%s'", f->err, why);
	assert_true(ram_untouched(f));
}

static void expect_load(struct fixture *f)
{
	if (load(f))
		fail_msg("load failed: %s", f->err);
}

/* ---- inputs ---- */

static size_t put_note(uint8_t *p, const char *owner, uint32_t type, const uint8_t *desc,
		       uint32_t descsz)
{
	uint32_t namesz = (uint32_t)strlen(owner) + 1;
	size_t n = 12;
	memcpy(p, &namesz, 4);
	memcpy(p + 4, &descsz, 4);
	memcpy(p + 8, &type, 4);
	memcpy(p + n, owner, namesz);
	n += (namesz + 3) & ~3u;
	memcpy(p + n, desc, descsz);
	return n + ((descsz + 3) & ~3u);
}

enum { NOTE_PVH8, NOTE_PVH4, NOTE_LINUX_ONLY, NOTE_NONE };

/* A vmlinux-like ELF: text, data + bss, a percpu segment at vaddr 0, and notes. */
static uint8_t *small_vmlinux(int notes, size_t *len)
{
	uint8_t *img = calloc(1, SMALL_SIZE);
	Elf64_Ehdr *e = (Elf64_Ehdr *)img;
	Elf64_Phdr *ph = (Elf64_Phdr *)(img + sizeof(*e));
	uint8_t *n = img + sizeof(*e) + 4 * sizeof(*ph);
	size_t nlen = 0;
	uint64_t pvh = SMALL_PVH;

	memcpy(e->e_ident, ELFMAG, SELFMAG);
	e->e_ident[EI_CLASS] = ELFCLASS64;
	e->e_ident[EI_DATA] = ELFDATA2LSB;
	e->e_ident[EI_VERSION] = EV_CURRENT;
	e->e_type = ET_EXEC;
	e->e_machine = EM_X86_64;
	e->e_version = EV_CURRENT;
	e->e_entry = SMALL_TEXT;
	e->e_phoff = sizeof(*e);
	e->e_ehsize = sizeof(*e);
	e->e_phentsize = sizeof(*ph);
	e->e_phnum = 4;
	ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_offset = 0x400,
			      .p_vaddr = K_MAP + SMALL_TEXT, .p_paddr = SMALL_TEXT, .p_filesz = 0x1000,
			      .p_memsz = 0x1000, .p_align = 0x1000 };
	ph[1] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_W, .p_offset = 0x1400,
			      .p_vaddr = K_MAP + SMALL_DATA, .p_paddr = SMALL_DATA, .p_filesz = 0x100,
			      .p_memsz = 0x200, .p_align = 0x1000 };
	ph[2] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_W, .p_offset = 0x1500,
			      .p_vaddr = 0, .p_paddr = SMALL_PCPU, .p_filesz = 0x100, .p_memsz = 0x100,
			      .p_align = 0x1000 };
	if (notes != NOTE_NONE)
		nlen += put_note(n, "Linux", 0x100, (const uint8_t *)"salt", 5);
	if (notes == NOTE_PVH8 || notes == NOTE_PVH4)
		nlen += put_note(n + nlen, "Xen", 18, (const uint8_t *)&pvh, notes == NOTE_PVH8 ? 8 : 4);
	ph[3] = (Elf64_Phdr){ .p_type = notes == NOTE_NONE ? PT_NULL : PT_NOTE, .p_flags = PF_R,
			      .p_offset = (uint64_t)(n - img), .p_filesz = nlen, .p_memsz = nlen,
			      .p_align = 4 };
	for (int i = 0; i < 0x1000; i++)
		img[0x400 + i] = (uint8_t)(i * 7 + 3);
	memset(img + 0x1400, 0xd0, 0x100);
	memset(img + 0x1500, 0x5a, 0x100);
	*len = SMALL_SIZE;
	return img;
}

static uint8_t *read_fixture(const char *name, size_t *len)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/tests/golden/linux/%s", SRCDIR, name);
	FILE *fp = fopen(path, "rb");
	if (!fp)
		fail_msg("cannot open %s (run scripts/gen-linux-fixtures.sh)", path);
	fseek(fp, 0, SEEK_END);
	long n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	uint8_t *p = malloc((size_t)n);
	assert_int_equal(fread(p, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	*len = (size_t)n;
	return p;
}

static void put(uint8_t *p, size_t off, uint64_t v, int width)
{
	for (int i = 0; i < width; i++)
		p[off + i] = (uint8_t)(v >> (8 * i));
}

/* A bzImage around payload (copied), as arch/x86/boot/header.S lays one out. */
static uint8_t *bzimage(const uint8_t *payload, size_t plen, size_t *len)
{
	size_t sys = (BZ_PAYLOAD + plen + 15) & ~(size_t)15;
	uint8_t *img = calloc(1, BZ_SETUP + sys);

	put(img, 0x1f1, 4, 1);                 /* setup_sects */
	put(img, 0x1f4, sys / 16, 4);          /* syssize */
	put(img, 0x1fe, 0xaa55, 2);            /* boot_flag */
	put(img, 0x200, 0xeb, 1);              /* jump ... */
	put(img, 0x201, 0x26c - 0x202, 1);     /* ... to the end of a 2.15 header */
	memcpy(img + 0x202, "HdrS", 4);        /* header */
	put(img, 0x206, 0x020f, 2);            /* version 2.15 */
	put(img, 0x211, 0x01, 1);              /* loadflags: LOADED_HIGH */
	put(img, 0x214, 0x100000, 4);          /* code32_start */
	put(img, 0x22c, 0x7fffffff, 4);        /* initrd_addr_max */
	put(img, 0x230, 0x200000, 4);          /* kernel_alignment */
	put(img, 0x234, 1, 1);                 /* relocatable_kernel */
	put(img, 0x235, 21, 1);                /* min_alignment */
	put(img, 0x236, 0x3, 2);               /* xloadflags: KERNEL_64, CAN_BE_LOADED_ABOVE_4G */
	put(img, 0x238, 2047, 4);              /* cmdline_size */
	put(img, 0x248, BZ_PAYLOAD, 4);        /* payload_offset */
	put(img, 0x24c, plen, 4);              /* payload_length */
	put(img, 0x258, FIX_TEXT, 8);          /* pref_address */
	put(img, 0x260, BZ_INIT_SIZE, 4);      /* init_size */
	memcpy(img + BZ_SETUP + BZ_PAYLOAD, payload, plen);
	*len = BZ_SETUP + sys;
	return img;
}

static void use_bzimage(struct fixture *f, const char *fixture)
{
	size_t plen, len;
	uint8_t *payload = read_fixture(fixture, &plen);
	uint8_t *k = bzimage(payload, plen, &len);
	set_kernel(f, k, len);
	free(payload);
}

static void use_small(struct fixture *f, int notes)
{
	size_t len;
	uint8_t *k = small_vmlinux(notes, &len);
	set_kernel(f, k, len);
}

/* gzip of arbitrary bytes, made here with zlib. */
static uint8_t *gzip(const uint8_t *in, size_t len, size_t *outlen)
{
	z_stream s = { 0 };
	size_t cap = len + 1024;
	uint8_t *out = malloc(cap);
	assert_int_equal(deflateInit2(&s, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
	s.next_in = (Bytef *)in;
	s.avail_in = (uInt)len;
	s.next_out = out;
	s.avail_out = (uInt)cap;
	assert_int_equal(deflate(&s, Z_FINISH), Z_STREAM_END);
	*outlen = cap - s.avail_out;
	deflateEnd(&s);
	return out;
}

/* ---- what lands in RAM ---- */

static void expect_e820(const uint8_t *e, unsigned stride, unsigned i, uint64_t addr,
			uint64_t size, uint32_t type)
{
	const uint8_t *p = e + i * stride;
	assert_int_equal(rd(p, 8), addr);
	assert_int_equal(rd(p + 8, 8), size);
	assert_int_equal(rd(p + 16, 4), type);
}

/* RAM, the EBDA and error region reserved, the ACPI tables as ACPI data, RAM from 1 MiB. */
static void expect_map(const uint8_t *e, unsigned stride)
{
	expect_e820(e, stride, 0, 0, LAYOUT_LOW_RAM_END, 1);
	expect_e820(e, stride, 1, LAYOUT_FW_RESERVED, LAYOUT_ACPI_BASE - LAYOUT_FW_RESERVED, 2);
	expect_e820(e, stride, 2, LAYOUT_ACPI_BASE, LAYOUT_ACPI_END - LAYOUT_ACPI_BASE, 3);
	expect_e820(e, stride, 3, 0x100000, RAM_SIZE - 0x100000, 1);
}

static void expect_small_kernel(const struct fixture *f)
{
	for (int i = 0; i < 0x1000; i++)
		if (f->ram[SMALL_TEXT + i] != (uint8_t)(i * 7 + 3))
			fail_msg("text byte %d is 0x%02x", i, f->ram[SMALL_TEXT + i]);
	assert_int_equal(f->ram[SMALL_DATA], 0xd0);
	assert_int_equal(f->ram[SMALL_DATA + 0xff], 0xd0);
	for (int i = 0x100; i < 0x200; i++)
		assert_int_equal(f->ram[SMALL_DATA + i], 0); /* bss, written as zeros */
	assert_int_equal(f->ram[SMALL_PCPU], 0x5a); /* at p_paddr, whatever p_vaddr says */
	assert_int_equal(f->ram[SMALL_PCPU + 0xff], 0x5a);
}

static void test_vmlinux_64(void **state)
{
	struct fixture *f = *state;
	const char cmdline[] = "console=ttyS0 quiet";
	uint64_t initrd = RAM_SIZE - sizeof(f->initrd);
	const uint8_t *bp = f->ram + LAYOUT_ZERO_PAGE;

	use_small(f, NOTE_PVH8);
	f->in.cmdline = cmdline;
	f->in.cmdline_len = strlen(cmdline);
	f->in.initrd = f->initrd;
	f->in.initrd_len = sizeof(f->initrd);
	memset(f->ram + SMALL_DATA + 0x100, 0xee, 0x100); /* stale bytes where bss goes */
	expect_load(f);
	assert_int_equal(f->plan.mode, ENTRY_LINUX_64);
	assert_int_equal(f->plan.entry, SMALL_TEXT);
	assert_int_equal(f->plan.boot_params_gpa, LAYOUT_ZERO_PAGE);
	assert_int_equal(f->plan.kernel_start, SMALL_TEXT);
	assert_int_equal(f->plan.kernel_end, SMALL_PCPU + 0x100);
	assert_string_equal(f->plan.format, "Linux vmlinux");
	expect_small_kernel(f);
	/* The command line, NUL-terminated, where cmd_line_ptr says. */
	assert_int_equal(rd(bp + 0x228, 4), LAYOUT_CMDLINE);
	assert_string_equal((const char *)f->ram + LAYOUT_CMDLINE, cmdline);
	/* The initrd: page aligned at the top of RAM (below initrd_addr_max 0x7fffffff). */
	assert_int_equal(f->plan.initrd_gpa, initrd);
	assert_int_equal(rd(bp + 0x218, 4), initrd);
	assert_int_equal(rd(bp + 0x21c, 4), sizeof(f->initrd));
	assert_memory_equal(f->ram + initrd, f->initrd, sizeof(f->initrd));
	/* A synthesised setup header: the fields Linux reads. */
	assert_int_equal(rd(bp + 0x1fe, 2), 0xaa55);
	assert_memory_equal(bp + 0x202, "HdrS", 4);
	assert_true(rd(bp + 0x206, 2) >= 0x020c);
	assert_int_equal(bp[0x210], 0xff); /* type_of_loader */
	assert_int_equal(bp[0x211] & 1, 1); /* LOADED_HIGH */
	assert_int_equal(rd(bp + 0x238, 4), 2047); /* cmdline_size */
	assert_int_equal(rd(bp + 0x22c, 4), 0x7fffffff);
	assert_int_equal(rd(bp + 0x070, 8), RSDP); /* acpi_rsdp_addr */
	assert_int_equal(bp[0x1ef], 0);            /* sentinel */
	assert_int_equal(rd(bp + 0x250, 8), 0);    /* setup_data */
	assert_int_equal(bp[0x1e8], 4);            /* e820_entries */
	expect_map(bp + 0x2d0, 20);
	/* Nothing of PVH's. */
	assert_int_equal(rd(f->ram + LAYOUT_PVH_START_INFO, 4), 0);
}

static void test_vmlinux_pvh(void **state)
{
	struct fixture *f = *state;
	const uint8_t *si = f->ram + LAYOUT_PVH_START_INFO;
	uint64_t initrd = RAM_SIZE - sizeof(f->initrd);

	use_small(f, NOTE_PVH8);
	f->in.boot = LOADER_BOOT_PVH;
	f->in.initrd = f->initrd;
	f->in.initrd_len = sizeof(f->initrd);
	expect_load(f);
	assert_int_equal(f->plan.mode, ENTRY_LINUX_PVH32);
	assert_int_equal(f->plan.entry, SMALL_PVH);
	assert_int_equal(f->plan.boot_params_gpa, LAYOUT_PVH_START_INFO);
	expect_small_kernel(f);
	/* include/xen/interface/hvm/start_info.h, version 1 */
	assert_int_equal(rd(si + 0, 4), 0x336ec578);  /* magic */
	assert_int_equal(rd(si + 4, 4), 1);           /* version */
	assert_int_equal(rd(si + 8, 4), 0);           /* flags */
	assert_int_equal(rd(si + 12, 4), 1);          /* nr_modules */
	uint64_t modlist = rd(si + 16, 8);
	assert_int_equal(rd(si + 24, 8), LAYOUT_CMDLINE); /* cmdline_paddr */
	assert_int_equal(rd(si + 32, 8), RSDP);       /* rsdp_paddr */
	uint64_t memmap = rd(si + 40, 8);
	assert_int_equal(rd(si + 48, 4), 4);          /* memmap_entries */
	assert_int_equal(rd(si + 52, 4), 0);          /* reserved */
	/* The module list and the map lie in the same page, after the structure. */
	assert_true(modlist >= LAYOUT_PVH_START_INFO + 56 && modlist + 32 <= memmap);
	assert_true(memmap + 4 * 24 <= LAYOUT_PVH_START_INFO + 4096);
	assert_int_equal(rd(f->ram + modlist, 8), initrd);
	assert_int_equal(rd(f->ram + modlist + 8, 8), sizeof(f->initrd));
	assert_int_equal(rd(f->ram + modlist + 16, 8), 0);
	expect_map(f->ram + memmap, 24);
	assert_memory_equal(f->ram + initrd, f->initrd, sizeof(f->initrd));
	assert_int_equal(f->ram[LAYOUT_CMDLINE], 0); /* an empty command line */
	assert_int_equal(rd(f->ram + LAYOUT_ZERO_PAGE + 0x202, 4), 0); /* no zero page */

	/* A 4-byte note works as well. */
	memset(f->ram, 0, RAM_SIZE);
	use_small(f, NOTE_PVH4);
	expect_load(f);
	assert_int_equal(f->plan.entry, SMALL_PVH);
}

static void test_bzimage_every_format(void **state)
{
	struct fixture *f = *state;
	static const char *const formats[][2] = {
		{ "vmlinux.gz", "gzip" }, { "vmlinux.bz2", "bzip2" }, { "vmlinux.lzma", "lzma" },
		{ "vmlinux.xz", "xz" },   { "vmlinux.lzo", "lzo" },   { "vmlinux.lz4", "lz4" },
		{ "vmlinux.zst", "zstd" },
	};
	const uint8_t *bp = f->ram + LAYOUT_ZERO_PAGE;

	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		char want[64];
		memset(f->ram, 0, RAM_SIZE);
		memset(f->ram + FIX_DATA + FIX_DATA_LEN, 0xee, FIX_BSS_LEN);
		use_bzimage(f, formats[i][0]);
		f->in.boot = i == 3 ? LOADER_BOOT_PVH : LOADER_BOOT_64;
		if (load(f))
			fail_msg("%s: %s", formats[i][0], f->err);
		snprintf(want, sizeof(want), "Linux bzImage (%s payload)", formats[i][1]);
		assert_string_equal(f->plan.format, want);
		assert_int_equal(f->plan.mode, i == 3 ? ENTRY_LINUX_PVH32 : ENTRY_LINUX_64);
		assert_int_equal(f->plan.entry, i == 3 ? FIX_TEXT + 0x100 : FIX_TEXT);
		assert_int_equal(f->plan.kernel_start, FIX_TEXT);
		assert_int_equal(f->plan.kernel_end, FIX_TEXT + BZ_INIT_SIZE);
		for (int j = 0; j < FIX_TEXT_LEN; j++)
			if (f->ram[FIX_TEXT + j] != (uint8_t)(j * 7 + 3))
				fail_msg("%s: text byte %d is 0x%02x", formats[i][0], j, f->ram[FIX_TEXT + j]);
		assert_memory_equal(f->ram + FIX_DATA, "DATA", 4);
		assert_memory_equal(f->ram + FIX_DATA + FIX_DATA_LEN - 4, "END!", 4);
		assert_int_equal(f->ram[FIX_DATA + FIX_DATA_LEN / 2], 0);
		for (int j = 0; j < FIX_BSS_LEN; j++)
			assert_int_equal(f->ram[FIX_DATA + FIX_DATA_LEN + j], 0);
		assert_int_equal(f->ram[FIX_PCPU], 0x5a);
		assert_int_equal(f->ram[FIX_PCPU + 0xfff], 0x5a);
		if (i == 3)
			continue;
		/* The setup header is the bzImage's own, with what a loader writes. */
		assert_memory_equal(bp + 0x1f1, f->kernel + 0x1f1, 0x210 - 0x1f1);
		assert_int_equal(rd(bp + 0x206, 2), 0x020f);
		assert_int_equal(bp[0x210], 0xff);
		assert_int_equal(bp[0x211], 0x01);
		assert_int_equal(rd(bp + 0x230, 4), 0x200000);
		assert_int_equal(rd(bp + 0x248, 4), BZ_PAYLOAD);
		assert_int_equal(rd(bp + 0x258, 8), FIX_TEXT);
		assert_int_equal(rd(bp + 0x260, 4), BZ_INIT_SIZE);
		assert_int_equal(rd(bp + 0x228, 4), LAYOUT_CMDLINE);
		assert_int_equal(rd(bp + 0x218, 4), 0); /* no initrd */
		assert_int_equal(rd(bp + 0x21c, 4), 0);
		assert_int_equal(rd(bp + 0x26c, 4), 0); /* nothing copied past the header */
		expect_map(bp + 0x2d0, 20);
	}
}

static void test_rasvm_guest_unchanged(void **state)
{
	struct fixture *f = *state;

	f->in.kernel = guest_image_start;
	f->in.kernel_len = (size_t)(guest_image_end - guest_image_start);
	expect_load(f);
	assert_int_equal(f->plan.mode, ENTRY_RASVM_ELF64);
	assert_int_equal(f->plan.boot_params_gpa, LAYOUT_BOOT_INFO);
	assert_true(f->plan.entry >= LAYOUT_KERNEL_MIN);
	/* Linux's options make no sense for it. */
	memset(f->ram, 0, RAM_SIZE);
	f->in.cmdline = "quiet";
	f->in.cmdline_len = 5;
	expect_reject(f, "--cmdline is for Linux kernels");
	f->in.cmdline = NULL;
	f->in.initrd = f->initrd;
	f->in.initrd_len = sizeof(f->initrd);
	expect_reject(f, "--initrd is for Linux kernels");
	f->in.initrd = NULL;
	f->in.boot = LOADER_BOOT_PVH;
	expect_reject(f, "--boot is for Linux kernels");
}

/* Linux is told apart by its notes, or failing those by __START_KERNEL_map. */
static void test_detection(void **state)
{
	struct fixture *f = *state;
	size_t len;
	uint8_t *img = small_vmlinux(NOTE_NONE, &len);
	Elf64_Phdr *ph = (Elf64_Phdr *)(img + sizeof(Elf64_Ehdr));

	assert_true(elf_is_vmlinux(img, len)); /* text at paddr + __START_KERNEL_map */
	ph[0].p_vaddr = ph[0].p_paddr;
	assert_false(elf_is_vmlinux(img, len)); /* now a rasvm guest, with a percpu vaddr 0 */
	set_kernel(f, img, len);
	expect_reject(f, "link with VMA = LMA");
	use_small(f, NOTE_LINUX_ONLY);
	assert_true(elf_is_vmlinux(f->kernel, f->kernel_len));
	expect_load(f);
	assert_int_equal(f->plan.mode, ENTRY_LINUX_64);

	memset(f->ram, 0, RAM_SIZE);
	set_kernel(f, (uint8_t *)strdup("hello, this is not a kernel\n"), 28);
	expect_reject(f, "not a kernel rasvm can boot");
	size_t glen;
	uint8_t *gz = gzip(f->initrd, sizeof(f->initrd), &glen);
	set_kernel(f, gz, glen);
	expect_reject(f, "a gzip-compressed file, not a kernel");
	uint8_t *arm = calloc(1, 0x100);
	memcpy(arm + 0x38, "ARM\x64", 4);
	set_kernel(f, arm, 0x100);
	expect_reject(f, "arm64 Image");
}

static void test_pvh_checks(void **state)
{
	struct fixture *f = *state;

	f->in.boot = LOADER_BOOT_PVH;
	use_small(f, NOTE_LINUX_ONLY);
	expect_reject(f, "no PVH entry");
	use_small(f, NOTE_PVH8);
	/* The note's address outside the text. */
	uint8_t *n = f->kernel + sizeof(Elf64_Ehdr) + 4 * sizeof(Elf64_Phdr);
	size_t at = 12 + 8 + 8 + 12 + 4; /* the Linux note, then the Xen note's header and name */
	assert_int_equal(rd(n + at, 8), SMALL_PVH);
	put(n, at, SMALL_DATA, 8);
	expect_reject(f, "not inside an executable segment");
	/* A descriptor of 2 bytes. */
	put(n, at, SMALL_PVH, 8);
	put(n, 12 + 8 + 8 + 4, 2, 4); /* the Xen note's descsz */
	expect_reject(f, "has 2 bytes");
}

/* One bzImage field at a time made wrong. */
static void test_bzimage_header_checks(void **state)
{
	struct fixture *f = *state;
	static const struct {
		size_t off;
		int width;
		uint64_t value;
		const char *why;
	} cases[] = {
		{ 0x1fe, 2, 0x1234, "boot_flag is 0x1234" },
		{ 0x206, 2, 0x020b, "boot protocol 2.11 is older than 2.12" },
		{ 0x200, 1, 0xe9, "setup header ends" },
		{ 0x201, 1, 0x10, "setup header ends at 0x212" },
		{ 0x201, 1, 0x90, "setup header ends at 0x292" },
		{ 0x1f1, 1, 200, "beyond the file" },
		{ 0x1f4, 4, 0x10000000, "truncated file" },
		{ 0x1f4, 4, 0, "syssize" },
		{ 0x236, 2, 0x2, "not a 64-bit kernel" },
		{ 0x248, 4, 0xffffff00, "lies outside its protected-mode code" },
		{ 0x24c, 4, 0x7fffffff, "lies outside its protected-mode code" },
		{ 0x24c, 4, 0, "lies outside its protected-mode code" },
		{ 0x260, 4, 0, "init_size is 0" },
		{ 0x230, 4, 0x300000, "not a power of two" },
		{ 0x258, 8, 0x2000000, "pref_address is 0x2000000" },
		{ 0x260, 4, 0x10000, "decompresses to more than 65536 bytes" },
		{ 0x260, 4, FIX_SPAN - 0x1000, "more than its init_size" },
		{ 0x260, 4, 0x4000000, "give more --memory" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		use_bzimage(f, "vmlinux.gz");
		put(f->kernel, cases[i].off, cases[i].value, cases[i].width);
		expect_reject(f, cases[i].why);
	}
	/* The file cut short. */
	use_bzimage(f, "vmlinux.gz");
	f->in.kernel_len = 0x250;
	expect_reject(f, "too short for its setup header");
	f->in.kernel_len = f->kernel_len - 64;
	expect_reject(f, "truncated file");
	/* The payload cannot be decompressed, or is not an ELF. */
	use_bzimage(f, "vmlinux.gz");
	memcpy(f->kernel + BZ_SETUP + BZ_PAYLOAD, "ABCD", 4);
	expect_reject(f, "payload compression unknown (first bytes 41 42 43 44)");
	size_t glen, len;
	uint8_t *gz = gzip(f->initrd, sizeof(f->initrd), &glen);
	uint8_t *k = bzimage(gz, glen, &len);
	set_kernel(f, k, len);
	free(gz);
	expect_reject(f, "gzip payload is not an ELF vmlinux");
	/* The payload's ELF is checked as a vmlinux is. */
	size_t slen;
	uint8_t *small = small_vmlinux(NOTE_PVH8, &slen);
	put(small, offsetof(Elf64_Ehdr, e_entry), 0x100, 8);
	gz = gzip(small, slen, &glen);
	k = bzimage(gz, glen, &len);
	set_kernel(f, k, len);
	free(gz);
	free(small);
	put(f->kernel, 0x260, 0x100000, 4);
	expect_reject(f, "entry point 0x100 is not inside an executable segment");
}

/* Each compressor's stream cut short, and corrupted. */
static void test_bad_streams(void **state)
{
	struct fixture *f = *state;
	static const char *const names[] = { "vmlinux.gz", "vmlinux.bz2", "vmlinux.lzma", "vmlinux.xz",
					     "vmlinux.lzo", "vmlinux.lz4", "vmlinux.zst" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		size_t plen, len;
		uint8_t *p = read_fixture(names[i], &plen);
		/* Cut in the middle: the stream ends early. */
		uint8_t *k = bzimage(p, plen / 2, &len);
		set_kernel(f, k, len);
		expect_reject(f, "truncated");
		/* Bytes flipped after the header. */
		for (size_t j = plen / 3; j < plen / 3 + 16; j++)
			p[j] ^= 0x55;
		k = bzimage(p, plen, &len);
		set_kernel(f, k, len);
		expect_reject(f, "payload");
		free(p);
	}
}

static void test_cmdline_checks(void **state)
{
	struct fixture *f = *state;
	char *longest = malloc(4096);

	memset(longest, 'x', 4096);
	use_small(f, NOTE_PVH8);
	f->in.cmdline = longest;
	f->in.cmdline_len = 2048;
	expect_reject(f, "--cmdline is 2048 bytes; this kernel takes at most 2047");
	f->in.cmdline_len = 2047; /* exactly the limit */
	expect_load(f);
	assert_int_equal(f->ram[LAYOUT_CMDLINE + 2046], 'x');
	assert_int_equal(f->ram[LAYOUT_CMDLINE + 2047], 0);
	memset(f->ram, 0, RAM_SIZE);
	f->in.cmdline = "root=/dev/vda\0init=/bin/sh";
	f->in.cmdline_len = 26;
	expect_reject(f, "NUL byte");
	/* A bzImage's cmdline_size rules; a huge one is capped by rasvm's page. */
	use_bzimage(f, "vmlinux.gz");
	put(f->kernel, 0x238, 8, 4);
	f->in.cmdline = "console=ttyS0";
	f->in.cmdline_len = 13;
	expect_reject(f, "at most 8 (its cmdline_size)");
	put(f->kernel, 0x238, 0xffffffff, 4);
	f->in.cmdline = longest;
	f->in.cmdline_len = 4096;
	expect_reject(f, "at most 4095");
	free(longest);
}

static void test_initrd_checks(void **state)
{
	struct fixture *f = *state;

	use_small(f, NOTE_PVH8);
	f->in.initrd = f->ram; /* never read: the sizes are refused first */
	f->in.initrd_len = RAM_SIZE + 4096;
	expect_reject(f, "does not fit in guest RAM below 0x4000000");
	f->in.initrd_len = 5ULL << 30;
	expect_reject(f, "ramdisk_size");
	/* Between the kernel's end and the top of RAM there are 64 - 17 MiB. */
	f->in.initrd_len = RAM_SIZE - SMALL_TEXT;
	expect_reject(f, "would overlap the kernel at [0x1000000, 0x1002100)");
	/* A bzImage's initrd_addr_max and init_size: below 24 MiB is the kernel's. */
	use_bzimage(f, "vmlinux.gz");
	put(f->kernel, 0x22c, 0x17fffff, 4);
	f->in.initrd = f->initrd;
	f->in.initrd_len = sizeof(f->initrd);
	expect_reject(f, "would overlap the kernel at [0x1000000, 0x2000000)");
	/* Below initrd_addr_max and above init_size: fine. */
	put(f->kernel, 0x22c, 0x2ffffff, 4);
	expect_load(f);
	assert_int_equal(f->plan.initrd_gpa, 0x3000000 - sizeof(f->initrd));
	assert_int_equal(rd(f->ram + LAYOUT_ZERO_PAGE + 0x218, 4), 0x3000000 - sizeof(f->initrd));
	assert_memory_equal(f->ram + 0x3000000 - sizeof(f->initrd), f->initrd, sizeof(f->initrd));
}

/* The bound is exact: max bytes decompress, max - 1 do not. */
static void test_decompress_bound(void **state)
{
	static const char *const names[] = { "vmlinux.gz", "vmlinux.bz2", "vmlinux.lzma", "vmlinux.xz",
					     "vmlinux.lzo", "vmlinux.lz4", "vmlinux.zst" };
	char err[256];
	(void)state;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		size_t plen, n;
		uint8_t *p = read_fixture(names[i], &plen), *out = NULL;
		if (decompress(p, plen, FIX_FILE_LEN, &out, &n, err, sizeof(err)))
			fail_msg("%s: %s", names[i], err);
		assert_int_equal(n, FIX_FILE_LEN);
		assert_memory_equal(out, "\177ELF", 4);
		/* The kernel build's appended size (gzip's own ISIZE) says the same. */
		assert_int_equal(rd(p + plen - 4, 4), FIX_FILE_LEN);
		free(out);
		out = NULL;
		assert_int_equal(decompress(p, plen, FIX_FILE_LEN - 1, &out, &n, err, sizeof(err)), -EFBIG);
		assert_null(out);
		assert_non_null(strstr(err, "decompresses to more than"));
		free(p);
	}
}

/* The memory map beyond the MMIO hole keeps its high RAM; nothing but the ACPI area changes. */
static void test_e820_large(void **state)
{
	struct guest_mem m;
	struct e820_entry e[8];
	(void)state;

	mem_layout(&m, (uint8_t *)0x7f0000000000ULL, 5ULL << 30);
	assert_int_equal(linux_e820(&m, e, 8), 5);
	assert_int_equal(e[2].type, E820_ACPI);
	assert_int_equal(e[3].addr, 0x100000);
	assert_int_equal(e[3].size, LAYOUT_MMIO_HOLE - 0x100000);
	assert_int_equal(e[4].addr, LAYOUT_HIGH_RAM);
	assert_int_equal(e[4].size, (5ULL << 30) - LAYOUT_MMIO_HOLE);
	assert_int_equal(linux_e820(&m, e, 2), 5); /* a short array is not overrun */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_vmlinux_64, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vmlinux_pvh, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bzimage_every_format, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rasvm_guest_unchanged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_detection, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pvh_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bzimage_header_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_streams, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cmdline_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_initrd_checks, setup, teardown),
		cmocka_unit_test(test_decompress_bound),
		cmocka_unit_test(test_e820_large),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
