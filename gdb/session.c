#include "gdb/session.h"

#include "core/pagewalk.h"
#include "gdb/regs.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* The one thread gdb sees: the vCPU. */
#define THREAD_ID 1
/* Monitor output beyond this is cut (with a note): a runaway command cannot eat memory. */
#define MONITOR_OUT_MAX (256 * 1024)
/* Bytes of monitor output per 'O' packet, well inside any gdb's buffer. */
#define MONITOR_CHUNK 1024

/* ---- replies ------------------------------------------------------------------------------ */

static void reply_mem(struct gdb_session *s, const void *p, size_t n)
{
	if (s->reply_len + n > sizeof(s->reply)) {
		s->reply_overflow = true;
		return;
	}
	memcpy(s->reply + s->reply_len, p, n);
	s->reply_len += n;
}

static void reply_str(struct gdb_session *s, const char *str)
{
	reply_mem(s, str, strlen(str));
}

static void __attribute__((format(printf, 2, 3))) reply_printf(struct gdb_session *s, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		s->reply_overflow = true;
	else
		reply_mem(s, tmp, (size_t)n);
}

static void reply_hex(struct gdb_session *s, const uint8_t *p, size_t n)
{
	if (s->reply_len + 2 * n > sizeof(s->reply)) {
		s->reply_overflow = true;
		return;
	}
	gdb_hex_encode(p, n, s->reply + s->reply_len);
	s->reply_len += 2 * n;
}

/* Errors are "Enn" with the errno in decimal digits, as gdbserver does. */
static void reply_err(struct gdb_session *s, int err)
{
	if (err < 0)
		err = -err;
	reply_printf(s, "E%02d", err > 99 ? 99 : err);
}

static void send_raw(struct gdb_session *s, const void *p, size_t n)
{
	if (s->done)
		return;
	if (s->send(s->io, p, n)) {
		s->done = true;
		s->end = GDB_END_CLOSED;
	}
}

static void send_packet(struct gdb_session *s, const char *body, size_t len)
{
	s->frame_len = gdb_frame(body, len, s->frame, sizeof(s->frame));
	send_raw(s, s->frame, s->frame_len);
}

static void flush_reply(struct gdb_session *s)
{
	if (s->reply_overflow) {
		/* Every handler bounds its reply, so this is a bug here, not gdb's: say so. */
		if (s->log)
			fprintf(s->log, "gdb: reply to '%.16s' too long, answered E90\n", s->pkt);
		s->reply_len = (size_t)snprintf(s->reply, sizeof(s->reply), "E90");
	}
	send_packet(s, s->reply, s->reply_len);
}

/* ---- target helpers ----------------------------------------------------------------------- */

static int load_regs(struct gdb_session *s, struct gdb_regfile *rf)
{
	memset(rf, 0, sizeof(*rf));
	int rc = s->ops->get_regs(s->t, &rf->regs, &rf->sregs);
	if (rc == 0 && s->ops->get_fpu)
		rc = s->ops->get_fpu(s->t, &rf->fpu);
	return rc < 0 ? rc : rc ? -EIO : 0;
}

/* Writes back what changed: the FPU only when it did, because a target may have no set_fpu. */
static int store_regs(struct gdb_session *s, const struct gdb_regfile *old, const struct gdb_regfile *rf)
{
	int rc = 0;
	if (memcmp(&old->regs, &rf->regs, sizeof(rf->regs)) || memcmp(&old->sregs, &rf->sregs, sizeof(rf->sregs)))
		rc = s->ops->set_regs ? s->ops->set_regs(s->t, &rf->regs, &rf->sregs) : -EPERM;
	if (rc == 0 && memcmp(&old->fpu, &rf->fpu, sizeof(rf->fpu)))
		rc = s->ops->set_fpu ? s->ops->set_fpu(s->t, &rf->fpu) : -EPERM;
	return rc < 0 ? rc : rc ? -EIO : 0;
}

