/* The soft engine: a vCPU on Unicorn 2.1 (QEMU's TCG as a library) behind struct engine.
 *
 * Unicorn runs instructions; this file counts them exactly (whole translation blocks of
 * 64-bit code at their start, everything else with a code hook per instruction; the same hooks
 * stop at an instruction count, an address, a kick, or an interrupt window; see "counting
 * whole blocks" below), turns Unicorn's hooks into VM exits (port I/O, HLT; MMIO, or serves it
 * in place through the VM's handler), answers what
 * the guest must not read from the host (CPUID from the model, RDTSC/RDRAND/RDSEED from the
 * value source), and hands exceptions and SYSCALL to the system layer in soft_x86.c. */
#include "core/cpuid.h"
#include "core/insn_access.h"
#include "core/memory.h"
#include "core/soft_priv.h"
#include "core/x86.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#define RFLAGS_IF (1ULL << 9)
#define CR4_TSD (1ULL << 2)
#define SCRATCH_LOW 0xffe00000ULL	/* below 4 GiB: the loader runs 32-bit code there */
/* Unicorn's code buffer, and how much of it one translated guest instruction is assumed to
 * take at most: measured ~155 bytes on average while Linux boots (463 692 instructions in
 * 71.7 MB, every memory access on the slow path), ~240 for `compute`. The engine flushes the
 * buffer itself, between runs, before that bound says it could be full: Unicorn 2.1.1
 * crashes after flushing a full buffer in the middle of a run (in tb_set_jmp_target or
 * tb_phys_invalidate, as in upstream issue 1923; measured: 4 of 6 `compute` runs with a
 * 2 MiB buffer crashed, 0 of 6 with the engine's own flushes). Only the used part is
 * resident until a flush, which clears (and so touches) all of it. */
#define SOFT_TCG_BUFFER (512u << 20)
#define SOFT_TCG_BYTES_PER_INSN 512

static const struct engine_ops soft_ops;

static void halt(struct soft *s, enum soft_why why)
{
	s->why = why;
	s->stopping = true;
	uc_emu_stop(s->uc);
}

static void set_fail(struct soft *s, const char *fmt, unsigned long long a, unsigned long long b)
{
	memset(&s->exit, 0, sizeof(s->exit));
	s->exit.reason = EXIT_FAIL;
	snprintf(s->exit.fail.what, sizeof(s->exit.fail.what), fmt, a, b);
}

/* ---- instruction bytes, for the few instructions the engine answers itself ---- */

static const uint8_t *code_bytes(struct soft *s, uint64_t addr, uint32_t size, uint8_t *tmp)
{
	uint64_t off = addr & (PAGE_SIZE - 1), gpa;
	uint32_t pferr;
	if (size > 15)
		return NULL;
	if (off + size > PAGE_SIZE)
		return soft_read_linear(s, addr, tmp, size, 0) ? NULL : tmp;
	if (s->code_stale || (addr & ~(PAGE_SIZE - 1)) != s->code_va) {
		if (soft_translate(s, addr, ACC_FETCH, false, &gpa, &pferr))
			return NULL;
		s->code_host = guest_mem_ptr(s->base.mem, gpa & ~(PAGE_SIZE - 1), PAGE_SIZE);
		if (!s->code_host)
			return NULL;
		s->code_va = addr & ~(PAGE_SIZE - 1);
		s->code_stale = false;
	}
	return s->code_host + off;
}

struct insn {
	int op;		/* first opcode byte after prefixes; 0x0f00 | second byte for 0F xx */
	uint8_t modrm;
	uint8_t rex;
	bool opsize16;
	bool rep;	/* an F3 prefix: F3 0F C7 /7 is RDPID, not RDSEED */
};

/* Instruction boundaries come from Unicorn (the hook's size), so a 40-4F byte followed by more
 * bytes of the same instruction is a REX prefix, never INC/DEC. */
static bool decode(const uint8_t *b, uint32_t size, struct insn *in)
{
	uint32_t i = 0;
	memset(in, 0, sizeof(*in));
	while (i < size && insn_legacy_prefix(b[i])) {
		in->opsize16 |= b[i] == 0x66;
		in->rep |= b[i] == 0xf3;
		i++;
	}
	if (i + 1 < size && (b[i] & 0xf0) == 0x40)
		in->rex = b[i++];
	if (i >= size)
		return false;
	in->op = b[i++];
	if (in->op == 0x0f) {
		if (i >= size)
			return false;
		in->op = 0x0f00 | b[i++];
	}
	in->modrm = i < size ? b[i] : 0;
	return true;
}

static uint64_t splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static uint64_t value(struct soft *s, enum soft_value_kind kind, uint64_t before)
{
	uint64_t dflt = kind == SOFT_VALUE_RDTSC ? before * SOFT_TSC_PER_INSN + (uint64_t)s->tsc_offset
						 : splitmix64(before ^ ((uint64_t)kind << 56));
	return s->vfn ? s->vfn(s->vctx, kind, before, dflt) : dflt;
}

static const int gpr64[16] = {
	UC_X86_REG_RAX, UC_X86_REG_RCX, UC_X86_REG_RDX, UC_X86_REG_RBX,
	UC_X86_REG_RSP, UC_X86_REG_RBP, UC_X86_REG_RSI, UC_X86_REG_RDI,
	UC_X86_REG_R8,	UC_X86_REG_R9,	UC_X86_REG_R10, UC_X86_REG_R11,
	UC_X86_REG_R12, UC_X86_REG_R13, UC_X86_REG_R14, UC_X86_REG_R15,
};

static void set_edx_eax(struct soft *s, uint64_t v)
{
	soft_set_reg(s, UC_X86_REG_RAX, (uint32_t)v);
	soft_set_reg(s, UC_X86_REG_RDX, v >> 32);
}

/* Emulates the instruction at the hook and skips it (writing RIP makes Unicorn resume there). */
static void answer_value_insn(struct soft *s, const struct insn *in, uint64_t addr, uint32_t size)
{
	uint64_t before = s->icount - 1;
	switch (in->op) {
	case 0x0f31:	/* rdtsc */
		set_edx_eax(s, value(s, SOFT_VALUE_RDTSC, before));
		break;
	case 0x0f01:	/* rdtscp */
		set_edx_eax(s, value(s, SOFT_VALUE_RDTSC, before));
		soft_set_reg(s, UC_X86_REG_RCX, (uint32_t)soft_msr(s, 0xc0000103));
		break;
	case 0x0f32:	/* rdmsr IA32_TSC */
		set_edx_eax(s, value(s, SOFT_VALUE_RDTSC, before));
		break;
	case 0x0f30: {	/* wrmsr IA32_TSC */
		uint64_t v = (uint32_t)soft_reg(s, UC_X86_REG_RAX) | soft_reg(s, UC_X86_REG_RDX) << 32;
		s->tsc_offset = (int64_t)(v - before * SOFT_TSC_PER_INSN);
		break;
	}
	case 0x0fc7: {	/* rdrand / rdseed r16/32/64 */
		enum soft_value_kind k = ((in->modrm >> 3) & 7) == 6 ? SOFT_VALUE_RDRAND : SOFT_VALUE_RDSEED;
		uint64_t v = value(s, k, before);
		int id = gpr64[(in->modrm & 7) | ((in->rex & 1) << 3)];
		if (in->rex & 8)
			soft_set_reg(s, id, v);
		else if (in->opsize16)
			soft_set_reg(s, id, (soft_reg(s, id) & ~0xffffULL) | (v & 0xffff));
		else
			soft_set_reg(s, id, (uint32_t)v);
		/* CF=1 (a value is ready), OF SF ZF AF PF cleared. */
		soft_set_reg(s, UC_X86_REG_RFLAGS, (soft_reg(s, UC_X86_REG_RFLAGS) & ~0x8d5ULL) | 1);
		break;
	}
	}
	soft_set_reg(s, UC_X86_REG_RIP, addr + size);
}

/* First bytes that may begin an instruction inspect() acts on: 1 = an opcode it handles,
 * 2 = a prefix (legacy or REX) that may precede one. */
static const uint8_t first_byte[256] = {
	[0x0f] = 1, [0x17] = 1, [0x8e] = 1, [0xf4] = 1, [0xfb] = 1,
	[0x26] = 2, [0x2e] = 2, [0x36] = 2, [0x3e] = 2, [0x64] = 2, [0x65] = 2, [0x66] = 2,
	[0x67] = 2, [0xf0] = 2, [0xf2] = 2, [0xf3] = 2,
	[0x40 ... 0x4f] = 2,
};

/* Second bytes of the 0F xx instructions inspect() acts on. */
static bool second_byte(uint8_t b)
{
	return b == 0x01 || b == 0x07 || b == 0x22 || b == 0x30 || b == 0x31 || b == 0x32 || b == 0xc7;
}

/* Runs before every instruction the code hook counts: most are rejected on their first two
 * bytes. */
static void inspect(struct soft *s, uint64_t addr, uint32_t size)
{
	uint8_t tmp[16];
	struct insn in;
	const uint8_t *b;
	uint64_t off = addr & (PAGE_SIZE - 1);
	if (!s->code_stale && (addr & ~(PAGE_SIZE - 1)) == s->code_va && off + size <= PAGE_SIZE)
		b = s->code_host + off;
	else if (!(b = code_bytes(s, addr, size, tmp)))
		return;
	uint8_t k = first_byte[b[0]];
	if (!k || (size > 1 && ((b[0] == 0x0f && !second_byte(b[1])) ||
				(k == 2 && !first_byte[b[1]]))))
		return;
	if (!decode(b, size, &in))
		return;
	switch (in.op) {
	case 0xf4:
		s->hlt_next = addr + size;
		s->hlt_icount = s->icount;
		break;
	case 0xfb:
	case 0x17:
		s->shadow_icount = s->icount;
		break;
	case 0x8e:
		if (((in.modrm >> 3) & 7) == 2)
			s->shadow_icount = s->icount;
		break;
	case 0x0f22:	/* mov crN: paging may change (Unicorn flushes its own TLB) */
		s->code_stale = true;
		s->pg_gen++;
		break;
	case 0x0f01:
		if (in.modrm == 0xf9) {
			answer_value_insn(s, &in, addr, size);
		} else if (((in.modrm >> 3) & 7) == 7 && (in.modrm >> 6) != 3) {
			s->code_stale = true;	/* invlpg */
			s->pg_gen++;
		}
		break;
	case 0x0f31:
		/* With the guest's own CR4.TSD at CPL>0, Unicorn raises the #GP itself. */
		if (!((soft_reg(s, UC_X86_REG_CR4) & CR4_TSD) && soft_cpl(s) != 0))
			answer_value_insn(s, &in, addr, size);
		break;
	case 0x0f30:
	case 0x0f32: {
		uint32_t msr = (uint32_t)soft_reg(s, UC_X86_REG_RCX);
		if (soft_cpl(s) != 0)
			break;	/* Unicorn raises the #GP */
		if (msr == 0x10)
			answer_value_insn(s, &in, addr, size);
		break;
	}
	case 0x0fc7:
		/* RDRAND (/6) and RDSEED (/7) of a register: Unicorn 2.1 runs them on the host's
		 * random number generator, which the guest must never see. */
		if ((in.modrm >> 6) == 3 && ((in.modrm >> 3) & 7) >= 6 && !in.rep)
			answer_value_insn(s, &in, addr, size);
		break;
	case 0x0f07:	/* sysret: emulated, as SYSCALL is (Unicorn's SYSCALL only calls a hook) */
		s->sysret64 = in.rex & 8;
		halt(s, WHY_SYSRET);
		break;
	}
}

