/* State digests: what record and replay compare to prove they are in the same state. */
#ifndef REWIND_DIGEST_H
#define REWIND_DIGEST_H
#include <stdbool.h>
#include <stdint.h>

struct vm;

/* XXH3-128 over the vCPU's general registers, RFLAGS, control registers, EFER and segment
 * selectors, the devices' state and, when with_memory, guest RAM (its non-zero pages with their
 * numbers). Canonical bytes.
 * Returns 0, or -errno when the engine cannot report its state. */
int vm_state_digest(struct vm *vm, bool with_memory, uint8_t out[16]);

#endif
