# Linux reads rewind's ACPI tables (core/acpi_tables.c): booted with ACPI on (no acpi=off) and
# without "quiet", the kernel lists each table it found from the RSDP, once, with rewind's OEM
# ids, and complains about none of them. The tables are parsed in setup_arch, long before
# Linux needs anything this host's engines cannot give it yet (docs/linux.md): the run is
# ended once the MADT has been used (the CPU count is printed). Engine: LINUX_ACPI_ENGINE, soft
# by default (~2 s of CPU to that point); kvm takes the same path in 60-80 s of CPU here.
. tests/linux/lib.sh

if ! have_linux_assets; then
	skip all "no $BZIMAGE or $INITRD: run make linux-guest"
	exit 0
fi
engine=${LINUX_ACPI_ENGINE:-soft}
if [ "$engine" = kvm ] && ! have_kvm; then
	skip all "/dev/kvm not accessible"
	exit 0
fi
limit=${LINUX_ACPI_TIMEOUT:-900}
cmdline="console=ttyS0 earlyprintk=ttyS0 nolapic noapic panic=-1 nokaslr -- /etc/rewind/hello.sh"
stop_line='smpboot: Allowing 1 CPUs, 0 hotplug CPUs'

start=$(date +%s)
"$REWIND" run --engine "$engine" -m 256M --timeout "$limit" --initrd "$INITRD" \
	--cmdline "$cmdline" "$BZIMAGE" </dev/null >"$TMP/out" 2>"$TMP/err" &
pid=$!
while kill -0 "$pid" 2>/dev/null && ! grep -q "$stop_line" "$TMP/out"; do
	sleep 0.5
done
kill "$pid" 2>/dev/null
wait "$pid"
echo "# $engine engine: the MADT used after $(($(date +%s) - start)) s" >&2
tr -d '\r' <"$TMP/out" | sed -n 's/^\[ *[0-9.]*\] //p' >"$TMP/console"

if ! grep -q "$stop_line" "$TMP/console"; then
	fail linux-lists-the-tables "no '$stop_line' line; the kernel's last: $(tail -1 "$TMP/console")"
	exit 0
fi
# The table list as Linux prints it: signature, address, length, revision, OEM ids.
grep '^ACPI: [A-Z0-9]\{4\} 0x' "$TMP/console" >"$TMP/tables"
cat >"$TMP/tables.want" <<'LIST'
ACPI: RSDP 0x00000000000F0000 000024 (v02 REWIND)
ACPI: XSDT 0x00000000000F0040 000034 (v01 REWIND REWINDVM 00000001 RWND 00000001)
ACPI: FACP 0x00000000000F0100 000114 (v06 REWIND REWINDVM 00000001 RWND 00000001)
ACPI: DSDT 0x00000000000F0280 000040 (v02 REWIND REWINDVM 00000001 RWND 00000001)
ACPI: FACS 0x00000000000F0080 000040
ACPI: APIC 0x00000000000F0240 000034 (v05 REWIND REWINDVM 00000001 RWND 00000001)
LIST
if diff -u "$TMP/tables.want" "$TMP/tables" >"$TMP/diff"; then
	ok linux-lists-the-tables
else
	fail linux-lists-the-tables "$(grep '^[-+]A' "$TMP/diff" | head -3 | tr '\n' ' ')"
fi
# ACPICA's complaints about firmware ("ACPI BIOS Error (bug)", "ACPI Warning", "[Firmware
# Bug]"), none of which QEMU's -M pc tables cause either.
complaints=$(grep -i 'ACPI BIOS\|ACPI Error\|ACPI Warning\|Firmware Bug\|Invalid BIOS MADT' "$TMP/console")
check linux-finds-nothing-wrong test -z "$complaints"
# The MADT keeps the 8259A: one CPU (the stop line), whose local APIC the CPUID model hides,
# and no I/O APIC, so Linux takes no SMP or interrupt configuration from it.
check linux-takes-no-apic-from-the-madt sh -c "! grep -q 'IOAPIC\|Using ACPI (MADT)\|Using ACPI for processor' '$TMP/console'"
# Nothing Linux touched went to a port no device claims, but the chipset's ELCR (0x4d0/0x4d1,
# not modelled: docs/quirks.md), which ACPI's SCI set-up reads soon after the stop line and a
# fast engine may reach before the run is stopped.
grep 'unclaimed' "$TMP/err" | grep -v 'unclaimed port 0x4d[01] ' >"$TMP/unclaimed"
check no-unclaimed-port-but-the-elcr test ! -s "$TMP/unclaimed"
