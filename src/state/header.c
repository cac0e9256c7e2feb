// SPDX-License-Identifier: MIT
/* The compatibility header: text, parser, and the check (see header.h). */
#include "state/header.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state/stream.h"

static const struct {
	const char *name;
	uint32_t function, index;
	char reg; /* a b c d */
} words[CPUW_COUNT] = {
	[CPUW_1_ECX] = { "1.ecx", 1, 0, 'c' },
	[CPUW_1_EDX] = { "1.edx", 1, 0, 'd' },
	[CPUW_7_0_EBX] = { "7.0.ebx", 7, 0, 'b' },
	[CPUW_7_0_ECX] = { "7.0.ecx", 7, 0, 'c' },
	[CPUW_7_0_EDX] = { "7.0.edx", 7, 0, 'd' },
	[CPUW_7_1_EAX] = { "7.1.eax", 7, 1, 'a' },
	[CPUW_D_0_EAX] = { "d.0.eax", 0xd, 0, 'a' },
	[CPUW_D_1_EAX] = { "d.1.eax", 0xd, 1, 'a' },
	[CPUW_8000_0001_ECX] = { "80000001.ecx", 0x80000001, 0, 'c' },
	[CPUW_8000_0001_EDX] = { "80000001.edx", 0x80000001, 0, 'd' },
	[CPUW_8000_0007_EDX] = { "80000007.edx", 0x80000007, 0, 'd' },
	[CPUW_8000_0008_EBX] = { "80000008.ebx", 0x80000008, 0, 'b' },
};

/* Bits that are not the CPU's features: CPUID.1:ECX.OSXSAVE (27) follows CR4, the hypervisor
 * bit (31) is rasvm's own; CPUID.7.0:ECX.OSPKE (4) follows CR4. */
static const uint32_t dynamic[CPUW_COUNT] = {
	[CPUW_1_ECX] = (1u << 27) | (1u << 31),
	[CPUW_7_0_ECX] = 1u << 4,
};

/* Names for the features a message is most likely to be about (Intel SDM Vol. 2A, CPUID). */
static const struct {
	enum cpu_word w;
	unsigned bit;
	const char *name;
} feature_names[] = {
	{ CPUW_1_ECX, 0, "sse3" }, { CPUW_1_ECX, 1, "pclmulqdq" }, { CPUW_1_ECX, 9, "ssse3" },
	{ CPUW_1_ECX, 12, "fma" }, { CPUW_1_ECX, 13, "cx16" }, { CPUW_1_ECX, 19, "sse4.1" },
	{ CPUW_1_ECX, 20, "sse4.2" }, { CPUW_1_ECX, 21, "x2apic" }, { CPUW_1_ECX, 22, "movbe" },
	{ CPUW_1_ECX, 23, "popcnt" }, { CPUW_1_ECX, 24, "tsc-deadline" }, { CPUW_1_ECX, 25, "aes" },
	{ CPUW_1_ECX, 26, "xsave" }, { CPUW_1_ECX, 28, "avx" }, { CPUW_1_ECX, 29, "f16c" },
	{ CPUW_1_ECX, 30, "rdrand" }, { CPUW_1_EDX, 7, "mce" }, { CPUW_1_EDX, 14, "mca" },
	{ CPUW_1_EDX, 25, "sse" }, { CPUW_1_EDX, 26, "sse2" }, { CPUW_7_0_EBX, 0, "fsgsbase" },
	{ CPUW_7_0_EBX, 3, "bmi1" }, { CPUW_7_0_EBX, 5, "avx2" }, { CPUW_7_0_EBX, 7, "smep" },
	{ CPUW_7_0_EBX, 8, "bmi2" }, { CPUW_7_0_EBX, 9, "erms" }, { CPUW_7_0_EBX, 10, "invpcid" },
	{ CPUW_7_0_EBX, 16, "avx512f" }, { CPUW_7_0_EBX, 18, "rdseed" }, { CPUW_7_0_EBX, 19, "adx" },
	{ CPUW_7_0_EBX, 20, "smap" }, { CPUW_7_0_EBX, 23, "clflushopt" }, { CPUW_7_0_EBX, 29, "sha" },
	{ CPUW_7_0_ECX, 3, "pku" }, { CPUW_7_0_ECX, 9, "vaes" }, { CPUW_7_0_ECX, 10, "vpclmulqdq" },
	{ CPUW_7_0_ECX, 22, "rdpid" }, { CPUW_7_0_EDX, 10, "md-clear" },
	{ CPUW_8000_0001_ECX, 0, "lahf-lm" }, { CPUW_8000_0001_ECX, 5, "lzcnt" },
	{ CPUW_8000_0001_ECX, 6, "sse4a" }, { CPUW_8000_0001_ECX, 8, "prefetchw" },
	{ CPUW_8000_0001_EDX, 20, "nx" }, { CPUW_8000_0001_EDX, 26, "pdpe1gb" },
	{ CPUW_8000_0001_EDX, 27, "rdtscp" }, { CPUW_8000_0001_EDX, 29, "lm" },
};

