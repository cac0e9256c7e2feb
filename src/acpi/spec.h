/* SPDX-License-Identifier: MIT */
/*
 * ACPI constants, each beside the section of the ACPI 6.5 specification that defines it.
 * Sizes that follow from field lists are derived and checked with _Static_assert, so a
 * miscounted field fails the build instead of a guest.
 */
#ifndef RASVM_ACPI_SPEC_H
#define RASVM_ACPI_SPEC_H

/* 5.2.6 System Description Table Header: 36 bytes */
#define ACPI_HDR_SIGNATURE        0  /* char[4] */
#define ACPI_HDR_LENGTH           4  /* u32, whole table */
#define ACPI_HDR_REVISION         8  /* u8 */
#define ACPI_HDR_CHECKSUM         9  /* u8, whole table sums to 0 */
#define ACPI_HDR_OEMID            10 /* char[6] */
#define ACPI_HDR_OEM_TABLE_ID     16 /* char[8] */
#define ACPI_HDR_OEM_REVISION     24 /* u32 */
#define ACPI_HDR_CREATOR_ID       28 /* char[4] */
#define ACPI_HDR_CREATOR_REVISION 32 /* u32 */
#define ACPI_HDR_SIZE             36
_Static_assert(ACPI_HDR_CREATOR_REVISION + 4 == ACPI_HDR_SIZE, "5.2.6 header is 36 bytes");

/* 5.2.3.2 Generic Address Structure: 12 bytes */
#define GAS_SIZE                  12
#define GAS_SPACE_SYSTEM_MEMORY   0
#define GAS_SPACE_SYSTEM_IO       1
#define GAS_ACCESS_BYTE           1
#define GAS_ACCESS_DWORD          3
#define GAS_ACCESS_QWORD          4

/* Identity rasvm writes into every header (5.2.6 OEMID, OEM Table ID, Creator ID). */
#define ACPI_OEM_ID               "RASVM "
#define ACPI_OEM_TABLE_ID         "RASVMTBL"
#define ACPI_CREATOR_ID           "RASV"
#define ACPI_CREATOR_REVISION     1

/* 5.2.5.3 Root System Description Pointer structure (revision 2): 36 bytes */
#define RSDP_SIGNATURE            "RSD PTR "
#define RSDP_OFF_CHECKSUM         8  /* u8 over the first 20 bytes */
#define RSDP_OFF_OEMID            9  /* char[6] */
#define RSDP_OFF_REVISION         15 /* u8, 2 = ACPI 2.0+ (XSDT present) */
#define RSDP_OFF_RSDT_ADDRESS     16 /* u32, 0: rasvm has no RSDT */
#define RSDP_OFF_LENGTH           20 /* u32, 36 */
#define RSDP_OFF_XSDT_ADDRESS     24 /* u64 */
#define RSDP_OFF_EXT_CHECKSUM     32 /* u8 over all 36 bytes */
#define RSDP_V1_SIZE              20 /* bytes covered by the first checksum */
#define RSDP_SIZE                 36
#define RSDP_REVISION             2
#define RSDP_ALIGN                16 /* 5.2.5.1: found on a 16-byte boundary */
_Static_assert(RSDP_OFF_EXT_CHECKSUM + 1 + 3 == RSDP_SIZE, "5.2.5.3 RSDP is 36 bytes");

/* 5.2.8 XSDT: header + u64 entries */
#define XSDT_REVISION             1

