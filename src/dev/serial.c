// SPDX-License-Identifier: MIT
#include "dev/serial.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <time.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "dev/device.h"
#include "log.h"
#include "sandbox/sandbox.h"
#include "rasvm/layout.h"
#include "state/sections.h"
#include "state/stream.h"
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

/* The writer thread: the only place that may block on the console. */
static void *writer_thread(void *arg)
{
	struct serial *s = arg;

	if (sandbox_enter(SANDBOX_CONSOLE))
		log_warn("serial: the console writer runs unconfined: the kernel refused its sandbox");
	pthread_mutex_lock(&s->lock);
	for (;;) {
		while (!s->len && !s->stop)
			pthread_cond_wait(&s->cond, &s->lock);
		if (!s->len)
			break;
		uint32_t n = s->len, head = s->head;
		if (head + n > SERIAL_BUFFER)
			n = SERIAL_BUFFER - head; /* up to the end of the ring; the rest next time */
		s->writing = true;
		pthread_mutex_unlock(&s->lock);
		ssize_t w = write(s->fd, s->buf + head, n);
		pthread_mutex_lock(&s->lock);
		s->writing = false;
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			w = n; /* the console is best effort: a closed pipe must not stop the VM */
		s->head = (s->head + (uint32_t)w) % SERIAL_BUFFER;
		s->len -= (uint32_t)w;
		pthread_cond_broadcast(&s->cond);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

static void update_irq(struct vm *vm, struct serial *s)
{
	bool level = (s->ier & IER_THRI) && s->thr_interrupt;

	if (level == s->irq_level)
		return;
	s->irq_level = level;
	struct kvm_irq_level irq = { .irq = IRQ_COM1, .level = level };
	if (ioctl(vm->vm_fd, KVM_IRQ_LINE, &irq) < 0)
		log_warn_rl("serial: KVM_IRQ_LINE failed: %s", strerror(errno));
}

void serial_console_put(struct serial *s, uint8_t c)
{
	if (s->fd < 0)
		return;
	if (s->len == SERIAL_BUFFER) {
		s->dropped++;
		return;
	}
	s->buf[(s->head + s->len) % SERIAL_BUFFER] = (char)c;
	s->len++;
	if (c == '\n' || s->len >= SERIAL_BUFFER / 2)
		pthread_cond_broadcast(&s->cond);
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
					serial_console_put(s, v);
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

static void serial_reset(struct vm *vm)
{
	struct serial *s = &vm->serial;

	pthread_mutex_lock(&s->lock);
	s->ier = s->lcr = s->mcr = s->scr = s->dll = s->dlm = 0;
	s->fifo_enabled = s->thr_interrupt = s->irq_level = false;
	pthread_mutex_unlock(&s->lock);
}

void serial_state_save(struct serial *s, struct state_out *o)
{
	pthread_mutex_lock(&s->lock);
	out_begin(o, TAG_SERL, SERL_VERSION, 0);
	out_u8(o, s->ier);
	out_u8(o, s->lcr);
	out_u8(o, s->mcr);
	out_u8(o, s->scr);
	out_u8(o, s->dll);
	out_u8(o, s->dlm);
	out_u8(o, s->fifo_enabled);
	out_u8(o, s->thr_interrupt);
	out_u8(o, s->irq_level);
	out_u64(o, s->dropped);
	out_end(o);
	pthread_mutex_unlock(&s->lock);
}

int serial_state_load(struct serial *s, struct state_in *in)
{
	uint8_t r[9];
	uint64_t dropped;

	if (in->version != SERL_VERSION)
		return in_fail(in, "SERL version %u: this rasvm reads version %u", in->version, SERL_VERSION);
	if (in_section_begin(in) || in_bytes(in, r, sizeof(r)) || in_u64(in, &dropped) || in_section_end(in))
		return -1;
	if ((r[0] & ~0x0f) || (r[2] & ~0x1f) || r[6] > 1 || r[7] > 1 || r[8] > 1)
		return in_fail(in, "SERL: register values a 16550 cannot hold");
	pthread_mutex_lock(&s->lock);
	s->ier = r[0];
	s->lcr = r[1];
	s->mcr = r[2];
	s->scr = r[3];
	s->dll = r[4];
	s->dlm = r[5];
	s->fifo_enabled = r[6];
	s->thr_interrupt = r[7];
	s->irq_level = r[8]; /* the line's level travels in the interrupt controllers' state */
	s->dropped = dropped;
	pthread_mutex_unlock(&s->lock);
	return 0;
}

int serial_console_init(struct vm *vm)
{
	struct serial *s = &vm->serial;

	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
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
	if (s->fd >= 0) {
		sigset_t all, old;
		/* The writer takes no signals: they belong to the main and vCPU threads. */
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		int r = pthread_create(&s->writer, NULL, writer_thread, s);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		if (r) {
			log_err("serial: cannot start the console writer: %s", strerror(r));
			if (s->own_fd)
				close(s->fd);
			return -r;
		}
		s->writer_started = true;
	}
	return 0;
}

/* At exit the guest's last lines still go out, unless the console has stopped taking them
 * for this long: then they are given up (and said so), and rasvm ends anyway. */
#define SERIAL_DRAIN_S 5

void serial_console_exit(struct vm *vm)
{
	struct serial *s = &vm->serial;
	struct timespec until;
	int r = 0;

	if (s->writer_started) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += SERIAL_DRAIN_S;
		pthread_mutex_lock(&s->lock);
		s->stop = true;
		pthread_cond_broadcast(&s->cond);
		while ((s->len || s->writing) && !r)
			r = pthread_cond_timedwait(&s->cond, &s->lock, &until);
		uint32_t left = s->len;
		pthread_mutex_unlock(&s->lock);
		if (r) {
			pthread_cancel(s->writer); /* blocked in write(2): a cancellation point */
			log_warn("serial: the console took no output for %d s; %u byte(s) not written",
				 SERIAL_DRAIN_S, left);
		}
		pthread_join(s->writer, NULL);
	}
	if (s->dropped)
		log_warn("serial: %llu byte(s) of guest output dropped: the console did not keep up",
			 (unsigned long long)s->dropped);
	if (s->own_fd)
		close(s->fd);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
}

const struct device_ops serial_device = {
	.name = "serial",
	.port = PORT_COM1,
	.nports = UART_NPORTS,
	.init = serial_console_init,
	.exit = serial_console_exit,
	.reset = serial_reset,
	.pio = serial_pio,
};
