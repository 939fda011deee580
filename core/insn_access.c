/* Which memory an x86-64 instruction accesses: see core/insn_access.h. Prefixes, opcode,
 * ModRM position and length come from insn_decode64 (core/soft_decode.c); this file knows what
 * each opcode does with its operands. References: Intel SDM volume 2, opcode maps (A.3) and
 * the instruction pages. */
#include "core/insn_access.h"

#include <string.h>

#define EFER_LMA (1ULL << 10)

enum { R = INSN_READ, W = INSN_WRITE, RW = INSN_READ | INSN_WRITE };

/* SSE's mandatory prefixes: F3 and F2 win over 66. */
enum sse_prefix { P_NONE, P_66, P_F3, P_F2 };

struct decoding {
	const uint8_t *b;
	const struct insn64 *d;
	const struct kvm_regs *r;
	uint64_t seg_base;	/* FS or GS base under an override, else 0 (64-bit mode) */
	uint8_t modrm;
	int reg;		/* ModRM.reg without REX.R: the opcode extension */
	struct insn_accesses *out;
};

static uint64_t gpr(const struct kvm_regs *r, int n)
{
	const uint64_t v[16] = { r->rax, r->rcx, r->rdx, r->rbx, r->rsp, r->rbp, r->rsi, r->rdi,
				 r->r8,	 r->r9,	 r->r10, r->r11, r->r12, r->r13, r->r14, r->r15 };
	return v[n & 15];
}

static int32_t le32(const uint8_t *p)
{
	return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
			 (uint32_t)p[3] << 24);
}

static void add(struct decoding *c, uint64_t addr, uint32_t len, int flags)
{
	c->out->a[c->out->n++] = (struct insn_access){ .addr = addr, .len = len,
						       .flags = (uint8_t)flags };
}

static uint32_t opsize(const struct insn64 *d)
{
	return d->rex & 8 ? 8 : d->osz16 ? 2 : 4;
}

/* PUSH/POP/CALL/RET move 8 bytes in 64-bit mode, 2 with a 66 prefix. */
static uint32_t stack_size(const struct insn64 *d)
{
	return d->osz16 ? 2 : 8;
}

static bool has_memory_operand(const struct decoding *c)
{
	return c->d->has_modrm && (c->modrm >> 6) != 3;
}

/* The ModRM memory operand's linear address; rsp_adjust is added to RSP as a base (POP r/m
 * computes its address after the increment). */
static uint64_t modrm_address(const struct decoding *c, uint64_t rsp_adjust)
{
	const struct insn64 *d = c->d;
	const uint8_t *p = c->b + d->modrm_off + 1;
	int mod = c->modrm >> 6, rm = c->modrm & 7;
	uint64_t ea = 0;
	int base = -1;
	if (rm == 4) {
		uint8_t sib = *p++;
		int index = ((sib >> 3) & 7) | ((d->rex & 2) << 2);
		if (index != 4)
			ea = gpr(c->r, index) << (sib >> 6);
		if ((sib & 7) == 5 && mod == 0) {
			ea += (uint64_t)(int64_t)le32(p);
			p += 4;
		} else {
			base = (sib & 7) | ((d->rex & 1) << 3);
		}
	} else if (rm == 5 && mod == 0) {
		ea = c->r->rip + d->len + (uint64_t)(int64_t)le32(p);	/* RIP-relative */
	} else {
		base = rm | ((d->rex & 1) << 3);
	}
	if (base >= 0)
		ea += gpr(c->r, base) + (base == 4 ? rsp_adjust : 0);
	if (mod == 1)
		ea += (uint64_t)(int64_t)(int8_t)*p;
	else if (mod == 2)
		ea += (uint64_t)(int64_t)le32(p);
	if (d->asz32)
		ea = (uint32_t)ea;
	return ea + c->seg_base;
}

static void mem(struct decoding *c, uint32_t len, int flags)
{
	if (has_memory_operand(c))
		add(c, modrm_address(c, 0), len, flags);
}

