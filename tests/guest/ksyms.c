/* testos: address-to-name lookup over the text symbol table that the second link pass
   embeds (gensyms.sh); the first pass links an empty table of the same shape. */
#include "kernel.h"

extern const u64 ksym_count;
extern const u64 ksym_addrs[];
extern const char *const ksym_names[];
extern char __text_start[], __text_end[], __utext_start[], __utext_end[];

const char *ksym_lookup(u64 addr, u64 *offset)
{
	int in_text = addr >= (u64)__text_start && addr < (u64)__text_end;
	int in_utext = addr >= (u64)__utext_start && addr < (u64)__utext_end;

	if ((!in_text && !in_utext) || !ksym_count || addr < ksym_addrs[0])
		return NULL;
	u64 lo = 0, hi = ksym_count; /* the answer is the last entry <= addr */
	while (hi - lo > 1) {
		u64 mid = lo + (hi - lo) / 2;
		if (ksym_addrs[mid] <= addr)
			lo = mid;
		else
			hi = mid;
	}
	*offset = addr - ksym_addrs[lo];
	return ksym_names[lo];
}
