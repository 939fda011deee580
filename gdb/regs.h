/* The register file gdb sees, and the target description (target.xml) that names it, both
 * generated from one table so the 'g' packet layout and the XML cannot disagree. The layout is
 * gdb's amd64 one (org.gnu.gdb.i386.core, .sse, .segments) plus a feature of our own,
 * org.rewind.x86.sys, for cr0, cr2, cr3, cr4, cr8 and efer. */
#ifndef REWIND_GDB_REGS_H
#define REWIND_GDB_REGS_H
#include <linux/kvm.h>
#include <stddef.h>
#include <stdint.h>

struct gdb_regfile {
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_fpu fpu;
};

enum { GDB_REG_RSP = 7, GDB_REG_RBP = 6, GDB_REG_RIP = 16 };

int gdb_reg_count(void);
/* Size in bytes of register n on the wire, 0 when n is out of range. */
int gdb_reg_size(int n);
/* Total size of the 'g' packet's register block. */
int gdb_regs_size(void);
/* True for the x87/SSE registers, which live in struct kvm_fpu. */
int gdb_reg_is_fpu(int n);
void gdb_reg_get(const struct gdb_regfile *rf, int n, uint8_t *out);
void gdb_reg_set(struct gdb_regfile *rf, int n, const uint8_t *in);
/* Writes target.xml into buf; returns its length, or 0 if cap is too small. */
size_t gdb_target_xml(char *buf, size_t cap);

#endif
