/* The waker thread: host events (serial input, device timers, the timeout) → vCPU kicks. */
#ifndef REWIND_WAKER_H
#define REWIND_WAKER_H
#include <stdint.h>

struct vm;

uint64_t host_now_ns(void);
int waker_start(struct vm *vm);
/* Tells the waker that vm->host.deadline_ns moved earlier. */
void waker_poke(struct vm *vm);
void waker_stop(struct vm *vm);

#endif
