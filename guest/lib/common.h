/* SPDX-License-Identifier: MIT */
/*
 * What guest/lib/ gives both test guests (x86: guest/guest.h, arm64: guest/arm64/guest.h, each
 * of which includes this). The code here is portable C; what differs per architecture it asks
 * of the guest's own guest.h, as static inline functions:
 *   void cpu_relax(void);                 spin-wait hint
 *   void cpu_stop(void);                  interrupts off, halt (power_off's last resort)
 *   unsigned console_cpu(void);           this CPU's number, for the console lock
 *   void console_putc(uint8_t c);         one byte to the console UART, polled
 *   void test_port_write(uint64_t gpa);   hand rasvm a ucall block (layout.h UCALL_*)
 *   void power_port_write(uint8_t code);  power off with this exit code (0-63)
 *   uint64_t reg_read64(uint64_t a);      a GHES register (ACPI GAS, system memory)
 *   void reg_write64(uint64_t a, uint64_t v);
 */
#ifndef GUEST_LIB_COMMON_H
#define GUEST_LIB_COMMON_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* lib/string.c */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
uint64_t get_le(const void *p, unsigned width);

/* lib/format.c, lib/print.c: output to the console (polled; one line at a time is serialised
 * between vCPUs) */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* lib/ucall.c: the test port and the power-off port (on arm64, registers of the device page) */
void ucall_sync(uint64_t stage, const char *label);
void ucall_done(void);
/* With rasvm --guest-poison: the simulator poisons the page; 0 or -errno. */
int64_t ucall_poison(uint64_t gpa, int action_optional);
void ucall_assert(const char *file, unsigned line, const char *msg) __attribute__((noreturn));
void power_off(uint8_t code) __attribute__((noreturn));
#define GUEST_ASSERT(cond)                                                   \
	do {                                                                 \
		if (!(cond))                                                 \
			ucall_assert(__FILE__, __LINE__, "assert: " #cond); \
	} while (0)

/* lib/acpi_table.c: the byte sum of n bytes (0 for a good ACPI table); a table's checksum
 * verdict, printed as Linux prints it when verbose or bad (1: good) */
uint8_t acpi_sum(const void *p, uint64_t n);
int acpi_table_sum_ok(const uint8_t *t, uint64_t addr, uint32_t len, int verbose);

/* lib/hest.c: the GHESv2 sources of the HEST, checked as Linux checks them (which
 * notifications the guest takes: its guest.h's GUEST_NOTIFY_OK) */
#define GHES_MAX 8
struct ghes_source {
	uint16_t id;
	uint8_t notify;       /* ACPI 6.5 Table 18.14: 0 polled, 3 SCI, 4 NMI, 8 SEA, 10 GSIV */
	uint32_t poll_ms;
	uint32_t vector;      /* external, GSIV: the interrupt */
	uint32_t block_length;
	uint64_t address_reg; /* holds the status block's address */
	uint64_t ack_reg;
	uint64_t ack_preserve, ack_write;
};
/* Sources found (0 when there is no HEST), or -1 with *why set. */
int hest_read(struct ghes_source *src, int max, const char **why);

/* lib/ghes.c: the GHES sources, read as Linux's drivers/acpi/apei/ghes.c reads them */
struct trap_frame;
struct gcper_result;
void ghes_read_sources(void); /* the HEST's sources into ras.sources; a bad HEST asserts */
/* One source's status block, as ghes_proc() reads it (sync: it came with the access that
 * faulted, arm64's SEA; never on x86): 1 when it held a record, 0 when empty. f is the
 * interrupted context, 0 when polling. */
int ghes_process(const struct ghes_source *src, struct trap_frame *f, int sync);
const struct ghes_source *ras_source(unsigned notify);
void kill_task(struct trap_frame *f); /* the task that touched the page: SIGBUS, it ends */
/* ... and what it asks of the guest's ras.c: */
/* Why the status block at block cannot be read (outside where the firmware keeps it), or 0. */
const char *ras_block_bad(uint64_t block, uint32_t len);
/* memory_failure() for an address the record names; 1 when the interrupted context is the
 * task using the page (ghes_process ends it). */
int ras_memory_failure(uint64_t pa, struct trap_frame *f, int sync);
/* The record's sections besides the memory errors (b: the block, rp: gcper_read's result). */
void ras_record_sections(const uint8_t *b, const struct gcper_result *rp, struct trap_frame *f);

#endif
