/* The 8254 PIT. Counters are not stepped: each channel remembers when it was loaded and its
 * value, OUT and next edge are computed from the guest ticks elapsed since then, with integer
 * arithmetic only (ticks = ns * 1193182 / 1e9, rounded down), so a count read at a given guest
 * time is the same on every run. */
#include "devices/pit.h"

#include <stdbool.h>
#include <string.h>

#include "devices/legacy.h"

#define PIT_TAG STATE_TAG('P', 'I', 'T', 1)
#define NSEC 1000000000u
/* Port 0x61 bit 4 toggles with each DRAM refresh request, every 15.085 us on a PC. */
#define REFRESH_NS 15085u

static uint64_t ns_to_ticks(uint64_t ns)
{
	return (uint64_t)((unsigned __int128)ns * PIT_HZ / NSEC);
}

/* The first guest ns at which ns_to_ticks() reaches ticks. */
static uint64_t ticks_to_ns(uint64_t ticks)
{
	return (uint64_t)(((unsigned __int128)ticks * NSEC + PIT_HZ - 1) / PIT_HZ);
}

static int channel_mode(const struct pit_channel *c)
{
	return c->mode > 5 ? c->mode - 4 : c->mode;
}

static uint32_t channel_modulus(const struct pit_channel *c)
{
	return c->bcd ? 10000 : 65536;
}

/* Clock ticks counted since the count was loaded (or the last trigger). */
static uint64_t channel_elapsed(const struct pit_channel *c, uint64_t now)
{
	if (c->run != PIT_COUNTING)
		return c->ticks_before;
	return c->ticks_before + (now > c->load_ns ? ns_to_ticks(now - c->load_ns) : 0);
}

/* The counting element after d ticks, as a number 0..modulus-1. */
static uint32_t counter_value(const struct pit_channel *c, uint64_t d)
{
	uint32_t n = c->count, mod = channel_modulus(c);
	switch (channel_mode(c)) {
	case 2: /* N, N-1, ..., 1, reload */
		return (n - (uint32_t)(d % n)) % mod;
	case 3: {
		/* Square wave: counts down by two through each half period. An odd count spends
		 * (N+1)/2 ticks high and (N-1)/2 low: the first tick of the high half takes one
		 * off, the first of the low half three (8254 datasheet, mode 3). */
		uint32_t high = (n + 1) / 2, p = (uint32_t)(d % n);
		bool in_high = p < high;
		uint32_t i = in_high ? p : p - high, v;
		if (!(n & 1) || i == 0)
			v = n - 2 * i;
		else
			v = in_high ? n + 1 - 2 * i : n - 1 - 2 * i;
		return v % mod;
	}
	default: /* 0, 1, 4, 5: down to zero, then on round the modulus */
		return (uint32_t)((n + mod - d % mod) % mod);
	}
}

static int channel_out(const struct pit_channel *c, uint64_t now)
{
	int mode = channel_mode(c);
	if (c->run == PIT_IDLE)
		return mode != 0;
	if (c->run == PIT_WAITING)
		return 1;
	if (c->run == PIT_PAUSED && (mode == 2 || mode == 3))
		return 1; /* gate low forces OUT high in the periodic modes */
	uint64_t d = channel_elapsed(c, now), n = c->count;
	switch (mode) {
	case 0:
	case 1:
		return d >= n;
	case 2:
		return d % n != n - 1;
	case 3:
		return d % n < (n + 1) / 2;
	default: /* 4, 5: low for the one tick when the count reaches zero */
		return d != n;
	}
}