static void paging_of(const struct kvm_sregs *sr, struct pagewalk_cpu *cpu)
{
	cpu->cr0 = sr->cr0;
	cpu->cr3 = sr->cr3;
	cpu->cr4 = sr->cr4;
	cpu->efer = sr->efer;
}

int gdb_translate(const struct gdb_target_ops *ops, void *t, const struct kvm_sregs *sregs,
		  uint64_t va, uint64_t *gpa)
{
	struct pagewalk_cpu cpu;
	struct pagewalk w;
	paging_of(sregs, &cpu);
	int rc = pagewalk(&cpu, ops->read_phys, t, va, &w);
	if (rc == 0)
		*gpa = w.gpa;
	return rc;
}

/* Guest-virtual memory access: the bytes done before the first unmapped page, or -errno. */
static long vmem(struct gdb_session *s, uint64_t va, void *buf, size_t len, bool write)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	if (s->ops->get_regs(s->t, &regs, &sregs))
		return -EIO;
	struct pagewalk_cpu cpu;
	paging_of(&sregs, &cpu);
	return pagewalk_copy(&cpu, s->ops->read_phys, write ? s->ops->write_phys : NULL, s->t, va,
			     buf, len);
}

/* ---- parsing ------------------------------------------------------------------------------ */

/* Parses "ADDR,LEN" and requires the terminator term next (0 for the end of the packet). */
static int parse_addr_len(const char **p, uint64_t *addr, uint64_t *len, char term)
{
	if (gdb_parse_hex(p, addr) || **p != ',')
		return -1;
	(*p)++;
	if (gdb_parse_hex(p, len) || **p != term)
		return -1;
	if (term)
		(*p)++;
	return 0;
}

/* Thread ids: ours, "0" (any) or "-1" (all) are the one vCPU. */
static bool our_thread(const char *p, const char *end)
{
	if (end - p == 2 && p[0] == '-' && p[1] == '1')
		return true;
	uint64_t id;
	return gdb_parse_hex(&p, &id) == 0 && p == end && (id == 0 || id == THREAD_ID);
}

/* ---- stops and execution ------------------------------------------------------------------ */

static void reply_stop(struct gdb_session *s, const struct gdb_stop *st)
{
	int sig = st->signo ? st->signo : GDB_SIGTRAP;
	switch (st->reason) {
	case GDB_STOP_EXITED:
		reply_printf(s, "W%02x", st->exit_status & 0xff);
		return;
	case GDB_STOP_TERMINATED:
		reply_printf(s, "X%02x", sig & 0xff);
		return;
	default:
		break;
	}
	reply_printf(s, "T%02x", sig & 0xff);
	switch (st->reason) {
	case GDB_STOP_SWBREAK: reply_str(s, "swbreak:;"); break;
	case GDB_STOP_HWBREAK: reply_str(s, "hwbreak:;"); break;
	case GDB_STOP_WATCH: reply_printf(s, "watch:%llx;", (unsigned long long)st->addr); break;
	case GDB_STOP_RWATCH: reply_printf(s, "rwatch:%llx;", (unsigned long long)st->addr); break;
	case GDB_STOP_AWATCH: reply_printf(s, "awatch:%llx;", (unsigned long long)st->addr); break;
	case GDB_STOP_REPLAY_BEGIN: reply_str(s, "replaylog:begin;"); break;
	case GDB_STOP_REPLAY_END: reply_str(s, "replaylog:end;"); break;
	default: break;
	}
	reply_printf(s, "thread:%x;", THREAD_ID);
	/* The registers gdb reads first after every stop come with it: one round trip less. */
	struct gdb_regfile rf;
	if (load_regs(s, &rf) == 0) {
		static const int expedite[] = { GDB_REG_RBP, GDB_REG_RSP, GDB_REG_RIP };
		for (size_t i = 0; i < sizeof(expedite) / sizeof(expedite[0]); i++) {
			uint8_t v[8];
			gdb_reg_get(&rf, expedite[i], v);
			reply_printf(s, "%02x:", expedite[i]);
			reply_hex(s, v, 8);
			reply_str(s, ";");
		}
	}
}

