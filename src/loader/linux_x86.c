// SPDX-License-Identifier: MIT
#include "loader/linux_x86.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errmsg.h"
#include "le.h"
#include "loader/decompress.h"
#include "loader/elf.h"
#include "rasvm/layout.h"

/*
 * The setup header, Documentation/arch/x86/boot.rst "The Real-Mode Kernel Header" and
 * "Details of Header Fields". Offsets are the same in the bzImage file and in boot_params,
 * into which the header is copied (arch/x86/include/uapi/asm/bootparam.h, hdr at 0x1f1).
 */
#define HDR_START            0x1f1 /* setup_sects, the header's first field */
#define HDR_SETUP_SECTS      0x1f1 /* u8: setup code in 512-byte sectors; 0 means 4 */
#define HDR_SYSSIZE          0x1f4 /* u32 (2.04+): protected-mode code in 16-byte paragraphs */
#define HDR_BOOT_FLAG        0x1fe /* u16: 0xAA55 */
#define HDR_JUMP             0x200 /* u8 0xEB, then u8: the header ends at 0x202 + this */
#define HDR_HEADER           0x202 /* u32: "HdrS" */
#define HDR_VERSION          0x206 /* u16: protocol version, major << 8 | minor */
#define HDR_TYPE_OF_LOADER   0x210 /* u8, write: boot loader id */
#define HDR_LOADFLAGS        0x211 /* u8, modify */
#define HDR_RAMDISK_IMAGE    0x218 /* u32, write: initrd address */
#define HDR_RAMDISK_SIZE     0x21c /* u32, write: initrd size */
#define HDR_HEAP_END_PTR     0x224 /* u16, write: only with CAN_USE_HEAP */
#define HDR_CMD_LINE_PTR     0x228 /* u32 (2.02+), write: command line address */
#define HDR_INITRD_ADDR_MAX  0x22c /* u32 (2.03+): highest byte the initrd may occupy */
#define HDR_KERNEL_ALIGNMENT 0x230 /* u32 (2.05+): physical alignment the kernel wants */
#define HDR_RELOCATABLE      0x234 /* u8 (2.05+): relocatable_kernel */
#define HDR_XLOADFLAGS       0x236 /* u16 (2.12+) */
#define HDR_CMDLINE_SIZE     0x238 /* u32 (2.06+): longest command line, NUL excluded */
#define HDR_HW_SUBARCH       0x23c /* u32 (2.07+), write: hardware_subarch, 0 = PC */
#define HDR_HW_SUBARCH_DATA  0x240 /* u64 (2.07+), write: hardware_subarch_data */
#define HDR_PAYLOAD_OFFSET   0x248 /* u32 (2.08+): payload offset in the protected-mode code */
#define HDR_PAYLOAD_LENGTH   0x24c /* u32 (2.08+) */
#define HDR_SETUP_DATA       0x250 /* u64 (2.09+), write: setup_data list, 0 = none */
#define HDR_PREF_ADDRESS     0x258 /* u64 (2.10+): preferred load address */
#define HDR_INIT_SIZE        0x260 /* u32 (2.10+): linear memory needed from the start */
#define HDR_MAGIC            0x53726448u /* "HdrS" */
#define BOOT_FLAG_MAGIC      0xaa55
#define PROTOCOL_MIN         0x020c /* 2.12 (Linux 3.8): xloadflags, XLF_KERNEL_64 */
#define JUMP_OPCODE          0xeb
#define SECTOR               512
#define SETUP_SECTS_DEFAULT  4 /* "If this field is 0, the real value is 4" */
#define LOADER_ID_UNDEFINED  0xff /* type_of_loader: "no assigned id" */
#define LOADED_HIGH          0x01 /* loadflags bit 0: protected-mode code loaded at 0x100000+ */
#define XLF_KERNEL_64        0x0001 /* xloadflags bit 0: has the 64-bit entry */
/* The setup header may reach 0x290 at most, where edd_mbr_sig_buffer starts (bootparam.h). */
#define HDR_END_MAX          0x290

/* boot_params outside the setup header: Documentation/arch/x86/zero-page.rst */
#define BP_SIZE              4096
#define BP_ACPI_RSDP_ADDR    0x070 /* u64 acpi_rsdp_addr */
#define BP_E820_ENTRIES      0x1e8 /* u8 e820_entries */
#define BP_E820_TABLE        0x2d0 /* e820_table: packed {u64 addr, u64 size, u32 type} */
#define BP_E820_ENTRY_SIZE   20
_Static_assert(BP_E820_TABLE + LINUX_E820_MAX * BP_E820_ENTRY_SIZE == 0xcd0,
	       "e820_table ends where _pad8 starts (zero-page.rst: 2D0/A00)");

