/* PCI configuration mechanism #1 (PCI Local Bus Specification 3.0, 3.2.2.3.2): the
 * CONFIG_ADDRESS register at 0xcf8, a 32-bit register claimed only by 32-bit accesses, and
 * the CONFIG_DATA window at 0xcfc-0xcff. Bus 0 holds one function, the host bridge at
 * 00:00.0 that implements the mechanism; every other function answers as absent (all ones).
 * Port 0xcf9 between them is the reset control register (devices/reset.c), as on Intel
 * chipsets, where only a 32-bit access at 0xcf8 reaches CONFIG_ADDRESS. See docs/devices.md. */
#ifndef REWIND_PCI_HOST_H
#define REWIND_PCI_HOST_H
#include <stdint.h>

#include "devices/bus.h"
#include "devices/device.h"

#define PCI_CONFIG_ADDRESS 0xcf8
#define PCI_CONFIG_DATA 0xcfc
#define PCI_CONFIG_DATA_LEN 4

/* CONFIG_ADDRESS fields. Bits 30-24 are reserved and bits 1-0 read 0. */
#define PCI_CONFIG_ENABLE 0x80000000u
#define PCI_CONFIG_ADDRESS_BITS 0x80fffffcu

/* The host bridge's identity: Intel's 82441FX (440FX), the PC chipset's host bridge, read-only. */
#define PCI_HOST_VENDOR 0x8086
#define PCI_HOST_DEVICE 0x1237
#define PCI_HOST_REVISION 0x02
#define PCI_CLASS_HOST_BRIDGE 0x060000

struct pci_host_state {
	uint32_t config_address;
} __attribute__((packed));

struct pci_host {
	struct pci_host_state s;
};

/* Registers 0xcf8 (32-bit accesses only), 0xcfa-0xcfb and 0xcfc-0xcff; 0xcf9 stays free for
 * the reset control register. Returns 0 or a negative errno from bus_register. */
int pci_host_init(struct pci_host *ph, struct bus *bus) __attribute__((warn_unused_result));
struct device pci_host_device(struct pci_host *ph);

#endif