static void resume(struct gdb_session *s, enum gdb_resume how)
{
	if (s->stop.reason == GDB_STOP_EXITED || s->stop.reason == GDB_STOP_TERMINATED) {
		reply_stop(s, &s->stop);	/* nothing left to run */
		return;
	}
	struct gdb_stop st = { .reason = GDB_STOP_SIGNAL, .signo = GDB_SIGTRAP };
	int rc = s->run ? s->run(s->io, how, &st) : s->ops->resume(s->t, how, &st);
	if (rc == -ENOSYS)
		return;		/* empty reply: gdb says the target cannot do that */
	if (rc < 0) {
		reply_err(s, rc);
		return;
	}
	s->stop = st;
	reply_stop(s, &st);
}

/* "c[ADDR]", "s[ADDR]", "Csig[;ADDR]", "Ssig[;ADDR]": resume, optionally from ADDR. Signals
 * cannot be delivered to a VM, so C and S drop theirs. */
static void resume_at(struct gdb_session *s, const char *p, bool has_sig, enum gdb_resume how)
{
	uint64_t v;
	if (has_sig) {
		if (gdb_parse_hex(&p, &v))
			goto bad;
		if (*p == ';' && p[1])
			p++;
		else if (*p)
			goto bad;
	}
	if (*p) {
		struct gdb_regfile rf, old;
		int rc;
		if (gdb_parse_hex(&p, &v) || *p)
			goto bad;
		if ((rc = load_regs(s, &rf))) {
			reply_err(s, rc);
			return;
		}
		old = rf;
		rf.regs.rip = v;
		if ((rc = store_regs(s, &old, &rf))) {
			reply_err(s, rc);
			return;
		}
	}
	resume(s, how);
	return;
bad:
	reply_err(s, EINVAL);
}

static void h_continue(struct gdb_session *s, const char *p)
{
	resume_at(s, p, false, GDB_RESUME_CONTINUE);
}

static void h_step(struct gdb_session *s, const char *p)
{
	resume_at(s, p, false, GDB_RESUME_STEP);
}

static void h_continue_sig(struct gdb_session *s, const char *p)
{
	resume_at(s, p, true, GDB_RESUME_CONTINUE);
}

static void h_step_sig(struct gdb_session *s, const char *p)
{
	resume_at(s, p, true, GDB_RESUME_STEP);
}

static void h_reverse_step(struct gdb_session *s, const char *p)
{
	if (!s->ops->can_reverse || *p)
		return;
	resume(s, GDB_RESUME_REVERSE_STEP);
}

static void h_reverse_continue(struct gdb_session *s, const char *p)
{
	if (!s->ops->can_reverse || *p)
		return;
	resume(s, GDB_RESUME_REVERSE_CONTINUE);
}

static void h_vcont_query(struct gdb_session *s, const char *p)
{
	(void)p;
	/* gdb uses vCont only if c, C, s and S are all there. */
	reply_str(s, "vCont;c;C;s;S");
}

/* "vCont;ACTION[:TID]...": the first action that names our thread (or none) applies. */
static void h_vcont(struct gdb_session *s, const char *p)
{
	while (*p) {
		const char *end = strchr(p, ';');
		if (!end)
			end = p + strlen(p);
		const char *colon = memchr(p, ':', (size_t)(end - p));
		const char *act_end = colon ? colon : end;
		if (!colon || our_thread(colon + 1, end)) {
			char a = *p;
			bool plain = act_end == p + 1;
			bool with_sig = act_end == p + 3 && gdb_hex_digit((uint8_t)p[1]) >= 0 &&
					gdb_hex_digit((uint8_t)p[2]) >= 0;
			if (a == 'c' && plain)
				return resume(s, GDB_RESUME_CONTINUE);
			if (a == 's' && plain)
				return resume(s, GDB_RESUME_STEP);
			if (a == 'C' && with_sig)
				return resume(s, GDB_RESUME_CONTINUE);
			if (a == 'S' && with_sig)
				return resume(s, GDB_RESUME_STEP);
			break;	/* 't', 'r' or garbage: not offered */
		}
		p = *end ? end + 1 : end;
	}
	reply_err(s, EINVAL);
}

