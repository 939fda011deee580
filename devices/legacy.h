/* Helpers shared by the legacy ISA device models (PIC, PIT, UART, RTC, debug-exit, port 0x80,
 * reset): byte-wide register access and versioned state blobs.
 *
 * These chips sit on an 8-bit bus: a 16- or 32-bit access to their ports is, on a PC, a run of
 * byte cycles at consecutive addresses. isa_read()/isa_write() split an access that way, so a
 * device only handles bytes and every access size behaves as on hardware (bytes past the end
 * of the device's region read as an empty bus: 0xff). */
#ifndef REWIND_LEGACY_H
#define REWIND_LEGACY_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef uint8_t (*isa_read8_fn)(void *opaque, unsigned offset);
typedef void (*isa_write8_fn)(void *opaque, unsigned offset, uint8_t value);

/* Sizes outside 1..8 can only come from a VMM bug; treat them as one byte rather than index
 * past the value. */
static inline int isa_size(int size)
{
	return size >= 1 && size <= 8 ? size : 1;
}

static inline uint64_t isa_read(isa_read8_fn rd, void *opaque, uint64_t offset, uint64_t len,
				int size)
{
	uint64_t value = 0;
	size = isa_size(size);
	for (int i = 0; i < size; i++) {
		uint64_t b = offset + i < len ? rd(opaque, (unsigned)(offset + i)) : 0xff;
		value |= b << (8 * i);
	}
	return value;
}

static inline void isa_write(isa_write8_fn wr, void *opaque, uint64_t offset, uint64_t len,
			     uint64_t value, int size)
{
	size = isa_size(size);
	for (int i = 0; i < size; i++)
		if (offset + i < len)
			wr(opaque, (unsigned)(offset + i), (uint8_t)(value >> (8 * i)));
}

/* A device's state blob: a 32-bit tag (the device's name in ASCII plus a version byte, so a
 * blob of another device or another version is refused), the payload size, then the packed
 * state struct. Packed structs have no padding, so equal states give equal blobs. The host is
 * little-endian x86-64, like the blobs. */
struct state_blob_header {
	uint32_t tag;
	uint32_t size;
};

#define STATE_TAG(a, b, c, version) \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(version))

static inline long state_blob_save(void *buf, size_t len, uint32_t tag, const void *state,
				   size_t size)
{
	struct state_blob_header h = { tag, (uint32_t)size };
	if (len < sizeof(h) + size)
		return -1;
	memcpy(buf, &h, sizeof(h));
	memcpy((char *)buf + sizeof(h), state, size);
	return (long)(sizeof(h) + size);
}

/* Copies the payload into *state (a scratch copy: the caller validates it before adopting it).
 * Returns 0, or -1 when the blob is not a state of this device and version. */
static inline int state_blob_load(const void *buf, size_t len, uint32_t tag, void *state,
				  size_t size)
{
	struct state_blob_header h;
	if (!buf || len != sizeof(h) + size)
		return -1;
	memcpy(&h, buf, sizeof(h));
	if (h.tag != tag || h.size != size)
		return -1;
	memcpy(state, (const char *)buf + sizeof(h), size);
	return 0;
}

#endif
