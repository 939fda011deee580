# Each test-kernel workload under `rewind run`: output and exit status.
. tests/integration/lib.sh
if ! have_kvm; then skip all "/dev/kvm not accessible"; exit 0; fi

run_guest "$TMP/hello" hello
check hello-status [ "$status" -eq 0 ]
check hello-banner grep -q "testos" "$TMP/hello"
check hello-rtc grep -Eq "RTC says 20[0-9][0-9]-[01][0-9]-[0-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-5][0-9]" "$TMP/hello"
check hello-user-task grep -q "hello from a user task at CPL 3" "$TMP/hello"

run_guest "$TMP/compute" compute
check compute-status [ "$status" -eq 0 ]
check compute-results grep -q "compute: 4 tasks finished, results digest 0xc41e2e30aceda3ff" "$TMP/compute"

printf 'first line\nsecond\nquit\n' >"$TMP/in"
"$REWIND" run --timeout 60 --cmdline workload=echo "$KERNEL" <"$TMP/in" >"$TMP/echo" 2>&1
status=$?
check echo-status [ "$status" -eq 0 ]
check echo-lines grep -q "^001: first line" "$TMP/echo"
check echo-second grep -q "^002: second" "$TMP/echo"
check echo-quit grep -q "quit after 2 lines" "$TMP/echo"
# The same through a pipe and through --serial-in.
printf 'piped\nquit\n' | "$REWIND" run --timeout 60 --cmdline workload=echo "$KERNEL" >"$TMP/echo2" 2>&1
check echo-pipe grep -q "^001: piped" "$TMP/echo2"
"$REWIND" run --timeout 60 --serial-in "$TMP/in" --cmdline workload=echo "$KERNEL" >"$TMP/echo3" 2>&1 </dev/null
check echo-serial-in grep -q "^002: second" "$TMP/echo3"

run_guest "$TMP/race" race
check race-status [ "$status" -eq 0 ]
check race-report grep -Eq "race: counter [0-9]+, expected [0-9]+ .*: [0-9]+ lost" "$TMP/race"

run_guest "$TMP/panic" panic
check panic-status [ "$status" -eq 3 ]
check panic-report grep -q "PANIC: page fault (vector 14" "$TMP/panic"
check panic-backtrace grep -q "sys_session_touch" "$TMP/panic"

# The test kernel finds the pvpanic device in the DSDT and reports a panic through it, as
# Linux's driver does: rewind stops it (status 121) and names where it stood by its symbols.
run_guest "$TMP/pvpanic" pvpanic
check pvpanic-status-121 [ "$status" -eq 121 ]
check pvpanic-device-found grep -q "pvpanic: QEMU0001 at port 0x505, events 0x3" "$TMP/pvpanic"
check pvpanic-report grep -q "^rewind: the guest kernel panicked (pvpanic) at exit [0-9]*" "$TMP/pvpanic.err"
check pvpanic-rip-named grep -q "^  RIP 0000000000[0-9a-f]* pvpanic_notify+0x[0-9a-f]* (the pvpanic" "$TMP/pvpanic.err"
# pvpanic_notify <- pvpanic_start, proven by the direct call; kmain calls the workload through
# a pointer, which no direct call confirms: '?'.
sed -n '/^  call trace/,$p' "$TMP/pvpanic.err" | sed 1d | sed 's/+0x[0-9a-f]*$//' >"$TMP/pvpanic.trace"
printf '    pvpanic_notify\n    pvpanic_start\n    ? kmain\n' >"$TMP/pvpanic.trace.want"
check pvpanic-call-trace cmp -s "$TMP/pvpanic.trace" "$TMP/pvpanic.trace.want"
# A kernel without symbols: the report says so and names nothing.
strip -o "$TMP/stripped.elf" "$KERNEL"
"$REWIND" run --timeout 60 --cmdline workload=pvpanic "$TMP/stripped.elf" </dev/null >/dev/null 2>"$TMP/bare.err"
check pvpanic-without-symbols sh -c "[ $? -eq 121 ] && grep -q '^  no kernel symbols' '$TMP/bare.err' &&
	grep -q '^  RIP [0-9a-f]\{16\} 0x[0-9a-f]* (the pvpanic' '$TMP/bare.err'"
# A bad --symbols file stops rewind before the guest runs.
run_guest "$TMP/nopvpanic" pvpanic --engine soft --symbols "$TMP/nosuch"
check pvpanic-bad-symbols-125 [ "$status" -eq 125 ]

run_guest "$TMP/unknown" nosuchworkload
check unknown-workload-status [ "$status" -eq 2 ]

# The timeout: a guest that waits for input forever is stopped with status 124.
"$REWIND" run --timeout 1 --cmdline workload=echo "$KERNEL" >"$TMP/to" 2>&1 </dev/null
status=$?
check timeout-status [ "$status" -eq 124 ]
check timeout-message grep -q "timeout" "$TMP/to"

# Much more input than the guest's 1 KiB line buffer: nothing is lost (the guest stops taking
# bytes while its buffer is full; rewind holds them until the guest asserts RTS and has room).
python3 -c "
print('\n'.join('line %04d %s' % (i, 'x' * 40) for i in range(150)))
print('quit')" >"$TMP/big.in"
"$REWIND" run --timeout 60 --cmdline workload=echo "$KERNEL" <"$TMP/big.in" >"$TMP/big.out" 2>&1
check echo-7k-status [ $? -eq 0 ]
check echo-7k-every-line grep -q "^150: line 0149 x" "$TMP/big.out"
check echo-7k-quit grep -q "quit after 150 lines" "$TMP/big.out"
