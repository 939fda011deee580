/* QEMU's isa-debug-exit at port 0xf4 (four ports wide): a guest write stops the VM. The value
 * written is stored and handed to on_exit(); rewind exits with status value & 0xff, whereas
 * QEMU exits with (value << 1) | 1. Reads return all ones. See docs/devices.md. */
#ifndef REWIND_DEBUG_EXIT_H
#define REWIND_DEBUG_EXIT_H
#include <stdint.h>

#include "devices/bus.h"
#include "devices/device.h"

#define DEBUG_EXIT_BASE 0xf4
#define DEBUG_EXIT_LEN 4

struct debug_exit_state {
	uint32_t value;	 /* the last value written */
	uint8_t written; /* whether the guest wrote at all */
} __attribute__((packed));

struct debug_exit {
	struct debug_exit_state s;
	void (*on_exit)(void *ctx, uint32_t value);
	void *ctx;
};

/* on_exit (may be NULL) is called on every write, from inside the port access: it should
 * request a stop of the VM, not tear it down. Returns 0 or a negative errno. */
int debug_exit_init(struct debug_exit *de, struct bus *bus,
		    void (*on_exit)(void *ctx, uint32_t value), void *ctx)
	__attribute__((warn_unused_result));
struct device debug_exit_device(struct debug_exit *de);

#endif
