/* The soft engine's test guest. Loaded at guest physical 0x1000 and entered in 32-bit protected
 * mode (flat CS 0x38, DS/SS 0x18), as a PVH entry is. The test harness builds the page tables
 * (identity 0-8 MiB with one absent page at 0x1ff000; 0xffffffff80000000 -> 0; 0xd0000000 MMIO).
 *
 * Regenerate tests/unit/soft_guest.h after editing:
 *   as --64 -o /tmp/g.o tests/unit/soft_guest.S &&
 *   ld -Ttext=0x1000 --oformat binary -o /tmp/g.bin /tmp/g.o &&
 *   ld -Ttext=0x1000 -e entry32 -o /tmp/g.elf /tmp/g.o &&
 *   (echo '// generated from soft_guest.S, see there'; xxd -i -n soft_guest /tmp/g.bin;
 *    nm -n /tmp/g.elf | awk '$2 ~ /[tT]/ { printf "#define SG_%s 0x%s\n", toupper($3), $1 }') \
 *     > tests/unit/soft_guest.h
 *
 * Every point the harness checks is an `out` to port 0x80 with a step number in AL.
 */
	.set IDT, 0x3000
	.set RESULTS, 0x8000
	.set KSTACK, 0x9000
	.set SYSCALL_STACK, 0x8f00
	.set USTACK, 0x7000

	.text
	.code32
	.globl entry32
entry32:
	lgdt gdt_ptr
	mov $0x18, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov %cr4, %eax
	or $0x20, %eax			/* PAE */
	mov %eax, %cr4
	mov $0x10000, %eax
	mov %eax, %cr3
	mov $0xc0000080, %ecx
	rdmsr
	or $0x901, %eax			/* SCE LME NXE */
	wrmsr
	mov %cr0, %eax
	or $0x80000001, %eax		/* PG PE */
	mov %eax, %cr0
	ljmp $0x10, $entry64

	.code64
entry64:
	mov $0x18, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov $KSTACK, %rsp
	/* IDT: every vector to unexpected, then the ones the tests use. */
	xor %edi, %edi
1:	lea unexpected(%rip), %rsi
	call set_gate
	inc %edi
	cmp $256, %edi
	jne 1b
	mov $14, %edi
	lea pf_handler(%rip), %rsi
	call set_gate
	mov $0x20, %edi
	lea irq_handler(%rip), %rsi
	call set_gate
	lidt idt_ptr(%rip)
	/* TSS: base into its descriptor, RSP0. */
	lea tss(%rip), %rax
	mov %ax, gdt+0x42(%rip)
	shr $16, %rax
	mov %al, gdt+0x44(%rip)
	mov %ah, gdt+0x47(%rip)
	shr $16, %rax
	mov %eax, gdt+0x48(%rip)
	movq $KSTACK, tss+4(%rip)
	mov $0x40, %ax
	ltr %ax
	/* STAR: kernel CS 0x10, user base 0x20 (user CS 0x33, SS 0x2b); LSTAR; SFMASK = IF|TF. */
	mov $0xc0000081, %ecx
	xor %eax, %eax
	mov $0x00200010, %edx
	wrmsr
	mov $0xc0000082, %ecx
	lea syscall_entry(%rip), %rax
	mov %rax, %rdx
	shr $32, %rdx
	wrmsr
	mov $0xc0000084, %ecx
	mov $0x300, %eax
	xor %edx, %edx
	wrmsr
	mov $1, %al			/* step 1: long mode, CPL0 */
	out %al, $0x80
	hlt				/* EXIT_HLT with IF=0 */
	/* MMIO through an identity mapping, then memory through the higher half. */
	mov $0xd0000000, %ebx
	mov (%rbx), %eax
	mov %eax, %r8d
	movl $0x1234, 0x10(%rbx)
	movabs $0xffffffff80001000, %rbx
	mov (%rbx), %r9
	mov $2, %al			/* step 2 */
	out %al, $0x80
	/* To CPL3 with IOPL 3, IF 1. */
	push $0x2b
	push $USTACK
	push $0x3202
	push $0x33
	lea user(%rip), %rax
	push %rax
	iretq

user:
	mov $3, %al			/* step 3: CPL3 */
	out %al, $0x80
	in $0x60, %al			/* the harness answers */
	movzbl %al, %r15d
	mov $42, %eax
	syscall				/* kernel side: step 4 */
after_syscall:
	xor %eax, %eax
	cpuid
	mov $5, %al			/* step 5: cpuid leaf 0 in ebx/ecx/edx */
	out %al, $0x80
pf_insn:
	mov 0x1ff000, %r14		/* #PF: the handler maps the page, step 6 */
	mov $7, %al			/* step 7: r14 holds the page's first quadword */
	out %al, $0x80
	rdtsc
	mov %rax, %r13
	shl $32, %rdx
	or %rdx, %r13
	rdrand %rsi
	mov $8, %al			/* step 8: r13 = TSC, rsi = RDRAND */
	out %al, $0x80
	mov $43, %eax			/* the kernel returns from this one with sysretq */
	syscall
