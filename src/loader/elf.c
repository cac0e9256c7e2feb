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

/* Linux: where the kernel's text is linked (arch/x86/include/asm/page_64_types.h). */
#define START_KERNEL_MAP 0xffffffff80000000ULL
/* The PVH entry note: owner "Xen", type XEN_ELFNOTE_PHYS32_ENTRY (include/xen/interface/
 * elfnote.h); its descriptor is the 32-bit physical entry, 4 or 8 bytes wide
 * (arch/x86/platform/pvh/head.S writes it with _ASM_PTR). */
#define XEN_ELFNOTE_PHYS32_ENTRY 18

/* Fields are read byte by byte: the file is untrusted and need not be aligned. */
struct segment {
	uint64_t offset, filesz, vaddr, paddr, memsz, align;
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
	s->align = le_get(p + offsetof(Elf64_Phdr, p_align), 8);
}

#define fail(err, errlen, ...) errmsg(err, errlen, -ENOEXEC, __VA_ARGS__)

/* The ELF header: identification, type, machine and where the program headers are. */
static int check_header(const uint8_t *img, size_t len, uint64_t *phoff, unsigned *phnum,
			char *err, size_t errlen)
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
	uint64_t phentsize = le_get(img + offsetof(Elf64_Ehdr, e_phentsize), 2);
	uint64_t n = le_get(img + offsetof(Elf64_Ehdr, e_phnum), 2);

	*phoff = le_get(img + offsetof(Elf64_Ehdr, e_phoff), 8);
	if (type != ET_EXEC)
		return fail(err, errlen, "ELF type %llu, need ET_EXEC (a statically linked executable)",
			    (unsigned long long)type);
	if (machine != EM_X86_64)
		return fail(err, errlen, "ELF machine %llu, need EM_X86_64 (%u)",
			    (unsigned long long)machine, EM_X86_64);
	if (phentsize != sizeof(Elf64_Phdr))
		return fail(err, errlen, "program header size %llu, need %zu",
			    (unsigned long long)phentsize, sizeof(Elf64_Phdr));
	if (n == 0)
		return fail(err, errlen, "no program headers");
	if (*phoff > len || n * sizeof(Elf64_Phdr) > len - *phoff)
		return fail(err, errlen,
			    "program headers [0x%llx, +%llu x %zu) run past the end of the file (0x%zx bytes); truncated file?",
			    (unsigned long long)*phoff, (unsigned long long)n, sizeof(Elf64_Phdr), len);
	*phnum = (unsigned)n;
	return 0;
}

/*
 * Walk the notes of every PT_NOTE segment (ELF gABI "Note Section": namesz, descsz, type,
 * name and descriptor each padded to the segment's 4- or 8-byte alignment). Calls fn for each
 * until it returns true; a malformed segment is walked no further. Returns what fn returned.
 */
typedef bool (*note_fn)(const char *name, uint32_t namesz, uint32_t type, const uint8_t *desc,
			uint32_t descsz, void *arg);

static bool walk_notes(const uint8_t *img, size_t len, uint64_t phoff, unsigned phnum, note_fn fn,
		       void *arg)
{
	for (unsigned i = 0; i < phnum; i++) {
		struct segment s;
		uint32_t ptype;

		read_phdr(img + phoff + i * sizeof(Elf64_Phdr), &ptype, &s);
		if (ptype != PT_NOTE || s.offset > len || s.filesz > len - s.offset)
			continue;
		uint64_t pad = s.align == 8 ? 8 : 4;
		const uint8_t *p = img + s.offset;
		uint64_t left = s.filesz;
		while (left >= 12) {
			uint32_t namesz = (uint32_t)le_get(p, 4), descsz = (uint32_t)le_get(p + 4, 4);
			uint32_t type = (uint32_t)le_get(p + 8, 4);
			uint64_t name_room = (namesz + pad - 1) / pad * pad;
			uint64_t desc_room = (descsz + pad - 1) / pad * pad;
			if (name_room > left - 12 || desc_room > left - 12 - name_room)
				break;
			if (fn((const char *)p + 12, namesz, type, p + 12 + name_room, descsz, arg))
				return true;
			p += 12 + name_room + desc_room;
			left -= 12 + name_room + desc_room;
		}
	}
	return false;
}

static bool owner_is(const char *name, uint32_t namesz, const char *want)
{
	size_t n = strlen(want);
	/* The name is NUL-terminated and its size counts the NUL. */
	return namesz == n + 1 && !memcmp(name, want, n) && name[n] == '\0';
}

static bool linux_note(const char *name, uint32_t namesz, uint32_t type, const uint8_t *desc,
		       uint32_t descsz, void *arg)
{
	(void)type, (void)desc, (void)descsz, (void)arg;
	return owner_is(name, namesz, "Linux") || owner_is(name, namesz, "Xen");
}

struct pvh_note {
	bool found;
	uint32_t descsz;
	uint64_t entry;
};

static bool pvh_note(const char *name, uint32_t namesz, uint32_t type, const uint8_t *desc,
		     uint32_t descsz, void *arg)
{
	struct pvh_note *n = arg;

	if (!owner_is(name, namesz, "Xen") || type != XEN_ELFNOTE_PHYS32_ENTRY)
		return false;
	n->found = true;
	n->descsz = descsz;
	n->entry = descsz == 4 || descsz == 8 ? le_get(desc, descsz) : 0;
	return true;
}

