/* The VM configuration as it travels inside a trace or a snapshot: "key=value" lines.
 * Everything a replay needs to rebuild the same machine, including the RTC's epoch. */
#ifndef REWIND_VM_CONFIG_H
#define REWIND_VM_CONFIG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/host_kind.h"

struct vm_config;

struct vm_config_text {
	char text[8192];
	size_t len;
};

struct vm_config_parsed {
	uint64_t mem_size;
	char engine[8];
	char cmdline[4096];
	int64_t epoch;
	/* The final blob's guest time is the last guest time the machine saw (traces written
	 * since 2026-12-07); before, it was the host's time at close, which no replay reaches. */
	bool end_is_guest_time;
	/* The kind of host that ran the recording (`host=`, since 2026-12-07); HOST_UNKNOWN in
	 * older traces. */
	enum host_kind host;
	/* "machine=pc-acpi": the machine has ACPI tables, PM registers and PCI configuration
	 * ports (written since 2026-12-07); without the line, the legacy machine before them. */
	bool acpi_machine;
	/* "pvpanic=1": the ACPI machine has the pvpanic device (written since 2026-12-08). */
	bool pvpanic;
};

void vm_config_format(struct vm_config_text *out, const struct vm_config *cfg, int64_t epoch);
/* Returns 0, or -1 with a message naming the bad line. */
int vm_config_parse(struct vm_config_parsed *out, const void *text, size_t len, char *err,
		    size_t errlen);

#endif
