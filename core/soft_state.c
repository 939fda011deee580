/* Architectural state in and out of Unicorn, in KVM's structures.
 *
 * Unicorn in 64-bit mode writes only the selector of a segment register, and writes control
 * registers through cpu_x86_update_crN with the value cut to 32 bits, so neither the hidden
 * segment state (base, limit, attributes), nor the CPL, nor the CPU mode can be set through its
 * register API. The
 * loader therefore lets the CPU set them itself: it resets Unicorn to its known initial state
 * (CPL0, 64-bit, paging off), builds a scratch GDT holding the wanted descriptors, and runs a
 * few instructions (mov crN, segment loads, iret) that load them. See docs/soft-engine.md. */
#include "core/memory.h"
#include "core/soft_priv.h"
#include "core/x86.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define MSR_TSC 0x10u
#define MSR_EFER 0xc0000080u
#define MSR_FS_BASE 0xc0000100u
#define MSR_GS_BASE 0xc0000101u

/* Scratch layout: code, the frame iret pops, the GDT, then identity page tables. */
#define TR_CODE 0x000
#define TR_STOP 0x100
#define TR_FRAME 0x200
#define TR_GDT 0x800
#define TR_PML4 0x1000
#define TR_PDPT 0x2000
#define TR_PD 0x3000
#define TR_SIZE 0x4000

const int soft_kvm_regs[18] = {
	UC_X86_REG_RAX, UC_X86_REG_RBX, UC_X86_REG_RCX, UC_X86_REG_RDX, UC_X86_REG_RSI,
	UC_X86_REG_RDI, UC_X86_REG_RSP, UC_X86_REG_RBP, UC_X86_REG_R8,	UC_X86_REG_R9,
	UC_X86_REG_R10, UC_X86_REG_R11, UC_X86_REG_R12, UC_X86_REG_R13, UC_X86_REG_R14,
	UC_X86_REG_R15, UC_X86_REG_RIP, UC_X86_REG_RFLAGS,
};
static const int seg_ids[SOFT_NSEGS] = {
	UC_X86_REG_CS, UC_X86_REG_SS, UC_X86_REG_DS, UC_X86_REG_ES, UC_X86_REG_FS, UC_X86_REG_GS,
};
/* MSRs the loader's reset would lose; FS/GS base travel with the segments. */
static const uint32_t kept_msrs[] = {
	0xc0000081, 0xc0000082, 0xc0000083, 0xc0000084, 0xc0000102, 0xc0000103,
	0x174,	    0x175,	0x176,	    0x277,
};
#define NKEPT (sizeof(kept_msrs) / sizeof(kept_msrs[0]))

uint64_t soft_reg(struct soft *s, int id)
{
	uint64_t v = 0;
	uc_reg_read(s->uc, id, &v);
	return v;
}

void soft_set_reg(struct soft *s, int id, uint64_t v)
{
	uc_reg_write(s->uc, id, &v);
}

static uint64_t raw_msr(struct soft *s, uint32_t index)
{
	uc_x86_msr m = { .rid = index };
	uc_reg_read(s->uc, UC_X86_REG_MSR, &m);
	return m.value;
}

static void raw_set_msr(struct soft *s, uint32_t index, uint64_t v)
{
	uc_x86_msr m = { .rid = index, .value = v };
	uc_reg_write(s->uc, UC_X86_REG_MSR, &m);
}

uint64_t soft_tsc(struct soft *s)
{
	return s->icount * SOFT_TSC_PER_INSN + (uint64_t)s->tsc_offset;
}

uint64_t soft_msr(struct soft *s, uint32_t index)
{
	switch (index) {
	case MSR_TSC:
		return soft_tsc(s);
	case MSR_FS_BASE:
		return soft_reg(s, UC_X86_REG_FS_BASE);
	case MSR_GS_BASE:
		return soft_reg(s, UC_X86_REG_GS_BASE);
	default:
		return raw_msr(s, index);
	}
}

