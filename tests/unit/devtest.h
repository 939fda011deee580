/* Test fixtures shared by the device unit tests: a guest clock the test sets by hand, an
 * interrupt controller stand-in that records line levels and rising edges, a snapshot round
 * trip, and a garbage generator for the port fuzz loops. */
#ifndef REWIND_DEVTEST_H
#define REWIND_DEVTEST_H
#include <stdint.h>
#include <string.h>

#include "core/vclock.h"
#include "devices/bus.h"
#include "devices/device.h"
#include "devices/irq.h"

struct test_clock {
	struct vclock vc;
	uint64_t now;
};

static inline uint64_t test_clock_read(void *ctx)
{
	return ((struct test_clock *)ctx)->now;
}

static inline void test_clock_init(struct test_clock *c, int64_t epoch_at_boot)
{
	c->now = 0;
	c->vc = (struct vclock){ .read = test_clock_read, .ctx = c, .epoch_at_boot = epoch_at_boot };
}

struct irq_probe {
	struct irq_sink sink;
	int level[16];
	int rises[16];
	int calls;
};

static inline void irq_probe_set(void *opaque, int line, int level)
{
	struct irq_probe *p = opaque;
	p->calls++;
	if (line < 0 || line > 15)
		return;
	if (level && !p->level[line])
		p->rises[line]++;
	p->level[line] = level;
}

static inline struct irq_line irq_probe_init(struct irq_probe *p, int line)
{
	memset(p, 0, sizeof(*p));
	p->sink = (struct irq_sink){ irq_probe_set, p };
	return (struct irq_line){ &p->sink, line };
}

/* xorshift64: deterministic garbage. */
static inline uint64_t test_rand(uint64_t *state)
{
	uint64_t x = *state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *state = x;
}

/* Random reads and writes of random sizes (1, 2, 4) and values to ports [base, base + len],
 * one past the end included, with the clock moving forwards by random steps and the device's
 * advance() called now and then. Returns normally if nothing crashed. */
static inline void test_fuzz_ports(struct bus *bus, struct device *dev, struct test_clock *clk,
				   uint16_t base, int len, uint64_t seed, int iterations)
{
	static const int sizes[3] = { 1, 2, 4 };
	uint64_t rng = seed | 1;
	for (int i = 0; i < iterations; i++) {
		uint64_t r = test_rand(&rng);
		uint16_t port = (uint16_t)(base + r % (uint64_t)(len + 1));
		int size = sizes[(r >> 8) % 3];
		uint64_t value = test_rand(&rng);
		if ((r >> 16) & 1)
			bus_write(bus, BUS_PIO, port, value, size);
		else
			(void)bus_read(bus, BUS_PIO, port, size);
		if (clk)
			clk->now += (r >> 20) % 100000;
		if (clk && dev && dev->advance && ((r >> 40) & 7) == 0)
			dev->advance(dev->opaque, clk->now);
		if (dev && dev->next_deadline)
			(void)dev->next_deadline(dev->opaque);
	}
}

#endif
