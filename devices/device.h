/* What the machine knows of a device besides its bus regions: its timers and its state.
 * The run loop calls advance() at deterministic points with the current guest time so timer
 * devices raise their interrupts, and next_deadline() to know when to kick the vCPU. */
#ifndef REWIND_DEVICE_H
#define REWIND_DEVICE_H
#include <stddef.h>
#include <stdint.h>

#define DEADLINE_NONE UINT64_MAX

struct device {
	const char *name;
	void *opaque;
	void (*advance)(void *opaque, uint64_t now_ns);	  /* may be NULL */
	uint64_t (*next_deadline)(void *opaque);	  /* may be NULL; DEADLINE_NONE = no timer */
	/* Device state as a flat, versioned blob (snapshots). save returns bytes written or -1 when
	 * buf is too small; load returns 0, or -1 when the blob is not a valid state of this device. */
	long (*save)(void *opaque, void *buf, size_t len);
	int (*load)(void *opaque, const void *buf, size_t len);
};

#endif