/* ---- registers ---------------------------------------------------------------------------- */

static void h_read_regs(struct gdb_session *s, const char *p)
{
	struct gdb_regfile rf;
	int rc;
	if (*p) {
		reply_err(s, EINVAL);
		return;
	}
	if ((rc = load_regs(s, &rf))) {
		reply_err(s, rc);
		return;
	}
	for (int i = 0; i < gdb_reg_count(); i++) {
		uint8_t v[16];
		gdb_reg_get(&rf, i, v);
		reply_hex(s, v, (size_t)gdb_reg_size(i));
	}
}

static void h_write_regs(struct gdb_session *s, const char *p)
{
	struct gdb_regfile rf, old;
	int rc, total = gdb_regs_size();
	if (strlen(p) != 2 * (size_t)total || gdb_hex_decode(p, (size_t)total, s->data)) {
		reply_err(s, EINVAL);
		return;
	}
	if ((rc = load_regs(s, &rf))) {
		reply_err(s, rc);
		return;
	}
	old = rf;
	const uint8_t *v = s->data;
	for (int i = 0; i < gdb_reg_count(); i++) {
		/* Without set_fpu the x87/SSE part is read-only: keep it rather than fail all. */
		if (!gdb_reg_is_fpu(i) || s->ops->set_fpu)
			gdb_reg_set(&rf, i, v);
		v += gdb_reg_size(i);
	}
	rc = store_regs(s, &old, &rf);
	if (rc)
		reply_err(s, rc);
	else
		reply_str(s, "OK");
}

static void h_read_reg(struct gdb_session *s, const char *p)
{
	struct gdb_regfile rf;
	uint64_t n;
	int rc;
	if (gdb_parse_hex(&p, &n) || *p || n >= (uint64_t)gdb_reg_count()) {
		reply_err(s, EINVAL);
		return;
	}
	if ((rc = load_regs(s, &rf))) {
		reply_err(s, rc);
		return;
	}
	uint8_t v[16];
	gdb_reg_get(&rf, (int)n, v);
	reply_hex(s, v, (size_t)gdb_reg_size((int)n));
}

static void h_write_reg(struct gdb_session *s, const char *p)
{
	struct gdb_regfile rf, old;
	uint64_t n;
	int rc;
	if (gdb_parse_hex(&p, &n) || *p++ != '=' || n >= (uint64_t)gdb_reg_count()) {
		reply_err(s, EINVAL);
		return;
	}
	size_t size = (size_t)gdb_reg_size((int)n);
	uint8_t v[16];
	if (strlen(p) != 2 * size || gdb_hex_decode(p, size, v)) {
		reply_err(s, EINVAL);
		return;
	}
	if ((rc = load_regs(s, &rf))) {
		reply_err(s, rc);
		return;
	}
	old = rf;
	gdb_reg_set(&rf, (int)n, v);
	if ((rc = store_regs(s, &old, &rf)))
		reply_err(s, rc);
	else
		reply_str(s, "OK");
}

/* ---- memory ------------------------------------------------------------------------------- */

static void h_read_mem(struct gdb_session *s, const char *p)
{
	uint64_t addr, len;
	if (parse_addr_len(&p, &addr, &len, 0)) {
		reply_err(s, EINVAL);
		return;
	}
	/* gdb never asks for more than PacketSize allows; a hostile client gets a short read. */
	if (len > GDB_PACKET_MAX / 2)
		len = GDB_PACKET_MAX / 2;
	if (len == 0)
		return;		/* empty data: zero bytes read */
	long n = vmem(s, addr, s->data, (size_t)len, false);
	if (n <= 0)
		reply_err(s, EFAULT);
	else
		reply_hex(s, s->data, (size_t)n);
}