/* ---- hooks ---- */

/* The general registers hold what the run's stop asks for (soft_stop.gprs). */
static bool stop_gprs_match(struct soft *s)
{
	if (!s->stop_gprs)
		return true;
	for (int i = 0; i < 16; i++) {
		int r = s->stop_order[i];
		if (soft_reg(s, soft_kvm_regs[r]) != s->stop_gprs[r])
			return false;
	}
	return true;
}

static void hook_code(uc_engine *uc, uint64_t addr, uint32_t size, void *user)
{
	struct soft *s = user;
	(void)uc;
	if (s->in_tramp) {
		if (addr == s->tramp_stop)
			uc_emu_stop(s->uc);
		return;
	}
	if (s->probing) {
		if (addr != s->cur_rip)	/* the re-run instruction did not fault after all */
			uc_emu_stop(s->uc);
		return;
	}
	if (s->stopping || s->blk)
		return;	/* a block counted whole may lie in a covered range */
	if ((s->watch_hit || s->phys_hit) && !s->watch_defer)
		return halt(s, WHY_WATCH);	/* after the instruction that hit, before this one */
	s->mode64 = -1;	/* this instruction may change the privilege or the mode */
	if (atomic_load_explicit(&s->kicked, memory_order_relaxed))
		return halt(s, WHY_KICK);
	if (s->icount >= s->limit)
		return halt(s, WHY_LIMIT);
	if (!(addr == s->resume_rip && s->icount == s->resume_icount)) {
		if (s->stop_at_addr && addr == s->stop_addr && stop_gprs_match(s))
			return halt(s, WHY_ADDR);
		for (int i = 0; i < s->nbp; i++)
			if (addr == s->bp[i]) {
				s->exit.debug.dr6 = 0xffff0ff0ULL | (1ULL << s->bp_slot[i]);
				return halt(s, WHY_BP);
			}
	}
	if (s->window && s->icount != s->shadow_icount &&
	    (soft_reg(s, UC_X86_REG_RFLAGS) & RFLAGS_IF))
		return halt(s, WHY_WINDOW);
	s->cur_rip = addr;
	s->cur_size = size;
	s->icount++;
	s->cur_icount = s->icount;
	inspect(s, addr, size);
}

/* ---- counting whole blocks ----
 *
 * A code hook on every instruction costs Unicorn a helper call per instruction; a block hook
 * costs one per translation block. So the block hook counts a block of 64-bit code (user or
 * kernel) at its start when the block holds no instruction the engine must see on its own
 * (decoded by soft_decode.c, cross-checked with the count Unicorn reported translating it),
 * and when no stop falls inside it. An exception in the middle of such a block reaches
 * hook_intr with RIP restored exactly, and sync_block() un-counts what did not retire.
 * Everything else (32-bit code, the loader, blocks with special instructions, a stop inside a
 * block) runs under the code hook,
 * which Unicorn only calls in blocks translated while a hook covered their addresses: such
 * blocks get their pages covered first (permanently, or for one run for a stop) and are
 * translated again. */

static const uint8_t *code_page(struct soft *s, uint64_t va)
{
	uint64_t page = va & ~(PAGE_SIZE - 1), gpa;
	uint32_t pferr;
	unsigned i = (unsigned)(page >> 12) & 63;
	if (s->pg[i].gen == s->pg_gen && s->pg[i].va == page)
		return s->pg[i].host;
	if (soft_translate(s, page, ACC_FETCH, false, &gpa, &pferr))
		return NULL;
	const uint8_t *h = guest_mem_ptr(s->base.mem, gpa & ~(PAGE_SIZE - 1), PAGE_SIZE);
	if (!h)
		return NULL;
	s->pg[i].va = page;
	s->pg[i].host = h;
	s->pg[i].gen = s->pg_gen;
	return h;
}

/* Copies (cmp false) or compares (cmp true) the guest code at va with buf. */
static bool code_io(struct soft *s, uint64_t va, uint8_t *buf, uint32_t len, bool cmp)
{
	for (uint32_t done = 0; done < len;) {
		const uint8_t *h = code_page(s, va + done);
		if (!h)
			return false;
		uint32_t off = (uint32_t)((va + done) & (PAGE_SIZE - 1));
		uint32_t n = PAGE_SIZE - off < len - done ? PAGE_SIZE - off : len - done;
		if (cmp ? memcmp(h + off, buf + done, n) != 0 : (memcpy(buf + done, h + off, n), false))
			return false;
		done += n;
	}
	return true;
}

/* Instructions a block counted whole may hold although the decoder calls them special:
 * POPF (an interrupt window it opens is seen at the next block's start, a few instructions
 * late, and the same way on record and replay, which position interrupts by count), and STI
 * as the block's last instruction (Unicorn ends a block after STI; its shadow is then kept
 * for the next block's start). Kernel code runs both on every spin_unlock_irqrestore. */
static bool whole_despite(const struct insn64 *d, bool last)
{
	return !d->rep && (d->op == 0x9d || (d->op == 0xfb && last));
}

static unsigned translated_slot(uint64_t pc)
{
	return (unsigned)(pc ^ (pc >> 12)) & (SOFT_TRANSLATED - 1);
}

static void scan_block(struct soft *s, struct soft_block *b)
{
	uint32_t i = 0;
	bool special = false;
	b->n = 0;
	b->whole = false;
	b->ends_in_sti = false;
	if (!code_io(s, b->pc, b->bytes, b->size, false))
		return;
	while (i < b->size && !special) {
		struct insn64 d;
		int len = insn_decode64(b->bytes + i, (int)(b->size - i), &d);
		if (!len)
			return;
		b->off[b->n++] = (uint16_t)i;
		i += (uint32_t)len;
		special = d.special && !whole_despite(&d, i == b->size);
		b->ends_in_sti = d.op == 0xfb;
	}
	/* Unicorn's own count for its translation (reported by hook_new_block just before the
	 * block first ran) confirms the decoding; asking Unicorn for the translation instead
	 * (uc_ctl_request_cache) may translate anew, and with a full buffer flush, and jump out
	 * through a stale context. A block never reported (the very first) relies on the
	 * tiling alone. */
	const uc_tb *t = &s->translated[translated_slot(b->pc)];
	b->whole = !special && i == b->size &&
		   (t->pc != b->pc || t->size != b->size || t->icount == b->n);
}

static uint32_t block_slot(const struct soft *s, uint64_t pc, uint32_t size)
{
	return (uint32_t)(((pc ^ ((uint64_t)size << 48)) * 0x9e3779b97f4a7c15ULL) >> 32) &
	       (s->block_cap - 1);
}

static struct soft_block *find_block(struct soft *s, uint64_t pc, uint32_t size)
{
	if (!s->block_cap)
		return NULL;
	for (uint32_t i = block_slot(s, pc, size);; i = (i + 1) & (s->block_cap - 1)) {
		struct soft_block *b = s->blocks[i];
		if (!b || (b->pc == pc && b->size == size))
			return b;
	}
}

static struct soft_block *new_block(struct soft *s, uint64_t pc, uint32_t size)
{
	if (size == 0 || size > 0xffff)
		return NULL;
	if (2 * (s->nblocks + 1) > s->block_cap) {
		uint32_t cap = s->block_cap ? 2 * s->block_cap : 1024;
		struct soft_block **old = s->blocks, **t = calloc(cap, sizeof(*t));
		if (!t)
			return NULL;
		uint32_t oldcap = s->block_cap;
		s->blocks = t;
		s->block_cap = cap;
		for (uint32_t i = 0; i < oldcap; i++) {
			if (!old[i])
				continue;
			uint32_t j = block_slot(s, old[i]->pc, old[i]->size);
			while (t[j])
				j = (j + 1) & (cap - 1);
			t[j] = old[i];
		}
		free(old);
	}
	struct soft_block *b = malloc(sizeof(*b) + size + (size_t)size * sizeof(uint16_t));
	if (!b)
		return NULL;
	b->pc = pc;
	b->size = size;
	b->off = (uint16_t *)(b + 1);
	b->bytes = (uint8_t *)(b->off + size);
	uint32_t i = block_slot(s, pc, size);
	while (s->blocks[i])
		i = (i + 1) & (s->block_cap - 1);
	s->blocks[i] = b;
	s->nblocks++;
	scan_block(s, b);
	b->checked = s->code_gen;
	b->stop_hook_gen = s->stop_hook_gen - 1;	/* may have been translated before it */
	return b;
}

static void free_blocks(struct soft *s)
{
	memset(s->recent, 0, sizeof(s->recent));
	for (uint32_t i = 0; i < s->block_cap; i++)
		free(s->blocks[i]);
	free(s->blocks);
	s->blocks = NULL;
	s->nblocks = s->block_cap = 0;
}

/* 64-bit mode, the one soft_decode.c decodes and whole blocks are for: MODE64_USER at CPL3,
 * MODE64_KERNEL at CPL0-2, 0 in any other mode. */
static int mode64(struct soft *s)
{
	uint64_t cs = soft_reg(s, UC_X86_REG_CS);
	uc_x86_mmr gdtr;
	uint8_t d[8];
	if ((cs & 4) || !(soft_msr(s, 0xc0000080) & (1ULL << 10)) ||
	    uc_reg_read(s->uc, UC_X86_REG_GDTR, &gdtr) ||
	    soft_read_linear(s, gdtr.base + (cs & ~7ULL), d, sizeof(d), 0) ||
	    (d[6] & 0x60) != 0x20)	/* L=1, D=0 */
		return 0;
	return (cs & 3) == 3 ? MODE64_USER : MODE64_KERNEL;
}

