/* Sample traces for the trace tests and the fuzz seed corpus: a deterministic mix of every
 * event type, written through the real writer, with the expected events kept for comparison. */
#ifndef REWIND_TEST_TRACE_SAMPLE_H
#define REWIND_TEST_TRACE_SAMPLE_H
#include "traces/events.h"
#include "traces/trace.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sample_event {
	uint8_t type;
	uint64_t pos;
	uint32_t len;
	size_t at; /* payload offset in sample.arena */
};

struct sample {
	struct sample_event *ev;
	size_t n;
	uint8_t *arena;
	size_t arena_len, arena_cap;
	uint8_t image[3000];
	uint8_t final_blob[24];
};

struct sample_opts {
	uint64_t seed;
	size_t nevents;
	size_t flush_every;	/* 0: only when chunks fill */
	size_t big_every;	/* 0: never; else a 100 KiB console event every N events */
	bool no_close;		/* leave without index and trailer, as a killed recorder would */
};

static inline uint64_t sample_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static const char sample_config[] = "memory=64M\nengine=soft\ncmdline=workload=hello\n";

static inline void sample_sections(struct sample *s, struct trace_section sec[3])
{
	static const uint8_t cpuid[] = { 0x0d, 0, 0, 0, 'G', 'e', 'n', 'u', 'i', 'n', 'e' };
	uint64_t r = 0x1234567;
	for (size_t i = 0; i < sizeof(s->image); i++)
		s->image[i] = (uint8_t)(i % 7 == 0 ? sample_rand(&r) : i);
	sec[0] = (struct trace_section){ .type = SEC_CONFIG, .data = sample_config,
					 .len = sizeof(sample_config) - 1 };
	sec[1] = (struct trace_section){ .type = SEC_IMAGE, .name = "testos.elf", .data = s->image,
					 .len = sizeof(s->image) };
	sec[2] = (struct trace_section){ .type = SEC_CPUID, .name = "model", .data = cpuid,
					 .len = sizeof(cpuid) };
}

/* Builds the payload of the i-th event into buf; returns its type and length. */
static inline uint8_t sample_payload(uint64_t *r, size_t i, const struct sample_opts *o,
				     uint8_t *buf, uint32_t *len)
{
	static const uint8_t types[] = { EV_CLOCK,  EV_SERIAL_RX,  EV_IRQ,     EV_ASYNC_STOP,
					 EV_DEFERRED, EV_DIGEST,   EV_CONSOLE, EV_INSN_VALUE,
					 EV_CHECKPOINT, EV_IRQ,    EV_CLOCK,   EV_TIMER,
					 EV_EXIT,       0xee };
	if (o->big_every && i % o->big_every == o->big_every - 1) {
		*len = 100 * 1024;
		for (uint32_t k = 0; k < *len; k++)
			buf[k] = (uint8_t)("console output line\n"[k % 20] ^ (k / 4096));
		return EV_CONSOLE;
	}
	uint8_t type = types[sample_rand(r) % sizeof(types)];
	uint64_t v = sample_rand(r);
	struct ev_async_stop st;
	switch (type) {
	case EV_CLOCK:
	case EV_TIMER:
		*len = (uint32_t)ev_u64_encode(buf, i * 1000 + 17);
		break;
	case EV_IRQ:
		*len = (uint32_t)ev_irq_encode(buf, (uint8_t)(0x20 + v % 16), (uint8_t)(v >> 8 & 1));
		break;
	case EV_ASYNC_STOP:
		st.rip = 0xffffffff81000000u + v % 4096;
		for (int k = 0; k < 16; k++)
			st.regs[k] = v * (uint64_t)(k + 1);
		st.rflags = 0x202;
		st.npages = (uint32_t)(v % 4);
		struct ev_page_hash ph[4] = { { 0x100, v }, { 0x101, ~v }, { 0x400, v * 3 }, { 0x7ff, 0 } };
		*len = (uint32_t)ev_async_stop_encode(buf, &st, ph);
		break;
	case EV_DEFERRED:
		buf[0] = (uint8_t)(0x20 + v % 16);
		*len = 1;
		break;
	case EV_DIGEST:
		for (int k = 0; k < 16; k++)
			buf[k] = (uint8_t)(v >> (k % 8 * 8));
		*len = 16;
		break;
	case EV_INSN_VALUE:
		*len = (uint32_t)ev_insn_value_encode(buf, (uint8_t)(v % 4), v);
		break;
	case EV_CHECKPOINT:
	case EV_EXIT:
		*len = (uint32_t)ev_u32_encode(buf, (uint32_t)i);
		break;
	default: /* serial bytes, console text, and an unknown type: varied lengths */
		*len = (uint32_t)(v % 48);
		for (uint32_t k = 0; k < *len; k++)
			buf[k] = (uint8_t)(type == EV_CONSOLE ? 'a' + (v + k) % 26 : sample_rand(r));
		break;
	}
	return type;
}

