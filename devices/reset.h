/* The ways a PC guest resets the machine: the reset control register at port 0xcf9 (bit 2 rising
 * starts the reset), and the 8042 keyboard controller at 0x60/0x64 (command 0xfe pulses the
 * reset line; so does command 0xd1 followed by an output port byte with bit 0 clear). Only
 * enough of the 8042 is modelled for that: its status reads "input buffer empty" so guests
 * polling before a command do not hang. See docs/devices.md. */
#ifndef REWIND_RESET_H
#define REWIND_RESET_H
#include <stdint.h>

#include "devices/bus.h"
#include "devices/device.h"

#define RESET_CF9 0xcf9
#define RESET_KBC_DATA 0x60
#define RESET_KBC_CMD 0x64

struct reset_state {
	uint8_t rcr;	     /* port 0xcf9: bits 1-3 as written */
	uint8_t kbc_pending; /* the 8042 command waiting for its data byte (0xd1), or 0 */
	uint8_t kbc_cmd_last; /* the last byte written went to 0x64 (status bit 3) */
	uint8_t kbc_outport; /* the 8042 output port: bit 0 is the reset line (active low) */
} __attribute__((packed));

struct reset_ctl {
	struct reset_state s;
	void (*on_reset)(void *ctx);
	void *ctx;
};

/* on_reset (may be NULL) is called from inside the port write that resets the machine: it
 * should request a stop of the VM. Returns 0 or a negative errno from bus_register. */
int reset_init(struct reset_ctl *rc, struct bus *bus, void (*on_reset)(void *ctx), void *ctx)
	__attribute__((warn_unused_result));
struct device reset_device(struct reset_ctl *rc);

#endif
