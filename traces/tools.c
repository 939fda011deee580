/* `rewind trace info|dump|verify`: reports over the reader API, nothing format-specific that
 * the reader does not already check, so the tools and the replayer agree on what is valid. */
#include "traces/tools.h"
#include "traces/events.h"
#include "traces/format.h"
#include "traces/trace.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int tool_status(int rc)
{
	switch (-rc) {
	case TRACE_EFORMAT:
		return TRACE_TOOL_EFORMAT;
	case TRACE_EIMAGE:
		return TRACE_TOOL_EIMAGE;
	case TRACE_ECORRUPT:
		return TRACE_TOOL_ECORRUPT;
	default:
		return TRACE_TOOL_EIO;
	}
}

static int open_or_report(struct trace_reader **r, const char *path, FILE *out)
{
	char err[512];
	int rc = trace_reader_open(r, path, err, sizeof(err));
	if (rc)
		fprintf(out, "error: %s: %s\n", path, err);
	return rc ? tool_status(rc) : 0;
}

static const char *section_type_name(uint32_t type)
{
	switch (type) {
	case SEC_CONFIG:
		return "config";
	case SEC_IMAGE:
		return "image";
	case SEC_CPUID:
		return "cpuid";
	default:
		return "unknown";
	}
}

static bool is_text(const uint8_t *p, uint64_t len)
{
	for (uint64_t i = 0; i < len; i++)
		if ((p[i] < 0x20 && p[i] != '\n' && p[i] != '\t') || p[i] >= 0x7f)
			return false;
	return true;
}

static void hex(FILE *out, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(out, "%02x", p[i]);
}

static void json_str(FILE *out, const uint8_t *p, uint64_t len)
{
	fputc('"', out);
	for (uint64_t i = 0; i < len; i++) {
		if (p[i] == '"' || p[i] == '\\')
			fprintf(out, "\\%c", p[i]);
		else if (p[i] == '\n')
			fputs("\\n", out);
		else if (p[i] < 0x20 || p[i] >= 0x7f)
			fprintf(out, "\\u%04x", p[i]);
		else
			fputc(p[i], out);
	}
	fputc('"', out);
}

/* What one pass over the events learns. */
struct trace_census {
	uint64_t by_type[256];
	uint64_t events, irq_exit, irq_async, deferred;
	uint64_t guest_ns, first_pos, last_pos;
	/* Engines that count instructions: the count at the end and at the last interrupt. */
	uint64_t icount_end, icount_last_irq;
	bool have_clock, have_icount;
	/* EV_STOP: the run was stopped from outside, at stop_pos. */
	bool stopped;
	uint8_t stop_by;
	uint32_t stop_status;
	uint64_t stop_pos;
	int rc;
	char err[512];
};

static void census(struct trace_reader *r, struct trace_census *c)
{
	struct trace_event ev;
	int rc;
	memset(c, 0, sizeof(*c));
	while ((rc = trace_reader_next(r, &ev)) > 0) {
		if (!c->events)
			c->first_pos = ev.pos;
		c->last_pos = ev.pos;
		c->events++;
		c->by_type[ev.type]++;
		uint8_t vec, kind;
		uint64_t ns;
		if (ev.type == EV_IRQ && !ev_irq_decode(&vec, &kind, ev.payload, ev.len)) {
			if (kind == IRQ_ASYNC)
				c->irq_async++;
			else
				c->irq_exit++;
		} else if (ev.type == EV_DEFERRED)
			c->deferred++;
		else if (ev.type == EV_STOP &&
			 !ev_stop_decode(&c->stop_status, &c->stop_by, ev.payload, ev.len)) {
			c->stopped = true;
			c->stop_pos = ev.pos;
		} else if (ev.type == EV_ASYNC_ICOUNT && !ev_u64_decode(&ns, ev.payload, ev.len))
			c->icount_last_irq = ns;
		else if (ev.type == EV_ICOUNT && !ev_u64_decode(&ns, ev.payload, ev.len)) {
			c->icount_end = ns;
			c->have_icount = true;
		}
		else if ((ev.type == EV_CLOCK || ev.type == EV_TIMER) &&
			 !ev_u64_decode(&ns, ev.payload, ev.len)) {
			/* both carry guest time; the run lasted until the latest */
			if (ns > c->guest_ns)
				c->guest_ns = ns;
			c->have_clock = true;
		}
	}
	c->rc = rc;
	if (rc < 0)
		snprintf(c->err, sizeof(c->err), "%s", trace_reader_error(r));
}

