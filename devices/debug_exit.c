/* The debug-exit port: how test guests end a run with a status. */
#include "devices/debug_exit.h"

#include <string.h>

#include "devices/legacy.h"

#define DEBUG_EXIT_TAG STATE_TAG('D', 'X', 'T', 1)

static uint64_t debug_exit_in(void *opaque, uint64_t offset, int size)
{
	(void)opaque;
	(void)offset;
	size = isa_size(size);
	return size >= 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
}

/* Like QEMU's device, any write to any of the ports exits, with the value as written: an
 * outb of 3 to 0xf5 exits with 3. */
static void debug_exit_out(void *opaque, uint64_t offset, uint64_t value, int size)
{
	(void)offset;
	struct debug_exit *de = opaque;
	size = isa_size(size);
	if (size < 4)
		value &= (1ULL << (size * 8)) - 1;
	de->s.value = (uint32_t)value;
	de->s.written = 1;
	if (de->on_exit)
		de->on_exit(de->ctx, de->s.value);
}

static const struct io_ops debug_exit_ops = { debug_exit_in, debug_exit_out };

int debug_exit_init(struct debug_exit *de, struct bus *bus,
		    void (*on_exit)(void *ctx, uint32_t value), void *ctx)
{
	memset(de, 0, sizeof(*de));
	de->on_exit = on_exit;
	de->ctx = ctx;
	return bus_register(bus, BUS_PIO, DEBUG_EXIT_BASE, DEBUG_EXIT_LEN, &debug_exit_ops, de,
			    "debug-exit");
}

static long debug_exit_save(void *opaque, void *buf, size_t len)
{
	struct debug_exit *de = opaque;
	return state_blob_save(buf, len, DEBUG_EXIT_TAG, &de->s, sizeof(de->s));
}

static int debug_exit_load(void *opaque, const void *buf, size_t len)
{
	struct debug_exit *de = opaque;
	struct debug_exit_state s;
	if (state_blob_load(buf, len, DEBUG_EXIT_TAG, &s, sizeof(s)) || s.written > 1)
		return -1;
	de->s = s;
	return 0;
}

struct device debug_exit_device(struct debug_exit *de)
{
	return (struct device){
		.name = "debug-exit",
		.opaque = de,
		.save = debug_exit_save,
		.load = debug_exit_load,
	};
}
