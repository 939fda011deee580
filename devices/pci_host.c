/* PCI configuration mechanism #1 with a host bridge and nothing else on the bus. */
#include "devices/pci_host.h"

#include <string.h>

#include "devices/legacy.h"

#define PCI_HOST_TAG STATE_TAG('P', 'C', 'I', 1)

/* The dwords of the type 0 configuration header that are not 0 for the host bridge. */
enum {
	CFG_ID = 0x00,		/* vendor u16, device u16 */
	CFG_CLASS = 0x08,	/* revision u8, class code u24 */
};

/* CONFIG_ADDRESS bits 23-8: bus, device and function. */
#define CONFIG_BUS_DEVFN 0x00ffff00u

/* One byte of 00:00.0's configuration space. The header is read-only: the bridge has no BARs,
 * no interrupt and no capabilities, and its chipset registers (0x40 on) are not modelled. */
static uint8_t host_bridge_config8(unsigned reg)
{
	uint32_t word;
	switch (reg & ~3u) {
	case CFG_ID:
		word = PCI_HOST_VENDOR | (uint32_t)PCI_HOST_DEVICE << 16;
		break;
	case CFG_CLASS:
		word = PCI_HOST_REVISION | (uint32_t)PCI_CLASS_HOST_BRIDGE << 8;
		break;
	default:
		word = 0; /* header type (0x0e) included: 0, a single-function type 0 header */
		break;
	}
	return (uint8_t)(word >> (8 * (reg & 3)));
}

/* CONFIG_DATA byte `lane` (0-3) reaches register (CONFIG_ADDRESS[7:2] << 2) + lane of the
 * function CONFIG_ADDRESS selects, when its enable bit is set. A disabled mechanism passes the
 * access on as plain I/O, which nothing claims; an absent function never answers the
 * configuration cycle, and the master abort reads as all ones. */
static uint8_t config_data_read8(void *opaque, unsigned lane)
{
	const struct pci_host *ph = opaque;
	uint32_t a = ph->s.config_address;
	if (!(a & PCI_CONFIG_ENABLE) || (a & CONFIG_BUS_DEVFN)) /* not 00:00.0 */
		return 0xff;
	return host_bridge_config8((a & 0xfc) + lane);
}

static uint64_t config_data_in(void *opaque, uint64_t offset, int size)
{
	return isa_read(config_data_read8, opaque, offset, PCI_CONFIG_DATA_LEN, size);
}

/* CONFIG_DATA writes (the host bridge's header is read-only, absent functions take nothing)
 * and writes to 0xcfa-0xcfb (no register there) have no effect. */
static void ignore_write(void *opaque, uint64_t offset, uint64_t value, int size)
{
	(void)opaque;
	(void)offset;
	(void)value;
	(void)size;
}

static uint64_t all_ones(int size)
{
	size = isa_size(size);
	return size >= 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
}

/* Only a 32-bit access at 0xcf8 is CONFIG_ADDRESS; byte and word accesses to 0xcf8-0xcfb go
 * out as ordinary I/O, to no device. */
static uint64_t config_address_in(void *opaque, uint64_t offset, int size)
{
	const struct pci_host *ph = opaque;
	(void)offset; /* the region is the one port 0xcf8 */
	return size == 4 ? ph->s.config_address : all_ones(size);
}

static void config_address_out(void *opaque, uint64_t offset, uint64_t value, int size)
{
	struct pci_host *ph = opaque;
	(void)offset;
	if (size == 4)
		ph->s.config_address = (uint32_t)value & PCI_CONFIG_ADDRESS_BITS;
}

/* 0xcfa-0xcfb: claimed so that the probes guests make there (Linux's type 1 check writes a
 * byte to 0xcfb, its type 2 check reads 0xcfa) are answered as the empty bus answers them,
 * without a report of an unclaimed port. */
static uint64_t no_register_in(void *opaque, uint64_t offset, int size)
{
	(void)opaque;
	(void)offset;
	return all_ones(size);
}

static const struct io_ops config_address_ops = { config_address_in, config_address_out };
static const struct io_ops no_register_ops = { no_register_in, ignore_write };
static const struct io_ops config_data_ops = { config_data_in, ignore_write };

int pci_host_init(struct pci_host *ph, struct bus *bus)
{
	memset(ph, 0, sizeof(*ph));
	int err = bus_register(bus, BUS_PIO, PCI_CONFIG_ADDRESS, 1, &config_address_ops, ph,
			       "pci-config-address");
	if (!err)
		err = bus_register(bus, BUS_PIO, PCI_CONFIG_ADDRESS + 2, 2, &no_register_ops, ph,
				   "pci-0xcfa");
	if (!err)
		err = bus_register(bus, BUS_PIO, PCI_CONFIG_DATA, PCI_CONFIG_DATA_LEN,
				   &config_data_ops, ph, "pci-config-data");
	return err;
}

static long pci_host_save(void *opaque, void *buf, size_t len)
{
	struct pci_host *ph = opaque;
	return state_blob_save(buf, len, PCI_HOST_TAG, &ph->s, sizeof(ph->s));
}

static int pci_host_load(void *opaque, const void *buf, size_t len)
{
	struct pci_host *ph = opaque;
	struct pci_host_state s;
	if (state_blob_load(buf, len, PCI_HOST_TAG, &s, sizeof(s)) ||
	    (s.config_address & ~PCI_CONFIG_ADDRESS_BITS))
		return -1;
	ph->s = s;
	return 0;
}

struct device pci_host_device(struct pci_host *ph)
{
	return (struct device){
		.name = "pci-host",
		.opaque = ph,
		.save = pci_host_save,
		.load = pci_host_load,
	};
}
