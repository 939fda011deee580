/* The event type table and the payload formatters `rewind trace dump` uses. */
#include "traces/events.h"
#include "traces/format.h"

#include <inttypes.h>
#include <string.h>

static void fmt_hex(FILE *out, const uint8_t *p, size_t len)
{
	/* A dump line stays readable: long opaque payloads are cut. */
	size_t n = len > 64 ? 64 : len;
	for (size_t i = 0; i < n; i++)
		fprintf(out, "%02x", p[i]);
	if (n < len)
		fprintf(out, "... (%zu bytes)", len);
}

static void fmt_clock(FILE *out, const uint8_t *p, size_t len)
{
	(void)len;
	uint64_t ns = get_le64(p);
	fprintf(out, "ns=%" PRIu64 " (%" PRIu64 ".%09" PRIu64 " s)", ns, ns / 1000000000u,
		ns % 1000000000u);
}

static void fmt_bytes(FILE *out, const uint8_t *p, size_t len)
{
	fprintf(out, "len=%zu \"", len);
	size_t n = len > 256 ? 256 : len;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];
		if (c == '\n')
			fputs("\\n", out);
		else if (c == '\r')
			fputs("\\r", out);
		else if (c == '\t')
			fputs("\\t", out);
		else if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c >= 0x20 && c < 0x7f)
			fputc(c, out);
		else
			fprintf(out, "\\x%02x", c);
	}
	fputs(n < len ? "\"..." : "\"", out);
}

static void fmt_irq(FILE *out, const uint8_t *p, size_t len)
{
	(void)len;
	fprintf(out, "vector=0x%02x kind=%s", p[0],
		p[1] == IRQ_AT_EXIT ? "exit" : p[1] == IRQ_ASYNC ? "async" : "invalid");
}

static void fmt_vector(FILE *out, const uint8_t *p, size_t len)
{
	(void)len;
	fprintf(out, "vector=0x%02x", p[0]);
}

static void fmt_held(FILE *out, const uint8_t *p, size_t len)
{
	(void)len;
	fprintf(out, "passed=%u", p[0]);
}

static void fmt_hash(FILE *out, const uint8_t *p, size_t len)
{
	fputs("hash=", out);
	fmt_hex(out, p, len);
}

static void fmt_checkpoint(FILE *out, const uint8_t *p, size_t len)
{
	(void)len;
	fprintf(out, "id=%" PRIu32, get_le32(p));
}

static void fmt_exit(FILE *out, const uint8_t *p, size_t len)
{
	(void)len;
	fprintf(out, "status=%" PRIu32, get_le32(p));
}

static void fmt_stop(FILE *out, const uint8_t *p, size_t len)
{
	char by[48];
	(void)len;
	fprintf(out, "status=%" PRIu32 " by=%s", get_le32(p), ev_stop_by_name(p[4], by, sizeof(by)));
}

static void fmt_panic(FILE *out, const uint8_t *p, size_t len)
{
	(void)len;
	fprintf(out, "pvpanic_event=0x%x", p[0]);
}

static void fmt_insn_value(FILE *out, const uint8_t *p, size_t len)
{
	static const char *const kinds[] = { "rdtsc", "rdrand", "rdseed", "cpuid" };
	(void)len;
	fprintf(out, "insn=%s value=0x%016" PRIx64, p[0] < 4 ? kinds[p[0]] : "invalid",
		get_le64(p + 1));
}

static void fmt_icount(FILE *out, const uint8_t *p, size_t len)
{
	(void)len;
	fprintf(out, "icount=%" PRIu64, get_le64(p));
}

static void fmt_async_stop(FILE *out, const uint8_t *p, size_t len)
{
	static const char *const names[16] = { "rax", "rbx", "rcx", "rdx", "rsi", "rdi",
					       "rsp", "rbp", "r8",  "r9",  "r10", "r11",
					       "r12", "r13", "r14", "r15" };
	struct ev_async_stop s;
	if (ev_async_stop_decode(&s, p, len)) {
		fmt_hex(out, p, len);
		return;
	}
	fprintf(out, "rip=0x%" PRIx64, s.rip);
	for (int i = 0; i < 16; i++)
		fprintf(out, " %s=0x%" PRIx64, names[i], s.regs[i]);
	fprintf(out, " rflags=0x%" PRIx64 " pages=%" PRIu32, s.rflags, s.npages);
	for (uint32_t i = 0; i < s.npages && i < 8; i++) {
		struct ev_page_hash ph = ev_async_stop_page(&s, i);
		fprintf(out, "%s0x%" PRIx64 ":%016" PRIx64, i ? "," : " ", ph.page, ph.hash);
	}
	if (s.npages > 8)
		fprintf(out, ",...");
}

static const struct trace_event_desc event_table[256] = {
#define TRACE_EV_DESC(name, num, str, size, fmt) [num] = { str, size, fmt },
	TRACE_EVENTS(TRACE_EV_DESC)
#undef TRACE_EV_DESC
};