static struct soft_block *whole_block(struct soft *s, uint64_t pc, uint32_t size)
{
	if (s->nwatch)
		return NULL;	/* a data breakpoint hit must stop after its own instruction */
	if (s->mode64 < 0)
		s->mode64 = mode64(s);
	if (!s->mode64)
		return NULL;
	/* A direct-mapped cache in front of the hash table: hot loops hit it. */
	struct soft_block **slot = &s->recent[(pc ^ (pc >> 9)) & (SOFT_RECENT - 1)];
	struct soft_block *b = *slot;
	if (!b || b->pc != pc || b->size != size)
		*slot = b = find_block(s, pc, size);
	if (b && b->checked != s->code_gen) {
		if (!code_io(s, pc, b->bytes, size, true))
			scan_block(s, b);	/* the guest rewrote it */
		b->checked = s->code_gen;
	} else if (!b) {
		*slot = b = new_block(s, pc, size);
	}
	return b && b->whole ? b : NULL;
}

/* Unicorn made a new translation block (code rewritten, or evicted and translated again): a
 * block known by the same address and size is compared with the guest's bytes again before
 * it is next counted whole. Blocks translated first in a run are not reported: every run
 * starts a new generation. */
static void hook_new_block(uc_engine *uc, uc_tb *cur, uc_tb *prev, void *user)
{
	struct soft *s = user;
	(void)uc;
	(void)prev;
	s->translated[translated_slot(cur->pc)] = *cur;
	s->translated_insns += cur->icount;
	struct soft_block *b = find_block(s, cur->pc, cur->size);
	if (b)
		b->checked = s->code_gen - 1;
}

/* A breakpoint inside the block: it runs under the per-instruction hook. (The stop address
 * has its own hook, hook_stop.) */
static bool stop_within(const struct soft *s, uint64_t pc, uint32_t size)
{
	for (int i = 0; i < s->nbp; i++)
		if (s->bp[i] - pc < size)
			return true;
	return false;
}

static bool covered(const struct soft *s, uint64_t start, uint64_t end)
{
	if (s->nwatch)
		return true;	/* watch_code_hook covers every address */
	if (s->have_temp && start >= s->temp.start && end <= s->temp.end)
		return true;
	for (int i = 0; i < s->nranges; i++)
		if (start >= s->ranges[i].start && end <= s->ranges[i].end)
			return true;
	return false;
}

/* Unicorn 2.1 drops translations (its remove-cache control, and every uc_mem_unmap) by
 * translating a start address through the CPU's MMU for an instruction fetch, as a virtual
 * address. Given a physical one, that walk means nothing or faults inside Unicorn, writing the
 * guest's CR2 and arming QEMU's double-fault tracking. Its virtual TLB without a fill hook maps
 * every address to itself: the engine switches the MMU to it around such calls (on = true),
 * and back. The TLB is flushed at each switch; a guest cannot tell (a TLB may drop entries at
 * any time). */
static void identity_mmu(struct soft *s, bool on)
{
	uc_ctl_tlb_mode(s->uc, on ? UC_TLB_VIRTUAL : UC_TLB_CPU);
	uc_ctl_flush_tlb(s->uc);
}

/* Drops the translations of guest-physical [gpa, gpa+len) (clipped to RAM). */
static void uncache_phys(struct soft *s, uint64_t gpa, uint64_t len)
{
	uint64_t size = s->base.mem->size;
	if (gpa >= size || len == 0)
		return;
	if (len > size - gpa)
		len = size - gpa;
	identity_mmu(s, true);
	uc_ctl_remove_cache(s->uc, gpa, gpa + len);
	identity_mmu(s, false);
}

/* Drops the translations of the linear range [start, end), page by page through the guest's
 * page tables (pages that do not translate have nothing reachable to drop). */
static void uncache(struct soft *s, uint64_t start, uint64_t end)
{
	uint64_t gpa;
	uint32_t pferr;
	for (uint64_t p = start & ~(PAGE_SIZE - 1); p < end; p += PAGE_SIZE)
		if (soft_translate(s, p, 0, false, &gpa, &pferr) == 0)
			uncache_phys(s, gpa & ~(PAGE_SIZE - 1), PAGE_SIZE);
}

/* Deleting a code hook makes Unicorn drop the translations made under it, found by their
 * virtual addresses, which it translates through the MMU as they stand now: with the guest's
 * page tables changed since (the kernel left the decompressor's), a miss there writes the
 * guest's CR2 (measured: Linux then met its first page fault with the decompressor's CR2). The
 * engine drops those translations itself, by physical address (uncache). */
static void del_code_hook(struct soft *s, uc_hook h)
{
	identity_mmu(s, true);
	uc_hook_del(s->uc, h);
	identity_mmu(s, false);
}

static void drop_temp(struct soft *s)
{
	if (!s->have_temp)
		return;
	del_code_hook(s, s->temp.hook);
	uncache(s, s->temp.start, s->temp.end);
	s->have_temp = false;
}

/* Covers [addr, addr+size) with the code hook, for good or (temp) for this run
 * only, and drops their translations so that the next ones call it. Outside uc_emu_start. */
static int cover(struct soft *s, uint64_t addr, uint64_t size, bool temp)
{
	/* Exactly the block's bytes: user code next to a special instruction stays fast. */
	uint64_t start = addr, end = addr + size;
	uc_hook h;
	if (temp) {
		drop_temp(s);
		if (uc_hook_add(s->uc, &h, UC_HOOK_CODE, (void *)hook_code, s, start, end - 1))
			return -1;
		s->temp = (struct soft_range){ start, end, h };
		s->have_temp = true;
		uncache(s, start, end);
		return 0;
	}
	/* Ranges that touch merge: Unicorn walks every code hook on every hooked instruction. */
	uint64_t ns = start, ne = end;
	for (int i = 0; i < s->nranges;) {
		struct soft_range *r = &s->ranges[i];
		if (r->start <= ne && ns <= r->end) {
			ns = r->start < ns ? r->start : ns;
			ne = r->end > ne ? r->end : ne;
			del_code_hook(s, r->hook);
			*r = s->ranges[--s->nranges];
			i = 0;
			continue;
		}
		i++;
	}
	if (s->nranges == s->range_cap) {
		int cap = s->range_cap ? 2 * s->range_cap : 16;
		struct soft_range *r = realloc(s->ranges, (size_t)cap * sizeof(*r));
		if (!r)
			return -1;
		s->ranges = r;
		s->range_cap = cap;
	}
	if (uc_hook_add(s->uc, &h, UC_HOOK_CODE, (void *)hook_code, s, ns, ne - 1))
		return -1;
	s->ranges[s->nranges++] = (struct soft_range){ ns, ne, h };
	uncache(s, start, end);
	return 0;
}

/* A block counted whole stopped in its middle (an exception, an error) with RIP restored to
 * the instruction that did not complete: count what retired before it, and describe that
 * instruction as the code hook would have (cur_*), so the fault paths treat both alike. */
static void sync_block(struct soft *s, uint64_t rip)
{
	const struct soft_block *b = s->blk;
	if (!b)
		return;
	s->blk = NULL;
	uint32_t k = b->n;
	if (rip - b->pc < b->size)
		for (uint32_t i = 0; i < b->n; i++)
			if (b->pc + b->off[i] == rip) {
				k = i;
				break;
			}
	uint32_t cur = k < b->n ? k : b->n - 1u;
	s->cur_rip = b->pc + b->off[cur];
	s->cur_size = (cur + 1 < b->n ? b->off[cur + 1] : b->size) - b->off[cur];
	s->icount = s->blk_base + cur + 1;
	s->cur_icount = s->icount;
}

/* A stop in a block hook: Unicorn leaves RIP where the previous block last synced it (it
 * skips restoring the PC from the block when a stop was requested), so the run loop sets it
 * to the block's start. */
static void block_halt(struct soft *s, enum soft_why why, uint64_t pc)
{
	s->block_stop = true;
	s->block_stop_pc = pc;
	halt(s, why);
}

/* A store into the block being run makes Unicorn (QEMU's precise self-modifying code) abandon
 * it at the store, without an exception, and run on from a new block of that one instruction.
 * The abandoned block was counted whole at its start: give back what did not retire. Only the
 * forced block tells: it starts at one of the block's instructions but its last, and holds
 * just that instruction, where a block reached by a jump into the middle runs to the end as
 * the first did. A store into the block's last instruction itself is not told apart. */
static void give_back_abandoned(struct soft *s, uint64_t addr, uint32_t size)
{
	const struct soft_block *b = s->blk;
	if (addr - b->pc >= b->size || size >= b->size)
		return;	/* the usual case: a block elsewhere, or this one again */
	for (uint32_t k = 0; k + 1 < b->n; k++)
		if (b->pc + b->off[k] == addr) {
			if (size == (uint32_t)(b->off[k + 1] - b->off[k]))
				s->icount = s->blk_base + k;
			return;
		}
}

static void hook_block(uc_engine *uc, uint64_t addr, uint32_t size, void *user)
{
	struct soft *s = user;
	(void)uc;
	if (s->blk)
		give_back_abandoned(s, addr, size);
	s->blk = NULL;
	if (s->in_tramp || s->probing || s->stopping)
		return;
	if ((s->watch_hit || s->phys_hit) && !s->watch_defer)
		return block_halt(s, WHY_WATCH, addr);
	if (atomic_load_explicit(&s->kicked, memory_order_relaxed))
		return block_halt(s, WHY_KICK, addr);
	if (s->icount >= s->limit)
		return block_halt(s, WHY_LIMIT, addr);
	if (s->translated_insns >= s->flush_at)
		return block_halt(s, WHY_FLUSH, addr);
	struct soft_block *b = whole_block(s, addr, size);
	if (b && s->icount + b->n <= s->limit && !stop_within(s, addr, size)) {
		if (s->stop_at_addr && s->stop_addr - addr < size && b->stop_hook_gen != s->stop_hook_gen) {
			b->stop_hook_gen = s->stop_hook_gen;
			s->cover_addr = addr;
			s->cover_size = size;
			return block_halt(s, WHY_STOP_HOOK, addr);
		}
		if (s->window && s->icount != s->shadow_icount &&
		    (soft_reg(s, UC_X86_REG_RFLAGS) & RFLAGS_IF))
			return block_halt(s, WHY_WINDOW, addr);
		s->blk = b;
		s->blk_base = s->icount;
		s->icount += b->n;
		if (b->ends_in_sti)
			s->shadow_icount = s->icount;
		s->whole_blocks++;
		return;
	}
	if (covered(s, addr, addr + size))
		return;	/* the code hook counts it */
	s->cover_addr = addr;
	s->cover_size = size;
	/* User code is covered for this run only: a block with a special instruction may run on
	 * into a hot loop, which must not keep the code hook. Kernel code is covered for good. */
	s->cover_temp = s->mode64 == MODE64_USER;
	block_halt(s, WHY_RETRANSLATE, addr);
}

/* The code hook on the stop address alone. In a block counted whole it is the only hook that
 * sees the address: the instructions before it in the block have retired, the rest of the
 * block is not counted, and the run stops before it (Unicorn checks for a stop right after a
 * code hook, with RIP at the instruction). Anywhere else hook_code sees the address itself. */
