/* testos: boot. kmain runs once on the boot stack, sets the machine up, and hands the
   CPU to the scheduler. */
#include "kernel.h"

#define HVM_START_MAGIC 0x336ec578
#define CMDLINE_MAX 256

/* Xen's public arch-x86/hvm/start_info.h, version 1. */
struct hvm_start_info {
	u32 magic;
	u32 version;
	u32 flags;
	u32 nr_modules;
	u64 modlist_paddr;
	u64 cmdline_paddr;
	u64 rsdp_paddr;
	u64 memmap_paddr;
	u32 memmap_entries;
	u32 reserved;
};

extern u64 pt_low[512];

static char cmdline[CMDLINE_MAX];
u64 boot_rsdp;

/* The boot information may sit anywhere the VMM chose: check before trusting it. */
static void read_boot_info(u64 paddr)
{
	if (!paddr || paddr > IDENTITY_MAPPED - sizeof(struct hvm_start_info)) {
		kprintf("testos: no PVH start info (ebx=0x%lx)\n", paddr);
		kexit(2);
	}
	const struct hvm_start_info *si = (const void *)paddr;
	if (si->magic != HVM_START_MAGIC) {
		kprintf("testos: bad PVH start info magic 0x%x\n", si->magic);
		kexit(2);
	}
	if (si->version >= 1)
		boot_rsdp = si->rsdp_paddr;
	u64 p = si->cmdline_paddr;
	if (p && p < IDENTITY_MAPPED - CMDLINE_MAX) {
		const char *src = (const char *)p;
		for (size_t i = 0; i < CMDLINE_MAX - 1 && src[i]; i++)
			cmdline[i] = src[i];
	}
}

/* Page 0 stays mapped until the boot information is read: it may live there. */
static void unmap_page_zero(void)
{
	pt_low[0] = 0;
	__asm__ volatile("invlpg (%0)" : : "r"(0UL) : "memory");
}

/* The value of the command-line word KEY=VALUE (key given with its '='), or NULL when the
   word is absent; *len gets the value's length. */
const char *cmdline_value(const char *key, size_t *len)
{
	const char *s = cmdline;

	while (*s) {
		while (*s == ' ')
			s++;
		size_t k = 0;
		while (key[k] && s[k] == key[k])
			k++;
		const char *end = s;
		while (*end && *end != ' ')
			end++;
		if (!key[k]) {
			*len = (size_t)(end - s) - k;
			return s + k;
		}
		s = end;
	}
	return NULL;
}

/* The decimal value of KEY=N; def when absent. Anything but digits, or a value that does
   not fit, is refused rather than half-read: the run would not be the one asked for. */
int cmdline_u64(const char *key, u64 def, u64 *out)
{
	size_t len;
	const char *v = cmdline_value(key, &len);

	*out = def;
	if (!v)
		return 0;
	if (!len)
		return -1;
	u64 n = 0;
	for (size_t i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9' || n > (~0ULL - 9) / 10)
			return -1;
		n = n * 10 + (u64)(v[i] - '0');
	}
	*out = n;
	return 0;
}

void kmain(u64 boot_info)
{
	/* The PIC first: the 8259A is edge-triggered, and its initialisation forgets a
	   request, so a UART line raised before it (input already waiting) would stay
	   high and never interrupt again. */
	pic_init();
	uart_init();
	cpu_init();
	read_boot_info(boot_info);
	unmap_page_zero();
	kprintf("testos: x86-64 test kernel\n");

	size_t len;
	const char *name = cmdline_value("workload=", &len);
	if (!name) {
		name = "hello";
		len = 5;
	}
	current_workload = workload_find(name, len);
	if (!current_workload) {
		kprintf("testos: unknown workload '%.*s'; known:", (int)len, name);
		workload_list();
		kexit(2);
	}
	kprintf("testos: workload %s\n", current_workload->name);
	pit_init();
	current_workload->start();
	sched_start();
}
