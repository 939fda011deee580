# A Linux kernel panic under rewind's soft engine (docs/linux.md, "A kernel panic"): the sysrq
# crash (`echo c > /proc/sysrq-trigger`) with ACPI on, so the kernel's pvpanic driver finds
# rewind's pvpanic device, and KASLR on. The recording stops at the panic with status 121 and
# rewind's report: the KASLR offset, the RIP and panic()'s caller by kernel symbol, a call
# trace that agrees with the kernel's own; the replay verifies and prints the same report.
# The names need the kernel's System.map or vmlinux (make linux-guest LINUX_DBG=1).
. tests/linux/lib.sh

if ! have_linux_assets; then
	skip panic "no $BZIMAGE or $INITRD: run make linux-guest"
	exit 0
fi
symbols=
for f in "$LINUX/System.map" "$LINUX/vmlinux"; do
	[ -s "$f" ] && symbols=$f && break
done
LIMIT=${LINUX_SOFT_TIMEOUT:-600}
# ACPI on (no acpi=off): the DSDT declares the pvpanic device. No nokaslr.
cmdline="console=ttyS0 nolapic noapic panic=-1 -- /etc/rewind/sysrq.sh"

# report FILE: rewind's panic report in a run's stderr.
report() { awk '/^rewind: the guest kernel panicked/ { on = 1; print; next } on && /^  / { print; next } { on = 0 }' "$1"; }

"$REWIND" record -o "$TMP/panic.rwd" --engine soft -m 256M --timeout "$LIMIT" --initrd "$INITRD" \
	${symbols:+--symbols "$symbols"} --cmdline "$cmdline" "$BZIMAGE" </dev/null \
	>"$TMP/record.out" 2>"$TMP/record.err"
status=$?
tr -d '\r' <"$TMP/record.out" >"$TMP/console"
report "$TMP/record.err" >"$TMP/record.report"
check record-status-121 [ "$status" -eq 121 ]
check kernel-panicked grep -q "Kernel panic - not syncing: sysrq triggered crash" "$TMP/console"
check pvpanic-report grep -q "^rewind: the guest kernel panicked (pvpanic) at exit [0-9]*" "$TMP/record.report"

if [ -n "$symbols" ]; then
	# The offset rewind found places linux_banner where it reads "Linux version" (else the
	# report says the symbols are not used), and KASLR moved the kernel.
	check kaslr-offset-found grep -q "^  symbols: KASLR offset 0x[0-9a-f]*[1-9a-f][0-9a-f]* (" "$TMP/record.report"
	check rip-named grep -q "^  RIP [0-9a-f]\{16\} [a-z_][a-z0-9_.]*+0x[0-9a-f]* (the pvpanic" "$TMP/record.report"
	check panic-called-from-sysrq_handle_crash \
		grep -q "^  panic() called at [0-9a-f]\{16\} sysrq_handle_crash+0x[0-9a-f]*\$" "$TMP/record.report"
	# The kernel's own unwinder (ORC) printed these frames without '?': rewind's scan has
	# them, with the same offsets, unmarked too.
	for fn in sysrq_handle_crash __handle_sysrq write_sysrq_trigger; do
		frame=$(sed -n "s/^\[ *[0-9.]*\]  \($fn[.a-z]*+0x[0-9a-f]*\)\/0x[0-9a-f]*\$/\1/p" "$TMP/console" | head -1)
		check "trace-has-$fn" sh -c "[ -n '$frame' ] && grep -qx '    $frame' '$TMP/record.report'"
	done
	# Stale return addresses are on any kernel stack; the scan marks them.
	check trace-marks-unproven-frames grep -q '^    ? ' "$TMP/record.report"
else
	skip panic-symbols "no $LINUX/System.map or vmlinux (make linux-guest LINUX_DBG=1)"
fi

"$REWIND" replay --verify ${symbols:+--symbols "$symbols"} "$TMP/panic.rwd" </dev/null \
	>"$TMP/replay.out" 2>"$TMP/replay.err"
rstatus=$?
echo "# soft engine, replay --verify: status $rstatus; $(grep '^rewind replay:' "$TMP/replay.err" | head -2)" >&2
check replay-status-121 [ "$rstatus" -eq 121 ]
check replay-verifies grep -q "verified: .* final state digest .* match" "$TMP/replay.err"
report "$TMP/replay.err" >"$TMP/replay.report"
check replay-prints-the-same-report sh -c "[ -s '$TMP/record.report' ] && cmp -s '$TMP/record.report' '$TMP/replay.report'"

# Without symbols (a bzImage carries none) the report says how to get them.
"$REWIND" replay "$TMP/panic.rwd" </dev/null >/dev/null 2>"$TMP/bare.err"
check report-without-symbols-says-so sh -c "[ $? -eq 121 ] && grep -q '^  no kernel symbols .*--symbols' '$TMP/bare.err'"

# Symbols that do not describe the running kernel (here linux_banner put on _text's address)
# are found out, not trusted.
case $symbols in
*System.map)
	text=$(sed -n 's/^\([0-9a-f]*\) T _text$/\1/p' "$symbols")
	sed "s/^[0-9a-f]* \(. linux_banner\)\$/$text \1/" "$symbols" >"$TMP/other.map"
	"$REWIND" replay --symbols "$TMP/other.map" "$TMP/panic.rwd" </dev/null >/dev/null 2>"$TMP/other.err"
	check other-kernels-symbols-refused sh -c "[ $? -eq 121 ] &&
		grep -q 'symbols: they are not the running kernel.s' '$TMP/other.err' && ! grep -q sysrq_handle_crash '$TMP/other.err'"
	;;
esac
