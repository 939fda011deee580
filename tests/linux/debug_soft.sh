# Reverse-debugging a real kernel crash (docs/linux.md): the sysrq crash (`echo c >
# /proc/sysrq-trigger`, tests/linux/guest/sysrq.sh) recorded on the soft engine, then served by
# `rewind debug` to real gdb on the same kernel's vmlinux with its debug info (make linux-guest
# LINUX_DBG=1): continue to the panic, the backtrace through sysrq, reverse-finish and
# reverse-step back into sysrq_handle_crash, a breakpoint reached by reverse-continue.
. tests/linux/lib.sh

if ! have_linux_assets || [ ! -s "$LINUX/vmlinux" ]; then
	skip kernel-debugging "no $LINUX/vmlinux: run make linux-guest LINUX_DBG=1"
	exit 0
fi
if ! command -v gdb >/dev/null; then
	skip kernel-debugging "gdb is not installed"
	exit 0
fi

# nokaslr: the kernel where the vmlinux says it is (the kernel prints "Kernel Offset: disabled").
"$REWIND" record -o "$TMP/sysrq.rwd" --engine soft -m 256M --timeout 600 --initrd "$INITRD" \
	--cmdline "$LINUX_CMDLINE nokaslr -- /etc/rewind/sysrq.sh" "$BZIMAGE" </dev/null \
	>"$TMP/record.out" 2>"$TMP/record.err"
status=$?
# panic=-1: the panic resets the machine, the end of the recording.
check record-ends-with-the-reset [ "$status" -eq 123 ]
check record-shows-the-panic grep -q "Kernel panic - not syncing: sysrq triggered crash" "$TMP/record.out"

cat >"$TMP/kernel.gdb" <<'EOG'
set pagination off
set confirm off
target remote SOCKET
break panic
continue
bt 4
echo MARK-FINISH\n
reverse-finish
bt 1
echo MARK-STEP\n
reverse-step
bt 1
echo MARK-REVERSE-CONTINUE\n
break __handle_sysrq
reverse-continue
bt 1
EOG
sock="$TMP/debug.sock"
timeout 600 "$REWIND" debug --socket "$sock" "$TMP/sysrq.rwd" >"$TMP/server.out" 2>&1 &
server=$!
wait_for_socket "$sock"
sed -i "s|SOCKET|$sock|" "$TMP/kernel.gdb"
timeout 600 gdb -batch -nx -x "$TMP/kernel.gdb" "$LINUX/vmlinux" >"$TMP/gdb.out" 2>&1
wait $server

# section MARK: the gdb output after MARK up to the next MARK.
section() { sed -n "/^$1\$/,/^MARK-/p" "$TMP/gdb.out" | sed 1d; }
check continue-stops-at-the-panic grep -q "^Breakpoint 1, panic (" "$TMP/gdb.out"
sed -n '/^Breakpoint 1, panic/,/^MARK-FINISH/p' "$TMP/gdb.out" | grep '^#' | sed 's/ (.*//; s/.* in //; s/^#0 *//' >"$TMP/bt"
printf 'panic\nsysrq_handle_crash\n__handle_sysrq\nwrite_sysrq_trigger\n' >"$TMP/bt.want"
if cmp -s "$TMP/bt" "$TMP/bt.want"; then
	ok backtrace-panic-sysrq_handle_crash-__handle_sysrq-write_sysrq_trigger
else
	fail backtrace-panic-sysrq_handle_crash-__handle_sysrq-write_sysrq_trigger "$(tr '\n' ' ' <"$TMP/bt"); $(tail -c 300 "$TMP/gdb.out")"
fi
section MARK-FINISH | grep -q '^#0 .*sysrq_handle_crash' &&
	ok reverse-finish-returns-to-sysrq_handle_crash ||
	fail reverse-finish-returns-to-sysrq_handle_crash "$(section MARK-FINISH | tail -3)"
section MARK-STEP | grep -q '^#0 .*sysrq_handle_crash' &&
	ok reverse-step-stays-in-sysrq_handle_crash ||
	fail reverse-step-stays-in-sysrq_handle_crash "$(section MARK-STEP | tail -3)"
section MARK-REVERSE-CONTINUE | grep -q '^Breakpoint 2, __handle_sysrq' &&
	ok reverse-continue-stops-at-__handle_sysrq ||
	fail reverse-continue-stops-at-__handle_sysrq "$(section MARK-REVERSE-CONTINUE | tail -3)"