static void hook_stop(uc_engine *uc, uint64_t addr, uint32_t size, void *user)
{
	struct soft *s = user;
	const struct soft_block *b = s->blk;
	(void)uc;
	(void)size;
	if (!b || s->stopping || !s->stop_at_addr || addr != s->stop_addr)
		return;
	uint32_t k = 0;
	while (k < b->n && b->pc + b->off[k] != addr)
		k++;
	uint64_t here = s->blk_base + k;
	if (k == b->n || (addr == s->resume_rip && here == s->resume_icount) || !stop_gprs_match(s))
		return;
	s->icount = here;
	s->blk = NULL;
	if (k > 0) {	/* the last instruction that ran, for clear_stale_rf */
		s->cur_rip = b->pc + b->off[k - 1];
		s->cur_size = (uint32_t)(b->off[k] - b->off[k - 1]);
	}
	halt(s, WHY_ADDR);
}

/* Puts hook_stop on addr (and off the previous stop address). Unicorn calls a code hook only
 * from translations made while it existed: a block counted whole that holds the address has
 * its translations dropped when it next starts (hook_block, WHY_STOP_HOOK), under whatever
 * mapping runs it then. (Flushing them all would clear Unicorn's whole code buffer.) */
static int arm_stop_hook(struct soft *s, uint64_t addr)
{
	if (s->have_stop_hook && s->stop_hook_addr == addr)
		return 0;
	if (s->have_stop_hook)
		del_code_hook(s, s->stop_hook);
	s->have_stop_hook = false;
	if (uc_hook_add(s->uc, &s->stop_hook, UC_HOOK_CODE, (void *)hook_stop, s, addr, addr))
		return -1;
	s->have_stop_hook = true;
	s->stop_hook_addr = addr;
	s->stop_hook_gen++;
	return 0;
}

/* The stop's registers, those that differ now first. */
static void order_stop_gprs(struct soft *s, const uint64_t *gprs)
{
	int n = 0;
	s->stop_gprs = gprs;
	if (!gprs)
		return;
	for (int differ = 1; differ >= 0; differ--)
		for (int r = 0; r < 16; r++)
			if ((soft_reg(s, soft_kvm_regs[r]) != gprs[r]) == differ)
				s->stop_order[n++] = (uint8_t)r;
}

static void hook_intr(uc_engine *uc, uint32_t intno, void *user)
{
	struct soft *s = user;
	(void)uc;
	if (s->in_tramp) {
		s->tramp_vector = (int)intno;
		uc_emu_stop(s->uc);
		return;
	}
	if (s->probing) {
		s->stopping = true;
		uc_emu_stop(s->uc);
		return;
	}
	uint64_t rip = soft_reg(s, UC_X86_REG_RIP);
	sync_block(s, rip);
	/* A fault leaves RIP on the instruction the code hook counted: it did not retire. */
	bool faulted = rip == s->cur_rip && s->icount == s->cur_icount && s->icount > 0;
	if (faulted) {
		s->icount--;
		s->watch_hit = 0;	/* a faulting instruction's accesses hit nothing */
	}
	s->exc_vector = intno;
	s->exc_retired = !faulted;
	halt(s, WHY_EXC);
}

static uint32_t hook_in(uc_engine *uc, uint32_t port, int size, void *user)
{
	struct soft *s = user;
	(void)uc;
	if (s->in.ready && s->in.port == port) {
		uint32_t v = 0;
		s->in.ready = false;
		memcpy(&v, s->iodata, (size_t)size);
		return v;
	}
	/* Roll the instruction back after it completes with a dummy value: IN changes only
	 * RAX, and INS RDI/RCX and the byte it stores, which the re-run overwrites. */
	s->in.pending = true;
	s->in.port = (uint16_t)port;
	s->in.rip = s->cur_rip;
	s->in.rax = soft_reg(s, UC_X86_REG_RAX);
	s->in.rcx = soft_reg(s, UC_X86_REG_RCX);
	s->in.rdi = soft_reg(s, UC_X86_REG_RDI);
	memset(&s->exit, 0, sizeof(s->exit));
	s->exit.reason = EXIT_IO;
	s->exit.io.port = (uint16_t)port;
	s->exit.io.size = (uint8_t)size;
	s->exit.io.count = 1;
	s->exit.io.data = s->iodata;
	memset(s->iodata, 0, sizeof(s->iodata));
	halt(s, WHY_IO);
	return 0;
}

static void hook_out(uc_engine *uc, uint32_t port, int size, uint32_t value, void *user)
{
	struct soft *s = user;
	(void)uc;
	memset(&s->exit, 0, sizeof(s->exit));
	s->exit.reason = EXIT_IO;
	s->exit.io.port = (uint16_t)port;
	s->exit.io.size = (uint8_t)size;
	s->exit.io.write = true;
	s->exit.io.count = 1;
	s->exit.io.data = s->iodata;
	memcpy(s->iodata, &value, sizeof(value));
	halt(s, WHY_IO);
}

static void hook_syscall(uc_engine *uc, void *user)
{
	struct soft *s = user;
	(void)uc;
	halt(s, WHY_SYSCALL);
}

static int hook_cpuid(uc_engine *uc, void *user)
{
	struct soft *s = user;
	uint32_t out[4];
	(void)uc;
	cpuid_lookup(s->cpuid, (uint32_t)soft_reg(s, UC_X86_REG_RAX),
		     (uint32_t)soft_reg(s, UC_X86_REG_RCX), out);
	soft_set_reg(s, UC_X86_REG_RAX, out[0]);
	soft_set_reg(s, UC_X86_REG_RBX, out[1]);
	soft_set_reg(s, UC_X86_REG_RCX, out[2]);
	soft_set_reg(s, UC_X86_REG_RDX, out[3]);
	return 1;	/* skip Unicorn's own CPUID */
}

static uint64_t mmio_read(uc_engine *uc, uint64_t offset, unsigned size, void *user)
{
	struct soft *s = user;
	uint64_t v = 0;
	(void)uc;
	if (s->mmio.serving && !s->mmio.served && !s->mmio.write &&
	    (s->mmio.gpa & (PAGE_SIZE - 1)) == offset && s->mmio.size == size) {
		s->mmio.served = true;
		memcpy(&v, s->mmiodata, size);
		return v;
	}
	set_fail(s, "instruction at %#llx makes more than one MMIO access (offset %#llx)", s->cur_rip,
		 offset);
	halt(s, WHY_FAIL);
	return 0;
}

static void mmio_write(uc_engine *uc, uint64_t offset, unsigned size, uint64_t value, void *user)
{
	struct soft *s = user;
	(void)uc;
	(void)value;
	if (s->mmio.serving && !s->mmio.served && s->mmio.write &&
	    (s->mmio.gpa & (PAGE_SIZE - 1)) == offset && s->mmio.size == size) {
		s->mmio.served = true;
		return;
	}
	set_fail(s, "instruction at %#llx makes more than one MMIO access (offset %#llx)", s->cur_rip,
		 offset);
	halt(s, WHY_FAIL);
}

/* Never called (its range is above every physical address); see soft_engine_create. */
static void hook_no_write(uc_engine *uc, uc_mem_type type, uint64_t gpa, int size, int64_t value,
			  void *user)
{
	(void)uc, (void)type, (void)gpa, (void)size, (void)value, (void)user;
}

static uint64_t mmio_now_read(uc_engine *uc, uint64_t offset, unsigned size, void *user)
{
	struct soft_mmio_page *p = user;
	uint64_t v = 0;
	(void)uc;
	p->s->mmio_fn(p->s->mmio_ctx, p->base + offset, (uint8_t *)&v, (int)size, false);
	return v;
}

static void mmio_now_write(uc_engine *uc, uint64_t offset, unsigned size, uint64_t value,
			   void *user)
{
	struct soft_mmio_page *p = user;
	(void)uc;
	p->s->mmio_fn(p->s->mmio_ctx, p->base + offset, (uint8_t *)&value, (int)size, true);
}

/* Maps the MMIO page holding gpa to the handler, for good: every access to it is served in
 * place, from a block counted whole or not, so that where MMIO happens never depends on how
 * the engine happened to count the block (a stop inside it in one run and not in another). */
static int serve_mmio_in_place(struct soft *s, uint64_t gpa)
{
	struct soft_mmio_page *p = malloc(sizeof(*p)), **pages;
	if (!p)
		return -1;
	*p = (struct soft_mmio_page){ s, gpa & ~(PAGE_SIZE - 1) };
	pages = realloc(s->mmio_pages, (size_t)(s->nmmio_pages + 1) * sizeof(*pages));
	if (!pages || uc_mmio_map(s->uc, p->base, PAGE_SIZE, mmio_now_read, p, mmio_now_write, p)) {
		if (pages)
			s->mmio_pages = pages;
		free(p);
		return -1;
	}
	s->mmio_pages = pages;
	s->mmio_pages[s->nmmio_pages++] = p;
	return 0;
}

/* Unicorn 2.1's MMU translates: its own page walk raises the guest's page faults, and what
 * reaches this hook is an access to a guest-physical address outside RAM. A data access is
 * MMIO; a fetch is the guest's error. */
static bool hook_unmapped(uc_engine *uc, uc_mem_type type, uint64_t gpa, int size, int64_t value,
			  void *user)
{
	struct soft *s = user;
	(void)uc;
	if (s->in_tramp || s->probing)
		return false;
	if (type == UC_MEM_FETCH_UNMAPPED) {
		set_fail(s, "instruction fetch at rip %#llx from guest physical %#llx, outside RAM",
			 soft_reg(s, UC_X86_REG_RIP), gpa);
		halt(s, WHY_FAIL);
		return false;
	}
	/* Unicorn retries the access once the hook says it mapped the page. */
	if (s->mmio_fn)
		return serve_mmio_in_place(s, gpa) == 0;
	if (s->blk)
		goto imprecise;
	/* Reported before the instruction has any effect; it re-runs once the VMM has answered. */
	memset(&s->exit, 0, sizeof(s->exit));
	s->exit.reason = EXIT_MMIO;
	s->exit.mmio.addr = gpa;
	s->exit.mmio.size = (uint8_t)size;
	s->exit.mmio.write = type == UC_MEM_WRITE_UNMAPPED;
	s->exit.mmio.data = s->mmiodata;
	memset(s->mmiodata, 0, sizeof(s->mmiodata));
	if (s->exit.mmio.write)
		memcpy(s->mmiodata, &value, (size_t)size);
	s->mmio.pending = true;
	s->mmio.gpa = gpa;
	s->mmio.size = (uint8_t)size;
	s->mmio.write = s->exit.mmio.write;
	/* Unicorn abandons the access and restores the instruction's starting state. */
	if (s->icount == s->cur_icount && s->icount > 0)
		s->icount--;
	s->watch_hit = 0;	/* it hits again when it re-runs */
	halt(s, WHY_MMIO);
	return false;
imprecise:
	/* Unicorn reports this access without restoring RIP or the lazy flags: inside a block
	 * counted whole, the instruction is not known. */
	set_fail(s, "block %#llx: MMIO at guest physical %#llx, counted whole, and no handler",
		 s->blk->pc, gpa);
	s->blk = NULL;
	halt(s, WHY_FAIL);
	return false;
}

