/* SPDX-License-Identifier: MIT */
/*
 * The freestanding test guest: shared declarations. Everything here runs at CPL0, which
 * this project's test machines emulate at a few million instructions per second, so the
 * code favours few instructions over generality.
 */
#ifndef GUEST_H
#define GUEST_H

#define GUEST_MAX_CPUS    256
#define GUEST_STACK_SHIFT 13 /* 8 KiB per vCPU */
#define GUEST_VECTOR_NMI  2
#define GUEST_VECTOR_MC   18
#define GED_VECTOR        0x40 /* the GED's interrupt (GSI 11), routed to vCPU 0 */
#define SYSCALL_VECTOR    0x80 /* reserved; user tasks make system calls with UD2 (start.S) */
#define SPURIOUS_VECTOR   0xff
#define USER_SEL_CODE     0x1b /* GDT entry 3, RPL 3 */
#define USER_SEL_DATA     0x23 /* GDT entry 4, RPL 3 */
#define TSS_SEL           0x28 /* GDT entries 5-6 */
#define SYS_POISON        1    /* rdi: page to have poisoned (action required when touched) */
#define SYS_EXIT          2    /* rsi: the value the task read */
#define USER_BASE         0x400000UL /* the 2 MiB user region: code, data page, stack */
#define USER_DATA         0x401000UL
#define USER_STACK_TOP    0x5ff000UL
#define TASK_EXITED       1
#define TASK_KILLED       2
#define MSR_IA32_MCG_CAP  0x179 /* Intel SDM Vol. 3B 16.3.1.1 */
#define MCG_LMCE_P        (1ULL << 27)
#define MSR_IA32_FEATURE_CONTROL 0x3a /* SDM Vol. 4 Table 2-2: bit 0 lock, bit 20 LMCE on */
#define FEATURE_CONTROL_LOCKED   (1ULL << 0)
#define FEATURE_CONTROL_LMCE_ON  (1ULL << 20)
#define MSR_IA32_MCG_EXT_CTL     0x4d0 /* SDM Vol. 3B 16.3.1.5 */
#define MCG_EXT_CTL_LMCE_EN      (1ULL << 0)
#define GUEST_EXIT_UNKNOWN_SCENARIO 3 /* exit code for a --scenario the guest does not have */
#define GUEST_EXIT_GHES_PANIC 4 /* a fatal GHES record: Linux panics ("Fatal hardware error!") */

#include "rasvm/layout.h"

#ifndef __ASSEMBLER__
#include "lib/common.h"

/* lib/io.c */
static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" ::"a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline uint16_t inw(uint16_t port)
{
	uint16_t v;
	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline uint32_t inl(uint16_t port)
{
	uint32_t v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}
static inline void cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
	__asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
}
static inline void cpu_relax(void) { __asm__ volatile("pause" ::: "memory"); }

/* lib/print.c: output to COM1 */
static inline void serial_init(void)
{
	outb(PORT_COM1 + 3, 0x03); /* LCR: 8 data bits, no parity, 1 stop bit */
}

/* lib/cpu.c: descriptor tables and trap dispatch */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error_code, rip, cs, rflags, rsp, ss;
};
typedef void (*trap_handler)(struct trap_frame *f);
void cpu_init_tables(uint64_t cpu);
/* Route an IOAPIC input to a vector on vCPU 0 and enable the local APIC. */
void irq_route(unsigned gsi, unsigned vector, trap_handler h);
void lapic_eoi(void);
static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}
void trap_set_handler(unsigned vector, trap_handler h);
/* Call with interrupts off after checking the condition waited for: enables them and halts
 * until an interrupt, NMI or machine check, then returns (interrupts on) for the re-check.
 * The sti shadow keeps maskable interrupts off the gap before the hlt, but not an NMI or a
 * machine check: trap_dispatch resumes one that lands on the hlt after it, so its wake-up
 * is not slept through. */
void cpu_idle(void);
void trap_dispatch(struct trap_frame *f);

/* lib/acpi.c: find the RSDP by scanning, verify every table; returns tables found or -1 */
int acpi_walk(int verbose);
/* The table with this signature from the XSDT, checksum verified, or 0. */
const uint8_t *acpi_find(const char *sig);