static void write_mem(struct gdb_session *s, uint64_t addr, size_t len)
{
	if (len == 0) {
		reply_str(s, "OK");	/* gdb probes X support this way */
		return;
	}
	if (!s->ops->write_phys) {
		reply_err(s, EROFS);
		return;
	}
	long n = vmem(s, addr, s->data, len, true);
	if (n != (long)len)
		reply_err(s, EFAULT);
	else
		reply_str(s, "OK");
}

static void h_write_mem_hex(struct gdb_session *s, const char *p)
{
	uint64_t addr, len;
	if (parse_addr_len(&p, &addr, &len, ':') || len > sizeof(s->data) ||
	    strlen(p) != 2 * len || gdb_hex_decode(p, (size_t)len, s->data)) {
		reply_err(s, EINVAL);
		return;
	}
	write_mem(s, addr, (size_t)len);
}

static void h_write_mem_bin(struct gdb_session *s, const char *p)
{
	uint64_t addr, len;
	if (parse_addr_len(&p, &addr, &len, ':') || len > sizeof(s->data)) {
		reply_err(s, EINVAL);
		return;
	}
	/* Binary data may hold NULs: its extent comes from the packet length, not strlen. */
	size_t avail = s->pkt_len - (size_t)(p - s->pkt);
	long n = gdb_unescape(p, avail, s->data, sizeof(s->data));
	if (n != (long)len) {
		reply_err(s, EINVAL);
		return;
	}
	write_mem(s, addr, (size_t)len);
}

/* ---- breakpoints and watchpoints ---------------------------------------------------------- */

static int find_bp(struct gdb_session *s, const struct gdb_breakpoint *bp)
{
	for (int i = 0; i < s->nbps; i++)
		if (s->bps[i].type == bp->type && s->bps[i].addr == bp->addr && s->bps[i].len == bp->len)
			return i;
	return -1;
}

/* "Ztype,addr,kind[;cond...]" and "z...". Conditions are not offered, so gdb sends none;
 * anything after the kind is ignored. Both directions are idempotent, as the protocol asks. */
static void breakpoint(struct gdb_session *s, const char *p, bool insert)
{
	uint64_t type, addr, kind;
	if (gdb_parse_hex(&p, &type) || *p++ != ',' || gdb_parse_hex(&p, &addr) || *p++ != ',' ||
	    gdb_parse_hex(&p, &kind) || (*p && *p != ';')) {
		reply_err(s, EINVAL);
		return;
	}
	if (type > GDB_WATCH_ACCESS || !s->ops->set_breakpoints)
		return;		/* empty: not supported */
	if (kind == 0 || kind > (1u << 20)) {
		reply_err(s, EINVAL);
		return;
	}
	struct gdb_breakpoint bp = { (enum gdb_bp_type)type, addr, kind };
	int i = find_bp(s, &bp);
	if (insert ? i >= 0 : i < 0) {
		reply_str(s, "OK");
		return;
	}
	if (insert && s->nbps == GDB_MAX_BREAKPOINTS) {
		reply_err(s, ENOSPC);
		return;
	}
	struct gdb_breakpoint saved[GDB_MAX_BREAKPOINTS];
	int saved_n = s->nbps;
	memcpy(saved, s->bps, sizeof(saved));
	if (insert)
		s->bps[s->nbps++] = bp;
	else
		s->bps[i] = s->bps[--s->nbps];
	int rc = s->ops->set_breakpoints(s->t, s->bps, s->nbps);
	if (rc < 0) {
		memcpy(s->bps, saved, sizeof(saved));
		s->nbps = saved_n;
		reply_err(s, rc);
		return;
	}
	reply_str(s, "OK");
}

static void h_insert_bp(struct gdb_session *s, const char *p)
{
	breakpoint(s, p, true);
}

static void h_remove_bp(struct gdb_session *s, const char *p)
{
	breakpoint(s, p, false);
}

/* ---- queries ------------------------------------------------------------------------------ */

