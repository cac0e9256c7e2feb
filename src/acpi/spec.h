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
#define FADT_OFF_MINOR_REVISION   131 /* u8 */
#define FADT_OFF_X_DSDT           140 /* u64 */
#define FADT_OFF_HYPERVISOR_ID    268 /* u64 Hypervisor Vendor Identity */
#define FADT_SIZE                 276
_Static_assert(FADT_OFF_HYPERVISOR_ID + 8 == FADT_SIZE, "5.2.9 FADT revision 6 is 276 bytes");
#define FADT_FLAG_HW_REDUCED_ACPI (1u << 20) /* Table 5.10: no fixed hardware, events via GED */
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

#endif
