/* A tiny PVH guest for the exit and timer benchmarks (tests/bench/run.sh assembles it with
 * `as --defsym` and links it with ld at 1 MiB). It enters 64-bit mode with the first GiB
 * identity mapped and does nothing else: no C, so every instruction it runs is one the
 * measurement is about. (It must leave 32-bit mode: the PVM host delivers an interrupt to
 * 32-bit code but fails to emulate its 32-bit `iret`.) Symbols:
 *   MODE=1 PIO:   COUNT `outb` to port 0x80 (COUNT a multiple of 16), then exit.
 *   MODE=2 TICKS: PIT channel 0 in mode 2 with DIVISOR (1193182/DIVISOR Hz), IRQ0 unmasked,
 *                 `hlt` until TICKS timer interrupts have been taken, then exit.
 *   MODE=3 LOOP:  COUNT iterations of a 5-instruction CPL0 loop (a load, an add, a store to
 *                 a writable and executable page, as kernel data is while Linux boots, a
 *                 decrement and a branch), then exit: the emulators' speed on kernel code.
 * The exit is status 0 written to the debug-exit port 0xf4 (QEMU: isa-debug-exit, status 1).
 * Boots under rewind and under QEMU (-kernel), which both enter at the PVH note's address in
 * flat 32-bit protected mode; the guest loads its own GDT since neither promises one. */

	.section .note.Xen, "a", @note
	.p2align 2
	.long 4			/* name size */
	.long 8			/* descriptor size */
	.long 18		/* XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz "Xen"
	.quad pvh_start

	.text
	.code32
	.globl pvh_start
pvh_start:
	cli
	lgdt gdt_desc
	ljmp $0x08, $1f
1:	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movl $stack_top, %esp

	movl $pml4, %eax
	movl %eax, %cr3
	movl %cr4, %eax
	orl $0x20, %eax			/* PAE */
	movl %eax, %cr4
	movl $0xc0000080, %ecx		/* EFER */
	rdmsr
	orl $0x100, %eax		/* LME */
	wrmsr
	movl %cr0, %eax
	orl $0x80000000, %eax		/* PG */
	movl %eax, %cr0
	ljmp $0x18, $long_mode

	.code64
long_mode:
.if MODE == 3
	movl $COUNT, %ecx
	movl $loop_data, %esi
5:	movq (%rsi), %rax
	addq %rcx, %rax
	movq %rax, 8(%rsi)
	decq %rcx
	jnz 5b
.elseif MODE == 1
	xorl %eax, %eax
	movl $(COUNT / 16), %ecx
	/* Unrolled so that the loop's own emulated instructions are 1/8 of the `outb`s. */
2:	.rept 16
	outb %al, $0x80
	.endr
	decl %ecx
	jnz 2b
.else
	/* The IDT entry for vector 0x20: a 32-bit interrupt gate to irq0 (the split offset
	 * cannot be a link-time constant, so it is filled in here). */
	movl $irq0, %eax
	movw %ax, idt + 0x20 * 16
	shrl $16, %eax
	movw %ax, idt + 0x20 * 16 + 6
	lidt idt_desc

	/* 8259A pair: edge triggered, cascade, vectors 0x20/0x28, only IRQ0 unmasked. */
	movb $0x11, %al
	outb %al, $0x20
	outb %al, $0xa0
	movb $0x20, %al
	outb %al, $0x21
	movb $0x28, %al
	outb %al, $0xa1
	movb $0x04, %al
	outb %al, $0x21
	movb $0x02, %al
	outb %al, $0xa1
	movb $0x01, %al
	outb %al, $0x21
	outb %al, $0xa1
	movb $0xfe, %al
	outb %al, $0x21
	movb $0xff, %al
	outb %al, $0xa1

	/* 8254 channel 0: lobyte/hibyte, mode 2 (rate generator). */
	movb $0x34, %al
	outb %al, $0x43
	movb $(DIVISOR & 0xff), %al
	outb %al, $0x40
	movb $(DIVISOR >> 8), %al
	outb %al, $0x40

	sti
3:	hlt
	cmpl $TICKS, ticks
	jb 3b
	cli
.endif
	xorl %eax, %eax
	outb %al, $0xf4
4:	hlt			/* not reached where port 0xf4 ends the VM */
	jmp 4b

.if MODE == 2
irq0:
	pushq %rax
	incl ticks
	movb $0x20, %al		/* non-specific EOI */
	outb %al, $0x20
	popq %rax
	iretq
.endif

	.data
	.p2align 3
gdt:
	.quad 0
	.quad 0x00cf9a000000ffff	/* 0x08: flat 32-bit code */
	.quad 0x00cf92000000ffff	/* 0x10: flat data */
	.quad 0x00af9a000000ffff	/* 0x18: 64-bit code */
gdt_end:
gdt_desc:
	.word gdt_end - gdt - 1
	.quad gdt

	.p2align 3
idt:
	.fill 0x40, 8, 0		/* vectors 0-0x1f: not present (a fault ends in a shutdown) */
	.word 0, 0x18, 0x8e00, 0	/* vector 0x20: offset filled in at boot (below 4 GiB) */
	.long 0, 0
idt_end:
idt_desc:
	.word idt_end - idt - 1
	.quad idt
ticks:
	.long 0
	/* A page of its own: a store to the page of the GDT traps on a PVM host's kvm. */
	.p2align 12
loop_data:
	.quad 0, 0

	/* The first GiB identity mapped with 2 MiB pages. */
	.p2align 12
pml4:
	.quad pdpt + 0x3		/* present, writable */
	.fill 511, 8, 0
pdpt:
	.quad pd + 0x3
	.fill 511, 8, 0
pd:
	i = 0
	.rept 512
	.quad (i << 21) + 0x83		/* present, writable, 2 MiB page */
	i = i + 1
	.endr

	.bss
	.p2align 4
	.skip 4096
stack_top:
