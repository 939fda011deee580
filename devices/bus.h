/* The device bus: port I/O and MMIO dispatch.
 * Every guest access to a device goes through here, so this is the single place where the
 * VMM observes I/O. An access no device claims is reported once per address and answered as
 * an empty ISA bus answers: all ones on read, writes dropped. */
#ifndef REWIND_BUS_H
#define REWIND_BUS_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct io_ops {
	/* offset is relative to the region base; size is 1, 2 or 4 (8 for MMIO). */
	uint64_t (*read)(void *opaque, uint64_t offset, int size);
	void (*write)(void *opaque, uint64_t offset, uint64_t value, int size);
};

struct io_region {
	uint64_t base, len;
	const struct io_ops *ops;
	void *opaque;
	const char *name;
};

#define BUS_MAX_REGIONS 32
#define BUS_MAX_UNCLAIMED 64

enum bus_space { BUS_PIO, BUS_MMIO };

struct bus {
	struct io_region regions[2][BUS_MAX_REGIONS];
	int nregions[2];
	/* Unclaimed addresses already reported (each is reported once). */
	uint64_t unclaimed[2][BUS_MAX_UNCLAIMED];
	int nunclaimed[2];
	FILE *log; /* where unclaimed accesses are reported; NULL = silent */
};

void bus_init(struct bus *bus, FILE *log);
/* Returns 0, or -EBUSY when the range overlaps a registered one, -ENOSPC when full. */
int bus_register(struct bus *bus, enum bus_space space, uint64_t base, uint64_t len,
		 const struct io_ops *ops, void *opaque, const char *name)
	__attribute__((warn_unused_result));
uint64_t bus_read(struct bus *bus, enum bus_space space, uint64_t addr, int size);
void bus_write(struct bus *bus, enum bus_space space, uint64_t addr, uint64_t value, int size);

#endif