void header_cpu_words(const struct cpuid_leaf *leaf, unsigned n, char vendor[13], uint32_t *signature,
		      uint32_t w[CPUW_COUNT])
{
	memset(w, 0, CPUW_COUNT * sizeof(*w));
	memset(vendor, 0, 13);
	*signature = 0;
	for (unsigned i = 0; i < n; i++) {
		const struct cpuid_leaf *l = &leaf[i];
		if (l->function == 0) {
			memcpy(vendor, &l->ebx, 4);
			memcpy(vendor + 4, &l->edx, 4);
			memcpy(vendor + 8, &l->ecx, 4);
			for (int k = 0; k < 12; k++)
				if (vendor[k] < 0x21 || vendor[k] > 0x7e)
					vendor[k] = '?';
		}
		if (l->function == 1)
			*signature = l->eax;
		for (unsigned k = 0; k < CPUW_COUNT; k++) {
			if (words[k].function != l->function || words[k].index != l->index)
				continue;
			uint32_t v = words[k].reg == 'a' ? l->eax : words[k].reg == 'b' ? l->ebx
				     : words[k].reg == 'c' ? l->ecx : l->edx;
			w[k] = v & ~dynamic[k];
		}
	}
}

/* ---- Text ---- */

struct sink {
	char *p;
	size_t len, used;
	bool full;
};

