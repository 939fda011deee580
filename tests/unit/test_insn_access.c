/* core/insn_access.c: the memory each instruction accesses, on byte sequences assembled with
 * `as --64` (the assembly is each case's name), against registers set below; and the same
 * table against what Unicorn (QEMU's TCG) accesses running each instruction. */
#include "core/insn_access.h"
#include "tests/unit/check.h"

#include <string.h>
#include <unicorn/unicorn.h>

#define FS_BASE 0x7f0000000000ULL
#define GS_BASE 0xffff880000000000ULL

struct access_case {
	const char *insn;
	uint8_t bytes[15];
	int len;
	int n;		/* -1: unknown */
	struct insn_access a[INSN_ACCESS_MAX];
};

static const struct access_case cases[] = {
	{ "mov %eax, (%rbx)", { 0x89, 0x03 }, 2, 1, { { 0x2000ULL, 4, INSN_WRITE } } },
	{ "mov (%rbx), %rax", { 0x48, 0x8b, 0x03 }, 3, 1, { { 0x2000ULL, 8, INSN_READ } } },
	{ "mov %al, 8(%rbx)", { 0x88, 0x43, 0x08 }, 3, 1, { { 0x2008ULL, 1, INSN_WRITE } } },
	{ "mov %ax, -4(%rbp)", { 0x66, 0x89, 0x45, 0xfc }, 4, 1, { { 0x9ffcULL, 2, INSN_WRITE } } },
	{ "movq $7, 0x100(%rbx)", { 0x48, 0xc7, 0x83, 0x00, 0x01, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00 }, 11, 1, { { 0x2100ULL, 8, INSN_WRITE } } },
	{ "add %ecx, (%rbx)", { 0x01, 0x0b }, 2, 1, { { 0x2000ULL, 4, INSN_READ | INSN_WRITE } } },
	{ "add (%rbx), %ecx", { 0x03, 0x0b }, 2, 1, { { 0x2000ULL, 4, INSN_READ } } },
	{ "adc %cl, (%rbx)", { 0x10, 0x0b }, 2, 1, { { 0x2000ULL, 1, INSN_READ | INSN_WRITE } } },
	{ "cmp %ecx, (%rbx)", { 0x39, 0x0b }, 2, 1, { { 0x2000ULL, 4, INSN_READ } } },
	{ "cmp (%rbx), %rcx", { 0x48, 0x3b, 0x0b }, 3, 1, { { 0x2000ULL, 8, INSN_READ } } },
	{ "addl $1, (%rbx)", { 0x83, 0x03, 0x01 }, 3, 1, { { 0x2000ULL, 4, INSN_READ | INSN_WRITE } } },
	{ "orb $1, (%rbx)", { 0x80, 0x0b, 0x01 }, 3, 1, { { 0x2000ULL, 1, INSN_READ | INSN_WRITE } } },
	{ "cmpq $5, (%rbx)", { 0x48, 0x83, 0x3b, 0x05 }, 4, 1, { { 0x2000ULL, 8, INSN_READ } } },
	{ "test %eax, (%rbx)", { 0x85, 0x03 }, 2, 1, { { 0x2000ULL, 4, INSN_READ } } },
	{ "testb $1, (%rbx)", { 0xf6, 0x03, 0x01 }, 3, 1, { { 0x2000ULL, 1, INSN_READ } } },
	{ "incl (%rbx)", { 0xff, 0x03 }, 2, 1, { { 0x2000ULL, 4, INSN_READ | INSN_WRITE } } },
	{ "decq (%rbx)", { 0x48, 0xff, 0x0b }, 3, 1, { { 0x2000ULL, 8, INSN_READ | INSN_WRITE } } },
	{ "incb (%rbx)", { 0xfe, 0x03 }, 2, 1, { { 0x2000ULL, 1, INSN_READ | INSN_WRITE } } },
	{ "notw (%rbx)", { 0x66, 0xf7, 0x13 }, 3, 1, { { 0x2000ULL, 2, INSN_READ | INSN_WRITE } } },
	{ "negb (%rbx)", { 0xf6, 0x1b }, 2, 1, { { 0x2000ULL, 1, INSN_READ | INSN_WRITE } } },
	{ "mull (%rbx)", { 0xf7, 0x23 }, 2, 1, { { 0x2000ULL, 4, INSN_READ } } },
	{ "idivq (%rbx)", { 0x48, 0xf7, 0x3b }, 3, 1, { { 0x2000ULL, 8, INSN_READ } } },
	{ "shll $3, (%rbx)", { 0xc1, 0x23, 0x03 }, 3, 1, { { 0x2000ULL, 4, INSN_READ | INSN_WRITE } } },
	{ "shrq (%rbx)", { 0x48, 0xd1, 0x2b }, 3, 1, { { 0x2000ULL, 8, INSN_READ | INSN_WRITE } } },
	{ "sarl %cl, (%rbx)", { 0xd3, 0x3b }, 2, 1, { { 0x2000ULL, 4, INSN_READ | INSN_WRITE } } },
	{ "rolb $1, (%rbx)", { 0xd0, 0x03 }, 2, 1, { { 0x2000ULL, 1, INSN_READ | INSN_WRITE } } },
	{ "lea 8(%rbx,%rcx,4), %rax", { 0x48, 0x8d, 0x44, 0x8b, 0x08 }, 5, 0, {  } },
	{ "mov %rax, %rbx", { 0x48, 0x89, 0xc3 }, 3, 0, {  } },
	{ "movzbl (%rbx), %eax", { 0x0f, 0xb6, 0x03 }, 3, 1, { { 0x2000ULL, 1, INSN_READ } } },
	{ "movzwl (%rbx), %eax", { 0x0f, 0xb7, 0x03 }, 3, 1, { { 0x2000ULL, 2, INSN_READ } } },
	{ "movsbq (%rbx), %rax", { 0x48, 0x0f, 0xbe, 0x03 }, 4, 1, { { 0x2000ULL, 1, INSN_READ } } },
	{ "movswl (%rbx), %eax", { 0x0f, 0xbf, 0x03 }, 3, 1, { { 0x2000ULL, 2, INSN_READ } } },
	{ "movslq (%rbx), %rax", { 0x48, 0x63, 0x03 }, 3, 1, { { 0x2000ULL, 4, INSN_READ } } },
	{ "cmove (%rbx), %rax", { 0x48, 0x0f, 0x44, 0x03 }, 4, 1, { { 0x2000ULL, 8, INSN_READ } } },
	{ "sete (%rbx)", { 0x0f, 0x94, 0x03 }, 3, 1, { { 0x2000ULL, 1, INSN_WRITE } } },
	{ "xchg %eax, (%rbx)", { 0x87, 0x03 }, 2, 1, { { 0x2000ULL, 4, INSN_READ | INSN_WRITE } } },
	{ "lock cmpxchg %rcx, (%rbx)", { 0xf0, 0x48, 0x0f, 0xb1, 0x0b }, 5, 1, { { 0x2000ULL, 8, INSN_READ | INSN_WRITE } } },
	{ "xadd %eax, (%rbx)", { 0x0f, 0xc1, 0x03 }, 3, 1, { { 0x2000ULL, 4, INSN_READ | INSN_WRITE } } },
	{ "cmpxchg8b (%rbx)", { 0x0f, 0xc7, 0x0b }, 3, 1, { { 0x2000ULL, 8, INSN_READ | INSN_WRITE } } },
	{ "cmpxchg16b (%rbx)", { 0x48, 0x0f, 0xc7, 0x0b }, 4, 1, { { 0x2000ULL, 16, INSN_READ | INSN_WRITE } } },
	{ "imul $3, (%rbx), %eax", { 0x6b, 0x03, 0x03 }, 3, 1, { { 0x2000ULL, 4, INSN_READ } } },
	{ "imul (%rbx), %rax", { 0x48, 0x0f, 0xaf, 0x03 }, 4, 1, { { 0x2000ULL, 8, INSN_READ } } },
	{ "bsf (%rbx), %eax", { 0x0f, 0xbc, 0x03 }, 3, 1, { { 0x2000ULL, 4, INSN_READ } } },
	{ "popcnt (%rbx), %rax", { 0xf3, 0x48, 0x0f, 0xb8, 0x03 }, 5, 1, { { 0x2000ULL, 8, INSN_READ } } },
	{ "shld $3, %eax, (%rbx)", { 0x0f, 0xa4, 0x03, 0x03 }, 4, 1, { { 0x2000ULL, 4, INSN_READ | INSN_WRITE } } },
	{ "btsl $5, (%rbx)", { 0x0f, 0xba, 0x2b, 0x05 }, 4, 1, { { 0x2000ULL, 4, INSN_READ | INSN_WRITE } } },
	{ "bt %eax, (%rbx)", { 0x0f, 0xa3, 0x03 }, 3, 1, { { 0x2200ULL, 4, INSN_READ } } },
	{ "btc %rcx, (%rbx)", { 0x48, 0x0f, 0xbb, 0x0b }, 4, 1, { { 0x2000ULL, 8, INSN_READ | INSN_WRITE } } },
	{ "movbe (%rbx), %eax", { 0x0f, 0x38, 0xf0, 0x03 }, 4, 1, { { 0x2000ULL, 4, INSN_READ } } },
	{ "movbe %eax, (%rbx)", { 0x0f, 0x38, 0xf1, 0x03 }, 4, 1, { { 0x2000ULL, 4, INSN_WRITE } } },
	{ "crc32b (%rbx), %eax", { 0xf2, 0x0f, 0x38, 0xf0, 0x03 }, 5, 1, { { 0x2000ULL, 1, INSN_READ } } },
	{ "lss (%rbx), %esp", { 0x0f, 0xb2, 0x23 }, 3, 1, { { 0x2000ULL, 6, INSN_READ } } },
	{ "movnti %rax, (%rbx)", { 0x48, 0x0f, 0xc3, 0x03 }, 4, 1, { { 0x2000ULL, 8, INSN_WRITE } } },
	{ "mov %ds, (%rbx)", { 0x8c, 0x1b }, 2, 1, { { 0x2000ULL, 2, INSN_WRITE } } },
	{ "mov (%rbx), %ds", { 0x8e, 0x1b }, 2, 1, { { 0x2000ULL, 2, INSN_READ } } },
	{ "mov (%rbx,%rcx,8), %eax", { 0x8b, 0x04, 0xcb }, 3, 1, { { 0x2018ULL, 4, INSN_READ } } },
	{ "mov 0x10(%rax,%rdx,2), %eax", { 0x8b, 0x44, 0x50, 0x10 }, 4, 1, { { 0x1040ULL, 4, INSN_READ } } },
	{ "mov (%r12,%r13,1), %eax", { 0x43, 0x8b, 0x04, 0x2c }, 4, 1, { { 0x190000ULL, 4, INSN_READ } } },
	{ "mov 0x100(,%rcx,4), %eax", { 0x8b, 0x04, 0x8d, 0x00, 0x01, 0x00, 0x00 }, 7, 1, { { 0x10cULL, 4, INSN_READ } } },
	{ "mov 0x1234, %eax", { 0x8b, 0x04, 0x25, 0x34, 0x12, 0x00, 0x00 }, 7, 1, { { 0x1234ULL, 4, INSN_READ } } },
	{ "mov (%rsp), %rax", { 0x48, 0x8b, 0x04, 0x24 }, 4, 1, { { 0x9000ULL, 8, INSN_READ } } },
	{ "mov 8(%r13), %rax", { 0x49, 0x8b, 0x45, 0x08 }, 4, 1, { { 0xd0008ULL, 8, INSN_READ } } },
	{ "mov -0x1000(%rbp), %rax", { 0x48, 0x8b, 0x85, 0x00, 0xf0, 0xff, 0xff }, 7, 1, { { 0x9000ULL, 8, INSN_READ } } },
	{ "mov 0x100(%rip), %eax", { 0x8b, 0x05, 0x00, 0x01, 0x00, 0x00 }, 6, 1, { { 0x400106ULL, 4, INSN_READ } } },
	{ "movl $5, -0x20(%rip)", { 0xc7, 0x05, 0xe0, 0xff, 0xff, 0xff, 0x05, 0x00, 0x00, 0x00 }, 10, 1, { { 0x3fffeaULL, 4, INSN_WRITE } } },
	{ "mov (%ebx), %eax", { 0x67, 0x8b, 0x03 }, 3, 1, { { 0x2000ULL, 4, INSN_READ } } },
	{ "mov (%r9d), %eax", { 0x67, 0x41, 0x8b, 0x01 }, 4, 1, { { 0x10ULL, 4, INSN_READ } } },
	{ "mov -0x20(%ebx), %eax", { 0x67, 0x8b, 0x43, 0xe0 }, 4, 1, { { 0x1fe0ULL, 4, INSN_READ } } },
	{ "mov %fs:(%rbx), %rax", { 0x64, 0x48, 0x8b, 0x03 }, 4, 1, { { 0x7f0000002000ULL, 8, INSN_READ } } },
	{ "mov %gs:0x28, %rax", { 0x65, 0x48, 0x8b, 0x04, 0x25, 0x28, 0x00, 0x00, 0x00 }, 9, 1, { { 0xffff880000000028ULL, 8, INSN_READ } } },
	{ "mov %eax, %gs:8(%rax)", { 0x65, 0x89, 0x40, 0x08 }, 4, 1, { { 0xffff880000001018ULL, 4, INSN_WRITE } } },
	{ "mov %ds:(%rbx), %eax", { 0x8b, 0x03 }, 2, 1, { { 0x2000ULL, 4, INSN_READ } } },
	{ "mov %fs:0x10(%rip), %eax", { 0x64, 0x8b, 0x05, 0x10, 0x00, 0x00, 0x00 }, 7, 1, { { 0x7f0000400017ULL, 4, INSN_READ } } },
	{ "movabs 0x1122334455667788, %al", { 0xa0, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11 }, 9, 1, { { 0x1122334455667788ULL, 1, INSN_READ } } },
	{ "movabs %eax, 0x1122334455667788", { 0xa3, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11 }, 9, 1, { { 0x1122334455667788ULL, 4, INSN_WRITE } } },
	{ "movabs %fs:0x10, %rax", { 0x64, 0x48, 0xa1, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 }, 11, 1, { { 0x7f0000000010ULL, 8, INSN_READ } } },
	{ "movsb", { 0xa4 }, 1, 2, { { 0x5000ULL, 1, INSN_READ }, { 0x6000ULL, 1, INSN_WRITE } } },
	{ "movsq", { 0x48, 0xa5 }, 2, 2, { { 0x5000ULL, 8, INSN_READ }, { 0x6000ULL, 8, INSN_WRITE } } },
	{ "movsw", { 0x66, 0xa5 }, 2, 2, { { 0x5000ULL, 2, INSN_READ }, { 0x6000ULL, 2, INSN_WRITE } } },
	{ "rep movsb", { 0xf3, 0xa4 }, 2, 2, { { 0x5000ULL, 1, INSN_READ }, { 0x6000ULL, 1, INSN_WRITE } } },
	{ "fs movsb", { 0x64, 0xa4 }, 2, 2, { { 0x7f0000005000ULL, 1, INSN_READ }, { 0x6000ULL, 1, INSN_WRITE } } },
	{ "cmpsb", { 0xa6 }, 1, 2, { { 0x5000ULL, 1, INSN_READ }, { 0x6000ULL, 1, INSN_READ } } },
	{ "repne scasb", { 0xf2, 0xae }, 2, 1, { { 0x6000ULL, 1, INSN_READ } } },
	{ "lodsl", { 0xad }, 1, 1, { { 0x5000ULL, 4, INSN_READ } } },
	{ "stosw", { 0x66, 0xab }, 2, 1, { { 0x6000ULL, 2, INSN_WRITE } } },
	{ "rep stosq", { 0xf3, 0x48, 0xab }, 3, 1, { { 0x6000ULL, 8, INSN_WRITE } } },
	{ "insb", { 0x6c }, 1, 1, { { 0x6000ULL, 1, INSN_WRITE } } },
	{ "outsl", { 0x6f }, 1, 1, { { 0x5000ULL, 4, INSN_READ } } },
	{ "xlat", { 0xd7 }, 1, 1, { { 0x2010ULL, 1, INSN_READ } } },
	{ "push %rax", { 0x50 }, 1, 1, { { 0x8ff8ULL, 8, INSN_WRITE } } },
	{ "push %r12", { 0x41, 0x54 }, 2, 1, { { 0x8ff8ULL, 8, INSN_WRITE } } },
	{ "pushw %ax", { 0x66, 0x50 }, 2, 1, { { 0x8ffeULL, 2, INSN_WRITE } } },
	{ "pop %rax", { 0x58 }, 1, 1, { { 0x9000ULL, 8, INSN_READ } } },
	{ "push $1", { 0x6a, 0x01 }, 2, 1, { { 0x8ff8ULL, 8, INSN_WRITE } } },
	{ "push $0x12345", { 0x68, 0x45, 0x23, 0x01, 0x00 }, 5, 1, { { 0x8ff8ULL, 8, INSN_WRITE } } },
	{ "pushq (%rbx)", { 0xff, 0x33 }, 2, 2, { { 0x2000ULL, 8, INSN_READ }, { 0x8ff8ULL, 8, INSN_WRITE } } },
	{ "popq (%rbx)", { 0x8f, 0x03 }, 2, 2, { { 0x9000ULL, 8, INSN_READ }, { 0x2000ULL, 8, INSN_WRITE } } },
	{ "popq 8(%rsp)", { 0x8f, 0x44, 0x24, 0x08 }, 4, 2, { { 0x9000ULL, 8, INSN_READ }, { 0x9010ULL, 8, INSN_WRITE } } },
	{ "pushf", { 0x9c }, 1, 1, { { 0x8ff8ULL, 8, INSN_WRITE } } },
	{ "popf", { 0x9d }, 1, 1, { { 0x9000ULL, 8, INSN_READ } } },
	{ "push %fs", { 0x0f, 0xa0 }, 2, 1, { { 0x8ff8ULL, 8, INSN_WRITE } } },
	{ "call .+0x105", { 0xe8, 0x00, 0x01, 0x00, 0x00 }, 5, 1, { { 0x8ff8ULL, 8, INSN_WRITE } } },
	{ "call *%rax", { 0xff, 0xd0 }, 2, 1, { { 0x8ff8ULL, 8, INSN_WRITE } } },
	{ "call *(%rbx)", { 0xff, 0x13 }, 2, 2, { { 0x2000ULL, 8, INSN_READ }, { 0x8ff8ULL, 8, INSN_WRITE } } },
	{ "jmp *8(%rbx)", { 0xff, 0x63, 0x08 }, 3, 1, { { 0x2008ULL, 8, INSN_READ } } },
	{ "ret", { 0xc3 }, 1, 1, { { 0x9000ULL, 8, INSN_READ } } },
	{ "ret $16", { 0xc2, 0x10, 0x00 }, 3, 1, { { 0x9000ULL, 8, INSN_READ } } },
	{ "leave", { 0xc9 }, 1, 1, { { 0xa000ULL, 8, INSN_READ } } },
	{ "enter $16, $0", { 0xc8, 0x10, 0x00, 0x00 }, 4, 1, { { 0x8ff8ULL, 8, INSN_WRITE } } },
	{ "iretq", { 0x48, 0xcf }, 2, 1, { { 0x9000ULL, 40, INSN_READ } } },
	{ "lret", { 0xcb }, 1, 1, { { 0x9000ULL, 8, INSN_READ } } },
	{ "movdqa (%rbx), %xmm0", { 0x66, 0x0f, 0x6f, 0x03 }, 4, 1, { { 0x2000ULL, 16, INSN_READ } } },
	{ "movdqa %xmm0, (%rbx)", { 0x66, 0x0f, 0x7f, 0x03 }, 4, 1, { { 0x2000ULL, 16, INSN_WRITE } } },
	{ "movdqu 0x10(%rbx), %xmm7", { 0xf3, 0x0f, 0x6f, 0x7b, 0x10 }, 5, 1, { { 0x2010ULL, 16, INSN_READ } } },
	{ "movdqu %xmm9, (%rbx)", { 0xf3, 0x44, 0x0f, 0x7f, 0x0b }, 5, 1, { { 0x2000ULL, 16, INSN_WRITE } } },
	{ "movaps (%rbx), %xmm1", { 0x0f, 0x28, 0x0b }, 3, 1, { { 0x2000ULL, 16, INSN_READ } } },
	{ "movaps %xmm1, (%rbx)", { 0x0f, 0x29, 0x0b }, 3, 1, { { 0x2000ULL, 16, INSN_WRITE } } },
	{ "movups (%rbx), %xmm1", { 0x0f, 0x10, 0x0b }, 3, 1, { { 0x2000ULL, 16, INSN_READ } } },
	{ "movups %xmm1, (%rbx)", { 0x0f, 0x11, 0x0b }, 3, 1, { { 0x2000ULL, 16, INSN_WRITE } } },
	{ "movupd %xmm1, (%rbx)", { 0x66, 0x0f, 0x11, 0x0b }, 4, 1, { { 0x2000ULL, 16, INSN_WRITE } } },
	{ "movss (%rbx), %xmm0", { 0xf3, 0x0f, 0x10, 0x03 }, 4, 1, { { 0x2000ULL, 4, INSN_READ } } },
	{ "movsd %xmm0, (%rbx)", { 0xf2, 0x0f, 0x11, 0x03 }, 4, 1, { { 0x2000ULL, 8, INSN_WRITE } } },
	{ "movq (%rbx), %xmm0", { 0xf3, 0x0f, 0x7e, 0x03 }, 4, 1, { { 0x2000ULL, 8, INSN_READ } } },
	{ "movq %xmm0, (%rbx)", { 0x66, 0x0f, 0xd6, 0x03 }, 4, 1, { { 0x2000ULL, 8, INSN_WRITE } } },
	{ "movd (%rbx), %xmm0", { 0x66, 0x0f, 0x6e, 0x03 }, 4, 1, { { 0x2000ULL, 4, INSN_READ } } },
	{ "movd %xmm0, (%rbx)", { 0x66, 0x0f, 0x7e, 0x03 }, 4, 1, { { 0x2000ULL, 4, INSN_WRITE } } },
	{ "movq %rax, %xmm0", { 0x66, 0x48, 0x0f, 0x6e, 0xc0 }, 5, 0, {  } },
	{ "movq (%rbx), %mm0", { 0x0f, 0x6f, 0x03 }, 3, 1, { { 0x2000ULL, 8, INSN_READ } } },
	{ "movq %mm0, (%rbx)", { 0x0f, 0x7f, 0x03 }, 3, 1, { { 0x2000ULL, 8, INSN_WRITE } } },
	{ "movlps (%rbx), %xmm0", { 0x0f, 0x12, 0x03 }, 3, 1, { { 0x2000ULL, 8, INSN_READ } } },
	{ "movhps %xmm0, (%rbx)", { 0x0f, 0x17, 0x03 }, 3, 1, { { 0x2000ULL, 8, INSN_WRITE } } },
	{ "movntdq %xmm0, (%rbx)", { 0x66, 0x0f, 0xe7, 0x03 }, 4, 1, { { 0x2000ULL, 16, INSN_WRITE } } },
	{ "addps (%rbx), %xmm0", { 0x0f, 0x58, 0x03 }, 3, 1, { { 0x2000ULL, 16, INSN_READ } } },
	{ "addss (%rbx), %xmm0", { 0xf3, 0x0f, 0x58, 0x03 }, 4, 1, { { 0x2000ULL, 4, INSN_READ } } },
	{ "pxor (%rbx), %xmm0", { 0x66, 0x0f, 0xef, 0x03 }, 4, 1, { { 0x2000ULL, 16, INSN_READ } } },
	{ "pmovzxbw (%rbx), %xmm0", { 0x66, 0x0f, 0x38, 0x30, 0x03 }, 5, 1, { { 0x2000ULL, 8, INSN_READ } } },
	{ "pshufb (%rbx), %xmm0", { 0x66, 0x0f, 0x38, 0x00, 0x03 }, 5, 1, { { 0x2000ULL, 16, INSN_READ } } },
	{ "pextrd $1, %xmm0, (%rbx)", { 0x66, 0x0f, 0x3a, 0x16, 0x03, 0x01 }, 6, 1, { { 0x2000ULL, 4, INSN_WRITE } } },
	{ "pinsrq $1, (%rbx), %xmm0", { 0x66, 0x48, 0x0f, 0x3a, 0x22, 0x03, 0x01 }, 7, 1, { { 0x2000ULL, 8, INSN_READ } } },
	{ "ldmxcsr (%rbx)", { 0x0f, 0xae, 0x13 }, 3, 1, { { 0x2000ULL, 4, INSN_READ } } },
	{ "fxsave (%rbx)", { 0x0f, 0xae, 0x03 }, 3, 1, { { 0x2000ULL, 512, INSN_WRITE } } },
	{ "flds (%rbx)", { 0xd9, 0x03 }, 2, 1, { { 0x2000ULL, 4, INSN_READ } } },
	{ "fstpl (%rbx)", { 0xdd, 0x1b }, 2, 1, { { 0x2000ULL, 8, INSN_WRITE } } },
	{ "fldt (%rbx)", { 0xdb, 0x2b }, 2, 1, { { 0x2000ULL, 10, INSN_READ } } },
	{ "fnstcw (%rbx)", { 0xd9, 0x3b }, 2, 1, { { 0x2000ULL, 2, INSN_WRITE } } },
	{ "fildll (%rbx)", { 0xdf, 0x2b }, 2, 1, { { 0x2000ULL, 8, INSN_READ } } },
	{ "fistps (%rbx)", { 0xdf, 0x1b }, 2, 1, { { 0x2000ULL, 2, INSN_WRITE } } },
	{ "fadd %st(1), %st", { 0xd8, 0xc1 }, 2, 0, {  } },
	{ "sgdt (%rbx)", { 0x0f, 0x01, 0x03 }, 3, 1, { { 0x2000ULL, 10, INSN_WRITE } } },
	{ "lidt (%rbx)", { 0x0f, 0x01, 0x1b }, 3, 1, { { 0x2000ULL, 10, INSN_READ } } },
	{ "ltr (%rbx)", { 0x0f, 0x00, 0x1b }, 3, 1, { { 0x2000ULL, 2, INSN_READ } } },
	{ "str (%rbx)", { 0x0f, 0x00, 0x0b }, 3, 1, { { 0x2000ULL, 2, INSN_WRITE } } },
	{ "invlpg (%rbx)", { 0x0f, 0x01, 0x3b }, 3, 0, {  } },
	{ "nopl 0(%rax)", { 0x0f, 0x1f, 0x00 }, 3, 0, {  } },
	{ "prefetcht0 (%rbx)", { 0x0f, 0x18, 0x0b }, 3, 0, {  } },
	{ "clflush (%rbx)", { 0x0f, 0xae, 0x3b }, 3, 0, {  } },
	{ "nop", { 0x90 }, 1, 0, {  } },
	{ "int $0x80", { 0xcd, 0x80 }, 2, -1, {} },
	{ "int3", { 0xcc }, 1, -1, {} },
	{ "ljmp *(%rbx)", { 0xff, 0x2b }, 2, -1, {} },
	{ "lcall *(%rbx)", { 0xff, 0x1b }, 2, -1, {} },
	{ "xsave (%rbx)", { 0x0f, 0xae, 0x23 }, 3, -1, {} },
	{ "vmovdqa (%rbx), %ymm0", { 0xc5, 0xfd, 0x6f, 0x03 }, 4, -1, {} },
	{ "enter $16, $1", { 0xc8, 0x10, 0x00, 0x01 }, 4, -1, {} },
};