/* Guest time of the first rising edge of OUT strictly after `after`, or DEADLINE_NONE. */
static uint64_t channel_next_edge(const struct pit_channel *c, uint64_t after)
{
	if (c->run != PIT_COUNTING)
		return DEADLINE_NONE;
	uint64_t d = channel_elapsed(c, after), n = c->count, e;
	switch (channel_mode(c)) {
	case 0:
	case 1:
		e = n;
		break;
	case 2:
	case 3:
		e = (d / n + 1) * n;
		break;
	default:
		e = n + 1;
		break;
	}
	/* Edges at or before d have happened by `after` (ticks_to_ns is the exact inverse). */
	if (e <= d)
		return DEADLINE_NONE;
	return c->load_ns + ticks_to_ns(e - c->ticks_before);
}

static void channel_start(struct pit_channel *c, uint64_t now)
{
	c->ticks_before = 0;
	c->load_ns = now;
	c->run = PIT_COUNTING;
}

/* Stops the count where it is (gate low, or a new control word). */
static void channel_hold(struct pit_channel *c, uint64_t now, enum pit_run run)
{
	c->ticks_before = channel_elapsed(c, now);
	c->run = run;
}

static uint32_t bcd_to_bin(uint32_t v)
{
	return (v >> 12 & 15) * 1000 + (v >> 8 & 15) * 100 + (v >> 4 & 15) * 10 + (v & 15);
}

static uint32_t bin_to_bcd(uint32_t v)
{
	return (v / 1000 % 10) << 12 | (v / 100 % 10) << 8 | (v / 10 % 10) << 4 | v % 10;
}

/* The initial count is complete: it goes into the counting element. (Real hardware loads it
 * on the next clock; that one tick is not modelled.) */
static void channel_load(struct pit_channel *c, uint16_t raw, uint64_t now)
{
	uint32_t n = c->bcd ? bcd_to_bin(raw) : raw, mod = channel_modulus(c);
	if (n == 0 || n > mod)
		n = mod; /* 0 is the largest count; non-BCD digits are clamped */
	c->count = n;
	c->null_count = 0;
	int mode = channel_mode(c);
	if (mode == 1 || mode == 5) {
		c->ticks_before = 0;
		c->run = PIT_WAITING;
	} else if (c->gate) {
		channel_start(c, now);
	} else {
		c->ticks_before = 0;
		c->run = PIT_PAUSED;
	}
}

static void channel_set_gate(struct pit_channel *c, int gate, uint64_t now)
{
	if (gate == c->gate)
		return;
	int mode = channel_mode(c);
	if (!gate && c->run == PIT_COUNTING && mode != 1 && mode != 5)
		channel_hold(c, now, PIT_PAUSED);
	c->gate = gate;
	if (!gate)
		return;
	if (c->run == PIT_PAUSED && (mode == 0 || mode == 4)) {
		/* Counting resumes where it stopped. */
		c->load_ns = now;
		c->run = PIT_COUNTING;
	} else if (c->run != PIT_IDLE && (c->run == PIT_PAUSED || mode == 1 || mode == 5)) {
		/* A rising gate (re)triggers modes 1 and 5 and reloads modes 2 and 3. */
		channel_start(c, now);
	}
}

static uint16_t channel_read_value(const struct pit_channel *c, uint64_t now)
{
	uint32_t v = counter_value(c, channel_elapsed(c, now));
	return (uint16_t)(c->bcd ? bin_to_bcd(v) : v);
}

static void channel_latch(struct pit_channel *c, uint64_t now)
{
	if (c->latched)
		return; /* a second latch before the first is read is ignored */
	c->latch = channel_read_value(c, now);
	c->latched = c->access == 3 ? 2 : 1;
}

static void channel_latch_status(struct pit_channel *c, uint64_t now)
{
	if (c->status_latched)
		return;
	c->status = (uint8_t)(channel_out(c, now) << 7 | c->null_count << 6 | c->access << 4 |
			      c->mode << 1 | c->bcd);
	c->status_latched = 1;
}

