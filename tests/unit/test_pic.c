/* The 8259A pair at register level, against the datasheet. */
#include "devices/pic.h"
#include "tests/unit/check.h"
#include "tests/unit/devtest.h"

struct fixture {
	struct bus bus;
	struct pic pic;
	int changes;
};

static void count_change(void *ctx)
{
	((struct fixture *)ctx)->changes++;
}

static void out(struct fixture *f, uint16_t port, uint8_t v)
{
	bus_write(&f->bus, BUS_PIO, port, v, 1);
}

static uint8_t in(struct fixture *f, uint16_t port)
{
	return (uint8_t)bus_read(&f->bus, BUS_PIO, port, 1);
}

static void raise(struct fixture *f, int line, int level)
{
	struct irq_line l = pic_line(&f->pic, line);
	irq_set(&l, level);
}

/* ICW1-ICW4 as Linux programs the pair; icw1/icw4 vary per test. */
static int setup_with(struct fixture *f, uint8_t icw1, uint8_t icw4)
{
	bus_init(&f->bus, NULL);
	f->changes = 0;
	int err = pic_init(&f->pic, &f->bus, count_change, f);
	if (err)
		return err;
	out(f, 0x20, icw1);
	out(f, 0x21, 0x20);
	out(f, 0x21, 0x04);
	out(f, 0x21, icw4);
	out(f, 0xa0, icw1);
	out(f, 0xa1, 0x28);
	out(f, 0xa1, 0x02);
	out(f, 0xa1, icw4);
	out(f, 0x21, 0x00);
	out(f, 0xa1, 0x00);
	return 0;
}

static int setup(struct fixture *f)
{
	return setup_with(f, 0x11, 0x01);
}

static uint8_t read_isr(struct fixture *f, uint16_t port)
{
	out(f, port, 0x0b);
	uint8_t v = in(f, port);
	out(f, port, 0x0a);
	return v;
}

TEST(power_on_masks_everything)
{
	struct fixture f;
	bus_init(&f.bus, NULL);
	CHECK_EQ(pic_init(&f.pic, &f.bus, NULL, NULL), 0);
	CHECK_EQ(in(&f, 0x21), 0xff);
	CHECK_EQ(in(&f, 0xa1), 0xff);
	raise(&f, 0, 1);
	CHECK(!pic_pending(&f.pic));
	CHECK_EQ(in(&f, 0x20), 0x01); /* IRR shows the request */
}

TEST(init_sequence_and_imr)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	out(&f, 0x21, 0xa5);
	CHECK_EQ(in(&f, 0x21), 0xa5);
	out(&f, 0xa1, 0x5a);
	CHECK_EQ(in(&f, 0xa1), 0x5a);
	/* A second ICW1 resets the mask. */
	out(&f, 0x20, 0x11);
	CHECK_EQ(in(&f, 0x21), 0x00);
	/* ICW2 goes to the odd port, then ICW3, ICW4; only then does 0x21 mean OCW1 again. */
	out(&f, 0x21, 0x40);
	out(&f, 0x21, 0x04);
	out(&f, 0x21, 0x01);
	out(&f, 0x21, 0xfe);
	CHECK_EQ(in(&f, 0x21), 0xfe);
	raise(&f, 0, 1);
	CHECK_EQ(pic_ack(&f.pic), 0x40);
}

TEST(ack_eoi_and_notification)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	raise(&f, 0, 1);
	CHECK(pic_pending(&f.pic));
	CHECK_EQ(f.changes, 1);
	CHECK_EQ(pic_ack(&f.pic), 0x20);
	CHECK(!pic_pending(&f.pic));
	CHECK_EQ(f.changes, 2);
	CHECK_EQ(read_isr(&f, 0x20), 0x01);
	CHECK_EQ(in(&f, 0x20), 0x00); /* IRR consumed */
	out(&f, 0x20, 0x20);	      /* non-specific EOI */
	CHECK_EQ(read_isr(&f, 0x20), 0x00);
	/* The line is still high: no new edge, no new request. */
	raise(&f, 0, 1);
	CHECK(!pic_pending(&f.pic));
	raise(&f, 0, 0);
	raise(&f, 0, 1);
	CHECK(pic_pending(&f.pic));
}

TEST(edge_latched_after_line_drops)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	raise(&f, 3, 1);
	raise(&f, 3, 0);
	CHECK(pic_pending(&f.pic));
	CHECK_EQ(pic_ack(&f.pic), 0x23);
}

TEST(priority_and_nesting)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	raise(&f, 3, 1);
	raise(&f, 1, 1);
	CHECK_EQ(pic_ack(&f.pic), 0x21);
	/* IR3 waits behind IR1 in service... */
	CHECK(!pic_pending(&f.pic));
	/* ...but IR0 beats it. */
	raise(&f, 0, 1);
	CHECK(pic_pending(&f.pic));
	CHECK_EQ(pic_ack(&f.pic), 0x20);
	CHECK_EQ(read_isr(&f, 0x20), 0x03);
	out(&f, 0x20, 0x20); /* clears IR0, the highest in service */
	CHECK_EQ(read_isr(&f, 0x20), 0x02);
	CHECK(!pic_pending(&f.pic));
	out(&f, 0x20, 0x61); /* specific EOI for IR1 */
	CHECK(pic_pending(&f.pic));
	CHECK_EQ(pic_ack(&f.pic), 0x23);
}