/* ---- data breakpoints ----
 *
 * Unicorn 2.1 hands memory hooks the guest-physical address of an access; DR0-DR3 hold linear
 * ones. An access hits a breakpoint when its bytes overlap the breakpoint's physical bytes (its
 * linear address translated now) and the linear ranges insn_access_decode() finds for the
 * instruction overlap the breakpoint's: the same bytes reached through another linear address
 * do not hit, as on x86. An instruction that decoder does not know hits on the physical overlap
 * alone. A hit is noted here and reported by the code or block hook before the next
 * instruction: a trap, as on x86. An instruction that faults or exits before completing (MMIO,
 * IN) clears its hits: it re-runs. A rep string instruction reports after each iteration that
 * hit, at the instruction itself; after its last iteration too, with RCX = 0: QEMU ends a rep
 * with one more pass through it, which counts as an instruction and has not run yet. */

/* The linear accesses of the instruction the code hook last saw start (every instruction runs
 * under it while data breakpoints are armed). Called from a memory hook: the instruction has
 * not written its registers back yet. Returns false when the decoder does not know it. */
static bool current_accesses(struct soft *s, struct insn_accesses *acc)
{
	struct kvm_regs r;
	struct kvm_sregs sr;
	uint8_t tmp[16];
	const uint8_t *b = code_bytes(s, s->cur_rip, s->cur_size, tmp);
	if (!b || soft_get_regs(s, &r) || soft_get_sregs(s, &sr))
		return false;
	r.rip = s->cur_rip;
	return insn_access_decode(b, (int)s->cur_size, &r, &sr, acc) != 0;
}

static void hook_watch(uc_engine *uc, uc_mem_type type, uint64_t addr, int size, int64_t value,
		       void *user)
{
	struct soft *s = user;
	struct insn_accesses acc;
	int known = -1;	/* acc not decoded yet */
	(void)uc;
	(void)value;
	if (s->in_tramp || s->probing)
		return;
	for (int i = 0; i < s->nwatch; i++) {
		const struct soft_watch *w = &s->watch[i];
		uint64_t gpa;
		uint32_t pferr;
		if (!(w->reads || type == UC_MEM_WRITE) ||
		    soft_translate(s, w->addr, 0, false, &gpa, &pferr) ||
		    !(addr < gpa + w->len && gpa < addr + (uint64_t)size))
			continue;
		if (known < 0)
			known = current_accesses(s, &acc);
		if (known && !insn_access_hits(&acc, w->addr, w->len,
					       w->reads ? INSN_READ | INSN_WRITE : INSN_WRITE))
			continue;
		s->watch_hit |= 1ULL << w->slot;
	}
}

/* The code hook over all addresses while data breakpoints are armed; where a covered range's
 * own hook already calls hook_code, this one stays out of its way (one count per instruction). */
static void hook_code_watch(uc_engine *uc, uint64_t addr, uint32_t size, void *user)
{
	struct soft *s = user;
	if (s->have_temp && addr >= s->temp.start && addr < s->temp.end)
		return;
	for (int i = 0; i < s->nranges; i++)
		if (addr >= s->ranges[i].start && addr < s->ranges[i].end)
			return;
	hook_code(uc, addr, size, user);
}

/* Installs or removes the data breakpoint hooks (on: some are armed). */
static int arm_watch_hooks(struct soft *s, bool on)
{
	if (on == (s->nwatch > 0))
		return 0;
	if (on) {
		if (uc_hook_add(s->uc, &s->watch_mem_hook, UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE,
				(void *)hook_watch, s, 1, 0))
			return -ENOMEM;
		if (uc_hook_add(s->uc, &s->watch_code_hook, UC_HOOK_CODE, (void *)hook_code_watch, s,
				1, 0)) {
			uc_hook_del(s->uc, s->watch_mem_hook);
			return -ENOMEM;
		}
	} else {
		uc_hook_del(s->uc, s->watch_mem_hook);
		del_code_hook(s, s->watch_code_hook);
		s->watch_hit = 0;
	}
	/* Translations decide at translation time whether they call hooks: drop them all. */
	uc_ctl(s->uc, UC_CTL_WRITE(UC_CTL_TB_FLUSH, 0));
	return 0;
}

/* ---- physical watches ----
 *
 * Unicorn calls a memory hook only for accesses whose guest-physical start lies in the
 * hook's range, and takes its slow path for every access once any memory hook exists (the
 * engine's hook_no_write already makes it); so hooks on the watched bytes alone cost nothing
 * while nothing touches them, and blocks keep running whole. */
static void hook_phys_watch(uc_engine *uc, uc_mem_type type, uint64_t gpa, int size,
			    int64_t value, void *user)
{
	struct soft *s = user;
	(void)uc;
	(void)value;
	if (s->in_tramp || s->probing)
		return;
	for (int i = 0; i < s->nphys; i++) {
		const struct soft_phys_watch *w = &s->phys[i];
		if ((w->reads || type == UC_MEM_WRITE) && gpa < w->gpa + w->len &&
		    w->gpa < gpa + (uint64_t)size)
			s->phys_hit = true;
	}
}

int soft_engine_watch_phys(struct engine *e, const struct soft_phys_watch *w, int n)
{
	struct soft *s = to_soft(e);
	if (n < 0 || n > SOFT_MAX_PHYS_WATCH)
		return -ENOSPC;
	for (int i = 0; i < s->nphys; i++)
		uc_hook_del(s->uc, s->phys_hook[i]);
	s->nphys = 0;
	s->phys_hit = false;
	for (int i = 0; i < n; i++) {
		/* An access of up to 8 bytes that starts before the watched ones reaches them. */
		uint64_t begin = w[i].gpa > 7 ? w[i].gpa - 7 : 0;
		int type = UC_HOOK_MEM_WRITE | (w[i].reads ? UC_HOOK_MEM_READ : 0);
		if (uc_hook_add(s->uc, &s->phys_hook[i], type, (void *)hook_phys_watch, s, begin,
				w[i].gpa + w[i].len - 1)) {
			soft_engine_watch_phys(e, NULL, 0);
			return -ENOMEM;
		}
		s->phys[i] = w[i];
		s->nphys = i + 1;
	}
	/* Whether an access calls memory hooks is decided when its block is translated. */
	uc_ctl(s->uc, UC_CTL_WRITE(UC_CTL_TB_FLUSH, 0));
	return 0;
}

struct access_probe {
	struct soft *s;
	uint64_t page;	/* the faulting linear page (CR2's) */
	int user;	/* ACC_USER at CPL3 */
	int kind;	/* 0 unknown, 1 read, 2 write */
};

/* Unicorn's virtual-TLB fill hook while a faulting instruction re-runs: the engine's walk
 * translates each page for exactly the access asked for (a later write to a page read first
 * asks again); the access the walk refuses on CR2's page is the one that faulted, and its
 * refusal ends the re-run before the instruction completes. */
static bool hook_probe_tlb(uc_engine *uc, uint64_t vaddr, uc_mem_type type, uc_tlb_entry *e,
			   void *user)
{
	struct access_probe *p = user;
	uint64_t gpa;
	uint32_t pferr;
	(void)uc;
	int acc = p->user | (type == UC_MEM_WRITE ? ACC_WRITE : 0) |
		  (type == UC_MEM_FETCH ? ACC_FETCH : 0);
	if (soft_translate(p->s, vaddr, acc, true, &gpa, &pferr)) {
		if ((vaddr & ~(PAGE_SIZE - 1)) == p->page && !p->kind)
			p->kind = type == UC_MEM_WRITE ? 2 : 1;
		return false;
	}
	e->paddr = gpa & ~(PAGE_SIZE - 1);
	e->perms = type == UC_MEM_WRITE ? UC_PROT_READ | UC_PROT_WRITE
		   : type == UC_MEM_FETCH ? UC_PROT_EXEC : UC_PROT_READ;
	return true;
}

/* Unicorn does not expose a #PF's error code: the walk gives P and U, and re-running the
 * faulting instruction with Unicorn's MMU replaced by the engine's walk (its virtual TLB and a
 * fill hook) tells a read from a write. Unicorn 2.1's memory hooks cannot: they run after the
 * translation, which faults first. */
static uint32_t page_fault_code(struct soft *s)
{
	uint64_t cr2 = soft_reg(s, UC_X86_REG_CR2), rip = soft_reg(s, UC_X86_REG_RIP), gpa;
	int acc = soft_cpl(s) == 3 ? ACC_USER : 0;
	uint32_t pferr = 0;
	if (s->exc_retired) {	/* never reached its code hook: the fetch faulted */
		/* The walk gives P, U and I/D (set, as on x86, only with EFER.NXE); one that finds
		 * no fault where Unicorn's did met a reserved bit. */
		if (soft_translate(s, cr2, acc | ACC_FETCH, true, &gpa, &pferr) == 0)
			pferr = 1u | 8u | (acc & ACC_USER ? 4u : 0u) |
				(soft_msr(s, 0xc0000080) & EFER_NXE ? 16u : 0u);
		return pferr;
	}
	struct access_probe p = { .s = s, .page = cr2 & ~(PAGE_SIZE - 1), .user = acc, .kind = 0 };
	uc_hook h;
	if (!covered(s, rip, rip + 15))
		cover(s, rip, 15, true);
	if (uc_hook_add(s->uc, &h, UC_HOOK_TLB_FILL, (void *)hook_probe_tlb, &p, 1, 0) == UC_ERR_OK) {
		identity_mmu(s, true);	/* with the fill hook: the engine's walk */
		s->probing = true;
		uc_emu_start(s->uc, rip, 0, 0, 0);
		s->probing = false;
		s->stopping = false;
		identity_mmu(s, false);
		uc_hook_del(s->uc, h);
		soft_set_reg(s, UC_X86_REG_RIP, rip);
	}
	if (p.kind == 2)
		acc |= ACC_WRITE;
	if (soft_translate(s, cr2, acc, true, &gpa, &pferr))
		return pferr;
	return (acc & ACC_WRITE ? 2u : 0u) | (acc & ACC_USER ? 4u : 0u) | 1u;
}

/* ---- the run loop ---- */

