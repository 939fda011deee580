/* The replayer: re-executes a recorded run from its trace alone. It answers the guest clock
 * from the trace, applies the recorded host events at their positions, and checks everything
 * the guest does that the recorder logged (interrupts, console output, digests, the exit),
 * stopping at the first difference with a report naming the event. */
#ifndef REWIND_REPLAYER_H
#define REWIND_REPLAYER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vm;
struct vm_config;
struct replayer;

struct replay_options {
	bool verify;		/* compare periodic and final digests */
	/* Find asynchronous landings with the hardware breakpoint alone (--landing-search
	 * breakpoint), not on the soft engine first (core/landing_search.h). */
	bool landing_breakpoint;
};

/* Opens the trace and validates its header and embedded image. On success fills *cfg
 * (strings point into the replayer) and the kernel image, and returns the replayer. */
struct replayer *replayer_open(const char *path, const struct replay_options *opt,
			       struct vm_config *cfg, const uint8_t **image, size_t *len, char *err,
			       size_t errlen);
/* Trace events consumed so far: where a checkpoint taken now resumes. */
uint64_t replayer_events(const struct replayer *rp);
/* The trace's creation stamp: checkpoints are tied to it. */
uint64_t replayer_trace_id(const struct replayer *rp);
/* Moves the trace to where a checkpoint was taken: `events` consumed (backwards too). 0 or -1
 * (err). */
int replayer_resume(struct replayer *rp, uint64_t events, char *err, size_t errlen);
/* Installs the trace clock on vm; call after vm_create. */
void replayer_attach(struct replayer *rp, struct vm *vm);
/* Applies the host events recorded at the current position (timer expiries, serial input,
 * deferrals). */
void replayer_apply_host_events(struct replayer *rp);
/* An interrupt positioned by instruction count is armed and not yet delivered, TSC/random
 * values wait to be read, or the vCPU stands at a landing the soft search took after this
 * exit, not right after the exit: no checkpoint can be taken now (it would not know of the
 * first two, and misplace the last). replayer_resume() starts with none of them. */
bool replayer_busy(const struct replayer *rp);
/* Why the replay stopped (a divergence, the end of the trace), or "". */
const char *replayer_report(const struct replayer *rp);
/* Checks an event the replayed guest produced against the trace. */
void replayer_expect(struct replayer *rp, uint8_t type, const void *payload, size_t len);
/* At an exit where the guest could take the pending interrupt: true (the event consumed) when
 * the recording passed over it here (EV_HELD, record --chaos). */
bool replayer_held(struct replayer *rp);
/* The replay's own digest at this position: compared when verifying. */
void replayer_digest(struct replayer *rp, const uint8_t digest[16]);
/* After the run: checks the end of the trace and the final digest; prints the verdict.
 * Returns the process exit status. */
int replayer_finish(struct replayer *rp);
void replayer_close(struct replayer *rp);

#endif