static uint8_t channel_read(struct pit_channel *c, uint64_t now)
{
	if (c->status_latched) {
		c->status_latched = 0;
		return c->status;
	}
	if (c->latched) {
		bool lsb = c->access == 1 || (c->access == 3 && c->latched == 2);
		c->latched--;
		return lsb ? c->latch & 0xff : c->latch >> 8;
	}
	uint16_t v = channel_read_value(c, now);
	bool lsb = c->access == 1 || (c->access == 3 && !c->read_msb_next);
	if (c->access == 3)
		c->read_msb_next ^= 1;
	return lsb ? v & 0xff : v >> 8;
}

static void channel_write(struct pit_channel *c, uint8_t v, uint64_t now)
{
	switch (c->access) {
	case 1:
		channel_load(c, v, now);
		break;
	case 2:
		channel_load(c, (uint16_t)(v << 8), now);
		break;
	default:
		if (!c->write_msb_next) {
			c->write_lsb = v;
			c->write_msb_next = 1;
			/* Mode 0: writing the first byte stops the count and drops OUT. */
			if (channel_mode(c) == 0 && c->run != PIT_IDLE)
				channel_hold(c, now, PIT_IDLE);
		} else {
			c->write_msb_next = 0;
			channel_load(c, (uint16_t)(c->write_lsb | v << 8), now);
		}
		break;
	}
}

static void pit_read_back(struct pit *p, uint8_t v, uint64_t now)
{
	for (int i = 0; i < 3; i++) {
		if (!(v & (2u << i)))
			continue;
		if (!(v & 0x20))
			channel_latch(&p->s.ch[i], now);
		if (!(v & 0x10))
			channel_latch_status(&p->s.ch[i], now);
	}
}

static void pit_control(struct pit *p, uint8_t v, uint64_t now)
{
	int sc = v >> 6, access = (v >> 4) & 3;
	if (sc == 3) {
		pit_read_back(p, v, now);
		return;
	}
	struct pit_channel *c = &p->s.ch[sc];
	if (access == 0) {
		channel_latch(c, now);
		return;
	}
	/* A control word resets the channel's control logic; OUT takes the mode's initial
	 * level and nothing counts until a count is written. */
	channel_hold(c, now, PIT_IDLE);
	c->mode = (v >> 1) & 7;
	c->bcd = v & 1;
	c->access = (uint8_t)access;
	c->null_count = 1;
	c->write_msb_next = 0;
	c->read_msb_next = 0;
	c->latched = 0;
	c->status_latched = 0;
}

/* IRQ0 follows channel 0's OUT at the points it is sampled, and every rising edge since the
 * last sample is delivered even when OUT is low again by now (mode 2 is low for one tick). */
static void pit_update_irq(struct pit *p, uint64_t now)
{
	const struct pit_channel *c = &p->s.ch[0];
	int level = channel_out(c, now);
	if (channel_next_edge(c, p->s.last_ns) <= now) {
		if (p->s.irq_level)
			irq_set(&p->irq, 0);
		irq_set(&p->irq, 1);
		p->s.irq_level = 1;
	}
	if (level != p->s.irq_level) {
		irq_set(&p->irq, level);
		p->s.irq_level = (uint8_t)level;
	}
	if (now > p->s.last_ns)
		p->s.last_ns = now;
}

static uint8_t pit_read8(void *opaque, unsigned offset)
{
	struct pit *p = opaque;
	if (offset == 3)
		return 0xff; /* the control word register cannot be read */
	return channel_read(&p->s.ch[offset], vclock_now(p->clock));
}

static void pit_write8(void *opaque, unsigned offset, uint8_t v)
{
	struct pit *p = opaque;
	uint64_t now = vclock_now(p->clock);
	/* Edges of the old programming up to now are delivered before it changes. */
	pit_update_irq(p, now);
	if (offset == 3)
		pit_control(p, v, now);
	else
		channel_write(&p->s.ch[offset], v, now);
	pit_update_irq(p, now);
}

static uint64_t pit_in(void *opaque, uint64_t offset, int size)
{
	return isa_read(pit_read8, opaque, offset, 4, size);
}