static inline int sample_keep(struct sample *s, uint8_t type, uint64_t pos, const uint8_t *p,
			      uint32_t len)
{
	if (s->arena_len + len > s->arena_cap) {
		size_t cap = s->arena_cap ? s->arena_cap * 2 : 1 << 16;
		while (cap < s->arena_len + len)
			cap *= 2;
		uint8_t *a = realloc(s->arena, cap);
		if (!a)
			return -1;
		s->arena = a;
		s->arena_cap = cap;
	}
	memcpy(s->arena + s->arena_len, p, len);
	s->ev[s->n++] = (struct sample_event){ type, pos, len, s->arena_len };
	s->arena_len += len;
	return 0;
}

/* Writes the trace at path and fills s (free with sample_free). Returns 0 or -1. */
static inline int sample_write(const char *path, const struct sample_opts *o, struct sample *s)
{
	struct trace_section sec[3];
	char err[256];
	uint8_t *buf = malloc(100 * 1024);
	memset(s, 0, sizeof(*s));
	s->ev = calloc(o->nevents + 1, sizeof(*s->ev));
	if (!buf || !s->ev)
		return -1;
	sample_sections(s, sec);
	struct trace_writer *w = trace_writer_open(path, sec, 3, err, sizeof(err));
	if (!w) {
		fprintf(stderr, "sample: %s\n", err);
		free(buf);
		return -1;
	}
	uint64_t r = o->seed | 1, pos = 0;
	int rc = 0;
	for (size_t i = 0; i < o->nevents && !rc; i++) {
		uint32_t len;
		uint8_t type = sample_payload(&r, i, o, buf, &len);
		pos += sample_rand(&r) % 4; /* equal positions happen: several events at one exit */
		rc = trace_write_event(w, type, pos, buf, len);
		if (!rc)
			rc = sample_keep(s, type, pos, buf, len);
		if (!rc && o->flush_every && i % o->flush_every == o->flush_every - 1)
			rc = trace_writer_flush(w);
	}
	free(buf);
	for (size_t k = 0; k < sizeof(s->final_blob); k++)
		s->final_blob[k] = (uint8_t)(0xa0 + k);
	if (o->no_close) {
		trace_writer_abandon(w);
		return rc;
	}
	int crc = trace_writer_close(w, s->final_blob, sizeof(s->final_blob));
	return rc || crc ? -1 : 0;
}

static inline void sample_free(struct sample *s)
{
	free(s->ev);
	free(s->arena);
	memset(s, 0, sizeof(*s));
}

/* Compares the reader's next events with s->ev[from...]; returns how many matched before the
 * end of the trace, or -1 on a mismatch, or -2 on a read error (message in the reader). */
static inline long sample_match(struct trace_reader *r, const struct sample *s, size_t from)
{
	struct trace_event ev;
	size_t i = from;
	int rc;
	while ((rc = trace_reader_next(r, &ev)) > 0) {
		if (i >= s->n)
			return -1;
		const struct sample_event *e = &s->ev[i++];
		if (ev.type != e->type || ev.pos != e->pos || ev.len != e->len ||
		    (e->len && memcmp(ev.payload, s->arena + e->at, e->len)))
			return -1;
	}
	return rc < 0 ? -2 : (long)(i - from);
}

#endif