int soft_get_regs(struct soft *s, struct kvm_regs *r)
{
	uint64_t v[18];
	void *ptrs[18];
	for (int i = 0; i < 18; i++)
		ptrs[i] = &v[i];
	if (uc_reg_read_batch(s->uc, (int *)soft_kvm_regs, ptrs, 18))
		return -EIO;
	r->rax = v[0], r->rbx = v[1], r->rcx = v[2], r->rdx = v[3];
	r->rsi = v[4], r->rdi = v[5], r->rsp = v[6], r->rbp = v[7];
	r->r8 = v[8], r->r9 = v[9], r->r10 = v[10], r->r11 = v[11];
	r->r12 = v[12], r->r13 = v[13], r->r14 = v[14], r->r15 = v[15];
	r->rip = v[16], r->rflags = v[17];
	return 0;
}

int soft_set_regs(struct soft *s, const struct kvm_regs *r)
{
	uint64_t v[18] = { r->rax, r->rbx, r->rcx, r->rdx, r->rsi, r->rdi, r->rsp, r->rbp, r->r8,
			   r->r9,  r->r10, r->r11, r->r12, r->r13, r->r14, r->r15, r->rip,
			   r->rflags | 2 };
	void *ptrs[18];
	for (int i = 0; i < 18; i++)
		ptrs[i] = &v[i];
	if (uc_reg_write_batch(s->uc, (int *)soft_kvm_regs, ptrs, 18))
		return -EIO;
	s->code_stale = true;
	return 0;
}

static void mmr_to_seg(const uc_x86_mmr *m, struct kvm_segment *g)
{
	memset(g, 0, sizeof(*g));
	g->selector = m->selector;
	g->base = m->base;
	g->limit = m->limit;
	g->type = (m->flags >> 8) & 0xf;
	g->s = (m->flags >> 12) & 1;
	g->dpl = (m->flags >> 13) & 3;
	g->present = (m->flags >> 15) & 1;
	g->avl = (m->flags >> 20) & 1;
	g->l = (m->flags >> 21) & 1;
	g->db = (m->flags >> 22) & 1;
	g->g = (m->flags >> 23) & 1;
	g->unusable = !g->present;
}

static uc_x86_mmr seg_to_mmr(const struct kvm_segment *g)
{
	uc_x86_mmr m = { .selector = g->selector, .base = g->base, .limit = g->limit };
	m.flags = (uint32_t)(soft_seg_to_desc(g) >> 32) & 0x00f0ff00u;
	if (g->unusable)
		m.flags &= ~(1u << 15);
	return m;
}

int soft_get_sregs(struct soft *s, struct kvm_sregs *sr)
{
	uc_x86_mmr gdt, idt, ldt, tr;
	memset(sr, 0, sizeof(*sr));
	uc_reg_read(s->uc, UC_X86_REG_GDTR, &gdt);
	uc_reg_read(s->uc, UC_X86_REG_IDTR, &idt);
	uc_reg_read(s->uc, UC_X86_REG_LDTR, &ldt);
	uc_reg_read(s->uc, UC_X86_REG_TR, &tr);
	sr->gdt.base = gdt.base, sr->gdt.limit = (uint16_t)gdt.limit;
	sr->idt.base = idt.base, sr->idt.limit = (uint16_t)idt.limit;
	mmr_to_seg(&ldt, &sr->ldt);
	mmr_to_seg(&tr, &sr->tr);
	sr->cr0 = soft_reg(s, UC_X86_REG_CR0);
	sr->cr2 = soft_reg(s, UC_X86_REG_CR2);
	sr->cr3 = soft_reg(s, UC_X86_REG_CR3);
	sr->cr4 = soft_reg(s, UC_X86_REG_CR4);
	sr->cr8 = soft_reg(s, UC_X86_REG_CR8);
	sr->efer = soft_msr(s, MSR_EFER);
	sr->apic_base = 0xfee00000ULL | (1ULL << 8);

	/* Unicorn does not expose the hidden parts: they are re-read from the descriptor tables,
	 * where the guest loaded them from, or taken from what the loader last put there. */
	struct kvm_segment *segs[SOFT_NSEGS] = { &sr->cs, &sr->ss, &sr->ds, &sr->es, &sr->fs, &sr->gs };
	uint16_t cpl = (uint16_t)(soft_reg(s, UC_X86_REG_CS) & 3);
	for (int i = 0; i < SOFT_NSEGS; i++) {
		uint16_t sel = (uint16_t)soft_reg(s, seg_ids[i]);
		uint64_t desc;
		struct kvm_segment *g = segs[i];
		if ((sel & ~3u) == 0 && sel == s->seg_shadow[i].selector) {
			*g = s->seg_shadow[i];
		} else if ((sel & ~3u) == 0) {
			memset(g, 0, sizeof(*g));
			g->selector = sel;
			g->unusable = 1;
			if (i == 1)
				g->dpl = (uint8_t)cpl;
		} else if (soft_read_desc(s, sr, sel, &desc) == 0 && ((desc >> 47) & 1)) {
			soft_desc_to_seg(desc, sel, g);
		} else {
			/* No loadable descriptor: the segment was set from outside (the PVH entry
			 * state has CS and DS with no GDT behind them). */
			*g = s->seg_shadow[i];
			g->selector = sel;
		}
	}
	sr->fs.base = soft_reg(s, UC_X86_REG_FS_BASE);
	sr->gs.base = soft_reg(s, UC_X86_REG_GS_BASE);
	if (sr->efer & EFER_LMA) {
		sr->cs.base = sr->ss.base = sr->ds.base = sr->es.base = 0;
	}
	return 0;
}