/* lib/hest.c: which notifications an x86 guest takes: polled, SCI, NMI (ACPI 6.5 Table 18.14) */
#define GUEST_NOTIFY_OK(n) ((n) == 0 || (n) == 3 || (n) == 4)

/* start.S: a kernel read that a machine check on *p turns into ~0 (with ras.kernel_fixup) */
uint64_t checked_read(const volatile uint64_t *p);
extern const char checked_read_fault[];

/* lib/task.c */
int task_run(void);
void task_end(struct trap_frame *f, uint64_t status);

/* lib/ras.c: the guest's RAS state and handlers */
#define NOTIFY_TYPE_POLLED 0
#define NOTIFY_TYPE_SCI    3
#define NOTIFY_TYPE_NMI    4
#define GED_GSI            IRQ_GED
struct guest_ras {
	struct ghes_source sources[GHES_MAX];
	int nsources;
	volatile uint64_t machine_checks, broadcasts, nmis, scis, ghes_events, ghes_records;
	volatile uint64_t ghes_invalid, acks, offlined, tasks_killed, last_addr;
	volatile int task_running;
	volatile uint64_t task_value;
	uint64_t kernel_fixup;    /* where a kernel-mode machine check resumes, 0: fatal */
	int quiet;                /* no per-error lines (storms, benchmarks) */
	int no_ack;               /* a guest that never acknowledges */
	int serving;              /* the serve scenario: survive kernel-mode errors, stop on a bare NMI */
	void (*on_record)(uint64_t addr);
	void (*on_bare_nmi)(void); /* an NMI with no GHES record (inject-nmi): the scenario's cue */
};
extern struct guest_ras ras;
/* At boot, before CR4.MCE is set: the machine-check handler (the HEST is read later). */
void ras_early(void);
void ras_setup(void);
int page_is_offline(uint64_t pfn);
static inline unsigned ras_cpu(void)
{
	uint32_t a, b, c, d;
	cpuid(1, &a, &b, &c, &d);
	return b >> 24;
}

/* What guest/lib/ asks of the architecture (lib/common.h): COM1, the ports, cli; hlt */
#define UART_LSR 5
#define LSR_THRE 0x20
static inline void cpu_stop(void) { __asm__ volatile("cli; hlt"); }
static inline unsigned console_cpu(void) { return ras_cpu(); } /* the APIC id */
static inline void console_putc(uint8_t c)
{
	while (!(inb(PORT_COM1 + UART_LSR) & LSR_THRE))
		cpu_relax();
	outb(PORT_COM1, c);
}
static inline void test_port_write(uint64_t gpa) { outl(PORT_TEST, (uint32_t)gpa); }
static inline void power_port_write(uint8_t code) { outb(PORT_POWER, code); }
static inline uint64_t reg_read64(uint64_t a) { return *(volatile uint64_t *)(uintptr_t)a; }
static inline void reg_write64(uint64_t a, uint64_t v) { *(volatile uint64_t *)(uintptr_t)a = v; }

/* hostile.c: the test guest as an attacker of rasvm (ram_size from the boot info) */
void scenario_hostile_testport(uint64_t cpu, uint64_t ram_size);
void scenario_hostile_ghes(uint64_t cpu);
void scenario_hostile_insn(uint64_t cpu);
void scenario_hostile_sweep(uint64_t cpu, uint64_t ram_size);

/* boot info, read once by cpu 0 */
struct boot_info {
	uint32_t cpus;
	uint64_t ram_size;
	char scenario[64];
	uint32_t resets;
	uint32_t mcg_cap;
	uint32_t e820_count;
	struct { uint64_t addr, size; uint32_t type; } e820[32];
};
int boot_info_read(const void *page, struct boot_info *bi);

/* lib/multiboot.c: the boot-info page from a multiboot loader's information (start.S) */
void multiboot_boot_info(uint32_t mbi);

/* main.c: every vCPU calls this from start.S */
void guest_main(uint64_t cpu, const void *boot_info) __attribute__((noreturn));

#endif
#endif