/* 5.2.9 Fixed ACPI Description Table (revision 6, minor 5): 276 bytes */
#define FADT_REVISION             6
#define FADT_MINOR_REVISION       5
#define FADT_OFF_DSDT             40  /* u32 */
#define FADT_OFF_SCI_INT          46  /* u16 */
#define FADT_OFF_IAPC_BOOT_ARCH   109 /* u16, 5.2.9.3 */
#define FADT_OFF_FLAGS            112 /* u32, 5.2.9 Table 5.10 */
#define FADT_OFF_RESET_REG        116 /* GAS */
#define FADT_OFF_RESET_VALUE      128 /* u8 */
#define FADT_OFF_ARM_BOOT_ARCH    129 /* u16, 5.2.9.4 */
#define FADT_OFF_MINOR_REVISION   131 /* u8 */
#define FADT_OFF_X_DSDT           140 /* u64 */
#define FADT_OFF_SLEEP_CONTROL_REG 244 /* GAS, 5.2.9: hardware-reduced sleep control */
#define FADT_OFF_SLEEP_STATUS_REG 256 /* GAS, 5.2.9: hardware-reduced sleep status */
#define FADT_OFF_HYPERVISOR_ID    268 /* u64 Hypervisor Vendor Identity */
#define FADT_SIZE                 276
_Static_assert(FADT_OFF_HYPERVISOR_ID + 8 == FADT_SIZE, "5.2.9 FADT revision 6 is 276 bytes");
_Static_assert(FADT_OFF_SLEEP_STATUS_REG == FADT_OFF_SLEEP_CONTROL_REG + 12 &&
	       FADT_OFF_HYPERVISOR_ID == FADT_OFF_SLEEP_STATUS_REG + 12, "5.2.9: two GAS, then the hypervisor id");
/* 4.8.3.7 Sleep Control Register: SLP_TYPx in bits 4:2, SLP_EN bit 5; 4.8.3.8 Sleep Status
 * Register: WAK_STS bit 7. */
#define SLEEP_CONTROL_SLP_TYP_SHIFT 2
#define SLEEP_CONTROL_SLP_TYP_MASK  0x1c
#define SLEEP_CONTROL_SLP_EN        0x20
#define SLEEP_STATUS_WAK_STS        0x80
#define FADT_FLAG_HW_REDUCED_ACPI (1u << 20) /* Table 5.10: no fixed hardware, events via GED */
#define FADT_FLAG_RESET_REG_SUP   (1u << 10) /* Table 5.10: RESET_REG resets the system */
#define FADT_IAPC_VGA_NOT_PRESENT (1u << 2)  /* 5.2.9.3 */
#define FADT_IAPC_CMOS_RTC_NOT_PRESENT (1u << 5) /* 5.2.9.3 */
#define FADT_ARM_PSCI_COMPLIANT   (1u << 0)  /* 5.2.9.4 ARM Architecture Boot Flags: PSCI starts and stops CPUs */
#define FADT_ARM_PSCI_USE_HVC     (1u << 1)  /* 5.2.9.4: the PSCI conduit is HVC, not SMC */
_Static_assert(FADT_OFF_ARM_BOOT_ARCH == FADT_OFF_RESET_VALUE + 1, "5.2.9 ARM_BOOT_ARCH follows RESET_VALUE");
_Static_assert(FADT_OFF_ARM_BOOT_ARCH + 2 == FADT_OFF_MINOR_REVISION, "5.2.9 then FADT Minor Version");

/* 5.2.12 Multiple APIC Description Table (revision 6) */
#define MADT_REVISION             6
#define MADT_OFF_LAPIC_ADDRESS    36 /* u32 */
#define MADT_OFF_FLAGS            40 /* u32 */
#define MADT_ENTRIES              44
#define MADT_FLAG_PCAT_COMPAT     1  /* Table 5.20: a dual 8259 PIC is present too */
#define MADT_TYPE_LAPIC           0  /* 5.2.12.2 Processor Local APIC, 8 bytes */
#define MADT_LAPIC_SIZE           8
#define MADT_LAPIC_ENABLED        1  /* Table 5.23 */
#define MADT_TYPE_IOAPIC          1  /* 5.2.12.3 I/O APIC, 12 bytes */
#define MADT_IOAPIC_SIZE          12
#define MADT_TYPE_ISO             2  /* 5.2.12.5 Interrupt Source Override, 10 bytes */
#define MADT_ISO_SIZE             10
#define MADT_TYPE_LAPIC_NMI       4  /* 5.2.12.7 Local APIC NMI, 6 bytes */
#define MADT_LAPIC_NMI_SIZE       6
#define MADT_ALL_PROCESSORS       0xff /* 5.2.12.7: ACPI Processor UID 0xFF = all */
#define MADT_MAX_XAPIC_ID         254  /* 8-bit APIC ids; 0xFF is broadcast */

