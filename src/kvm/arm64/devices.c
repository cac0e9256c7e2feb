// SPDX-License-Identifier: MIT
/*
 * The arm64 machine's devices (arch_devices), both MMIO, every access checked:
 *
 *  - a PL011 UART at LAYOUT_ARM64_UART (ARM DDI 0183, PrimeCell UART): transmit to the console
 *    (dev/serial.c's ring and writer), no receive (the receive FIFO is always empty), the
 *    transmit interrupt on SPI IRQ_ARM64_UART as QEMU's pl011 raises it: set on every byte
 *    written, cleared through UARTICR, the line = UARTRIS & UARTIMSC. What Linux's amba-pl011
 *    (device tree) and sbsa-uart (ACPI, 32-bit accesses only) and earlycon use;
 *  - rasvm's device page at LAYOUT_ARM64_DEVICES: the test register (the GPA of a ucall
 *    block, layout.h UCALL_*), the power-off register, the timestamp register.
 */
#include <errno.h>
#include <string.h>

#include "dev/device.h"
#include "kvm/arm64/arm64.h"
#include "kvm/arch.h"
#include "le.h"
#include "log.h"
#include "ras/ras.h"
#include "rasvm/layout_arm64.h"
#include "vm.h"

/* PL011 registers (ARM DDI 0183G, 3.2 Summary of registers) */
#define UARTDR    0x000
#define UARTRSR   0x004
#define UARTFR    0x018
#define UARTILPR  0x020
#define UARTIBRD  0x024
#define UARTFBRD  0x028
#define UARTLCR_H 0x02c
#define UARTCR    0x030
#define UARTIFLS  0x034
#define UARTIMSC  0x038
#define UARTRIS   0x03c
#define UARTMIS   0x040
#define UARTICR   0x044
#define UARTDMACR 0x048
#define UARTPERIPHID0 0xfe0 /* PeriphID0-3, then PCellID0-3 at 0xff0 */
#define FR_RXFE   (1u << 4)
#define FR_TXFE   (1u << 7)
#define CR_UARTEN (1u << 0)
#define CR_LBE    (1u << 7)  /* loopback: what is sent does not leave the UART */
#define CR_RESET  0x300      /* TXE | RXE */
#define INT_TX    (1u << 5)
#define INT_MASK  0x7ff
#define IFLS_RESET 0x12

/* PrimeCell identification, as QEMU's pl011 (part 0x011, ARM, revision 1). */
static const uint8_t pl011_id[8] = { 0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };

/* One VM per process: the UART's registers, under vm->serial.lock. */
static struct {
	uint32_t cr, lcr_h, ibrd, fbrd, ifls, imsc, ris, dmacr, ilpr;
	bool irq_level;
} uart;

static void pl011_update_irq(struct vm *vm)
{
	bool level = (uart.ris & uart.imsc) != 0;

	if (level == uart.irq_level)
		return;
	uart.irq_level = level;
	int r = arm64_spi_line(vm, IRQ_ARM64_UART, level);
	if (r)
		log_warn_rl("pl011: KVM_IRQ_LINE failed: %s", strerror(-r));
}

static uint32_t pl011_read(uint64_t off)
{
	switch (off) {
	case UARTDR: return 0; /* nothing received, ever */
	case UARTRSR: return 0;
	case UARTFR: return FR_TXFE | FR_RXFE; /* sent at once: never busy, never full */
	case UARTILPR: return uart.ilpr;
	case UARTIBRD: return uart.ibrd;
	case UARTFBRD: return uart.fbrd;
	case UARTLCR_H: return uart.lcr_h;
	case UARTCR: return uart.cr;
	case UARTIFLS: return uart.ifls;
	case UARTIMSC: return uart.imsc;
	case UARTRIS: return uart.ris;
	case UARTMIS: return uart.ris & uart.imsc;
	case UARTDMACR: return uart.dmacr;
	default:
		if (off >= UARTPERIPHID0 && off < UARTPERIPHID0 + 32 && off % 4 == 0)
			return pl011_id[(off - UARTPERIPHID0) / 4];
		return 0;
	}
}

