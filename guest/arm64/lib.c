// SPDX-License-Identifier: MIT
/*
 * The arm64 test guest's machine: PSCI, what the firmware hands over (the device tree's
 * /chosen, the EFI system table and memory map, the ACPI tables), the MMU, the GICv3,
 * exceptions and the EL0 task; the console (PL011) and rasvm's device page are guest.h's
 * helpers for guest/lib/print.c and ucall.c. Written from the Arm ARM,
 * the GICv3 architecture, booting.rst, UEFI and ACPI, independently of rasvm's builders.
 */
#include "guest.h"

struct boot_info bi;

/* ---- PSCI 0.2 over HVC (DEN0022): KVM answers ---- */

#define PSCI_CPU_ON_64    0xc4000003u
#define PSCI_SYSTEM_RESET 0x84000009u

static int64_t psci(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
	register uint64_t x0 __asm__("x0") = fn;
	register uint64_t x1 __asm__("x1") = a1;
	register uint64_t x2 __asm__("x2") = a2;
	register uint64_t x3 __asm__("x3") = a3;
	__asm__ volatile("hvc #0"
			 : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
			 :
			 : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14",
			   "x15", "x16", "x17", "memory");
	return (int64_t)x0;
}

int64_t psci_cpu_on(uint64_t mpidr, uint64_t entry, uint64_t context)
{
	return psci(PSCI_CPU_ON_64, mpidr, entry, context);
}

void psci_reset(void)
{
	psci(PSCI_SYSTEM_RESET, 0, 0, 0);
	ucall_assert(__FILE__, __LINE__, "PSCI SYSTEM_RESET returned");
}

unsigned cpu_index(void)
{
	uint64_t mpidr;
	__asm__ volatile("mrs %0, mpidr_el1" : "=r"(mpidr));
	/* KVM's default affinity: Aff0 = index % 16, Aff1 = index / 16 */
	return (unsigned)(mpidr & 0xf) + 16 * (unsigned)((mpidr >> 8) & 0xff);
}

/* ---- what the firmware hands over ---- */

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be_cells(const uint8_t *p, uint32_t len)
{
	return len == 8 ? (uint64_t)be32(p) << 32 | be32(p + 4) : len == 4 ? be32(p) : 0;
}

/* The number after "key=" in the command line, or the word after it into out. */
static const char *arg(const char *cmdline, const char *key)
{
	size_t k = strlen(key);
	for (const char *p = cmdline; p && *p;) {
		if ((p == cmdline || p[-1] == ' ') && !strncmp(p, key, k) && p[k] == '=')
			return p + k + 1;
		while (*p && *p != ' ')
			p++;
		while (*p == ' ')
			p++;
	}
	return 0;
}

