# A real gdb drives `rewind debug` on recordings of the test kernel: breakpoints, stepi and
# reverse-stepi, reverse-continue, reverse-finish, reverse-next across an interrupt, a
# watchpoint run backwards from the panic to the store that corrupted the pointer, and
# malformed packets.
. tests/integration/lib.sh
if ! have_kvm; then skip all "/dev/kvm not accessible"; exit 0; fi
if ! command -v gdb >/dev/null; then skip all "gdb is not installed"; exit 0; fi

"$REWIND" record -o "$TMP/panic.rwd" --cmdline workload=panic "$KERNEL" >/dev/null 2>&1 </dev/null

# session NAME SCRIPT: serves the trace on a Unix socket and runs the gdb script against it.
session() {
	name=$1 script=$2
	sock="$TMP/$name.sock"
	timeout 120 "$REWIND" debug --socket "$sock" "${trace:-$TMP/panic.rwd}" >"$TMP/$name.server" 2>&1 &
	server=$!
	wait_for_socket "$sock"
	{ printf 'set pagination off\nset confirm off\ntarget remote %s\n' "$sock"; cat "$script"; } >"$TMP/$name.gdb"
	timeout 120 gdb -batch -nx -x "$TMP/$name.gdb" "$KERNEL" >"$TMP/$name.out" 2>&1
	wait $server
}

# --- stepi / reverse-stepi: back to exactly the same pcs, forward again to the same state.
cat >"$TMP/steps.in" <<'EOG'
break console_write
continue
delete
EOG
for i in 1 2 3 4 5 6 7 8; do printf 'stepi\nprintf "PC %%lx\\n", $pc\ninfo registers rax rbx rcx rdx rsi rdi rsp rbp r8 r9 r10 r11 eflags\n' >>"$TMP/steps.in"; done
for i in 1 2 3 4 5 6 7 8; do printf 'reverse-stepi\nprintf "BACK %%lx\\n", $pc\n' >>"$TMP/steps.in"; done
printf 'printf "MARK\\n"\n' >>"$TMP/steps.in"
for i in 1 2 3 4 5 6 7 8; do printf 'stepi\nprintf "PC %%lx\\n", $pc\ninfo registers rax rbx rcx rdx rsi rdi rsp rbp r8 r9 r10 r11 eflags\n' >>"$TMP/steps.in"; done
session steps "$TMP/steps.in"
sed -n '/MARK/q;/^PC\|^r[a-z0-9]* \|^eflags/p' "$TMP/steps.out" >"$TMP/fwd1"
sed -n '/MARK/,$p' "$TMP/steps.out" | grep '^PC\|^r[a-z0-9]* \|^eflags' >"$TMP/fwd2"
grep '^PC' "$TMP/fwd1" | sed 's/PC //' >"$TMP/pcs"
# Going back from step 8 visits the pcs before steps 7..1, then the breakpoint's.
{ tac "$TMP/pcs" | tail -n +2; grep -o 'console_write.*' "$TMP/steps.out" >/dev/null; } >"$TMP/want_back"
grep '^BACK' "$TMP/steps.out" | sed 's/BACK //' | head -7 >"$TMP/got_back"
check stepi-moves [ "$(sort -u "$TMP/pcs" | wc -l)" -ge 3 ]
check reverse-stepi-same-pcs cmp -s "$TMP/want_back" "$TMP/got_back"
check stepi-again-same-pcs-and-registers cmp -s "$TMP/fwd1" "$TMP/fwd2"
check stepi-registers-present [ "$(wc -l <"$TMP/fwd1")" -ge 100 ]

