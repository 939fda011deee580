/* The report rewind prints when the guest kernel says it panicked (pvpanic): where the vCPU
 * stands, named by kernel symbol; where panic() was called from; the KASLR offset and how it
 * was found; and a call trace from a scan of the kernel stack, each frame a return address in
 * kernel text that a call instruction precedes, marked '?' unless the chain of direct calls
 * proves it, as Linux marks the frames its unwinder did not walk. It reads only guest state
 * and the symbols, so a replay of the recording prints the same report. docs/linux.md. */
#ifndef REWIND_GUEST_PANIC_H
#define REWIND_GUEST_PANIC_H
#include <stdio.h>

struct vm;

void guest_panic_report(struct vm *vm, FILE *out);

#endif
