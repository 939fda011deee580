/* debug-exit, port 0x80 and the reset paths (0xcf9, 8042). */
#include "devices/debug_exit.h"
#include "devices/port80.h"
#include "devices/reset.h"
#include "tests/unit/check.h"
#include "tests/unit/devtest.h"

struct fixture {
	struct bus bus;
	struct debug_exit de;
	struct port80 p80;
	struct reset_ctl rst;
	int exits, resets;
	uint32_t exit_value;
};

static void note_exit(void *ctx, uint32_t value)
{
	struct fixture *f = ctx;
	f->exits++;
	f->exit_value = value;
}

static void note_reset(void *ctx)
{
	((struct fixture *)ctx)->resets++;
}

static int setup(struct fixture *f)
{
	bus_init(&f->bus, NULL);
	f->exits = f->resets = 0;
	f->exit_value = 0;
	int err = debug_exit_init(&f->de, &f->bus, note_exit, f);
	if (!err)
		err = port80_init(&f->p80, &f->bus);
	if (!err)
		err = reset_init(&f->rst, &f->bus, note_reset, f);
	return err;
}

static void out(struct fixture *f, uint16_t port, uint64_t v, int size)
{
	bus_write(&f->bus, BUS_PIO, port, v, size);
}

static uint64_t in(struct fixture *f, uint16_t port, int size)
{
	return bus_read(&f->bus, BUS_PIO, port, size);
}

TEST(debug_exit_value)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	CHECK_EQ(in(&f, 0xf4, 1), 0xff);
	CHECK_EQ(in(&f, 0xf4, 4), 0xffffffffu);
	CHECK_EQ(f.exits, 0);
	out(&f, 0xf4, 0x31, 1);
	CHECK_EQ(f.exits, 1);
	CHECK_EQ(f.exit_value, 0x31);
	out(&f, 0xf4, 0x12345678, 4);
	CHECK_EQ(f.exit_value, 0x12345678);
	out(&f, 0xf4, 0xabcdef01, 2); /* a 16-bit write carries 16 bits */
	CHECK_EQ(f.exit_value, 0xef01);
	out(&f, 0xf7, 3, 1); /* any of the four ports */
	CHECK_EQ(f.exit_value, 3);
	CHECK_EQ(f.exits, 4);
	CHECK_EQ(f.de.s.value, 3);
	CHECK_EQ(f.de.s.written, 1);
}

TEST(debug_exit_without_callback)
{
	struct bus bus;
	struct debug_exit de;
	bus_init(&bus, NULL);
	CHECK_EQ(debug_exit_init(&de, &bus, NULL, NULL), 0);
	bus_write(&bus, BUS_PIO, 0xf4, 9, 1);
	CHECK_EQ(de.s.value, 9);
}

TEST(port80_keeps_last_code)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	CHECK_EQ(in(&f, 0x80, 1), 0x00);
	out(&f, 0x80, 0x5c, 1);
	CHECK_EQ(in(&f, 0x80, 1), 0x5c);
	out(&f, 0x80, 0x1234, 2); /* the byte for 0x81 is not ours */
	CHECK_EQ(in(&f, 0x80, 1), 0x34);
	CHECK_EQ(in(&f, 0x80, 2), 0xff34);
	CHECK_EQ(f.exits + f.resets, 0);
}

TEST(cf9_reset_sequence)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	CHECK_EQ(in(&f, 0xcf9, 1), 0x00);
	/* Linux: read, set SYS_RST, then SYS_RST | RST_CPU. */
	out(&f, 0xcf9, 0x02, 1);
	CHECK_EQ(f.resets, 0);
	CHECK_EQ(in(&f, 0xcf9, 1), 0x02);
	out(&f, 0xcf9, 0x06, 1);
	CHECK_EQ(f.resets, 1);
	/* RST_CPU already set: no new transition. */
	out(&f, 0xcf9, 0x0e, 1);
	CHECK_EQ(f.resets, 1);
	out(&f, 0xcf9, 0x00, 1);
	out(&f, 0xcf9, 0x04, 1); /* a soft reset is a reset too */
	CHECK_EQ(f.resets, 2);
	out(&f, 0xcf9, 0xf1, 1); /* reserved bits are dropped */
	CHECK_EQ(in(&f, 0xcf9, 1), 0x00);
}