int soft_get_fpu(struct soft *s, struct kvm_fpu *f)
{
	memset(f, 0, sizeof(*f));
	f->fcw = (uint16_t)soft_reg(s, UC_X86_REG_FPCW);
	f->fsw = (uint16_t)soft_reg(s, UC_X86_REG_FPSW);
	uint16_t tag = (uint16_t)soft_reg(s, UC_X86_REG_FPTAG);
	for (int i = 0; i < 8; i++)
		if (((tag >> (2 * i)) & 3) != 3)
			f->ftwx |= (uint8_t)(1u << i);
	f->last_opcode = (uint16_t)soft_reg(s, UC_X86_REG_FOP);
	f->last_ip = soft_reg(s, UC_X86_REG_FIP);
	f->last_dp = soft_reg(s, UC_X86_REG_FDP);
	for (int i = 0; i < 8; i++) {
		uint8_t st[16] = { 0 };
		uc_reg_read(s->uc, UC_X86_REG_ST0 + i, st);
		memcpy(f->fpr[i], st, 10);
	}
	for (int i = 0; i < 16; i++) {
		int id = i < 8 ? UC_X86_REG_XMM0 + i : UC_X86_REG_XMM8 + (i - 8);
		uc_reg_read(s->uc, id, f->xmm[i]);
	}
	f->mxcsr = (uint32_t)soft_reg(s, UC_X86_REG_MXCSR);
	return 0;
}

int soft_set_fpu(struct soft *s, const struct kvm_fpu *f)
{
	soft_set_reg(s, UC_X86_REG_FPCW, f->fcw);
	soft_set_reg(s, UC_X86_REG_FPSW, f->fsw);
	/* FXSAVE's abridged tag: 1 = valid. The full tag word's 3 = empty; valid is stored as 0
	 * (QEMU keeps only empty / not empty). */
	uint16_t tag = 0;
	for (int i = 0; i < 8; i++)
		if (!(f->ftwx & (1u << i)))
			tag |= (uint16_t)(3u << (2 * i));
	soft_set_reg(s, UC_X86_REG_FPTAG, tag);
	soft_set_reg(s, UC_X86_REG_FOP, f->last_opcode);
	soft_set_reg(s, UC_X86_REG_FIP, f->last_ip);
	soft_set_reg(s, UC_X86_REG_FDP, f->last_dp);
	for (int i = 0; i < 8; i++) {
		uint8_t st[16] = { 0 };
		memcpy(st, f->fpr[i], 10);
		uc_reg_write(s->uc, UC_X86_REG_ST0 + i, st);
	}
	for (int i = 0; i < 16; i++) {
		int id = i < 8 ? UC_X86_REG_XMM0 + i : UC_X86_REG_XMM8 + (i - 8);
		uc_reg_write(s->uc, id, f->xmm[i]);
	}
	soft_set_reg(s, UC_X86_REG_MXCSR, f->mxcsr);
	return 0;
}

