
// SPDX-License-Identifier: MIT
#include "loader/elf.h"

#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "errmsg.h"
#include "le.h"
#include "rasvm/layout.h"

/* Fields are read byte by byte: the file is untrusted and need not be aligned. */
struct segment {
	uint64_t offset, filesz, vaddr, paddr, memsz;
	uint32_t flags;
};

static void read_phdr(const uint8_t *p, uint32_t *type, struct segment *s)
{
	*type = (uint32_t)le_get(p + offsetof(Elf64_Phdr, p_type), 4);
	s->flags = (uint32_t)le_get(p + offsetof(Elf64_Phdr, p_flags), 4);
	s->offset = le_get(p + offsetof(Elf64_Phdr, p_offset), 8);
	s->vaddr = le_get(p + offsetof(Elf64_Phdr, p_vaddr), 8);
	s->paddr = le_get(p + offsetof(Elf64_Phdr, p_paddr), 8);
	s->filesz = le_get(p + offsetof(Elf64_Phdr, p_filesz), 8);
	s->memsz = le_get(p + offsetof(Elf64_Phdr, p_memsz), 8);
}

#define fail(err, errlen, ...) errmsg(err, errlen, -ENOEXEC, __VA_ARGS__)

/* Validate one PT_LOAD segment against the file and RAM. */
static int check_segment(unsigned i, const struct segment *s, size_t len, struct guest_mem *mem,
			 char *err, size_t errlen)
{
	if (s->filesz > s->memsz)
		return fail(err, errlen, "segment %u: file size 0x%llx exceeds memory size 0x%llx", i,
			    (unsigned long long)s->filesz, (unsigned long long)s->memsz);
	if (s->offset > len || s->filesz > len - s->offset)
		return fail(err, errlen,
			    "segment %u: bytes [0x%llx, +0x%llx) lie beyond the end of the file (0x%zx bytes); truncated file?",
			    i, (unsigned long long)s->offset, (unsigned long long)s->filesz, len);
	if (s->vaddr != s->paddr)
		return fail(err, errlen,
			    "segment %u: virtual address 0x%llx differs from physical 0x%llx; the boot page tables identity-map, so link with VMA = LMA",
			    i, (unsigned long long)s->vaddr, (unsigned long long)s->paddr);
	if (s->paddr < LAYOUT_KERNEL_MIN)
		return fail(err, errlen,
			    "segment %u at 0x%llx overlaps the boot structures and ACPI tables below 0x%llx; link the kernel at 1 MiB or above",
			    i, (unsigned long long)s->paddr, (unsigned long long)LAYOUT_KERNEL_MIN);
	if (s->memsz > LAYOUT_BOOT_MAPPED || s->paddr > LAYOUT_BOOT_MAPPED - s->memsz)
		return fail(err, errlen,
			    "segment %u [0x%llx, +0x%llx) is beyond 4 GiB, outside the boot identity map",
			    i, (unsigned long long)s->paddr, (unsigned long long)s->memsz);
	if (!mem_gpa_to_hva(mem, s->paddr, s->memsz))
		return fail(err, errlen,
			    "segment %u [0x%llx, 0x%llx) is outside guest RAM (%llu MiB); give more --memory or relink",
			    i, (unsigned long long)s->paddr, (unsigned long long)(s->paddr + s->memsz),
			    (unsigned long long)(mem->size >> 20));
	return 0;
}

