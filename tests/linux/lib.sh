# Shared by the Linux boot suites: the assets `make linux-guest` builds, the command line the
# guest is booted with, and what of its console a test compares.
. tests/integration/lib.sh
LINUX=${LINUX:-build/linux}
BZIMAGE=$LINUX/bzImage
INITRD=$LINUX/initramfs.cpio
# Legacy devices only (no ACPI, no local or I/O APIC: what rewind models, and what QEMU's isapc
# machine has); panic=-1 turns a panic into a reset, which both end the run on.
LINUX_CMDLINE="console=ttyS0 acpi=off nolapic noapic quiet panic=-1"

have_linux_assets() { [ -s "$BZIMAGE" ] && [ -s "$INITRD" ]; }

# guest_lines CONSOLE: the lines the guest's scripts print ("guest: ..."), without the serial
# line's carriage returns: what must be the same under every engine.
guest_lines() { tr -d '\r' <"$1" | grep '^guest: '; }
