/* SPDX-License-Identifier: MIT */
/*
 * The one file of guest-visible magic numbers: every guest physical address, I/O port,
 * interrupt line and boot-protocol offset that rasvm and its guests agree on.
 *
 * Shared by the VMM (src/) and the freestanding test guest (guest/), so it holds only
 * #defines: no types, no includes. docs/memory-map.md is generated from the LAYOUT_*,
 * PORT_*, IRQ_* and BOOTINFO_* lines below by scripts/gen-memory-map.sh, and a unit test
 * checks that the committed page still matches, so keep the one-line comment on each.
 */
#ifndef RASVM_LAYOUT_H
#define RASVM_LAYOUT_H

/* ---- Guest physical memory (all RAM is identity-mapped by the boot page tables) ---- */
#define LAYOUT_BOOT_GDT           0x00001000ULL /* GDT the vCPUs enter long mode with: null, code64 0x08, data 0x10 */
#define LAYOUT_BOOT_INFO          0x00002000ULL /* boot-info page (4 KiB): cpu count, RAM size, e820 copy, scenario string */
#define LAYOUT_BOOT_PML4          0x00003000ULL /* boot page tables: PML4 */
#define LAYOUT_BOOT_PDPT          0x00004000ULL /* boot page tables: PDPT, 4 entries used */
#define LAYOUT_BOOT_PD            0x00005000ULL /* boot page tables: 4 page directories of 2 MiB pages, 0x5000-0x8fff, map 0-4 GiB */
#define LAYOUT_LINUX_GDT          0x00009000ULL /* GDT Linux guests enter with: null, code32 0x08 (PVH), code64 0x10 (__BOOT_CS), data 0x18 (__BOOT_DS) */
#define LAYOUT_ZERO_PAGE          0x0000a000ULL /* Linux boot_params, the "zero page" (4 KiB): RSI at the 64-bit entry */
#define LAYOUT_PVH_START_INFO     0x0000b000ULL /* PVH hvm_start_info (EBX at the PVH entry), its module list at +0x40, memory map at +0x80 (4 KiB) */
#define LAYOUT_CMDLINE            0x0000c000ULL /* Linux kernel command line, NUL-terminated (cmd_line_ptr, cmdline_paddr) */
#define LAYOUT_CMDLINE_MAX        0x00001000ULL /* bytes reserved for the command line, NUL included (4 KiB) */
#define LAYOUT_BDA_EBDA_SEGMENT   0x0000040eULL /* BIOS data area: u16 real-mode segment of the EBDA (LAYOUT_EBDA >> 4) */
#define LAYOUT_BDA_BASE_MEMORY_KB 0x00000413ULL /* BIOS data area: u16 KiB of conventional memory (LAYOUT_LOW_RAM_END >> 10) */
#define LAYOUT_LOW_RAM_END        0x0009e000ULL /* end of conventional RAM below 1 MiB (632 KiB) */
#define LAYOUT_FW_RESERVED        0x0009e000ULL /* e820-reserved from here to 1 MiB: MP table, EBDA, error region, ACPI tables */
#define LAYOUT_MP_CONFIG          0x0009e000ULL /* MP configuration table (MP spec 1.4, 4.2), up to LAYOUT_EBDA: 254 processors fit */
#define LAYOUT_EBDA               0x0009fc00ULL /* extended BIOS data area (1 KiB), the MP floating pointer at its start (MP spec 4.1): Linux finds it at 639 KiB */
#define LAYOUT_ERROR_REGION       0x000a0000ULL /* APEI error region (e820-reserved): per source id a block-address register, a read-ack register and a status block */
#define LAYOUT_ERROR_REGION_END   0x000e0000ULL /* end of the error region (256 KiB) */
#define LAYOUT_ACPI_BASE          0x000e0000ULL /* ACPI tables, RSDP first (16-byte aligned, found by a legacy 0xE0000-0xFFFFF scan) */
#define LAYOUT_ACPI_END           0x00100000ULL /* end of the ACPI table area (128 KiB) */
#define LAYOUT_KERNEL_MIN         0x00100000ULL /* lowest address a kernel's PT_LOAD segment may use (1 MiB) */
#define LAYOUT_MMIO_HOLE          0xc0000000ULL /* RAM above 3 GiB is moved to 4 GiB to leave room for MMIO */
#define LAYOUT_HIGH_RAM           0x100000000ULL /* where RAM beyond the MMIO hole continues (4 GiB) */
#define LAYOUT_IOAPIC             0xfec00000ULL /* in-kernel IOAPIC registers */
#define LAYOUT_LAPIC              0xfee00000ULL /* local APIC registers (every vCPU) */
#define LAYOUT_KVM_IDENTITY_MAP   0xfeffc000ULL /* KVM_SET_IDENTITY_MAP_ADDR page (Intel real-mode emulation), 1 page */
#define LAYOUT_KVM_TSS            0xfeffd000ULL /* KVM_SET_TSS_ADDR area, 3 pages */
#define LAYOUT_RAM_MIN            0x00800000ULL /* smallest accepted --memory: 8 MiB */
#define LAYOUT_BOOT_MAPPED        0x100000000ULL /* the boot page tables identity-map [0, 4 GiB) with 2 MiB pages */