int soft_get_msrs(struct soft *s, struct kvm_msrs *m)
{
	for (uint32_t i = 0; i < m->nmsrs; i++)
		m->entries[i].data = soft_msr(s, m->entries[i].index);
	return 0;
}

int soft_set_msrs(struct soft *s, const struct kvm_msrs *m)
{
	for (uint32_t i = 0; i < m->nmsrs; i++) {
		uint32_t idx = m->entries[i].index;
		uint64_t v = m->entries[i].data;
		if (idx == MSR_TSC)
			s->tsc_offset = (int64_t)(v - s->icount * SOFT_TSC_PER_INSN);
		else if (idx == MSR_FS_BASE)
			soft_set_reg(s, UC_X86_REG_FS_BASE, v);
		else if (idx == MSR_GS_BASE)
			soft_set_reg(s, UC_X86_REG_GS_BASE, v);
		else
			raw_set_msr(s, idx, v);
	}
	return 0;
}

/* A tiny emitter for the loader's code. */
struct emit {
	uint8_t *p;
	int n;
};

static void put(struct emit *e, const uint8_t *b, int len)
{
	memcpy(e->p + e->n, b, (size_t)len);
	e->n += len;
}

static int fail(char *why, int whylen, const char *fmt, uint64_t a)
{
	snprintf(why, (size_t)whylen, fmt, (unsigned long long)a);
	return -EINVAL;
}

static uint16_t scratch_sel(int i, const struct kvm_segment *g, int rpl)
{
	if (g->unusable || (g->selector & ~3u) == 0)
		return (uint16_t)rpl;
	return (uint16_t)(((i + 1) << 3) | rpl);
}

