/* testos: the COM1 16550A console. TX is polled on LSR.THRE; RX is interrupt-driven
   (IRQ4) into a ring of raw bytes that read_line takes through a small line discipline
   (docs/guest.md). */
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
#define LINE_CAP 256 /* the longest line a reader gets; more is dropped until its end */

#define KEY_CTRL_C 0x03
#define KEY_BS 0x08
#define KEY_DEL 0x7f

/* The line discipline runs when the reader takes bytes out of the ring, not when they
   arrive: echo then comes out in order with what the reader prints, however the bytes were
   timed (so a file fed at once gives the same text as keys typed one by one). */
struct uart {
	char ring[RX_RING];  /* raw bytes as received */
	unsigned head, tail; /* head: next write (IRQ side), tail: next read */
	int rx_paused;	     /* ring full: receive interrupt off until a reader makes room */
	char line[LINE_CAP]; /* the line being edited */
	unsigned len;
	int after_cr;	     /* the last byte ended a line with CR: an LF right after it is CRLF */
};

static struct uart uart;

static int rx_full(void)
{
	return uart.head - uart.tail >= RX_RING;
}

/* Moves the bytes the UART holds into the ring; returns whether any arrived. A full ring is
   flow control: the receive interrupt goes off and the bytes wait in the UART (and behind it
   in the VMM) until a reader makes room, instead of being dropped. */
static int rx_drain(void)
{
	unsigned head = uart.head;

	for (int i = 0; i < RX_DRAIN_LIMIT && !rx_full() && (inb(COM1 + UART_LSR) & LSR_DR); i++)
		uart.ring[uart.head++ % RX_RING] = (char)inb(COM1 + UART_RBR);
	if (rx_full() && !uart.rx_paused) {
		outb(COM1 + UART_IER, 0);
		uart.rx_paused = 1;
	}
	return uart.head != head;
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

/* One received byte through the line discipline: CR, LF or CRLF end the line, Backspace and
   DEL erase, Ctrl-C drops the line, printable bytes are kept; everything kept is echoed as a
   terminal's line discipline would. Returns whether the line ended. */
static int line_key(char c)
{
	int after_cr = uart.after_cr;

	uart.after_cr = c == '\r';
	switch (c) {
	case '\n':
		if (after_cr)
			return 0; /* the LF of a CRLF */
		/* fall through */
	case '\r':
		console_write("\r\n", 2);
		return 1;
	case KEY_BS:
	case KEY_DEL:
		if (uart.len) {
			uart.len--;
			console_write("\b \b", 3);
		}
		return 0;
	case KEY_CTRL_C:
		uart.len = 0;
		console_write("^C\r\n", 4);
		return 0;
	}
	if (((u8)c < 0x20 && c != '\t') || uart.len == LINE_CAP)
		return 0; /* other control keys, or past the longest line: dropped */
	uart.line[uart.len++] = c;
	console_write(&c, 1);
	return 0;
}

/* Runs the received bytes through the line discipline until a line ends; copies it (without
   its end, truncated to cap-1) and returns its length, or -1 when the bytes ran out first
   (the partial line waits for more). */
int console_read_line(char *dst, size_t cap)
{
	int ended = 0;

	while (!ended && uart.tail != uart.head)
		ended = line_key(uart.ring[uart.tail++ % RX_RING]);
	if (uart.rx_paused) {
		uart.rx_paused = 0;
		rx_drain();
		if (!uart.rx_paused)
			outb(COM1 + UART_IER, IER_RX_AVAILABLE);
	}
	if (!ended)
		return -1;
	size_t n = uart.len < cap ? uart.len : cap - 1;
	for (size_t i = 0; i < n; i++)
		dst[i] = uart.line[i];
	dst[n] = '\0';
	uart.len = 0;
	return (int)n;
}
