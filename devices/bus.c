#include "devices/bus.h"

#include <errno.h>
#include <string.h>

void bus_init(struct bus *bus, FILE *log)
{
	memset(bus, 0, sizeof(*bus));
	bus->log = log;
}

int bus_register(struct bus *bus, enum bus_space space, uint64_t base, uint64_t len,
		 const struct io_ops *ops, void *opaque, const char *name)
{
	int n = bus->nregions[space];
	for (int i = 0; i < n; i++) {
		const struct io_region *r = &bus->regions[space][i];
		if (base < r->base + r->len && r->base < base + len)
			return -EBUSY;
	}
	if (n == BUS_MAX_REGIONS)
		return -ENOSPC;
	bus->regions[space][n] = (struct io_region){ base, len, ops, opaque, name };
	bus->nregions[space] = n + 1;
	return 0;
}

static const struct io_region *bus_find(struct bus *bus, enum bus_space space, uint64_t addr)
{
	for (int i = 0; i < bus->nregions[space]; i++) {
		const struct io_region *r = &bus->regions[space][i];
		if (addr >= r->base && addr - r->base < r->len)
			return r;
	}
	return NULL;
}

static void bus_report_unclaimed(struct bus *bus, enum bus_space space, uint64_t addr,
				 const char *what)
{
	for (int i = 0; i < bus->nunclaimed[space]; i++)
		if (bus->unclaimed[space][i] == addr)
			return;
	if (bus->nunclaimed[space] < BUS_MAX_UNCLAIMED)
		bus->unclaimed[space][bus->nunclaimed[space]++] = addr;
	if (bus->log)
		fprintf(bus->log, "rewind: guest %s unclaimed %s 0x%llx (reported once)\n", what,
			space == BUS_PIO ? "port" : "MMIO address", (unsigned long long)addr);
}

uint64_t bus_read(struct bus *bus, enum bus_space space, uint64_t addr, int size)
{
	const struct io_region *r = bus_find(bus, space, addr);
	if (!r) {
		bus_report_unclaimed(bus, space, addr, "read from");
		return size >= 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
	}
	return r->ops->read(r->opaque, addr - r->base, size);
}

void bus_write(struct bus *bus, enum bus_space space, uint64_t addr, uint64_t value, int size)
{
	const struct io_region *r = bus_find(bus, space, addr);
	if (!r) {
		bus_report_unclaimed(bus, space, addr, "write to");
		return;
	}
	r->ops->write(r->opaque, addr - r->base, value, size);
}