static void push(struct decoding *c, uint32_t len)
{
	add(c, c->r->rsp - len, len, W);
}

static void pop(struct decoding *c, uint32_t len)
{
	add(c, c->r->rsp, len, R);
}

/* BT/BTS/BTR/BTC m, r: the register is a signed bit offset from the operand, which may lie
 * far from it: the access is the operand-sized unit holding that bit. */
static void bit_string(struct decoding *c, int flags)
{
	if (!has_memory_operand(c))
		return;
	uint32_t v = opsize(c->d);
	uint64_t off = gpr(c->r, c->reg | ((c->d->rex & 4) << 1));
	int64_t bit = v == 8 ? (int64_t)off : v == 4 ? (int64_t)(int32_t)off : (int64_t)(int16_t)off;
	int64_t unit = bit >> (v == 8 ? 6 : v == 4 ? 5 : 4);	/* floor: GCC shifts arithmetically */
	add(c, modrm_address(c, 0) + (uint64_t)(unit * (int64_t)v), v, flags);
}

/* One iteration of a string instruction: [rsi] with the segment override, [rdi] in ES (base
 * 0). The direction flag only decides where the next iteration goes. A rep prefix with a zero
 * count accesses nothing. */
static void string_op(struct decoding *c, uint32_t len, int src, int dst)
{
	const struct insn64 *d = c->d;
	uint64_t mask = d->asz32 ? 0xffffffffULL : ~0ULL;
	if (d->rep && !(c->r->rcx & mask))
		return;
	if (src)
		add(c, (c->r->rsi & mask) + c->seg_base, len, src);
	if (dst)
		add(c, c->r->rdi & mask, len, dst);
}

/* x87 escapes D8-DF with a memory operand, by opcode and ModRM.reg: bytes (0: invalid or not
 * modelled) and direction. ENV and state sizes are the 32/64-bit-operand ones. */
static const struct {
	uint8_t len, flags;
} x87[8][8] = {
	/* D8 */ { { 4, R }, { 4, R }, { 4, R }, { 4, R }, { 4, R }, { 4, R }, { 4, R }, { 4, R } },
	/* D9 */ { { 4, R }, { 0, 0 }, { 4, W }, { 4, W }, { 28, R }, { 2, R }, { 28, W }, { 2, W } },
	/* DA */ { { 4, R }, { 4, R }, { 4, R }, { 4, R }, { 4, R }, { 4, R }, { 4, R }, { 4, R } },
	/* DB */ { { 4, R }, { 4, W }, { 4, W }, { 4, W }, { 0, 0 }, { 10, R }, { 0, 0 }, { 10, W } },
	/* DC */ { { 8, R }, { 8, R }, { 8, R }, { 8, R }, { 8, R }, { 8, R }, { 8, R }, { 8, R } },
	/* DD */ { { 8, R }, { 8, W }, { 8, W }, { 8, W }, { 108, R }, { 0, 0 }, { 108, W }, { 2, W } },
	/* DE */ { { 2, R }, { 2, R }, { 2, R }, { 2, R }, { 2, R }, { 2, R }, { 2, R }, { 2, R } },
	/* DF */ { { 2, R }, { 2, W }, { 2, W }, { 2, W }, { 10, R }, { 8, R }, { 10, W }, { 8, W } },
};

