/* The pvpanic port: a guest's panic notifier reaches the VMM. */
#include "devices/pvpanic.h"

#include <string.h>

#include "devices/legacy.h"

#define PVPANIC_TAG STATE_TAG('P', 'V', 'P', 1)

static uint8_t pvpanic_read8(void *opaque, unsigned offset)
{
	(void)opaque;
	(void)offset;
	return PVPANIC_EVENTS;
}

static void pvpanic_write8(void *opaque, unsigned offset, uint8_t value)
{
	struct pvpanic *pp = opaque;
	(void)offset;
	pp->s.unknown |= value & ~PVPANIC_EVENTS;
	uint8_t event = value & PVPANIC_PANICKED ? PVPANIC_PANICKED : value & PVPANIC_CRASH_LOADED;
	if (!event)
		return;
	pp->s.event = event;
	if (pp->on_event)
		pp->on_event(pp->ctx, event);
}

/* One byte wide, like QEMU's: a wider access is byte cycles, and the bytes past 0x505 are
 * the empty bus. */
static uint64_t pvpanic_in(void *opaque, uint64_t offset, int size)
{
	return isa_read(pvpanic_read8, opaque, offset, 1, size);
}

static void pvpanic_out(void *opaque, uint64_t offset, uint64_t value, int size)
{
	isa_write(pvpanic_write8, opaque, offset, 1, value, size);
}

static const struct io_ops pvpanic_ops = { pvpanic_in, pvpanic_out };

int pvpanic_init(struct pvpanic *pp, struct bus *bus, void (*on_event)(void *ctx, uint8_t event),
		 void *ctx)
{
	memset(pp, 0, sizeof(*pp));
	pp->on_event = on_event;
	pp->ctx = ctx;
	return bus_register(bus, BUS_PIO, PVPANIC_PORT, 1, &pvpanic_ops, pp, "pvpanic");
}

static long pvpanic_save(void *opaque, void *buf, size_t len)
{
	struct pvpanic *pp = opaque;
	return state_blob_save(buf, len, PVPANIC_TAG, &pp->s, sizeof(pp->s));
}

static int pvpanic_load(void *opaque, const void *buf, size_t len)
{
	struct pvpanic *pp = opaque;
	struct pvpanic_state s;
	if (state_blob_load(buf, len, PVPANIC_TAG, &s, sizeof(s)) ||
	    (s.event && s.event != PVPANIC_PANICKED && s.event != PVPANIC_CRASH_LOADED) ||
	    (s.unknown & PVPANIC_EVENTS))
		return -1;
	pp->s = s;
	return 0;
}

struct device pvpanic_device(struct pvpanic *pp)
{
	return (struct device){
		.name = "pvpanic",
		.opaque = pp,
		.save = pvpanic_save,
		.load = pvpanic_load,
	};
}
