/* SPDX-License-Identifier: MIT */
/*
 * A small AML writer (ACPI 6.5 chapter 20, "ACPI Machine Language Specification") for the
 * few constructs rasvm's DSDT uses. Objects with a PkgLength are written as begin/end pairs:
 * begin reserves the longest PkgLength, end shrinks it to the shortest encoding.
 */
#ifndef RASVM_ACPI_AML_H
#define RASVM_ACPI_AML_H

#include <stdbool.h>
#include <stdint.h>

#include "acpi/buf.h"

/* 20.2.5.1 Scope(name) { ... } */
size_t aml_scope_begin(struct acpi_buf *b, const char *name);
/* 20.2.5.2 Device(name) { ... } */
size_t aml_device_begin(struct acpi_buf *b, const char *name);
/* 20.2.5.2 Method(name, nargs) { ... }, not serialized */
size_t aml_method_begin(struct acpi_buf *b, const char *name, unsigned nargs);
/* Closes a scope, device, method or buffer. */
void aml_end(struct acpi_buf *b, size_t pkg);

/* 20.2.5.1 Name(name, integer), the shortest integer encoding (20.2.3). */
void aml_name_int(struct acpi_buf *b, const char *name, uint64_t value);
/* 20.2.5.4 Name(name, Package(n) { integers }) */
void aml_name_package(struct acpi_buf *b, const char *name, const uint64_t *v, unsigned n);
/* Name(name, "string") */
void aml_name_string(struct acpi_buf *b, const char *name, const char *s);
/* Name(name, EISAID("ABC1234")); returns -EINVAL for a malformed id. */
int aml_name_eisaid(struct acpi_buf *b, const char *name, const char *id);

/* Name(_CRS, ResourceTemplate() { ... }): begin, descriptors, end (adds the End Tag). */
size_t aml_crs_begin(struct acpi_buf *b);
void aml_crs_end(struct acpi_buf *b, size_t pkg);
/* 6.4.2.5 I/O Port Descriptor, 16-bit decode, fixed base. */
void aml_res_io(struct acpi_buf *b, uint16_t base, uint8_t len);
/* 6.4.2.1 IRQ Descriptor without flags (edge, active high). */
void aml_res_irq(struct acpi_buf *b, uint8_t irq);

/* 20.2.5.3 Notify(path, value); path like "\\_SB.HED" */
void aml_notify(struct acpi_buf *b, const char *path, uint64_t value);
/* 6.4.3.6 Extended Interrupt Descriptor, one interrupt, resource consumer, exclusive. */
void aml_res_ext_irq(struct acpi_buf *b, uint32_t gsi, bool edge, bool active_low);

/* 6.4.3.4 32-Bit Fixed Memory Range Descriptor, read-write. */
void aml_res_mem32_fixed(struct acpi_buf *b, uint32_t base, uint32_t len);

/*
 * \_SB._OSC (6.2.11), written inside Scope(\_SB). For the platform-wide UUID (6.2.11.2) it
 * grants only "APEI Support" (bit 4) of the capabilities the OS offers, setting Capabilities
 * Masked when it clears others; for the WHEA UUID Linux's apei_osc_setup() asks with, it
 * succeeds; any other UUID gets Unrecognized UUID. With both, Linux prints "GHES: APEI
 * firmware first mode is enabled by APEI bit and WHEA _OSC." instead of "Failed to enable".
 */
void aml_osc_apei(struct acpi_buf *b);

/* EISA id compression (6.1.5 _HID) without writing; -EINVAL for a malformed id. */
int aml_eisaid(const char *id, uint32_t *out);

#endif