/* The flattened device tree (Devicetree Specification v0.4, 5): /chosen's properties. */
int firmware_read(const void *dtb, const char **why)
{
	const uint8_t *d = dtb;
	static char bootargs[512];
	uint64_t mmap = 0;
	uint32_t mmap_size = 0, desc_size = 0;

	if (be32(d) != 0xd00dfeed) {
		*why = "x0 does not point to a device tree (bad magic)";
		return -1;
	}
	uint32_t total = be32(d + 4), off_struct = be32(d + 8), off_strings = be32(d + 12);
	if (off_struct >= total || off_strings >= total) {
		*why = "device tree header out of bounds";
		return -1;
	}
	const uint8_t *p = d + off_struct, *end = d + total;
	int depth = 0, in_chosen = 0;
	while (p + 4 <= end) {
		uint32_t tok = be32(p);
		p += 4;
		if (tok == 1) { /* FDT_BEGIN_NODE */
			const char *name = (const char *)p;
			depth++;
			in_chosen = depth == 2 && !strcmp(name, "chosen");
			p += (strlen(name) + 4) & ~3u;
		} else if (tok == 2) { /* FDT_END_NODE */
			depth--;
			in_chosen = 0;
		} else if (tok == 3) { /* FDT_PROP */
			uint32_t len = be32(p), nameoff = be32(p + 4);
			const uint8_t *v = p + 8;
			const char *name = (const char *)d + off_strings + nameoff;
			p += 8 + ((len + 3) & ~3u);
			if (!in_chosen)
				continue;
			if (!strcmp(name, "bootargs") && len && len <= sizeof(bootargs)) {
				memcpy(bootargs, v, len);
				bootargs[len - 1] = '\0';
			} else if (!strcmp(name, "linux,uefi-system-table")) {
				bi.efi_system_table = be_cells(v, len);
			} else if (!strcmp(name, "linux,uefi-mmap-start")) {
				mmap = be_cells(v, len);
			} else if (!strcmp(name, "linux,uefi-mmap-size")) {
				mmap_size = (uint32_t)be_cells(v, len);
			} else if (!strcmp(name, "linux,uefi-mmap-desc-size")) {
				desc_size = (uint32_t)be_cells(v, len);
			}
		} else if (tok == 9) { /* FDT_END */
			break;
		} else if (tok != 4) { /* FDT_NOP */
			*why = "bad device tree token";
			return -1;
		}
	}
	const char *s = arg(bootargs, "rasvm.scenario");
	size_t n = 0;
	while (s && s[n] && s[n] != ' ' && n + 1 < sizeof(bi.scenario)) {
		bi.scenario[n] = s[n];
		n++;
	}
	bi.scenario[n] = '\0';
	if (!n)
		memcpy(bi.scenario, "boot", 5);
	for (s = arg(bootargs, "rasvm.resets"); s && *s >= '0' && *s <= '9'; s++)
		bi.resets = bi.resets * 10 + (uint32_t)(*s - '0');
	/* UEFI 2.10 7.2 EFI_MEMORY_DESCRIPTOR: type u32, start u64 at 8, pages u64 at 24. */
	if (!mmap || desc_size < 40 || !bi.efi_system_table) {
		*why = "/chosen lacks the EFI system table or memory map";
		return -1;
	}
	for (uint32_t o = 0; o + desc_size <= mmap_size; o += desc_size) {
		const uint8_t *e = (const uint8_t *)(uintptr_t)(mmap + o);
		uint32_t type = (uint32_t)get_le(e, 4);
		uint64_t start = get_le(e + 8, 8), size = get_le(e + 24, 8) * 4096;
		if (start + size > bi.ram_end)
			bi.ram_end = start + size;
		if (type == 10) { /* EfiACPIMemoryNVS */
			bi.nvs_base = start;
			bi.nvs_end = start + size;
		}
	}
	return 0;
}

/* The RSDP through the EFI system table's ACPI 2.0 configuration table (UEFI 2.10 4.3, 4.6). */
static const uint8_t *find_rsdp(void)
{
	static const uint8_t acpi20[16] = { 0x71, 0xe8, 0x68, 0x88, 0xf1, 0xe4, 0xd3, 0x11,
					    0xbc, 0x22, 0x00, 0x80, 0xc7, 0x3c, 0x88, 0x81 };
	const uint8_t *st = (const uint8_t *)(uintptr_t)bi.efi_system_table;

	if (!st || memcmp(st, "IBI SYST", 8))
		return 0;
	uint64_t n = get_le(st + 104, 8), tables = get_le(st + 112, 8);
	for (uint64_t i = 0; i < n && i < 64; i++) {
		const uint8_t *e = (const uint8_t *)(uintptr_t)(tables + i * 24);
		if (!memcmp(e, acpi20, 16)) {
			const uint8_t *rsdp = (const uint8_t *)(uintptr_t)get_le(e + 16, 8);
			if (!memcmp(rsdp, "RSD PTR ", 8) && acpi_sum(rsdp, 20) == 0 && acpi_sum(rsdp, 36) == 0)
				return rsdp;
		}
	}
	return 0;
}

static int table_ok(uint64_t addr, int verbose)
{
	const uint8_t *t = (const uint8_t *)(uintptr_t)addr;

	if (addr < LAYOUT_ARM64_RAM || addr + 36 > bi.ram_end)
		return 0;
	uint32_t len = (uint32_t)get_le(t + 4, 4);
	if (len < 36 || addr + len > bi.ram_end)
		return 0;
	return acpi_table_sum_ok(t, addr, len, verbose);
}

