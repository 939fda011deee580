/*
 * testos: PVH entry. The VMM (rewind, or QEMU's PVH option ROM) enters pvh_start in 32-bit
 * protected mode with paging off and EBX = physical address of struct hvm_start_info.
 * Everything the switch to long mode needs (page tables, GDT) is static data, so the
 * emulated CPL0 path from entry to kmain is a few dozen instructions.
 */
#include "defs.h"

#define XEN_ELFNOTE_PHYS32_ENTRY 18

/* QEMU reads the descriptor after aligning the name to the PT_NOTE's p_align: keep it 4. */
	.section .note.Xen, "a", @note
	.balign 4
	.long 4				/* namesz: "Xen\0" */
	.long 8				/* descsz: a 64-bit address, as Linux writes it */
	.long XEN_ELFNOTE_PHYS32_ENTRY
	.asciz "Xen"
	.balign 4
	.quad pvh_start
	.balign 4

	.section .text.boot, "ax"
	.code32
	.globl pvh_start
pvh_start:
	cli
	movl %ebx, boot_info_paddr
	lgdt gdt_ptr
	movl $pml4, %eax
	movl %eax, %cr3
	movl %cr4, %eax
	orl $CR4_PAE, %eax
	movl %eax, %cr4
	movl $MSR_EFER, %ecx
	rdmsr
	orl $(EFER_LME | EFER_SCE), %eax
	wrmsr
	movl %cr0, %eax
	orl $(CR0_PG | CR0_WP | CR0_PE), %eax
	movl %eax, %cr0
	ljmp $KERNEL_CS, $long_start

	.code64
long_start:
	movl $KERNEL_DS, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	xorl %eax, %eax
	movl %eax, %fs
	movl %eax, %gs
	movq $boot_stack_top, %rsp
	xorl %ebp, %ebp
	movl boot_info_paddr, %edi
	call kmain
	ud2

	.data
	.balign 8
boot_info_paddr:
	.quad 0

	.globl gdt, gdt_ptr
gdt:
	.quad 0				/* 0x00 null */
	.quad 0x00cf9b000000ffff	/* 0x08 kernel 32-bit code (unused) */
	.quad 0x00af9b000000ffff	/* 0x10 kernel code, L=1 */
	.quad 0x00cf93000000ffff	/* 0x18 kernel data */
	.quad 0x00cffb000000ffff	/* 0x23 user 32-bit code */
	.quad 0x00cff3000000ffff	/* 0x2b user data */
	.quad 0x00affb000000ffff	/* 0x33 user code, L=1 */
	.quad 0				/* 0x38 unused, as in Linux */
	.quad 0, 0			/* 0x40 TSS: cpu_init fills in the base */
gdt_end:
gdt_ptr:
	.word gdt_end - gdt - 1
	.quad gdt

/*
 * Identity map of the first GiB. 0-2 MiB uses 4 KiB pages so that page 0 can be made
 * not-present once the boot information is read (NULL dereferences must fault); the
 * kernel lives there, supervisor-only. 4-6 MiB is the user region (U/S=1); the rest are
 * supervisor 2 MiB pages. Upper levels carry U/S=1 so that the leaves decide.
 */
	.balign 4096
	.globl pml4, pt_low
pml4:
	.quad pdpt + PTE_P + PTE_W + PTE_U
	.fill 511, 8, 0
pdpt:
	.quad pd + PTE_P + PTE_W + PTE_U
	.fill 511, 8, 0
pd:
	.quad pt_low + PTE_P + PTE_W + PTE_U
	.set i, 1
	.rept 511
	.if (i << 21) == USER_BASE
	.quad (i << 21) + PTE_P + PTE_W + PTE_U + PTE_PS
	.else
	.quad (i << 21) + PTE_P + PTE_W + PTE_PS
	.endif
	.set i, i + 1
	.endr
pt_low:
	.set i, 0
	.rept 512
	.quad (i << 12) + PTE_P + PTE_W
	.set i, i + 1
	.endr

	.bss
	.balign 16
	.skip 16384
boot_stack_top:

	.section .note.GNU-stack, "", @progbits
