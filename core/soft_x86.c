/* The x86 system layer Unicorn 2.0.1 does not have: it reports exceptions and INT n to a hook
 * and stops, and its SYSCALL only calls a hook. Here: page walks over guest memory, segment
 * descriptors, delivery through the 64-bit IDT with the TSS stack switch, and SYSCALL. */
#include "core/memory.h"
#include "core/soft_priv.h"
#include "core/x86.h"

#include <stdio.h>
#include <string.h>

#define PTE_P 1ULL
#define PTE_W 2ULL
#define PTE_U 4ULL
#define PTE_PS 0x80ULL
#define PTE_NX (1ULL << 63)
#define PTE_ADDR 0x000ffffffffff000ULL

#define PF_P 1u
#define PF_W 2u
#define PF_U 4u
#define PF_I 16u

static int read_entry(struct soft *s, uint64_t gpa, uint64_t *v, int size)
{
	void *p = guest_mem_ptr(s->base.mem, gpa, (uint64_t)size);
	if (!p)
		return -1;
	*v = 0;
	memcpy(v, p, (size_t)size);
	return 0;
}

int soft_translate(struct soft *s, uint64_t la, int acc, bool check, uint64_t *gpa, uint32_t *pferr)
{
	uint64_t cr0 = soft_reg(s, UC_X86_REG_CR0), cr4 = soft_reg(s, UC_X86_REG_CR4);
	uint64_t efer = soft_msr(s, 0xc0000080), cr3 = soft_reg(s, UC_X86_REG_CR3);
	uint32_t errbase = ((acc & ACC_WRITE) ? PF_W : 0) | ((acc & ACC_USER) ? PF_U : 0) |
			   ((acc & ACC_FETCH) && (efer & EFER_NXE) ? PF_I : 0);
	bool w = true, u = true, nx = false;
	uint64_t e, table, page_mask;
	int level, shift[4], nlev, esz;

	if (!(cr0 & CR0_PG)) {
		*gpa = la & 0xffffffffULL;
		if (efer & EFER_LMA)
			*gpa = la;
		return 0;
	}
	if (efer & EFER_LMA) {
		nlev = 4, esz = 8;
		shift[0] = 39, shift[1] = 30, shift[2] = 21, shift[3] = 12;
		table = cr3 & PTE_ADDR;
	} else if (cr4 & CR4_PAE) {
		nlev = 3, esz = 8;
		shift[0] = 30, shift[1] = 21, shift[2] = 12;
		la &= 0xffffffffULL;
		table = cr3 & 0xffffffe0ULL;
	} else {
		nlev = 2, esz = 4;
		shift[0] = 22, shift[1] = 12;
		la &= 0xffffffffULL;
		table = cr3 & 0xfffff000ULL;
	}
	for (level = 0; level < nlev; level++) {
		uint64_t idx_bits = (esz == 8) ? 0x1ff : 0x3ff;
		uint64_t idx = (la >> shift[level]) & idx_bits;
		if (nlev == 3 && level == 0)
			idx = (la >> 30) & 3;
		if (read_entry(s, table + idx * (uint64_t)esz, &e, esz)) {
			*pferr = errbase;
			return -1;
		}
		if (!(e & PTE_P)) {
			*pferr = errbase;
			return -1;
		}
		/* Legacy PAE PDPTEs carry no permission bits. */
		if (!(nlev == 3 && level == 0)) {
			w = w && (e & PTE_W);
			u = u && (e & PTE_U);
			nx = nx || ((efer & EFER_NXE) && esz == 8 && (e & PTE_NX));
		}
		bool large = (e & PTE_PS) && level > 0 && level < nlev - 1 &&
			     (esz == 8 || (cr4 & CR4_PSE));
		if (nlev == 2 && level == 0 && (e & PTE_PS) && (cr4 & CR4_PSE))
			large = true;
		if (large || level == nlev - 1) {
			page_mask = (1ULL << shift[level]) - 1;
			uint64_t base = (esz == 8) ? (e & PTE_ADDR) : (e & 0xfffff000ULL);
			if (large && esz == 4)
				base = (e & 0xffc00000ULL) | ((e & 0x1fe000ULL) << 19);
			*gpa = (base & ~page_mask) | (la & page_mask);
			break;
		}
		table = (esz == 8) ? (e & PTE_ADDR) : (e & 0xfffff000ULL);
	}
	if (check) {
		bool user = acc & ACC_USER;
		bool bad = (user && !u) || ((acc & ACC_WRITE) && !w && (user || (cr0 & CR0_WP))) ||
			   ((acc & ACC_FETCH) && nx);
		if (bad) {
			*pferr = errbase | PF_P;
			return -1;
		}
	}
	return 0;
}