/* What the zero page says when there is no bzImage header to copy (a plain vmlinux). */
#define SYNTH_VERSION        PROTOCOL_MIN /* as Linux's own PVH entry says (pvh/enlighten.c) */
#define SYNTH_ALIGNMENT      0x200000 /* CONFIG_PHYSICAL_ALIGN's default, 2 MiB */

/* hvm_start_info, include/xen/interface/hvm/start_info.h (version 1) */
#define SI_MAGIC_VALUE       0x336ec578u /* XEN_HVM_START_MAGIC_VALUE */
#define SI_VERSION           1 /* adds memmap_paddr and memmap_entries */
#define SI_MAGIC             0  /* u32 */
#define SI_VERSION_OFF       4  /* u32 */
#define SI_FLAGS             8  /* u32 SIF_* */
#define SI_NR_MODULES        12 /* u32 */
#define SI_MODLIST_PADDR     16 /* u64 */
#define SI_CMDLINE_PADDR     24 /* u64 */
#define SI_RSDP_PADDR        32 /* u64 */
#define SI_MEMMAP_PADDR      40 /* u64 */
#define SI_MEMMAP_ENTRIES    48 /* u32; then u32 reserved */
#define SI_SIZE              56
#define MOD_PADDR            0  /* hvm_modlist_entry: u64 paddr, u64 size, */
#define MOD_SIZE             8  /* u64 cmdline_paddr, u64 reserved */
#define MOD_ENTRY_SIZE       32
#define MEMMAP_ENTRY_SIZE    24 /* hvm_memmap_table_entry: u64 addr, u64 size, u32 type, u32 reserved */
/* Where the module list and memory map go in the start_info page (layout.h says so too). */
#define PVH_MODLIST_OFF      0x40
#define PVH_MEMMAP_OFF       0x80
_Static_assert(SI_SIZE <= PVH_MODLIST_OFF && PVH_MODLIST_OFF + MOD_ENTRY_SIZE <= PVH_MEMMAP_OFF,
	       "start_info, then one module, then the memory map");
_Static_assert((4096 - PVH_MEMMAP_OFF) / MEMMAP_ENTRY_SIZE >= LINUX_E820_MAX,
	       "the start_info page holds as many map entries as the zero page");

#define PAGE 4096ULL

#define fail(...) errmsg(err, errlen, -ENOEXEC, __VA_ARGS__)

/* The fields of a bzImage's setup header rasvm uses, validated. */
struct setup {
	const uint8_t *hdr;   /* the header in the file, from HDR_START */
	size_t hdr_len;
	unsigned version;
	uint32_t initrd_addr_max, kernel_alignment, cmdline_size, init_size;
	uint64_t pref_address;
	const uint8_t *payload;
	size_t payload_len;
};

bool linux_is_bzimage(const uint8_t *img, size_t len)
{
	return len >= HDR_HEADER + 4 && le_get(img + HDR_HEADER, 4) == HDR_MAGIC;
}