const uint8_t *acpi_find(const char *sig)
{
	const uint8_t *rsdp = find_rsdp();
	if (!rsdp)
		return 0;
	uint64_t xa = get_le(rsdp + 24, 8);
	if (!table_ok(xa, 0))
		return 0;
	const uint8_t *x = (const uint8_t *)(uintptr_t)xa;
	uint32_t n = ((uint32_t)get_le(x + 4, 4) - 36) / 8;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t a = get_le(x + 36 + i * 8, 8);
		if (table_ok(a, 0) && !memcmp((const void *)(uintptr_t)a, sig, 4))
			return (const uint8_t *)(uintptr_t)a;
	}
	return 0;
}

/* Every table verified; the MADT's GICCs counted; what an arm64 OS checks in the FADT. */
int acpi_walk(int verbose)
{
	const uint8_t *rsdp = find_rsdp();
	if (!rsdp) {
		printf("ACPI: no RSDP through the EFI system table\n");
		return -1;
	}
	uint64_t xa = get_le(rsdp + 24, 8);
	if (!table_ok(xa, verbose))
		return -1;
	const uint8_t *x = (const uint8_t *)(uintptr_t)xa;
	uint32_t n = ((uint32_t)get_le(x + 4, 4) - 36) / 8;
	int found = 0;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t a = get_le(x + 36 + i * 8, 8);
		if (!table_ok(a, verbose))
			return -1;
		found++;
	}
	const uint8_t *madt = acpi_find("APIC"), *fadt = acpi_find("FACP");
	if (!madt || !fadt || !acpi_find("GTDT"))
		return -1;
	/* FADT: hardware-reduced (flags bit 20), PSCI compliant over HVC (ARM_BOOT_ARCH, 129) */
	if (!(get_le(fadt + 112, 4) & (1u << 20)) || (get_le(fadt + 129, 2) & 3) != 3) {
		printf("ACPI: the FADT is not hardware-reduced with PSCI over HVC\n");
		return -1;
	}
	uint32_t len = (uint32_t)get_le(madt + 4, 4);
	bi.cpus = 0;
	for (uint32_t o = 44; o + 2 <= len;) {
		uint8_t type = madt[o], l = madt[o + 1];
		if (l < 2 || o + l > len)
			return -1;
		if (type == 0x0b) /* GICC */
			bi.cpus++;
		o += l;
	}
	return found;
}

/* ---- the MMU: identity map (D8, VMSAv8-64, 4 KiB granule, 39-bit VA from level 1) ---- */

#define PTE_BLOCK   1ULL
#define PTE_TABLE   3ULL
#define PTE_ATTR(n) ((uint64_t)(n) << 2) /* MAIR index: 0 Device-nGnRnE, 1 Normal WB */
#define PTE_EL0     (1ULL << 6)  /* AP[1]: EL0 may access */
#define PTE_ISH     (3ULL << 8)
#define PTE_AF      (1ULL << 10)
#define PTE_PXN     (1ULL << 53)
#define PTE_UXN     (1ULL << 54)
#define MAIR        0xff00ULL
#define TCR         (25ULL | 1ULL << 8 | 1ULL << 10 | 3ULL << 12 | 1ULL << 23 | 2ULL << 32)
#define SCTLR_M     (1ULL << 0)
#define SCTLR_A     (1ULL << 1)
#define SCTLR_C     (1ULL << 2)
#define SCTLR_I     (1ULL << 12)

static uint64_t l1[512] __attribute__((aligned(4096)));
static uint64_t l2[512] __attribute__((aligned(4096)));

void mmu_enable(void)
{
	uint64_t sctlr;

	__asm__ volatile("msr mair_el1, %0; msr tcr_el1, %1; msr ttbr0_el1, %2; isb; tlbi vmalle1; dsb nsh; isb"
			 ::"r"(MAIR), "r"(TCR), "r"((uint64_t)(uintptr_t)l1) : "memory");
	__asm__ volatile("mrs %0, sctlr_el1" : "=r"(sctlr));
	sctlr = (sctlr | SCTLR_M | SCTLR_C | SCTLR_I) & ~SCTLR_A;
	__asm__ volatile("msr sctlr_el1, %0; isb" ::"r"(sctlr) : "memory");
}