# --- reverse-continue to an earlier breakpoint hit; reverse-finish to the caller.
cat >"$TMP/rc.in" <<'EOG'
break vformat
continue
monitor when
continue
monitor when
continue
monitor when
reverse-continue
monitor when
delete
break vformat
continue
reverse-finish
echo FRAME after-reverse-finish\n
bt 1
x/i $pc
EOG
session rc "$TMP/rc.in"
w2=$(grep '^position' "$TMP/rc.out" | sed -n 2p | cut -d' ' -f2)
w3=$(grep '^position' "$TMP/rc.out" | sed -n 3p | cut -d' ' -f2)
w4=$(grep '^position' "$TMP/rc.out" | sed -n 4p | cut -d' ' -f2)
check reverse-continue-to-the-previous-hit sh -c "[ -n '$w2' ] && [ '$w2' = '$w4' ] && [ '$w3' != '$w4' ]"
check reverse-continue-reports-breakpoint [ "$(grep -c 'Breakpoint 1, vformat' "$TMP/rc.out")" -ge 4 ]
check reverse-finish-to-the-call sh -c "sed -n '/FRAME after-reverse-finish/,\$p' '$TMP/rc.out' | grep -q 'call.*<vformat>'"
check reverse-finish-frame sh -c "sed -n '/FRAME after-reverse-finish/,\$p' '$TMP/rc.out' | grep -q '#0 .*kprintf'"

# --- steps across a timer interrupt. The interrupt that NULLed the session came during the
# io_delay() on the line before the panicking one; steps take it whole (docs/gdb.md): reverse-next from
# the line goes back over it to the io_delay() line, next comes forward over it again, stepi
# and reverse-stepi across it visit the same pcs and registers both ways, and with
# `monitor step-into-interrupts on` reverse-stepi goes into the interrupt's return.
use_line=$(grep -n 'f->rax = ++active_session->uses' tests/guest/workloads.c | cut -d: -f1)
delay_line=$((use_line - 1))
sed -n "${delay_line}p" tests/guest/workloads.c | grep -q 'io_delay();' || fail source-lines "io_delay() is not right before line $use_line"
# shellcheck disable=SC2016
state() { printf '%s\n' 'info symbol $pc' 'info registers rax rbx rcx rdx rsi rdi rsp rbp r8 r9 r10 r11 eflags' 'monitor when'; }
steps_across() { # $1 = stepi or reverse-stepi, $2 = label
	for _ in 1 2 3 4; do
		printf '%s\nprintf "%s %%lx\\n", $pc\n' "$1" "$2"
		state
	done
}
{
	cat <<EOG
break panic_tick
continue
continue
continue
continue
reverse-continue
monitor when
delete
break workloads.c:$use_line
continue
monitor when
delete
reverse-next
echo REVERSE-NEXT\\n
info line *\$pc
monitor when
next
echo NEXT\\n
info line *\$pc
monitor when
reverse-next
printf "START %lx\\n", \$pc
EOG
	state
	steps_across stepi FWD
	steps_across reverse-stepi BACK
	steps_across stepi AGAIN
	cat <<EOG
monitor step-into-interrupts on
reverse-stepi
reverse-stepi
echo INTERRUPT-RETURN\\n
info symbol \$pc
EOG
} >"$TMP/rn.in"
session rn "$TMP/rn.in"
pos() { grep '^position' "$TMP/rn.out" | sed -n "$1p" | sed 's/position \([0-9]*\)\.\([0-9]*\).*/\1 \2/'; }
before() { [ "$1" -lt "$3" ] || { [ "$1" -eq "$3" ] && [ "$2" -lt "$4" ]; }; }
# shellcheck disable=SC2046
check interrupt-before-the-line-hit before $(pos 1) $(pos 2)
check reverse-next-across-the-interrupt sh -c "sed -n '/^REVERSE-NEXT/,\$p' '$TMP/rn.out' | grep -q 'Line $delay_line of \"workloads.c\"'"
# shellcheck disable=SC2046
check reverse-next-goes-before-the-interrupt before $(pos 3) $(pos 1)
check next-across-the-interrupt sh -c "sed -n '/^NEXT/,\$p' '$TMP/rn.out' | grep -q 'Line $use_line of \"workloads.c\"'"
check next-comes-back-to-the-same-position [ "$(pos 4)" = "$(pos 2)" ]
# The states around the interrupt (pc, symbol, registers, position: 16 lines each), going
# forwards (START, FWD x4), backwards (BACK x4: FWD 3..1, START) and forwards again (AGAIN).
blocks() { awk -v tag="$1" '$1 == tag { n = 16 } n > 0 { sub("^" tag " ", ""); print; n-- }' "$TMP/rn.out"; }
for tag in START FWD BACK AGAIN; do blocks $tag >"$TMP/$tag"; done
{ sed -n 33,48p "$TMP/FWD"; sed -n 17,32p "$TMP/FWD"; sed -n 1,16p "$TMP/FWD"; cat "$TMP/START"; } >"$TMP/want_back"
lastpos() { grep '^position' "$1" | tail -1 | sed 's/position \([0-9]*\)\.\([0-9]*\).*/\1 \2/'; }
check stepi-across-the-interrupt-four-states [ "$(grep -c '^position' "$TMP/FWD")" -eq 4 ]
# shellcheck disable=SC2046
check stepi-starts-before-the-interrupt before $(lastpos "$TMP/START") $(pos 1)
# shellcheck disable=SC2046
check stepi-ends-after-the-interrupt before $(pos 1) $(lastpos "$TMP/FWD")
check stepi-stays-out-of-the-handler sh -c "! grep -q 'trap\|stub_\|panic_tick\|sched' '$TMP/FWD'"
check reverse-stepi-across-the-interrupt-same-states cmp -s "$TMP/want_back" "$TMP/BACK"
check stepi-again-same-states cmp -s "$TMP/FWD" "$TMP/AGAIN"
check step-into-interrupts-reverse-stepi-enters-the-return sh -c "sed -n '/^INTERRUPT-RETURN/,\$p' '$TMP/rn.out' | sed -n 2p | grep -q 'trap_resume'"

