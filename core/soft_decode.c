/* Instruction lengths for counting whole translation blocks (soft_engine.c): a block of user
 * code is counted at its start, so the engine needs where each instruction in it begins (an
 * exception in the middle retires only those before it) and whether the block holds one the
 * engine must see run on its own. 64-bit mode only; anything this decoder does not know makes
 * the block count instruction by instruction, which is always exact. */
#include "core/insn_access.h"
#include "core/soft_priv.h"

#include <string.h>

bool insn_legacy_prefix(uint8_t b)
{
	switch (b) {
	case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64: case 0x65:
	case 0x66: case 0x67: case 0xf0: case 0xf2: case 0xf3:
		return true;
	}
	return false;
}

/* Opcodes after 0F. Returns -1 for an unknown one, else sets *modrm, *imm, *special. */
static int two_byte(uint8_t op, bool osz16, bool *modrm, int *imm, bool *special)
{
	*modrm = true;
	switch (op) {
	case 0x00: case 0x01: case 0x20: case 0x21: case 0x22: case 0x23: case 0xc7:
		*special = true;	/* system instructions, MSR/CR/DR moves, RDRAND/RDSEED */
		return 0;
	case 0x05: case 0x07: case 0x30: case 0x31: case 0x32: case 0x33: case 0x34: case 0x35:
		*special = true;	/* SYSCALL, SYSRET, WRMSR, RDTSC, RDMSR, RDPMC, SYSENTER/EXIT */
		*modrm = false;
		return 0;
	case 0x06: case 0x08: case 0x09: case 0x0b: case 0x77: case 0xa0: case 0xa1:
	case 0xa2: case 0xa8: case 0xa9:
	case 0xc8: case 0xc9: case 0xca: case 0xcb: case 0xcc: case 0xcd: case 0xce: case 0xcf:
		*modrm = false;
		return 0;
	case 0x80: case 0x81: case 0x82: case 0x83: case 0x84: case 0x85: case 0x86: case 0x87:
	case 0x88: case 0x89: case 0x8a: case 0x8b: case 0x8c: case 0x8d: case 0x8e: case 0x8f:
		if (osz16)
			return -1;	/* 16-bit displacement: left to the exact path */
		*modrm = false;
		*imm = 4;
		return 0;
	case 0x70: case 0x71: case 0x72: case 0x73: case 0xa4: case 0xac: case 0xba:
	case 0xc2: case 0xc4: case 0xc5: case 0xc6:
		*imm = 1;
		return 0;
	case 0x04: case 0x0a: case 0x0c: case 0x0e: case 0x0f: case 0x24: case 0x25: case 0x26:
	case 0x27: case 0x36: case 0x37: case 0x39: case 0x3b: case 0x3c: case 0x3d: case 0x3e:
	case 0x3f: case 0x78: case 0x79: case 0x7a: case 0x7b: case 0xa6: case 0xa7: case 0xaa:
	case 0xb9: case 0xff:
		return -1;
	}
	return 0;
}