void mmu_init(void)
{
	const uint64_t normal = PTE_BLOCK | PTE_ATTR(1) | PTE_ISH | PTE_AF | PTE_UXN;

	l1[0] = 0 | PTE_BLOCK | PTE_ATTR(0) | PTE_AF | PTE_PXN | PTE_UXN; /* MMIO below RAM */
	l1[1] = (uint64_t)(uintptr_t)l2 | PTE_TABLE;
	l1[2] = 0x80000000ULL | normal;
	l1[3] = 0xc0000000ULL | normal;
	for (uint64_t i = 0; i < 512; i++) {
		uint64_t pa = LAYOUT_ARM64_RAM + (i << 21);
		/* EL0 may use its own block; what EL0 can write, EL1 cannot execute anyway. */
		l2[i] = pa == USER_BASE ? pa | PTE_BLOCK | PTE_ATTR(1) | PTE_ISH | PTE_AF | PTE_EL0 | PTE_PXN
					: pa | normal;
	}
	mmu_enable();
}

/* ---- the GICv3 (IHI 0069): distributor, this vCPU's redistributor, the CPU interface ---- */

#define GICD_CTLR       0x0000
#define GICD_IGROUPR    0x0080
#define GICD_ISENABLER  0x0100
#define GICD_IPRIORITYR 0x0400
#define GICD_ICFGR      0x0c00
#define GICD_IROUTER    0x6000
#define GICD_CTLR_RWP   (1u << 31)
#define GICR_WAKER      0x0014
#define WAKER_SLEEP     (1u << 1)
#define WAKER_ASLEEP    (1u << 2)

static void (*spi_handler[1024])(struct trap_frame *f);

void gic_init_dist(void)
{
	/* Single security state (DS, as a guest sees it): ARE (bit 4), EnableGrp1 (bit 1). */
	mmio_write32(LAYOUT_ARM64_GICD + GICD_CTLR, (1u << 4) | (1u << 1));
	while (mmio_read32(LAYOUT_ARM64_GICD + GICD_CTLR) & GICD_CTLR_RWP)
		cpu_relax();
}

void gic_init_cpu(unsigned cpu)
{
	uint64_t rd = LAYOUT_ARM64_GICR + (uint64_t)cpu * LAYOUT_ARM64_GICR_STRIDE;
	mmio_write32(rd + GICR_WAKER, mmio_read32(rd + GICR_WAKER) & ~WAKER_SLEEP);
	while (mmio_read32(rd + GICR_WAKER) & WAKER_ASLEEP)
		cpu_relax();
	/* ICC_SRE_EL1.SRE, ICC_PMR_EL1 all priorities, ICC_BPR1_EL1 0, ICC_IGRPEN1_EL1 on */
	__asm__ volatile("mrs x0, S3_0_C12_C12_5; orr x0, x0, #1; msr S3_0_C12_C12_5, x0; isb\n"
			 "mov x0, #0xff; msr S3_0_C4_C6_0, x0\n"
			 "msr S3_0_C12_C12_3, xzr\n"
			 "mov x0, #1; msr S3_0_C12_C12_7, x0; isb" ::: "x0", "memory");
}

void gic_route_spi(unsigned intid, int edge, void (*handler)(struct trap_frame *f))
{
	const uint64_t d = LAYOUT_ARM64_GICD;
	uint32_t bit = 1u << (intid % 32);

	spi_handler[intid] = handler;
	mmio_write32(d + GICD_IGROUPR + 4 * (intid / 32), mmio_read32(d + GICD_IGROUPR + 4 * (intid / 32)) | bit);
	uint64_t cfg = d + GICD_ICFGR + 4 * (intid / 16);
	uint32_t c = mmio_read32(cfg) & ~(3u << 2 * (intid % 16));
	mmio_write32(cfg, c | (edge ? 2u : 0u) << 2 * (intid % 16));
	uint64_t pri = d + GICD_IPRIORITYR + (intid & ~3u);
	uint32_t p = mmio_read32(pri) & ~(0xffu << 8 * (intid % 4));
	mmio_write32(pri, p | 0xa0u << 8 * (intid % 4));
	mmio_write64(d + GICD_IROUTER + 8ULL * intid, 0); /* vCPU 0 */
	mmio_write32(d + GICD_ISENABLER + 4 * (intid / 32), bit);
}