static int parse_setup(const uint8_t *img, size_t len, struct setup *s, char *err, size_t errlen)
{
	if (len < HDR_INIT_SIZE + 4)
		return fail("bzImage of %zu bytes is too short for its setup header", len);
	unsigned flag = (unsigned)le_get(img + HDR_BOOT_FLAG, 2);
	if (flag != BOOT_FLAG_MAGIC)
		return fail("bzImage boot_flag is 0x%04x, need 0xAA55", flag);
	s->version = (unsigned)le_get(img + HDR_VERSION, 2);
	if (s->version < PROTOCOL_MIN)
		return fail("bzImage boot protocol %u.%02u is older than 2.12 (Linux 3.8); rasvm needs its xloadflags and 64-bit entry",
			    s->version >> 8, s->version & 0xff);
	size_t end = HDR_JUMP + 2 + img[HDR_JUMP + 1];
	if (img[HDR_JUMP] != JUMP_OPCODE || end < HDR_INIT_SIZE + 4 || end > HDR_END_MAX)
		return fail("bzImage setup header ends at 0x%zx (jump %02x %02x); protocol 2.12 needs 0x%x to 0x%x",
			    end, img[HDR_JUMP], img[HDR_JUMP + 1], HDR_INIT_SIZE + 4, HDR_END_MAX);
	unsigned sects = img[HDR_SETUP_SECTS] ? img[HDR_SETUP_SECTS] : SETUP_SECTS_DEFAULT;
	size_t setup_size = (size_t)(sects + 1) * SECTOR; /* the boot sector, then the setup */
	if (setup_size > len || end > setup_size)
		return fail("bzImage setup_sects %u puts the protected-mode code at 0x%zx, beyond the file (%zu bytes); truncated file?",
			    sects, setup_size, len);
	uint64_t sys = le_get(img + HDR_SYSSIZE, 4) * 16;
	if (sys == 0 || sys > len - setup_size)
		return fail("bzImage syssize says %llu bytes of protected-mode code, the file has %zu after the setup; truncated file?",
			    (unsigned long long)sys, len - setup_size);
	unsigned xlf = (unsigned)le_get(img + HDR_XLOADFLAGS, 2);
	if (!(xlf & XLF_KERNEL_64))
		return fail("bzImage is not a 64-bit kernel (xloadflags 0x%x lacks XLF_KERNEL_64)", xlf);
	uint64_t off = le_get(img + HDR_PAYLOAD_OFFSET, 4), plen = le_get(img + HDR_PAYLOAD_LENGTH, 4);
	if (plen == 0 || off > sys || plen > sys - off)
		return fail("bzImage payload [0x%llx, +0x%llx) lies outside its protected-mode code (0x%llx bytes)",
			    (unsigned long long)off, (unsigned long long)plen, (unsigned long long)sys);
	s->init_size = (uint32_t)le_get(img + HDR_INIT_SIZE, 4);
	if (s->init_size == 0)
		return fail("bzImage init_size is 0");
	s->kernel_alignment = (uint32_t)le_get(img + HDR_KERNEL_ALIGNMENT, 4);
	if (img[HDR_RELOCATABLE] && (s->kernel_alignment == 0 ||
				     (s->kernel_alignment & (s->kernel_alignment - 1))))
		return fail("bzImage kernel_alignment 0x%x is not a power of two", s->kernel_alignment);
	s->hdr = img + HDR_START;
	s->hdr_len = end - HDR_START;
	s->initrd_addr_max = (uint32_t)le_get(img + HDR_INITRD_ADDR_MAX, 4);
	s->cmdline_size = (uint32_t)le_get(img + HDR_CMDLINE_SIZE, 4);
	s->pref_address = le_get(img + HDR_PREF_ADDRESS, 8);
	s->payload = img + setup_size + off;
	s->payload_len = (size_t)plen;
	return 0;
}

static unsigned add(struct e820_entry *e, unsigned n, unsigned max, uint64_t addr, uint64_t size,
		    uint32_t type)
{
	if (size == 0)
		return n;
	if (n < max)
		e[n] = (struct e820_entry){ .addr = addr, .size = size, .type = type };
	return n + 1;
}

unsigned linux_e820(const struct guest_mem *mem, struct e820_entry *e, unsigned max)
{
	struct e820_entry m[LINUX_E820_MAX];
	unsigned k = mem_e820(mem, m, LINUX_E820_MAX), n = 0;

	for (unsigned i = 0; i < k && i < LINUX_E820_MAX; i++) {
		uint64_t a = m[i].addr, end = m[i].addr + m[i].size;
		if (m[i].type == E820_RESERVED && a <= LAYOUT_ACPI_BASE && end >= LAYOUT_ACPI_END) {
			/* The ACPI tables are ACPI data; the rest (EBDA, error region) stays reserved. */
			n = add(e, n, max, a, LAYOUT_ACPI_BASE - a, E820_RESERVED);
			n = add(e, n, max, LAYOUT_ACPI_BASE, LAYOUT_ACPI_END - LAYOUT_ACPI_BASE, E820_ACPI);
			n = add(e, n, max, LAYOUT_ACPI_END, end - LAYOUT_ACPI_END, E820_RESERVED);
		} else {
			n = add(e, n, max, a, m[i].size, m[i].type);
		}
	}
	return n;
}

