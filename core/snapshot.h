/* Snapshot files: one VM state at one point — the VM configuration, the vCPU, every device, guest
 * time and position, and guest memory as a memory image whose pages are either embedded in the
 * file (a standalone snapshot) or held by an external page store file shared by many snapshots
 * (the checkpoints of one trace). Engine-agnostic: the VMM fills and applies struct vcpu_state
 * through the engine interface. Layout: docs/snapshot-format.md. */
#ifndef REWIND_SNAPSHOT_H
#define REWIND_SNAPSHOT_H
#include <linux/kvm.h>
#include <stddef.h>
#include <stdint.h>

#include "core/pagestore.h"

#define VCPU_MAX_MSRS 128
#define SNAPSHOT_NAME_MAX 64	/* device names, NUL included */

/* Exactly what the engine's get_* calls return; msrs[0..nmsrs) have index and data. */
struct vcpu_state {
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_fpu fpu;
	struct kvm_vcpu_events events;
	uint32_t nmsrs;
	struct kvm_msr_entry msrs[VCPU_MAX_MSRS];
};

struct snapshot_device {
	char name[SNAPSHOT_NAME_MAX];
	void *data;
	size_t len;
};

/* Buffers are the caller's when writing; snapshot_read() allocates them and snapshot_free()
 * frees them. mem's refs are refs of the page store passed along. */
struct snapshot {
	void *config;			/* opaque VM configuration */
	size_t config_len;
	struct vcpu_state vcpu;
	struct snapshot_device *devices;
	uint32_t ndevices;
	uint64_t guest_ns;
	void *position;			/* opaque: where in the trace this state is */
	size_t position_len;
	struct memimage mem;
};

/* Writes the snapshot atomically (PATH.tmp, then rename). With store_path NULL the pages are
 * embedded; otherwise the file names store_path (as given: relative paths are resolved by the
 * reader against the snapshot's directory) and ps's id, and the caller must have saved, or must
 * save, ps to that file — every ref in snap->mem has to be in it. */
int snapshot_write(const char *path, const struct snapshot *snap, const struct pagestore *ps,
		   const char *store_path, char *err, size_t errlen);

/* The same snapshot written to the caller's stream (a trace, an open_memstream() buffer) from
 * its current position; `name` stands for the file in errors. Nothing is flushed to disk. */
int snapshot_write_stream(FILE *f, const char *name, const struct snapshot *snap,
			  const struct pagestore *ps, const char *store_path, char *err,
			  size_t errlen);

/* Reads and validates the whole file — every checksum, every section, every page ref, and the
 * memory digest — before it touches ps or out. Embedded pages are added to ps and the image's
 * refs are mapped to ps's refs; for a snapshot that uses an external store, ps must be that store
 * already loaded (see snapshot_store_path()). On error nothing was changed and err says what and
 * where. */
int snapshot_read(const char *path, struct pagestore *ps, struct snapshot *out, char *err,
		  size_t errlen);
/* snapshot_read() of a snapshot held in memory; `name` stands for the file in errors and is the
 * base for a relative store path. */
int snapshot_decode(const uint8_t *buf, uint64_t len, const char *name, struct pagestore *ps,
		    struct snapshot *out, char *err, size_t errlen);
/* The external store a snapshot uses, resolved against the snapshot's directory: returns 1 and
 * fills buf, 0 when the pages are embedded, or a negative errno (err filled) for a bad file. */
int snapshot_store_path(const char *path, char *buf, size_t buflen, char *err, size_t errlen);
void snapshot_free(struct snapshot *snap);

#endif
