/* The kind of host an engine runs guest code on. It decides what the guest sees where hosts
 * differ (docs/platform.md: PVM's SYSCALL stays at CPL3 and enters the kernel through a page
 * fault), so a trace names the kind that recorded it (`host=` in its configuration), and a
 * soft engine standing in for a kvm recording behaves as that kind did. */
#ifndef REWIND_HOST_KIND_H
#define REWIND_HOST_KIND_H

enum host_kind {
	HOST_UNKNOWN,	/* not named: traces written before 2026-12-07 */
	HOST_PVM,	/* /dev/kvm served by kvm_pvm (no VT-x/AMD-V) */
	HOST_VMX,	/* kvm_intel */
	HOST_SVM,	/* kvm_amd */
	HOST_SOFT,	/* the soft engine */
};

/* The kind that runs an engine named `engine` ("kvm" or "soft") on this machine: for kvm,
 * the module that serves /dev/kvm. */
enum host_kind host_kind_detect(const char *engine);
const char *host_kind_name(enum host_kind k);
/* Returns 0 and *k, or -1 for a name no kind has. */
int host_kind_parse(const char *name, enum host_kind *k);

#endif