/* arm64 MADT: revision 5 is ACPI 6.3/6.4's, whose GICC is 80 bytes (6.5's revision 6 adds a
 * TRBE interrupt for 82). Linux 6.1 and iasl 20200925 know the 80-byte GICC; Linux accepts
 * any GICC from 76 bytes (ACPI_MADT_GICC_MIN_LENGTH). */
#define MADT_REVISION_ARM64       5
/* 5.2.12.14 GIC CPU Interface (GICC) Structure: 80 bytes */
#define MADT_TYPE_GICC            0x0b
#define GICC_OFF_CPU_INTERFACE    4  /* u32 CPU Interface Number (GICv2 only; the vCPU index) */
#define GICC_OFF_UID              8  /* u32 ACPI Processor UID: the DSDT processor's _UID */
#define GICC_OFF_FLAGS            12 /* u32 */
#define GICC_OFF_PARKING_VERSION  16 /* u32, 0: no parking protocol (PSCI instead) */
#define GICC_OFF_PERF_GSIV        20 /* u32 Performance Interrupt GSIV, 0: none */
#define GICC_OFF_PARKED_ADDRESS   24 /* u64 */
#define GICC_OFF_BASE             32 /* u64 Physical Base Address: 0 for GICv3 (system registers) */
#define GICC_OFF_GICV             40 /* u64 */
#define GICC_OFF_GICH             48 /* u64 */
#define GICC_OFF_VGIC_MAINT       56 /* u32 VGIC Maintenance Interrupt GSIV, 0: none */
#define GICC_OFF_GICR_BASE        60 /* u64 GICR Base Address: 0 when GICR structures describe them */
#define GICC_OFF_MPIDR            68 /* u64 MPIDR affinity fields */
#define GICC_OFF_EFFICIENCY       76 /* u8 Processor Power Efficiency Class */
#define GICC_OFF_SPE_GSIV         78 /* u16 SPE overflow Interrupt */
#define GICC_SIZE                 80
_Static_assert(GICC_OFF_GICR_BASE + 8 == GICC_OFF_MPIDR, "5.2.12.14 GICR base then MPIDR");
_Static_assert(GICC_OFF_SPE_GSIV + 2 == GICC_SIZE, "5.2.12.14 GICC is 80 bytes in ACPI 6.3");
#define GICC_ENABLED              (1u << 0) /* 5.2.12.14 GICC CPU Interface Flags: usable */
#define GICC_MPIDR_AFFINITY       0xff00ffffffULL /* Aff3 and Aff2..Aff0; Linux skips a GICC with other bits */
/* 5.2.12.15 GIC Distributor (GICD) Structure: 24 bytes */
#define MADT_TYPE_GICD            0x0c
#define GICD_OFF_ID               4  /* u32 GIC ID */
#define GICD_OFF_BASE             8  /* u64 Physical Base Address */
#define GICD_OFF_VECTOR_BASE      16 /* u32 System Vector Base: must be 0 */
#define GICD_OFF_VERSION          20 /* u8 GIC version */
#define GICD_SIZE                 24
_Static_assert(GICD_OFF_VERSION + 1 + 3 == GICD_SIZE, "5.2.12.15 GICD is 24 bytes");
#define GICD_VERSION_3            3
/* 5.2.12.17 GIC Redistributor (GICR) Structure: 16 bytes, one per redistributor region */
#define MADT_TYPE_GICR            0x0e
#define GICR_OFF_BASE             4  /* u64 Discovery Range Base Address */
#define GICR_OFF_LENGTH           12 /* u32 Discovery Range Length */
#define GICR_SIZE                 16
_Static_assert(GICR_OFF_LENGTH + 4 == GICR_SIZE, "5.2.12.17 GICR is 16 bytes");
#define GICR_FRAMES_SIZE          0x20000 /* GICv3: RD_base + SGI_base, 64 KiB each, per CPU */

/* 5.2.25 Generic Timer Description Table, revision 2 (ACPI 5.1-6.4): 96 bytes, no platform
 * timers. Revision 3 (6.5) appends the virtual EL2 timer, which a guest without EL2 lacks. */
