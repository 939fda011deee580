/* The MC146818 at register level: time formats, UIP window, setting the clock, register C and
 * the update-ended, periodic and alarm interrupts, CMOS RAM. Guest time starts at
 * 2023-11-14 22:13:20 UTC (a Tuesday), Unix time 1700000000. */
#include "devices/rtc.h"
#include "tests/unit/check.h"
#include "tests/unit/devtest.h"

#define EPOCH 1700000000
#define SEC 1000000000ull

struct fixture {
	struct bus bus;
	struct test_clock clk;
	struct irq_probe irq;
	struct rtc rtc;
	struct device dev;
};

static int setup(struct fixture *f)
{
	bus_init(&f->bus, NULL);
	test_clock_init(&f->clk, EPOCH);
	int err = rtc_init(&f->rtc, &f->bus, &f->clk.vc, irq_probe_init(&f->irq, 8));
	f->dev = rtc_device(&f->rtc);
	return err;
}

static uint8_t rd(struct fixture *f, uint8_t index)
{
	bus_write(&f->bus, BUS_PIO, 0x70, index, 1);
	return (uint8_t)bus_read(&f->bus, BUS_PIO, 0x71, 1);
}

static void wr(struct fixture *f, uint8_t index, uint8_t v)
{
	bus_write(&f->bus, BUS_PIO, 0x70, index, 1);
	bus_write(&f->bus, BUS_PIO, 0x71, v, 1);
}

TEST(bcd_24h_at_boot)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	CHECK_EQ(rd(&f, 0x00), 0x20);
	CHECK_EQ(rd(&f, 0x02), 0x13);
	CHECK_EQ(rd(&f, 0x04), 0x22);
	CHECK_EQ(rd(&f, 0x06), 3); /* Tuesday, Sunday = 1 */
	CHECK_EQ(rd(&f, 0x07), 0x14);
	CHECK_EQ(rd(&f, 0x08), 0x11);
	CHECK_EQ(rd(&f, 0x09), 0x23);
	CHECK_EQ(rd(&f, 0x32), 0x20);
	CHECK_EQ(rd(&f, 0x0a), 0x26);
	CHECK_EQ(rd(&f, 0x0b), 0x02);
	CHECK_EQ(rd(&f, 0x0d), 0x80);
	f.clk.now = 3 * SEC + SEC / 2;
	CHECK_EQ(rd(&f, 0x00), 0x23);
	f.clk.now = (24 * 3600 - 22 * 3600 - 13 * 60 - 20) * SEC; /* midnight: Wednesday */
	CHECK_EQ(rd(&f, 0x04), 0x00);
	CHECK_EQ(rd(&f, 0x06), 4);
	CHECK_EQ(rd(&f, 0x07), 0x15);
}

/* A replayer sets the epoch after the devices are created: the RTC must follow it. */
TEST(epoch_read_at_use)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	f.clk.vc.epoch_at_boot = 946684800; /* 2000-01-01 00:00:00 */
	CHECK_EQ(rd(&f, 0x09), 0x00);
	CHECK_EQ(rd(&f, 0x00), 0x00);
	/* A guest setting is kept relative to the epoch. */
	wr(&f, 0x02, 0x30);
	CHECK_EQ(rd(&f, 0x02), 0x30);
	CHECK_EQ(rd(&f, 0x04), 0x00);
}

TEST(binary_and_12h_modes)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	wr(&f, 0x0b, 0x06); /* binary, 24h */
	CHECK_EQ(rd(&f, 0x00), 20);
	CHECK_EQ(rd(&f, 0x04), 22);
	CHECK_EQ(rd(&f, 0x09), 23);
	CHECK_EQ(rd(&f, 0x32), 20);
	wr(&f, 0x0b, 0x00); /* BCD, 12h: 10 PM */
	CHECK_EQ(rd(&f, 0x04), 0x90);
	wr(&f, 0x0b, 0x04); /* binary, 12h */
	CHECK_EQ(rd(&f, 0x04), 0x8a);
	f.clk.now = (2 * 3600 - 13 * 60 - 20) * SEC; /* 00:00: 12 AM */
	CHECK_EQ(rd(&f, 0x04), 12);
	f.clk.now += 14 * 3600 * SEC; /* 14:00: 2 PM */
	CHECK_EQ(rd(&f, 0x04), 0x82);
}