static int one_byte(struct decoding *c)
{
	const struct insn64 *d = c->d;
	int op = d->op, reg = c->reg;
	uint32_t v = opsize(d), sz = (op & 1) ? v : 1, st = stack_size(d);

	if (op < 0x40) {	/* ALU: r/m,r and r,r/m; CMP (38-3B) only reads */
		if ((op & 7) < 4)
			mem(c, sz, (op & 2) || (op & 0x38) == 0x38 ? R : RW);
		return 0;
	}
	switch (op) {
	case 0x50 ... 0x57: case 0x68: case 0x6a: case 0x9c:
		push(c, st);
		return 0;
	case 0x58 ... 0x5f: case 0x9d:
		pop(c, st);
		return 0;
	case 0x63:	/* MOVSXD reads 32 bits, 16 with 66 and no REX.W */
		mem(c, d->osz16 && !(d->rex & 8) ? 2 : 4, R);
		return 0;
	case 0x69: case 0x6b:
		mem(c, v, R);
		return 0;
	case 0x6c: case 0x6d:	/* INS */
		string_op(c, op & 1 ? (d->osz16 ? 2 : 4) : 1, 0, W);
		return 0;
	case 0x6e: case 0x6f:	/* OUTS */
		string_op(c, op & 1 ? (d->osz16 ? 2 : 4) : 1, R, 0);
		return 0;
	case 0x70 ... 0x7f: case 0x8d: case 0x90 ... 0x99: case 0x9b: case 0x9e: case 0x9f:
	case 0xa8: case 0xa9: case 0xb0 ... 0xbf: case 0xe0 ... 0xe7: case 0xe9: case 0xeb:
	case 0xec ... 0xef: case 0xf4: case 0xf5: case 0xf8 ... 0xfd:
		return 0;	/* no memory (LEA computes an address only) */
	case 0x80: case 0x81: case 0x83:
		mem(c, op == 0x80 ? 1 : v, reg == 7 ? R : RW);
		return 0;
	case 0x84: case 0x85: case 0x8a: case 0x8b:
		mem(c, sz, R);
		return 0;
	case 0x86: case 0x87:
		mem(c, sz, RW);
		return 0;
	case 0x88: case 0x89:
		mem(c, sz, W);
		return 0;
	case 0x8c:	/* MOV r/m16, Sreg: a memory destination is always 16 bits */
		mem(c, 2, W);
		return 0;
	case 0x8e:
		mem(c, 2, R);
		return 0;
	case 0x8f:	/* POP r/m: reads the stack, writes the operand (RSP as base: after) */
		pop(c, st);
		if (has_memory_operand(c))
			add(c, modrm_address(c, st), st, W);
		return 0;
	case 0xa0: case 0xa1: case 0xa2: case 0xa3: {	/* MOV AL/rAX <-> moffs */
		const uint8_t *p = c->b + d->imm_off;
		uint64_t a = (uint32_t)le32(p);
		if (!d->asz32)
			a |= (uint64_t)(uint32_t)le32(p + 4) << 32;
		add(c, a + c->seg_base, sz, op < 0xa2 ? R : W);
		return 0;
	}
	case 0xa4: case 0xa5:
		string_op(c, sz, R, W);		/* MOVS */
		return 0;
	case 0xa6: case 0xa7:
		string_op(c, sz, R, R);		/* CMPS */
		return 0;
	case 0xaa: case 0xab:
		string_op(c, sz, 0, W);		/* STOS */
		return 0;
	case 0xac: case 0xad:
		string_op(c, sz, R, 0);		/* LODS */
		return 0;
	case 0xae: case 0xaf:
		string_op(c, sz, 0, R);		/* SCAS */
		return 0;
	case 0xc0: case 0xc1: case 0xd0 ... 0xd3:
		mem(c, sz, RW);
		return 0;
	case 0xc2: case 0xc3:
		pop(c, st);
		return 0;
	case 0xc6: case 0xc7:
		if (reg != 0)
			return -1;	/* XABORT, XBEGIN */
		mem(c, sz, W);
		return 0;
	case 0xc8:	/* ENTER: nesting levels copy frame pointers, not modelled */
		if (c->b[d->imm_off + 2] & 31)
			return -1;
		push(c, st);
		return 0;
	case 0xc9:	/* LEAVE: RSP = RBP, then POP RBP */
		add(c, c->r->rbp, st, R);
		return 0;
	case 0xca: case 0xcb: {	/* far RET: RIP and CS */
		uint32_t n = d->rex & 8 ? 8 : d->osz16 ? 2 : 4;
		pop(c, 2 * n);
		return 0;
	}
	case 0xcf: {		/* IRET in 64-bit mode: RIP, CS, RFLAGS, RSP, SS */
		uint32_t n = d->rex & 8 ? 8 : d->osz16 ? 2 : 4;
		pop(c, 5 * n);
		return 0;
	}
	case 0xd7: {		/* XLAT */
		uint64_t a = c->r->rbx + (c->r->rax & 0xff);
		add(c, (d->asz32 ? (uint32_t)a : a) + c->seg_base, 1, R);
		return 0;
	}
	case 0xd8 ... 0xdf: {
		uint32_t len = x87[op - 0xd8][reg].len;
		if (!has_memory_operand(c))
			return 0;
		if (!len)
			return -1;
		if (d->osz16 && len >= 28)
			len -= 14;	/* 16-bit operand size: ENV 14 bytes, state 94 */
		mem(c, len, x87[op - 0xd8][reg].flags);
		return 0;
	}
	case 0xe8:
		push(c, 8);
		return 0;
	case 0xf6: case 0xf7:	/* TEST, MUL, IMUL, DIV, IDIV read; NOT, NEG write back */
		mem(c, sz, reg == 2 || reg == 3 ? RW : R);
		return 0;
	case 0xfe:
		if (reg > 1)
			return -1;
		mem(c, 1, RW);
		return 0;
	case 0xff:
		switch (reg) {
		case 0: case 1:
			mem(c, v, RW);
			return 0;
		case 2:		/* CALL r/m64: reads the target, pushes the return address */
			mem(c, 8, R);
			push(c, 8);
			return 0;
		case 4:
			mem(c, 8, R);
			return 0;
		case 6:
			mem(c, st, R);
			push(c, st);
			return 0;
		}
		return -1;	/* far CALL/JMP */
	}
	return -1;
}

