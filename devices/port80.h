/* Port 0x80, the POST code port: firmware and kernels write progress codes here, and Linux's
 * outb_p() writes to it just to wait an I/O cycle. The last code is kept and reads back; it has
 * no other effect. */
#ifndef REWIND_PORT80_H
#define REWIND_PORT80_H
#include <stdint.h>

#include "devices/bus.h"
#include "devices/device.h"

#define PORT80_BASE 0x80

struct port80_state {
	uint8_t code;
} __attribute__((packed));

struct port80 {
	struct port80_state s;
};

/* Returns 0 or a negative errno from bus_register. */
int port80_init(struct port80 *p, struct bus *bus) __attribute__((warn_unused_result));
struct device port80_device(struct port80 *p);

#endif
