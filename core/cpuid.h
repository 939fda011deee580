/* The CPUID model: one fixed set of leaves per trace, independent of the host where possible.
 * It hides what the kvm engine cannot make deterministic: RDRAND/RDSEED, the TSC and its
 * deadline timer, x2APIC/APIC, the PMU, and the KVM paravirtual clock. */
#ifndef REWIND_CPUID_H
#define REWIND_CPUID_H
#include <linux/kvm.h>
#include <stdint.h>

#define CPUID_MAX_ENTRIES 32

struct cpuid_model {
	uint32_t nent;
	struct kvm_cpuid_entry2 entries[CPUID_MAX_ENTRIES];
};

/* Fills the fixed model rewind presents to every guest. */
void cpuid_model_default(struct cpuid_model *m);
/* Answers leaf/subleaf from the model (all zeros for leaves it does not define, as a CPU
 * answers a leaf above its maximum with the highest basic leaf's values — documented quirk). */
void cpuid_lookup(const struct cpuid_model *m, uint32_t leaf, uint32_t subleaf, uint32_t out[4]);

#endif