static enum sse_prefix sse_prefix(const struct insn64 *d)
{
	return d->rep == 0xf3 ? P_F3 : d->rep == 0xf2 ? P_F2 : d->osz16 ? P_66 : P_NONE;
}

/* Scalar single, scalar double, or a whole XMM register. */
static uint32_t sse_size(enum sse_prefix p)
{
	return p == P_F3 ? 4 : p == P_F2 ? 8 : 16;
}

static int two_byte(struct decoding *c)
{
	const struct insn64 *d = c->d;
	int op = d->op & 0xff, reg = c->reg;
	uint32_t v = opsize(d), st = stack_size(d);
	enum sse_prefix p = sse_prefix(d);
	bool mod3 = !has_memory_operand(c);

	switch (op) {
	case 0x00:	/* SLDT, STR store; LLDT, LTR, VERR, VERW read */
		if (reg > 5)
			return -1;
		mem(c, 2, reg < 2 ? W : R);
		return 0;
	case 0x01:
		if (mod3) {
			switch (c->modrm) {
			case 0xc8: case 0xc9: case 0xca: case 0xcb: case 0xd0: case 0xd1: case 0xd5:
			case 0xd6: case 0xee: case 0xef: case 0xf8: case 0xf9:
				return 0;	/* MONITOR MWAIT CLAC STAC XGETBV XSETBV XEND XTEST
						 * RDPKRU WRPKRU SWAPGS RDTSCP */
			}
			return -1;
		}
		switch (reg) {
		case 0: case 1: mem(c, 10, W); return 0;	/* SGDT, SIDT */
		case 2: case 3: mem(c, 10, R); return 0;	/* LGDT, LIDT */
		case 4: mem(c, 2, W); return 0;			/* SMSW */
		case 6: mem(c, 2, R); return 0;			/* LMSW */
		case 7: return 0;				/* INVLPG */
		}
		return -1;
	case 0x02: case 0x03:	/* LAR, LSL */
		mem(c, 2, R);
		return 0;
	case 0x05: case 0x06: case 0x07: case 0x08: case 0x09: case 0x0b: case 0x0d:
	case 0x18 ... 0x1f: case 0x20 ... 0x23: case 0x30 ... 0x35: case 0x37: case 0x50:
	case 0x71 ... 0x73: case 0x77: case 0x80 ... 0x8f: case 0xa2: case 0xb9: case 0xc5:
	case 0xc8 ... 0xcf: case 0xd7: case 0xff:
		return 0;	/* no memory: system, hints and NOPs, jumps, UD1/UD0, register-only */
	case 0x10: case 0x11:	/* MOVUPS/UPD/SS/SD */
		mem(c, sse_size(p), op == 0x10 ? R : W);
		return 0;
	case 0x12: case 0x16:	/* MOVLPS/LPD/HPS/HPD, MOVDDUP m64; MOVSLDUP/SHDUP m128 */
		mem(c, p == P_F3 ? 16 : 8, R);
		return 0;
	case 0x13: case 0x17:
		mem(c, 8, W);
		return 0;
	case 0x14: case 0x15: case 0x28:	/* UNPCK*, MOVAPS/APD load */
		mem(c, 16, R);
		return 0;
	case 0x29: case 0x2b:			/* MOVAPS/APD store, MOVNTPS/PD */
		mem(c, 16, W);
		return 0;
	case 0x2a:	/* CVTSI2SS/SD r/m32/64; CVTPI2PS/PD mm/m64 */
		mem(c, p == P_F3 || p == P_F2 ? (d->rex & 8 ? 8 : 4) : 8, R);
		return 0;
	case 0x2c: case 0x2d:
		mem(c, p == P_F3 ? 4 : p == P_66 ? 16 : 8, R);
		return 0;
	case 0x2e: case 0x2f:	/* (U)COMISS m32, (U)COMISD m64 */
		mem(c, p == P_66 ? 8 : 4, R);
		return 0;
	case 0x40 ... 0x4f:	/* CMOVcc reads whether or not it moves */
		mem(c, v, R);
		return 0;
	case 0x5a:	/* CVTPS2PD reads m64 */
		mem(c, p == P_NONE ? 8 : sse_size(p), R);
		return 0;
	case 0x5b:
		mem(c, 16, R);
		return 0;
	case 0x51 ... 0x59: case 0x5c ... 0x5f: case 0xc2:
		mem(c, sse_size(p), R);
		return 0;
	case 0x60 ... 0x6b: case 0x74 ... 0x76:	/* MMX m64 (PUNPCKL* m32), SSE2 m128 */
		if (p == P_F3 || p == P_F2)
			return -1;
		mem(c, p == P_66 ? 16 : op <= 0x62 ? 4 : 8, R);
		return 0;
	case 0x6c: case 0x6d: case 0x7c: case 0x7d: case 0xc6: case 0xd0:
		mem(c, 16, R);
		return 0;
	case 0x6e:	/* MOVD/MOVQ mm/xmm, r/m */
		mem(c, d->rex & 8 ? 8 : 4, R);
		return 0;
	case 0x6f: case 0x70:	/* MOVQ mm / MOVDQA / MOVDQU loads; PSHUF* */
		mem(c, p == P_NONE ? 8 : 16, R);
		return 0;
	case 0x7e:	/* MOVD/MOVQ r/m, mm/xmm; F3: MOVQ xmm, m64 */
		if (p == P_F3)
			mem(c, 8, R);
		else
			mem(c, d->rex & 8 ? 8 : 4, W);
		return 0;
	case 0x7f:
		mem(c, p == P_NONE ? 8 : 16, W);
		return 0;
	case 0x90 ... 0x9f:
		mem(c, 1, W);
		return 0;
	case 0xa0: case 0xa8:	/* PUSH FS/GS */
		push(c, st);
		return 0;
	case 0xa1: case 0xa9:
		pop(c, st);
		return 0;
	case 0xa3:
		bit_string(c, R);
		return 0;
	case 0xab: case 0xb3: case 0xbb:
		bit_string(c, RW);
		return 0;
	case 0xa4: case 0xa5: case 0xac: case 0xad:	/* SHLD, SHRD */
		mem(c, v, RW);
		return 0;
	case 0xae:
		if (mod3)
			return 0;	/* fences, RD/WRFS/GSBASE */
		switch (reg) {
		case 0: mem(c, 512, W); return 0;	/* FXSAVE */
		case 1: mem(c, 512, R); return 0;	/* FXRSTOR */
		case 2: mem(c, 4, R); return 0;		/* LDMXCSR */
		case 3: mem(c, 4, W); return 0;		/* STMXCSR */
		case 6: if (p == P_66) return 0; break;	/* CLWB */
		case 7: return 0;			/* CLFLUSH, CLFLUSHOPT */
		}
		return -1;	/* the XSAVE family: size from XCR0 */
	case 0xaf: case 0xbc: case 0xbd:	/* IMUL, BSF/TZCNT, BSR/LZCNT */
		mem(c, v, R);
		return 0;
	case 0xb0: case 0xb1: case 0xc0: case 0xc1:	/* CMPXCHG, XADD */
		mem(c, op & 1 ? v : 1, RW);
		return 0;
	case 0xb2: case 0xb4: case 0xb5:	/* LSS, LFS, LGS: offset then selector */
		mem(c, v + 2, R);
		return 0;
	case 0xb6: case 0xbe:
		mem(c, 1, R);
		return 0;
	case 0xb7: case 0xbf:
		mem(c, 2, R);
		return 0;
	case 0xb8:
		if (p != P_F3)
			return -1;
		mem(c, v, R);		/* POPCNT */
		return 0;
	case 0xba:
		if (reg < 4)
			return -1;
		mem(c, v, reg == 4 ? R : RW);	/* the immediate offset stays in the operand */
		return 0;
	case 0xc3:	/* MOVNTI */
		mem(c, d->rex & 8 ? 8 : 4, W);
		return 0;
	case 0xc4:	/* PINSRW */
		mem(c, 2, R);
		return 0;
	case 0xc7:
		if (mod3)
			return 0;	/* RDRAND, RDSEED, RDPID */
		if (reg != 1)
			return -1;	/* XRSTORS, XSAVEC, XSAVES, VMX */
		mem(c, d->rex & 8 ? 16 : 8, RW);	/* CMPXCHG8B/16B */
		return 0;
	case 0xd6:	/* MOVQ xmm/m64, xmm */
		mem(c, 8, W);
		return 0;
	case 0xe6:
		mem(c, p == P_F3 ? 8 : 16, R);
		return 0;
	case 0xe7:	/* MOVNTQ, MOVNTDQ */
		mem(c, p == P_66 ? 16 : 8, W);
		return 0;
	case 0xf0:
		if (p != P_F2)
			return -1;
		mem(c, 16, R);		/* LDDQU */
		return 0;
	case 0xf7: {	/* MASKMOVQ / MASKMOVDQU: writes the selected bytes at DS:rDI */
		uint64_t a = d->asz32 ? (uint32_t)c->r->rdi : c->r->rdi;
		add(c, a + c->seg_base, p == P_66 ? 16 : 8, W);
		return 0;
	}
	case 0xd1 ... 0xd5: case 0xd8 ... 0xdf: case 0xe0 ... 0xe5: case 0xe8 ... 0xef:
	case 0xf1 ... 0xf6: case 0xf8 ... 0xfe:
		if (p == P_F3 || p == P_F2)
			return -1;
		mem(c, p == P_66 ? 16 : 8, R);
		return 0;
	}
	return -1;
}