#define GTDT_REVISION             2
#define GTDT_OFF_CNT_CONTROL_BASE 36 /* u64 CntControlBase Physical Address */
#define GTDT_OFF_SEC_EL1_GSIV     48 /* u32 Secure EL1 Timer GSIV, 0: not provided */
#define GTDT_OFF_SEC_EL1_FLAGS    52 /* u32 */
#define GTDT_OFF_NS_EL1_GSIV      56 /* u32 Non-Secure EL1 Timer GSIV */
#define GTDT_OFF_NS_EL1_FLAGS     60 /* u32 */
#define GTDT_OFF_VIRT_GSIV        64 /* u32 Virtual EL1 Timer GSIV */
#define GTDT_OFF_VIRT_FLAGS       68 /* u32 */
#define GTDT_OFF_NS_EL2_GSIV      72 /* u32 EL2 Timer GSIV */
#define GTDT_OFF_NS_EL2_FLAGS     76 /* u32 */
#define GTDT_OFF_CNT_READ_BASE    80 /* u64 CntReadBase Physical Address */
#define GTDT_OFF_PLATFORM_COUNT   88 /* u32 Platform Timer Count */
#define GTDT_OFF_PLATFORM_OFFSET  92 /* u32 Platform Timer Offset */
#define GTDT_SIZE                 96
_Static_assert(GTDT_OFF_CNT_CONTROL_BASE + 8 + 4 == GTDT_OFF_SEC_EL1_GSIV, "5.2.25 base, reserved");
_Static_assert(GTDT_OFF_SEC_EL1_GSIV + 8 * 4 == GTDT_OFF_CNT_READ_BASE, "5.2.25 four GSIV/flags pairs");
_Static_assert(GTDT_OFF_PLATFORM_OFFSET + 4 == GTDT_SIZE, "5.2.25 GTDT revision 2 is 96 bytes");
#define GTDT_NO_BASE              0xffffffffffffffffULL /* 5.2.25: a memory-mapped counter block not provided */
#define GTDT_TIMER_EDGE           (1u << 0) /* 5.2.25 Timer Flags: 0 = level-triggered */
#define GTDT_TIMER_ACTIVE_LOW     (1u << 1) /* 0 = active high */
#define GTDT_TIMER_ALWAYS_ON      (1u << 2) /* keeps counting and interrupting in every power state */

/* Serial Port Console Redirection Table (Microsoft, revision 2): 80 bytes */
#define SPCR_REVISION             2
#define SPCR_OFF_INTERFACE_TYPE   36 /* u8, the DBG2 Serial Port Subtypes (Table 3) */
#define SPCR_OFF_BASE_ADDRESS     40 /* GAS */
#define SPCR_OFF_INTERRUPT_TYPE   52 /* u8 */
#define SPCR_OFF_IRQ              53 /* u8 PC-AT IRQ */
#define SPCR_OFF_GSIV             54 /* u32 Global System Interrupt */
#define SPCR_OFF_BAUD_RATE        58 /* u8 */
#define SPCR_OFF_PARITY           59 /* u8 */
#define SPCR_OFF_STOP_BITS        60 /* u8 */
#define SPCR_OFF_FLOW_CONTROL     61 /* u8 */
#define SPCR_OFF_TERMINAL_TYPE    62 /* u8 */
#define SPCR_OFF_PCI_DEVICE_ID    64 /* u16, 0xFFFF: not a PCI device */
#define SPCR_OFF_PCI_VENDOR_ID    66 /* u16, 0xFFFF */
#define SPCR_OFF_PCI_FLAGS        71 /* u32 */
#define SPCR_OFF_PCI_SEGMENT      75 /* u8 */
#define SPCR_SIZE                 80
_Static_assert(SPCR_OFF_BASE_ADDRESS + GAS_SIZE == SPCR_OFF_INTERRUPT_TYPE, "SPCR GAS then interrupt type");
_Static_assert(SPCR_OFF_PCI_SEGMENT + 1 + 4 == SPCR_SIZE, "SPCR revision 2 is 80 bytes");
#define SPCR_INTERFACE_PL011      0x03 /* DBG2 Table 3: ARM PL011 UART */
#define SPCR_INTERRUPT_GIC        (1u << 3) /* Interrupt Type bit 3: ARMH GIC interrupt (GSIV) */
#define SPCR_BAUD_115200          7
#define SPCR_STOP_BITS_1          1
#define SPCR_TERMINAL_VT100       0