TEST(kbc_pulse_reset)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	/* A guest waits for the input buffer to empty before each command. */
	CHECK_EQ(in(&f, 0x64, 1) & 0x02, 0);
	CHECK_EQ(in(&f, 0x64, 1), 0x14);
	out(&f, 0x64, 0xfe, 1);
	CHECK_EQ(f.resets, 1);
	CHECK_EQ(in(&f, 0x64, 1), 0x1c); /* last write was a command */
	out(&f, 0x64, 0xff, 1);		  /* pulse nothing */
	out(&f, 0x64, 0xf3, 1);		  /* pulse bits 2, 3 only */
	CHECK_EQ(f.resets, 1);
	out(&f, 0x64, 0xf0, 1); /* pulse all four, reset among them */
	CHECK_EQ(f.resets, 2);
}

TEST(kbc_output_port_reset)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	out(&f, 0x60, 0x00, 1); /* keyboard data without a command: nothing */
	CHECK_EQ(f.resets, 0);
	out(&f, 0x64, 0xd1, 1);
	out(&f, 0x60, 0x03, 1); /* A20 on, reset line high: no reset */
	CHECK_EQ(f.resets, 0);
	CHECK_EQ(in(&f, 0x64, 1) & 0x08, 0);
	out(&f, 0x64, 0xd1, 1);
	out(&f, 0x60, 0x02, 1);
	CHECK_EQ(f.resets, 1);
	out(&f, 0x60, 0x02, 1); /* the command took one byte only */
	CHECK_EQ(f.resets, 1);
	CHECK_EQ(in(&f, 0x60, 1), 0x00);
}

TEST(save_load_each)
{
	struct fixture a, b;
	uint8_t blob[64], blob2[64];
	CHECK_EQ(setup(&a), 0);
	CHECK_EQ(setup(&b), 0);
	out(&a, 0xf4, 0x77, 1);
	out(&a, 0x80, 0xaa, 1);
	out(&a, 0xcf9, 0x02, 1);
	out(&a, 0x64, 0xd1, 1);
	struct device da[3] = { debug_exit_device(&a.de), port80_device(&a.p80),
				reset_device(&a.rst) };
	struct device db[3] = { debug_exit_device(&b.de), port80_device(&b.p80),
				reset_device(&b.rst) };
	for (int i = 0; i < 3; i++) {
		long n = da[i].save(da[i].opaque, blob, sizeof(blob));
		CHECK(n > 8);
		CHECK_EQ(da[i].save(da[i].opaque, blob, (size_t)n - 1), -1);
		CHECK_EQ(db[i].load(db[i].opaque, blob, (size_t)n), 0);
		CHECK_EQ(db[i].save(db[i].opaque, blob2, sizeof(blob2)), n);
		CHECK(memcmp(blob, blob2, (size_t)n) == 0);
		/* Another device's blob is refused. */
		int other = (i + 1) % 3;
		CHECK_EQ(db[other].load(db[other].opaque, blob, (size_t)n), -1);
		CHECK_EQ(db[i].load(db[i].opaque, blob, (size_t)n + 1), -1);
	}
	CHECK_EQ(b.de.s.value, 0x77);
	CHECK_EQ(in(&b, 0x80, 1), 0xaa);
	/* The reset controller resumes mid-sequence. */
	out(&b, 0x60, 0x00, 1);
	CHECK_EQ(b.resets, 1);
	out(&b, 0xcf9, 0x06, 1);
	CHECK_EQ(b.resets, 2);
	/* Corrupt reset state is refused. */
	long n = db[2].save(db[2].opaque, blob, sizeof(blob));
	blob[8 + offsetof(struct reset_state, kbc_pending)] = 0x55;
	CHECK_EQ(db[2].load(db[2].opaque, blob, (size_t)n), -1);
}

TEST(garbage_never_crashes)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	for (uint64_t seed = 1; seed < 200; seed++) {
		test_fuzz_ports(&f.bus, NULL, NULL, 0xf4, 4, seed, 100);
		test_fuzz_ports(&f.bus, NULL, NULL, 0x80, 1, seed, 100);
		test_fuzz_ports(&f.bus, NULL, NULL, 0xcf9, 1, seed, 100);
		test_fuzz_ports(&f.bus, NULL, NULL, 0x60, 4, seed, 100);
	}
	CHECK(f.exits > 0);
	CHECK(f.resets > 0);
}

RUN_TESTS(T(debug_exit_value), T(debug_exit_without_callback), T(port80_keeps_last_code),
	  T(cf9_reset_sequence), T(kbc_pulse_reset), T(kbc_output_port_reset), T(save_load_each),
	  T(garbage_never_crashes))