TEST(uip_window)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	f.clk.now = 5 * SEC + SEC - 244001;
	CHECK_EQ(rd(&f, 0x0a) & 0x80, 0);
	f.clk.now = 5 * SEC + SEC - 244000;
	CHECK_EQ(rd(&f, 0x0a) & 0x80, 0x80);
	CHECK_EQ(rd(&f, 0x00), 0x25); /* the old second until the update */
	f.clk.now = 6 * SEC - 1;
	CHECK_EQ(rd(&f, 0x0a) & 0x80, 0x80);
	f.clk.now = 6 * SEC;
	CHECK_EQ(rd(&f, 0x0a) & 0x80, 0);
	CHECK_EQ(rd(&f, 0x00), 0x26);
	/* SET stops updates: no UIP. */
	f.clk.now = 6 * SEC + SEC - 1000;
	wr(&f, 0x0b, 0x82);
	CHECK_EQ(rd(&f, 0x0a) & 0x80, 0);
}

TEST(set_freezes_and_sets_the_clock)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	f.clk.now = 2 * SEC + 100;
	wr(&f, 0x0b, 0x82);
	f.clk.now = 9 * SEC;
	CHECK_EQ(rd(&f, 0x00), 0x22); /* frozen at 22:13:22 */
	/* 2000-01-01 23:59:58 */
	wr(&f, 0x00, 0x58);
	wr(&f, 0x02, 0x59);
	wr(&f, 0x04, 0x23);
	wr(&f, 0x07, 0x01);
	wr(&f, 0x08, 0x01);
	wr(&f, 0x09, 0x00);
	wr(&f, 0x32, 0x20);
	CHECK_EQ(rd(&f, 0x00), 0x58);
	f.clk.now = 10 * SEC + SEC / 3;
	wr(&f, 0x0b, 0x02);
	CHECK_EQ(rd(&f, 0x00), 0x58);
	CHECK_EQ(rd(&f, 0x06), 7); /* derived from the date: Saturday */
	/* Updates stay on the divider's second boundaries. */
	f.clk.now = 11 * SEC - 1;
	CHECK_EQ(rd(&f, 0x00), 0x58);
	f.clk.now = 11 * SEC;
	CHECK_EQ(rd(&f, 0x00), 0x59);
	f.clk.now = 12 * SEC;
	CHECK_EQ(rd(&f, 0x00), 0x00);
	CHECK_EQ(rd(&f, 0x04), 0x00);
	CHECK_EQ(rd(&f, 0x07), 0x02);
	CHECK_EQ(rd(&f, 0x09), 0x00);
	CHECK_EQ(rd(&f, 0x32), 0x20);
}

/* Linux's mc146818_set_time: SET, divider reset, write, restore B, restore A. */
TEST(linux_set_time_sequence)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	f.clk.now = 7 * SEC + 123;
	uint8_t b = rd(&f, 0x0b), a = rd(&f, 0x0a);
	wr(&f, 0x0b, b | 0x80);
	wr(&f, 0x0a, a | 0x70);
	wr(&f, 0x09, 0x30);
	wr(&f, 0x08, 0x06);
	wr(&f, 0x07, 0x15);
	wr(&f, 0x04, 0x12);
	wr(&f, 0x02, 0x00);
	wr(&f, 0x00, 0x00);
	f.clk.now = 8 * SEC;
	wr(&f, 0x0b, b);
	CHECK_EQ(rd(&f, 0x00), 0x00); /* the divider is still in reset */
	f.clk.now = 9 * SEC;
	wr(&f, 0x0a, a);
	CHECK_EQ(rd(&f, 0x09), 0x30);
	CHECK_EQ(rd(&f, 0x04), 0x12);
	CHECK_EQ(rd(&f, 0x06), 7); /* 2030-06-15 is a Saturday */
	f.clk.now = 9 * SEC + SEC / 2;
	CHECK_EQ(rd(&f, 0x00), 0x01);
}

