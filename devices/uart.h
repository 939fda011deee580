/* The 16550A UART (COM1: ports 0x3f8-0x3ff, IRQ4). Transmitted bytes go to the tx callback at
 * once (no baud-rate timing); received bytes are handed in by the VMM with uart_receive(),
 * which takes only what fits in the receiver (16 bytes with the FIFO on, 1 without).
 * See docs/devices.md. */
#ifndef REWIND_UART_H
#define REWIND_UART_H
#include <stdbool.h>
#include <stdint.h>

#include "devices/bus.h"
#include "devices/device.h"
#include "devices/irq.h"

#define UART_COM1_BASE 0x3f8
#define UART_FIFO_SIZE 16

struct uart_state {
	uint8_t rx[UART_FIFO_SIZE]; /* receiver FIFO (ring) */
	uint8_t rx_head, rx_count;
	uint8_t rbr;		    /* last byte read: what an empty RBR reads */
	uint8_t ier, fcr, lcr, mcr, scr, dll, dlm;
	uint8_t lsr_errors;	    /* LSR bits 1-4 (OE, PE, FE, BI), cleared by reading LSR */
	uint8_t msr;		    /* status bits 4-7 and delta bits 0-3 */
	uint8_t thre_pending;	    /* the THRE interrupt (IIR source 0x02) is latched */
	uint8_t irq_level;
} __attribute__((packed));

struct uart {
	struct uart_state s;
	struct irq_line irq;
	uint16_t base;
	void (*tx)(void *ctx, uint8_t byte);
	void *ctx;
};

/* Registers the 8 ports at base. tx (may be NULL: bytes are dropped) gets every transmitted byte
 * outside loopback mode. Returns 0 or a negative errno from bus_register. */
int uart_init(struct uart *uart, struct bus *bus, uint16_t base, struct irq_line irq,
	      void (*tx)(void *ctx, uint8_t byte), void *ctx) __attribute__((warn_unused_result));
/* Puts up to len received bytes into the receiver; returns how many it took (0 when full, in
 * loopback mode, or for len <= 0). The VMM keeps the rest for later. */
int uart_receive(struct uart *uart, const uint8_t *buf, int len);
/* Whether uart_receive would take at least one byte. */
bool uart_rx_ready(struct uart *uart);
/* Whether the guest asserts RTS (MCR bit 1): the VMM, as the other end of the line, sends only
 * then (hardware flow control), so input never arrives while the guest sets the UART up. */
bool uart_rts(const struct uart *uart);
/* Snapshot hooks (no timers). */
struct device uart_device(struct uart *uart);

#endif
