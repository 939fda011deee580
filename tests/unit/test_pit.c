/* The 8254 at register level: counts read through latch and read-back at given guest times,
 * access modes, BCD, OUT, IRQ0 edges and deadlines. */
#include "devices/pit.h"
#include "tests/unit/check.h"
#include "tests/unit/devtest.h"

struct fixture {
	struct bus bus;
	struct test_clock clk;
	struct irq_probe irq;
	struct pit pit;
	struct device dev;
};

static int setup(struct fixture *f)
{
	bus_init(&f->bus, NULL);
	test_clock_init(&f->clk, 0);
	int err = pit_init(&f->pit, &f->bus, &f->clk.vc, irq_probe_init(&f->irq, 0));
	f->dev = pit_device(&f->pit);
	return err;
}

static void out(struct fixture *f, uint16_t port, uint8_t v)
{
	bus_write(&f->bus, BUS_PIO, port, v, 1);
}

static uint8_t in(struct fixture *f, uint16_t port)
{
	return (uint8_t)bus_read(&f->bus, BUS_PIO, port, 1);
}

/* Guest ns at which `ticks` input clocks have elapsed since time 0, computed the long way:
 * the smallest ns with ns * 1193182 / 1e9 >= ticks. */
static uint64_t at_tick(uint64_t ticks)
{
	uint64_t ns = ticks * 1000000000ull / PIT_HZ;
	while (ns * PIT_HZ / 1000000000ull < ticks)
		ns++;
	return ns;
}

static uint16_t latch_read(struct fixture *f, int ch)
{
	out(f, 0x43, (uint8_t)(ch << 6)); /* counter latch */
	uint8_t lo = in(f, 0x40 + ch);
	return (uint16_t)(lo | in(f, 0x40 + ch) << 8);
}

static void program(struct fixture *f, int ch, uint8_t mode_bits, uint16_t count)
{
	out(f, 0x43, (uint8_t)(ch << 6 | 0x30 | mode_bits));
	out(f, 0x40 + ch, count & 0xff);
	out(f, 0x40 + ch, count >> 8);
}

TEST(mode2_counts_down_and_reloads)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	f.clk.now = 5000;
	program(&f, 0, 0x04, 11932);
	CHECK_EQ(latch_read(&f, 0), 11932);
	f.clk.now = 5000 + 1000000; /* 1 ms: 1193 ticks */
	CHECK_EQ(latch_read(&f, 0), 11932 - 1193);
	f.clk.now = 5000 + at_tick(11931);
	CHECK_EQ(latch_read(&f, 0), 1);
	f.clk.now = 5000 + at_tick(11932);
	CHECK_EQ(latch_read(&f, 0), 11932); /* reloaded */
	f.clk.now = 5000 + at_tick(11932 * 3 + 7);
	CHECK_EQ(latch_read(&f, 0), 11932 - 7);
}

TEST(mode2_irq_edges_and_deadlines)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	CHECK_EQ(f.dev.next_deadline(f.dev.opaque), DEADLINE_NONE);
	program(&f, 0, 0x04, 11932);
	int rises = f.irq.rises[0];
	/* 11932 ticks = 10 ms + 150.86 ns */
	CHECK_EQ(f.dev.next_deadline(f.dev.opaque), 10000151);
	f.dev.advance(f.dev.opaque, 10000150);
	CHECK_EQ(f.irq.rises[0], rises);
	f.dev.advance(f.dev.opaque, 10000151);
	CHECK_EQ(f.irq.rises[0], rises + 1);
	CHECK_EQ(f.dev.next_deadline(f.dev.opaque), 20000302);
	/* Advancing again to the same time delivers nothing new. */
	f.dev.advance(f.dev.opaque, 10000151);
	CHECK_EQ(f.irq.rises[0], rises + 1);
	/* A second of periods at once is one edge: the PIC could latch no more. */
	f.dev.advance(f.dev.opaque, 1000000000);
	CHECK_EQ(f.irq.rises[0], rises + 2);
	uint64_t next = f.dev.next_deadline(f.dev.opaque);
	CHECK_EQ(next, at_tick(11932 * 100));
	CHECK(next > 1000000000);
}

