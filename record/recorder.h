/* The recorder: sits between the run loop and the trace. It answers the guest clock from the
 * host and logs every value, logs host events (timer expiries, serial bytes), interrupt
 * injections, console output and periodic state digests, each at its position:
 * pos = exit index * 2 + phase (phase 0: at the exit; 1: at kicked exits after the exit's
 * interrupt decision). docs/design.md ("Determinism") has the model. */
#ifndef REWIND_RECORDER_H
#define REWIND_RECORDER_H
#include <stddef.h>
#include <stdint.h>

struct vm;
struct recorder;
struct boot_files;

/* What a closed trace says about the end of the run (its final blob, docs/trace-format.md):
 * the final state digest (16 bytes), the exit status (u32), the exits (u64), guest ns (u64). */
struct run_end {
	uint8_t digest[16];
	uint32_t status;
	uint64_t exits, guest_ns;
};
#define RUN_END_SIZE 36
/* Returns 0, or -1 when blob is not a run_end. */
int run_end_decode(struct run_end *out, const void *blob, size_t len);

/* Creates the trace at path with the VM's configuration and the kernel and initrd embedded, and
 * installs the recording clock on vm. Returns NULL with err filled on failure. */
struct recorder *recorder_open(const char *path, struct vm *vm, const struct boot_files *files,
			       char *err, size_t errlen);
void recorder_event(struct recorder *r, uint8_t type, uint64_t pos, const void *payload, size_t len);
/* Flushes the current chunk when enough guest time has passed, so a killed recorder loses
 * little. */
void recorder_tick(struct recorder *r);
/* Writes the final digest and status and closes the trace. Returns 0, or -1 after printing
 * the error (the trace is then left as truncated, never as complete). */
int recorder_close(struct recorder *r, struct vm *vm);
/* Events written so far: where a checkpoint taken now resumes. */
uint64_t recorder_events(const struct recorder *r);
/* A write error has been seen: the recording is incomplete. */
int recorder_error(const struct recorder *r);

#endif
