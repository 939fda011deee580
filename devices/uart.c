/* The 16550A UART, after the National Semiconductor PC16550D datasheet. The transmitter is
 * infinitely fast: a byte written to THR leaves at once, so THR and the shift register are
 * always empty again by the time the guest looks. See docs/devices.md for the differences. */
#include "devices/uart.h"

#include <string.h>

#include "devices/legacy.h"

#define UART_TAG STATE_TAG('U', 'R', 'T', 1)

enum { RBR_THR = 0, IER = 1, IIR_FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };

#define IER_ERBFI 0x01 /* received data available */
#define IER_ETBEI 0x02 /* THR empty */
#define IER_ELSI 0x04  /* receiver line status */
#define IER_EDSSI 0x08 /* modem status */

#define IIR_NONE 0x01
#define IIR_MODEM 0x00
#define IIR_THRE 0x02
#define IIR_RDA 0x04
#define IIR_RLS 0x06
#define IIR_TIMEOUT 0x0c
#define IIR_FIFO 0xc0

#define FCR_ENABLE 0x01
#define FCR_CLEAR_RX 0x02

#define LCR_DLAB 0x80

#define MCR_DTR 0x01
#define MCR_RTS 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10

#define LSR_DR 0x01
#define LSR_OE 0x02
#define LSR_THRE 0x20
#define LSR_TEMT 0x40

#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_RI 0x40
#define MSR_DCD 0x80
/* Outside loopback the modem inputs are those of a connected terminal: clear to send, data set
 * ready, carrier detected, no ring. */
#define MSR_CONNECTED (MSR_CTS | MSR_DSR | MSR_DCD)

static bool uart_fifo_on(const struct uart *u)
{
	return u->s.fcr & FCR_ENABLE;
}

static int uart_rx_capacity(const struct uart *u)
{
	return uart_fifo_on(u) ? UART_FIFO_SIZE : 1;
}

static int uart_trigger(const struct uart *u)
{
	static const uint8_t levels[4] = { 1, 4, 8, 14 };
	return levels[u->s.fcr >> 6];
}

/* The highest-priority pending interrupt, as IIR bits 0-3. */
static uint8_t uart_iir_source(const struct uart *u)
{
	const struct uart_state *s = &u->s;
	if ((s->ier & IER_ELSI) && s->lsr_errors)
		return IIR_RLS;
	if ((s->ier & IER_ERBFI) && s->rx_count) {
		/* Below the trigger level the 16550A reports a character timeout after four
		 * character times without FIFO activity. Time is not modelled here: the
		 * timeout is reported at once, so the guest always sees its data. */
		if (uart_fifo_on(u) && s->rx_count < uart_trigger(u))
			return IIR_TIMEOUT;
		return IIR_RDA;
	}
	if ((s->ier & IER_ETBEI) && s->thre_pending)
		return IIR_THRE;
	if ((s->ier & IER_EDSSI) && (s->msr & 0x0f))
		return IIR_MODEM;
	return IIR_NONE;
}

/* The INTRPT pin. (On a PC board OUT2 gates it; like QEMU's, this model does not, so guests
 * that never set OUT2 still get interrupts.) */
static void uart_update_irq(struct uart *u)
{
	uint8_t level = uart_iir_source(u) != IIR_NONE;
	if (level == u->s.irq_level)
		return;
	u->s.irq_level = level;
	irq_set(&u->irq, level);
}

static void uart_rx_clear(struct uart *u)
{
	u->s.rx_head = 0;
	u->s.rx_count = 0;
}

/* A character arrives at the receiver; with the receiver full it overruns and is lost. */
static bool uart_rx_push(struct uart *u, uint8_t byte)
{
	struct uart_state *s = &u->s;
	if (s->rx_count >= uart_rx_capacity(u)) {
		s->lsr_errors |= LSR_OE;
		return false;
	}
	s->rx[(s->rx_head + s->rx_count) % UART_FIFO_SIZE] = byte;
	s->rx_count++;
	return true;
}

static uint8_t uart_modem_inputs(const struct uart *u)
{
	uint8_t mcr = u->s.mcr;
	if (!(mcr & MCR_LOOP))
		return MSR_CONNECTED;
	/* Loopback: the modem outputs feed the inputs inside the chip. */
	return (mcr & MCR_RTS ? MSR_CTS : 0) | (mcr & MCR_DTR ? MSR_DSR : 0) |
	       (mcr & MCR_OUT1 ? MSR_RI : 0) | (mcr & MCR_OUT2 ? MSR_DCD : 0);
}

static void uart_set_modem_inputs(struct uart *u, uint8_t now)
{
	uint8_t before = u->s.msr & 0xf0, changed = before ^ now, delta = 0;
	if (changed & MSR_CTS)
		delta |= 0x01;
	if (changed & MSR_DSR)
		delta |= 0x02;
	if ((before & MSR_RI) && !(now & MSR_RI))
		delta |= 0x04; /* TERI: trailing edge of ring only */
	if (changed & MSR_DCD)
		delta |= 0x08;
	u->s.msr = now | (u->s.msr & 0x0f) | delta;
}

static void uart_transmit(struct uart *u, uint8_t byte)
{
	if (u->s.mcr & MCR_LOOP)
		uart_rx_push(u, byte);
	else if (u->tx)
		u->tx(u->ctx, byte);
	/* Writing THR clears the THRE interrupt; the byte leaves at once, THR is empty
	 * again and the interrupt is due again. */
	u->s.thre_pending = 1;
}