TEST(mode3_square_wave)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	program(&f, 0, 0x06, 1000);
	f.clk.now = at_tick(1);
	CHECK_EQ(latch_read(&f, 0), 998);
	f.clk.now = at_tick(499);
	CHECK_EQ(latch_read(&f, 0), 2);
	out(&f, 0x43, 0xe2); /* read-back: status of channel 0 */
	CHECK_EQ(in(&f, 0x40) >> 7, 1);
	f.clk.now = at_tick(500); /* second half: OUT low, counting again from N */
	CHECK_EQ(latch_read(&f, 0), 1000);
	out(&f, 0x43, 0xe2);
	CHECK_EQ(in(&f, 0x40) >> 7, 0);
	f.clk.now = at_tick(999);
	CHECK_EQ(latch_read(&f, 0), 2);
	CHECK_EQ(f.dev.next_deadline(f.dev.opaque), at_tick(1000));
}

TEST(mode3_odd_count)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	program(&f, 0, 0x06, 5); /* high 3 ticks, low 2 */
	static const uint16_t counts[10] = { 5, 4, 2, 5, 2, 5, 4, 2, 5, 2 };
	static const uint8_t outs[10] = { 1, 1, 1, 0, 0, 1, 1, 1, 0, 0 };
	for (int t = 0; t < 10; t++) {
		f.clk.now = at_tick((uint64_t)t);
		CHECK_EQ(latch_read(&f, 0), counts[t]);
		out(&f, 0x43, 0xe2);
		CHECK_EQ(in(&f, 0x40) >> 7, outs[t]);
	}
}

TEST(mode0_one_shot_lsb_only)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	out(&f, 0x43, 0x10); /* channel 0, lsb only, mode 0 */
	out(&f, 0x43, 0xe2);
	CHECK_EQ(in(&f, 0x40), 0x50); /* OUT low, null count, lsb, mode 0 */
	out(&f, 0x40, 100);
	int rises = f.irq.rises[0];
	f.clk.now = at_tick(40);
	out(&f, 0x43, 0x00);
	CHECK_EQ(in(&f, 0x40), 60); /* lsb only: one read */
	CHECK_EQ(f.dev.next_deadline(f.dev.opaque), at_tick(100));
	f.dev.advance(f.dev.opaque, at_tick(100));
	CHECK_EQ(f.irq.rises[0], rises + 1);
	CHECK_EQ(f.irq.level[0], 1); /* OUT stays high after terminal count */
	CHECK_EQ(f.dev.next_deadline(f.dev.opaque), DEADLINE_NONE);
	f.clk.now = at_tick(101);
	out(&f, 0x43, 0x00);
	CHECK_EQ(in(&f, 0x40), 0xff); /* wrapped to 0xffff, lsb */
	/* A new control word drops OUT (mode 0 initial state). */
	out(&f, 0x43, 0x10);
	CHECK_EQ(f.irq.level[0], 0);
}

TEST(mode4_strobe)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	program(&f, 0, 0x08, 50);
	out(&f, 0x43, 0xe2);
	CHECK_EQ(in(&f, 0x40) >> 7, 1);
	f.clk.now = at_tick(50);
	out(&f, 0x43, 0xe2);
	CHECK_EQ(in(&f, 0x40) >> 7, 0); /* low for the one tick at zero */
	CHECK_EQ(f.dev.next_deadline(f.dev.opaque), at_tick(51));
}

