/* The 8259A programmable interrupt controller pair of a PC: master at ports 0x20-0x21, slave at
 * 0xa0-0xa1, the slave's INT output wired to the master's IR2. Devices drive lines 0-15 through
 * the irq_sink (line 2 is the cascade; like the ISA bus, a device on line 2 arrives at IR9).
 * The VMM asks pic_pending() for the INTR output, runs the INTA cycle with pic_ack(), and is
 * told through on_change() whenever INTR changes. See docs/devices.md. */
#ifndef REWIND_PIC_H
#define REWIND_PIC_H
#include <stdbool.h>
#include <stdint.h>

#include "devices/bus.h"
#include "devices/device.h"
#include "devices/irq.h"

#define PIC_MASTER_BASE 0x20
#define PIC_SLAVE_BASE 0xa0

struct pic_chip {
	uint8_t irr, isr, imr;
	uint8_t input;	     /* level of each IR pin as last driven: edges are found against it */
	uint8_t vector_base; /* ICW2, low three bits cleared */
	uint8_t icw3;
	uint8_t prio_base;   /* the IR with the highest priority (rotation moves it) */
	uint8_t init_step;   /* 0: operational; 2, 3, 4: the ICW expected next */
	uint8_t need_icw4, single, level_mode; /* ICW1 IC4, SNGL, LTIM */
	uint8_t auto_eoi, sfnm;		       /* ICW4 AEOI, SFNM */
	uint8_t rotate_aeoi;		       /* OCW2 rotate in automatic EOI mode */
	uint8_t special_mask, read_isr, poll;  /* OCW3 SMM, RIS, P */
} __attribute__((packed));

struct pic_state {
	struct pic_chip chip[2]; /* 0 master, 1 slave */
	uint8_t intr;		 /* the master's INT output as last reported */
} __attribute__((packed));

struct pic {
	struct pic_state s;
	struct irq_sink sink; /* lines 0-15, for the devices' irq_line */
	void (*on_change)(void *ctx);
	void *ctx;
};

/* Registers both chips' ports. on_change (may be NULL) is called whenever the INTR output
 * changes level, from inside irq_set() or a port access. Power-on state: vector bases 0x08 and
 * 0x70, cascade set up, every line masked, so nothing reaches the CPU before the guest
 * programs the PIC. Returns 0 or a negative errno from bus_register. */
int pic_init(struct pic *pic, struct bus *bus, void (*on_change)(void *ctx), void *ctx)
	__attribute__((warn_unused_result));
/* The line a device drives: 0-15. */
struct irq_line pic_line(struct pic *pic, int line);
/* INTR: an unmasked request has priority over everything in service. */
bool pic_pending(struct pic *pic);
/* The interrupt acknowledge cycle: moves the winning request from IRR to ISR (or not, in
 * automatic EOI mode) and returns its vector. With nothing pending it returns the spurious
 * vector of IR7 (master) or IR15 (slave, with the master's IR2 left in service), as the
 * 8259A does. */
int pic_ack(struct pic *pic);
/* Snapshot hooks (no timers). After load the INTR output is recomputed and on_change called if
 * it differs from the state before the load. */
struct device pic_device(struct pic *pic);

#endif
