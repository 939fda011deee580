/* The 8254 programmable interval timer: three channels at ports 0x40-0x42, control word at 0x43,
 * clocked at 1193182 Hz of guest time. Channel 0's OUT drives IRQ0; channel 2's gate and OUT are
 * bits 0 and 5 of port 0x61 (the PC's system control port B, also modelled here).
 * Counters are computed from vclock_now() when read, never from host time. See docs/devices.md. */
#ifndef REWIND_PIT_H
#define REWIND_PIT_H
#include <stdint.h>

#include "core/vclock.h"
#include "devices/bus.h"
#include "devices/device.h"
#include "devices/irq.h"

#define PIT_BASE 0x40
#define PIT_PORT61 0x61
#define PIT_HZ 1193182u

enum pit_run {
	PIT_IDLE,     /* control word written, no count yet: the counter does not count */
	PIT_WAITING,  /* modes 1 and 5: count written, waiting for a gate trigger */
	PIT_COUNTING, /* counting from load_ns */
	PIT_PAUSED,   /* gate low: the count holds at ticks_before */
};

struct pit_channel {
	uint64_t load_ns;      /* guest time counting last (re)started */
	uint64_t ticks_before; /* clock ticks counted before load_ns since the count was loaded */
	uint32_t count;	       /* the initial count N: 1..65536, 1..10000 in BCD */
	uint16_t latch;	       /* the output latch after a counter latch command */
	uint8_t latched;       /* bytes of the latch still to be read: 0, 1 or 2 */
	uint8_t status, status_latched;
	uint8_t mode;	       /* as written: 0-7 (6 and 7 act as 2 and 3) */
	uint8_t bcd;
	uint8_t access;	       /* 1 lsb, 2 msb, 3 lsb then msb */
	uint8_t write_msb_next, write_lsb;
	uint8_t read_msb_next;
	uint8_t gate;
	uint8_t run;	       /* enum pit_run */
	uint8_t null_count;
} __attribute__((packed));

struct pit_state {
	struct pit_channel ch[3];
	uint64_t last_ns; /* IRQ0 edges are delivered up to this guest time */
	uint8_t irq_level;
	uint8_t port61;	  /* bits 0-3 as written */
} __attribute__((packed));

struct pit {
	struct pit_state s;
	struct vclock *clock;
	struct irq_line irq;
};

/* Registers ports 0x40-0x43 and 0x61. Returns 0 or a negative errno from bus_register. */
int pit_init(struct pit *pit, struct bus *bus, struct vclock *clock, struct irq_line irq0)
	__attribute__((warn_unused_result));
/* advance(now_ns) delivers channel 0's rising OUT edges up to now_ns on IRQ0 (several elapsed
 * periods give one edge: the PIC could not latch more); next_deadline() is the guest time of
 * the next rising edge, DEADLINE_NONE when channel 0 is not counting. */
struct device pit_device(struct pit *pit);

#endif