/* Everything decided before the first byte is written. */
struct linux_plan {
	const struct setup *setup; /* NULL for a plain vmlinux */
	const uint8_t *elf;
	size_t elf_len;
	struct elf_info info;
	uint64_t kernel_end;
	uint64_t initrd;
	struct e820_entry e820[LINUX_E820_MAX];
	unsigned e820_count;
};

static int check_cmdline(const struct loader_input *in, const struct setup *s, char *err,
			 size_t errlen)
{
	uint64_t max = s ? s->cmdline_size : LINUX_CMDLINE_DEFAULT_MAX;
	const char *why = s ? "its cmdline_size" : "Linux's COMMAND_LINE_SIZE";

	if (max > LAYOUT_CMDLINE_MAX - 1) {
		max = LAYOUT_CMDLINE_MAX - 1;
		why = "rasvm's command line page";
	}
	if (!in->cmdline)
		return 0;
	if (memchr(in->cmdline, '\0', in->cmdline_len))
		return fail("--cmdline contains a NUL byte");
	if (in->cmdline_len > max)
		return fail("--cmdline is %zu bytes; this kernel takes at most %llu (%s)",
			    in->cmdline_len, (unsigned long long)max, why);
	return 0;
}

/* The initrd goes as high as it may (page aligned) and above the kernel's init_size range. */
static int place_initrd(const struct loader_input *in, const struct guest_mem *mem,
			struct linux_plan *p, char *err, size_t errlen)
{
	uint64_t len = in->initrd_len;
	uint64_t max = p->setup ? p->setup->initrd_addr_max : LINUX_INITRD_ADDR_MAX_DEFAULT;
	uint64_t top = max + 1 < mem->low_size ? max + 1 : mem->low_size;

	if (!in->initrd)
		return 0;
	if (len > UINT32_MAX)
		return fail("--initrd is %llu bytes; the boot protocol's ramdisk_size holds less than 4 GiB",
			    (unsigned long long)len);
	if (len > top || ((top - len) & ~(PAGE - 1)) < LAYOUT_KERNEL_MIN)
		return fail("--initrd of %llu bytes does not fit in guest RAM below 0x%llx; give more --memory",
			    (unsigned long long)len, (unsigned long long)top);
	uint64_t gpa = (top - len) & ~(PAGE - 1);
	if (gpa < p->kernel_end)
		return fail("--initrd of %llu bytes below 0x%llx would overlap the kernel at [0x%llx, 0x%llx) (init_size included); give more --memory",
			    (unsigned long long)len, (unsigned long long)top,
			    (unsigned long long)p->info.lo, (unsigned long long)p->kernel_end);
	if (!mem_gpa_to_hva(mem, gpa, len))
		return fail("--initrd at [0x%llx, +0x%llx) is not guest RAM", (unsigned long long)gpa,
			    (unsigned long long)len);
	p->initrd = gpa;
	return 0;
}

static void write_cmdline(struct guest_mem *mem, const struct loader_input *in)
{
	uint8_t *c = mem_gpa_to_hva(mem, LAYOUT_CMDLINE, LAYOUT_CMDLINE_MAX);
	size_t n = in->cmdline ? in->cmdline_len : 0;

	memset(c, 0, LAYOUT_CMDLINE_MAX);
	if (n)
		memcpy(c, in->cmdline, n);
}

/* boot.rst "64-bit Boot Protocol": a zeroed boot_params, the setup header copied in, then
 * what a boot loader writes. */
