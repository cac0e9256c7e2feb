/* SPDX-License-Identifier: MIT */
/*
 * The arm64 machine's guest-visible magic numbers: every guest physical address, interrupt
 * and register the arm64 rasvm, its firmware tables (src/acpi, src/fw) and its guests agree
 * on. The x86 machine's are in layout.h; the two share nothing but the RAS source ids.
 *
 * QEMU's virt machine is the model where it has the same device (GIC, PL011, RAM at 1 GiB),
 * so a guest that runs there finds things where it expects them. Like layout.h this holds
 * only #defines with a one-line comment each: scripts/gen-memory-map.sh arm64 turns the
 * LAYOUT_ARM64_*, IRQ_ARM64_* and ARM64_DEV_* lines into docs/memory-map-arm64.md.
 *
 * Everything in RAM that the guest must not use as RAM is aligned to 64 KiB, so kernels
 * with 16 KiB or 64 KiB pages see the same EFI memory map as 4 KiB ones.
 */
#ifndef RASVM_LAYOUT_ARM64_H
#define RASVM_LAYOUT_ARM64_H

/* ---- MMIO (below RAM) ---- */
#define LAYOUT_ARM64_GICD         0x08000000ULL /* GICv3 distributor, 64 KiB (QEMU virt's address) */
#define LAYOUT_ARM64_GICD_SIZE    0x00010000ULL /* size of the distributor frame */
#define LAYOUT_ARM64_GICR         0x080a0000ULL /* GICv3 redistributors, one per vCPU in vCPU order (QEMU virt's address) */
#define LAYOUT_ARM64_GICR_STRIDE  0x00020000ULL /* bytes of redistributor per vCPU: RD_base and SGI_base frames, 64 KiB each */
#define LAYOUT_ARM64_GICR_END     0x09000000ULL /* end of the redistributor region: room for LAYOUT_ARM64_MAX_CPUS */
#define LAYOUT_ARM64_MAX_CPUS     123 /* vCPUs whose redistributors fit below the UART */
#define LAYOUT_ARM64_UART         0x09000000ULL /* PL011 UART registers (QEMU virt's address) */
#define LAYOUT_ARM64_UART_SIZE    0x00001000ULL /* size of the PL011 register frame */
#define LAYOUT_ARM64_UART_CLOCK   24000000 /* Hz of the fixed clock the device tree gives the PL011 (uartclk and apb_pclk) */
#define LAYOUT_ARM64_DEVICES      0x09100000ULL /* rasvm's device page, 4 KiB: the ARM64_DEV_* registers */
#define LAYOUT_ARM64_DEVICES_SIZE 0x00001000ULL /* size of the device page */
#define ARM64_DEV_TEST            0x09100000ULL /* test register: 64-bit write of the GPA of a 32-byte ucall block (layout.h UCALL_*) */
#define ARM64_DEV_POWER           0x09100008ULL /* power-off register: 8-bit write of the guest's exit code (0-63) */
#define ARM64_DEV_MARK            0x09100010ULL /* timestamp register: any write records the time (latency benchmarks) */

/* ---- Guest RAM and what the firmware puts in it ---- */
#define LAYOUT_ARM64_RAM          0x40000000ULL /* guest RAM starts at 1 GiB (QEMU virt's address) */
#define LAYOUT_ARM64_ACPI         0x40000000ULL /* ACPI tables, RSDP first (128 KiB); EFI memory map: ACPI reclaim */
#define LAYOUT_ARM64_ACPI_END     0x40020000ULL /* end of the ACPI table area */
#define LAYOUT_ARM64_EFI          0x40020000ULL /* EFI system table, configuration tables and memory map (128 KiB); EFI memory map: ACPI reclaim */
#define LAYOUT_ARM64_EFI_END      0x40040000ULL /* end of the EFI table area */
#define LAYOUT_ARM64_ERROR_REGION 0x40040000ULL /* APEI error region (256 KiB), same layout as on x86; EFI memory map: ACPI NVS, write-back */
#define LAYOUT_ARM64_ERROR_REGION_END 0x40080000ULL /* end of the error region */
#define LAYOUT_ARM64_DTB          0x40080000ULL /* flattened device tree (x0 at entry), at most 512 KiB; EFI memory map: conventional (Linux reserves it) */
#define LAYOUT_ARM64_DTB_END      0x40100000ULL /* end of the device tree area */
#define LAYOUT_ARM64_KERNEL       0x40200000ULL /* 2 MiB-aligned base an arm64 Image is loaded at (plus its text_offset, 0 since Linux 5.x) */
#define LAYOUT_ARM64_INITRD_ALIGN 0x00200000ULL /* the initrd goes as high in RAM as it fits, its start aligned down to this; /chosen gives its range */
#define LAYOUT_ARM64_RAM_MIN      0x04000000ULL /* smallest guest RAM: 64 MiB */

/* ---- Interrupts (GIC INTIDs: ACPI GSIVs are INTIDs; the device tree numbers PPIs from 16, SPIs from 32) ---- */
#define IRQ_ARM64_PPI_BASE        16 /* INTID of PPI 0 */
#define IRQ_ARM64_SPI_BASE        32 /* INTID of SPI 0 */
#define IRQ_ARM64_PMU             23 /* PMU overflow, PPI 7, level high: published only when the vCPUs have a PMU */
#define IRQ_ARM64_VGIC_MAINT      25 /* vGIC maintenance, PPI 9, level high: published only when the guest has EL2 */
#define IRQ_ARM64_TIMER_HYP       26 /* architected timer, non-secure EL2 physical, PPI 10, level high */
#define IRQ_ARM64_TIMER_VIRT      27 /* architected timer, virtual, PPI 11, level high: the one Linux uses at EL1 */
#define IRQ_ARM64_TIMER_SEC       29 /* architected timer, secure EL1 physical, PPI 13, level high */
#define IRQ_ARM64_TIMER_PHYS      30 /* architected timer, non-secure EL1 physical, PPI 14, level high */
#define IRQ_ARM64_UART            33 /* PL011, SPI 1, level high */
#define IRQ_ARM64_GED             41 /* Generic Event Device signalling the async GHES source, SPI 9, edge rising */

/* KVM's default MPIDR_EL1 affinity for vCPU index i (arch/arm64/kvm/sys_regs.c reset_mpidr):
 * Aff0 = i % 16, Aff1 = (i / 16) % 256, Aff2 = (i / 4096) % 256. The firmware tables hold
 * the affinity fields only: bit 31 (RES1) is not part of MADT GICC MPIDR or a cpu's reg. */
#define ARM64_KVM_MPIDR(i) \
	((((unsigned long long)(i) & 0xf)) | ((((unsigned long long)(i) >> 4) & 0xff) << 8) | \
	 ((((unsigned long long)(i) >> 12) & 0xff) << 16))

#endif
