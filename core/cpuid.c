#include "core/cpuid.h"

#include <string.h>

/* Leaf 1 EDX: FPU VME DE PSE MSR PAE MCE CX8 SEP MTRR PGE MCA CMOV PAT PSE36 CLFSH MMX FXSR SSE SSE2.
 * TSC (bit 4) and APIC (bit 9) are deliberately absent: the kvm engine cannot trap RDTSC and
 * rewind has no local APIC. */
#define L1_EDX 0x078bf9efu
/* Leaf 1 ECX: SSE3 SSSE3 CX16 SSE4.1 SSE4.2 POPCNT, and the hypervisor bit (31). No RDRAND (30),
 * x2APIC (21), TSC-deadline (24), PDCM (15, the PMU), XSAVE/OSXSAVE/AVX (state rewind does not
 * carry in every engine). */
#define L1_ECX 0x80982201u
/* Leaf 0x80000001 EDX: SYSCALL (11), NX (20), Page1GB (26), LM (29); ECX: LAHF (0). */
#define EXT1_EDX 0x24100800u
#define EXT1_ECX 0x00000001u

static void add(struct cpuid_model *m, uint32_t leaf, uint32_t index, uint32_t eax, uint32_t ebx,
		uint32_t ecx, uint32_t edx)
{
	struct kvm_cpuid_entry2 *e = &m->entries[m->nent++];
	memset(e, 0, sizeof(*e));
	e->function = leaf;
	e->index = index;
	e->flags = (leaf == 4 || leaf == 7 || leaf == 0xb) ? KVM_CPUID_FLAG_SIGNIFCANT_INDEX : 0;
	e->eax = eax;
	e->ebx = ebx;
	e->ecx = ecx;
	e->edx = edx;
}

static uint32_t str4(const char *s)
{
	return (uint32_t)(uint8_t)s[0] | (uint32_t)(uint8_t)s[1] << 8 | (uint32_t)(uint8_t)s[2] << 16 |
	       (uint32_t)(uint8_t)s[3] << 24;
}

void cpuid_model_default(struct cpuid_model *m)
{
	memset(m, 0, sizeof(*m));
	/* "GenuineIntel", family 6 model 0x3a stepping 9: a plain, long-lived core. */
	add(m, 0, 0, 7, str4("Genu"), str4("ntel"), str4("ineI"));
	add(m, 1, 0, 0x000306a9, 0x00000800 /* CLFLUSH line 64 B */, L1_ECX, L1_EDX);
	/* Leaf 7: no extended features (no RDSEED, no SMEP/SMAP to keep engines alike). */
	add(m, 7, 0, 0, 0, 0, 0);
	/* Hypervisor leaves name rewind and advertise no paravirtual features (no kvmclock). */
	add(m, 0x40000000, 0, 0x40000000, str4("rewi"), str4("ndVM"), str4("M\0\0\0"));
	add(m, 0x80000000, 0, 0x80000008, 0, 0, 0);
	add(m, 0x80000001, 0, 0, 0, EXT1_ECX, EXT1_EDX);
	add(m, 0x80000002, 0, str4("rewi"), str4("nd v"), str4("irtu"), str4("al C"));
	add(m, 0x80000003, 0, str4("PU\0\0"), 0, 0, 0);
	add(m, 0x80000004, 0, 0, 0, 0, 0);
	/* 39 physical, 48 virtual address bits. */
	add(m, 0x80000008, 0, 0x00003027, 0, 0, 0);
}

void cpuid_lookup(const struct cpuid_model *m, uint32_t leaf, uint32_t subleaf, uint32_t out[4])
{
	for (uint32_t i = 0; i < m->nent; i++) {
		const struct kvm_cpuid_entry2 *e = &m->entries[i];
		if (e->function != leaf)
			continue;
		if ((e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) && e->index != subleaf)
			continue;
		out[0] = e->eax;
		out[1] = e->ebx;
		out[2] = e->ecx;
		out[3] = e->edx;
		return;
	}
	out[0] = out[1] = out[2] = out[3] = 0;
}
