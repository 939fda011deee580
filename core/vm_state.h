/* The whole machine as a snapshot and back: vCPU (registers, segment caches, control
 * registers, MSRs, FPU, pending events), every device's state blob, guest memory as a memory
 * image in a page store, and guest time. */
#ifndef REWIND_VM_STATE_H
#define REWIND_VM_STATE_H
#include <stddef.h>

#include "core/snapshot.h"

struct vm;
struct engine;

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
/* The vCPU alone, through the engine interface: registers, segments and control registers,
 * the MSRs a guest kernel sets, FPU, pending events. Snapshots hold this; it also moves a vCPU
 * from one engine to another (core/landing_search.c). 0 or -errno. */
int vcpu_state_read(struct engine *e, struct vcpu_state *v);
int vcpu_state_write(struct engine *e, const struct vcpu_state *v);

#endif
