/* The waker thread: host events (serial input, device timers, the timeout) → vCPU kicks. */
#ifndef REWIND_WAKER_H
#define REWIND_WAKER_H
#include <stdint.h>

struct vm;

/* How long a pending interrupt may wait for an exit before the recorder delivers it
 * asynchronously (or, where it cannot, counts a deferral). */
#define WAKER_GRACE_NS 1000000ULL

uint64_t host_now_ns(void);
int waker_start(struct vm *vm);
/* Tells the waker that vm->host.deadline_ns moved earlier. */
void waker_poke(struct vm *vm);
void waker_stop(struct vm *vm);

#endif
