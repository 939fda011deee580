/* The memory an x86-64 instruction is about to access, decoded from its bytes and the
 * registers: for read and access watchpoints where the CPU does not check data breakpoints
 * (the kvm engine on PVM, docs/platform.md). The caller single-steps; before each step it asks
 * which guest-linear bytes the instruction will read or write, and stops after the step when
 * they overlap a watched range.
 *
 * 64-bit mode only (CS.L = 1). One step is one instruction, or one iteration of a rep string
 * instruction, and the ranges are those of that step. Accesses made by the CPU itself are not
 * listed: page walks, descriptor-table loads, interrupt and exception delivery.
 *
 * "Unknown" (insn_access_decode() returns 0): an instruction this decoder does not model
 * (VEX/EVEX, INT n, far transfers, XSAVE family, VMX, 3DNow!, anything invalid in 64-bit mode,
 * another CPU mode). The caller must then assume the instruction may have read and written
 * anything it cannot rule out otherwise, e.g. compare the watched bytes before and after for
 * writes and report a possible read. */
#ifndef REWIND_INSN_ACCESS_H
#define REWIND_INSN_ACCESS_H
#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>

#define INSN_READ 1
#define INSN_WRITE 2

struct insn_access {
	uint64_t addr;	/* guest-linear: FS/GS base added, wrapped to 32 bits under a 67 prefix */
	uint32_t len;	/* bytes */
	uint8_t flags;	/* INSN_READ, INSN_WRITE or both (read-modify-write) */
};

#define INSN_ACCESS_MAX 2	/* MOVS, CMPS, PUSH m, POP m, CALL m: two */

struct insn_accesses {
	int n;		/* 0: the instruction accesses no memory */
	struct insn_access a[INSN_ACCESS_MAX];
};

/* Decodes the instruction at regs->rip from `bytes` (avail >= its length; 15 is always enough)
 * and fills *out with the memory it accesses in this step. Returns the instruction's length,
 * or 0 when it is unknown (see above; *out is then empty). */
int insn_access_decode(const uint8_t *bytes, int avail, const struct kvm_regs *regs,
		       const struct kvm_sregs *sregs, struct insn_accesses *out);

/* True when an access in acc overlaps [addr, addr+len) with a flag in `flags` (INSN_WRITE
 * for a write watchpoint, INSN_READ | INSN_WRITE for an access watchpoint). */
bool insn_access_hits(const struct insn_accesses *acc, uint64_t addr, uint64_t len, int flags);

/* The instruction's encoding, as core/soft_decode.c finds it (that file counts the soft
 * engine's blocks with the same decoder). 64-bit mode. */
struct insn64 {
	uint8_t len;		/* 0: not decoded */
	uint8_t rex;		/* the REX byte, 0 if none */
	uint8_t rep;		/* 0xf2, 0xf3 or 0 */
	uint8_t seg;		/* the last segment prefix (0x26 0x2e 0x36 0x3e 0x64 0x65) or 0 */
	bool osz16, asz32;	/* 66 and 67 prefixes */
	bool has_modrm;
	uint8_t modrm_off;	/* offset of the ModRM byte */
	uint8_t imm_off;	/* offset of the immediate (after any displacement) */
	int op;			/* xx, 0x0fxx, 0x0f38xx or 0x0f3axx */
	bool special;		/* the soft engine must see it run on its own: it answers it, or it
				 * changes privilege, paging, or the interrupt flag or shadow */
};

/* Returns the length of the instruction at b (avail bytes readable) and fills *d, or 0 when
 * the decoder does not know it. */
int insn_decode64(const uint8_t *b, int avail, struct insn64 *d);
/* Whether b is a legacy prefix (segment, 66, 67, LOCK, REP/REPNE). */
bool insn_legacy_prefix(uint8_t b);

#endif