# --- the same on the soft engine, where interrupts come at instruction counts: a breakpoint
# on the timer's entry stub fires; stepping into it and back shows the instruction it came
# before, a step from there takes it whole and a step back returns there.
"$REWIND" record --engine soft -o "$TMP/soft.rwd" --cmdline workload=race "$KERNEL" >/dev/null 2>&1 </dev/null
cat >"$TMP/si.in" <<'EOG'
break race_spin
continue
delete
break stub_32
continue
monitor when
monitor step-into-interrupts on
reverse-stepi
printf "BEFORE %lx\n", $pc
monitor when
monitor step-into-interrupts off
delete
stepi
printf "STEPPED %lx\n", $pc
monitor when
reverse-stepi
printf "BACK %lx\n", $pc
monitor when
EOG
trace=$TMP/soft.rwd session si "$TMP/si.in"
spos() { grep '^position' "$TMP/si.out" | sed -n "$1p" | sed 's/position \([0-9]*\)\.\([0-9]*\).*/\1 \2/'; }
spc() { grep "^$1 " "$TMP/si.out" | cut -d' ' -f2; }
stub=$(nm "$KERNEL" | awk '$3 == "stub_32" { print $1 }' | sed 's/^0*//')
check soft-breakpoint-on-the-interrupt-entry grep -q "Breakpoint 2, .* stub_32" "$TMP/si.out"
# shellcheck disable=SC2046
check soft-step-into-back-is-before-the-entry before $(spos 2) $(spos 1)
# shellcheck disable=SC2046
check soft-step-takes-the-interrupt-whole sh -c "[ -n '$(spc STEPPED)' ] && [ '$(spc STEPPED)' != '$stub' ] && [ '$(spos 3 | cut -d' ' -f1)' -gt '$(spos 1 | cut -d' ' -f1)' ]"
check soft-step-back-returns-before-the-interrupt sh -c "[ -n '$(spc BACK)' ] && [ '$(spc BACK)' = '$(spc BEFORE)' ] && [ '$(spos 4)' = '$(spos 2)' ]"

