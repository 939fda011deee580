/* Guest time. Every device that depends on time reads it here, never from the host directly:
 * the source is the host's monotonic clock when running or recording, and the trace when
 * replaying, so guest-visible time is a function of the trace. */
#ifndef REWIND_VCLOCK_H
#define REWIND_VCLOCK_H
#include <stdint.h>

struct vclock {
	/* Returns nanoseconds of guest time since boot. Must be monotonic. */
	uint64_t (*read)(void *ctx);
	void *ctx;
	/* Seconds since the Unix epoch at guest time 0: the RTC's base. */
	int64_t epoch_at_boot;
	/* The latest guest time the machine has seen (a device read or a timer). */
	uint64_t last;
};

static inline uint64_t vclock_now(struct vclock *c)
{
	c->last = c->read(c->ctx);
	return c->last;
}

#endif