bool elf_is_vmlinux(const uint8_t *img, size_t len)
{
	uint64_t phoff;
	unsigned phnum;
	char err[8];

	if (check_header(img, len, &phoff, &phnum, err, sizeof(err)))
		return false;
	if (walk_notes(img, len, phoff, phnum, linux_note, NULL))
		return true;
	for (unsigned i = 0; i < phnum; i++) {
		struct segment s;
		uint32_t ptype;

		read_phdr(img + phoff + i * sizeof(Elf64_Phdr), &ptype, &s);
		if (ptype == PT_LOAD && s.memsz)
			return s.vaddr == s.paddr + START_KERNEL_MAP;
	}
	return false;
}

/* Validate one PT_LOAD segment against the file and RAM. */
static int check_segment(unsigned i, const struct segment *s, size_t len,
			 const struct guest_mem *mem, bool vmlinux, char *err, size_t errlen)
{
	if (s->filesz > s->memsz)
		return fail(err, errlen, "segment %u: file size 0x%llx exceeds memory size 0x%llx", i,
			    (unsigned long long)s->filesz, (unsigned long long)s->memsz);
	if (s->offset > len || s->filesz > len - s->offset)
		return fail(err, errlen,
			    "segment %u: bytes [0x%llx, +0x%llx) lie beyond the end of the file (0x%zx bytes); truncated file?",
			    i, (unsigned long long)s->offset, (unsigned long long)s->filesz, len);
	if (!vmlinux && s->vaddr != s->paddr)
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

int elf_parse(const uint8_t *img, size_t len, const struct guest_mem *mem, bool vmlinux,
	      struct elf_info *info, char *err, size_t errlen)
{
	uint64_t phoff;
	unsigned phnum;
	int r = check_header(img, len, &phoff, &phnum, err, errlen);

	if (r)
		return r;
	*info = (struct elf_info){ .entry = le_get(img + offsetof(Elf64_Ehdr, e_entry), 8),
				   .lo = UINT64_MAX };

	struct pvh_note pvh = { 0 };
	if (vmlinux && walk_notes(img, len, phoff, phnum, pvh_note, &pvh)) {
		if (pvh.descsz != 4 && pvh.descsz != 8)
			return fail(err, errlen,
				    "the PVH entry note (Xen, XEN_ELFNOTE_PHYS32_ENTRY) has %u bytes, need 4 or 8",
				    pvh.descsz);
		info->pvh = true;
		info->pvh_entry = pvh.entry;
	}

	unsigned loads = 0;
	bool entry_ok = false;
	for (unsigned i = 0; i < phnum; i++) {
		struct segment s, t;
		uint32_t ptype, ttype;

		read_phdr(img + phoff + i * sizeof(Elf64_Phdr), &ptype, &s);
		if (ptype != PT_LOAD || s.memsz == 0)
			continue;
		if ((r = check_segment(i, &s, len, mem, vmlinux, err, errlen)))
			return r;
		for (unsigned j = 0; j < i; j++) {
			read_phdr(img + phoff + j * sizeof(Elf64_Phdr), &ttype, &t);
			if (ttype == PT_LOAD && t.memsz && s.paddr < t.paddr + t.memsz &&
			    t.paddr < s.paddr + s.memsz)
				return fail(err, errlen, "segments %u and %u overlap in memory", j, i);
		}
		loads++;
		if (s.paddr < info->lo)
			info->lo = s.paddr;
		if (s.paddr + s.memsz > info->hi)
			info->hi = s.paddr + s.memsz;
		if ((s.flags & PF_X) && info->entry >= s.paddr && info->entry - s.paddr < s.memsz)
			entry_ok = true;
		if ((s.flags & PF_X) && info->pvh && info->pvh_entry >= s.paddr &&
		    info->pvh_entry - s.paddr < s.memsz)
			info->pvh_ok = true;
	}
	if (loads == 0)
		return fail(err, errlen, "no loadable (PT_LOAD) segments");
	if (!entry_ok)
		return fail(err, errlen, "entry point 0x%llx is not inside an executable segment",
			    (unsigned long long)info->entry);
	return 0;
}

void elf_copy(const uint8_t *img, size_t len, struct guest_mem *mem)
{
	uint64_t phoff = le_get(img + offsetof(Elf64_Ehdr, e_phoff), 8);
	unsigned phnum = (unsigned)le_get(img + offsetof(Elf64_Ehdr, e_phnum), 2);

	(void)len; /* elf_parse() checked every offset against it */
	for (unsigned i = 0; i < phnum; i++) {
		struct segment s;
		uint32_t ptype;

		read_phdr(img + phoff + i * sizeof(Elf64_Phdr), &ptype, &s);
		if (ptype != PT_LOAD || s.memsz == 0)
			continue;
		uint8_t *dst = mem_gpa_to_hva(mem, s.paddr, s.memsz);
		memcpy(dst, img + s.offset, s.filesz);
		mem_zero(mem, dst + s.filesz, s.memsz - s.filesz);
	}
}

int elf_load(const uint8_t *img, size_t len, struct guest_mem *mem, uint64_t *entry, char *err,
	     size_t errlen)
{
	struct elf_info info;
	int r = elf_parse(img, len, mem, false, &info, err, errlen);

	if (r)
		return r;
	elf_copy(img, len, mem);
	*entry = info.entry;
	return 0;
}