int insn_decode64(const uint8_t *b, int avail, struct insn64 *d)
{
	int i = 0, imm = 0;
	bool osz16 = false, asz32 = false, rexw = false, modrm = false;
	bool *special = &d->special;
	memset(d, 0, sizeof(*d));
	while (i < avail && i < 15 && insn_legacy_prefix(b[i])) {
		osz16 |= b[i] == 0x66;
		asz32 |= b[i] == 0x67;
		if (b[i] == 0xf2 || b[i] == 0xf3)
			d->rep = b[i];
		else if (b[i] != 0x66 && b[i] != 0x67 && b[i] != 0xf0)
			d->seg = b[i];
		i++;
	}
	d->osz16 = osz16;
	d->asz32 = asz32;
	if (i < avail && (b[i] & 0xf0) == 0x40)
		d->rex = b[i++];
	rexw = d->rex & 8;
	if (i >= avail)
		return 0;
	uint8_t op = b[i++];
	int z = osz16 ? 2 : 4;
	d->op = op;
	if (op == 0x0f) {
		if (i >= avail)
			return 0;
		uint8_t op2 = b[i++];
		d->op = 0x0f00 | op2;
		if (op2 == 0x38 || op2 == 0x3a) {
			if (i >= avail)
				return 0;
			d->op = (op2 == 0x38 ? 0x0f3800 : 0x0f3a00) | b[i++];
			modrm = true;
			imm = op2 == 0x3a;
		} else if (two_byte(op2, osz16, &modrm, &imm, special)) {
			return 0;
		}
	} else if (op < 0x40) {
		switch (op & 7) {
		case 0: case 1: case 2: case 3: modrm = true; break;
		case 4: imm = 1; break;
		case 5: imm = z; break;
		default: return 0;	/* invalid in 64-bit mode, or a prefix in the wrong place */
		}
	} else {
		switch (op) {
		case 0x50 ... 0x5f: case 0x90 ... 0x99: case 0x9b: case 0x9c: case 0x9e: case 0x9f:
		case 0xa4 ... 0xa7: case 0xaa ... 0xaf: case 0xc3: case 0xc9: case 0xd7:
		case 0xf5: case 0xf8: case 0xf9: case 0xfa: case 0xfc: case 0xfd:
			break;
		case 0x63: case 0x84 ... 0x8d: case 0xd0 ... 0xd3: case 0xd8 ... 0xdf: case 0xfe:
			modrm = true;
			break;
		case 0x8f:
			if (i >= avail || (b[i] & 0x38))
				return 0;	/* XOP */
			modrm = true;
			break;
		case 0x68: imm = z; break;
		case 0x69: modrm = true; imm = z; break;
		case 0x6a: case 0x70 ... 0x7f: case 0xa8: case 0xb0 ... 0xb7: case 0xe0 ... 0xe3:
		case 0xeb:
			imm = 1;
			break;
		case 0x6b: case 0x80: case 0x83: case 0xc0: case 0xc1: case 0xc6:
			modrm = true;
			imm = 1;
			break;
		case 0x81: case 0xc7: modrm = true; imm = z; break;
		case 0xa0 ... 0xa3: imm = asz32 ? 4 : 8; break;
		case 0xa9: imm = z; break;
		case 0xb8 ... 0xbf: imm = rexw ? 8 : z; break;
		case 0xc2: imm = 2; break;
		case 0xc8: imm = 3; break;
		case 0xe8: case 0xe9:
			if (osz16)
				return 0;
			imm = 4;
			break;
		case 0xf6: case 0xf7:
			if (i >= avail)
				return 0;
			modrm = true;
			if (((b[i] >> 3) & 7) < 2)
				imm = op == 0xf6 ? 1 : z;
			break;
		case 0xff:
			if (i >= avail)
				return 0;
			modrm = true;
			*special = ((b[i] >> 3) & 7) == 3 || ((b[i] >> 3) & 7) == 5;	/* far call/jmp */
			break;
		case 0x8e:	/* segment loads: MOV SS opens an interrupt shadow */
			modrm = true;
			*special = true;
			break;
		case 0x6c ... 0x6f: case 0x9d: case 0xca: case 0xcb: case 0xcc: case 0xcf: case 0xec ... 0xef:
		case 0xf1: case 0xf4: case 0xfb:
			/* I/O, POPF (IF), far returns, INT3, IRET, INT1, HLT, STI */
			*special = true;
			imm = op == 0xca ? 2 : 0;
			break;
		case 0xcd: case 0xe4 ... 0xe7:
			*special = true;
			imm = 1;
			break;
		default:
			return 0;	/* VEX/EVEX (Unicorn has no AVX), and what 64-bit mode lacks */
		}
	}
	if (modrm) {
		if (i >= avail)
			return 0;
		d->has_modrm = true;
		d->modrm_off = (uint8_t)i;
		uint8_t m = b[i++];
		int mod = m >> 6, rm = m & 7, disp = 0;
		if (mod != 3) {
			if (rm == 4) {
				if (i >= avail)
					return 0;
				if (mod == 0 && (b[i] & 7) == 5)
					disp = 4;
				i++;
			}
			if (mod == 0 && rm == 5)
				disp = 4;
			else if (mod == 1)
				disp = 1;
			else if (mod == 2)
				disp = 4;
		}
		i += disp;
	}
	d->imm_off = (uint8_t)i;
	i += imm;
	d->len = i <= avail && i <= 15 ? i : 0;
	return d->len;
}
