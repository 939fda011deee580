/* The whole machine as a snapshot and back: vCPU (registers, segment caches, control
 * registers, MSRs, FPU, pending events), every device's state blob, guest memory as a memory
 * image in a page store, and guest time. */
#ifndef REWIND_VM_STATE_H
#define REWIND_VM_STATE_H
#include <stddef.h>

#include "core/snapshot.h"

struct vm;

/* Fills snap from the running machine. With prev, memory is captured incrementally: only the
 * pages written since prev was captured are read (the checkpoint dirty log, which the caller
 * collects first: dirty_collect()). The device blobs
 * and the image are allocated: release them with vm_state_release(). Returns 0 or -1 (err). */
int vm_state_capture(struct vm *vm, struct pagestore *ps, const struct memimage *prev,
		     struct snapshot *snap, char *err, size_t errlen);
/* Puts the machine in snap's state. Everything is checked before anything is changed where
 * the engine allows; returns 0 or -1 (err). */
int vm_state_restore(struct vm *vm, const struct pagestore *ps, const struct snapshot *snap,
		     char *err, size_t errlen);
void vm_state_release(struct snapshot *snap);

#endif