after_sysret:
	mov $9, %al			/* step 9: back at CPL3 */
	out %al, $0x80
	xor %r12d, %r12d
user_loop:
	inc %r12
	add %r12, %r11
	jmp user_loop

syscall_entry:
	cmp $43, %rax
	je 1f
	mov %rsp, %r14
	mov $SYSCALL_STACK, %rsp
	mov %rax, RESULTS+0x100
	mov %rcx, RESULTS+0x108
	mov %r11, RESULTS+0x110
	mov $4, %al			/* step 4: CPL0 after syscall */
	out %al, $0x80
	push $0x2b
	push %r14
	push %r11
	push $0x33
	push %rcx
	iretq
1:	sysretq				/* not under kvm here: PVM shuts down on it */

pf_handler:
	push %rax
	mov %cr2, %rax
	mov %rax, RESULTS+0x00
	mov 8(%rsp), %rax
	mov %rax, RESULTS+0x08		/* error code */
	mov 16(%rsp), %rax
	mov %rax, RESULTS+0x10		/* rip */
	mov 24(%rsp), %rax
	mov %rax, RESULTS+0x18		/* cs */
	mov 32(%rsp), %rax
	mov %rax, RESULTS+0x20		/* rflags */
	mov 40(%rsp), %rax
	mov %rax, RESULTS+0x28		/* rsp */
	mov 48(%rsp), %rax
	mov %rax, RESULTS+0x30		/* ss */
	mov %rsp, RESULTS+0x38
	movq $0x1ff007, 0x13ff8		/* map the page */
	invlpg 0x1ff000
	mov $6, %al			/* step 6: in the #PF handler */
	out %al, $0x80
	pop %rax
	add $8, %rsp
	iretq

irq_handler:
	push %rax
	incq RESULTS+0x40
	mov %rsp, RESULTS+0x48
	mov 8(%rsp), %rax
	mov %rax, RESULTS+0x50		/* rip */
	mov 16(%rsp), %rax
	mov %rax, RESULTS+0x58		/* cs */
	pop %rax
	iretq

unexpected:
	mov $0xee, %al
	out %al, $0x80
	hlt
	jmp unexpected

/* rdi = vector, rsi = handler: a present DPL0 64-bit interrupt gate. */
set_gate:
	mov %rdi, %rax
	shl $4, %rax
	add $IDT, %rax
	mov %rsi, %rdx
	mov %dx, (%rax)
	movw $0x10, 2(%rax)
	movw $0x8e00, 4(%rax)
	shr $16, %rdx
	mov %dx, 6(%rax)
	shr $16, %rdx
	mov %edx, 8(%rax)
	movl $0, 12(%rax)
	ret

	.p2align 3
gdt:
	.quad 0
	.quad 0
	.quad 0x00af9b000000ffff	/* 0x10 kernel code, 64-bit */
	.quad 0x00cf93000000ffff	/* 0x18 kernel data */
	.quad 0x00cffb000000ffff	/* 0x20 user code, 32-bit */
	.quad 0x00cff3000000ffff	/* 0x28 user data */
	.quad 0x00affb000000ffff	/* 0x30 user code, 64-bit */
	.quad 0x00cf9b000000ffff	/* 0x38 kernel code, 32-bit (entry) */
	.quad 0x0000890000000067, 0	/* 0x40 TSS */
gdt_end:
gdt_ptr:
	.word gdt_end - gdt - 1
	.long gdt
	.p2align 3
idt_ptr:
	.word 4095
	.quad IDT
	.p2align 3
tss:
	.space 104

/* Data watchpoints: the harness sets RIP here, at CPL0 or at CPL3 with IOPL 3. WVAR is the
 * watched variable; the w_after_* labels are where a trap after each access reports. */
	.set WVAR, RESULTS+0x200
watch_code:
	mov $WVAR, %ebx
	movl $1, (%rbx)			/* store */
w_after_store:
	mov (%rbx), %eax		/* load */
w_after_load:
	addl $2, 4(%rbx)		/* the next dword */
w_after_next:
	addl $1, (%rbx)			/* read-modify-write */
w_after_rmw:
	xor %ecx, %ecx
1:	inc %ecx
	cmp $50, %ecx
	jne 1b
	mov %ecx, (%rbx)		/* a store after a loop of 150 instructions */
w_after_loop:
	lea -2(%rbx), %rdi
	mov $8, %ecx
	cld
w_stos:
	rep stosb			/* WVAR-2 .. WVAR+5, one byte per iteration */
w_after_stos:
	movabs $0xffffffff80000000 + WVAR, %rsi
	mov (%rsi), %edx		/* the same bytes through another linear address */
w_after_alias:
	mov $0x20, %al			/* step 0x20: done */
	out %al, $0x80
w_done:
	jmp w_done