static int copy_linear(struct soft *s, uint64_t la, void *buf, uint64_t len, int acc, bool write)
{
	uint8_t *b = buf;
	while (len) {
		uint64_t gpa, chunk = PAGE_SIZE - (la & (PAGE_SIZE - 1));
		uint32_t pferr;
		if (chunk > len)
			chunk = len;
		if (soft_translate(s, la, acc | (write ? ACC_WRITE : 0), true, &gpa, &pferr))
			return -1;
		uint8_t *p = guest_mem_ptr(s->base.mem, gpa, chunk);
		if (!p)
			return -1;
		if (write)
			memcpy(p, b, chunk);
		else
			memcpy(b, p, chunk);
		la += chunk, b += chunk, len -= chunk;
	}
	return 0;
}

int soft_read_linear(struct soft *s, uint64_t la, void *buf, uint64_t len, int acc)
{
	return copy_linear(s, la, buf, len, acc, false);
}

int soft_write_linear(struct soft *s, uint64_t la, const void *buf, uint64_t len, int acc)
{
	return copy_linear(s, la, (void *)buf, len, acc, true);
}

uint64_t soft_seg_to_desc(const struct kvm_segment *g)
{
	uint32_t lim = g->g ? g->limit >> 12 : g->limit;
	uint32_t base = (uint32_t)g->base;
	return (uint64_t)(lim & 0xffff) | (uint64_t)(base & 0xffffff) << 16 |
	       (uint64_t)(g->type & 0xf) << 40 | (uint64_t)(g->s & 1) << 44 |
	       (uint64_t)(g->dpl & 3) << 45 | (uint64_t)(g->present & 1) << 47 |
	       (uint64_t)((lim >> 16) & 0xf) << 48 | (uint64_t)(g->avl & 1) << 52 |
	       (uint64_t)(g->l & 1) << 53 | (uint64_t)(g->db & 1) << 54 | (uint64_t)(g->g & 1) << 55 |
	       (uint64_t)(base >> 24) << 56;
}

void soft_desc_to_seg(uint64_t d, uint16_t sel, struct kvm_segment *g)
{
	uint32_t lim = (uint32_t)(d & 0xffff) | (uint32_t)((d >> 48) & 0xf) << 16;
	memset(g, 0, sizeof(*g));
	g->selector = sel;
	g->base = ((d >> 16) & 0xffffff) | ((d >> 56) & 0xff) << 24;
	g->g = (d >> 55) & 1;
	g->limit = g->g ? (lim << 12) | 0xfff : lim;
	g->type = (d >> 40) & 0xf;
	g->s = (d >> 44) & 1;
	g->dpl = (d >> 45) & 3;
	g->present = (d >> 47) & 1;
	g->avl = (d >> 52) & 1;
	g->l = (d >> 53) & 1;
	g->db = (d >> 54) & 1;
}

int soft_read_desc(struct soft *s, const struct kvm_sregs *sr, uint16_t sel, uint64_t *desc)
{
	uint64_t base = sr->gdt.base, limit = sr->gdt.limit;
	if (sel & 4) {
		if (sr->ldt.unusable || !sr->ldt.present)
			return -1;
		base = sr->ldt.base, limit = sr->ldt.limit;
	}
	if ((uint64_t)(sel & ~7u) + 7 > limit)
		return -1;
	return soft_read_linear(s, base + (sel & ~7u), desc, 8, 0);
}

int soft_cpl(struct soft *s)
{
	return (int)(soft_reg(s, UC_X86_REG_CS) & 3);
}

static int fail(char *why, int whylen, const char *what, uint8_t vector)
{
	snprintf(why, (size_t)whylen, "%s (vector %u)", what, vector);
	return -1;
}