/* 5.2.11.1 DSDT: header + AML; revision 2 means 64-bit AML integers */
#define DSDT_REVISION             2

/* 18.3.2 Hardware Error Source Table: header, u32 Error Source Count, then entries */
#define HEST_REVISION             1
#define HEST_OFF_SOURCE_COUNT     36
#define HEST_ENTRIES              40

/* 18.3.2.8 Generic Hardware Error Source version 2 (GHESv2), Table 18.16: 92 bytes */
#define GHES_TYPE_V2              10
#define GHES_OFF_TYPE             0  /* u16 */
#define GHES_OFF_SOURCE_ID        2  /* u16 */
#define GHES_OFF_RELATED_ID       4  /* u16, 0xFFFF: none */
#define GHES_OFF_FLAGS            6  /* u8 */
#define GHES_OFF_ENABLED          7  /* u8 */
#define GHES_OFF_PREALLOC         8  /* u32 Number of Records To Pre-allocate */
#define GHES_OFF_MAX_SECTIONS     12 /* u32 Max Sections Per Record */
#define GHES_OFF_MAX_RAW          16 /* u32 Max Raw Data Length */
#define GHES_OFF_STATUS_ADDRESS   20 /* GAS Error Status Address */
#define GHES_OFF_NOTIFY           32 /* 28-byte Hardware Error Notification Structure */
#define GHES_OFF_BLOCK_LENGTH     60 /* u32 Error Status Block Length */
#define GHES_OFF_READ_ACK         64 /* GAS Read Ack Register */
#define GHES_OFF_ACK_PRESERVE     76 /* u64 Read Ack Preserve */
#define GHES_OFF_ACK_WRITE        84 /* u64 Read Ack Write */
#define GHES_V2_SIZE              92
_Static_assert(GHES_OFF_STATUS_ADDRESS + GAS_SIZE == GHES_OFF_NOTIFY, "18.3.2.8 GAS then notify");
_Static_assert(GHES_OFF_READ_ACK + GAS_SIZE == GHES_OFF_ACK_PRESERVE, "18.3.2.8 read ack GAS");
_Static_assert(GHES_OFF_ACK_WRITE + 8 == GHES_V2_SIZE, "18.3.2.8 GHESv2 is 92 bytes");
#define GHES_RELATED_NONE         0xffff
#define GHES_ACK_PRESERVE         0xfffffffffffffffeULL /* keep every bit but bit 0 */
#define GHES_ACK_WRITE            1ULL                  /* then set bit 0: "acknowledged" */

/* 18.3.2.9 Hardware Error Notification Structure, Table 18.14: 28 bytes */
#define NOTIFY_OFF_TYPE           0  /* u8 */
#define NOTIFY_OFF_LENGTH         1  /* u8, 28 */
#define NOTIFY_OFF_CONFIG_WE      2  /* u16 Configuration Write Enable */
#define NOTIFY_OFF_POLL_INTERVAL  4  /* u32 milliseconds */
#define NOTIFY_OFF_VECTOR         8  /* u32 */
#define NOTIFY_SIZE               28
_Static_assert(GHES_OFF_NOTIFY + NOTIFY_SIZE == GHES_OFF_BLOCK_LENGTH, "18.3.2.9 notify is 28 bytes");
/* Table 18.15 notification types (Linux rejects 2, 5 and 6; 4 is x86-only, 8, 9, 11 arm64-only) */
#define NOTIFY_POLLED             0  /* the OS polls every Poll Interval ms */
#define NOTIFY_EXTERNAL           1  /* an interrupt whose GSI is the Vector */
#define NOTIFY_SCI                3  /* through the Hardware Error Device (PNP0C33) */
#define NOTIFY_NMI                4
#define NOTIFY_GPIO               7  /* through the Hardware Error Device */
#define NOTIFY_SEA                8  /* ARMv8 Synchronous External Abort: synchronous for Linux */
#define NOTIFY_GSIV               10 /* through the Hardware Error Device; Vector names the GSIV */