static void write_zero_page(struct guest_mem *mem, const struct loader_input *in,
			    const struct linux_plan *p)
{
	uint8_t *bp = mem_gpa_to_hva(mem, LAYOUT_ZERO_PAGE, BP_SIZE);

	memset(bp, 0, BP_SIZE);
	if (p->setup) {
		memcpy(bp + HDR_START, p->setup->hdr, p->setup->hdr_len);
	} else {
		/* The fields Linux reads, as its own header would have them. */
		le_put(bp + HDR_BOOT_FLAG, BOOT_FLAG_MAGIC, 2);
		le_put(bp + HDR_HEADER, HDR_MAGIC, 4);
		le_put(bp + HDR_VERSION, SYNTH_VERSION, 2);
		le_put(bp + HDR_INITRD_ADDR_MAX, LINUX_INITRD_ADDR_MAX_DEFAULT, 4);
		le_put(bp + HDR_KERNEL_ALIGNMENT, SYNTH_ALIGNMENT, 4);
		le_put(bp + HDR_XLOADFLAGS, XLF_KERNEL_64, 2);
		le_put(bp + HDR_CMDLINE_SIZE, LINUX_CMDLINE_DEFAULT_MAX, 4);
	}
	bp[HDR_TYPE_OF_LOADER] = LOADER_ID_UNDEFINED;
	/* Loaded high; no heap (the real-mode setup does not run), not quiet, no KASLR done. */
	bp[HDR_LOADFLAGS] = LOADED_HIGH;
	le_put(bp + HDR_HEAP_END_PTR, 0, 2);
	le_put(bp + HDR_CMD_LINE_PTR, LAYOUT_CMDLINE, 4);
	le_put(bp + HDR_RAMDISK_IMAGE, p->initrd, 4);
	le_put(bp + HDR_RAMDISK_SIZE, in->initrd ? in->initrd_len : 0, 4);
	le_put(bp + HDR_HW_SUBARCH, 0, 4);
	le_put(bp + HDR_HW_SUBARCH_DATA, 0, 8);
	le_put(bp + HDR_SETUP_DATA, 0, 8);
	le_put(bp + BP_ACPI_RSDP_ADDR, in->rsdp, 8);
	bp[BP_E820_ENTRIES] = (uint8_t)p->e820_count;
	for (unsigned i = 0; i < p->e820_count; i++) {
		uint8_t *e = bp + BP_E820_TABLE + i * BP_E820_ENTRY_SIZE;
		le_put(e, p->e820[i].addr, 8);
		le_put(e + 8, p->e820[i].size, 8);
		le_put(e + 16, p->e820[i].type, 4);
	}
}

/* start_info.h: the start of day structure, one module (the initrd), the memory map. */
static void write_start_info(struct guest_mem *mem, const struct loader_input *in,
			     const struct linux_plan *p)
{
	uint8_t *si = mem_gpa_to_hva(mem, LAYOUT_PVH_START_INFO, PAGE);

	memset(si, 0, PAGE);
	le_put(si + SI_MAGIC, SI_MAGIC_VALUE, 4);
	le_put(si + SI_VERSION_OFF, SI_VERSION, 4);
	le_put(si + SI_FLAGS, 0, 4);
	le_put(si + SI_NR_MODULES, in->initrd ? 1 : 0, 4);
	le_put(si + SI_MODLIST_PADDR, in->initrd ? LAYOUT_PVH_START_INFO + PVH_MODLIST_OFF : 0, 8);
	le_put(si + SI_CMDLINE_PADDR, LAYOUT_CMDLINE, 8);
	le_put(si + SI_RSDP_PADDR, in->rsdp, 8);
	le_put(si + SI_MEMMAP_PADDR, LAYOUT_PVH_START_INFO + PVH_MEMMAP_OFF, 8);
	le_put(si + SI_MEMMAP_ENTRIES, p->e820_count, 4);
	if (in->initrd) {
		le_put(si + PVH_MODLIST_OFF + MOD_PADDR, p->initrd, 8);
		le_put(si + PVH_MODLIST_OFF + MOD_SIZE, in->initrd_len, 8);
	}
	for (unsigned i = 0; i < p->e820_count; i++) {
		uint8_t *e = si + PVH_MEMMAP_OFF + i * MEMMAP_ENTRY_SIZE;
		/* The XEN_HVM_MEMMAP_TYPE_* values are the e820 types. */
		le_put(e, p->e820[i].addr, 8);
		le_put(e + 8, p->e820[i].size, 8);
		le_put(e + 16, p->e820[i].type, 4);
	}
}

/* Validate the kernel (already an ELF), the initrd and command line; decide the entry. */
static int plan(const struct loader_input *in, const struct guest_mem *mem, struct linux_plan *p,
		struct boot_plan *out, char *err, size_t errlen)
{
	const struct setup *s = p->setup;
	int r = elf_parse(p->elf, p->elf_len, mem, true, &p->info, err, errlen);

