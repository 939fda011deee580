# The Linux guest assets (make linux-guest) boot under QEMU TCG on legacy devices, run the
# command given on the kernel command line, and end the VM with its status through the
# debug-exit port (QEMU exits with status * 2 + 1). The reference for runs under rewind.
. tests/linux/lib.sh

if ! have_linux_assets; then
	skip boot "no $BZIMAGE or $INITRD: run make linux-guest"
	exit 0
fi
if ! command -v qemu-system-x86_64 >/dev/null; then
	skip boot "qemu-system-x86_64 is not installed"
	exit 0
fi

# qemu_linux OUT COMMAND...: boots with COMMAND after "--"; sets $status and $took (s).
qemu_linux() {
	out=$1; shift
	start=$(date +%s.%N)
	timeout 300 qemu-system-x86_64 -M isapc -cpu qemu64,-tsc,-apic,-nx -m 256 \
		-kernel "$BZIMAGE" -initrd "$INITRD" -append "$LINUX_CMDLINE -- $*" \
		-nographic -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=4 </dev/null >"$out" 2>&1
	status=$?
	took=$(awk "BEGIN { printf \"%.1f\", $(date +%s.%N) - $start }")
}

qemu_linux "$TMP/hello.out" /etc/rewind/hello.sh
echo "# QEMU TCG boot to the hello script and back: ${took} s" >&2
check hello-status-7 [ "$status" -eq 15 ]
guest_lines "$TMP/hello.out" >"$TMP/hello.txt"
if diff -u tests/linux/expected/hello.txt "$TMP/hello.txt" >"$TMP/hello.diff"; then
	ok hello-output
else
	fail hello-output "$(head -c 600 "$TMP/hello.diff")"
fi
check hello-init-reports-status grep -q "^init: exit 7" "$TMP/hello.out"

# Any command's status comes through, not just the script's.
qemu_linux "$TMP/false.out" /bin/busybox false
check command-status-1 [ "$status" -eq 3 ]

# The kernel's pvpanic driver (loaded by /init) finds QEMU's pvpanic device through ACPI, as it
# finds rewind's (tests/linux/panic_soft.sh): with `-action panic=exit-failure` QEMU exits 1
# at the sysrq crash; without the device the panic resets the machine (-no-reboot: status 0).
qemu_panic() { # OUT QEMU-OPTIONS...
	out=$1; shift
	timeout 300 qemu-system-x86_64 -M pc -m 256 -kernel "$BZIMAGE" -initrd "$INITRD" \
		-append "console=ttyS0 nolapic noapic panic=-1 -- /etc/rewind/sysrq.sh" \
		-nographic -no-reboot "$@" </dev/null >"$out" 2>&1
	status=$?
}
qemu_panic "$TMP/pvpanic.out" -device pvpanic -action panic=exit-failure
check qemu-pvpanic-reports-the-panic sh -c "[ $status -eq 1 ] && grep -q 'Kernel panic - not syncing: sysrq triggered crash' '$TMP/pvpanic.out'"
qemu_panic "$TMP/nopvpanic.out" -action panic=exit-failure
check qemu-without-pvpanic-resets sh -c "[ $status -eq 0 ] && grep -q 'Kernel panic - not syncing: sysrq triggered crash' '$TMP/nopvpanic.out'"