static void gic_irq(struct trap_frame *f)
{
	uint64_t iar;
	for (;;) {
		__asm__ volatile("mrs %0, S3_0_C12_C12_0" : "=r"(iar)); /* ICC_IAR1_EL1 */
		unsigned intid = (unsigned)(iar & 0xffffff);
		if (intid >= 1020)
			return; /* spurious: nothing pending */
		if (intid < 1024 && spi_handler[intid])
			spi_handler[intid](f);
		else
			printf("gic: interrupt %u without a handler\n", intid);
		__asm__ volatile("msr S3_0_C12_C12_1, %0; isb" ::"r"(iar)); /* ICC_EOIR1_EL1 */
	}
}

/* ---- exceptions ---- */

static void syscall(struct trap_frame *f)
{
	switch (f->x[8]) {
	case SYS_POISON:
		f->x[0] = (uint64_t)ucall_poison(f->x[0], 0);
		break;
	case SYS_EXIT:
		ras.task_value = f->x[0];
		ras.task_running = 0;
		task_end(f, TASK_EXITED);
		break;
	default:
		f->x[0] = (uint64_t)-1;
		break;
	}
}

static void unexpected(struct trap_frame *f, const char *what)
{
	char msg[160];
	snprintf(msg, sizeof(msg), "%s: ESR 0x%lx at pc 0x%lx far 0x%lx spsr 0x%lx", what,
		 f->esr & 0xffffffffUL, f->elr, f->far, f->spsr);
	ucall_assert(__FILE__, __LINE__, msg);
}

void trap_dispatch(struct trap_frame *f)
{
	unsigned kind = (unsigned)f->kind;

	if (kind >= 8) {
		unexpected(f, "exception from a mode the guest never runs");
		return;
	}
	switch (kind & 3) {
	case 0: {
		unsigned ec = ESR_EC(f->esr), fsc = (unsigned)f->esr & 0x3f;
		if (ec == EC_SVC64 && from_el0(f))
			syscall(f);
		else if ((ec == EC_DABT_LOWER || ec == EC_DABT_CUR || ec == EC_IABT_LOWER ||
			  ec == EC_IABT_CUR) && fsc == FSC_SEA)
			ras_sea(f);
		else
			unexpected(f, "unexpected exception");
		break;
	}
	case 1:
		gic_irq(f);
		break;
	case 3:
		ras_serror(f);
		break;
	default:
		unexpected(f, "FIQ");
		break;
	}
}

/* ---- the EL0 task: one at a time, on vCPU 0 ---- */

extern const char user_task_start[], user_task_end[], task_return[];
uint64_t task_enter(uint64_t pc, uint64_t sp, uint64_t arg);

void task_end(struct trap_frame *f, uint64_t status)
{
	f->elr = (uint64_t)(uintptr_t)task_return;
	f->spsr = 0x2c5; /* EL1h, D, I and F masked; SErrors taken (start.S unmasks them at boot) */
	f->x[0] = status;
}

int task_run(void)
{
	size_t len = (size_t)(user_task_end - user_task_start);

	memcpy((void *)USER_BASE, user_task_start, len);
	for (uint64_t a = USER_BASE; a < USER_BASE + len; a += 4)
		__asm__ volatile("dc cvau, %0" ::"r"(a) : "memory");
	__asm__ volatile("dsb ish; ic iallu; dsb ish; isb" ::: "memory");
	ras.task_running = 1;
	return (int)task_enter(USER_BASE, USER_STACK_TOP, USER_DATA);
}