static void h_supported(struct gdb_session *s, const char *p)
{
	(void)p;
	reply_printf(s, "PacketSize=%x;qXfer:features:read+;swbreak+;hwbreak+;QStartNoAckMode+",
		     GDB_PACKET_MAX);
	if (s->ops->can_reverse)
		reply_str(s, ";ReverseStep+;ReverseContinue+");
}

static void h_noack(struct gdb_session *s, const char *p)
{
	if (*p) {
		reply_err(s, EINVAL);
		return;
	}
	/* The OK itself is still acknowledged; everything after it is not. */
	reply_str(s, "OK");
	flush_reply(s);
	s->no_reply = true;
	s->noack = true;
}

/* "qXfer:features:read:ANNEX:OFFSET,LENGTH" */
static void h_xfer_features(struct gdb_session *s, const char *p)
{
	static const char annex[] = "target.xml:";
	uint64_t off, len;
	if (strncmp(p, annex, sizeof(annex) - 1)) {
		reply_str(s, "E00");
		return;
	}
	p += sizeof(annex) - 1;
	if (parse_addr_len(&p, &off, &len, 0)) {
		reply_str(s, "E00");
		return;
	}
	if (off >= s->xml_len) {
		reply_str(s, "l");
		return;
	}
	size_t want = len < GDB_PACKET_MAX - 1 ? (size_t)len : GDB_PACKET_MAX - 1, used;
	size_t avail = s->xml_len - (size_t)off;
	bool last = want >= avail;
	reply_str(s, last ? "l" : "m");
	size_t n = gdb_escape((const uint8_t *)s->xml + off, want < avail ? want : avail,
			      s->reply + s->reply_len, GDB_PACKET_MAX - s->reply_len, &used);
	s->reply_len += n;
	if (last && used < avail)
		s->reply[0] = 'm';	/* escaping made it longer than fits: gdb asks for the rest */
}

static void h_attached(struct gdb_session *s, const char *p)
{
	(void)p;
	/* Attached to a machine that exists without gdb: quitting gdb detaches, never kills. */
	reply_str(s, "1");
}

static void h_current_thread(struct gdb_session *s, const char *p)
{
	(void)p;
	reply_printf(s, "QC%x", THREAD_ID);
}

static void h_first_thread(struct gdb_session *s, const char *p)
{
	(void)p;
	reply_printf(s, "m%x", THREAD_ID);
}

static void h_next_thread(struct gdb_session *s, const char *p)
{
	(void)p;
	reply_str(s, "l");
}

static void h_thread_info(struct gdb_session *s, const char *p)
{
	static const char name[] = "vCPU 0";
	if (!our_thread(p, p + strlen(p))) {
		reply_err(s, ESRCH);
		return;
	}
	reply_hex(s, (const uint8_t *)name, sizeof(name) - 1);
}

static void h_set_thread(struct gdb_session *s, const char *p)
{
	if ((*p != 'g' && *p != 'c') || !our_thread(p + 1, p + strlen(p)))
		reply_err(s, ESRCH);
	else
		reply_str(s, "OK");
}

static void h_thread_alive(struct gdb_session *s, const char *p)
{
	if (our_thread(p, p + strlen(p)))
		reply_str(s, "OK");
	else
		reply_err(s, ESRCH);
}

static void h_why(struct gdb_session *s, const char *p)
{
	(void)p;
	reply_stop(s, &s->stop);
}

/* ---- monitor commands --------------------------------------------------------------------- */

struct gdb_out {
	char *buf;
	size_t len, cap;
	bool truncated;
};

void gdb_out_printf(struct gdb_out *out, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n <= 0 || out->truncated)
		return;
	if (out->len + (size_t)n + 1 > MONITOR_OUT_MAX) {
		out->truncated = true;
		return;
	}
	if (out->len + (size_t)n + 1 > out->cap) {
		size_t cap = out->cap ? out->cap : 1024;
		while (cap < out->len + (size_t)n + 1)
			cap *= 2;
		char *nb = realloc(out->buf, cap);
		if (!nb) {
			out->truncated = true;
			return;
		}
		out->buf = nb;
		out->cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(out->buf + out->len, out->cap - out->len, fmt, ap);
	va_end(ap);
	out->len += (size_t)n;
}

