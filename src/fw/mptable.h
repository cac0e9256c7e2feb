/* SPDX-License-Identifier: MIT */
/*
 * The x86 MP table (Intel MultiProcessor Specification 1.4, May 1997): the BIOS's legacy
 * description of processors, buses and interrupt routing. Bytes in, bytes out: no KVM, no
 * globals, no logging.
 *
 * rasvm's guests learn the machine from ACPI (the MADT), and Linux prefers it, but Linux
 * still looks for an MP floating pointer early in setup_arch(), before ACPI: 16 bytes at a
 * time over [0, 1 KiB), [639 KiB, 640 KiB) and the 64 KiB at 0xF0000, remapping at every
 * step (arch/x86/kernel/mpparse.c, smp_scan_config). Where there is none that is about 4200
 * early_memremap() calls, 3.8 s of a Linux boot on a host whose KVM emulates guest CPL0
 * code. A table at 639 KiB ends the scan at its 65th step, as SeaBIOS's and qboot's do for
 * QEMU, and with `acpi=off` Linux boots every vCPU and routes the ISA interrupts from it.
 */
#ifndef RASVM_FW_MPTABLE_H
#define RASVM_FW_MPTABLE_H

#include <stddef.h>
#include <stdint.h>

#include "acpi/tables.h"

#define MP_FLOATING_SIZE 16 /* 4.1: the floating pointer structure, 16 bytes */

/* Bytes the configuration table takes for cpus processors (4.2-4.3). */
size_t mptable_config_size(uint32_t cpus);

/*
 * Write the MP configuration table for the x86 platform p into config (cap bytes, to live at
 * guest physical config_gpa) and the floating pointer that points at it into floating
 * (MP_FLOATING_SIZE bytes). Returns the configuration table's length, -EINVAL for a platform
 * the table cannot describe (no vCPU, more than 254, an IRQ beyond ISA's 16, a table beyond
 * 4 GiB), -ENOSPC when it does not fit in cap.
 */
long mptable_build(const struct acpi_platform *p, uint8_t *config, size_t cap, uint64_t config_gpa,
		   uint8_t floating[MP_FLOATING_SIZE]);

#endif