int soft_deliver(struct soft *s, uint8_t vector, int64_t err, enum soft_event ev, char *why,
		 int whylen)
{
	bool soft_int = ev == EV_SOFT_INT;
	struct kvm_regs r;
	struct kvm_sregs sr;
	uint64_t gate[2], desc, tss_rsp, rsp;
	int cpl;

	soft_get_regs(s, &r);
	soft_get_sregs(s, &sr);
	if (!(sr.efer & EFER_LMA))
		return fail(why, whylen, "interrupt delivery outside 64-bit long mode is not implemented",
			    vector);
	cpl = sr.cs.selector & 3;
	/* An IDT entry that cannot be used is a #GP naming it (error code: index, IDT bit, and
	 * EXT for events not caused by an instruction); delivering that #GP is the caller's
	 * double-fault path if it fails too. */
	int64_t gp_err = (int64_t)vector * 8 + 2 + (soft_int ? 0 : 1);
	if (vector != 13 && (uint64_t)vector * 16 + 15 > sr.idt.limit)
		return soft_deliver(s, 13, gp_err, EV_FAULT, why, whylen);
	if ((uint64_t)vector * 16 + 15 > sr.idt.limit)
		return fail(why, whylen, "vector beyond the IDT limit", vector);
	if (soft_read_linear(s, sr.idt.base + (uint64_t)vector * 16, gate, 16, 0))
		return fail(why, whylen, "IDT entry not readable", vector);
	uint32_t type = (gate[0] >> 40) & 0xf, gdpl = (gate[0] >> 45) & 3;
	if (!((gate[0] >> 47) & 1) || (type != 0xe && type != 0xf))
		return fail(why, whylen, "IDT gate not present or not a 64-bit interrupt/trap gate",
			    vector);
	if (soft_int && (int)gdpl < cpl)
		return soft_deliver(s, 13, gp_err, EV_FAULT, why, whylen);
	uint16_t cs_sel = (uint16_t)(gate[0] >> 16);
	uint64_t target = (gate[0] & 0xffff) | ((gate[0] >> 32) & 0xffff0000ULL) | (gate[1] << 32);
	unsigned ist = (gate[0] >> 32) & 7;
	if (soft_read_desc(s, &sr, cs_sel, &desc))
		return fail(why, whylen, "gate's code segment not readable", vector);
	struct kvm_segment cs;
	soft_desc_to_seg(desc, cs_sel, &cs);
	if (!cs.present || !(cs.type & 8) || !cs.l || cs.dpl > cpl)
		return fail(why, whylen, "gate's code segment is not a present 64-bit code segment at or below the current privilege",
			    vector);
	int ncpl = (cs.type & 4) ? cpl : cs.dpl;	/* conforming code keeps the CPL */

	rsp = r.rsp;
	if (ncpl < cpl || ist) {
		uint64_t off = ist ? 0x24 + 8 * (ist - 1) : 4 + 8 * (uint64_t)ncpl;
		if (off + 8 > sr.tr.limit + 1ULL ||
		    soft_read_linear(s, sr.tr.base + off, &tss_rsp, 8, 0))
			return fail(why, whylen, "TSS stack pointer not readable", vector);
		rsp = tss_rsp;
	}
	rsp &= ~0xfULL;

	uint64_t frame[6];
	int n = 0;
	if (err >= 0)
		frame[n++] = (uint64_t)err;
	frame[n++] = r.rip;
	frame[n++] = sr.cs.selector;
	/* A fault's saved RFLAGS has RF set, so that IRET resumes past instruction breakpoints. */
	frame[n++] = r.rflags | (ev == EV_FAULT ? RFLAGS_RF : 0);
	frame[n++] = r.rsp;
	frame[n++] = sr.ss.selector;
	/* frame[] is in push order from the top: the error code ends lowest. */
	rsp -= 8 * (uint64_t)n;
	if (soft_write_linear(s, rsp, frame, 8 * (uint64_t)n, 0))
		return fail(why, whylen, "interrupt stack not writable", vector);

	r.rsp = rsp;
	r.rip = target;
	r.rflags &= ~(RFLAGS_TF | RFLAGS_NT | RFLAGS_RF | RFLAGS_VM);
	if (type == 0xe)
		r.rflags &= ~RFLAGS_IF;
	cs.selector = (uint16_t)((cs_sel & ~3u) | (unsigned)ncpl);
	sr.cs = cs;
	if (ncpl != cpl) {
		/* A 64-bit privilege change loads a null SS with RPL = new CPL. */
		memset(&sr.ss, 0, sizeof(sr.ss));
		sr.ss.selector = (uint16_t)ncpl;
		sr.ss.dpl = (uint8_t)ncpl;
		sr.ss.unusable = 1;
		sr.ss.db = 1;
		sr.ss.s = 1;
		sr.ss.type = 3;
		sr.ss.present = 1;
		sr.ss.limit = 0xffffffff;
		sr.ss.g = 1;
	}
	return soft_load_state(s, &r, &sr, why, whylen);
}

