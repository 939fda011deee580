/* The POST code port. Only 0x80 itself is claimed: the rest of 0x80-0x8f are the DMA page
 * registers on a PC, which are not modelled. */
#include "devices/port80.h"

#include <string.h>

#include "devices/legacy.h"

#define PORT80_TAG STATE_TAG('P', '8', '0', 1)

static uint8_t port80_read8(void *opaque, unsigned offset)
{
	(void)offset;
	struct port80 *p = opaque;
	return p->s.code;
}

static void port80_write8(void *opaque, unsigned offset, uint8_t v)
{
	(void)offset;
	struct port80 *p = opaque;
	p->s.code = v;
}

static uint64_t port80_in(void *opaque, uint64_t offset, int size)
{
	return isa_read(port80_read8, opaque, offset, 1, size);
}

static void port80_out(void *opaque, uint64_t offset, uint64_t value, int size)
{
	isa_write(port80_write8, opaque, offset, 1, value, size);
}

static const struct io_ops port80_ops = { port80_in, port80_out };

int port80_init(struct port80 *p, struct bus *bus)
{
	memset(p, 0, sizeof(*p));
	return bus_register(bus, BUS_PIO, PORT80_BASE, 1, &port80_ops, p, "port80");
}

static long port80_save(void *opaque, void *buf, size_t len)
{
	struct port80 *p = opaque;
	return state_blob_save(buf, len, PORT80_TAG, &p->s, sizeof(p->s));
}

static int port80_load(void *opaque, const void *buf, size_t len)
{
	struct port80 *p = opaque;
	return state_blob_load(buf, len, PORT80_TAG, &p->s, sizeof(p->s));
}

struct device port80_device(struct port80 *p)
{
	return (struct device){
		.name = "port80",
		.opaque = p,
		.save = port80_save,
		.load = port80_load,
	};
}
