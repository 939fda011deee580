#include "core/host_kind.h"

#include <stddef.h>
#include <string.h>
#include <unistd.h>

static const char *const names[] = {
	[HOST_UNKNOWN] = "unknown", [HOST_PVM] = "pvm", [HOST_VMX] = "vmx",
	[HOST_SVM] = "svm", [HOST_SOFT] = "soft",
};

/* KVM's backends are modules; the one loaded serves /dev/kvm (a host has one of them). */
static const struct {
	const char *module;
	enum host_kind kind;
} kvm_modules[] = {
	{ "/sys/module/kvm_pvm", HOST_PVM },
	{ "/sys/module/kvm_intel", HOST_VMX },
	{ "/sys/module/kvm_amd", HOST_SVM },
};

enum host_kind host_kind_detect(const char *engine)
{
	if (!strcmp(engine, "soft"))
		return HOST_SOFT;
	for (size_t i = 0; i < sizeof(kvm_modules) / sizeof(kvm_modules[0]); i++)
		if (access(kvm_modules[i].module, F_OK) == 0)
			return kvm_modules[i].kind;
	return HOST_UNKNOWN;
}

const char *host_kind_name(enum host_kind k)
{
	return names[k];
}

int host_kind_parse(const char *name, enum host_kind *k)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(name, names[i])) {
			*k = (enum host_kind)i;
			return 0;
		}
	return -1;
}