/* 18.3.2.7.1 Generic Error Status Block: 20 bytes */
#define GESB_OFF_BLOCK_STATUS     0  /* u32 */
#define GESB_OFF_RAW_OFFSET       4  /* u32 Raw Data Offset */
#define GESB_OFF_RAW_LENGTH       8  /* u32 Raw Data Length */
#define GESB_OFF_DATA_LENGTH      12 /* u32 Data Length */
#define GESB_OFF_SEVERITY         16 /* u32 Error Severity */
#define GESB_SIZE                 20
#define GESB_UE_VALID             (1u << 0) /* Table 18.11 Block Status */
#define GESB_CE_VALID             (1u << 1)
#define GESB_MULTIPLE_UE          (1u << 2)
#define GESB_MULTIPLE_CE          (1u << 3)
#define GESB_ENTRY_COUNT_SHIFT    4  /* bits 13:4 Error Data Entry Count */
#define GESB_ENTRY_COUNT_MAX      0x3ff

/* 18.3.2.7.1 Generic Error Data Entry, Table 18.12: 64 bytes, 72 from revision 0x300 */
#define GEDE_OFF_SECTION_TYPE     0  /* GUID */
#define GEDE_OFF_SEVERITY         16 /* u32 */
#define GEDE_OFF_REVISION         20 /* u16 */
#define GEDE_OFF_VALIDATION       22 /* u8 */
#define GEDE_OFF_FLAGS            23 /* u8 */
#define GEDE_OFF_DATA_LENGTH      24 /* u32 Error Data Length */
#define GEDE_OFF_FRU_ID           28 /* GUID */
#define GEDE_OFF_FRU_TEXT         44 /* char[20] */
#define GEDE_OFF_TIMESTAMP        64 /* u64, revision 0x300 only */
#define GEDE_SIZE_V2              64
#define GEDE_SIZE_V3              72
_Static_assert(GEDE_OFF_FRU_TEXT + 20 == GEDE_SIZE_V2, "Table 18.12 entry before timestamps");
_Static_assert(GEDE_OFF_TIMESTAMP + 8 == GEDE_SIZE_V3, "Table 18.12 revision 0x300 entry");
#define GEDE_REVISION             0x300
#define GEDE_VALID_FRU_ID         0x1
#define GEDE_VALID_FRU_TEXT       0x2
#define GEDE_VALID_TIMESTAMP      0x4
#define GEDE_FLAG_PRIMARY         0x1

/* Error severities (18.3.2.7.1 and UEFI N.2.1) */
#define CPER_SEV_RECOVERABLE      0
#define CPER_SEV_FATAL            1
#define CPER_SEV_CORRECTED        2
#define CPER_SEV_NONE             3

/* UEFI 2.10 N.2.5 Memory Error Section: 80 bytes */
#define MEM_OFF_VALIDATION        0  /* u64 */
#define MEM_OFF_ERROR_STATUS      8  /* u64 */
#define MEM_OFF_PA                16 /* u64 Physical Address */
#define MEM_OFF_PA_MASK           24 /* u64 Physical Address Mask */
#define MEM_OFF_NODE              32 /* u16 node, card, module, bank, device, row, column, bit position */
#define MEM_OFF_REQUESTOR         48 /* u64 */
#define MEM_OFF_ERROR_TYPE        72 /* u8 */
#define MEM_OFF_RANK              74 /* u16 */
#define MEM_SIZE                  80
#define MEM_SIZE_OLD              73 /* Linux's cper_sec_mem_err_old: up to error_type */
_Static_assert(MEM_OFF_NODE + 8 * 2 == MEM_OFF_REQUESTOR, "N.2.5 eight u16 location fields");
_Static_assert(MEM_OFF_REQUESTOR + 3 * 8 == MEM_OFF_ERROR_TYPE, "N.2.5 requestor, responder, target");
_Static_assert(MEM_OFF_RANK + 3 * 2 == MEM_SIZE, "N.2.5 rank, array and device handles");
#define MEM_VALID_ERROR_STATUS    0x1
#define MEM_VALID_PA              0x2
#define MEM_VALID_PA_MASK         0x4
#define MEM_VALID_ERROR_TYPE      0x4000

