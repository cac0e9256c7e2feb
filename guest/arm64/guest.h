/* SPDX-License-Identifier: MIT */
/*
 * The freestanding arm64 test guest: an arm64 Image (booting.rst) that rasvm boots as it
 * boots Linux. It learns its scenario from /chosen/bootargs, finds the ACPI tables through
 * the EFI system table /chosen names, reads the HEST with guest/lib/hest.c and the records
 * with guest/lib/cper.c (both written independently of rasvm's encoder), takes a synchronous
 * external abort (SEA) or the GED's interrupt as arm64 Linux does, and reports over rasvm's
 * device page (include/rasvm/layout_arm64.h).
 *
 * Memory: identity-mapped, the MMU on (Device below 1 GiB, normal write-back RAM above, one
 * 2 MiB block for the EL0 task).
 */
#ifndef GUEST_ARM64_H
#define GUEST_ARM64_H

#include "rasvm/layout.h"
#include "rasvm/layout_arm64.h"

#define GUEST_MAX_CPUS    16
#define GUEST_STACK_SHIFT 14 /* 16 KiB per vCPU */
#define USER_BASE         0x40800000UL /* the EL0 task's 2 MiB block: code, data page, stack */
#define USER_DATA         (USER_BASE + 0x1000)
#define USER_STACK_TOP    (USER_BASE + 0x1ff000)
#define AO_PAGE           0x40a00000UL /* a kernel page the host loses first (action optional) */
#define STORM_BASE        0x40c00000UL /* 250 pages per vCPU from here */
#define REPEAT_PAGE       0x40b00000UL
#define LATENCY_BASE      0x41000000UL
#define SYS_POISON        1 /* svc: x0 = page to have poisoned (action required when touched) */
#define SYS_EXIT          2 /* svc: x0 = the value the task read */
#define TASK_EXITED       1
#define TASK_KILLED       2
#define GUEST_EXIT_UNKNOWN_SCENARIO 3
#define GUEST_EXIT_GHES_PANIC 4

/* ESR_EL1 (D17.2.40): exception class and, for aborts, the fault status code */
#define ESR_EC(esr)       (((esr) >> 26) & 0x3f)
#define EC_UNKNOWN        0x00
#define EC_SVC64          0x15
#define EC_IABT_LOWER     0x20
#define EC_IABT_CUR       0x21
#define EC_DABT_LOWER     0x24
#define EC_DABT_CUR       0x25
#define FSC_SEA           0x10 /* synchronous external abort, not on a table walk */

#ifndef __ASSEMBLER__
#include "lib/common.h"

static inline void cpu_relax(void) { __asm__ volatile("yield" ::: "memory"); }
static inline void irq_off(void) { __asm__ volatile("msr daifset, #2" ::: "memory"); }
static inline void irq_on(void) { __asm__ volatile("msr daifclr, #2" ::: "memory"); }
/* With IRQs off after checking the condition waited for: wait for an interrupt, then take it. */
static inline void cpu_idle(void) { __asm__ volatile("wfi; msr daifclr, #2; isb; msr daifset, #2" ::: "memory"); }
/* Single plain loads and stores (KVM can only decode those on MMIO: no pairs, no writeback). */
static inline uint64_t mmio_read64(uint64_t a)
{
	uint64_t v;
	__asm__ volatile("ldr %0, [%1]" : "=r"(v) : "r"(a) : "memory");
	return v;
}
static inline void mmio_write64(uint64_t a, uint64_t v) { __asm__ volatile("str %0, [%1]" ::"r"(v), "r"(a) : "memory"); }
static inline uint32_t mmio_read32(uint64_t a)
{
	uint32_t v;
	__asm__ volatile("ldr %w0, [%1]" : "=r"(v) : "r"(a) : "memory");
	return v;
}
static inline void mmio_write32(uint64_t a, uint32_t v) { __asm__ volatile("str %w0, [%1]" ::"r"(v), "r"(a) : "memory"); }
static inline void mmio_write8(uint64_t a, uint8_t v) { __asm__ volatile("strb %w0, [%1]" ::"r"(v), "r"(a) : "memory"); }

/* What guest/lib/ asks of the architecture (lib/common.h): the PL011 (ARM DDI 0183), the
 * device page's registers, wfi */