static void set_regs(struct kvm_regs *r, struct kvm_sregs *sr)
{
	memset(r, 0, sizeof(*r));
	memset(sr, 0, sizeof(*sr));
	r->rax = 0x1010;
	r->rcx = 3;
	r->rdx = 0x10;
	r->rbx = 0x2000;
	r->rsp = 0x9000;
	r->rbp = 0xa000;
	r->rsi = 0x5000;
	r->rdi = 0x6000;
	r->r9 = 0x100000010ULL;
	r->r12 = 0xc0000;
	r->r13 = 0xd0000;
	r->rip = 0x400000;
	r->rflags = 2;
	sr->cs.l = 1;
	sr->efer = 0x500;	/* LME LMA */
	sr->fs.base = FS_BASE;
	sr->gs.base = GS_BASE;
}

/* Decodes b as the instruction at RIP, with 15 readable bytes as a caller reading guest
 * memory has (the rest zero). */
static int decode(const uint8_t *b, int len, const struct kvm_regs *r, const struct kvm_sregs *sr,
		  struct insn_accesses *acc)
{
	uint8_t buf[15] = { 0 };
	memcpy(buf, b, (size_t)len);
	return insn_access_decode(buf, 15, r, sr, acc);
}

static bool same_access(const struct insn_access *x, const struct insn_access *y)
{
	return x->addr == y->addr && x->len == y->len && x->flags == y->flags;
}