static bool soft_interruptible(struct engine *e)
{
	struct soft *s = to_soft(e);
	return (soft_reg(s, UC_X86_REG_RFLAGS) & RFLAGS_IF) && s->icount != s->shadow_icount &&
	       !s->irq_pending;
}

static int take_exception(struct soft *s, struct vm_exit *x)
{
	uint8_t v = (uint8_t)s->exc_vector;
	int64_t err = -1;
	bool soft_int = false;
	char why[sizeof(x->fail.what)];

	if (s->exc_retired && v != 14) {
		uint8_t tmp[16];
		struct insn in;
		const uint8_t *b = code_bytes(s, s->cur_rip, s->cur_size, tmp);
		if (b && decode(b, s->cur_size, &in) && (in.op == 0xcd || in.op == 0xcc || in.op == 0xce))
			soft_int = true;
	}
	switch (v) {
	case 14:
		err = page_fault_code(s);
		break;
	case 8: case 10: case 11: case 12: case 13: case 17: case 21:
		err = 0;	/* Unicorn does not expose the selector error code */
		break;
	}
	enum soft_event ev = soft_int ? EV_SOFT_INT
			     : (!s->exc_retired || v == 14) ? EV_FAULT : EV_EXTERNAL;
	if (soft_deliver(s, v, err, ev, why, sizeof(why)) == 0)
		return 0;
	/* A fault while delivering is a double fault; one more, and the CPU shuts down. */
	char why2[sizeof(x->fail.what)];
	if (v != 8 && soft_deliver(s, 8, 0, EV_FAULT, why2, sizeof(why2)) == 0)
		return 0;
	memset(x, 0, sizeof(*x));
	x->reason = EXIT_SHUTDOWN;
	snprintf(x->fail.what, sizeof(x->fail.what), "%s", why);
	return 1;
}

static void fail_exit(struct soft *s, struct vm_exit *x, uc_err err)
{
	uint64_t rip = soft_reg(s, UC_X86_REG_RIP);
	uint8_t b[8] = { 0 };
	soft_read_linear(s, rip, b, sizeof(b), 0);
	memset(x, 0, sizeof(*x));
	x->reason = EXIT_FAIL;
	x->fail.hw_reason = err;
	snprintf(x->fail.what, sizeof(x->fail.what),
		 "unicorn: %s at rip %#llx (%02x %02x %02x %02x %02x %02x %02x %02x)", uc_strerror(err),
		 (unsigned long long)rip, b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]);
}

/* Re-runs the instruction an MMIO exit stopped, against a temporary region that answers the
 * access with the VMM's data (or takes the write the VMM already saw). */
static void mmio_begin(struct soft *s)
{
	uc_mmio_map(s->uc, s->mmio.gpa & ~(PAGE_SIZE - 1), PAGE_SIZE, mmio_read, s, mmio_write, s);
	s->mmio.serving = true;
	s->mmio.served = false;
	s->mmio.pending = false;
}

static void mmio_end(struct soft *s)
{
	/* The unmap drops code by translating the region's address (see identity_mmu); the TLB
	 * flushes leave nothing pointing at the region. */
	identity_mmu(s, true);
	uc_mem_unmap(s->uc, s->mmio.gpa & ~(PAGE_SIZE - 1), PAGE_SIZE);
	identity_mmu(s, false);
	s->mmio.serving = false;
}

/* RF lasts for one instruction after the IRET that set it. QEMU clears it at the end of a
 * translation block, which a stop in the middle of the block skips: clear it here unless
 * the last instruction that ran was that IRET. */
static void clear_stale_rf(struct soft *s)
{
	uint64_t fl = soft_reg(s, UC_X86_REG_RFLAGS);
	uint8_t tmp[16];
	struct insn in;
	if (!(fl & (1ULL << 16)))
		return;
	const uint8_t *b = code_bytes(s, s->cur_rip, s->cur_size, tmp);
	if (b && decode(b, s->cur_size, &in) && in.op == 0xcf)
		return;
	soft_set_reg(s, UC_X86_REG_RFLAGS, fl & ~(1ULL << 16));
}

/* The stops a hook makes before an instruction runs. */
static bool stopped_before(enum soft_why why)
{
	switch (why) {
	case WHY_LIMIT: case WHY_ADDR: case WHY_BP: case WHY_KICK: case WHY_WINDOW:
	case WHY_RETRANSLATE: case WHY_FLUSH: case WHY_WATCH: case WHY_STOP_HOOK:
		return true;
	default:
		return false;
	}
}

static int soft_complete_io(struct engine *e);

static int run_until_inner(struct soft *s, const struct soft_stop *st, struct vm_exit *x)
{
	memset(x, 0, sizeof(*x));
	/* A handler just entered has RF clear: a breakpoint on its first instruction fires. */
	s->resume_rip = s->entered_handler ? UINT64_MAX : soft_reg(s, UC_X86_REG_RIP);
	s->resume_icount = s->icount;
	if (st && st->at_addr && arm_stop_hook(s, st->addr)) {
		set_fail(s, "cannot hook the stop address %#llx", st->addr, 0);
		*x = s->exit;
		return 0;
	}
	order_stop_gprs(s, st && st->at_addr ? st->gprs : NULL);
	for (;;) {
		if (atomic_exchange(&s->kicked, 0)) {
			x->reason = EXIT_KICKED;
			return 0;
		}
		if (s->window && soft_interruptible(&s->base)) {
			x->reason = EXIT_IRQ_WINDOW;
			return 0;
		}
		if (st && st->icount && s->icount >= st->icount) {
			x->reason = EXIT_INSN_LIMIT;
			return 0;
		}
		uint64_t limit = st && st->icount ? st->icount : UINT64_MAX;
		bool step = s->single_step || s->mmio.pending;
		if (step && s->icount + 1 < limit)
			limit = s->icount + 1;
		bool serving = s->mmio.pending;
		s->limit = limit;
		s->stop_at_addr = st && st->at_addr;
		s->stop_addr = st ? st->addr : 0;
		s->why = WHY_NONE;
		s->stopping = false;
		s->code_stale = true;
		s->pg_gen++;
		s->mode64 = -1;
		s->blk = NULL;
		s->hlt_next = UINT64_MAX;
		if (serving)
			mmio_begin(s);
		uint64_t rip = soft_reg(s, UC_X86_REG_RIP);
		uint64_t before = s->icount;
		s->block_stop = false;
		s->code_gen++;
		if (s->translated_insns >= s->flush_at) {
			uc_ctl(s->uc, UC_CTL_WRITE(UC_CTL_TB_FLUSH, 0));
			s->translated_insns = 0;
			s->flushes++;
		}
		/* A pending IN re-runs first in this start, with the VMM's value. */
		s->in.ready = s->in.pending;
		s->in.pending = false;
		uc_err err = uc_emu_start(s->uc, rip, 0, 0, 0);
		if (s->block_stop)
			soft_set_reg(s, UC_X86_REG_RIP, s->block_stop_pc);
		sync_block(s, soft_reg(s, UC_X86_REG_RIP));
		if (serving)
			mmio_end(s);
		if (s->icount != before) {
			clear_stale_rf(s);
			s->entered_handler = false;
		}
		/* Stopped before the pending IN or MMIO instruction ran (a kick, a stop, a block to
		 * translate again): it still is pending, whether the recorder's kicks came or not.
		 * Anything else (a fault on it) drops it: it exits again when it re-runs. */
		bool not_run = s->icount == before && stopped_before(s->why);
		s->in.pending |= s->in.ready && not_run;
		s->in.ready = false;
		if (serving && !s->mmio.served && not_run)
			s->mmio.pending = true;
		if (s->why == WHY_RETRANSLATE) {
			if (cover(s, s->cover_addr, s->cover_size, s->cover_temp)) {
				set_fail(s, "cannot hook the code at %#llx (%llu bytes)", s->cover_addr,
					 s->cover_size);
				*x = s->exit;
				return 0;
			}
			continue;
		}
		if (s->why == WHY_FLUSH)
			continue;	/* flushed at the top of the loop */
		if (s->why == WHY_STOP_HOOK) {
			uncache(s, s->cover_addr, s->cover_addr + s->cover_size);
			continue;
		}
		rip = soft_reg(s, UC_X86_REG_RIP);

		switch (s->why) {
		case WHY_LIMIT:
			if (serving && !(st && st->icount && s->icount >= st->icount) && !s->single_step)
				continue;
			/* A step that reached the stop count still is a step: the stop comes first,
			 * the count is reported by the next run. */
			bool counted = st && st->icount && s->icount >= st->icount;
			if (s->single_step && (s->icount != before || !counted)) {
				x->reason = EXIT_DEBUG;
				x->debug.dr6 = 0xffff0ff0ULL | (1ULL << 14);
				x->debug.pc = rip;
				return 0;
			}
			x->reason = EXIT_INSN_LIMIT;
			return 0;
		case WHY_ADDR:
			if (st->pred && !st->pred(&s->base, st->ctx)) {
				s->resume_rip = rip;
				s->resume_icount = s->icount;
				continue;
			}
			x->reason = EXIT_DEBUG;
			x->debug.pc = rip;
			return 0;
		case WHY_BP:
			s->entered_handler = false; /* resuming here does not stop again (RF) */
			x->reason = EXIT_DEBUG;
			x->debug.dr6 = s->exit.debug.dr6;
			x->debug.pc = rip;
			return 0;
		case WHY_WATCH:
			/* A single step that hit a watchpoint reports both, as DR6 does. */
			x->reason = EXIT_DEBUG;
			x->debug.dr6 = 0xffff0ff0ULL | s->watch_hit |
				       (s->single_step && s->icount != before ? 1ULL << 14 : 0);
			x->debug.pc = rip;
			x->debug.phys = s->phys_hit;
			s->watch_hit = 0;
			s->phys_hit = false;
			return 0;
		case WHY_KICK:
			atomic_store(&s->kicked, 0);
			x->reason = EXIT_KICKED;
			return 0;
		case WHY_WINDOW:
			x->reason = EXIT_IRQ_WINDOW;
			return 0;
		case WHY_IO:
			if (!s->exit.io.write) {
				/* Undo the dummy IN; it retires on the next run with the VMM's value. */
				soft_set_reg(s, UC_X86_REG_RAX, s->in.rax);
				soft_set_reg(s, UC_X86_REG_RCX, s->in.rcx);
				soft_set_reg(s, UC_X86_REG_RDI, s->in.rdi);
				soft_set_reg(s, UC_X86_REG_RIP, s->in.rip);
				s->icount--;
				s->watch_hit = 0;	/* an INS hits when it re-runs */
			}
			*x = s->exit;
			return 0;
		case WHY_MMIO:
			soft_set_reg(s, UC_X86_REG_RIP, s->cur_rip);
			*x = s->exit;
			return 0;
		case WHY_FAIL:
			*x = s->exit;
			return 0;
		case WHY_EXC:
			if (take_exception(s, x))
				return 0;
			continue;
		case WHY_SYSCALL:
		case WHY_SYSRET: {
			char why[sizeof(x->fail.what)];
			if (s->why == WHY_SYSCALL && st && st->fail_at_syscall) {
				x->reason = EXIT_FAIL;
				snprintf(x->fail.what, sizeof(x->fail.what),
					 "SYSCALL at %#llx: the stop asked to fail there",
					 (unsigned long long)rip);
				return 0;
			}
			int rc = s->why == WHY_SYSCALL ? soft_do_syscall(s, why, sizeof(why))
						       : soft_do_sysret(s, s->sysret64, why, sizeof(why));
			if (rc) {
				x->reason = EXIT_FAIL;
				snprintf(x->fail.what, sizeof(x->fail.what), "%s", why);
				return 0;
			}
			continue;
		}
		case WHY_NONE:
		case WHY_RETRANSLATE:	/* handled above */
		case WHY_FLUSH:
		case WHY_STOP_HOOK:
			break;
		}
		if (err == UC_ERR_INSN_INVALID) {
			/* #UD: Unicorn stops before delivering it; the instruction did not retire. */
			if (rip == s->cur_rip && s->icount == s->cur_icount)
				s->icount--;
			s->exc_vector = 6;
			s->exc_retired = false;
			if (take_exception(s, x))
				return 0;
			continue;
		}
		if (err != UC_ERR_OK) {
			fail_exit(s, x, err);
			return 0;
		}
		if (rip == s->hlt_next && s->icount == s->hlt_icount) {
			x->reason = EXIT_HLT;
			return 0;
		}
		if (serving)
			continue;
		fail_exit(s, x, err);
		snprintf(x->fail.what, sizeof(x->fail.what), "unicorn stopped at rip %#llx for no reason",
			 (unsigned long long)rip);
		return 0;
	}
}