int soft_do_syscall(struct soft *s, char *why, int whylen)
{
	struct kvm_regs r;
	struct kvm_sregs sr;
	soft_get_regs(s, &r);
	soft_get_sregs(s, &sr);
	if (!(sr.efer & EFER_SCE) || !(sr.efer & EFER_LMA)) {
		/* #UD is a fault: back onto the instruction, which did not retire. */
		soft_set_reg(s, UC_X86_REG_RIP, s->cur_rip);
		s->icount--;
		return soft_deliver(s, 6, -1, EV_FAULT, why, whylen);
	}
	if (!sr.cs.l) {
		snprintf(why, (size_t)whylen, "SYSCALL from compatibility mode is not implemented");
		return -1;
	}
	uint64_t star = soft_msr(s, 0xc0000081), lstar = soft_msr(s, 0xc0000082);
	uint64_t fmask = soft_msr(s, 0xc0000084);
	uint16_t sel = (uint16_t)((star >> 32) & 0xfffc);

	r.rcx = r.rip;
	r.r11 = r.rflags & ~RFLAGS_RF;
	r.rflags &= ~(fmask | RFLAGS_RF);
	r.rflags |= 2;
	r.rip = lstar;
	if (s->syscall_model == SOFT_SYSCALL_PVM) {
		if (soft_set_regs(s, &r) == 0)
			return 0;
		snprintf(why, (size_t)whylen, "SYSCALL: cannot write the registers");
		return -1;
	}
	/* SYSCALL loads fixed flat descriptors, not the GDT's. */
	struct kvm_segment cs = { .base = 0, .limit = 0xffffffff, .selector = sel, .type = 0xb,
				  .present = 1, .dpl = 0, .db = 0, .s = 1, .l = 1, .g = 1 };
	struct kvm_segment ss = { .base = 0, .limit = 0xffffffff, .selector = (uint16_t)(sel + 8),
				  .type = 0x3, .present = 1, .dpl = 0, .db = 1, .s = 1, .l = 0, .g = 1 };
	sr.cs = cs;
	sr.ss = ss;
	return soft_load_state(s, &r, &sr, why, whylen);
}

int soft_do_sysret(struct soft *s, bool rex_w, char *why, int whylen)
{
	struct kvm_regs r;
	struct kvm_sregs sr;
	soft_get_regs(s, &r);
	soft_get_sregs(s, &sr);
	/* The code hook stopped SYSRET before it ran (and counted it): a fault un-counts it. */
	if (!(sr.efer & EFER_SCE)) {
		s->icount--;
		return soft_deliver(s, 6, -1, EV_FAULT, why, whylen);	/* #UD */
	}
	if ((sr.cs.selector & 3) != 0 || !(sr.efer & EFER_LMA)) {
		s->icount--;
		return soft_deliver(s, 13, 0, EV_FAULT, why, whylen);	/* #GP(0) */
	}
	uint16_t base = (uint16_t)(soft_msr(s, 0xc0000081) >> 48);
	struct kvm_segment cs = { .base = 0, .limit = 0xffffffff, .type = 0xb, .present = 1,
				  .dpl = 3, .s = 1, .g = 1 };
	struct kvm_segment ss = { .base = 0, .limit = 0xffffffff, .selector = (uint16_t)((base + 8) | 3),
				  .type = 0x3, .present = 1, .dpl = 3, .db = 1, .s = 1, .g = 1 };
	if (rex_w) {
		cs.selector = (uint16_t)((base + 16) | 3);
		cs.l = 1;
		r.rip = r.rcx;
	} else {
		cs.selector = (uint16_t)(base | 3);
		cs.db = 1;
		r.rip = (uint32_t)r.rcx;
	}
	r.rflags = (r.r11 & 0x3c7fd7ULL) | 2;
	sr.cs = cs;
	sr.ss = ss;
	return soft_load_state(s, &r, &sr, why, whylen);
}

void soft_engine_set_syscall_model(struct engine *e, enum soft_syscall_model m)
{
	to_soft(e)->syscall_model = m;
}