TEST(every_case_of_the_table)
{
	struct kvm_regs r;
	struct kvm_sregs sr;
	struct insn_accesses acc;
	int bad = 0;
	set_regs(&r, &sr);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct access_case *c = &cases[i];
		int len = decode(c->bytes, c->len, &r, &sr, &acc);
		bool ok = c->n < 0 ? len == 0 && acc.n == 0 : len == c->len && acc.n == c->n;
		for (int k = 0; ok && k < acc.n; k++)
			ok = same_access(&acc.a[k], &c->a[k]);
		if (ok)
			continue;
		bad++;
		printf("  %s: length %d, %d accesses:", c->insn, len, acc.n);
		for (int k = 0; k < acc.n; k++)
			printf(" %#llx+%u/%d", (unsigned long long)acc.a[k].addr, acc.a[k].len,
			       acc.a[k].flags);
		printf(" (expected length %d, %d accesses)\n", c->n < 0 ? 0 : c->len, c->n);
	}
	CHECK_EQ(bad, 0);
}

/* One iteration per step: a zero count accesses nothing (ECX under a 67 prefix), and the
 * direction flag does not move the current element. */
TEST(string_instructions_one_iteration)
{
	static const uint8_t rep_movsb[] = { 0xf3, 0xa4 }, rep_a32_movsb[] = { 0xf3, 0x67, 0xa4 };
	static const uint8_t lodsq[] = { 0x48, 0xad };
	struct kvm_regs r;
	struct kvm_sregs sr;
	struct insn_accesses acc;
	set_regs(&r, &sr);
	r.rcx = 0;
	CHECK_EQ(decode(rep_movsb, 2, &r, &sr, &acc), 2);
	CHECK_EQ(acc.n, 0);
	r.rcx = 0x100000000ULL;	/* ECX = 0, RCX not */
	CHECK_EQ(decode(rep_a32_movsb, 3, &r, &sr, &acc), 3);
	CHECK_EQ(acc.n, 0);
	CHECK_EQ(decode(rep_movsb, 2, &r, &sr, &acc), 2);
	CHECK_EQ(acc.n, 2);
	r.rsi = 0x100005000ULL;	/* 67: ESI */
	r.rcx = 1;
	CHECK_EQ(decode(rep_a32_movsb, 3, &r, &sr, &acc), 3);
	CHECK_EQ(acc.a[0].addr, 0x5000);
	r.rflags |= 1 << 10;	/* DF */
	r.rsi = 0x5008;
	CHECK_EQ(decode(lodsq, 2, &r, &sr, &acc), 2);
	CHECK_EQ(acc.n, 1);
	CHECK_EQ(acc.a[0].addr, 0x5008);
	CHECK_EQ(acc.a[0].len, 8);
	CHECK_EQ(acc.a[0].flags, INSN_READ);
}

