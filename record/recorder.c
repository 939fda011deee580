#include "record/recorder.h"
#include "core/digest.h"
#include "core/vm.h"
#include "core/vm_config.h"
#include "core/waker.h"
#include "traces/events.h"
#include "traces/trace.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* A killed recorder loses at most this much guest time of events. */
#define FLUSH_EVERY_NS 200000000ULL

struct recorder {
	struct trace_writer *w;
	struct vm *vm;
	int error;		/* first write error (-errno), reported once at close */
	uint64_t last_flush_ns;
};

static void log_error(struct recorder *r, int rc)
{
	if (rc && !r->error)
		r->error = rc;
}

void recorder_event(struct recorder *r, uint8_t type, uint64_t pos, const void *payload, size_t len)
{
	log_error(r, trace_write_event(r->w, type, pos, payload, len));
}

static uint64_t recording_clock_read(void *ctx)
{
	struct recorder *r = ctx;
	uint64_t now = host_now_ns() - r->vm->clock_origin_ns;
	uint8_t p[8];
	recorder_event(r, EV_CLOCK, vm_pos(r->vm), p, ev_u64_encode(p, now));
	return now;
}

struct recorder *recorder_open(const char *path, struct vm *vm, const struct boot_files *files,
			       char *err, size_t errlen)
{
	struct recorder *r = calloc(1, sizeof(*r));
	if (!r) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	struct vm_config_text cfg;
	vm_config_format(&cfg, &vm->cfg, vm->clock.epoch_at_boot);
	struct trace_section sections[] = {
		{ .type = SEC_CONFIG, .name = "vm", .data = cfg.text, .len = cfg.len },
		{ .type = SEC_CPUID, .name = "cpuid", .data = &vm->cpuid, .len = sizeof(vm->cpuid) },
		{ .type = SEC_IMAGE, .name = TRACE_IMAGE_KERNEL, .data = files->kernel, .len = files->kernel_len },
		{ .type = SEC_IMAGE, .name = TRACE_IMAGE_INITRD, .data = files->initrd, .len = files->initrd_len },
	};
	size_t n = sizeof(sections) / sizeof(sections[0]) - (files->initrd ? 0 : 1);
	r->w = trace_writer_open(path, sections, n, err, errlen);
	if (!r->w) {
		free(r);
		return NULL;
	}
	r->vm = vm;
	vm->clock.read = recording_clock_read;
	vm->clock.ctx = r;
	return r;
}

void recorder_tick(struct recorder *r)
{
	uint64_t now = host_now_ns();
	if (now - r->last_flush_ns >= FLUSH_EVERY_NS) {
		log_error(r, trace_writer_flush(r->w));
		r->last_flush_ns = now;
	}
}

uint64_t recorder_events(const struct recorder *r)
{
	return trace_writer_events(r->w);
}

int recorder_error(const struct recorder *r)
{
	return r->error;
}

int run_end_decode(struct run_end *out, const void *blob, size_t len)
{
	if (!blob || len != RUN_END_SIZE)
		return -1;
	const uint8_t *p = blob;
	memcpy(out->digest, p, 16);
	memcpy(&out->status, p + 16, 4);
	memcpy(&out->exits, p + 20, 8);
	memcpy(&out->guest_ns, p + 28, 8);
	return 0;
}

int recorder_close(struct recorder *r, struct vm *vm)
{
	uint8_t blob[RUN_END_SIZE];
	memset(blob, 0, sizeof(blob));
	int rc = vm_state_digest(vm, true, blob);
	uint32_t status = (uint32_t)vm->status;
	/* The guest time the guest last saw, which a replay reaches too (the host's clock at
	 * close is not part of the run). */
	uint64_t exits = vm->exits, ns = vm->clock.last;
	memcpy(blob + 16, &status, 4);
	memcpy(blob + 20, &exits, 8);
	memcpy(blob + 28, &ns, 8);
	if (rc)
		log_error(r, rc);
	if (r->error) {
		fprintf(stderr, "rewind record: writing the trace failed: %s; it is left incomplete\n",
			strerror(-r->error));
		trace_writer_abandon(r->w);
		free(r);
		return -1;
	}
	rc = trace_writer_close(r->w, blob, sizeof(blob));
	free(r);
	if (rc) {
		fprintf(stderr, "rewind record: closing the trace failed: %s\n", strerror(-rc));
		return -1;
	}
	return 0;
}
