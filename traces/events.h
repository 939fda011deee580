/* Event types of a rewind trace: the numbers are part of the file format (never reuse one),
 * the names are what `rewind trace dump` prints. Adding a type is one line in TRACE_EVENTS
 * (plus a formatter in events.c when none of the existing ones decodes its payload).
 * Payloads are little-endian; docs/trace-format.md lists their layouts. */
#ifndef REWIND_TRACE_EVENTS_H
#define REWIND_TRACE_EVENTS_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* X(enum name, number, dump name, payload size or -1 when variable, formatter). EV_TIMER is
 * a host timer tick taken in at an exit: the guest time the devices advance to. */
#define TRACE_EVENTS(X)                                                         \
	X(EV_CLOCK, 1, "clock", 8, fmt_clock)                                   \
	X(EV_SERIAL_RX, 2, "serial_rx", -1, fmt_bytes)                          \
	X(EV_IRQ, 3, "irq", 2, fmt_irq)                                         \
	X(EV_ASYNC_STOP, 4, "async_stop", -1, fmt_async_stop)                  \
	X(EV_DEFERRED, 5, "deferred", 1, fmt_vector)                            \
	X(EV_DIGEST, 6, "digest", 16, fmt_hash)                                 \
	X(EV_CONSOLE, 7, "console", -1, fmt_bytes)                              \
	X(EV_INSN_VALUE, 8, "insn_value", 9, fmt_insn_value)                    \
	X(EV_CHECKPOINT, 9, "checkpoint", 4, fmt_checkpoint)                    \
	X(EV_EXIT, 10, "exit", 4, fmt_exit)                                     \
	X(EV_TIMER, 11, "timer", 8, fmt_clock)                                  \
	X(EV_ASYNC_ICOUNT, 12, "async_icount", 8, fmt_icount)                   \
	X(EV_ICOUNT, 13, "icount", 8, fmt_icount)                               \
	X(EV_HELD, 14, "held", 1, fmt_held)                                     \
	X(EV_STOP, 15, "stop", 5, fmt_stop)                                     \
	X(EV_PANIC, 16, "panic", 1, fmt_panic)

/* EV_ASYNC_ICOUNT (engines that count instructions): the u64 number of instructions retired
 * since boot when the interrupt that follows was delivered, between exits. EV_ICOUNT: the
 * u64 count when the run ended (replay checks it). EV_HELD (record --chaos): at this exit the
 * guest could have taken the pending interrupt and was not given it; u8: how many such points
 * that interrupt has been passed over so far. */

/* EV_STOP: the run was stopped from outside the guest at this exit (the last event): u32 the
 * exit status it ended with, u8 what stopped it (EV_STOP_BY_ESCAPE: the console's escape key,
 * otherwise the number of the signal rewind received). */
enum { EV_STOP_BY_ESCAPE = 0 };

/* EV_PANIC: the guest reported a kernel panic through pvpanic at this exit (the run ends
 * there, status 121): u8 the event written (devices/pvpanic.h, PVPANIC_PANICKED). */

/* u64 rip, 16 general registers in kvm_regs order, u64 rflags, u32 page count, then per page
 * written since the previous landing: u64 page number, u64 XXH3-64 of its contents. */
#define EV_ASYNC_STOP_FIXED (8 + 16 * 8 + 8 + 4)
#define EV_ASYNC_STOP_SIZE(npages) (EV_ASYNC_STOP_FIXED + 16 * (size_t)(npages))

enum trace_event_type {
#define TRACE_EV_ENUM(name, num, str, size, fmt) name = num,
	TRACE_EVENTS(TRACE_EV_ENUM)
#undef TRACE_EV_ENUM
};

/* EV_IRQ kind */
enum { IRQ_AT_EXIT = 0, IRQ_ASYNC = 1 };
/* EV_INSN_VALUE kind */
enum { INSN_RDTSC = 0, INSN_RDRAND = 1, INSN_RDSEED = 2, INSN_CPUID = 3 };

struct trace_event_desc {
	const char *name;
	int size; /* exact payload size, or -1 for any */
	/* Prints the decoded payload (no newline); copes with any length. */
	void (*format)(FILE *out, const uint8_t *payload, size_t len);
};

/* NULL for a type this build does not know. */
const struct trace_event_desc *trace_event_desc(uint8_t type);
/* The type's name, or "unknown" */
const char *trace_event_name(uint8_t type);
/* 0 when a known event type carries its payload size (unknown types and variable sizes pass);
 * otherwise -1 with err saying "NAME event at position P has an N-byte payload (want M)". A
 * wrong size is damage to the trace, not something a replay can diverge on. */
int trace_event_check(uint8_t type, uint64_t pos, size_t len, char *err, size_t errlen);
/* Prints the payload decoded when the type is known and its size right, hex otherwise. */
void trace_event_format(FILE *out, uint8_t type, const uint8_t *payload, size_t len);

/* Typed payloads for the events with structure. Encoders return the payload size; decoders
 * return 0, or -1 when the payload has the wrong size. */
struct ev_page_hash {
	uint64_t page, hash;
};
struct ev_async_stop {
	uint64_t rip;
	uint64_t regs[16]; /* rax rbx rcx rdx rsi rdi rsp rbp r8..r15, as in struct kvm_regs */
	uint64_t rflags;
	uint32_t npages;
	const uint8_t *pages; /* decode: npages encoded ev_page_hash records in the payload */
};
/* out holds EV_ASYNC_STOP_SIZE(s->npages) bytes; pages are the s->npages records. */
size_t ev_async_stop_encode(uint8_t *out, const struct ev_async_stop *s,
			    const struct ev_page_hash *pages);
/* Record i (< s->npages) of a decoded signature. */
struct ev_page_hash ev_async_stop_page(const struct ev_async_stop *s, uint32_t i);
int ev_async_stop_decode(struct ev_async_stop *s, const uint8_t *payload, size_t len);

size_t ev_u64_encode(uint8_t out[8], uint64_t v);
size_t ev_u32_encode(uint8_t out[4], uint32_t v);
int ev_u64_decode(uint64_t *v, const uint8_t *payload, size_t len);
int ev_u32_decode(uint32_t *v, const uint8_t *payload, size_t len);
size_t ev_irq_encode(uint8_t out[2], uint8_t vector, uint8_t kind);
int ev_irq_decode(uint8_t *vector, uint8_t *kind, const uint8_t *payload, size_t len);
size_t ev_insn_value_encode(uint8_t out[9], uint8_t kind, uint64_t value);
int ev_insn_value_decode(uint8_t *kind, uint64_t *value, const uint8_t *payload, size_t len);
size_t ev_stop_encode(uint8_t out[5], uint32_t status, uint8_t by);
int ev_stop_decode(uint32_t *status, uint8_t *by, const uint8_t *payload, size_t len);
/* What an EV_STOP's `by` names, for people: "SIGINT", "Ctrl-A x" (the escape key), ... */
const char *ev_stop_by_name(uint8_t by, char *buf, size_t len);

#endif