/* BT with a register offset reaches the unit holding the bit, before the operand too. */
TEST(bit_string_offsets)
{
	static const uint8_t bt64[] = { 0x48, 0x0f, 0xa3, 0x0b };	/* bt %rcx, (%rbx) */
	static const uint8_t bts16[] = { 0x66, 0x0f, 0xab, 0x0b };	/* bts %cx, (%rbx) */
	struct kvm_regs r;
	struct kvm_sregs sr;
	struct insn_accesses acc;
	set_regs(&r, &sr);
	r.rcx = (uint64_t)-1;
	CHECK_EQ(decode(bt64, 4, &r, &sr, &acc), 4);
	CHECK_EQ(acc.a[0].addr, 0x2000 - 8);
	r.rcx = 130;
	CHECK_EQ(decode(bt64, 4, &r, &sr, &acc), 4);
	CHECK_EQ(acc.a[0].addr, 0x2000 + 16);
	r.rcx = 0xffff;		/* CX = -1: the word before */
	CHECK_EQ(decode(bts16, 4, &r, &sr, &acc), 4);
	CHECK_EQ(acc.a[0].addr, 0x2000 - 2);
	CHECK_EQ(acc.a[0].len, 2);
	CHECK_EQ(acc.a[0].flags, INSN_READ | INSN_WRITE);
}

