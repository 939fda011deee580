/* Architectural bits of x86 control registers, EFER and RFLAGS (Intel SDM vol. 3, ch. 2). */
#ifndef REWIND_X86_H
#define REWIND_X86_H

#define CR0_PE 1ULL
#define CR0_ET (1ULL << 4)
#define CR0_WP (1ULL << 16)
#define CR0_PG (1ULL << 31)

#define CR4_TSD (1ULL << 2)
#define CR4_PSE (1ULL << 4)
#define CR4_PAE (1ULL << 5)
#define CR4_PGE (1ULL << 7)
#define CR4_LA57 (1ULL << 12)

#define EFER_SCE 1ULL
#define EFER_LME (1ULL << 8)
#define EFER_LMA (1ULL << 10)
#define EFER_NXE (1ULL << 11)

/* CF PF AF ZF SF OF: the flags some instructions leave undefined (OF after a shift by more
 * than one, SF ZF AF PF after a multiply), where CPUs and emulators differ. */
#define RFLAGS_ARITH 0x8d5ULL
#define RFLAGS_TF (1ULL << 8)
#define RFLAGS_IF (1ULL << 9)
#define RFLAGS_NT (1ULL << 14)
#define RFLAGS_RF (1ULL << 16)
#define RFLAGS_VM (1ULL << 17)

#define PTE_USER (1ULL << 2)	/* U/S: user-mode accesses allowed */

#endif