int soft_load_state(struct soft *s, const struct kvm_regs *r, const struct kvm_sregs *sr,
		    char *why, int whylen)
{
	const struct kvm_segment *segs[SOFT_NSEGS] = { &sr->cs, &sr->ss, &sr->ds,
						       &sr->es, &sr->fs, &sr->gs };
	bool lma = sr->efer & EFER_LMA;
	int cpl = sr->ss.dpl;
	uint64_t dr[8];
	struct kvm_fpu fpu;
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e[NKEPT];
	} msrs;

	if (!(sr->cr0 & CR0_PE))
		return fail(why, whylen, "real mode (CR0 %#llx) is not supported by the soft engine",
			    sr->cr0);
	if (lma && !(sr->cr0 & CR0_PG))
		return fail(why, whylen, "EFER.LMA without CR0.PG (CR0 %#llx)", sr->cr0);
	if (sr->cs.unusable || !sr->cs.present)
		return fail(why, whylen, "CS (selector %#llx) is not usable", sr->cs.selector);
	if (!lma && (sr->cs.base + TR_STOP + s->scratch_gpa) >> 32 != 0 && sr->cs.base > s->scratch_gpa)
		return fail(why, whylen, "CS base %#llx out of reach of the loader", sr->cs.base);

	/* What resetting Unicorn would lose and the caller did not give. */
	soft_get_fpu(s, &fpu);
	memset(&msrs, 0, sizeof(msrs));
	msrs.hdr.nmsrs = NKEPT;
	for (unsigned i = 0; i < NKEPT; i++)
		msrs.e[i].index = kept_msrs[i];
	soft_get_msrs(s, &msrs.hdr);
	for (int i = 0; i < 8; i++)
		dr[i] = soft_reg(s, UC_X86_REG_DR0 + i);

	uc_context_restore(s->uc, s->reset_ctx);
	/* The TLB still maps the guest's virtual pages; the loader's code runs at a physical
	 * address with paging off. */
	uc_ctl_flush_tlb(s->uc);

	/* Scratch GDT: entry i+1 holds segment i's descriptor. */
	uint8_t *sc = s->scratch;
	memset(sc, 0, TR_SIZE);
	uint64_t *gdt = (uint64_t *)(sc + TR_GDT);
	for (int i = 0; i < SOFT_NSEGS; i++) {
		struct kvm_segment g = *segs[i];
		if (lma && i < 4)
			g.base = 0;	/* ignored in 64-bit mode; a descriptor cannot hold more anyway */
		g.type |= 1;		/* accessed, so the load does not write the table */
		gdt[i + 1] = soft_seg_to_desc(&g);
	}
	/* Identity map of the scratch's 2 MiB page, for the one instruction that runs with paging
	 * on (leaving long mode needs CR0.PG set before it clears it). */
	uint64_t base2m = s->scratch_gpa & ~0x1fffffULL;
	*(uint64_t *)(sc + TR_PML4 + ((s->scratch_gpa >> 39) & 511) * 8) = (s->scratch_gpa + TR_PDPT) | 3;
	*(uint64_t *)(sc + TR_PDPT + ((s->scratch_gpa >> 30) & 511) * 8) = (s->scratch_gpa + TR_PD) | 3;
	*(uint64_t *)(sc + TR_PD + ((s->scratch_gpa >> 21) & 511) * 8) = base2m | 0x83;

	uint64_t stop_lin = s->scratch_gpa + TR_STOP;
	sc[TR_STOP] = 0xf4;	/* hlt: Unicorn returns from uc_emu_start on it */
	struct emit e = { sc + TR_CODE, 0 };
	static const uint8_t mov_cr0_rdi[] = { 0x0f, 0x22, 0xc7 }, mov_cr4_rbp[] = { 0x0f, 0x22, 0xe5 };
	static const uint8_t mov_ds[] = { 0x8e, 0xd8 }, mov_es[] = { 0x8e, 0xc3 },
			     mov_fs[] = { 0x8e, 0xe1 }, mov_gs[] = { 0x8e, 0xea }, mov_ss[] = { 0x8e, 0xd6 };
	static const uint8_t iretq[] = { 0x48, 0xcf }, iretd[] = { 0xcf };
	put(&e, mov_cr0_rdi, 3);
	put(&e, mov_cr4_rbp, 3);
	put(&e, mov_ds, 2);
	put(&e, mov_es, 2);
	put(&e, mov_fs, 2);
	put(&e, mov_gs, 2);

	uint16_t cs_sel = scratch_sel(0, &sr->cs, cpl), ss_sel = scratch_sel(1, &sr->ss, cpl);
	uint64_t rsp;
	if (lma) {
		/* 64-bit iretq always pops SS:RSP, and sets CPL from CS.RPL. */
		uint64_t *f = (uint64_t *)(sc + TR_FRAME);
		f[0] = stop_lin, f[1] = cs_sel, f[2] = 2, f[3] = 0, f[4] = ss_sel;
		put(&e, iretq, 2);
		rsp = s->scratch_gpa + TR_FRAME;
		soft_set_reg(s, UC_X86_REG_CR0, CR0_PE | CR0_ET);
	} else {
		uint32_t *f = (uint32_t *)(sc + TR_FRAME);
		f[0] = (uint32_t)(stop_lin - sr->cs.base), f[1] = cs_sel, f[2] = 2;
		rsp = s->scratch_gpa + TR_FRAME;
		if (cpl == 0) {
			put(&e, mov_ss, 2);
			rsp -= sr->ss.base;
		} else {
			f[3] = 0, f[4] = ss_sel;
		}
		put(&e, iretd, 1);
		/* Leave Unicorn's initial long mode the architectural way: mov cr0 clearing PG. */
		soft_set_reg(s, UC_X86_REG_CR4, CR4_PAE);
		soft_set_reg(s, UC_X86_REG_CR3, s->scratch_gpa + TR_PML4);
		soft_set_reg(s, UC_X86_REG_CR0, CR0_PE | CR0_ET | CR0_PG);
	}
	raw_set_msr(s, MSR_EFER, sr->efer);
	/* mov cr4 flushes Unicorn's TLB only when a paging bit changes: make PGE change. */
	if (lma)
		soft_set_reg(s, UC_X86_REG_CR4, sr->cr4 ^ CR4_PGE);
	uc_x86_mmr gdtr = { .base = s->scratch_gpa + TR_GDT, .limit = 8 * (SOFT_NSEGS + 1) - 1 };
	uc_reg_write(s->uc, UC_X86_REG_GDTR, &gdtr);
	uint64_t sels[4];
	for (int i = 2; i < SOFT_NSEGS; i++)
		sels[i - 2] = scratch_sel(i, segs[i], 0);
	soft_set_reg(s, UC_X86_REG_RAX, sels[0]);
	soft_set_reg(s, UC_X86_REG_RBX, sels[1]);
	soft_set_reg(s, UC_X86_REG_RCX, sels[2]);
	soft_set_reg(s, UC_X86_REG_RDX, sels[3]);
	soft_set_reg(s, UC_X86_REG_RSI, ss_sel);
	soft_set_reg(s, UC_X86_REG_RDI, (sr->cr0 & ~CR0_PG) | CR0_PE);
	soft_set_reg(s, UC_X86_REG_RBP, sr->cr4);
	soft_set_reg(s, UC_X86_REG_RSP, rsp);

	if (uc_mem_map_ptr(s->uc, s->scratch_gpa, TR_SIZE, UC_PROT_ALL, s->scratch))
		return fail(why, whylen, "cannot map the loader's scratch pages at %#llx", s->scratch_gpa);
	/* Unicorn caches translations by address: drop the previous loader's code. */
	uc_ctl_remove_cache(s->uc, s->scratch_gpa, s->scratch_gpa + TR_SIZE);
	s->in_tramp = true;
	s->tramp_vector = -1;
	/* The code hook stops before the instruction at stop_lin (a hlt, in case the address
	 * does not match: at CPL3 it faults, which reports the failure). */
	s->tramp_stop = stop_lin;
	uc_err uerr = uc_emu_start(s->uc, s->scratch_gpa + TR_CODE, 0, 0, 0);
	s->in_tramp = false;
	uint64_t rip = soft_reg(s, UC_X86_REG_RIP);
	uc_mem_unmap(s->uc, s->scratch_gpa, TR_SIZE);
	uint64_t stop_ip = stop_lin - (lma ? 0 : sr->cs.base);
	if (uerr != UC_ERR_OK || s->tramp_vector >= 0 || (rip != stop_ip && rip != stop_ip + 1)) {
		snprintf(why, (size_t)whylen,
			 "cannot load the segment state (CS %#x SS %#x; CPU exception %d at %#llx, %s)",
			 sr->cs.selector, sr->ss.selector, s->tramp_vector, (unsigned long long)rip,
			 uc_strerror(uerr));
		return -EINVAL;
	}

	/* The rest has no hidden side: write it directly. */
	soft_set_reg(s, UC_X86_REG_CR0, sr->cr0);
	soft_set_reg(s, UC_X86_REG_CR2, sr->cr2);
	soft_set_reg(s, UC_X86_REG_CR3, sr->cr3);
	soft_set_reg(s, UC_X86_REG_CR4, sr->cr4);
	gdtr.base = sr->gdt.base, gdtr.limit = sr->gdt.limit;
	uc_reg_write(s->uc, UC_X86_REG_GDTR, &gdtr);
	uc_x86_mmr idtr = { .base = sr->idt.base, .limit = sr->idt.limit };
	uc_reg_write(s->uc, UC_X86_REG_IDTR, &idtr);
	uc_x86_mmr ldtr = seg_to_mmr(&sr->ldt), tr = seg_to_mmr(&sr->tr);
	uc_reg_write(s->uc, UC_X86_REG_LDTR, &ldtr);
	uc_reg_write(s->uc, UC_X86_REG_TR, &tr);
	for (int i = 0; i < SOFT_NSEGS; i++) {
		soft_set_reg(s, seg_ids[i], segs[i]->selector);
		s->seg_shadow[i] = *segs[i];
	}
	soft_set_reg(s, UC_X86_REG_FS_BASE, sr->fs.base);
	soft_set_reg(s, UC_X86_REG_GS_BASE, sr->gs.base);

	soft_set_regs(s, r);
	soft_set_fpu(s, &fpu);
	soft_set_msrs(s, &msrs.hdr);
	for (int i = 0; i < 8; i++)
		soft_set_reg(s, UC_X86_REG_DR0 + i, dr[i]);
	s->code_stale = true;
	return 0;
}
