/* QEMU's ISA pvpanic device at port 0x505 (docs/specs/pvpanic.rst in QEMU): how a guest
 * kernel tells the VMM it panicked. Reading the port returns the events the device knows
 * (bit 0 "panicked", bit 1 "crash kernel loaded"); writing reports an event. Linux's
 * pvpanic-mmio driver finds it through ACPI (_HID QEMU0001 in the DSDT, core/acpi_tables.c)
 * and writes bit 0 from its panic notifier. See docs/devices.md. */
#ifndef REWIND_PVPANIC_H
#define REWIND_PVPANIC_H
#include <stdint.h>

#include "devices/bus.h"
#include "devices/device.h"

#define PVPANIC_PORT 0x505
#define PVPANIC_PANICKED 0x01	  /* the host should act on the panic */
#define PVPANIC_CRASH_LOADED 0x02 /* a crash kernel takes over: the host only takes note */
#define PVPANIC_EVENTS (PVPANIC_PANICKED | PVPANIC_CRASH_LOADED)

struct pvpanic_state {
	uint8_t event;	 /* the last event reported (PVPANIC_PANICKED or _CRASH_LOADED), 0 none */
	uint8_t unknown; /* bits outside PVPANIC_EVENTS the guest has written, ORed */
} __attribute__((packed));

struct pvpanic {
	struct pvpanic_state s;
	void (*on_event)(void *ctx, uint8_t event);
	void *ctx;
};

/* on_event (may be NULL) is called from inside the port write with one event: PANICKED when
 * bit 0 is written (it wins over bit 1, as in QEMU), else CRASH_LOADED when bit 1 is. Other
 * bits are ignored (kept in s.unknown). Returns 0 or a negative errno from bus_register. */
int pvpanic_init(struct pvpanic *pp, struct bus *bus, void (*on_event)(void *ctx, uint8_t event),
		 void *ctx) __attribute__((warn_unused_result));
struct device pvpanic_device(struct pvpanic *pp);

#endif