TEST(write_to_running_clock)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	f.clk.now = SEC / 2;
	wr(&f, 0x02, 0x45);
	CHECK_EQ(rd(&f, 0x02), 0x45);
	CHECK_EQ(rd(&f, 0x00), 0x20);
	f.clk.now = SEC;
	CHECK_EQ(rd(&f, 0x00), 0x21);
	CHECK_EQ(rd(&f, 0x04), 0x22);
}

TEST(set_clears_uie)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	wr(&f, 0x0b, 0x12);
	wr(&f, 0x0b, 0x92);
	CHECK_EQ(rd(&f, 0x0b), 0x82);
}

TEST(update_interrupt_and_register_c)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	CHECK_EQ(f.dev.next_deadline(f.dev.opaque), DEADLINE_NONE);
	wr(&f, 0x0b, 0x12); /* UIE */
	CHECK_EQ(f.dev.next_deadline(f.dev.opaque), SEC);
	f.dev.advance(f.dev.opaque, SEC - 1);
	CHECK_EQ(f.irq.level[8], 0);
	f.dev.advance(f.dev.opaque, SEC);
	CHECK_EQ(f.irq.level[8], 1);
	CHECK_EQ(f.dev.next_deadline(f.dev.opaque), DEADLINE_NONE); /* until C is read */
	f.clk.now = SEC;
	/* PF shows too: the 1024 Hz rate runs whether or not PIE is set. */
	CHECK_EQ(rd(&f, 0x0c), 0xd0);
	CHECK_EQ(f.irq.level[8], 0);
	wr(&f, 0x0a, 0x20); /* periodic rate off */
	CHECK_EQ(rd(&f, 0x0c), 0x00);
	CHECK_EQ(f.dev.next_deadline(f.dev.opaque), 2 * SEC);
	/* Polled without interrupts: UF still shows, IRQF does not. */
	wr(&f, 0x0b, 0x02);
	f.clk.now = 3 * SEC;
	CHECK_EQ(rd(&f, 0x0c), 0x10);
	CHECK_EQ(f.irq.rises[8], 1);
	/* C and D ignore writes. */
	wr(&f, 0x0c, 0xff);
	wr(&f, 0x0d, 0x00);
	CHECK_EQ(rd(&f, 0x0c), 0x00);
	CHECK_EQ(rd(&f, 0x0d), 0x80);
}

TEST(periodic_interrupt)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	wr(&f, 0x0b, 0x42); /* PIE at the default 1024 Hz */
	/* 32 cycles of 32.768 kHz = 976562.5 ns */
	CHECK_EQ(f.dev.next_deadline(f.dev.opaque), 976563);
	f.dev.advance(f.dev.opaque, 976562);
	CHECK_EQ(f.irq.level[8], 0);
	f.dev.advance(f.dev.opaque, 976563);
	CHECK_EQ(f.irq.level[8], 1);
	f.clk.now = 976563;
	CHECK_EQ(rd(&f, 0x0c), 0xc0);
	CHECK_EQ(f.dev.next_deadline(f.dev.opaque), 1953125);
	wr(&f, 0x0a, 0x2f); /* 2 Hz */
	CHECK_EQ(f.dev.next_deadline(f.dev.opaque), SEC / 2);
	wr(&f, 0x0a, 0x20); /* rate 0: off */
	CHECK_EQ(f.dev.next_deadline(f.dev.opaque), DEADLINE_NONE);
}