TEST(mask_holds_request_in_irr)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	out(&f, 0x21, 0x10);
	raise(&f, 4, 1);
	CHECK(!pic_pending(&f.pic));
	CHECK_EQ(in(&f, 0x20), 0x10);
	out(&f, 0x21, 0x00);
	CHECK(pic_pending(&f.pic));
	CHECK_EQ(pic_ack(&f.pic), 0x24);
}

TEST(spurious_master)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	CHECK_EQ(pic_ack(&f.pic), 0x27);
	CHECK_EQ(read_isr(&f, 0x20), 0x00); /* a spurious IR7 is not put in service */
}

TEST(spurious_slave_leaves_cascade_in_service)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	raise(&f, 10, 1); /* slave IR2 -> master IR2 edge latched */
	out(&f, 0xa1, 0x04); /* the request vanishes on the slave */
	CHECK(pic_pending(&f.pic)); /* the master still holds its latched IR2 */
	CHECK_EQ(pic_ack(&f.pic), 0x2f);
	CHECK_EQ(read_isr(&f, 0x20), 0x04);
	CHECK_EQ(read_isr(&f, 0xa0), 0x00);
}

TEST(cascade)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	raise(&f, 12, 1);
	CHECK(pic_pending(&f.pic));
	raise(&f, 5, 1);
	/* IR2 (the slave) beats IR5 on the master. */
	CHECK_EQ(pic_ack(&f.pic), 0x2c);
	CHECK_EQ(read_isr(&f, 0x20), 0x04);
	CHECK_EQ(read_isr(&f, 0xa0), 0x10);
	CHECK(!pic_pending(&f.pic));
	raise(&f, 8, 1); /* higher on the slave, but the master's IR2 is in service */
	CHECK(!pic_pending(&f.pic));
	out(&f, 0xa0, 0x20);
	out(&f, 0x20, 0x20);
	CHECK(pic_pending(&f.pic));
	CHECK_EQ(pic_ack(&f.pic), 0x28);
	out(&f, 0xa0, 0x20);
	out(&f, 0x20, 0x20);
	CHECK_EQ(pic_ack(&f.pic), 0x25);
}

TEST(line2_is_irq9)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	raise(&f, 2, 1);
	CHECK_EQ(pic_ack(&f.pic), 0x29);
}

TEST(special_fully_nested)
{
	struct fixture f;
	CHECK_EQ(setup_with(&f, 0x11, 0x11), 0);
	raise(&f, 12, 1);
	CHECK_EQ(pic_ack(&f.pic), 0x2c);
	raise(&f, 9, 1); /* higher priority on the slave: may nest in SFNM */
	CHECK(pic_pending(&f.pic));
	CHECK_EQ(pic_ack(&f.pic), 0x29);
}

TEST(level_mode)
{
	struct fixture f;
	CHECK_EQ(setup_with(&f, 0x19, 0x01), 0);
	raise(&f, 3, 1);
	CHECK_EQ(pic_ack(&f.pic), 0x23);
	out(&f, 0x20, 0x20);
	CHECK(pic_pending(&f.pic)); /* still high: requested again */
	raise(&f, 3, 0);
	CHECK(!pic_pending(&f.pic));
}

TEST(auto_eoi)
{
	struct fixture f;
	CHECK_EQ(setup_with(&f, 0x11, 0x03), 0);
	raise(&f, 1, 1);
	CHECK_EQ(pic_ack(&f.pic), 0x21);
	CHECK_EQ(read_isr(&f, 0x20), 0x00);
	raise(&f, 6, 1);
	CHECK(pic_pending(&f.pic)); /* nothing in service blocks it */
}

TEST(poll_mode)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	out(&f, 0x20, 0x0c);
	CHECK_EQ(in(&f, 0x20), 0x00); /* nothing pending */
	raise(&f, 6, 1);
	out(&f, 0x20, 0x0c);
	CHECK_EQ(in(&f, 0x20), 0x86);
	CHECK_EQ(read_isr(&f, 0x20), 0x40);
	CHECK_EQ(in(&f, 0x21), 0x00); /* poll is one read only */
}

TEST(rotation)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	out(&f, 0x20, 0xc3); /* set priority: IR3 lowest, IR4 highest */
	raise(&f, 1, 1);
	raise(&f, 5, 1);
	CHECK_EQ(pic_ack(&f.pic), 0x25);
	out(&f, 0x20, 0xa0); /* rotate on non-specific EOI: IR5 becomes lowest */
	CHECK_EQ(read_isr(&f, 0x20), 0x00);
	raise(&f, 7, 1);
	CHECK_EQ(pic_ack(&f.pic), 0x27); /* order is now 6, 7, 0, 1, ... */
	CHECK(!pic_pending(&f.pic));	 /* IR1 ranks below IR7 in service */
	out(&f, 0x20, 0xe7);		 /* rotate on specific EOI IR7: IR0 highest */
	CHECK_EQ(read_isr(&f, 0x20), 0x00);
	CHECK_EQ(pic_ack(&f.pic), 0x21);
}

