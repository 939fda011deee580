/*
 * testos: ways into and out of the kernel. Every entry (exception, IRQ, syscall) saves a
 * struct frame on the current kernel stack and calls C with it; C returns the frame to
 * resume, which may be another task's: that is the whole context switch.
 */
#include "defs.h"

	.text

/* Exceptions that push an error code themselves; the others get a 0 for a uniform frame. */
.macro STUB v
	.balign 16
stub_\v:
	.if (\v == 8) || (\v == 10) || (\v == 11) || (\v == 12) || (\v == 13) || (\v == 14) || (\v == 17) || (\v == 21) || (\v == 29) || (\v == 30)
	.else
	pushq $0
	.endif
	pushq $\v
	jmp trap_common
.endm

	.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
	STUB \v
	.endr

/* Saves the general registers below an iret frame + vector + error code, and says where
   each went: a debugger or unwinder can then step from a handler back into whatever the
   trap interrupted. */
.macro PUSH_CFI reg
	pushq \reg
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset \reg, 0
.endm

.macro SAVE_REGS
	PUSH_CFI %rax
	PUSH_CFI %rbx
	PUSH_CFI %rcx
	PUSH_CFI %rdx
	PUSH_CFI %rsi
	PUSH_CFI %rdi
	PUSH_CFI %rbp
	PUSH_CFI %r8
	PUSH_CFI %r9
	PUSH_CFI %r10
	PUSH_CFI %r11
	PUSH_CFI %r12
	PUSH_CFI %r13
	PUSH_CFI %r14
	PUSH_CFI %r15
.endm

/* The unwind rule for a frame: its CFA is the end of the frame (past SS); the
   interrupted RIP and RSP are read from the iret frame. */
trap_common:
	.cfi_startproc simple
	.cfi_signal_frame
	.cfi_def_cfa %rsp, 56		/* vector, error, rip, cs, rflags, rsp, ss */
	.cfi_offset %rip, -40
	.cfi_offset %rsp, -16
	SAVE_REGS
	cld
	movq %rsp, %rdi
	xorl %ebp, %ebp		/* ends frame-pointer backtraces here */
	call trap
	cmpq $SYSCALL_REENTER, FRAME_VECTOR(%rax)
	je syscall_reentry
	movq %rax, %rdi
	.cfi_endproc
	/* fall through */

/* trap_resume(frame): restore a saved context and return into it. Described as a signal
   frame whose caller is the interrupted code, so a debugger stepping backwards out of the
   interrupted code into the return path sees an interrupt, not a call. */
	.globl trap_resume
trap_resume:
	.cfi_startproc simple
	.cfi_signal_frame
	.cfi_def_cfa %rdi, 176		/* 15 registers, vector, error, then the iret frame */
	.cfi_offset %rip, -40
	.cfi_offset %rsp, -16
	movq %rdi, %rsp
	.cfi_def_cfa %rsp, 176
	popq %r15
	.cfi_adjust_cfa_offset -8
	popq %r14
	.cfi_adjust_cfa_offset -8
	popq %r13
	.cfi_adjust_cfa_offset -8
	popq %r12
	.cfi_adjust_cfa_offset -8
	popq %r11
	.cfi_adjust_cfa_offset -8
	popq %r10
	.cfi_adjust_cfa_offset -8
	popq %r9
	.cfi_adjust_cfa_offset -8
	popq %r8
	.cfi_adjust_cfa_offset -8
	popq %rbp
	.cfi_adjust_cfa_offset -8
	popq %rdi
	.cfi_adjust_cfa_offset -8
	popq %rsi
	.cfi_adjust_cfa_offset -8
	popq %rdx
	.cfi_adjust_cfa_offset -8
	popq %rcx
	.cfi_adjust_cfa_offset -8
	popq %rbx
	.cfi_adjust_cfa_offset -8
	popq %rax
	.cfi_adjust_cfa_offset -8
	addq $16, %rsp		/* vector, error */
	.cfi_adjust_cfa_offset -16
	iretq
	.cfi_endproc

/*
 * syscall from CPL3: RCX = user RIP, R11 = user RFLAGS, IF masked by SFMASK, still on the
 * user stack. Build the same frame an interrupt from CPL3 would, so the return is iretq
 * (sysretq shuts the VM down on the PVM host) and a blocked call can be switched away.
 */
	.globl syscall_entry
syscall_entry:
	.cfi_startproc simple
	.cfi_signal_frame
	.cfi_def_cfa %rsp, 0
	.cfi_undefined %rip		/* until the user RIP is in the frame */
	/* A host that runs syscall as a plain jump that stays at CPL3 (the PVM host does)
	   faults here: on fetching this supervisor page, or else on this cli (harmless at
	   CPL0, where SFMASK already cleared IF). trap() completes the entry from the
	   fault's frame. */
	cli
	movq %rsp, syscall_user_rsp(%rip)
	movq syscall_kstack(%rip), %rsp
	pushq $USER_DS
	.cfi_adjust_cfa_offset 8
	pushq syscall_user_rsp(%rip)
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %rsp, 0
	pushq %r11
	.cfi_adjust_cfa_offset 8
	pushq $USER_CS
	.cfi_adjust_cfa_offset 8
	pushq %rcx
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %rip, 0
	pushq $0
	.cfi_adjust_cfa_offset 8
	pushq $SYSCALL_VECTOR
	.cfi_adjust_cfa_offset 8
	SAVE_REGS
.Lsyscall_call:
	movq %rsp, %rdi
	xorl %ebp, %ebp
	call syscall_dispatch
	movq %rax, %rdi
	jmp trap_resume

/* trap() turned a fault at syscall_entry into a system-call frame (RAX), at the same
   place on the kernel stack: dispatch it from the same call site, so that everything
   (backtraces included) looks the same whichever way the call came in. */
syscall_reentry:
	movq $SYSCALL_VECTOR, FRAME_VECTOR(%rax)
	movq %rax, %rsp
	jmp .Lsyscall_call
	.cfi_endproc

/* The idle context: runs at CPL0 with IF=1 (set by its initial frame) when no task can. */
	.globl idle_loop
idle_loop:
	.cfi_startproc simple
	.cfi_def_cfa %rsp, 0
	.cfi_undefined %rip		/* the outermost frame */
	hlt
	jmp idle_loop
	.cfi_endproc

/* One port write: a VM exit under rewind (where pending interrupts are delivered), a
   call boundary under QEMU TCG (where they are taken). The racy workloads rely on it. */
	.globl io_delay
io_delay:
	.cfi_startproc
	outb %al, $0x80
	ret
	.cfi_endproc

	.section .rodata
	.balign 8
	.globl trap_stubs
trap_stubs:
	.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
	.quad stub_\v
	.endr

	.data
	.balign 8
	.globl syscall_kstack
syscall_kstack:			/* top of the current task's kernel stack */
	.quad 0
syscall_user_rsp:		/* scratch: one CPU, and IF=0 until the frame holds it */
	.quad 0

	.section .note.GNU-stack, "", @progbits