TEST(alarm_interrupt)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	wr(&f, 0x01, 0x23);
	wr(&f, 0x03, 0x13);
	wr(&f, 0x05, 0xc0); /* any hour */
	wr(&f, 0x0a, 0x20); /* periodic rate off: only AF and UF below */
	wr(&f, 0x0b, 0x22);
	f.dev.advance(f.dev.opaque, 2 * SEC);
	CHECK_EQ(f.irq.level[8], 0);
	f.clk.now = 2 * SEC;
	CHECK_EQ(rd(&f, 0x0c) & 0x20, 0);
	CHECK_EQ(f.dev.next_deadline(f.dev.opaque), 3 * SEC);
	f.dev.advance(f.dev.opaque, 3 * SEC);
	CHECK_EQ(f.irq.level[8], 1);
	f.clk.now = 3 * SEC;
	CHECK_EQ(rd(&f, 0x0c), 0xb0);
	CHECK_EQ(f.irq.level[8], 0);
	/* Over an hour in one step: the alarm second (23:13:23) was passed over and still
	 * counts. */
	f.dev.advance(f.dev.opaque, 3602 * SEC);
	f.clk.now = 3602 * SEC;
	CHECK_EQ(rd(&f, 0x0c) & 0x20, 0);
	f.dev.advance(f.dev.opaque, 3700 * SEC);
	CHECK_EQ(f.irq.level[8], 1);
}

TEST(divider_reset)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	f.clk.now = 4 * SEC + 1000;
	wr(&f, 0x0a, 0x70); /* divider reset: the clock stops */
	f.clk.now = 20 * SEC;
	CHECK_EQ(rd(&f, 0x00), 0x24);
	CHECK_EQ(rd(&f, 0x0a), 0x70);
	wr(&f, 0x0a, 0x26);
	CHECK_EQ(rd(&f, 0x00), 0x24);
	f.clk.now = 20 * SEC + SEC / 2 - 1;
	CHECK_EQ(rd(&f, 0x00), 0x24);
	f.clk.now = 20 * SEC + SEC / 2; /* first update half a second later */
	CHECK_EQ(rd(&f, 0x00), 0x25);
}

TEST(cmos_ram_and_index)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	for (int i = 0x0e; i < 0x80; i++)
		if (i != 0x32)
			wr(&f, (uint8_t)i, (uint8_t)(i ^ 0xa5));
	for (int i = 0x0e; i < 0x80; i++)
		if (i != 0x32)
			CHECK_EQ(rd(&f, (uint8_t)i), i ^ 0xa5);
	/* Bit 7 of the index is the NMI mask, not part of the address. */
	CHECK_EQ(rd(&f, 0x80 | 0x10), 0x10 ^ 0xa5);
	CHECK_EQ(f.rtc.s.nmi_masked, 1);
	CHECK_EQ(bus_read(&f.bus, BUS_PIO, 0x70, 1), 0xff);
	CHECK_EQ(rtc_cmos_set(&f.rtc, 0x15, 0x80), 0);
	CHECK_EQ(rd(&f, 0x15), 0x80);
	CHECK(rtc_cmos_set(&f.rtc, 0x0b, 0) < 0);
	CHECK(rtc_cmos_set(&f.rtc, 0x32, 0) < 0);
	CHECK(rtc_cmos_set(&f.rtc, 128, 0) < 0);
	CHECK(rtc_cmos_set(&f.rtc, -1, 0) < 0);
}

TEST(garbage_time_is_clamped)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	wr(&f, 0x0b, 0x82);
	for (int i = 0; i < 10; i++)
		wr(&f, (uint8_t)i, 0xff);
	wr(&f, 0x32, 0xff);
	wr(&f, 0x0b, 0x02);
	/* 9999-12-31 23:59:59 at most, whatever the digits said */
	CHECK_EQ(rd(&f, 0x00), 0x59);
	CHECK_EQ(rd(&f, 0x08), 0x12);
	CHECK_EQ(rd(&f, 0x32), 0x99);
}

