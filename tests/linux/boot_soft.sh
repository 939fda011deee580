# The Linux guest assets under rewind's soft engine. What holds today (docs/linux.md): the
# bzImage's decompressor runs from the 64-bit entry and Linux starts with the command line and
# memory map rewind gave it; the same kernel as a PVH vmlinux, when there is one, gets the
# initrd too. Reaching /init is checked the moment it happens: until then that case is skipped
# with the last line the kernel printed, so the suite tells how far it got.
. tests/linux/lib.sh

if ! have_linux_assets; then
	skip boot "no $BZIMAGE or $INITRD: run make linux-guest"
	exit 0
fi

# Without "quiet" the kernel says how far it got; without KASLR its addresses are the same on
# every run.
cmdline="console=ttyS0 earlyprintk=ttyS0 acpi=off nolapic noapic panic=-1 nokaslr -- /etc/rewind/hello.sh"
# The initrd at the top of the 256 MiB, page aligned (Linux prints whole pages).
rd_start=$(printf '0x%08x' $(( (0x10000000 - $(wc -c <"$INITRD")) & ~0xfff )))

# soft_boot KERNEL LIMIT: boots KERNEL with the initrd; console in $TMP/console, sets $status.
# The run is ended as soon as Linux has printed where the initrd is (the last of the lines
# checked below; ~2 minutes of CPU), unless LINUX_SOFT_FULL=1 asks to see how far it gets
# within LIMIT seconds, /init and the hello script included.
soft_boot() {
	start=$(date +%s)
	"$REWIND" run --engine soft -m 256M --timeout "$2" --initrd "$INITRD" --cmdline "$cmdline" \
		"$1" </dev/null >"$TMP/soft.out" 2>"$TMP/soft.err" &
	pid=$!
	stopped=""
	while kill -0 "$pid" 2>/dev/null; do
		if [ -z "$LINUX_SOFT_FULL" ] && grep -q '] RAMDISK: ' "$TMP/soft.out"; then
			kill "$pid"
			stopped=" (stopped after the RAMDISK line; LINUX_SOFT_FULL=1 runs on)"
			break
		fi
		sleep 2
	done
	wait "$pid"
	status=$?
	echo "# soft engine, $1: status $status after $(($(date +%s) - start)) s (limit $2 s)$stopped" >&2
	tr -d '\r' <"$TMP/soft.out" >"$TMP/console"
}

# The same kernel as a PVH ELF (the -dbg package's vmlinux, make linux-guest LINUX_DBG=1): the
# initrd reaches Linux as module 0 of hvm_start_info.
if [ -s "$LINUX/vmlinux" ]; then
	soft_boot "$LINUX/vmlinux" "${LINUX_SOFT_PVH_TIMEOUT:-400}"
	check pvh-linux-sees-the-command-line grep -qF "] Command line: $cmdline" "$TMP/console"
	check pvh-linux-sees-the-initrd grep -q "] RAMDISK: \[mem $rd_start-0x0fffffff\]" "$TMP/console"
else
	skip pvh-linux-sees-the-initrd "no $LINUX/vmlinux (make linux-guest LINUX_DBG=1)"
fi

soft_boot "$BZIMAGE" "${LINUX_SOFT_TIMEOUT:-900}"
check decompressor-starts-linux grep -q '^\[ *[0-9.]*\] Linux version 6\.' "$TMP/console"
check linux-sees-the-command-line grep -qF "] Command line: $cmdline" "$TMP/console"
# The e820 map of core/loader.c for 256 MiB, as Linux prints what boot_params said.
sed -n 's/^\[ *[0-9.]*\] BIOS-e820: //p' "$TMP/console" >"$TMP/e820"
cat >"$TMP/e820.want" <<'MAP'
[mem 0x0000000000000000-0x000000000009fbff] usable
[mem 0x000000000009fc00-0x000000000009ffff] reserved
[mem 0x00000000000f0000-0x00000000000fffff] reserved
[mem 0x0000000000100000-0x000000000fffffff] usable
MAP
check linux-sees-the-e820-map cmp -s "$TMP/e820" "$TMP/e820.want"
check linux-sees-the-initrd grep -q "] RAMDISK: \[mem $rd_start-0x0fffffff\]" "$TMP/console"

if grep -q '^init: exit' "$TMP/console"; then
	check hello-status-7 [ "$status" -eq 7 ]
	guest_lines "$TMP/console" >"$TMP/hello.txt"
	check hello-output-as-under-qemu cmp -s tests/linux/expected/hello.txt "$TMP/hello.txt"
else
	skip hello-output-as-under-qemu "/init not reached (status $status${stopped:+, stopped early}); the kernel's last line: $(grep '^\[' "$TMP/console" | tail -1 | cut -c1-160)"
fi