/* A stop inside a block covered its pages for this run only. */
static int run_until(struct soft *s, const struct soft_stop *st, struct vm_exit *x)
{
	if (s->irq_pending) {
		char why[sizeof(x->fail.what) - 40];
		s->irq_pending = false;
		if (soft_deliver(s, s->irq_vector, -1, EV_EXTERNAL, why, sizeof(why))) {
			memset(x, 0, sizeof(*x));
			x->reason = EXIT_FAIL;
			snprintf(x->fail.what, sizeof(x->fail.what), "cannot deliver interrupt %u: %s",
				 s->irq_vector, why);
			return 0;
		}
		s->entered_handler = true;
	}
	int rc = run_until_inner(s, st, x);
	drop_temp(s);
	return rc;
}

/* ---- engine_ops ---- */

static int soft_run(struct engine *e, struct vm_exit *x)
{
	struct soft *s = to_soft(e);
	if (!s->run_stop)
		return run_until(s, NULL, x);
	struct soft_stop st = { .icount = s->run_stop };
	int rc = run_until(s, &st, x);
	if (rc == 0 && x->reason == EXIT_INSN_LIMIT)
		s->run_stop = 0;
	return rc;
}

static uint64_t op_icount(struct engine *e)
{
	return to_soft(e)->icount;
}

static int op_set_icount_stop(struct engine *e, uint64_t icount)
{
	to_soft(e)->run_stop = icount;
	return 0;
}

int soft_engine_run_until(struct engine *e, const struct soft_stop *stop, struct vm_exit *exit)
{
	return run_until(to_soft(e), stop, exit);
}

uint64_t soft_engine_icount(struct engine *e)
{
	return to_soft(e)->icount;
}

void soft_engine_set_mmio_handler(struct engine *e, soft_mmio_fn fn, void *ctx)
{
	struct soft *s = to_soft(e);
	s->mmio_fn = fn;
	s->mmio_ctx = ctx;
}

uint64_t soft_engine_flushes(struct engine *e)
{
	return to_soft(e)->flushes;
}

uint64_t soft_engine_whole_blocks(struct engine *e)
{
	return to_soft(e)->whole_blocks;
}

void soft_engine_set_icount(struct engine *e, uint64_t icount)
{
	struct soft *s = to_soft(e);
	uint64_t tsc = soft_tsc(s);
	s->icount = icount;
	s->tsc_offset = (int64_t)(tsc - icount * SOFT_TSC_PER_INSN);	/* the TSC does not jump */
	s->shadow_icount = UINT64_MAX;
}

void soft_engine_set_value_source(struct engine *e, soft_value_fn fn, void *ctx)
{
	struct soft *s = to_soft(e);
	s->vfn = fn;
	s->vctx = ctx;
}

void soft_engine_invalidate(struct engine *e, uint64_t gpa, uint64_t len)
{
	struct soft *s = to_soft(e);
	uncache_phys(s, gpa, len);
	s->code_stale = true;
	s->pg_gen++;
}

void soft_engine_version(char *buf, int len)
{
	unsigned v = uc_version(NULL, NULL);
	snprintf(buf, (size_t)len, "Unicorn %u.%u.%u", v >> 24, (v >> 16) & 0xff, (v >> 8) & 0xff);
}

bool engine_is_soft(const struct engine *e)
{
	return e && e->ops == &soft_ops;
}

static void soft_kick(struct engine *e)
{
	atomic_store(&to_soft(e)->kicked, 1);
}

static int op_get_regs(struct engine *e, struct kvm_regs *r)
{
	return soft_get_regs(to_soft(e), r);
}

static int op_set_regs(struct engine *e, const struct kvm_regs *r)
{
	return soft_set_regs(to_soft(e), r);
}

static int op_get_sregs(struct engine *e, struct kvm_sregs *sr)
{
	return soft_get_sregs(to_soft(e), sr);
}

static int op_set_sregs(struct engine *e, const struct kvm_sregs *sr)
{
	struct soft *s = to_soft(e);
	struct kvm_regs r;
	char why[128];
	soft_get_regs(s, &r);
	/* The VMM sets state when it restores a snapshot, after rewriting memory behind
	 * Unicorn without saying which: forget the translations of all of RAM (Unicorn looks
	 * through its pages for the code it translated, which costs far less than a full
	 * flush's reset of the code buffer). */
	uncache_phys(s, 0, s->base.mem->size);
	s->in.pending = s->mmio.pending = false;
	s->watch_hit = 0;
	int rc = soft_load_state(s, &r, sr, why, sizeof(why));
	if (rc)
		fprintf(stderr, "soft engine: set_sregs: %s\n", why);
	return rc;
}

static int op_get_msrs(struct engine *e, struct kvm_msrs *m)
{
	return soft_get_msrs(to_soft(e), m);
}

static int op_set_msrs(struct engine *e, const struct kvm_msrs *m)
{
	return soft_set_msrs(to_soft(e), m);
}

static int op_get_fpu(struct engine *e, struct kvm_fpu *f)
{
	return soft_get_fpu(to_soft(e), f);
}

static int op_set_fpu(struct engine *e, const struct kvm_fpu *f)
{
	return soft_set_fpu(to_soft(e), f);
}

static int op_get_events(struct engine *e, struct kvm_vcpu_events *ev)
{
	struct soft *s = to_soft(e);
	memset(ev, 0, sizeof(*ev));
	ev->interrupt.shadow = s->icount == s->shadow_icount ? KVM_X86_SHADOW_INT_STI : 0;
	ev->interrupt.injected = s->irq_pending;
	ev->interrupt.nr = s->irq_vector;
	ev->flags = KVM_VCPUEVENT_VALID_SHADOW;
	return 0;
}

static int op_set_events(struct engine *e, const struct kvm_vcpu_events *ev)
{
	struct soft *s = to_soft(e);
	if (ev->exception.injected || ev->nmi.injected || ev->nmi.pending)
		return -EOPNOTSUPP;
	if (ev->flags & KVM_VCPUEVENT_VALID_SHADOW)
		s->shadow_icount = ev->interrupt.shadow ? s->icount : UINT64_MAX;
	if (ev->interrupt.injected)
		return e->ops->inject_irq(e, ev->interrupt.nr);
	return 0;
}

static int soft_inject_irq(struct engine *e, uint8_t vector)
{
	struct soft *s = to_soft(e);
	if (!soft_interruptible(e))
		return -EBUSY;
	/* As on hardware, an IN or MMIO read the VMM has answered completes before the
	 * interrupt: the handler must not see the access repeated after its IRET. */
	int rc = soft_complete_io(e);
	if (rc)
		return rc;
	s->irq_pending = true;
	s->irq_vector = vector;
	return 0;
}

static void soft_request_irq_window(struct engine *e, bool on)
{
	to_soft(e)->window = on;
}

/* DR7 as on x86: per slot i, enable L/G bits 2i and 2i+1, R/W at 16+4i (00 execute, 01 write,
 * 11 read or write; 10, I/O, is not supported) and LEN at 18+4i (00 1 byte, 01 2, 11 4, 10 8;
 * the address's low bits below LEN are ignored, as the CPU does). */
static int soft_set_guest_debug(struct engine *e, const struct kvm_guest_debug *dbg)
{
	static const uint64_t len_bytes[4] = { 1, 2, 8, 4 };
	struct soft *s = to_soft(e);
	bool on = dbg->control & KVM_GUESTDBG_ENABLE;
	struct soft_watch watch[4];
	uint64_t bp[4];
	int bp_slot[4], nbp = 0, nwatch = 0;
	if (on && (dbg->control & KVM_GUESTDBG_USE_HW_BP)) {
		uint64_t dr7 = dbg->arch.debugreg[7];
		for (int i = 0; i < 4; i++) {
			unsigned rw = (dr7 >> (16 + 4 * i)) & 3;
			uint64_t len = len_bytes[(dr7 >> (18 + 4 * i)) & 3];
			if (!((dr7 >> (2 * i)) & 3))
				continue;
			if (rw == 2)
				return -EOPNOTSUPP;
			if (rw == 0) {
				bp_slot[nbp] = i;
				bp[nbp++] = dbg->arch.debugreg[i];
				continue;
			}
			watch[nwatch++] = (struct soft_watch){ .addr = dbg->arch.debugreg[i] & ~(len - 1),
							      .len = len, .reads = rw == 3, .slot = i };
		}
	}
	int rc = arm_watch_hooks(s, nwatch > 0);
	if (rc)
		return rc;
	s->single_step = on && (dbg->control & KVM_GUESTDBG_SINGLESTEP);
	s->nbp = nbp;
	memcpy(s->bp, bp, sizeof(bp));
	memcpy(s->bp_slot, bp_slot, sizeof(bp_slot));
	s->nwatch = nwatch;
	memcpy(s->watch, watch, sizeof(watch));
	return 0;
}

/* An `in` or MMIO read that exited is not retired yet (its instruction re-runs with the VMM's
 * value): retire it now, so that a snapshot taken next does not repeat the device access. */