TEST(special_mask_mode)
{
	struct fixture f;
	CHECK_EQ(setup(&f), 0);
	raise(&f, 1, 1);
	CHECK_EQ(pic_ack(&f.pic), 0x21);
	raise(&f, 5, 1);
	CHECK(!pic_pending(&f.pic));
	out(&f, 0x21, 0x02); /* mask the level in service */
	out(&f, 0x20, 0x68); /* enable special mask mode */
	CHECK(pic_pending(&f.pic));
	CHECK_EQ(pic_ack(&f.pic), 0x25);
	out(&f, 0x20, 0x48); /* leave special mask mode */
}

TEST(save_load_same_behaviour)
{
	struct fixture a, b;
	uint8_t blob[256], blob2[256];
	CHECK_EQ(setup(&a), 0);
	CHECK_EQ(setup(&b), 0);
	out(&a, 0x21, 0x08);
	raise(&a, 3, 1);
	raise(&a, 12, 1);
	raise(&a, 6, 1);
	CHECK_EQ(pic_ack(&a.pic), 0x2c);
	out(&a, 0x20, 0x0b);
	struct device da = pic_device(&a.pic), db = pic_device(&b.pic);
	long n = da.save(da.opaque, blob, sizeof(blob));
	CHECK(n > 0);
	CHECK_EQ(da.save(da.opaque, blob, 4), -1);
	CHECK_EQ(db.load(db.opaque, blob, (size_t)n), 0);
	CHECK_EQ(db.save(db.opaque, blob2, sizeof(blob2)), n);
	CHECK(memcmp(blob, blob2, (size_t)n) == 0);
	CHECK_EQ(in(&b, 0x20), in(&a, 0x20)); /* ISR selected in both */
	CHECK_EQ(in(&b, 0x21), 0x08);
	CHECK_EQ(pic_pending(&b.pic), pic_pending(&a.pic));
	out(&a, 0xa0, 0x20);
	out(&a, 0x20, 0x20);
	out(&b, 0xa0, 0x20);
	out(&b, 0x20, 0x20);
	int va = pic_ack(&a.pic);
	CHECK_EQ(va, 0x26);
	CHECK_EQ(pic_ack(&b.pic), va);
}

TEST(load_rejects_bad_blobs)
{
	struct fixture f;
	uint8_t blob[256];
	CHECK_EQ(setup(&f), 0);
	struct device d = pic_device(&f.pic);
	long n = d.save(d.opaque, blob, sizeof(blob));
	CHECK(n > 8);
	CHECK_EQ(d.load(d.opaque, blob, (size_t)n - 1), -1);
	CHECK_EQ(d.load(d.opaque, NULL, 0), -1);
	blob[0] ^= 1; /* version */
	CHECK_EQ(d.load(d.opaque, blob, (size_t)n), -1);
	blob[0] ^= 1;
	/* prio_base of the master out of range */
	blob[8 + offsetof(struct pic_chip, prio_base)] = 9;
	CHECK_EQ(d.load(d.opaque, blob, (size_t)n), -1);
	CHECK_EQ(in(&f, 0x21), 0x00); /* the failed loads left the state alone */
}

TEST(garbage_never_crashes)
{
	struct fixture f;
	uint64_t rng = 42;
	CHECK_EQ(setup(&f), 0);
	struct device d = pic_device(&f.pic);
	for (int round = 0; round < 200; round++) {
		test_fuzz_ports(&f.bus, &d, NULL, 0x20, 2, rng + round, 50);
		test_fuzz_ports(&f.bus, &d, NULL, 0xa0, 2, rng * 7 + round, 50);
		for (int i = 0; i < 20; i++) {
			uint64_t r = test_rand(&rng);
			raise(&f, (int)(r % 20) - 2, (int)(r >> 8) & 1);
			if ((r >> 16) & 1) {
				int v = pic_ack(&f.pic);
				CHECK(v >= 0 && v <= 0xff);
			}
		}
	}
	/* Still a working PIC after all that. */
	CHECK_EQ(setup(&f), 0);
	raise(&f, 4, 1);
	CHECK_EQ(pic_ack(&f.pic), 0x24);
}

RUN_TESTS(T(power_on_masks_everything), T(init_sequence_and_imr), T(ack_eoi_and_notification),
	  T(edge_latched_after_line_drops), T(priority_and_nesting), T(mask_holds_request_in_irr),
	  T(spurious_master), T(spurious_slave_leaves_cascade_in_service), T(cascade),
	  T(line2_is_irq9), T(special_fully_nested), T(level_mode), T(auto_eoi), T(poll_mode),
	  T(rotation), T(special_mask_mode), T(save_load_same_behaviour),
	  T(load_rejects_bad_blobs), T(garbage_never_crashes))