static void pl011_write(struct vm *vm, uint64_t off, uint32_t v)
{
	switch (off) {
	case UARTDR:
		if (!(uart.cr & CR_LBE))
			serial_console_put(&vm->serial, (uint8_t)v);
		uart.ris |= INT_TX; /* the byte left at once: room in the FIFO again */
		break;
	case UARTRSR: break; /* clears errors; there are none */
	case UARTILPR: uart.ilpr = v & 0xff; break;
	case UARTIBRD: uart.ibrd = v & 0xffff; break;
	case UARTFBRD: uart.fbrd = v & 0x3f; break;
	case UARTLCR_H: uart.lcr_h = v & 0xff; break;
	case UARTCR: uart.cr = v & 0xffff; break;
	case UARTIFLS: uart.ifls = v & 0x3f; break;
	case UARTIMSC: uart.imsc = v & INT_MASK; break;
	case UARTICR: uart.ris &= ~v; break;
	case UARTDMACR: uart.dmacr = v & 7; break;
	default: break; /* read-only or reserved */
	}
}

static void pl011_mmio(struct vm *vm, struct vcpu *vcpu, uint64_t offset, bool is_write,
		       uint8_t *data, unsigned size)
{
	(void)vcpu;
	/* Registers are 32 bits wide (the SBSA UART's only width); Linux's amba-pl011 may use
	 * 16-bit accesses (reg-io-width): any aligned access within a register works. */
	uint64_t reg = offset & ~3ULL;
	unsigned shift = (unsigned)(offset & 3) * 8;
	bool ok = size <= 4 && (offset & 3) + size <= 4;

	pthread_mutex_lock(&vm->serial.lock);
	if (!is_write) {
		le_put(data, ok ? pl011_read(reg) >> shift : 0, size);
	} else if (ok) {
		pl011_write(vm, reg, (uint32_t)(le_get(data, size) << shift));
		pl011_update_irq(vm);
	}
	pthread_mutex_unlock(&vm->serial.lock);
	if (!ok)
		log_debug_rl("pl011: %u-byte %s at offset 0x%llx ignored", size, is_write ? "write" : "read",
			     (unsigned long long)offset);
}

static void pl011_reset(struct vm *vm)
{
	pthread_mutex_lock(&vm->serial.lock);
	memset(&uart, 0, sizeof(uart));
	uart.cr = CR_RESET;
	uart.ifls = IFLS_RESET;
	pthread_mutex_unlock(&vm->serial.lock);
}

const struct device_ops pl011_device = {
	.name = "pl011",
	.mmio_base = LAYOUT_ARM64_UART,
	.mmio_len = LAYOUT_ARM64_UART_SIZE,
	.init = serial_console_init,
	.exit = serial_console_exit,
	.reset = pl011_reset,
	.mmio = pl011_mmio,
};

/* rasvm's device page: ARM64_DEV_TEST takes a 64-bit write (a 32-bit one for a block below
 * 4 GiB is taken too), ARM64_DEV_POWER an 8-bit one (any width: the low byte counts),
 * ARM64_DEV_MARK any write. Reads return 0; anything else is ignored. */
static void devpage_mmio(struct vm *vm, struct vcpu *vcpu, uint64_t offset, bool is_write,
			 uint8_t *data, unsigned size)
{
	uint64_t t = now_ns();
	uint64_t reg = LAYOUT_ARM64_DEVICES + offset;

	if (!is_write) {
		memset(data, 0, size);
		return;
	}
	switch (reg) {
	case ARM64_DEV_TEST:
		if (size == 8 || size == 4)
			testport_call(vm, vcpu, le_get(data, size));
		else
			log_warn_rl("vcpu %u: test register written with %u bytes, expected 8; ignored",
				    vcpu->index, size);
		break;
	case ARM64_DEV_POWER:
		power_off_request(vm, vcpu, data[0]);
		break;
	case ARM64_DEV_MARK:
		if (vm->ras)
			ras_mark(vm, t);
		break;
	default:
		log_debug_rl("vcpu %u: %u-byte write to device page offset 0x%llx ignored", vcpu->index,
			     size, (unsigned long long)offset);
		break;
	}
}

const struct device_ops devpage_device = {
	.name = "devices",
	.mmio_base = LAYOUT_ARM64_DEVICES,
	.mmio_len = LAYOUT_ARM64_DEVICES_SIZE,
	.mmio = devpage_mmio,
};

const struct device_ops *const arch_devices[] = { &pl011_device, &devpage_device, NULL };