static void emit(struct sink *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void emit(struct sink *s, const char *fmt, ...)
{
	va_list ap;

	if (s->full)
		return;
	va_start(ap, fmt);
	int n = vsnprintf(s->p + s->used, s->len - s->used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= s->len - s->used)
		s->full = true;
	else
		s->used += (size_t)n;
}

/* A value with ';', '=', '%', ',' and anything not printable as %XX. */
static void emit_escaped(struct sink *s, const char *key, const char *v)
{
	emit(s, ";%s=", key);
	for (; *v && !s->full; v++) {
		unsigned char c = (unsigned char)*v;
		if (c <= 0x20 || c >= 0x7f || c == ';' || c == '=' || c == '%' || c == ',')
			emit(s, "%%%02X", c);
		else
			emit(s, "%c", c);
	}
}

int header_format(const struct state_header *h, char *out, size_t len)
{
	struct sink s = { .p = out, .len = len };
	char name[5];

	if (!len)
		return -ENOSPC;
	out[0] = '\0';
	emit(&s, "rasvm-migration=%u", h->format);
	emit_escaped(&s, "writer", h->writer);
	emit(&s, ";sections=");
	for (unsigned i = 0; i < h->nsections; i++)
		emit(&s, "%s%s.%u", i ? "," : "", state_tag_name(h->section[i].tag, name), h->section[i].version);
	emit_escaped(&s, "cpu-vendor", h->vendor);
	emit(&s, ";cpu-signature=0x%08x;cpu-features=", h->signature);
	for (unsigned k = 0; k < CPUW_COUNT; k++)
		emit(&s, "%s%s:%x", k ? "," : "", words[k].name, h->features[k]);
	emit(&s, ";xsave=%u;mcg-cap=0x%" PRIx64 ";cpus=%u;memory=%" PRIu64 ";regions=", h->xsave_size,
	     h->mcg_cap, h->cpus, h->memory);
	for (unsigned i = 0; i < h->nregions; i++)
		emit(&s, "%s0x%" PRIx64 ":0x%" PRIx64, i ? "," : "", h->region[i].gpa, h->region[i].size);
	emit(&s, ";ras-sources=%u;ras-block=%u;ras-poll-ms=%u;ras-queue=%u;ras-policy=%s;guest-poison=%u",
	     h->ras_sources, h->ras_block, h->ras_poll_ms, h->ras_queue, h->ras_policy, h->guest_poison);
	emit_escaped(&s, "scenario", h->scenario);
	if (h->boot[0])
		emit_escaped(&s, "boot", h->boot);
	if (h->kernel[0])
		emit_escaped(&s, "kernel", h->kernel);
	if (h->initrd[0])
		emit_escaped(&s, "initrd", h->initrd);
	if (h->cmdline[0])
		emit_escaped(&s, "cmdline", h->cmdline);
	return s.full ? -ENOSPC : 0;
}

/* ---- Parsing ---- */

static int bad(char *why, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int bad(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Decimal, or hex with 0x; the whole string; no sign, no overflow. */
static int num(const char *s, uint64_t max, uint64_t *out)
{
	int base = 10;
	uint64_t v = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s)
		return -1;
	for (; *s; s++) {
		unsigned d;
		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (unsigned)(*s - 'A' + 10);
		else
			return -1;
		if (v > (UINT64_MAX - d) / (uint64_t)base)
			return -1;
		v = v * (uint64_t)base + d;
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
		: c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* %XX-decode v into out (len with the NUL); -1 on a bad escape, a NUL, or no room. */
static int unescape(const char *v, char *out, size_t len)
{
	size_t n = 0;

	for (; *v; v++) {
		char c = *v;
		if (c == '%') {
			int hi = hexval(v[1]), lo = hi < 0 ? -1 : hexval(v[2]);
			if (lo < 0)
				return -1;
			c = (char)(hi * 16 + lo);
			if (!c)
				return -1;
			v += 2;
		}
		if (n + 1 >= len)
			return -1;
		out[n++] = c;
	}
	out[n] = '\0';
	return 0;
}

/* Split s at each sep into at most max pieces (modifies s). */
static unsigned split(char *s, char sep, char **piece, unsigned max)
{
	unsigned n = 0;

	if (!*s)
		return 0;
	for (;;) {
		if (n == max)
			return max + 1;
		piece[n++] = s;
		char *e = strchr(s, sep);
		if (!e)
			return n;
		*e = '\0';
		s = e + 1;
	}
}

static int parse_tag(const char *s, uint32_t *tag)
{
	if (strlen(s) != 4)
		return -1;
	for (int k = 0; k < 4; k++)
		if (!((s[k] >= 'A' && s[k] <= 'Z') || (s[k] >= '0' && s[k] <= '9')))
			return -1;
	*tag = STATE_TAG(s[0], s[1], s[2], s[3]);
	return 0;
}

enum key {
	K_FORMAT, K_WRITER, K_SECTIONS, K_VENDOR, K_SIGNATURE, K_FEATURES, K_XSAVE, K_MCG_CAP,
	K_CPUS, K_MEMORY, K_REGIONS, K_RAS_SOURCES, K_RAS_BLOCK, K_RAS_POLL, K_RAS_QUEUE,
	K_RAS_POLICY, K_GUEST_POISON, K_SCENARIO, K_BOOT, K_KERNEL, K_INITRD, K_CMDLINE, K_COUNT,
};
static const char *const key_names[K_COUNT] = {
	"rasvm-migration", "writer", "sections", "cpu-vendor", "cpu-signature", "cpu-features",
	"xsave", "mcg-cap", "cpus", "memory", "regions", "ras-sources", "ras-block", "ras-poll-ms",
	"ras-queue", "ras-policy", "guest-poison", "scenario", "boot", "kernel", "initrd", "cmdline",
};
/* Keys a header must have (the others are informative). */
#define REQUIRED ((1u << K_FORMAT) | (1u << K_SECTIONS) | (1u << K_VENDOR) | (1u << K_SIGNATURE) | \
		  (1u << K_FEATURES) | (1u << K_XSAVE) | (1u << K_MCG_CAP) | (1u << K_CPUS) |       \
		  (1u << K_MEMORY) | (1u << K_REGIONS) | (1u << K_RAS_SOURCES) | (1u << K_RAS_BLOCK) | \
		  (1u << K_RAS_POLL) | (1u << K_RAS_QUEUE) | (1u << K_RAS_POLICY))

static int parse_value(enum key k, char *v, struct state_header *h, char *why, size_t wl)
{
	uint64_t n;
	char *piece[HEADER_SECTIONS_MAX + 1];
	unsigned np;

	switch (k) {
	case K_FORMAT:
		if (num(v, UINT32_MAX, &n) || n == 0)
			return bad(why, wl, "rasvm-migration '%.32s' is not a format version", v);
		h->format = (uint32_t)n;
		return 0;
	case K_WRITER:
		return unescape(v, h->writer, sizeof(h->writer)) ? bad(why, wl, "writer: bad value") : 0;
	case K_SECTIONS:
		np = split(v, ',', piece, HEADER_SECTIONS_MAX);
		if (np > HEADER_SECTIONS_MAX)
			return bad(why, wl, "sections: more than %u", HEADER_SECTIONS_MAX);
		for (unsigned i = 0; i < np; i++) {
			char *dot = strchr(piece[i], '.');
			uint32_t tag;
			if (!dot)
				return bad(why, wl, "sections: '%.16s' is not TAG.VERSION", piece[i]);
			*dot = '\0';
			if (parse_tag(piece[i], &tag) || num(dot + 1, UINT16_MAX, &n))
				return bad(why, wl, "sections: '%.8s.%.8s' is not TAG.VERSION", piece[i], dot + 1);
			for (unsigned j = 0; j < h->nsections; j++)
				if (h->section[j].tag == tag)
					return bad(why, wl, "sections: %s listed twice", piece[i]);
			h->section[h->nsections++] = (struct header_section){ tag, (uint16_t)n };
		}
		return 0;
	case K_VENDOR:
		if (unescape(v, h->vendor, sizeof(h->vendor)) || strlen(h->vendor) != 12)
			return bad(why, wl, "cpu-vendor: not a 12-character vendor string");
		return 0;
	case K_SIGNATURE:
		if (num(v, UINT32_MAX, &n))
			return bad(why, wl, "cpu-signature: not a number");
		h->signature = (uint32_t)n;
		return 0;
	case K_FEATURES:
		np = split(v, ',', piece, CPUW_COUNT);
		if (np > CPUW_COUNT)
			return bad(why, wl, "cpu-features: more than %u words", CPUW_COUNT);
		for (unsigned i = 0; i < np; i++) {
			char *colon = strchr(piece[i], ':');
			unsigned w;
			if (!colon)
				return bad(why, wl, "cpu-features: '%.24s' is not LEAF.REG:HEX", piece[i]);
			*colon = '\0';
			for (w = 0; w < CPUW_COUNT && strcmp(words[w].name, piece[i]); w++)
				;
			char hex[16];
			if (w == CPUW_COUNT || strlen(colon + 1) > 8)
				return bad(why, wl, "cpu-features: '%.24s' is unknown or too long", piece[i]);
			snprintf(hex, sizeof(hex), "0x%s", colon + 1);
			if (num(hex, UINT32_MAX, &n))
				return bad(why, wl, "cpu-features: %s: not hex", piece[i]);
			h->features[w] = (uint32_t)n;
		}
		return 0;
	case K_XSAVE:
		if (num(v, 1u << 20, &n))
			return bad(why, wl, "xsave: not a size up to 1 MiB");
		h->xsave_size = (uint32_t)n;
		return 0;
	case K_MCG_CAP:
		if (num(v, UINT64_MAX, &n))
			return bad(why, wl, "mcg-cap: not a number");
		h->mcg_cap = n;
		return 0;
	case K_CPUS:
		if (num(v, 4096, &n) || n == 0)
			return bad(why, wl, "cpus: not 1 to 4096");
		h->cpus = (unsigned)n;
		return 0;
	case K_MEMORY:
		if (num(v, UINT64_MAX, &n) || n == 0 || n % 4096)
			return bad(why, wl, "memory: not a whole number of 4 KiB pages");
		h->memory = n;
		return 0;
	case K_REGIONS:
		np = split(v, ',', piece, HEADER_REGIONS_MAX);
		if (np == 0 || np > HEADER_REGIONS_MAX)
			return bad(why, wl, "regions: 1 to %u expected", HEADER_REGIONS_MAX);
		for (unsigned i = 0; i < np; i++) {
			char *colon = strchr(piece[i], ':');
			uint64_t g, s;
			if (!colon)
				return bad(why, wl, "regions: '%.40s' is not GPA:SIZE", piece[i]);
			*colon = '\0';
			if (num(piece[i], UINT64_MAX, &g) || num(colon + 1, UINT64_MAX, &s) || g % 4096 ||
			    s % 4096 || !s || s > UINT64_MAX - g)
				return bad(why, wl, "regions: region %u is not page-aligned RAM", i);
			h->region[i].gpa = g;
			h->region[i].size = s;
		}
		h->nregions = np;
		return 0;
	case K_RAS_SOURCES:
		if (num(v, 7, &n))
			return bad(why, wl, "ras-sources: not a mask of 3 sources");
		h->ras_sources = (uint32_t)n;
		return 0;
	case K_RAS_BLOCK:
	case K_RAS_POLL:
	case K_RAS_QUEUE:
		if (num(v, UINT32_MAX, &n))
			return bad(why, wl, "%s: not a number", key_names[k]);
		*(k == K_RAS_BLOCK ? &h->ras_block : k == K_RAS_POLL ? &h->ras_poll_ms : &h->ras_queue) = (uint32_t)n;
		return 0;
	case K_RAS_POLICY:
		if (strcmp(v, "both") && strcmp(v, "mce") && strcmp(v, "ghes") && strcmp(v, "off"))
			return bad(why, wl, "ras-policy: '%.16s' is not both, mce, ghes or off", v);
		strcpy(h->ras_policy, v);
		return 0;
	case K_GUEST_POISON:
		if (num(v, 1, &n))
			return bad(why, wl, "guest-poison: not 0 or 1");
		h->guest_poison = n;
		return 0;
	case K_BOOT:
		if (strcmp(v, "64") && strcmp(v, "pvh"))
			return bad(why, wl, "boot: not 64 or pvh");
		strcpy(h->boot, v);
		return 0;
	case K_SCENARIO:
	case K_KERNEL:
	case K_INITRD:
	case K_CMDLINE: {
		char *dst = k == K_SCENARIO ? h->scenario : k == K_KERNEL ? h->kernel
			    : k == K_INITRD ? h->initrd : h->cmdline;
		size_t dl = k == K_SCENARIO ? sizeof(h->scenario) : HEADER_STR_MAX;
		return unescape(v, dst, dl) ? bad(why, wl, "%s: bad escape or too long", key_names[k]) : 0;
	}
	default:
		return 0;
	}
}

int header_parse(const char *text, size_t len, struct state_header *h, char *why, size_t whylen)
{
	char *piece[64 + 1];
	unsigned seen = 0;
	int r = 0;

	memset(h, 0, sizeof(*h));
	if (len > HEADER_TEXT_MAX)
		return bad(why, whylen, "the header is %zu bytes, more than %u", len, HEADER_TEXT_MAX);
	if (memchr(text, '\0', len))
		return bad(why, whylen, "the header holds a NUL byte");
	char *s = malloc(len + 1);
	if (!s)
		return bad(why, whylen, "out of memory");
	memcpy(s, text, len);
	s[len] = '\0';
	unsigned np = split(s, ';', piece, 64);
	if (np > 64) {
		r = bad(why, whylen, "the header has more than 64 fields");
		goto out;
	}
	for (unsigned i = 0; i < np && !r; i++) {
		char *eq = strchr(piece[i], '=');
		if (!eq && i == 0) {
			r = bad(why, whylen, "not a rasvm migration header (it must begin with rasvm-migration=)");
			break;
		}
		if (!eq) {
			r = bad(why, whylen, "field %u ('%.24s') is not KEY=VALUE", i + 1, piece[i]);
			break;
		}
		*eq = '\0';
		unsigned k;
		for (k = 0; k < K_COUNT && strcmp(key_names[k], piece[i]); k++)
			;
		if (i == 0 && k != K_FORMAT) {
			r = bad(why, whylen, "not a rasvm migration header (it must begin with rasvm-migration=)");
			break;
		}
		if (k == K_COUNT) {
			h->ignored++; /* a newer writer's informative key */
			continue;
		}
		if (seen & (1u << k)) {
			r = bad(why, whylen, "%s given twice", key_names[k]);
			break;
		}
		seen |= 1u << k;
		r = parse_value((enum key)k, eq + 1, h, why, whylen);
	}
	if (!r && (seen & REQUIRED) != REQUIRED) {
		unsigned k;
		for (k = 0; k < K_COUNT && (!(REQUIRED & (1u << k)) || (seen & (1u << k))); k++)
			;
		r = bad(why, whylen, "the header lacks %s", k < K_COUNT ? key_names[k] : "a field");
	}
out:
	free(s);
	return r;
}

/* ---- The check ---- */

static void reason(struct compat *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void reason(struct compat *c, const char *fmt, ...)
{
	va_list ap;

	c->ok = false;
	if (c->n == COMPAT_REASONS_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(c->reason[c->n++], sizeof(c->reason[0]), fmt, ap);
	va_end(ap);
}

static void missing_features(struct compat *c, enum cpu_word w, uint32_t missing)
{
	char list[160] = "";
	size_t used = 0;

	for (unsigned bit = 0; bit < 32; bit++) {
		if (!(missing & (1u << bit)))
			continue;
		const char *name = NULL;
		for (size_t i = 0; i < sizeof(feature_names) / sizeof(feature_names[0]); i++)
			if (feature_names[i].w == w && feature_names[i].bit == bit)
				name = feature_names[i].name;
		int n = name ? snprintf(list + used, sizeof(list) - used, "%s%s", used ? " " : "", name)
			     : snprintf(list + used, sizeof(list) - used, "%sbit%u", used ? " " : "", bit);
		if (n < 0 || (size_t)n >= sizeof(list) - used)
			break;
		used += (size_t)n;
	}
	reason(c, "CPU features missing here: CPUID %s %s (0x%08x)", words[w].name, list, missing);
}

static const char *mib(uint64_t bytes, char buf[32])
{
	if (bytes % (1 << 20))
		snprintf(buf, 32, "%llu KiB", (unsigned long long)(bytes >> 10));
	else
		snprintf(buf, 32, "%llu MiB", (unsigned long long)(bytes >> 20));
	return buf;
}

void state_compat(const struct state_header *h, const struct section_support *sup, unsigned nsup,
		  const struct state_host *host, const struct state_header *local, struct compat *c)
{
	char name[5], a[32], b[32];

	memset(c, 0, sizeof(*c));
	c->ok = true;
	if (h->format > STATE_FORMAT)
		reason(c, "format version %u is newer than this rasvm reads (%u)", h->format, STATE_FORMAT);
	for (unsigned i = 0; i < h->nsections; i++) {
		const struct section_support *s = NULL;
		for (unsigned j = 0; j < nsup; j++)
			if (sup[j].tag == h->section[i].tag)
				s = &sup[j];
		state_tag_name(h->section[i].tag, name);
		if (!s)
			reason(c, "section %s is unknown to this rasvm", name);
		else if (h->section[i].version > s->version)
			reason(c, "section %s version %u is newer than this rasvm reads (%u)", name,
			       h->section[i].version, s->version);
		else if (h->section[i].version < s->min_version)
			reason(c, "section %s version %u is older than this rasvm reads (%u and later)", name,
			       h->section[i].version, s->min_version);
	}
	for (unsigned j = 0; j < nsup; j++) {
		bool found = false;
		for (unsigned i = 0; i < h->nsections; i++)
			found |= h->section[i].tag == sup[j].tag;
		if (sup[j].required && !found)
			reason(c, "section %s is missing (this rasvm needs it)", state_tag_name(sup[j].tag, name));
	}
	if (host) {
		if (strcmp(h->vendor, host->vendor))
			reason(c, "CPU vendor differs: the guest's is %s, this host's %s", h->vendor, host->vendor);
		for (unsigned w = 0; w < CPUW_COUNT; w++)
			if (h->features[w] & ~host->features[w])
				missing_features(c, (enum cpu_word)w, h->features[w] & ~host->features[w]);
		if (h->xsave_size > host->xsave_size)
			reason(c, "the guest's XSAVE state is %u bytes, this host's KVM takes %u", h->xsave_size,
			       host->xsave_size);
		if ((h->mcg_cap & 0xff) > host->mce_banks)
			reason(c, "the guest has %u machine-check banks, this host's KVM offers %u",
			       (unsigned)(h->mcg_cap & 0xff), host->mce_banks);
		uint64_t extra = h->mcg_cap & ~0xffULL & ~host->mcg_cap_supported;
		if (extra)
			reason(c, "the guest's MCG_CAP 0x%llx has bits this host's KVM does not offer (0x%llx)",
			       (unsigned long long)h->mcg_cap, (unsigned long long)extra);
	}
	if (!local) {
		if (host && h->cpus > host->max_vcpus)
			reason(c, "the guest has %u vCPUs, this host's KVM allows %u", h->cpus, host->max_vcpus);
		if (host && h->memory > host->ram)
			reason(c, "the guest has %s of RAM, more than this host's %s", mib(h->memory, a),
			       mib(host->ram, b));
		return;
	}
	if (h->memory != local->memory)
		reason(c, "memory size differs: the snapshot's guest has %s, this VM %s", mib(h->memory, a),
		       mib(local->memory, b));
	else if (h->nregions != local->nregions ||
		 memcmp(h->region, local->region, h->nregions * sizeof(h->region[0])))
		reason(c, "memory layout differs (regions)");
	if (h->cpus != local->cpus)
		reason(c, "vCPU count differs: the snapshot's guest has %u, this VM %u", h->cpus, local->cpus);
	if (h->ras_sources != local->ras_sources || h->ras_block != local->ras_block ||
	    h->ras_poll_ms != local->ras_poll_ms)
		reason(c, "GHES sources differ (the guest's HEST): snapshot sources %u, block %u, poll %u ms; this VM %u, %u, %u ms",
		       h->ras_sources, h->ras_block, h->ras_poll_ms, local->ras_sources, local->ras_block,
		       local->ras_poll_ms);
	if (strcmp(h->ras_policy, local->ras_policy))
		reason(c, "--ras policy differs: snapshot %s, this VM %s", h->ras_policy, local->ras_policy);
	if (h->ras_queue != local->ras_queue)
		reason(c, "--ras-queue differs: snapshot %u, this VM %u", h->ras_queue, local->ras_queue);
}