# --- breakpoints changed within an exit: a stop at race_spin, then, running freely again, at
# its loop a few instructions on, in the same exit. Where the second stop is must be found
# counting hits of the loop's breakpoint alone (one recorded under load, with the timer's
# interrupt in that exit, could not be found again); stepping there from race_spin agrees.
spin_loop=$(grep -n 'for (volatile u64 k = 0; k < 2000; k++)' tests/guest/workloads.c | cut -d: -f1)
cat >"$TMP/change.in" <<EOG
break race_spin
continue
delete
break workloads.c:${spin_loop:-0}
continue
printf "FREE %lx\\n", \$pc
monitor when
EOG
trace=$TMP/soft.rwd session change "$TMP/change.in"
free_pc=$(grep '^FREE ' "$TMP/change.out" | cut -d' ' -f2)
cat >"$TMP/stepped.in" <<EOG
break race_spin
continue
monitor when
delete
while \$pc != 0x${free_pc:-0}
stepi
end
monitor when
EOG
trace=$TMP/soft.rwd session stepped "$TMP/stepped.in"
check soft-breakpoints-changed-within-an-exit sh -c "[ -n '$free_pc' ] && grep -q '^position' '$TMP/change.out' &&
	[ \"\$(grep '^position' '$TMP/change.out')\" = \"\$(grep '^position' '$TMP/stepped.out' | sed -n 2p)\" ]"

# --- user code (CPL3) on a soft trace: a breakpoint in the task's code, steps there, and back.
cat >"$TMP/user.in" <<'EOG'
break u_race_main
continue
printf "USER %lx %x\n", $pc, $cs
stepi
stepi
printf "STEPPED %lx\n", $pc
monitor when
reverse-stepi
reverse-stepi
printf "BACK %lx %x\n", $pc, $cs
monitor when
EOG
trace=$TMP/soft.rwd session user "$TMP/user.in"
upc() { grep "^$1 " "$TMP/user.out" | cut -d' ' -f2-; }
check soft-user-breakpoint-at-cpl3 grep -q '^USER [0-9a-f]* 33$' "$TMP/user.out"
check soft-user-steps-move sh -c "[ -n '$(upc STEPPED)' ] && [ '$(upc STEPPED)' != '$(upc USER | cut -d' ' -f1)' ]"
check soft-user-steps-back [ "$(upc BACK)" = "$(upc USER)" ]
upos() { grep '^position' "$TMP/user.out" | sed -n "$1p" | sed 's/position \([0-9]*\)\.\([0-9]*\).*/\1 \2/'; }
# shellcheck disable=SC2046
set -- $(upos 1) $(upos 2)
check soft-user-two-steps-apart sh -c "[ $# -eq 4 ] && [ '$1' = '$3' ] && [ '${2:-0}' -eq $((${4:-0} + 2)) ]"

# --- watchpoints on a soft trace run freely with the engine's physical watches, then step the
# exit of each stop (hw: a write and an access watchpoint; sw: a read one too); with three
# breakpoints (more than the hardware's two, never hit) the target steps every instruction
# (stepped). All stop an access watchpoint at the same position, right after the access: one
# step back is an instruction that accesses the counter. Which access that is depends on the
# recording: the system call's read; or its write, when a timer tick landed in race_spin (the
# tick's increment is then the change the write watchpoint stops at), which happens more often
# in a recording made on a loaded host, where more host time passes in each guest instruction.
for how in hw sw stepped; do
	extra= many=
	[ $how = sw ] && extra='rwatch active_session'
	[ $how = stepped ] && many='break *0x10
break *0x20
break *0x30'
	cat >"$TMP/swatch-$how.in" <<EOG
break race_spin
continue
delete
$many
watch race.counter
continue
delete
$many
awatch race.counter
$extra
continue
echo AWATCH\\n
info line *\$pc
monitor when
reverse-stepi
printf "COUNTER %lx\\n", &race.counter
echo ACCESS\\n
x/i \$pc
EOG
	trace=$TMP/soft.rwd session "swatch-$how" "$TMP/swatch-$how.in"
done
apos() { sed -n '/^AWATCH/,$p' "$TMP/swatch-$1.out" | grep '^position'; }
check soft-watch-stops-on-the-change grep -q "Old value = .*" "$TMP/swatch-hw.out"
counter=$(sed -n 's/^COUNTER //p' "$TMP/swatch-hw.out")
check soft-awatch-stops-right-after-the-access sh -c "[ -n '$counter' ] && sed -n '/^ACCESS/{n;p}' '$TMP/swatch-hw.out' | grep -q '# 0x$counter '"
check soft-awatch-free-and-stepped-agree sh -c "[ -n '$(apos hw)' ] && [ '$(apos hw)' = '$(apos sw)' ] && [ '$(apos hw)' = '$(apos stepped)' ]"

# --- continue after continue inside one exit: race_spin's loop counter (a volatile local)
# is stored 2000 times with no exit between; each continue stops right after the next store
# (free with physical watches, and stepping every instruction: the same positions). The
# stepped continue from the breakpoint's stop, a stop found by running freely, used to leave
# its position unknown: `monitor when` then went back to the breakpoint.
kline=$(grep -n 'for (volatile u64 k = 0' tests/guest/workloads.c | cut -d: -f1)
for how in free stepped; do
	many=
	[ $how = stepped ] && many='break *0x10
break *0x20
break *0x30'
	cat >"$TMP/kwatch-$how.in" <<EOG
break workloads.c:$kline
continue
delete
$many
watch -l k
continue
continue
echo K1\n
monitor when
continue
echo K2\n
monitor when
EOG
	trace=$TMP/soft.rwd session "kwatch-$how" "$TMP/kwatch-$how.in"
done
kpos() { grep -A1 "^$2\$" "$TMP/kwatch-$1.out" | sed -n 's/^position \([0-9.]*\) .*/\1/p'; }
knew() { grep '^New value = ' "$TMP/kwatch-free.out" | sed -n "$1s/New value = //p"; }
k2=$(knew 2) k3=$(knew 3)
check soft-watch-continue-next-store-in-the-exit sh -c "[ -n '$k3' ] && [ '$k3' -eq '$((${k2:-0} + 1))' ]"
check soft-watch-continue-free-and-stepped-agree sh -c "[ -n '$(kpos free K2)' ] && [ '$(kpos free K1)' = '$(kpos stepped K1)' ] && [ '$(kpos free K2)' = '$(kpos stepped K2)' ]"

# --- the panic: a watchpoint on the pointer, run backwards to the store that NULLed it.
cat >"$TMP/watch.in" <<'EOG'
continue
watch active_session
reverse-continue
printf "STOPPED %lx\n", $pc
x/i $pc
bt 1
EOG
session watch "$TMP/watch.in"
check panic-run-reaches-end grep -q "No more reverse-execution history" "$TMP/watch.out"
check watch-reverse-continue-stops grep -q "Hardware watchpoint 1: active_session" "$TMP/watch.out"
check watch-stops-at-the-null-store grep -q "active_session = NULL" "$TMP/watch.out"
check watch-pc-is-the-store sh -c "grep -A1 '^STOPPED' '$TMP/watch.out' | grep -q 'movq   \$0x0,.*<active_session>'"

# --- the same panic recorded on the soft engine: going back, a watchpoint runs freely with the
# engine's physical watches and steps only the exits they name (docs/gdb.md); with three
# breakpoints (more than the hardware's two, never hit) the target steps every instruction
# instead. Both stop at the same positions: the NULL store in the tick (one stepi later the
# pointer is NULL), the store before it, and the last read.
"$REWIND" record --engine soft -o "$TMP/soft-panic.rwd" --cmdline workload=panic "$KERNEL" >/dev/null 2>&1 </dev/null
cat >"$TMP/swback.in" <<'EOG'
continue
watch active_session
reverse-continue
echo WSTOP\n
monitor when
x/i $pc
printf "BEFORE %lx\n", active_session
stepi
printf "AFTER %lx\n", active_session
reverse-stepi
reverse-continue
echo WPREV\n
monitor when
x/i $pc
delete
rwatch active_session
reverse-continue
echo RSTOP\n
monitor when
x/i $pc
monitor info
EOG
for how in free stepped; do
	{ [ $how = stepped ] && printf 'break *0x10\nbreak *0x20\nbreak *0x30\n'; cat "$TMP/swback.in"; } >"$TMP/swback-$how.in"
	trace=$TMP/soft-panic.rwd session "swback-$how" "$TMP/swback-$how.in"
done
swpos() { grep -A1 "^$2\$" "$TMP/swback-$1.out" | sed -n 's/^position \([0-9.]*\) .*/\1/p'; }
check soft-watch-reverse-stops-at-the-null-store sh -c "sed -n '/^WSTOP/,/^BEFORE/p' '$TMP/swback-free.out' | grep -q 'movq   \$0x0,.*<active_session>'"
check soft-watch-reverse-stops-right-before-the-write sh -c "grep -q '^BEFORE [1-9a-f]' '$TMP/swback-free.out' && grep -q '^AFTER 0$' '$TMP/swback-free.out'"
check soft-watch-reverse-previous-store sh -c "sed -n '/^WPREV/,/^RSTOP/p' '$TMP/swback-free.out' | grep -q 'movq   \$0x[1-9a-f][0-9a-f]*,.*<active_session>'"
stepped() { sed -n 's/^searches for breakpoints and watchpoints stepped \([0-9]*\) times/\1/p' "$TMP/swback-$1.out"; }
check soft-watch-reverse-free-steps-less sh -c "[ -n '$(stepped free)' ] && [ $(stepped free)0 -lt $(stepped stepped)0 ]"
for stop in WSTOP WPREV RSTOP; do
	check "soft-watch-reverse-free-and-stepped-agree-$stop" sh -c "[ -n '$(swpos free $stop)' ] && [ '$(swpos free $stop)' = '$(swpos stepped $stop)' ]"
done

# --- read and access watchpoints on the same pointer: going back from the panic, the last
# read is the panicking line's load; with an access watchpoint the accesses before it are the
# NULL store, then the tick's test of the pointer; going forward with a read watchpoint stops
# right after the next read.
cat >"$TMP/rwatch.in" <<'EOG'
continue
rwatch active_session
reverse-continue
echo RSTOP\n
x/i $pc
delete
awatch active_session
reverse-continue
echo ASTOP1\n
x/i $pc
reverse-continue
echo ASTOP2\n
x/i $pc
delete
rwatch active_session
continue
echo FSTOP\n
x/2i $pc-8
EOG
session rwatch "$TMP/rwatch.in"
after() { sed -n "/^$1\$/,\$p" "$TMP/rwatch.out" | sed -n 2p; }
check rwatch-reverse-stops-at-the-last-read sh -c "echo '$(after RSTOP)' | grep -q 'mov .*(%rip),%r.. .*<active_session>'"
check rwatch-reported-as-read grep -q "Hardware read watchpoint 1: active_session" "$TMP/rwatch.out"
check awatch-reverse-stops-at-the-null-store sh -c "echo '$(after ASTOP1)' | grep -q 'movq   \$0x0,.*<active_session>'"
check awatch-reverse-then-the-tick-test sh -c "echo '$(after ASTOP2)' | grep -q '<panic_tick>:.*cmpq   \$0x0,.*<active_session>'"
check awatch-reported-as-access grep -q "Hardware access (read/write) watchpoint 2: active_session" "$TMP/rwatch.out"
check rwatch-forward-stops-after-the-read sh -c "sed -n '/^FSTOP/,\$p' '$TMP/rwatch.out' | grep -B1 '^=>' | head -1 | grep -q 'cmpq   \$0x0,.*<active_session>'"

# --- the README's tour, command for command (its own section: the Linux one has gdb lines too).
sed -n '/^## A five-minute tour/,/^## [^A]/s/^(gdb) \([^#]*\).*/\1/p' README.md >"$TMP/tour.in"
session tour "$TMP/tour.in"
check readme-tour-has-commands [ "$(wc -l <"$TMP/tour.in")" -ge 8 ]
check readme-tour-read-watch-finds-the-faulting-line grep -q 'f->rax = ++active_session->uses' "$TMP/tour.out"
check readme-tour-reverse-next-to-io-delay grep -q "^$delay_line[[:space:]]*io_delay();" "$TMP/tour.out"
check readme-tour-continue-to-the-null-store grep -q 'New value = (struct session \*) 0x0' "$TMP/tour.out"
check readme-tour-backtrace-through-the-interrupt sh -c "grep -A3 '^#0 .*panic_tick' '$TMP/tour.out' | grep -q 'signal handler called'"
check readme-tour-position grep -q '^position [0-9]*\.[0-9]* (exit' "$TMP/tour.out"

# --- malformed packets: answered (or ignored) as the protocol says; the stub keeps serving.
sock="$TMP/raw.sock"
timeout 60 "$REWIND" debug --socket "$sock" "$TMP/panic.rwd" >"$TMP/raw.server" 2>&1 &
server=$!
wait_for_socket "$sock"
python3 - "$sock" >"$TMP/raw.out" 2>&1 <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(5)
def packet(body):
    return b"$" + body + b"#%02x" % (sum(body) & 0xff)
def recv_reply():
    buf = b""
    while True:
        buf += s.recv(65536)
        i = buf.find(b"$")
        if i >= 0 and b"#" in buf[i:] and len(buf) >= buf.index(b"#", i) + 3:
            return buf[i + 1:buf.index(b"#", i)]
def ask(body):
    s.sendall(packet(body)); return recv_reply()
checks = []
s.sendall(b"$g#00"); time.sleep(0.2); nak = s.recv(16)
checks.append(("bad-checksum-nak", nak.startswith(b"-")))
s.sendall(b"garbage\x00\xff+++"); time.sleep(0.1)
checks.append(("unknown-packet-empty", ask(b"qRewindNoSuchThing") == b""))
checks.append(("truncated-then-valid", (s.sendall(b"$m10000,"), ask(b"?"))[1].startswith(b"T05")))
s.sendall(b"$" + b"A" * 100000 + b"#00"); time.sleep(0.3)
checks.append(("after-oversized", ask(b"?").startswith(b"T05")))
checks.append(("unmapped-memory-error", ask(b"m7fffffff0000,8").startswith(b"E")))
checks.append(("bad-hex-error", ask(b"mzz,8").startswith(b"E")))
checks.append(("still-serving-registers", len(ask(b"g")) > 100))
for name, good in checks:
    print(("ok " if good else "FAIL ") + "gdb_reverse: malformed-" + name)
s.sendall(packet(b"D")); time.sleep(0.2)
PY
cat "$TMP/raw.out" | grep -E '^(ok|FAIL) '
kill $server 2>/dev/null
wait $server 2>/dev/null
check malformed-server-alive-until-detach sh -c "! grep -q 'internal error' '$TMP/raw.server'"

# --- run --gdb: a live VM, forwards only; after gdb detaches the guest runs to its end.
sock="$TMP/live.sock"
"$REWIND" run --gdb-socket "$sock" --timeout 60 --cmdline workload=hello "$KERNEL" >"$TMP/live.vm" 2>&1 </dev/null &
vm=$!
wait_for_socket "$sock"
cat >"$TMP/live.gdb" <<EOG
set pagination off
set confirm off
target remote $sock
break console_write
continue
stepi
echo STEPPED\n
info registers rip
delete
reverse-stepi
EOG
timeout 60 gdb -batch -nx -x "$TMP/live.gdb" "$KERNEL" >"$TMP/live.out" 2>&1
wait $vm
status=$?
check live-breakpoint grep -q "Breakpoint 1.*console_write" "$TMP/live.out"
check live-stepi sh -c "sed -n '/^STEPPED/,\$p' '$TMP/live.out' | grep -q '^rip'"
check live-no-reverse grep -q "does not support this command" "$TMP/live.out"
check live-guest-finishes-after-detach [ "$status" -eq 0 ]
check live-guest-output grep -q "hello from a user task" "$TMP/live.vm"