const struct trace_event_desc *trace_event_desc(uint8_t type)
{
	return event_table[type].name ? &event_table[type] : NULL;
}

const char *trace_event_name(uint8_t type)
{
	const struct trace_event_desc *d = trace_event_desc(type);
	return d ? d->name : "unknown";
}

int trace_event_check(uint8_t type, uint64_t pos, size_t len, char *err, size_t errlen)
{
	const struct trace_event_desc *d = trace_event_desc(type);
	if (!d || d->size < 0 || (size_t)d->size == len)
		return 0;
	snprintf(err, errlen, "%s event at position %" PRIu64 " has a %zu-byte payload (want %d)",
		 d->name, pos, len, d->size);
	return -1;
}

void trace_event_format(FILE *out, uint8_t type, const uint8_t *payload, size_t len)
{
	const struct trace_event_desc *d = trace_event_desc(type);
	if (d && (d->size < 0 || (size_t)d->size == len)) {
		d->format(out, payload, len);
		return;
	}
	if (d)
		fprintf(out, "bad payload size %zu (want %d): ", len, d->size);
	fmt_hex(out, payload, len);
}

size_t ev_u64_encode(uint8_t out[8], uint64_t v)
{
	put_le64(out, v);
	return 8;
}

size_t ev_u32_encode(uint8_t out[4], uint32_t v)
{
	put_le32(out, v);
	return 4;
}

int ev_u64_decode(uint64_t *v, const uint8_t *payload, size_t len)
{
	if (len != 8)
		return -1;
	*v = get_le64(payload);
	return 0;
}

int ev_u32_decode(uint32_t *v, const uint8_t *payload, size_t len)
{
	if (len != 4)
		return -1;
	*v = get_le32(payload);
	return 0;
}

size_t ev_irq_encode(uint8_t out[2], uint8_t vector, uint8_t kind)
{
	out[0] = vector;
	out[1] = kind;
	return 2;
}

int ev_irq_decode(uint8_t *vector, uint8_t *kind, const uint8_t *payload, size_t len)
{
	if (len != 2 || payload[1] > IRQ_ASYNC)
		return -1;
	*vector = payload[0];
	*kind = payload[1];
	return 0;
}

size_t ev_insn_value_encode(uint8_t out[9], uint8_t kind, uint64_t value)
{
	out[0] = kind;
	put_le64(out + 1, value);
	return 9;
}

int ev_insn_value_decode(uint8_t *kind, uint64_t *value, const uint8_t *payload, size_t len)
{
	if (len != 9 || payload[0] > INSN_CPUID)
		return -1;
	*kind = payload[0];
	*value = get_le64(payload + 1);
	return 0;
}

size_t ev_stop_encode(uint8_t out[5], uint32_t status, uint8_t by)
{
	put_le32(out, status);
	out[4] = by;
	return 5;
}

int ev_stop_decode(uint32_t *status, uint8_t *by, const uint8_t *payload, size_t len)
{
	if (len != 5)
		return -1;
	*status = get_le32(payload);
	*by = payload[4];
	return 0;
}

const char *ev_stop_by_name(uint8_t by, char *buf, size_t len)
{
	/* Linux's numbers, the ones rewind stops on; any other is named by its number. */
	switch (by) {
	case EV_STOP_BY_ESCAPE:
		return "Ctrl-A x";
	case 1:
		return "SIGHUP";
	case 2:
		return "SIGINT";
	case 15:
		return "SIGTERM";
	}
	snprintf(buf, len, "signal %u", by);
	return buf;
}

size_t ev_async_stop_encode(uint8_t *out, const struct ev_async_stop *s,
			    const struct ev_page_hash *pages)
{
	uint8_t *p = out;
	put_le64(p, s->rip);
	p += 8;
	for (int i = 0; i < 16; i++, p += 8)
		put_le64(p, s->regs[i]);
	put_le64(p, s->rflags);
	p += 8;
	put_le32(p, s->npages);
	p += 4;
	for (uint32_t i = 0; i < s->npages; i++, p += 16) {
		put_le64(p, pages[i].page);
		put_le64(p + 8, pages[i].hash);
	}
	return EV_ASYNC_STOP_SIZE(s->npages);
}

int ev_async_stop_decode(struct ev_async_stop *s, const uint8_t *payload, size_t len)
{
	if (len < EV_ASYNC_STOP_FIXED)
		return -1;
	const uint8_t *p = payload;
	s->rip = get_le64(p);
	p += 8;
	for (int i = 0; i < 16; i++, p += 8)
		s->regs[i] = get_le64(p);
	s->rflags = get_le64(p);
	p += 8;
	s->npages = get_le32(p);
	s->pages = p + 4;
	return len == EV_ASYNC_STOP_SIZE(s->npages) ? 0 : -1;
}

struct ev_page_hash ev_async_stop_page(const struct ev_async_stop *s, uint32_t i)
{
	return (struct ev_page_hash){ get_le64(s->pages + 16 * (size_t)i),
				      get_le64(s->pages + 16 * (size_t)i + 8) };
}
