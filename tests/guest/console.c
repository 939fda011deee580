/* testos: the COM1 16550A console. TX is polled on LSR.THRE; RX is interrupt-driven
   (IRQ4) into a ring that read_line consumes. */
#include "kernel.h"

#define COM1 0x3f8
#define UART_RBR 0 /* DLAB=0, read */
#define UART_THR 0 /* DLAB=0, write */
#define UART_DLL 0 /* DLAB=1 */
#define UART_IER 1
#define UART_DLM 1 /* DLAB=1 */
#define UART_FCR 2 /* write */
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5

#define IER_RX_AVAILABLE 0x01
#define FCR_ENABLE 0x01 /* trigger level 1: every byte interrupts, no timeout needed */
#define LCR_DLAB 0x80
#define LCR_8N1 0x03
#define MCR_DTR_RTS_OUT2 0x0b
#define LSR_DR 0x01
#define LSR_THRE 0x20

/* Bounded polls: a missing or stuck UART must not hang the kernel. */
#define TX_POLL_LIMIT 100000
#define RX_DRAIN_LIMIT (RX_RING + 1) /* until empty or the ring is full */

#define RX_RING 1024

struct uart {
	char ring[RX_RING];
	unsigned head, tail; /* head: next write (IRQ side), tail: next read */
	unsigned lines;	     /* complete lines in the ring */
	int rx_paused;	     /* ring full: receive interrupt off until a reader makes room */
};

static struct uart uart;

/* Full: room only for the '\n' that ends an over-long line, so a reader never starves. */
static int rx_full(void)
{
	return uart.head - uart.tail >= RX_RING - (uart.lines ? 1 : 0);
}

static void rx_push(char c)
{
	if (c == '\r')
		return;
	if (uart.head - uart.tail == RX_RING - 1)
		c = '\n'; /* a line longer than the ring is cut here */
	uart.ring[uart.head++ % RX_RING] = c;
	if (c == '\n')
		uart.lines++;
}

/* Moves the bytes the UART holds into the ring; returns whether a line completed. A full ring
   is flow control: the receive interrupt goes off and the bytes wait in the UART (and behind it
   in the VMM) until a reader makes room, instead of being dropped. */
static int rx_drain(void)
{
	unsigned lines = uart.lines;

	for (int i = 0; i < RX_DRAIN_LIMIT && !rx_full() && (inb(COM1 + UART_LSR) & LSR_DR); i++)
		rx_push((char)inb(COM1 + UART_RBR));
	if (rx_full() && !uart.rx_paused) {
		outb(COM1 + UART_IER, 0);
		uart.rx_paused = 1;
	}
	return uart.lines != lines;
}

void uart_init(void)
{
	outb(COM1 + UART_IER, 0);
	outb(COM1 + UART_LCR, LCR_DLAB);
	outb(COM1 + UART_DLL, 1); /* 115200 baud */
	outb(COM1 + UART_DLM, 0);
	outb(COM1 + UART_LCR, LCR_8N1);
	/* Turning the FIFO on resets it (QEMU does too): keep what arrived before. */
	rx_drain();
	outb(COM1 + UART_FCR, FCR_ENABLE);
	outb(COM1 + UART_MCR, MCR_DTR_RTS_OUT2);
	outb(COM1 + UART_IER, IER_RX_AVAILABLE);
}

void uart_irq(void)
{
	if (rx_drain())
		sched_wake(WAIT_RX);
}

static void uart_putc(char c)
{
	for (int i = 0; i < TX_POLL_LIMIT && !(inb(COM1 + UART_LSR) & LSR_THRE); i++)
		;
	outb(COM1 + UART_THR, (u8)c);
}

void console_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		uart_putc(s[i]);
}

void kprintf(const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	size_t n = vformat(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	console_write(buf, n);
}

/* Copies the oldest complete line (without its '\n', truncated to cap-1) and consumes it. */
int console_read_line(char *dst, size_t cap)
{
	size_t n = 0;

	if (!uart.lines)
		return -1;
	for (;;) {
		char c = uart.ring[uart.tail++ % RX_RING];
		if (c == '\n')
			break;
		if (n + 1 < cap)
			dst[n++] = c;
	}
	if (cap)
		dst[n] = '\0';
	uart.lines--;
	if (uart.rx_paused) {
		uart.rx_paused = 0;
		rx_drain();
		if (!uart.rx_paused)
			outb(COM1 + UART_IER, IER_RX_AVAILABLE);
	}
	return (int)n;
}
