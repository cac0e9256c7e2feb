// SPDX-License-Identifier: MIT
#include "dev/serial.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "dev/device.h"
#include "log.h"
#include "rasvm/layout.h"
#include "vm.h"

/* Register offsets and bits: PC16550D data sheet, "Register Summary". */
#define UART_RBR_THR 0 /* DLAB=0: receive / transmit holding; DLAB=1: DLL */
#define UART_IER     1 /* DLAB=0: interrupt enable; DLAB=1: DLM */
#define UART_IIR_FCR 2 /* read: interrupt identification; write: FIFO control */
#define UART_LCR     3
#define UART_MCR     4
#define UART_LSR     5
#define UART_MSR     6
#define UART_SCR     7
#define UART_NPORTS  8

#define LCR_DLAB     0x80
#define IER_THRI     0x02 /* transmit holding register empty interrupt */
#define IIR_NO_INT   0x01
#define IIR_THRI     0x02
#define IIR_FIFO     0xc0 /* FIFOs enabled, as a 16550A reports */
#define FCR_ENABLE   0x01
#define LSR_THRE     0x20
#define LSR_TEMT     0x40
#define MCR_LOOP     0x10
#define MSR_DCD_DSR_CTS 0xb0

static void write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return; /* the console is best effort: a closed pipe must not stop the VM */
		p += w;
		n -= (size_t)w;
	}
}

void serial_flush(struct serial *s)
{
	if (s->len && s->fd >= 0)
		write_all(s->fd, s->line, s->len);
	s->len = 0;
}

static void update_irq(struct vm *vm, struct serial *s)
{
	bool level = (s->ier & IER_THRI) && s->thr_interrupt;

	if (level == s->irq_level)
		return;
	s->irq_level = level;
	struct kvm_irq_level irq = { .irq = IRQ_COM1, .level = level };
	if (ioctl(vm->vm_fd, KVM_IRQ_LINE, &irq) < 0)
		log_warn("serial: KVM_IRQ_LINE failed: %s", strerror(errno));
}

static void transmit(struct serial *s, uint8_t c)
{
	s->line[s->len++] = (char)c;
	if (c == '\n' || s->len == sizeof(s->line))
		serial_flush(s);
}

static uint8_t modem_status(const struct serial *s)
{
	if (!(s->mcr & MCR_LOOP))
		return MSR_DCD_DSR_CTS;
	/* Loopback: DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD (drivers probe this). */
	return (uint8_t)(((s->mcr & 0x01) << 5) | ((s->mcr & 0x02) << 3) | ((s->mcr & 0x04) << 4) |
			 ((s->mcr & 0x08) << 4));
}

void serial_pio(struct vm *vm, struct vcpu *vcpu, uint16_t offset, bool is_write, uint8_t *data,
		unsigned size)
{
	struct serial *s = &vm->serial;
	bool dlab;

	(void)vcpu;
	if (size != 1) {
		if (!is_write)
			memset(data, 0xff, size);
		return;
	}
	pthread_mutex_lock(&s->lock);
	dlab = s->lcr & LCR_DLAB;
	if (is_write) {
		uint8_t v = *data;
		switch (offset) {
		case UART_RBR_THR:
			if (dlab) {
				s->dll = v;
			} else {
				if (!(s->mcr & MCR_LOOP))
					transmit(s, v);
				s->thr_interrupt = true; /* sent at once, so empty again */
			}
			break;
		case UART_IER:
			if (dlab) {
				s->dlm = v;
			} else {
				s->ier = v & 0x0f;
				if (s->ier & IER_THRI)
					s->thr_interrupt = true;
			}
			break;
		case UART_IIR_FCR: s->fifo_enabled = v & FCR_ENABLE; break;
		case UART_LCR: s->lcr = v; break;
		case UART_MCR: s->mcr = v & 0x1f; break;
		case UART_SCR: s->scr = v; break;
		default: break; /* LSR and MSR are read-only */
		}
	} else {
		switch (offset) {
		case UART_RBR_THR: *data = dlab ? s->dll : 0; break;
		case UART_IER: *data = dlab ? s->dlm : s->ier; break;
		case UART_IIR_FCR:
			if ((s->ier & IER_THRI) && s->thr_interrupt) {
				*data = IIR_THRI;
				s->thr_interrupt = false; /* reading IIR acknowledges THRE */
			} else {
				*data = IIR_NO_INT;
			}
			if (s->fifo_enabled)
				*data |= IIR_FIFO;
			break;
		case UART_LCR: *data = s->lcr; break;
		case UART_MCR: *data = s->mcr; break;
		case UART_LSR: *data = LSR_THRE | LSR_TEMT; break;
		case UART_MSR: *data = modem_status(s); break;
		case UART_SCR: *data = s->scr; break;
		default: *data = 0xff; break;
		}
	}
	update_irq(vm, s);
	pthread_mutex_unlock(&s->lock);
}

static int serial_init(struct vm *vm)
{
	struct serial *s = &vm->serial;

	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	s->fd = -1;
	switch (vm->cfg->serial) {
	case SERIAL_STDIO:
		s->fd = STDOUT_FILENO;
		break;
	case SERIAL_FILE:
		s->fd = open(vm->cfg->serial_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (s->fd < 0) {
			int err = errno;
			log_err("--serial file:%s: cannot open: %s", vm->cfg->serial_path, strerror(err));
			return -err;
		}
		s->own_fd = true;
		break;
	case SERIAL_NONE:
		break;
	}
	return 0;
}

static void serial_exit(struct vm *vm)
{
	struct serial *s = &vm->serial;

	serial_flush(s);
	if (s->own_fd)
		close(s->fd);
	pthread_mutex_destroy(&s->lock);
}

const struct device_ops serial_device = {
	.name = "serial",
	.port = PORT_COM1,
	.nports = UART_NPORTS,
	.init = serial_init,
	.exit = serial_exit,
	.pio = serial_pio,
};