static int soft_complete_io(struct engine *e)
{
	struct soft *s = to_soft(e);
	struct vm_exit x;
	if (!s->in.pending && !s->mmio.pending)
		return 0;
	int kicked = atomic_exchange(&s->kicked, 0);
	bool window = s->window, step = s->single_step;
	int nbp = s->nbp;
	s->window = s->single_step = false;
	s->nbp = 0;
	s->watch_defer = true;	/* a data breakpoint the instruction hits stops the next run */
	struct soft_stop st = { .icount = s->icount + 1 };
	int rc = run_until(s, &st, &x);
	s->window = window, s->single_step = step, s->nbp = nbp;
	s->watch_defer = false;
	if (kicked)
		atomic_store(&s->kicked, 1);
	if (rc)
		return rc;
	return x.reason == EXIT_INSN_LIMIT ? 0 : -EIO;
}

/* Unicorn has no write log: pages are compared with their hash at the previous call (XXH3,
 * ~10 ms per 256 MiB). The first call reports what changed since the engine was created. */
static void hash_pages(struct soft *s, uint64_t *bitmap)
{
	uint64_t npages = s->base.mem->size / PAGE_SIZE;
	for (uint64_t i = 0; i < npages; i++) {
		uint64_t h = XXH3_64bits(s->base.mem->host + i * PAGE_SIZE, PAGE_SIZE);
		if (bitmap && h != s->page_hash[i])
			bitmap[i / 64] |= 1ULL << (i % 64);
		s->page_hash[i] = h;
	}
}

static int soft_get_dirty_log(struct engine *e, uint64_t *bitmap)
{
	struct soft *s = to_soft(e);
	uint64_t npages = s->base.mem->size / PAGE_SIZE;
	memset(bitmap, 0, (npages + 63) / 64 * sizeof(uint64_t));
	hash_pages(s, bitmap);
	return 0;
}

static void soft_destroy(struct engine *e)
{
	struct soft *s = to_soft(e);
	if (!s)
		return;
	if (s->reset_ctx)
		uc_context_free(s->reset_ctx);
	if (s->uc)
		uc_close(s->uc);
	free(s->scratch);
	free(s->page_hash);
	free_blocks(s);
	free(s->ranges);
	for (int i = 0; i < s->nmmio_pages; i++)
		free(s->mmio_pages[i]);
	free(s->mmio_pages);
	free(s);
}

static const struct engine_ops soft_ops = {
	.name = "soft",
	.run = soft_run,
	.kick = soft_kick,
	.get_regs = op_get_regs,
	.set_regs = op_set_regs,
	.get_sregs = op_get_sregs,
	.set_sregs = op_set_sregs,
	.get_msrs = op_get_msrs,
	.set_msrs = op_set_msrs,
	.get_fpu = op_get_fpu,
	.set_fpu = op_set_fpu,
	.get_events = op_get_events,
	.set_events = op_set_events,
	.interruptible = soft_interruptible,
	.inject_irq = soft_inject_irq,
	.request_irq_window = soft_request_irq_window,
	.set_guest_debug = soft_set_guest_debug,
	.complete_io = soft_complete_io,
	.get_dirty_log = soft_get_dirty_log,
	.icount = op_icount,
	.set_icount_stop = op_set_icount_stop,
	.set_icount = soft_engine_set_icount,
	.destroy = soft_destroy,
};

/* The state a PVH entry expects: 32-bit protected mode, flat segments, paging off. */
static void initial_sregs(struct kvm_sregs *sr)
{
	struct kvm_segment code = { .base = 0, .limit = 0xffffffff, .selector = 0x10, .type = 0xb,
				    .present = 1, .dpl = 0, .db = 1, .s = 1, .g = 1 };
	struct kvm_segment data = code;
	data.selector = 0x18;
	data.type = 0x3;
	memset(sr, 0, sizeof(*sr));
	sr->cs = code;
	sr->ss = sr->ds = sr->es = sr->fs = sr->gs = data;
	sr->tr.type = 0xb;
	sr->tr.present = 1;
	sr->tr.limit = 0xffff;
	sr->ldt.type = 0x2;
	sr->ldt.present = 1;
	sr->ldt.limit = 0xffff;
	sr->gdt.limit = 0xffff;
	sr->idt.limit = 0xffff;
	sr->cr0 = 0x11;
}

struct engine *soft_engine_create(struct guest_mem *mem, const struct cpuid_model *cpuid, char *err,
				  int errlen)
{
	return soft_engine_create_sized(mem, cpuid, SOFT_TCG_BUFFER, err, errlen);
}

struct engine *soft_engine_create_sized(struct guest_mem *mem, const struct cpuid_model *cpuid,
					size_t code_buffer, char *err, int errlen)
{
	struct soft *s = calloc(1, sizeof(*s));
	uc_hook h;
	uc_err ue;
	char why[128];

	if (!s) {
		snprintf(err, (size_t)errlen, "out of memory");
		return NULL;
	}
	s->base.ops = &soft_ops;
	s->base.mem = mem;
	s->cpuid = cpuid;
	s->shadow_icount = UINT64_MAX;
	s->hlt_next = UINT64_MAX;
	s->limit = UINT64_MAX;
	s->mode64 = -1;
	s->pg_gen = 1;
	atomic_init(&s->kicked, 0);
	s->scratch = aligned_alloc(PAGE_SIZE, 0x4000);
	if (!s->scratch) {
		snprintf(err, (size_t)errlen, "out of memory");
		goto fail;
	}
	s->page_hash = calloc(mem->size / PAGE_SIZE ? mem->size / PAGE_SIZE : 1, sizeof(uint64_t));
	if (!s->page_hash) {
		snprintf(err, (size_t)errlen, "out of memory");
		goto fail;
	}
	hash_pages(s, NULL);
	if (mem->size == 0 || mem->size % PAGE_SIZE) {
		snprintf(err, (size_t)errlen, "guest RAM size %#llx is not a multiple of 4 KiB",
			 (unsigned long long)mem->size);
		goto fail;
	}
	/* The loader's scratch lives outside RAM, below 4 GiB, in its own 2 MiB page. */
	s->scratch_gpa = SCRATCH_LOW;
	if (mem->size > SCRATCH_LOW) {
		snprintf(err, (size_t)errlen, "soft engine: guest RAM above %#llx is not supported",
			 SCRATCH_LOW);
		goto fail;
	}
	ue = uc_open(UC_ARCH_X86, UC_MODE_64, &s->uc);
	if (ue) {
		snprintf(err, (size_t)errlen, "uc_open: %s", uc_strerror(ue));
		goto fail;
	}
	/* A model whose features cover rewind's CPUID model (NX, 1 GiB pages, SSE4.2, POPCNT):
	 * Unicorn checks its own model, not the one the guest is shown. */
	if ((ue = uc_ctl_set_cpu_model(s->uc, UC_CPU_X86_SKYLAKE_SERVER))) {
		snprintf(err, (size_t)errlen, "unicorn: cpu model: %s", uc_strerror(ue));
		goto fail;
	}
	/* Before anything makes Unicorn allocate it. */
	uc_ctl_set_tcg_buffer_size(s->uc, code_buffer);
	s->flush_at = code_buffer / SOFT_TCG_BYTES_PER_INSN;
	/* Last of the three: this control initialises Unicorn, after which the model and the
	 * buffer size are fixed. The MMU translates through the guest's page tables (Unicorn's
	 * default in 2.1; said here because everything in this engine depends on it). */
	if ((ue = uc_ctl_tlb_mode(s->uc, UC_TLB_CPU))) {
		snprintf(err, (size_t)errlen, "unicorn: no guest page-table translation: %s",
			 uc_strerror(ue));
		goto fail;
	}
	/* Without exits, uc_emu_start's `until` address is translated (and faulted on, leaving
	 * QEMU's double-fault tracking armed) at every start: stops are the code hook's job. */
	uc_ctl_exits_enable(s->uc);
	ue = uc_mem_map_ptr(s->uc, 0, mem->size, UC_PROT_ALL, mem->host);
	if (ue) {
		snprintf(err, (size_t)errlen, "mapping guest RAM: %s", uc_strerror(ue));
		goto fail;
	}
	if (uc_hook_add(s->uc, &h, UC_HOOK_BLOCK, (void *)hook_block, s, 1, 0) ||
	    uc_hook_add(s->uc, &h, UC_HOOK_EDGE_GENERATED, (void *)hook_new_block, s, 1, 0) ||
	    cover(s, s->scratch_gpa, 0x4000, false) ||
	    uc_hook_add(s->uc, &h, UC_HOOK_INTR, (void *)hook_intr, s, 1, 0) ||
	    uc_hook_add(s->uc, &h, UC_HOOK_INSN, (void *)hook_in, s, 1, 0, UC_X86_INS_IN) ||
	    uc_hook_add(s->uc, &h, UC_HOOK_INSN, (void *)hook_out, s, 1, 0, UC_X86_INS_OUT) ||
	    uc_hook_add(s->uc, &h, UC_HOOK_INSN, (void *)hook_syscall, s, 1, 0, UC_X86_INS_SYSCALL) ||
	    uc_hook_add(s->uc, &h, UC_HOOK_INSN, (void *)hook_cpuid, s, 1, 0, UC_X86_INS_CPUID) ||
	    uc_hook_add(s->uc, &h, UC_HOOK_MEM_UNMAPPED, (void *)hook_unmapped, s, 1, 0) ||
	    /* Self-modifying code: Unicorn 2.1, once a write to a page has dropped the
	     * translations it touched, lets later writes to that page bypass the check while
	     * other translations remain on it (notdirty_write's tlb_set_dirty), unless a memory
	     * hook exists. Linux patching many alternatives in one page then ran stale code
	     * (an oops in __irq_exit_rcu). A hook that matches no address keeps every write
	     * checked. */
	    uc_hook_add(s->uc, &h, UC_HOOK_MEM_WRITE, (void *)hook_no_write, s, UINT64_MAX,
			UINT64_MAX)) {
		snprintf(err, (size_t)errlen, "cannot install the soft engine's unicorn hooks");
		goto fail;
	}
	if (uc_context_alloc(s->uc, &s->reset_ctx) || uc_context_save(s->uc, s->reset_ctx)) {
		snprintf(err, (size_t)errlen, "cannot save unicorn's initial context");
		goto fail;
	}
	struct kvm_regs r = { .rflags = 2 };
	struct kvm_sregs sr;
	initial_sregs(&sr);
	if (soft_load_state(s, &r, &sr, why, sizeof(why))) {
		snprintf(err, (size_t)errlen, "soft engine: initial state: %s", why);
		goto fail;
	}
	return &s->base;
fail:
	soft_destroy(&s->base);
	return NULL;
}