TEST(read_back_status_and_count)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	out(&f, 0x43, 0x34);
	out(&f, 0x43, 0xe2);
	CHECK_EQ(in(&f, 0x40), 0xf4); /* OUT high, null count, lsb/msb, mode 2 */
	out(&f, 0x40, 0x00);
	out(&f, 0x40, 0x10);
	f.clk.now = at_tick(0x100);
	out(&f, 0x43, 0xc2); /* latch count and status */
	f.clk.now = at_tick(0x200); /* later reads return what was latched */
	CHECK_EQ(in(&f, 0x40), 0xb4);
	CHECK_EQ(in(&f, 0x40), 0x00);
	CHECK_EQ(in(&f, 0x40), 0x0f);
	/* Latch twice before reading: the first value stays. */
	out(&f, 0x43, 0x00);
	f.clk.now = at_tick(0x300);
	out(&f, 0x43, 0x00);
	CHECK_EQ(in(&f, 0x40), 0x00);
	CHECK_EQ(in(&f, 0x40), 0x0e);
	/* Read-back of channels 1 and 2, count only; then status and count. */
	program(&f, 1, 0x04, 0x1234);
	program(&f, 2, 0x04, 0x4321);
	out(&f, 0x43, 0xdc);
	CHECK_EQ(in(&f, 0x41), 0x34);
	CHECK_EQ(in(&f, 0x42), 0x21);
	CHECK_EQ(in(&f, 0x41), 0x12);
	CHECK_EQ(in(&f, 0x42), 0x43);
	out(&f, 0x43, 0xcc);
	CHECK_EQ(in(&f, 0x42), 0xb4); /* channel 2's gate is low: paused, OUT high */
	CHECK_EQ(in(&f, 0x42), 0x21);
	CHECK_EQ(in(&f, 0x42), 0x43);
}

TEST(live_lohi_reads_alternate)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	program(&f, 0, 0x04, 0x1234);
	f.clk.now = at_tick(0x34);
	CHECK_EQ(in(&f, 0x40), 0x00);
	CHECK_EQ(in(&f, 0x40), 0x12);
	CHECK_EQ(in(&f, 0x40), 0x00);
	/* msb-only access */
	out(&f, 0x43, 0x24);
	out(&f, 0x40, 0x20);
	f.clk.now += at_tick(0x100) - at_tick(0);
	CHECK(in(&f, 0x40) <= 0x1f);
}

TEST(bcd_and_count_zero)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	program(&f, 0, 0x05, 0x1000); /* BCD 1000 */
	f.clk.now = at_tick(1);
	CHECK_EQ(latch_read(&f, 0), 0x0999);
	f.clk.now = 0;
	program(&f, 0, 0x05, 0x0000); /* BCD 0 = 10000 */
	f.clk.now = at_tick(1);
	CHECK_EQ(latch_read(&f, 0), 0x9999);
	f.clk.now = 0;
	program(&f, 0, 0x04, 0x0000); /* binary 0 = 65536 */
	f.clk.now = at_tick(1);
	CHECK_EQ(latch_read(&f, 0), 0xffff);
	CHECK_EQ(f.dev.next_deadline(f.dev.opaque), at_tick(65536));
}

TEST(port61_gate_and_out_of_channel2)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	/* Linux's calibration: gate on, speaker off, mode 0 for ~1 ms, poll OUT. */
	out(&f, 0x61, (in(&f, 0x61) & ~0x02) | 0x01);
	CHECK_EQ(in(&f, 0x61) & 0x03, 0x01);
	out(&f, 0x43, 0xb0);
	out(&f, 0x42, 1193 & 0xff);
	out(&f, 0x42, 1193 >> 8);
	f.clk.now = at_tick(1192);
	CHECK_EQ(in(&f, 0x61) & 0x20, 0);
	f.clk.now = at_tick(1193);
	CHECK_EQ(in(&f, 0x61) & 0x20, 0x20);
	/* Gate low pauses mode 0. */
	out(&f, 0x43, 0xb0);
	out(&f, 0x42, 100);
	out(&f, 0x42, 0);
	f.clk.now += at_tick(10) - at_tick(0);
	out(&f, 0x61, 0x00);
	uint16_t held = latch_read(&f, 2);
	CHECK(held <= 90 && held >= 89);
	f.clk.now += 1000000;
	CHECK_EQ(latch_read(&f, 2), held);
	out(&f, 0x61, 0x01);
	f.clk.now += at_tick(5) - at_tick(0) + 1;
	CHECK(latch_read(&f, 2) < held);
	/* No IRQ from channel 2. */
	CHECK_EQ(f.irq.rises[0], 0);
}

TEST(port61_refresh_toggles)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	f.clk.now = 0;
	uint8_t a = in(&f, 0x61) & 0x10;
	f.clk.now = 15085;
	uint8_t b = in(&f, 0x61) & 0x10;
	CHECK(a != b);
}