static uint8_t uart_read8(void *opaque, unsigned offset)
{
	struct uart *u = opaque;
	struct uart_state *s = &u->s;
	uint8_t v;
	switch (offset) {
	case RBR_THR:
		if (s->lcr & LCR_DLAB)
			return s->dll;
		if (s->rx_count) {
			s->rbr = s->rx[s->rx_head];
			s->rx_head = (s->rx_head + 1) % UART_FIFO_SIZE;
			s->rx_count--;
		}
		v = s->rbr;
		break;
	case IER:
		return s->lcr & LCR_DLAB ? s->dlm : s->ier;
	case IIR_FCR:
		v = uart_iir_source(u);
		/* Reading IIR while THRE is the source is one of the two ways to clear it. */
		if (v == IIR_THRE)
			s->thre_pending = 0;
		if (uart_fifo_on(u))
			v |= IIR_FIFO;
		break;
	case LCR:
		return s->lcr;
	case MCR:
		return s->mcr;
	case LSR:
		v = (s->rx_count ? LSR_DR : 0) | s->lsr_errors | LSR_THRE | LSR_TEMT;
		s->lsr_errors = 0;
		break;
	case MSR:
		v = s->msr;
		s->msr &= 0xf0;
		break;
	default:
		return s->scr;
	}
	uart_update_irq(u);
	return v;
}

static void uart_write_fcr(struct uart *u, uint8_t v)
{
	struct uart_state *s = &u->s;
	/* Turning the FIFOs on or off empties them; the other bits only take with FCR0 set. */
	if ((v ^ s->fcr) & FCR_ENABLE)
		uart_rx_clear(u);
	if (!(v & FCR_ENABLE)) {
		s->fcr = 0;
		return;
	}
	if (v & FCR_CLEAR_RX)
		uart_rx_clear(u);
	s->fcr = v & 0xc9; /* enable, DMA mode, trigger level; the clear bits self-clear */
}

static void uart_write8(void *opaque, unsigned offset, uint8_t v)
{
	struct uart *u = opaque;
	struct uart_state *s = &u->s;
	switch (offset) {
	case RBR_THR:
		if (s->lcr & LCR_DLAB)
			s->dll = v;
		else
			uart_transmit(u, v);
		break;
	case IER:
		if (s->lcr & LCR_DLAB) {
			s->dlm = v;
			break;
		}
		/* Enabling ETBEI while THR is empty raises the THRE interrupt at once. */
		if ((v & IER_ETBEI) && !(s->ier & IER_ETBEI))
			s->thre_pending = 1;
		s->ier = v & 0x0f;
		break;
	case IIR_FCR:
		uart_write_fcr(u, v);
		break;
	case LCR:
		s->lcr = v;
		break;
	case MCR:
		s->mcr = v & 0x1f;
		uart_set_modem_inputs(u, uart_modem_inputs(u));
		break;
	case SCR:
		s->scr = v;
		break;
	default:
		/* LSR and MSR writes are the chip's factory test mode: not modelled. */
		break;
	}
	uart_update_irq(u);
}

static uint64_t uart_in(void *opaque, uint64_t offset, int size)
{
	return isa_read(uart_read8, opaque, offset, 8, size);
}

static void uart_out(void *opaque, uint64_t offset, uint64_t value, int size)
{
	isa_write(uart_write8, opaque, offset, 8, value, size);
}

static const struct io_ops uart_ops = { uart_in, uart_out };

int uart_init(struct uart *u, struct bus *bus, uint16_t base, struct irq_line irq,
	      void (*tx)(void *ctx, uint8_t byte), void *ctx)
{
	memset(u, 0, sizeof(*u));
	u->irq = irq;
	u->base = base;
	u->tx = tx;
	u->ctx = ctx;
	u->s.msr = MSR_CONNECTED;
	u->s.dll = 0x0c; /* 9600 baud, what firmware leaves behind */
	return bus_register(bus, BUS_PIO, base, 8, &uart_ops, u, "uart");
}

int uart_receive(struct uart *u, const uint8_t *buf, int len)
{
	int n = 0;
	if (!buf || (u->s.mcr & MCR_LOOP))
		return 0;
	while (n < len && u->s.rx_count < uart_rx_capacity(u))
		uart_rx_push(u, buf[n++]);
	uart_update_irq(u);
	return n;
}

bool uart_rx_ready(struct uart *u)
{
	return !(u->s.mcr & MCR_LOOP) && u->s.rx_count < uart_rx_capacity(u);
}

bool uart_rts(const struct uart *u)
{
	return u->s.mcr & MCR_RTS;
}

static long uart_save(void *opaque, void *buf, size_t len)
{
	struct uart *u = opaque;
	return state_blob_save(buf, len, UART_TAG, &u->s, sizeof(u->s));
}

static int uart_load(void *opaque, const void *buf, size_t len)
{
	struct uart *u = opaque;
	struct uart_state s;
	if (state_blob_load(buf, len, UART_TAG, &s, sizeof(s)))
		return -1;
	int capacity = s.fcr & FCR_ENABLE ? UART_FIFO_SIZE : 1;
	if (s.rx_head >= UART_FIFO_SIZE || s.rx_count > capacity || s.ier > 0x0f ||
	    (s.fcr & ~0xc9) || s.mcr > 0x1f || (s.lsr_errors & ~0x1e) || s.thre_pending > 1 ||
	    s.irq_level > 1)
		return -1;
	u->s = s;
	return 0;
}

struct device uart_device(struct uart *u)
{
	return (struct device){
		.name = "uart",
		.opaque = u,
		.save = uart_save,
		.load = uart_load,
	};
}