static void pit_out(void *opaque, uint64_t offset, uint64_t value, int size)
{
	isa_write(pit_write8, opaque, offset, 4, value, size);
}

static uint8_t port61_read8(void *opaque, unsigned offset)
{
	(void)offset;
	struct pit *p = opaque;
	uint64_t now = vclock_now(p->clock);
	int refresh = (int)((now / REFRESH_NS) & 1);
	return (uint8_t)(p->s.port61 | refresh << 4 | channel_out(&p->s.ch[2], now) << 5);
}

static void port61_write8(void *opaque, unsigned offset, uint8_t v)
{
	(void)offset;
	struct pit *p = opaque;
	p->s.port61 = v & 0x0f;
	channel_set_gate(&p->s.ch[2], v & 1, vclock_now(p->clock));
}

static uint64_t port61_in(void *opaque, uint64_t offset, int size)
{
	return isa_read(port61_read8, opaque, offset, 1, size);
}

static void port61_out(void *opaque, uint64_t offset, uint64_t value, int size)
{
	isa_write(port61_write8, opaque, offset, 1, value, size);
}

static const struct io_ops pit_ops = { pit_in, pit_out };
static const struct io_ops port61_ops = { port61_in, port61_out };

int pit_init(struct pit *p, struct bus *bus, struct vclock *clock, struct irq_line irq0)
{
	memset(p, 0, sizeof(*p));
	p->clock = clock;
	p->irq = irq0;
	for (int i = 0; i < 3; i++) {
		struct pit_channel *c = &p->s.ch[i];
		c->count = 65536;
		c->access = 3;
		c->gate = i != 2; /* channel 2's gate is port 0x61 bit 0, low at power-on */
	}
	int err = bus_register(bus, BUS_PIO, PIT_BASE, 4, &pit_ops, p, "pit");
	if (err)
		return err;
	return bus_register(bus, BUS_PIO, PIT_PORT61, 1, &port61_ops, p, "port61");
}

static void pit_advance(void *opaque, uint64_t now_ns)
{
	pit_update_irq(opaque, now_ns);
}

static uint64_t pit_next_deadline(void *opaque)
{
	struct pit *p = opaque;
	return channel_next_edge(&p->s.ch[0], p->s.last_ns);
}

static long pit_save(void *opaque, void *buf, size_t len)
{
	struct pit *p = opaque;
	return state_blob_save(buf, len, PIT_TAG, &p->s, sizeof(p->s));
}

static bool channel_valid(const struct pit_channel *c)
{
	uint32_t mod = c->bcd ? 10000 : 65536;
	return c->count >= 1 && c->count <= mod && c->bcd <= 1 && c->mode <= 7 &&
	       c->access >= 1 && c->access <= 3 && c->latched <= (c->access == 3 ? 2 : 1) &&
	       c->status_latched <= 1 && c->write_msb_next <= 1 && c->read_msb_next <= 1 &&
	       c->gate <= 1 && c->run <= PIT_PAUSED && c->null_count <= 1;
}

static int pit_load(void *opaque, const void *buf, size_t len)
{
	struct pit *p = opaque;
	struct pit_state s;
	if (state_blob_load(buf, len, PIT_TAG, &s, sizeof(s)) || s.irq_level > 1 ||
	    s.port61 > 0x0f || s.ch[0].gate != 1 || s.ch[1].gate != 1 ||
	    s.ch[2].gate != (s.port61 & 1))
		return -1;
	for (int i = 0; i < 3; i++)
		if (!channel_valid(&s.ch[i]))
			return -1;
	p->s = s;
	return 0;
}

struct device pit_device(struct pit *p)
{
	return (struct device){
		.name = "pit",
		.opaque = p,
		.advance = pit_advance,
		.next_deadline = pit_next_deadline,
		.save = pit_save,
		.load = pit_load,
	};
}
