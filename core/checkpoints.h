/* Checkpoints of a recorded run: machine snapshots at quiet exits, every `every_ns` of guest
 * time, sharing one page store (each checkpoint after the first is incremental: only pages
 * written since the previous one are read). They live beside the trace, in TRACE.ckpt/: the
 * store file `store` and one snapshot file per checkpoint, `NNNN.snap`. A checkpoint's
 * position says where replay resumes: the exit index and how many trace events were consumed. */
#ifndef REWIND_CHECKPOINTS_H
#define REWIND_CHECKPOINTS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/snapshot.h"

struct vm;

struct checkpoint {
	uint64_t exits, guest_ns, events;
	struct snapshot snap;
	bool loaded;		/* snap came from snapshot_read (else from capture) */
};

struct checkpoint_set {
	struct pagestore ps;
	uint64_t trace_id;	/* the trace's creation stamp: checkpoints belong to one trace */
	struct checkpoint *v;
	size_t n, cap;
	uint64_t every_ns, next_ns;
	char error[256];	/* the first capture error, if any */
	bool log_broken;	/* memory was restored since the last checkpoint: capture whole */
};

int checkpoints_init(struct checkpoint_set *set, uint64_t every_ns, uint64_t trace_id);
void checkpoints_free(struct checkpoint_set *set);
/* At a quiet point: takes a checkpoint now. 0 or -1 (set->error). */
int checkpoints_take(struct checkpoint_set *set, struct vm *vm, uint64_t events);
/* At a quiet point: takes a checkpoint when one is due. `events` is how many trace events
 * have been written (record) or consumed (replay) so far. */
void checkpoints_maybe_take(struct checkpoint_set *set, struct vm *vm, uint64_t events);
/* Writes TRACE.ckpt/ (atomically: a new directory renamed over the old). 0 or -1 (err). */
int checkpoints_save(struct checkpoint_set *set, const char *trace_path, uint64_t trace_id,
		     char *err, size_t errlen);
/* Reads TRACE.ckpt/ whole, validating everything; they must belong to the trace whose creation
 * stamp is trace_id. Returns 1 when loaded, 0 when the trace has no checkpoints, -1 on a
 * damaged or foreign set (err). */
int checkpoints_load(struct checkpoint_set *set, const char *trace_path, uint64_t trace_id,
		     char *err, size_t errlen);
/* Removes TRACE.ckpt/ (and TRACE.ckpt.tmp/ and .old/ a killed run left): a new recording at the
 * same path makes the old checkpoints stale. Only the files rewind writes there are removed. */
void checkpoints_remove(const char *trace_path);
/* Puts vm (created from the trace's configuration) in checkpoint k's state, including what
 * replay needs besides the machine (exit index, dirty pages pending for landings). */
int checkpoints_restore(struct checkpoint_set *set, size_t k, struct vm *vm, char *err,
			size_t errlen);

#endif