#define UART_DR   (LAYOUT_ARM64_UART + 0x00)
#define UART_FR   (LAYOUT_ARM64_UART + 0x18)
#define FR_TXFF   (1u << 5)
unsigned cpu_index(void);
static inline void cpu_stop(void) { __asm__ volatile("msr daifset, #0xf; wfi"); }
static inline unsigned console_cpu(void) { return cpu_index(); } /* the vCPU index */
static inline void console_putc(uint8_t c)
{
	while (mmio_read32(UART_FR) & FR_TXFF)
		cpu_relax();
	mmio_write32(UART_DR, c);
}
static inline void test_port_write(uint64_t gpa) { mmio_write64(ARM64_DEV_TEST, gpa); }
static inline void power_port_write(uint8_t code) { mmio_write8(ARM64_DEV_POWER, code); }
static inline uint64_t reg_read64(uint64_t a) { return mmio_read64(a); }
static inline void reg_write64(uint64_t a, uint64_t v) { mmio_write64(a, v); }

/* lib.c: the device page (timestamps) and PSCI */
void psci_reset(void) __attribute__((noreturn));
int64_t psci_cpu_on(uint64_t mpidr, uint64_t entry, uint64_t context);
static inline void mark(void) { mmio_write8(ARM64_DEV_MARK, 1); }

/* What the firmware says (lib.c): /chosen, the EFI memory map, the MADT. */
struct boot_info {
	char scenario[64];
	uint32_t resets;
	uint32_t cpus;        /* GICC entries in the MADT */
	uint64_t ram_end;     /* end of the EFI memory map's last range */
	uint64_t nvs_base, nvs_end; /* the ACPI NVS range (the GHES error region) */
	uint64_t efi_system_table;
};
extern struct boot_info bi;
int firmware_read(const void *dtb, const char **why);
int acpi_walk(int verbose);
const uint8_t *acpi_find(const char *sig);

/* lib.c: exceptions, the MMU, the GIC, the EL0 task */
struct trap_frame {
	uint64_t x[31];
	uint64_t sp_el0, elr, spsr, esr, far;
	uint64_t kind; /* vector: 0 sync, 1 irq, 2 fiq, 3 serror; +4 from EL0 */
};
static inline int from_el0(const struct trap_frame *f) { return (f->spsr & 0xf) == 0; }
void mmu_init(void);   /* boot vCPU: build the tables; every vCPU: turn them on */
void mmu_enable(void);
void gic_init_dist(void);
void gic_init_cpu(unsigned cpu);
void gic_route_spi(unsigned intid, int edge, void (*handler)(struct trap_frame *f));
void trap_dispatch(struct trap_frame *f);
int task_run(void);
void task_end(struct trap_frame *f, uint64_t status);
/* start.S: a kernel read that an SEA on *p turns into ~0 (with ras.kernel_fixup) */
uint64_t checked_read(const volatile uint64_t *p);
extern const char checked_read_fault[];

/* lib/hest.c, shared with the x86 guest */
#define NOTIFY_TYPE_POLLED 0
#define NOTIFY_TYPE_SEA    8
#define NOTIFY_TYPE_GSIV   10
/* Notifications an arm64 guest takes: polled, SEA, GSIV (ACPI 6.5 Table 18.14) */
#define GUEST_NOTIFY_OK(n) ((n) == NOTIFY_TYPE_POLLED || (n) == NOTIFY_TYPE_SEA || (n) == NOTIFY_TYPE_GSIV)

/* ras.c: what arm64 Linux does with SEA, GSIV and polled sources */
struct guest_ras {
	struct ghes_source sources[GHES_MAX];
	int nsources;
	volatile uint64_t seas, seas_unclaimed, serrors, gsivs, ghes_events, ghes_records;
	volatile uint64_t ghes_invalid, acks, offlined, tasks_killed, last_addr, last_far;
	volatile int task_running;
	volatile uint64_t task_value;
	uint64_t kernel_fixup;    /* where a kernel-mode SEA resumes, 0: fatal (Linux panics) */
	int quiet;
	int no_ack;
	int serving;
	void (*on_record)(uint64_t addr);
};
extern struct guest_ras ras;
void ras_setup(void);
void ras_sea(struct trap_frame *f);
void ras_serror(struct trap_frame *f);
int page_is_offline(uint64_t pa);

/* hostile.c */
void scenario_hostile_testport(uint64_t cpu);
void scenario_hostile_ghes(uint64_t cpu);
void scenario_hostile_mmio(uint64_t cpu);

void guest_main(uint64_t cpu) __attribute__((noreturn));

#endif
#endif
