/* Machine reset through port 0xcf9 (Intel ICH reset control register) and the 8042. */
#include "devices/reset.h"

#include <string.h>

#include "devices/legacy.h"

#define RESET_TAG STATE_TAG('R', 'S', 'T', 1)

#define RCR_SYS_RST 0x02 /* hard rather than soft reset: both are a reset here */
#define RCR_RST_CPU 0x04 /* a 0 -> 1 transition resets */
#define RCR_FULL_RST 0x08

#define KBC_STATUS_SYS 0x04	/* system flag: self-test passed */
#define KBC_STATUS_CMD 0x08	/* the last write was a command */
#define KBC_STATUS_UNLOCK 0x10	/* keyboard not inhibited */
#define KBC_WRITE_OUTPORT 0xd1
#define KBC_OUTPORT_RESET 0x01	/* active low */
#define KBC_OUTPORT_A20 0x02

static void reset_fire(struct reset_ctl *rc)
{
	if (rc->on_reset)
		rc->on_reset(rc->ctx);
}

static uint8_t cf9_read8(void *opaque, unsigned offset)
{
	(void)offset;
	struct reset_ctl *rc = opaque;
	return rc->s.rcr;
}

static void cf9_write8(void *opaque, unsigned offset, uint8_t v)
{
	(void)offset;
	struct reset_ctl *rc = opaque;
	uint8_t before = rc->s.rcr;
	rc->s.rcr = v & (RCR_SYS_RST | RCR_RST_CPU | RCR_FULL_RST);
	if ((v & RCR_RST_CPU) && !(before & RCR_RST_CPU))
		reset_fire(rc);
}

/* The controller answers nothing: no output buffer is ever full, so the data port reads what
 * a stale output buffer would hold. */
static uint8_t kbc_read8(void *opaque, unsigned offset)
{
	struct reset_ctl *rc = opaque;
	if (offset == 0)
		return 0;
	return KBC_STATUS_SYS | KBC_STATUS_UNLOCK | (rc->s.kbc_cmd_last ? KBC_STATUS_CMD : 0);
}

static void kbc_write8(void *opaque, unsigned offset, uint8_t v)
{
	struct reset_ctl *rc = opaque;
	if (offset == 0) { /* data port 0x60 */
		rc->s.kbc_cmd_last = 0;
		if (rc->s.kbc_pending != KBC_WRITE_OUTPORT)
			return; /* keyboard data: no keyboard here */
		rc->s.kbc_pending = 0;
		rc->s.kbc_outport = v;
		if (!(v & KBC_OUTPORT_RESET))
			reset_fire(rc);
		return;
	}
	rc->s.kbc_cmd_last = 1;
	rc->s.kbc_pending = v == KBC_WRITE_OUTPORT ? v : 0;
	/* 0xf0-0xff pulse the output port bits whose command bits are 0; bit 0 is reset. */
	if ((v & 0xf0) == 0xf0 && !(v & KBC_OUTPORT_RESET))
		reset_fire(rc);
}

static uint64_t cf9_in(void *opaque, uint64_t offset, int size)
{
	return isa_read(cf9_read8, opaque, offset, 1, size);
}

static void cf9_out(void *opaque, uint64_t offset, uint64_t value, int size)
{
	isa_write(cf9_write8, opaque, offset, 1, value, size);
}

/* The 8042's two ports are four apart, with 0x61 (the PIT's port B) between them: one
 * region each, both decoding through kbc_read8/kbc_write8 (offset 0 data, 1 command). */
static uint64_t kbc_data_in(void *opaque, uint64_t offset, int size)
{
	return isa_read(kbc_read8, opaque, offset, 1, size);
}

static void kbc_data_out(void *opaque, uint64_t offset, uint64_t value, int size)
{
	isa_write(kbc_write8, opaque, offset, 1, value, size);
}

static uint8_t kbc_status_read8(void *opaque, unsigned offset)
{
	(void)offset;
	return kbc_read8(opaque, 1);
}

static void kbc_cmd_write8(void *opaque, unsigned offset, uint8_t v)
{
	(void)offset;
	kbc_write8(opaque, 1, v);
}

static uint64_t kbc_cmd_in(void *opaque, uint64_t offset, int size)
{
	return isa_read(kbc_status_read8, opaque, offset, 1, size);
}

static void kbc_cmd_out(void *opaque, uint64_t offset, uint64_t value, int size)
{
	isa_write(kbc_cmd_write8, opaque, offset, 1, value, size);
}

static const struct io_ops cf9_ops = { cf9_in, cf9_out };
static const struct io_ops kbc_data_ops = { kbc_data_in, kbc_data_out };
static const struct io_ops kbc_cmd_ops = { kbc_cmd_in, kbc_cmd_out };

int reset_init(struct reset_ctl *rc, struct bus *bus, void (*on_reset)(void *ctx), void *ctx)
{
	memset(rc, 0, sizeof(*rc));
	rc->on_reset = on_reset;
	rc->ctx = ctx;
	rc->s.kbc_outport = KBC_OUTPORT_RESET | KBC_OUTPORT_A20;
	int err = bus_register(bus, BUS_PIO, RESET_CF9, 1, &cf9_ops, rc, "reset-cf9");
	if (err)
		return err;
	err = bus_register(bus, BUS_PIO, RESET_KBC_DATA, 1, &kbc_data_ops, rc, "i8042-data");
	if (err)
		return err;
	return bus_register(bus, BUS_PIO, RESET_KBC_CMD, 1, &kbc_cmd_ops, rc, "i8042-cmd");
}

static long reset_save(void *opaque, void *buf, size_t len)
{
	struct reset_ctl *rc = opaque;
	return state_blob_save(buf, len, RESET_TAG, &rc->s, sizeof(rc->s));
}

static int reset_load(void *opaque, const void *buf, size_t len)
{
	struct reset_ctl *rc = opaque;
	struct reset_state s;
	if (state_blob_load(buf, len, RESET_TAG, &s, sizeof(s)) || (s.rcr & ~0x0e) ||
	    (s.kbc_pending != 0 && s.kbc_pending != KBC_WRITE_OUTPORT) || s.kbc_cmd_last > 1)
		return -1;
	rc->s = s;
	return 0;
}

struct device reset_device(struct reset_ctl *rc)
{
	return (struct device){
		.name = "reset",
		.opaque = rc,
		.save = reset_save,
		.load = reset_load,
	};
}