/* ---- I/O ports ---- */
#define PORT_COM1                 0x03f8 /* 8250 UART, 8 registers */
#define PORT_TEST                 0x0530 /* test port: 32-bit OUT of the GPA of a 32-byte ucall block (not 0x510-0x51b: QEMU fw_cfg) */
#define PORT_POWER                0x0534 /* power-off port: 8-bit OUT of the guest's exit code (0-63) */
#define PORT_RESET                0x0535 /* reset port, the FADT's RESET_REG: 8-bit OUT of RESET_VALUE resets the guest */
#define PORT_SLEEP_CONTROL        0x0536 /* the FADT's SLEEP_CONTROL_REG: 8-bit OUT of SLP_EN with SLP_TYP S5_SLEEP_TYPE powers off (exit code 0) */
#define PORT_SLEEP_STATUS         0x0537 /* the FADT's SLEEP_STATUS_REG: reads 0 (no wake event), writes ignored */
#define PORT_MARK                 0x00e9 /* timestamp port: any 8-bit OUT records the time (latency benchmarks); below 0x100 so a handler can reach it with an immediate */
#define RESET_VALUE               0x06 /* what the guest writes to PORT_RESET (FADT RESET_VALUE) */
#define S5_SLEEP_TYPE             0x05 /* SLP_TYP of the DSDT's \_S5, for PORT_SLEEP_CONTROL */

/* ---- Interrupts ---- */
#define IRQ_COM1                  4 /* ISA IRQ of COM1 (IOAPIC pin 4) */
#define IRQ_SCI                   9 /* ACPI SCI, reported in the FADT */
#define IRQ_GED                   11 /* GSI of the ACPI Generic Event Device that signals the async GHES source */

/* ---- vCPU entry state ---- */
/* rasvm ELF guests: every vCPU starts in 64-bit mode at the ELF entry point with interrupts
 * off, CS=0x08, DS=ES=SS=0x10, CR3=LAYOUT_BOOT_PML4, RDI = vCPU index (0 = boot vCPU),
 * RSI = LAYOUT_BOOT_INFO, RSP = 0 (the guest brings its own stacks).
 * Linux: only vCPU 0 starts, the others wait for INIT/SIPI. The 64-bit boot protocol enters
 * startup_64 with CS=0x10, DS=ES=SS=0x18 of LAYOUT_LINUX_GDT, the boot page tables and
 * RSI = LAYOUT_ZERO_PAGE; the PVH entry is 32-bit protected mode without paging, CS=0x08,
 * DS=ES=SS=0x18, EBX = LAYOUT_PVH_START_INFO. */
#define ENTRY_SEL_CODE            0x08 /* 64-bit code segment selector in the boot GDT */
#define ENTRY_SEL_DATA            0x10 /* data segment selector in the boot GDT */
#define LINUX_SEL_CODE32          0x08 /* 32-bit code segment in LAYOUT_LINUX_GDT (PVH entry) */
#define LINUX_SEL_BOOT_CS         0x10 /* __BOOT_CS: 64-bit code segment in LAYOUT_LINUX_GDT (boot.rst, 64-bit Boot Protocol) */
#define LINUX_SEL_BOOT_DS         0x18 /* __BOOT_DS: data segment in LAYOUT_LINUX_GDT */

/* ---- Boot-info page, little-endian, at LAYOUT_BOOT_INFO ---- */
#define BOOTINFO_MAGIC            0x56534152 /* "RASV" at offset 0 */
#define BOOTINFO_VERSION          3 /* layout version at offset 4 (3 added MCG_CAP) */
#define BOOTINFO_OFF_MAGIC        0 /* u32 BOOTINFO_MAGIC */
#define BOOTINFO_OFF_VERSION      4 /* u32 BOOTINFO_VERSION */
#define BOOTINFO_OFF_CPUS         8 /* u32 number of vCPUs */
#define BOOTINFO_OFF_E820_COUNT   12 /* u32 number of e820 entries that follow */
#define BOOTINFO_OFF_RAM_SIZE     16 /* u64 total guest RAM in bytes */
#define BOOTINFO_OFF_RSDP         24 /* u64 GPA of the RSDP (a hint: the test guest scans instead) */
#define BOOTINFO_OFF_SCENARIO     32 /* char[64] NUL-terminated scenario name from --scenario */
#define BOOTINFO_SCENARIO_LEN     64 /* size of the scenario field, NUL included */
#define BOOTINFO_OFF_RESETS       96 /* u32 resets before this boot (0 on the first) */
#define BOOTINFO_OFF_MCG_CAP      100 /* u32 the MCG_CAP every vCPU really has (read back from KVM; 0 = unknown) */
#define BOOTINFO_OFF_E820         104 /* e820 entries: u64 addr, u64 size, u32 type, u32 zero */
#define BOOTINFO_E820_ENTRY_SIZE  24 /* bytes per e820 entry */
#define BOOTINFO_E820_MAX         32 /* e820 entries that fit */

/* ---- Test-port protocol (the ucall block the guest points PORT_TEST at) ---- */
#define UCALL_SIZE                32 /* bytes: u32 cmd, u32 zero, u64 arg0, u64 arg1, u64 arg2 */
#define UCALL_SYNC                1 /* arg0 = stage number, arg1 = GPA of a label string or 0 */
#define UCALL_DONE                2 /* the scenario finished; the guest powers off next */
#define UCALL_ASSERT              3 /* arg0 = GPA of file name, arg1 = line, arg2 = GPA of message or 0 */
#define UCALL_POISON              4 /* with --guest-poison: the simulator poisons page arg0; arg1 bit 0 = action optional; rasvm writes 0 or -errno to arg2 */
#define UCALL_STRING_MAX          128 /* longest string the host reads from guest memory, NUL included */

/* ---- Exit codes of `rasvm run` (docs/usage.md) ---- */
#define GUEST_EXIT_MAX            63 /* the guest's own codes 0-63 pass through PORT_POWER unchanged */

#endif