static void send_console(struct gdb_session *s, const char *text, size_t len)
{
	char pkt[1 + 2 * MONITOR_CHUNK];
	for (size_t off = 0; off < len && !s->done; off += MONITOR_CHUNK) {
		size_t n = len - off < MONITOR_CHUNK ? len - off : MONITOR_CHUNK;
		pkt[0] = 'O';
		gdb_hex_encode((const uint8_t *)text + off, n, pkt + 1);
		send_packet(s, pkt, 1 + 2 * n);
	}
}

static void h_rcmd(struct gdb_session *s, const char *p)
{
	size_t hexlen = strlen(p);
	if (!s->ops->monitor)
		return;
	if (hexlen % 2 || hexlen / 2 >= sizeof(s->data) || gdb_hex_decode(p, hexlen / 2, s->data)) {
		reply_err(s, EINVAL);
		return;
	}
	char *cmd = (char *)s->data;
	cmd[hexlen / 2] = 0;
	if (strlen(cmd) != hexlen / 2) {
		reply_err(s, EINVAL);	/* a NUL inside the command */
		return;
	}
	struct gdb_out out = { 0 };
	int rc = s->ops->monitor(s->t, cmd, &out);
	send_console(s, out.buf, out.len);
	if (out.truncated) {
		static const char note[] = "[output truncated]\n";
		send_console(s, note, sizeof(note) - 1);
	}
	free(out.buf);
	if (rc < 0)
		reply_err(s, rc);
	else
		reply_str(s, "OK");
}

/* ---- session end -------------------------------------------------------------------------- */

static void h_detach(struct gdb_session *s, const char *p)
{
	(void)p;
	reply_str(s, "OK");
	flush_reply(s);
	s->no_reply = true;
	s->done = true;
	s->end = GDB_END_DETACH;
}

static void h_kill(struct gdb_session *s, const char *p)
{
	(void)p;
	s->no_reply = true;	/* 'k' has no reply */
	s->done = true;
	s->end = GDB_END_KILL;
}

static void h_vkill(struct gdb_session *s, const char *p)
{
	(void)p;
	reply_str(s, "OK");
	flush_reply(s);
	h_kill(s, p);
}

/* ---- dispatch ----------------------------------------------------------------------------- */

enum match { PREFIX, EXACT };

static const struct command {
	const char *name;
	enum match match;
	void (*fn)(struct gdb_session *s, const char *args);
} commands[] = {
	{ "qSupported", PREFIX, h_supported },
	{ "QStartNoAckMode", PREFIX, h_noack },
	{ "qXfer:features:read:", PREFIX, h_xfer_features },
	{ "qAttached", PREFIX, h_attached },
	{ "qC", EXACT, h_current_thread },
	{ "qfThreadInfo", EXACT, h_first_thread },
	{ "qsThreadInfo", EXACT, h_next_thread },
	{ "qThreadExtraInfo,", PREFIX, h_thread_info },
	{ "qRcmd,", PREFIX, h_rcmd },
	{ "vCont?", EXACT, h_vcont_query },
	{ "vCont;", PREFIX, h_vcont },
	{ "vKill", PREFIX, h_vkill },
	{ "bs", PREFIX, h_reverse_step },
	{ "bc", PREFIX, h_reverse_continue },
	/* One-letter packets last: the names above start with letters none of these use. */
	{ "?", EXACT, h_why },
	{ "g", PREFIX, h_read_regs },
	{ "G", PREFIX, h_write_regs },
	{ "p", PREFIX, h_read_reg },
	{ "P", PREFIX, h_write_reg },
	{ "m", PREFIX, h_read_mem },
	{ "M", PREFIX, h_write_mem_hex },
	{ "X", PREFIX, h_write_mem_bin },
	{ "Z", PREFIX, h_insert_bp },
	{ "z", PREFIX, h_remove_bp },
	{ "c", PREFIX, h_continue },
	{ "s", PREFIX, h_step },
	{ "C", PREFIX, h_continue_sig },
	{ "S", PREFIX, h_step_sig },
	{ "H", PREFIX, h_set_thread },
	{ "T", PREFIX, h_thread_alive },
	{ "D", PREFIX, h_detach },
	{ "k", PREFIX, h_kill },
};