static int three_byte(struct decoding *c)
{
	const struct insn64 *d = c->d;
	int op = d->op & 0xff;
	uint32_t v = opsize(d);
	enum sse_prefix p = sse_prefix(d);
	if ((d->op >> 8) == 0x0f38) {
		if (op == 0xf0 || op == 0xf1) {
			if (d->rep == 0xf2)
				mem(c, op == 0xf0 ? 1 : v, R);	/* CRC32 */
			else
				mem(c, v, op == 0xf0 ? R : W);	/* MOVBE */
			return 0;
		}
		if (p == P_NONE) {	/* MMX forms, SHA */
			if (op <= 0x0b || (op >= 0x1c && op <= 0x1e)) {
				mem(c, 8, R);
				return 0;
			}
			if (op >= 0xc8 && op <= 0xcd) {
				mem(c, 16, R);
				return 0;
			}
			return -1;
		}
		if (p != P_66)
			return -1;
		switch (op) {
		case 0x20: case 0x23: case 0x25: case 0x30: case 0x33: case 0x35:
			mem(c, 8, R);	/* PMOVSX/ZX BW, WD, DQ */
			return 0;
		case 0x21: case 0x24: case 0x31: case 0x34:
			mem(c, 4, R);	/* BD, WQ */
			return 0;
		case 0x22: case 0x32:
			mem(c, 2, R);	/* BQ */
			return 0;
		case 0x00 ... 0x0b: case 0x10: case 0x14: case 0x15: case 0x17: case 0x1c ... 0x1e:
		case 0x28 ... 0x2b: case 0x37 ... 0x41: case 0xcf: case 0xdb ... 0xdf:
			mem(c, 16, R);
			return 0;
		}
		return -1;
	}
	if (p == P_NONE && (op == 0x0f || op == 0xcc)) {	/* PALIGNR mm, SHA1RNDS4 */
		mem(c, op == 0x0f ? 8 : 16, R);
		return 0;
	}
	if (p != P_66)
		return -1;
	switch (op) {
	case 0x08: case 0x09: case 0x0c ... 0x0f: case 0x40 ... 0x42: case 0x44:
	case 0x60 ... 0x63: case 0xce: case 0xcf: case 0xdf:
		mem(c, 16, R);
		return 0;
	case 0x0a: mem(c, 4, R); return 0;		/* ROUNDSS */
	case 0x0b: mem(c, 8, R); return 0;		/* ROUNDSD */
	case 0x14: mem(c, 1, W); return 0;		/* PEXTRB */
	case 0x15: mem(c, 2, W); return 0;		/* PEXTRW */
	case 0x16: mem(c, d->rex & 8 ? 8 : 4, W); return 0;	/* PEXTRD/Q */
	case 0x17: mem(c, 4, W); return 0;		/* EXTRACTPS */
	case 0x20: mem(c, 1, R); return 0;		/* PINSRB */
	case 0x21: mem(c, 4, R); return 0;		/* INSERTPS */
	case 0x22: mem(c, d->rex & 8 ? 8 : 4, R); return 0;	/* PINSRD/Q */
	}
	return -1;
}

