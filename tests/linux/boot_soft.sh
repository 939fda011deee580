# The Linux guest assets under rewind's soft engine (docs/linux.md): the bzImage boots to
# /init and runs the hello script with the same output and status as under QEMU; the boot is
# recorded and replays with --verify from the trace alone; the same kernel as a PVH vmlinux
# (make linux-guest LINUX_DBG=1) gets the command line and the initrd.
. tests/linux/lib.sh

if ! have_linux_assets; then
	skip boot "no $BZIMAGE or $INITRD: run make linux-guest"
	exit 0
fi

# Without "quiet": the kernel says what it was given. (A word the kernel does not know, such
# as "nokaslr", would reach /init as an argument.)
cmdline="$(echo "$LINUX_CMDLINE" | sed 's/ quiet//') -- /etc/rewind/hello.sh"
# The initrd at the top of the 256 MiB, page aligned (Linux prints whole pages).
rd_start=$(printf '0x%08x' $(( (0x10000000 - $(wc -c <"$INITRD")) & ~0xfff )))
LIMIT=${LINUX_SOFT_TIMEOUT:-600}

# soft_linux NAME KERNEL COMMAND...: runs rewind COMMAND (run or record, then its options) on
# KERNEL with the initrd; the console in $TMP/NAME.console, the status in $status.
soft_linux() {
	name=$1 kernel=$2; shift 2
	start=$(date +%s)
	"$REWIND" "$@" --engine soft -m 256M --timeout "$LIMIT" --initrd "$INITRD" \
		--cmdline "$cmdline" "$kernel" </dev/null >"$TMP/$name.out" 2>"$TMP/$name.err"
	status=$?
	echo "# soft engine, $name: status $status after $(($(date +%s) - start)) s" >&2
	tr -d '\r' <"$TMP/$name.out" >"$TMP/$name.console"
}

# hello_checks NAME: what a boot to the hello script must show.
hello_checks() {
	check "$1-status-7" [ "$status" -eq 7 ]
	guest_lines "$TMP/$1.console" >"$TMP/$1.txt"
	if diff -u tests/linux/expected/hello.txt "$TMP/$1.txt" >"$TMP/$1.diff"; then
		ok "$1-output-as-under-qemu"
	else
		fail "$1-output-as-under-qemu" "$(head -c 400 "$TMP/$1.diff"; tail -c 400 "$TMP/$1.err")"
	fi
}

soft_linux run "$BZIMAGE" run
hello_checks run
check linux-sees-the-command-line grep -qF "] Command line: $cmdline" "$TMP/run.console"
# The e820 map of core/loader.c for 256 MiB, as Linux prints what boot_params said.
sed -n 's/^\[ *[0-9.]*\] BIOS-e820: //p' "$TMP/run.console" >"$TMP/e820"
cat >"$TMP/e820.want" <<'MAP'
[mem 0x0000000000000000-0x000000000009fbff] usable
[mem 0x000000000009fc00-0x000000000009ffff] reserved
[mem 0x00000000000f0000-0x00000000000fffff] reserved
[mem 0x0000000000100000-0x000000000fffffff] usable
MAP
check linux-sees-the-e820-map cmp -s "$TMP/e820" "$TMP/e820.want"
check linux-sees-the-initrd grep -q "] RAMDISK: \[mem $rd_start-0x0fffffff\]" "$TMP/run.console"

# Record the boot, then replay it from the trace alone (kernel and initrd are in it).
soft_linux record "$BZIMAGE" record -o "$TMP/linux.rwd"
hello_checks record
"$REWIND" replay --verify "$TMP/linux.rwd" </dev/null >"$TMP/replay.out" 2>"$TMP/replay.err"
rstatus=$?
echo "# soft engine, replay --verify: status $rstatus; $(tail -1 "$TMP/replay.err")" >&2
check replay-verifies-with-the-status [ "$rstatus" -eq 7 ]
check replay-says-verified grep -q "verified: .* final state digest .* match" "$TMP/replay.err"
tr -d '\r' <"$TMP/replay.out" | guest_lines /dev/stdin >"$TMP/replay.txt"
check replay-output-as-recorded cmp -s "$TMP/record.txt" "$TMP/replay.txt"