static void dispatch(struct gdb_session *s)
{
	s->reply_len = 0;
	s->reply_overflow = false;
	s->no_reply = false;
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		const struct command *c = &commands[i];
		size_t n = strlen(c->name);
		if (strncmp(s->pkt, c->name, n) || (c->match == EXACT && s->pkt_len != n))
			continue;
		c->fn(s, s->pkt + n);
		break;
	}
	/* An unknown packet gets the empty reply, which tells gdb it is not supported. */
	if (!s->no_reply)
		flush_reply(s);
}

static void on_packet(struct gdb_session *s)
{
	if (!s->noack)
		send_raw(s, "+", 1);
	long n = gdb_rle_expand(s->rx.buf, s->rx.len, s->pkt, GDB_PACKET_MAX);
	if (n < 0) {
		if (s->log)
			fprintf(s->log, "gdb: malformed run-length encoding in a packet\n");
		s->pkt[0] = 0;
		s->pkt_len = 0;
		s->reply_len = 0;
		s->reply_overflow = false;
		reply_err(s, EINVAL);
		flush_reply(s);
		return;
	}
	s->pkt_len = (size_t)n;
	s->pkt[n] = 0;
	dispatch(s);
}

void gdb_session_input(struct gdb_session *s, const void *buf, size_t len)
{
	const uint8_t *b = buf;
	for (size_t i = 0; i < len && !s->done; i++) {
		switch (gdb_rx_byte(&s->rx, b[i])) {
		case GDB_RX_NONE:
		case GDB_RX_ACK:
		case GDB_RX_INTERRUPT:	/* nothing runs: nothing to interrupt */
			break;
		case GDB_RX_NACK:
			if (!s->noack && s->frame_len)
				send_raw(s, s->frame, s->frame_len);
			break;
		case GDB_RX_BAD_CHECKSUM:
			if (s->log)
				fprintf(s->log, "gdb: packet with a bad checksum dropped\n");
			if (!s->noack)
				send_raw(s, "-", 1);
			break;
		case GDB_RX_OVERSIZE:
			if (s->log)
				fprintf(s->log, "gdb: packet longer than %d bytes refused\n", GDB_PACKET_MAX);
			if (!s->noack)
				send_raw(s, "+", 1);
			s->reply_len = 0;
			s->reply_overflow = false;
			reply_err(s, EMSGSIZE);
			flush_reply(s);
			break;
		case GDB_RX_PACKET:
			on_packet(s);
			break;
		}
	}
}

void gdb_session_init(struct gdb_session *s, const struct gdb_target_ops *ops, void *t,
		      int (*send)(void *io, const void *buf, size_t len), void *io, FILE *log)
{
	memset(s, 0, sizeof(*s));
	s->ops = ops;
	s->t = t;
	s->send = send;
	s->io = io;
	s->log = log;
	gdb_rx_init(&s->rx);
	s->stop.reason = GDB_STOP_SIGNAL;
	s->stop.signo = GDB_SIGTRAP;
	if (ops->initial_stop && ops->initial_stop(t, &s->stop)) {
		s->stop.reason = GDB_STOP_SIGNAL;
		s->stop.signo = GDB_SIGTRAP;
	}
	s->xml_len = gdb_target_xml(s->xml, sizeof(s->xml));
}

void gdb_session_finish(struct gdb_session *s)
{
	if (s->nbps && s->ops->set_breakpoints)
		s->ops->set_breakpoints(s->t, s->bps, 0);
	s->nbps = 0;
	if (s->ops->detach)
		s->ops->detach(s->t, s->end == GDB_END_KILL);
}