TEST(other_modes_and_truncated_bytes_are_unknown)
{
	static const uint8_t store[] = { 0x89, 0x03 };	/* mov %eax, (%rbx) */
	struct kvm_regs r;
	struct kvm_sregs sr;
	struct insn_accesses acc;
	set_regs(&r, &sr);
	CHECK_EQ(insn_access_decode(store, 1, &r, &sr, &acc), 0);
	CHECK_EQ(insn_access_decode(store, 2, &r, &sr, &acc), 2);
	sr.cs.l = 0;	/* compatibility mode */
	CHECK_EQ(insn_access_decode(store, 2, &r, &sr, &acc), 0);
	CHECK_EQ(acc.n, 0);
}

TEST(hits_by_overlap_and_direction)
{
	struct insn_accesses acc = { .n = 2,
				     .a = { { 0x5000, 8, INSN_READ }, { 0x6000, 4, INSN_WRITE } } };
	CHECK(insn_access_hits(&acc, 0x5007, 1, INSN_READ | INSN_WRITE));
	CHECK(!insn_access_hits(&acc, 0x5008, 8, INSN_READ | INSN_WRITE));
	CHECK(!insn_access_hits(&acc, 0x4ff8, 8, INSN_READ));
	CHECK(!insn_access_hits(&acc, 0x5000, 8, INSN_WRITE));
	CHECK(insn_access_hits(&acc, 0x5ffc, 8, INSN_WRITE));
}