static void info_text(FILE *out, const char *path, struct trace_reader *r,
		      const struct trace_census *c)
{
	const struct trace_file_info *fi = trace_reader_info(r);
	struct trace_load_stats st;
	trace_reader_stats(r, &st);
	time_t secs = (time_t)(fi->created_ns / 1000000000u);
	struct tm tm;
	char when[64] = "?";
	if (gmtime_r(&secs, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	fprintf(out, "trace:        %s\n", path);
	fprintf(out, "format:       version %u, written by \"%s\" at %s\n", fi->version, fi->writer,
		when);
	fprintf(out, "state:        %s\n", fi->truncated ? "TRUNCATED (no valid trailer)" : "complete");
	for (size_t i = 0; i < trace_reader_nsections(r); i++) {
		const struct trace_section *s = trace_reader_section(r, i);
		if (s->type == SEC_IMAGE) {
			fprintf(out, "image:        %s, %" PRIu64 " bytes, xxh3-128 ", s->name, s->len);
			hex(out, s->hash, sizeof(s->hash));
			fputc('\n', out);
		} else if (is_text(s->data, s->len) && s->len <= 4096) {
			fprintf(out, "%s:%*s", section_type_name(s->type),
				(int)(13 - strlen(section_type_name(s->type))), "");
			const char *p = s->data, *end = p + s->len;
			for (int first = 1; p < end; first = 0) {
				const char *nl = memchr(p, '\n', (size_t)(end - p));
				size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
				fprintf(out, "%s%.*s\n", first ? "" : "              ", (int)n, p);
				p += n + (nl != NULL);
			}
			if (!s->len)
				fputc('\n', out);
		} else {
			fprintf(out, "%s:%*s%s%s%" PRIu64 " bytes\n", section_type_name(s->type),
				(int)(13 - strlen(section_type_name(s->type))), "", s->name,
				*s->name ? ", " : "", s->len);
		}
	}
	if (c->have_clock)
		fprintf(out, "guest time:   %" PRIu64 ".%09" PRIu64 " s\n", c->guest_ns / 1000000000u,
			c->guest_ns % 1000000000u);
	else
		fprintf(out, "guest time:   unknown (no clock events)\n");
	fprintf(out, "positions:    ");
	if (c->events)
		fprintf(out, "%" PRIu64 " .. %" PRIu64 "\n", c->first_pos, c->last_pos);
	else
		fprintf(out, "none\n");
	fprintf(out, "events:       %" PRIu64 "\n", c->events);
	for (int t = 0; t < 256; t++) {
		char name[24];
		if (!c->by_type[t])
			continue;
		if (trace_event_desc((uint8_t)t))
			snprintf(name, sizeof(name), "%s", trace_event_name((uint8_t)t));
		else
			snprintf(name, sizeof(name), "type %d", t);
		fprintf(out, "  %-12s %" PRIu64 "\n", name, c->by_type[t]);
	}
	fprintf(out, "interrupts:   %" PRIu64 " at exits, %" PRIu64 " asynchronous, %" PRIu64
		" deferred\n", c->irq_exit, c->irq_async, c->deferred);
	if (c->stopped) {
		char by[48];
		fprintf(out, "ended:        stopped by the user (%s) at exit %" PRIu64 ", status %" PRIu32
			"\n", ev_stop_by_name(c->stop_by, by, sizeof(by)), c->stop_pos >> 1,
			c->stop_status);
	}
	if (c->have_icount || c->by_type[EV_ASYNC_ICOUNT]) {
		fprintf(out, "instructions: ");
		if (c->have_icount)
			fprintf(out, "%" PRIu64 " retired at the end, ", c->icount_end);
		fprintf(out, "%" PRIu64 " interrupts positioned by instruction count",
			c->by_type[EV_ASYNC_ICOUNT]);
		if (c->by_type[EV_ASYNC_ICOUNT])
			fprintf(out, " (last at %" PRIu64 ")", c->icount_last_irq);
		fputc('\n', out);
	}
	fprintf(out, "chunks:       %" PRIu64 "\n", st.chunks);
	fprintf(out, "bytes:        %" PRIu64 " uncompressed, %" PRIu64 " compressed", st.usize,
		st.csize);
	if (st.csize)
		fprintf(out, " (ratio %.2f)", (double)st.usize / (double)st.csize);
	fprintf(out, "\nfile:         %" PRIu64 " bytes, header %" PRIu64 " bytes\n", fi->file_size,
		fi->header_len);
	size_t bloblen;
	if (trace_reader_final_blob(r, &bloblen))
		fprintf(out, "final blob:   %zu bytes\n", bloblen);
	if (fi->truncated)
		fprintf(out, "good data:    ends at offset %" PRIu64 " (last whole chunk at offset %"
			PRIu64 ")\n", fi->good_end, fi->last_chunk_off);
	if (c->rc < 0)
		fprintf(out, "error:        %s\n", c->err);
}

static void info_json(FILE *out, const char *path, struct trace_reader *r,
		      const struct trace_census *c)
{
	const struct trace_file_info *fi = trace_reader_info(r);
	struct trace_load_stats st;
	trace_reader_stats(r, &st);
	fputs("{\"path\":", out);
	json_str(out, (const uint8_t *)path, strlen(path));
	fprintf(out, ",\"version\":%u,\"writer\":", fi->version);
	json_str(out, (const uint8_t *)fi->writer, strlen(fi->writer));
	fprintf(out, ",\"created_ns\":%" PRIu64 ",\"complete\":%s,\"truncated\":%s",
		fi->created_ns, fi->truncated ? "false" : "true", fi->truncated ? "true" : "false");
	fputs(",\"sections\":[", out);
	for (size_t i = 0; i < trace_reader_nsections(r); i++) {
		const struct trace_section *s = trace_reader_section(r, i);
		fprintf(out, "%s{\"type\":\"%s\",\"type_id\":%u,\"name\":", i ? "," : "",
			section_type_name(s->type), s->type);
		json_str(out, (const uint8_t *)s->name, strlen(s->name));
		fprintf(out, ",\"len\":%" PRIu64, s->len);
		if (s->type == SEC_IMAGE) {
			fputs(",\"xxh3_128\":\"", out);
			hex(out, s->hash, sizeof(s->hash));
			fputc('"', out);
		} else if (is_text(s->data, s->len) && s->len <= 4096) {
			fputs(",\"text\":", out);
			json_str(out, s->data, s->len);
		}
		fputc('}', out);
	}
	fputs("]", out);
	if (c->have_clock)
		fprintf(out, ",\"guest_ns\":%" PRIu64, c->guest_ns);
	else
		fputs(",\"guest_ns\":null", out);
	fprintf(out, ",\"events\":%" PRIu64 ",\"events_by_type\":{", c->events);
	bool first = true;
	for (int t = 0; t < 256; t++) {
		if (!c->by_type[t])
			continue;
		if (trace_event_desc((uint8_t)t))
			fprintf(out, "%s\"%s\":%" PRIu64, first ? "" : ",",
				trace_event_name((uint8_t)t), c->by_type[t]);
		else
			fprintf(out, "%s\"type_%d\":%" PRIu64, first ? "" : ",", t, c->by_type[t]);
		first = false;
	}
	fprintf(out, "},\"interrupts\":{\"at_exit\":%" PRIu64 ",\"async\":%" PRIu64
		",\"deferred\":%" PRIu64 "}", c->irq_exit, c->irq_async, c->deferred);
	if (c->stopped) {
		char by[48];
		const char *name = ev_stop_by_name(c->stop_by, by, sizeof(by));
		fputs(",\"stopped_by_user\":", out);
		json_str(out, (const uint8_t *)name, strlen(name));
		fprintf(out, ",\"stop_exit\":%" PRIu64, c->stop_pos >> 1);
	}
	if (c->have_icount || c->by_type[EV_ASYNC_ICOUNT]) {
		fprintf(out, ",\"instructions\":{\"async\":%" PRIu64, c->by_type[EV_ASYNC_ICOUNT]);
		if (c->have_icount)
			fprintf(out, ",\"end\":%" PRIu64, c->icount_end);
		fputc('}', out);
	}
	if (c->events)
		fprintf(out, ",\"first_pos\":%" PRIu64 ",\"last_pos\":%" PRIu64, c->first_pos,
			c->last_pos);
	fprintf(out, ",\"chunks\":%" PRIu64 ",\"bytes_uncompressed\":%" PRIu64
		",\"bytes_compressed\":%" PRIu64 ",\"compression_ratio\":%.3f", st.chunks, st.usize,
		st.csize, st.csize ? (double)st.usize / (double)st.csize : 0.0);
	fprintf(out, ",\"file_size\":%" PRIu64 ",\"good_end\":%" PRIu64, fi->file_size,
		fi->good_end);
	size_t bloblen;
	if (trace_reader_final_blob(r, &bloblen))
		fprintf(out, ",\"final_blob_len\":%zu", bloblen);
	if (c->rc < 0) {
		fputs(",\"error\":", out);
		json_str(out, (const uint8_t *)c->err, strlen(c->err));
	}
	fputs("}\n", out);
}

int trace_info(const char *path, FILE *out, bool json)
{
	struct trace_reader *r;
	int rc = open_or_report(&r, path, out);
	if (rc)
		return rc;
	struct trace_census *c = malloc(sizeof(*c));
	if (!c) {
		trace_reader_close(r);
		fprintf(out, "error: out of memory\n");
		return TRACE_TOOL_EIO;
	}
	census(r, c);
	if (json)
		info_json(out, path, r, c);
	else
		info_text(out, path, r, c);
	rc = c->rc < 0 ? tool_status(c->rc) : 0;
	free(c);
	trace_reader_close(r);
	return rc;
}

int trace_dump(const char *path, FILE *out)
{
	struct trace_reader *r;
	int rc = open_or_report(&r, path, out);
	if (rc)
		return rc;
	struct trace_event ev;
	while ((rc = trace_reader_next(r, &ev)) > 0) {
		fprintf(out, "%" PRIu64 " %s ", ev.pos, trace_event_name(ev.type));
		if (!trace_event_desc(ev.type))
			fprintf(out, "type=%u ", ev.type);
		trace_event_format(out, ev.type, ev.payload, ev.len);
		fputc('\n', out);
	}
	const struct trace_file_info *fi = trace_reader_info(r);
	if (rc < 0)
		fprintf(out, "error: %s\n", trace_reader_error(r));
	else if (fi->truncated)
		fprintf(out, "# truncated: the trace ends after the last whole chunk (good data ends "
			"at offset %" PRIu64 ")\n", fi->good_end);
	rc = rc < 0 ? tool_status(rc) : 0;
	trace_reader_close(r);
	return rc;
}

/* Checks the events themselves: known types must carry their payload size. */
static int verify_events(struct trace_reader *r, FILE *out, uint64_t *unknown)
{
	struct trace_event ev;
	struct trace_load_stats st;
	int rc;
	char why[200];
	while ((rc = trace_reader_next(r, &ev)) > 0) {
		if (!trace_event_desc(ev.type))
			(*unknown)++;
		if (trace_event_check(ev.type, ev.pos, ev.len, why, sizeof(why))) {
			struct trace_chunk_ref c;
			trace_reader_stats(r, &st);
			trace_reader_chunk(r, st.chunks - 1, &c);
			fprintf(out, "error: chunk %" PRIu64 " at offset %" PRIu64 ": %s\n",
				st.chunks - 1, c.offset, why);
			return TRACE_TOOL_ECORRUPT;
		}
	}
	if (rc < 0) {
		fprintf(out, "error: %s\n", trace_reader_error(r));
		return tool_status(rc);
	}
	return 0;
}

/* The index's totals must match what the chunks hold. */
static int verify_totals(struct trace_reader *r, FILE *out)
{
	const struct trace_file_info *fi = trace_reader_info(r);
	struct trace_load_stats st;
	trace_reader_stats(r, &st);
	if (st.chunks != fi->nchunks || st.events != fi->nevents || st.usize != fi->usize ||
	    st.csize != fi->csize) {
		fprintf(out, "error: index at offset %" PRIu64 ": totals (%" PRIu64 " chunks, %" PRIu64
			" events, %" PRIu64 "/%" PRIu64 " bytes) disagree with the chunks (%" PRIu64
			", %" PRIu64 ", %" PRIu64 "/%" PRIu64 ")\n", fi->index_off, fi->nchunks,
			fi->nevents, fi->usize, fi->csize, st.chunks, st.events, st.usize, st.csize);
		return TRACE_TOOL_ECORRUPT;
	}
	return 0;
}

/* Says what the bytes after the last whole chunk look like, for the truncation report. */
static const char *describe_tail(const char *path, uint64_t off)
{
	char magic[4] = { 0 };
	FILE *f = fopen(path, "rb");
	if (!f)
		return "";
	bool idx = fseeko(f, (off_t)off, SEEK_SET) == 0 && fread(magic, 1, 4, f) == 4 &&
		   !memcmp(magic, TRACE_INDEX_MAGIC, 4);
	fclose(f);
	return idx ? " (an index starts there: the trailer is missing or damaged)" : "";
}

int trace_verify(const char *path, FILE *out)
{
	struct trace_reader *r;
	int rc = open_or_report(&r, path, out);
	if (rc)
		return rc;
	uint64_t unknown = 0;
	rc = verify_events(r, out, &unknown);
	const struct trace_file_info *fi = trace_reader_info(r);
	if (!rc && !fi->truncated)
		rc = verify_totals(r, out);
	if (!rc) {
		struct trace_load_stats st;
		trace_reader_stats(r, &st);
		if (fi->truncated) {
			fprintf(out, "truncated: %" PRIu64 " whole chunks, %" PRIu64 " events", st.chunks,
				st.events);
			if (fi->have_pos)
				fprintf(out, " up to position %" PRIu64 "; last good chunk %" PRIu64
					" at offset %" PRIu64, fi->last_pos, fi->nchunks - 1,
					fi->last_chunk_off);
			fprintf(out, "; good data ends at offset %" PRIu64 ", then %" PRIu64
				" bytes of torn tail%s\n", fi->good_end, fi->file_size - fi->good_end,
				describe_tail(path, fi->good_end));
			rc = TRACE_TOOL_TRUNCATED;
		} else {
			fprintf(out, "ok: %" PRIu64 " chunks, %" PRIu64 " events", st.chunks, st.events);
			if (fi->have_pos)
				fprintf(out, ", positions up to %" PRIu64, fi->last_pos);
			fprintf(out, ", index and trailer valid\n");
		}
		if (unknown)
			fprintf(out, "note: %" PRIu64 " events of types this build does not know\n",
				unknown);
	}
	trace_reader_close(r);
	return rc;
}