TEST(save_load_same_behaviour)
{
	struct fixture a, b;
	uint8_t blob[512], blob2[512];
	CHECK_EQ(setup(&a), 0);
	CHECK_EQ(setup(&b), 0);
	a.clk.now = 3 * SEC;
	wr(&a, 0x0b, 0x82);
	wr(&a, 0x09, 0x42);
	wr(&a, 0x0b, 0x52); /* PIE, UIE */
	wr(&a, 0x0a, 0x2a);
	wr(&a, 0x40, 0x99);
	a.dev.advance(a.dev.opaque, 3 * SEC + 12345678);
	long n = a.dev.save(a.dev.opaque, blob, sizeof(blob));
	CHECK(n > 0);
	CHECK_EQ(b.dev.load(b.dev.opaque, blob, (size_t)n), 0);
	CHECK_EQ(b.dev.save(b.dev.opaque, blob2, sizeof(blob2)), n);
	CHECK(memcmp(blob, blob2, (size_t)n) == 0);
	for (uint64_t t = 3 * SEC + 12345678; t < 6 * SEC; t += 77777777) {
		a.clk.now = b.clk.now = t;
		CHECK_EQ(b.dev.next_deadline(b.dev.opaque), a.dev.next_deadline(a.dev.opaque));
		for (uint8_t i = 0; i < 0x0e; i++)
			CHECK_EQ(rd(&b, i), rd(&a, i));
		CHECK_EQ(rd(&b, 0x40), 0x99);
		CHECK_EQ(rd(&b, 0x32), rd(&a, 0x32));
	}
}

TEST(load_rejects_bad_blobs)
{
	struct fixture f;
	uint8_t blob[512];
	CHECK_EQ(setup(&f), 0);
	long n = f.dev.save(f.dev.opaque, blob, sizeof(blob));
	CHECK(n > 8);
	CHECK_EQ(f.dev.load(f.dev.opaque, blob, (size_t)n - 1), -1);
	blob[8 + offsetof(struct rtc_state, flags)] = 0x80;
	CHECK_EQ(f.dev.load(f.dev.opaque, blob, (size_t)n), -1);
	blob[8 + offsetof(struct rtc_state, flags)] = 0;
	blob[8 + offsetof(struct rtc_state, index)] = 0x80;
	CHECK_EQ(f.dev.load(f.dev.opaque, blob, (size_t)n), -1);
	blob[8 + offsetof(struct rtc_state, index)] = 0;
	blob[1] ^= 0xff;
	CHECK_EQ(f.dev.load(f.dev.opaque, blob, (size_t)n), -1);
}

TEST(garbage_never_crashes)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	for (uint64_t seed = 1; seed < 300; seed++) {
		test_fuzz_ports(&f.bus, &f.dev, &f.clk, 0x70, 2, seed, 200);
		uint64_t d = f.dev.next_deadline(f.dev.opaque);
		CHECK(d == DEADLINE_NONE || d > f.rtc.s.last_ns);
	}
	/* Big jumps in guest time. */
	f.dev.advance(f.dev.opaque, f.clk.now + 400 * 86400 * SEC);
	CHECK_EQ(f.irq.level[8], f.rtc.s.irq_level);
}

RUN_TESTS(T(bcd_24h_at_boot), T(epoch_read_at_use), T(binary_and_12h_modes), T(uip_window),
	  T(set_freezes_and_sets_the_clock), T(linux_set_time_sequence),
	  T(write_to_running_clock), T(set_clears_uie),
	  T(update_interrupt_and_register_c), T(periodic_interrupt), T(alarm_interrupt),
	  T(divider_reset), T(cmos_ram_and_index), T(garbage_time_is_clamped),
	  T(save_load_same_behaviour), T(load_rejects_bad_blobs), T(garbage_never_crashes))