struct recorded {
	int n;
	struct insn_access a[64];
};

static void record_access(uc_engine *uc, uc_mem_type type, uint64_t addr, int size, int64_t value,
			  void *user)
{
	struct recorded *rec = user;
	(void)uc;
	(void)value;
	if (rec->n < 64)
		rec->a[rec->n++] = (struct insn_access){ .addr = addr, .len = (uint32_t)size,
							 .flags = type == UC_MEM_WRITE ? INSN_WRITE : INSN_READ };
}

static bool map_on_demand(uc_engine *uc, uc_mem_type type, uint64_t addr, int size, int64_t value,
			  void *user)
{
	(void)type;
	(void)size;
	(void)value;
	(void)user;
	return uc_mem_map(uc, addr & ~0xfffULL, 0x1000, UC_PROT_ALL) == UC_ERR_OK;
}

/* Runs one case's instruction in Unicorn (CPL0, 64-bit, no paging) with the registers of
 * set_regs(); returns Unicorn's result and the accesses it made. */
static uc_err run_in_unicorn(const struct access_case *c, struct recorded *rec)
{
	struct kvm_regs r;
	struct kvm_sregs sr;
	uc_engine *uc;
	uc_hook h;
	set_regs(&r, &sr);
	const struct { int id; uint64_t v; } regs[] = {
		{ UC_X86_REG_RAX, r.rax }, { UC_X86_REG_RCX, r.rcx }, { UC_X86_REG_RDX, r.rdx },
		{ UC_X86_REG_RBX, r.rbx }, { UC_X86_REG_RSP, r.rsp }, { UC_X86_REG_RBP, r.rbp },
		{ UC_X86_REG_RSI, r.rsi }, { UC_X86_REG_RDI, r.rdi }, { UC_X86_REG_R9, r.r9 },
		{ UC_X86_REG_R12, r.r12 }, { UC_X86_REG_R13, r.r13 },
		{ UC_X86_REG_FS_BASE, sr.fs.base }, { UC_X86_REG_GS_BASE, sr.gs.base },
		{ UC_X86_REG_CR4, 0x600 },	/* OSFXSR, OSXMMEXCPT: SSE */
	};
	memset(rec, 0, sizeof(*rec));
	if (uc_open(UC_ARCH_X86, UC_MODE_64, &uc))
		return UC_ERR_HANDLE;
	uc_ctl_set_cpu_model(uc, UC_CPU_X86_SKYLAKE_SERVER);
	/* Memory hooks see physical addresses; with paging off Unicorn's MMU cuts them to 52 bits.
	 * Its virtual TLB without a fill hook maps every address to itself: the linear one. */
	uc_ctl_tlb_mode(uc, UC_TLB_VIRTUAL);
	uc_mem_map(uc, r.rip, 0x1000, UC_PROT_ALL);
	uc_mem_write(uc, r.rip, c->bytes, (size_t)c->len);
	for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
		uc_reg_write(uc, regs[i].id, &regs[i].v);
	uc_hook_add(uc, &h, UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE, (void *)record_access, rec, 1, 0);
	uc_hook_add(uc, &h, UC_HOOK_MEM_UNMAPPED, (void *)map_on_demand, NULL, 1, 0);
	uc_err err = uc_emu_start(uc, r.rip, r.rip + (uint64_t)c->len, 0, 1);
	uc_close(uc);
	return err;
}