TEST(save_load_same_behaviour)
{
	struct fixture a, b;
	uint8_t blob[512], blob2[512];
	CHECK_EQ(setup(&a), 0);
	CHECK_EQ(setup(&b), 0);
	a.clk.now = 777;
	program(&a, 0, 0x04, 5000);
	program(&a, 2, 0x06, 300);
	out(&a, 0x61, 0x03);
	a.dev.advance(a.dev.opaque, at_tick(12000));
	out(&a, 0x43, 0x00); /* a pending latch is part of the state */
	long n = a.dev.save(a.dev.opaque, blob, sizeof(blob));
	CHECK(n > 0);
	CHECK_EQ(b.dev.load(b.dev.opaque, blob, (size_t)n), 0);
	CHECK_EQ(b.dev.save(b.dev.opaque, blob2, sizeof(blob2)), n);
	CHECK(memcmp(blob, blob2, (size_t)n) == 0);
	CHECK_EQ(b.dev.next_deadline(b.dev.opaque), a.dev.next_deadline(a.dev.opaque));
	for (uint64_t t = at_tick(12000); t < at_tick(30000); t += 333333) {
		a.clk.now = b.clk.now = t;
		CHECK_EQ(in(&b, 0x40), in(&a, 0x40));
		CHECK_EQ(in(&b, 0x42), in(&a, 0x42));
		CHECK_EQ(in(&b, 0x61) & 0x2f, in(&a, 0x61) & 0x2f);
		int ra = a.irq.rises[0], rb = b.irq.rises[0];
		a.dev.advance(a.dev.opaque, t);
		b.dev.advance(b.dev.opaque, t);
		CHECK_EQ(b.pit.s.irq_level, a.pit.s.irq_level);
		CHECK_EQ(b.irq.rises[0] - rb, a.irq.rises[0] - ra);
		CHECK_EQ(b.dev.next_deadline(b.dev.opaque), a.dev.next_deadline(a.dev.opaque));
	}
}

TEST(load_rejects_bad_blobs)
{
	struct fixture f;
	uint8_t blob[512];
	CHECK_EQ(setup(&f), 0);
	long n = f.dev.save(f.dev.opaque, blob, sizeof(blob));
	CHECK(n > 8);
	CHECK_EQ(f.dev.save(f.dev.opaque, blob, (size_t)n - 1), -1);
	CHECK_EQ(f.dev.load(f.dev.opaque, blob, (size_t)n + 1), -1);
	blob[3] ^= 0x40; /* tag */
	CHECK_EQ(f.dev.load(f.dev.opaque, blob, (size_t)n), -1);
	blob[3] ^= 0x40;
	/* count 0 of channel 0 */
	memset(blob + 8 + offsetof(struct pit_channel, count), 0, 4);
	CHECK_EQ(f.dev.load(f.dev.opaque, blob, (size_t)n), -1);
	CHECK_EQ(f.dev.load(f.dev.opaque, blob, 0), -1);
}

TEST(garbage_never_crashes)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	for (uint64_t seed = 1; seed < 300; seed++) {
		test_fuzz_ports(&f.bus, &f.dev, &f.clk, 0x40, 4, seed, 200);
		test_fuzz_ports(&f.bus, &f.dev, &f.clk, 0x61, 0, seed * 3, 20);
		uint64_t d = f.dev.next_deadline(f.dev.opaque);
		CHECK(d == DEADLINE_NONE || d > f.pit.s.last_ns);
	}
	/* The deadline is an edge: advancing to it delivers one. */
	program(&f, 0, 0x04, 1000);
	uint64_t d = f.dev.next_deadline(f.dev.opaque);
	int rises = f.irq.rises[0];
	f.dev.advance(f.dev.opaque, d);
	CHECK_EQ(f.irq.rises[0], rises + 1);
}

RUN_TESTS(T(mode2_counts_down_and_reloads), T(mode2_irq_edges_and_deadlines),
	  T(mode3_square_wave), T(mode3_odd_count), T(mode0_one_shot_lsb_only), T(mode4_strobe),
	  T(read_back_status_and_count), T(live_lohi_reads_alternate), T(bcd_and_count_zero),
	  T(port61_gate_and_out_of_channel2), T(port61_refresh_toggles),
	  T(save_load_same_behaviour), T(load_rejects_bad_blobs), T(garbage_never_crashes))
