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
#define FADT_OFF_MINOR_REVISION   131 /* u8 */
#define FADT_OFF_X_DSDT           140 /* u64 */
#define FADT_OFF_HYPERVISOR_ID    268 /* u64 Hypervisor Vendor Identity */
#define FADT_SIZE                 276
_Static_assert(FADT_OFF_HYPERVISOR_ID + 8 == FADT_SIZE, "5.2.9 FADT revision 6 is 276 bytes");
#define FADT_FLAG_HW_REDUCED_ACPI (1u << 20) /* Table 5.10: no fixed hardware, events via GED */
#define FADT_FLAG_RESET_REG_SUP   (1u << 10) /* Table 5.10: RESET_REG resets the system */
#define FADT_IAPC_VGA_NOT_PRESENT (1u << 2)  /* 5.2.9.3 */
#define FADT_IAPC_CMOS_RTC_NOT_PRESENT (1u << 5) /* 5.2.9.3 */

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

/* 5.2.11.1 DSDT: header + AML; revision 2 means 64-bit AML integers */
#define DSDT_REVISION             2

/* 5.2.3.2 Generic Address Structure: 12 bytes */
#define GAS_SIZE                  12
#define GAS_SPACE_SYSTEM_MEMORY   0
#define GAS_SPACE_SYSTEM_IO       1
#define GAS_ACCESS_BYTE           1
#define GAS_ACCESS_QWORD          4

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

#endif