	if (r)
		return r;
	uint64_t span = p->info.hi - p->info.lo;
	p->kernel_end = p->info.hi;
	if (s) {
		if (s->pref_address && p->info.lo != s->pref_address)
			return fail("bzImage payload is linked at 0x%llx but its header's pref_address is 0x%llx",
				    (unsigned long long)p->info.lo, (unsigned long long)s->pref_address);
		if (span > s->init_size)
			return fail("bzImage payload spans 0x%llx bytes, more than its init_size 0x%x",
				    (unsigned long long)span, s->init_size);
		p->kernel_end = p->info.lo + s->init_size;
		if (!mem_gpa_to_hva(mem, p->info.lo, s->init_size))
			return fail("the kernel needs RAM from 0x%llx to 0x%llx (init_size); give more --memory",
				    (unsigned long long)p->info.lo, (unsigned long long)p->kernel_end);
	}
	if ((r = check_cmdline(in, s, err, errlen)) || (r = place_initrd(in, mem, p, err, errlen)))
		return r;
	p->e820_count = linux_e820(mem, p->e820, LINUX_E820_MAX);
	if (p->e820_count > LINUX_E820_MAX) /* never: rasvm's map has a handful of entries */
		return fail("the memory map has %u entries, more than the zero page holds", p->e820_count);

	*out = (struct boot_plan){ .kernel_start = p->info.lo, .kernel_end = p->kernel_end,
				   .initrd_gpa = p->initrd,
				   .initrd_size = in->initrd ? in->initrd_len : 0 };
	if (in->boot == LOADER_BOOT_PVH) {
		if (!p->info.pvh)
			return fail("--boot pvh: this kernel has no PVH entry (ELF note Xen/XEN_ELFNOTE_PHYS32_ENTRY; build it with CONFIG_PVH=y), use --boot 64");
		if (!p->info.pvh_ok || p->info.pvh_entry >= LAYOUT_BOOT_MAPPED)
			return fail("--boot pvh: the PVH entry 0x%llx is not inside an executable segment",
				    (unsigned long long)p->info.pvh_entry);
		out->mode = ENTRY_LINUX_PVH32;
		out->entry = p->info.pvh_entry;
		out->boot_params_gpa = LAYOUT_PVH_START_INFO;
	} else {
		out->mode = ENTRY_LINUX_64;
		out->entry = p->info.entry;
		out->boot_params_gpa = LAYOUT_ZERO_PAGE;
	}
	return 0;
}

int linux_load(const struct loader_input *in, struct guest_mem *mem, struct boot_plan *out,
	       char *err, size_t errlen)
{
	struct setup s;
	struct linux_plan *p = calloc(1, sizeof(*p));
	uint8_t *vmlinux = NULL;
	const char *what = "vmlinux";
	int r;

	if (!p)
		return errmsg(err, errlen, -ENOMEM, "out of memory");
	p->elf = in->kernel;
	p->elf_len = in->kernel_len;
	if (linux_is_bzimage(in->kernel, in->kernel_len)) {
		if ((r = parse_setup(in->kernel, in->kernel_len, &s, err, errlen)))
			goto out;
		/* The decompressed vmlinux must fit where the kernel decompresses itself
		 * (init_size from its load address) and in guest RAM. */
		size_t max = s.init_size < mem->size ? s.init_size : (size_t)mem->size;
		enum decompress_format f = decompress_detect(s.payload, s.payload_len);
		r = decompress(s.payload, s.payload_len, max, &vmlinux, &p->elf_len, err, errlen);
		if (r == -EFBIG) {
			r = fail("bzImage %s payload decompresses to more than %zu bytes (its init_size 0x%x, or guest RAM)",
				 decompress_name(f), max, s.init_size);
			goto out;
		}
		if (r)
			goto out;
		if (p->elf_len < 4 || memcmp(vmlinux, "\177ELF", 4)) {
			r = fail("bzImage %s payload is not an ELF vmlinux", decompress_name(f));
			goto out;
		}
		p->elf = vmlinux;
		p->setup = &s;
		what = decompress_name(f);
	}
	if ((r = plan(in, mem, p, out, err, errlen)))
		goto out;

	/* Everything is valid: now write. */
	elf_copy(p->elf, p->elf_len, mem);
	if (in->initrd)
		memcpy(mem_gpa_to_hva(mem, p->initrd, in->initrd_len), in->initrd, in->initrd_len);
	write_cmdline(mem, in);
	if (out->mode == ENTRY_LINUX_PVH32)
		write_start_info(mem, in, p);
	else
		write_zero_page(mem, in, p);
	if (p->setup)
		snprintf(out->format, sizeof(out->format), "Linux bzImage (%s payload)", what);
	else
		snprintf(out->format, sizeof(out->format), "Linux vmlinux");
out:
	free(vmlinux);
	free(p);
	return r;
}