/* Every access Unicorn makes lies in a decoded range of its direction; when the instruction
 * completes, every decoded range was accessed. Some cases
 * fault after their accesses (IDIV by zero, IRET and far RET of a made-up frame). */
TEST(table_matches_unicorn)
{
	int bad = 0, compared = 0;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct access_case *c = &cases[i];
		struct recorded rec;
		bool used[INSN_ACCESS_MAX] = { false };
		int missed = 0, unused = 0;
		if (c->n < 0)
			continue;
		uc_err err = run_in_unicorn(c, &rec);
		if (err == UC_ERR_INSN_INVALID && rec.n == 0)
			continue;
		compared++;
		for (int k = 0; k < rec.n; k++) {
			bool in = false;
			for (int j = 0; j < c->n; j++) {
				const struct insn_access *a = &c->a[j];
				if (rec.a[k].addr >= a->addr && rec.a[k].addr + rec.a[k].len <= a->addr + a->len &&
				    (a->flags & rec.a[k].flags))
					in = used[j] = true;
			}
			missed += !in;
		}
		for (int j = 0; j < c->n && err == UC_ERR_OK; j++)
			unused += !used[j];
		if (missed || unused) {
			bad++;
			printf("  %s: unicorn made %d accesses outside the decoded ranges; %d ranges unused\n",
			       c->insn, missed, unused);
		}
	}
	CHECK_EQ(bad, 0);
	CHECK(compared > 150);
}

RUN_TESTS(T(every_case_of_the_table), T(table_matches_unicorn), T(string_instructions_one_iteration),
	  T(bit_string_offsets), T(other_modes_and_truncated_bytes_are_unknown),
	  T(hits_by_overlap_and_direction))