# Checkpoints of the Linux trace (the page store: memory once), and a replay from the middle one.
"$REWIND" trace checkpoint "$TMP/linux.rwd" --every 2 </dev/null >"$TMP/ckpt.out" 2>&1
nckpt=$("$REWIND" trace info "$TMP/linux.rwd" 2>/dev/null | sed -n 's/^checkpoints: *//p')
check checkpoints-written [ "${nckpt:-0}" -ge 2 ]
"$REWIND" replay --from-checkpoint $((${nckpt:-2} / 2)) --verify "$TMP/linux.rwd" </dev/null \
	>"$TMP/from.out" 2>"$TMP/from.err"
check replay-from-a-checkpoint-verifies sh -c "[ $? -eq 7 ] && grep -q 'final state digest .* match' '$TMP/from.err'"

# The busybox shell on the serial console, typed input recorded (--serial-in) and replayed
# without any input.
printf 'echo typed-$((6*7))\nexit 5\n' >"$TMP/typed.in"
cmdline_saved=$cmdline
cmdline="$LINUX_CMDLINE"
soft_linux shell "$BZIMAGE" record -o "$TMP/shell.rwd" --serial-in "$TMP/typed.in"
cmdline=$cmdline_saved
check shell-runs-typed-commands sh -c "[ $status -eq 5 ] && grep -qx 'typed-42' '$TMP/shell.console'"
"$REWIND" replay --verify "$TMP/shell.rwd" </dev/null >"$TMP/shell-replay.out" 2>"$TMP/shell-replay.err"
check shell-replay-verifies sh -c "[ $? -eq 5 ] && grep -q 'final state digest .* match' '$TMP/shell-replay.err'"
check shell-replay-console-as-recorded sh -c "tr -d '\r' <'$TMP/shell-replay.out' | cmp -s - '$TMP/shell.console'"

# A user program's segfault under Linux, recorded and replayed: the kernel's report, the
# shell's status 139 (128 + SIGSEGV) through /init.
cmdline="$(echo "$LINUX_CMDLINE" | sed 's/ quiet//') -- /bin/segv"
soft_linux segv "$BZIMAGE" record -o "$TMP/segv.rwd"
check segv-status-139 [ "$status" -eq 139 ]
check segv-kernel-reports-it grep -q "segv\[[0-9]*\]: segfault at 8 ip " "$TMP/segv.console"
"$REWIND" replay --verify "$TMP/segv.rwd" </dev/null >"$TMP/segv-replay.out" 2>"$TMP/segv-replay.err"
check segv-replay-verifies sh -c "[ $? -eq 139 ] && grep -q 'final state digest .* match' '$TMP/segv-replay.err'"
cmdline=$cmdline_saved

# The same kernel as a PVH ELF: the initrd reaches Linux as module 0 of hvm_start_info.
if [ -s "$LINUX/vmlinux" ]; then
	soft_linux pvh "$LINUX/vmlinux" run
	check pvh-linux-sees-the-command-line grep -qF "] Command line: $cmdline" "$TMP/pvh.console"
	check pvh-linux-sees-the-initrd grep -q "] RAMDISK: \[mem $rd_start-0x0fffffff\]" "$TMP/pvh.console"
else
	skip pvh-linux-sees-the-initrd "no $LINUX/vmlinux (make linux-guest LINUX_DBG=1)"
fi

# With ACPI (rewind's tables, devices/acpi_pm.c): `poweroff -f` enters S5 and the VM ends with
# status 0, as on a PC.
cmdline="$(echo "$LINUX_CMDLINE" | sed 's/ quiet//; s/acpi=off //') -- /bin/busybox poweroff -f"
soft_linux poweroff "$BZIMAGE" run
check acpi-poweroff-status-0 [ "$status" -eq 0 ]
check acpi-supports-s5 grep -q "ACPI: PM: (supports S0 S5)" "$TMP/poweroff.console"
check acpi-poweroff-enters-s5 grep -q "ACPI: PM: Preparing to enter system sleep state S5" "$TMP/poweroff.console"
