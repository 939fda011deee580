/* The pvpanic port (devices/pvpanic.c) against QEMU's ISA pvpanic: port 0x505 reads the
 * supported events (bits 0 and 1), a write of bit 0 reports a panic, bit 1 alone a crash
 * kernel taking over, other bits are ignored. */
#include "devices/pvpanic.h"
#include "tests/unit/check.h"
#include "tests/unit/devtest.h"

struct fixture {
	struct bus bus;
	struct pvpanic pp;
	int events;
	uint8_t last;
};

static void note_event(void *ctx, uint8_t event)
{
	struct fixture *f = ctx;
	f->events++;
	f->last = event;
}

static int setup(struct fixture *f)
{
	bus_init(&f->bus, NULL);
	f->events = 0;
	f->last = 0;
	return pvpanic_init(&f->pp, &f->bus, note_event, f);
}

static void out(struct fixture *f, uint16_t port, uint64_t v, int size)
{
	bus_write(&f->bus, BUS_PIO, port, v, size);
}

static uint64_t in(struct fixture *f, uint16_t port, int size)
{
	return bus_read(&f->bus, BUS_PIO, port, size);
}

TEST(reads_the_supported_events)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	/* Linux's driver ANDs what it can send with this byte (pvpanic-mmio.c). */
	CHECK_EQ(in(&f, 0x505, 1), 0x03);
	/* One byte wide: the next port is the empty bus. */
	CHECK_EQ(in(&f, 0x505, 2), 0xff03);
	CHECK_EQ(in(&f, 0x504, 1), 0xff);
	CHECK_EQ(in(&f, 0x506, 1), 0xff);
	out(&f, 0x505, 0x02, 1);
	CHECK_EQ(in(&f, 0x505, 1), 0x03); /* writes do not change what reads say */
	CHECK_EQ(f.events, 1);
}

TEST(panicked_and_crash_loaded)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	out(&f, 0x505, 0x01, 1);
	CHECK_EQ(f.events, 1);
	CHECK_EQ(f.last, PVPANIC_PANICKED);
	out(&f, 0x505, 0x02, 1);
	CHECK_EQ(f.events, 2);
	CHECK_EQ(f.last, PVPANIC_CRASH_LOADED);
	/* Both bits: the panic wins, as in QEMU's handle_event(). */
	out(&f, 0x505, 0x03, 1);
	CHECK_EQ(f.events, 3);
	CHECK_EQ(f.last, PVPANIC_PANICKED);
	CHECK_EQ(f.pp.s.event, PVPANIC_PANICKED);
	/* A 16-bit write's low byte is the event; its high byte goes to 0x506, no one's. */
	out(&f, 0x505, 0x0102, 2);
	CHECK_EQ(f.events, 4);
	CHECK_EQ(f.last, PVPANIC_CRASH_LOADED);
}

TEST(unknown_bits_are_ignored)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	out(&f, 0x505, 0x00, 1);
	out(&f, 0x505, 0x04, 1); /* "shutdown" in newer QEMUs: not offered, not acted on */
	out(&f, 0x505, 0xf0, 1);
	CHECK_EQ(f.events, 0);
	CHECK_EQ(f.pp.s.event, 0);
	CHECK_EQ(f.pp.s.unknown, 0xf4);
	out(&f, 0x505, 0x85, 1); /* with bit 0 among them, still a panic */
	CHECK_EQ(f.events, 1);
	CHECK_EQ(f.last, PVPANIC_PANICKED);
	out(&f, 0x504, 0x01, 1); /* not our port */
	out(&f, 0x506, 0x01, 1);
	CHECK_EQ(f.events, 1);
}

TEST(save_load)
{
	struct fixture a, b;
	uint8_t blob[32], blob2[32];
	CHECK_EQ(setup(&a), 0);
	CHECK_EQ(setup(&b), 0);
	out(&a, 0x505, 0x0a, 1);
	struct device da = pvpanic_device(&a.pp), db = pvpanic_device(&b.pp);
	long n = da.save(da.opaque, blob, sizeof(blob));
	CHECK(n > 8);
	CHECK_EQ(da.save(da.opaque, blob, (size_t)n - 1), -1);
	CHECK_EQ(db.load(db.opaque, blob, (size_t)n), 0);
	CHECK_EQ(db.save(db.opaque, blob2, sizeof(blob2)), n);
	CHECK(memcmp(blob, blob2, (size_t)n) == 0);
	CHECK_EQ(b.pp.s.event, PVPANIC_CRASH_LOADED);
	CHECK_EQ(b.events, 0); /* loading a state reports nothing */
	CHECK_EQ(db.load(db.opaque, blob, (size_t)n + 1), -1);
	/* Corrupt states are refused: an event that is not one, known bits among the unknown. */
	blob[8 + offsetof(struct pvpanic_state, event)] = 0x03;
	CHECK_EQ(db.load(db.opaque, blob, (size_t)n), -1);
	blob[8 + offsetof(struct pvpanic_state, event)] = PVPANIC_PANICKED;
	blob[8 + offsetof(struct pvpanic_state, unknown)] = 0x09;
	CHECK_EQ(db.load(db.opaque, blob, (size_t)n), -1);
	CHECK_EQ(b.pp.s.event, PVPANIC_CRASH_LOADED);
}

TEST(garbage_never_crashes)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	for (uint64_t seed = 1; seed < 200; seed++)
		test_fuzz_ports(&f.bus, NULL, NULL, 0x505, 1, seed, 100);
	CHECK(f.events > 0);
	CHECK_EQ(in(&f, 0x505, 1), 0x03);
}

RUN_TESTS(T(reads_the_supported_events), T(panicked_and_crash_loaded), T(unknown_bits_are_ignored),
	  T(save_load), T(garbage_never_crashes))
