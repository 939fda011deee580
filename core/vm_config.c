#include "core/vm_config.h"
#include "core/vm.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

void vm_config_format(struct vm_config_text *out, const struct vm_config *cfg, int64_t epoch)
{
	int n = snprintf(out->text, sizeof(out->text),
			 "mem=%" PRIu64 "\nengine=%s\nepoch=%" PRId64 "\ncmdline=%s\n", cfg->mem_size,
			 cfg->engine, epoch, cfg->cmdline ? cfg->cmdline : "");
	if (n >= 0 && n < (int)sizeof(out->text))
		n += snprintf(out->text + n, sizeof(out->text) - (size_t)n, "end=guest-time\nhost=%s\n",
			      host_kind_name(cfg->host));
	if (!cfg->legacy_machine && n >= 0 && n < (int)sizeof(out->text))
		n += snprintf(out->text + n, sizeof(out->text) - (size_t)n, "machine=pc-acpi\n");
	if (!cfg->legacy_machine && !cfg->without_pvpanic && n >= 0 && n < (int)sizeof(out->text))
		n += snprintf(out->text + n, sizeof(out->text) - (size_t)n, "pvpanic=1\n");
	if (cfg->chaos && n >= 0 && n < (int)sizeof(out->text))
		n += snprintf(out->text + n, sizeof(out->text) - (size_t)n, "chaos=%" PRIu64 "\n",
			      cfg->chaos_seed);
	out->len = n < (int)sizeof(out->text) ? (size_t)n : sizeof(out->text) - 1;
}

int vm_config_parse(struct vm_config_parsed *out, const void *text, size_t len, char *err,
		    size_t errlen)
{
	memset(out, 0, sizeof(*out));
	const char *p = text, *end = p + len;
	int seen = 0, lineno = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char line[4200];
		lineno++;
		if (n >= sizeof(line)) {
			snprintf(err, errlen, "configuration line %d is too long", lineno);
			return -1;
		}
		memcpy(line, p, n);
		line[n] = 0;
		p += n + (nl ? 1 : 0);
		char *eq = strchr(line, '=');
		if (!eq) {
			snprintf(err, errlen, "configuration line %d has no '='", lineno);
			return -1;
		}
		*eq = 0;
		const char *v = eq + 1;
		char *vend;
		if (!strcmp(line, "mem")) {
			out->mem_size = strtoull(v, &vend, 10);
			if (*vend || !out->mem_size || out->mem_size % PAGE_SIZE)
				goto bad;
			seen |= 1;
		} else if (!strcmp(line, "engine")) {
			if (strcmp(v, "kvm") && strcmp(v, "soft"))
				goto bad;
			strcpy(out->engine, v);
			seen |= 2;
		} else if (!strcmp(line, "epoch")) {
			out->epoch = strtoll(v, &vend, 10);
			if (*vend)
				goto bad;
			seen |= 4;
		} else if (!strcmp(line, "end")) {
			out->end_is_guest_time = !strcmp(v, "guest-time");
		} else if (!strcmp(line, "host")) {
			/* A kind this build does not know is one it cannot stand in for. */
			if (host_kind_parse(v, &out->host))
				out->host = HOST_UNKNOWN;
		} else if (!strcmp(line, "machine")) {
			if (strcmp(v, "pc-acpi"))
				goto bad;
			out->acpi_machine = true;
		} else if (!strcmp(line, "pvpanic")) {
			if (strcmp(v, "1"))
				goto bad;
			out->pvpanic = true;
		} else if (!strcmp(line, "cmdline")) {
			if (strlen(v) >= sizeof(out->cmdline))
				goto bad;
			strcpy(out->cmdline, v);
			seen |= 8;
		}
		continue;
bad:
		snprintf(err, errlen, "configuration line %d: bad value for '%s'", lineno, line);
		return -1;
	}
	if (seen != 15) {
		snprintf(err, errlen, "configuration lacks %s", !(seen & 1) ? "mem" : !(seen & 2) ? "engine" :
				      !(seen & 4) ? "epoch" : "cmdline");
		return -1;
	}
	return 0;
}