int insn_access_decode(const uint8_t *bytes, int avail, const struct kvm_regs *regs,
		       const struct kvm_sregs *sregs, struct insn_accesses *out)
{
	struct insn64 d;
	memset(out, 0, sizeof(*out));
	if (!sregs->cs.l || !(sregs->efer & EFER_LMA))
		return 0;
	if (!insn_decode64(bytes, avail, &d))
		return 0;
	struct decoding c = {
		.b = bytes, .d = &d, .r = regs, .out = out,
		.seg_base = d.seg == 0x64 ? sregs->fs.base : d.seg == 0x65 ? sregs->gs.base : 0,
		.modrm = d.has_modrm ? bytes[d.modrm_off] : 0,
	};
	c.reg = (c.modrm >> 3) & 7;
	int rc = d.op <= 0xff ? one_byte(&c) : d.op <= 0x0fff ? two_byte(&c) : three_byte(&c);
	if (rc) {
		memset(out, 0, sizeof(*out));
		return 0;
	}
	return d.len;
}

bool insn_access_hits(const struct insn_accesses *acc, uint64_t addr, uint64_t len, int flags)
{
	for (int i = 0; i < acc->n; i++) {
		const struct insn_access *a = &acc->a[i];
		if ((a->flags & flags) && a->addr < addr + len && addr < a->addr + a->len)
			return true;
	}
	return false;
}
