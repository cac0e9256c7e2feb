/* SPDX-License-Identifier: MIT */
/*
 * The compatibility header (the migration_version idea of the VFIO seed): one line of text,
 * "key=value;key=value;...", that names the stream's format, every section and its version,
 * the guest's CPU model, its memory layout, vCPUs and RAS configuration. A snapshot starts
 * with it (the HEAD record), a source sends it before anything else, and query-migrate-compat
 * takes it as its "version" argument: the same words everywhere. state_compat() says whether
 * this rasvm, on this host, for this machine, can take what a header describes, and if not,
 * every reason why.
 *
 * Pure (no KVM, no VM): parsing is bounded and fuzzed; docs/migration.md lists the keys.
 */
#ifndef RASVM_STATE_HEADER_H
#define RASVM_STATE_HEADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HEADER_TEXT_MAX   49152 /* the longest header accepted (a kernel path and command line of 4 KiB each, every byte escaped, fit) */
#define HEADER_SECTIONS_MAX 32
#define HEADER_REGIONS_MAX 8
#define HEADER_STR_MAX    4096  /* kernel path, command line... (after unescaping) */

/* The CPUID words compared between a snapshot and a host: features, not identities. */
enum cpu_word {
	CPUW_1_ECX, CPUW_1_EDX, CPUW_7_0_EBX, CPUW_7_0_ECX, CPUW_7_0_EDX, CPUW_7_1_EAX,
	CPUW_D_0_EAX, CPUW_D_1_EAX, CPUW_8000_0001_ECX, CPUW_8000_0001_EDX,
	CPUW_8000_0007_EDX, CPUW_8000_0008_EBX, CPUW_COUNT,
};

struct header_section {
	uint32_t tag;
	uint16_t version;
};

struct state_header {
	uint32_t format;
	char writer[64];
	unsigned nsections;
	struct header_section section[HEADER_SECTIONS_MAX];
	/* The guest's CPU model. */
	char vendor[13];
	uint32_t signature;            /* CPUID.1:EAX: family, model, stepping */
	uint32_t features[CPUW_COUNT];
	uint32_t xsave_size;           /* bytes of vCPU XSAVE state (0: no XSAVE, the FPU) */
	uint64_t mcg_cap;              /* what the guest's MCG_CAP reads */
	/* The machine. */
	unsigned cpus;
	uint64_t memory;
	unsigned nregions;
	struct { uint64_t gpa, size; } region[HEADER_REGIONS_MAX];
	uint32_t ras_sources, ras_block, ras_poll_ms, ras_queue;
	char ras_policy[8];
	bool guest_poison;
	/* What the VM booted, for a reset after `snapshot restore` (informative). */
	char scenario[64];
	char boot[4];                  /* "64", "pvh" */
	char kernel[HEADER_STR_MAX], initrd[HEADER_STR_MAX], cmdline[HEADER_STR_MAX];
	unsigned ignored;              /* keys this rasvm does not know (newer writers' extras) */
};

/* The text, at most len bytes with its NUL; -ENOSPC when it does not fit. */
int header_format(const struct state_header *h, char *out, size_t len);
/* Parse len bytes of text (need not be NUL-terminated). 0, or -EINVAL with why. */
int header_parse(const char *text, size_t len, struct state_header *h, char *why, size_t whylen);

/* Feature words from a CPUID table (KVM's struct kvm_cpuid2 entries, as function, index,
 * and the four registers), ignoring what changes at run time (OSXSAVE, OSPKE) and what rasvm
 * sets itself (the hypervisor bit). */
struct cpuid_leaf {
	uint32_t function, index, eax, ebx, ecx, edx;
};
void header_cpu_words(const struct cpuid_leaf *leaf, unsigned n, char vendor[13], uint32_t *signature,
		      uint32_t words[CPUW_COUNT]);

/* What this rasvm on this host can offer a snapshot. */
struct state_host {
	char vendor[13];
	uint32_t features[CPUW_COUNT]; /* what KVM supports here */
	uint32_t xsave_size;           /* the largest XSAVE state KVM takes here */
	uint64_t mcg_cap_supported;    /* KVM_X86_GET_MCE_CAP_SUPPORTED */
	unsigned mce_banks;            /* KVM_CAP_MCE */
	unsigned max_vcpus;
	uint64_t ram;                  /* the host's RAM */
};

/* Sections this rasvm reads: tag, newest version, oldest version (state/sections.c). */
struct section_support {
	uint32_t tag;
	uint16_t version, min_version;
	bool required;
};

#define COMPAT_REASONS_MAX 24
struct compat {
	bool ok;
	unsigned n;                    /* reasons (at most COMPAT_REASONS_MAX kept) */
	char reason[COMPAT_REASONS_MAX][200];
};

/* Can h be taken? local: the machine that takes it (its own header), or NULL when the
 * machine comes from the snapshot itself (snapshot check/restore): then only the host's
 * limits apply to memory and vCPUs. */
void state_compat(const struct state_header *h, const struct section_support *sup, unsigned nsup,
		  const struct state_host *host, const struct state_header *local, struct compat *c);

#endif