int elf_load(const uint8_t *img, size_t len, struct guest_mem *mem, uint64_t *entry, char *err,
	     size_t errlen)
{
	if (len < sizeof(Elf64_Ehdr))
		return fail(err, errlen, "file is %zu bytes, shorter than an ELF64 header (%zu)", len,
			    sizeof(Elf64_Ehdr));
	if (memcmp(img, ELFMAG, SELFMAG) != 0)
		return fail(err, errlen, "not an ELF file (bad magic)");
	if (img[EI_CLASS] != ELFCLASS64)
		return fail(err, errlen, "ELF class %u, need ELFCLASS64 (a 64-bit kernel)", img[EI_CLASS]);
	if (img[EI_DATA] != ELFDATA2LSB)
		return fail(err, errlen, "ELF data encoding %u, need little-endian", img[EI_DATA]);
	if (img[EI_VERSION] != EV_CURRENT)
		return fail(err, errlen, "ELF version %u, need %u", img[EI_VERSION], EV_CURRENT);

	uint64_t type = le_get(img + offsetof(Elf64_Ehdr, e_type), 2);
	uint64_t machine = le_get(img + offsetof(Elf64_Ehdr, e_machine), 2);
	uint64_t e_entry = le_get(img + offsetof(Elf64_Ehdr, e_entry), 8);
	uint64_t phoff = le_get(img + offsetof(Elf64_Ehdr, e_phoff), 8);
	uint64_t phentsize = le_get(img + offsetof(Elf64_Ehdr, e_phentsize), 2);
	uint64_t phnum = le_get(img + offsetof(Elf64_Ehdr, e_phnum), 2);

	if (type != ET_EXEC)
		return fail(err, errlen, "ELF type %llu, need ET_EXEC (a statically linked executable)",
			    (unsigned long long)type);
	if (machine != EM_X86_64)
		return fail(err, errlen, "ELF machine %llu, need EM_X86_64 (%u)",
			    (unsigned long long)machine, EM_X86_64);
	if (phentsize != sizeof(Elf64_Phdr))
		return fail(err, errlen, "program header size %llu, need %zu",
			    (unsigned long long)phentsize, sizeof(Elf64_Phdr));
	if (phnum == 0)
		return fail(err, errlen, "no program headers");
	if (phoff > len || phnum * sizeof(Elf64_Phdr) > len - phoff)
		return fail(err, errlen,
			    "program headers [0x%llx, +%llu x %zu) run past the end of the file (0x%zx bytes); truncated file?",
			    (unsigned long long)phoff, (unsigned long long)phnum, sizeof(Elf64_Phdr), len);

	/* Pass 1: validate everything, so nothing is written for a bad file. */
	unsigned loads = 0;
	bool entry_ok = false;
	for (unsigned i = 0; i < phnum; i++) {
		struct segment s, t;
		uint32_t ptype, ttype;

		read_phdr(img + phoff + i * sizeof(Elf64_Phdr), &ptype, &s);
		if (ptype != PT_LOAD || s.memsz == 0)
			continue;
		int r = check_segment(i, &s, len, mem, err, errlen);
		if (r)
			return r;
		for (unsigned j = 0; j < i; j++) {
			read_phdr(img + phoff + j * sizeof(Elf64_Phdr), &ttype, &t);
			if (ttype == PT_LOAD && t.memsz && s.paddr < t.paddr + t.memsz &&
			    t.paddr < s.paddr + s.memsz)
				return fail(err, errlen, "segments %u and %u overlap in memory", j, i);
		}
		loads++;
		if ((s.flags & PF_X) && e_entry >= s.paddr && e_entry - s.paddr < s.memsz)
			entry_ok = true;
	}
	if (loads == 0)
		return fail(err, errlen, "no loadable (PT_LOAD) segments");
	if (!entry_ok)
		return fail(err, errlen, "entry point 0x%llx is not inside an executable segment",
			    (unsigned long long)e_entry);

	/* Pass 2: copy file bytes and zero the rest of each segment (.bss). */
	for (unsigned i = 0; i < phnum; i++) {
		struct segment s;
		uint32_t ptype;

		read_phdr(img + phoff + i * sizeof(Elf64_Phdr), &ptype, &s);
		if (ptype != PT_LOAD || s.memsz == 0)
			continue;
		uint8_t *dst = mem_gpa_to_hva(mem, s.paddr, s.memsz);
		memcpy(dst, img + s.offset, s.filesz);
		memset(dst + s.filesz, 0, s.memsz - s.filesz);
	}
	*entry = e_entry;
	return 0;
}
