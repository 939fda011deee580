#include "devices/bus.h"
#include "tests/unit/check.h"

#include <errno.h>

struct fake_reg {
	uint64_t last_offset, last_value;
	int last_size;
};

static uint64_t reg_read(void *opaque, uint64_t offset, int size)
{
	struct fake_reg *r = opaque;
	r->last_offset = offset;
	r->last_size = size;
	return 0x1234 + offset;
}

static void reg_write(void *opaque, uint64_t offset, uint64_t value, int size)
{
	struct fake_reg *r = opaque;
	r->last_offset = offset;
	r->last_value = value;
	r->last_size = size;
}

static const struct io_ops reg_ops = { reg_read, reg_write };

TEST(dispatch_by_offset)
{
	struct bus bus;
	struct fake_reg r = { 0 };
	bus_init(&bus, NULL);
	CHECK_EQ(bus_register(&bus, BUS_PIO, 0x3f8, 8, &reg_ops, &r, "r"), 0);
	CHECK_EQ(bus_read(&bus, BUS_PIO, 0x3fb, 1), 0x1237);
	CHECK_EQ(r.last_offset, 3);
	bus_write(&bus, BUS_PIO, 0x3f9, 0xab, 1);
	CHECK_EQ(r.last_offset, 1);
	CHECK_EQ(r.last_value, 0xab);
}

TEST(overlap_refused)
{
	struct bus bus;
	struct fake_reg r = { 0 };
	bus_init(&bus, NULL);
	CHECK_EQ(bus_register(&bus, BUS_PIO, 0x40, 4, &reg_ops, &r, "a"), 0);
	CHECK_EQ(bus_register(&bus, BUS_PIO, 0x43, 2, &reg_ops, &r, "b"), -EBUSY);
	CHECK_EQ(bus_register(&bus, BUS_MMIO, 0x40, 4, &reg_ops, &r, "c"), 0);
}

TEST(unclaimed_reads_all_ones_and_reports_once)
{
	struct bus bus;
	char buf[512] = { 0 };
	FILE *log = fmemopen(buf, sizeof(buf), "w");
	bus_init(&bus, log);
	CHECK_EQ(bus_read(&bus, BUS_PIO, 0x123, 1), 0xff);
	CHECK_EQ(bus_read(&bus, BUS_PIO, 0x123, 2), 0xffff);
	CHECK_EQ(bus_read(&bus, BUS_MMIO, 0xfee00000, 4), 0xffffffffu);
	bus_write(&bus, BUS_PIO, 0x123, 5, 1);
	fclose(log);
	int lines = 0;
	for (char *p = buf; *p; p++)
		lines += *p == '\n';
	CHECK_EQ(lines, 2);
}

RUN_TESTS(T(dispatch_by_offset), T(overlap_refused), T(unclaimed_reads_all_ones_and_reports_once))