/* UEFI 2.10 N.2.4.4 ARM Processor Error Section: 40-byte header, 32-byte error info entries */
#define ARM_OFF_VALIDATION        0  /* u32 */
#define ARM_OFF_ERR_INFO_NUM      4  /* u16 */
#define ARM_OFF_CONTEXT_INFO_NUM  6  /* u16 */
#define ARM_OFF_SECTION_LENGTH    8  /* u32 */
#define ARM_OFF_AFFINITY_LEVEL    12 /* u8 */
#define ARM_OFF_MPIDR             16 /* u64 */
#define ARM_OFF_MIDR              24 /* u64 */
#define ARM_OFF_RUNNING_STATE     32 /* u32 */
#define ARM_OFF_PSCI_STATE        36 /* u32 */
#define ARM_HEADER_SIZE           40
#define ARM_VALID_MPIDR           0x1
#define ARM_VALID_RUNNING_STATE   0x4
#define ARM_INFO_OFF_VERSION      0  /* u8 */
#define ARM_INFO_OFF_LENGTH       1  /* u8, 32 */
#define ARM_INFO_OFF_VALIDATION   2  /* u16 */
#define ARM_INFO_OFF_TYPE         4  /* u8: 0 cache, 1 TLB, 2 bus, 3 micro-architectural */
#define ARM_INFO_OFF_MULTIPLE     5  /* u16 */
#define ARM_INFO_OFF_FLAGS        7  /* u8 */
#define ARM_INFO_OFF_ERROR_INFO   8  /* u64 */
#define ARM_INFO_OFF_VIRT_ADDR    16 /* u64 */
#define ARM_INFO_OFF_PHYS_ADDR    24 /* u64 */
#define ARM_INFO_SIZE             32
#define ARM_INFO_VALID_FLAGS      0x2
#define ARM_INFO_VALID_PHYS_ADDR  0x10
#define ARM_CONTEXT_HEADER_SIZE   8  /* u16 version, u16 type, u32 register array size */
#define ARM_VALID_AFFINITY_LEVEL  0x2
#define ARM_INFO_VALID_MULTIPLE   0x1
#define ARM_INFO_VALID_ERROR_INFO 0x4
#define ARM_INFO_VALID_VIRT_ADDR  0x8
/* UEFI 2.9A errata N.2.4.4.1: Type is a bitmap: bit 1 cache, 2 TLB, 3 bus, 4 micro-architectural */
#define ARM_INFO_TYPE_MASK        0x1e
#define ARM_INFO_TYPE_CACHE       0x2
#define ARM_INFO_TYPE_TLB         0x4
#define ARM_INFO_TYPE_BUS         0x8
#define ARM_INFO_TYPE_VENDOR      0x10

/* UEFI 2.10 N.2.4.1 Generic Processor Error Section */
#define PROC_OFF_VALIDATION       0   /* u64 */
#define PROC_OFF_TYPE             8   /* u8 */
#define PROC_OFF_ISA              9   /* u8 */
#define PROC_OFF_ERROR_TYPE       10  /* u8 */
#define PROC_OFF_OPERATION        11  /* u8 */
#define PROC_OFF_FLAGS            12  /* u8 */
#define PROC_OFF_LEVEL            13  /* u8 */
#define PROC_OFF_VERSION          16  /* u64 CPU Version Info */
#define PROC_OFF_BRAND            24  /* char[128] */
#define PROC_OFF_ID               152 /* u64 */
#define PROC_OFF_TARGET           160 /* u64 */
#define PROC_OFF_REQUESTOR        168 /* u64 */
#define PROC_OFF_RESPONDER        176 /* u64 */
#define PROC_OFF_IP               184 /* u64 */
#define PROC_SIZE                 192
_Static_assert(PROC_OFF_BRAND + 128 == PROC_OFF_ID, "N.2.4.1 brand string then processor id");
_Static_assert(PROC_OFF_IP + 8 == PROC_SIZE, "N.2.4.1 ends with the instruction IP");

#endif
