# The soft engine end to end: every test-kernel workload under --engine soft prints what it
# prints under kvm (or, without /dev/kvm, what tests/guest/expected/ has); traces recorded under
# soft position every asynchronous interrupt by instruction count and replay exactly: race N
# times (default 20, SOFT_RECORDINGS) with at least two outcomes, and compute with timer
# interrupts landing in its CPL3 loops.
. tests/integration/lib.sh
N=${SOFT_RECORDINGS:-20}
trap 'kill $busy 2>/dev/null; rm -rf "$TMP"' EXIT
printf 'one\ntwo\n\nquit\n' >"$TMP/echo.in"

# norm FILE: the console text with what legitimately differs between runs masked.
norm() {
	sed -e 's/RTC says .*/RTC says <time>/' "$1"
}

# reference WORKLOAD INPUT: the text to compare with, in $TMP/WORKLOAD.ref.
reference() {
	if have_kvm; then
		"$REWIND" run --engine kvm --timeout 60 --cmdline "workload=$1" "$KERNEL" <"$2" >"$TMP/$1.kvm" 2>/dev/null
		norm "$TMP/$1.kvm" >"$TMP/$1.ref"
	else
		cp "tests/guest/expected/$1.txt" "$TMP/$1.ref"
	fi
}

for w in hello:0 echo:0 panic:3; do
	name=${w%%:*} want=${w##*:}
	in=/dev/null
	[ "$name" = echo ] && in="$TMP/echo.in"
	"$REWIND" run --engine soft --timeout 60 --cmdline "workload=$name" "$KERNEL" <"$in" >"$TMP/$name.out" 2>"$TMP/$name.err"
	rc=$?
	reference "$name" "$in"
	if [ "$rc" -eq "$want" ] && norm "$TMP/$name.out" | cmp -s - "$TMP/$name.ref"; then
		ok "$name-output-as-kvm"
	else
		fail "$name-output-as-kvm" "status $rc (want $want): $(norm "$TMP/$name.out" | diff - "$TMP/$name.ref" | head -3) $(tail -2 "$TMP/$name.err")"
	fi
done

# Keep the other core busy, as a loaded CI machine would: interrupts land anywhere.
sh -c 'while :; do :; done' &
busy=$!

# record_replay WORKLOAD I: one soft recording and its verified replay; 0 when both agree.
record_replay() {
	t="$TMP/$1-$2.rwd"
	"$REWIND" record --engine soft -o "$t" --timeout 120 --cmdline "workload=$1" "$KERNEL" </dev/null >"$TMP/rec.out" 2>"$TMP/rec.err"
	rs=$?
	"$REWIND" replay --verify "$t" </dev/null >"$TMP/rep.out" 2>"$TMP/rep.err"
	ps=$?
	if [ "$rs" -ne 0 ] || [ "$ps" -ne 0 ] || ! cmp -s "$TMP/rec.out" "$TMP/rep.out" ||
	   ! grep -q "verified:.*final state digest" "$TMP/rep.err"; then
		echo "recording $2 of $1: status $rs, replay $ps: $(tail -2 "$TMP/rec.err") $(head -3 "$TMP/rep.err")"
		return 1
	fi
	"$REWIND" trace info "$t" >"$TMP/$1-$2.info"
	rm -f "$t"
}

failed=""
i=1
while [ $i -le "$N" ]; do
	msg=$(record_replay race $i) || { failed="$msg"; break; }
	grep "race: counter" "$TMP/rec.out" >>"$TMP/race.outcomes"
	i=$((i + 1))
done
if [ -z "$failed" ]; then ok "race-$N-recordings-replay-exactly"; else fail "race-$N-recordings-replay-exactly" "$failed"; fi
outcomes=$(sort -u "$TMP/race.outcomes" 2>/dev/null | wc -l)
check race-outcomes-vary [ "$outcomes" -ge 2 ]
check race-interrupts-by-instruction-count sh -c "cat '$TMP'/race-*.info | grep -q '^instructions: [0-9]* retired at the end, [1-9]'"

if msg=$(record_replay compute 1); then
	ok compute-replays-exactly
	reference compute /dev/null
	check compute-output-as-kvm cmp -s "$TMP/rec.out" "$TMP/compute.ref"
	# compute's tasks are CPL3 loops with no exit for millions of instructions: the timer
	# lands inside them, by instruction count, with nothing deferred to an exit.
	check compute-async-interrupts-in-user-code grep -q '^interrupts: *[0-9]* at exits, [1-9][0-9]* asynchronous, 0 deferred' "$TMP/compute-1.info"
	check compute-trace-info-shows-instructions grep -q '^instructions: [1-9][0-9]* retired at the end' "$TMP/compute-1.info"
else
	fail compute-replays-exactly "$msg"
fi

# trace dump names each asynchronous delivery's instruction count.
"$REWIND" record --engine soft -o "$TMP/r.rwd" --cmdline workload=race "$KERNEL" </dev/null >/dev/null 2>&1
"$REWIND" trace dump "$TMP/r.rwd" >"$TMP/r.dump" 2>/dev/null
check trace-dump-shows-async-icount grep -q 'async_icount icount=[0-9]' "$TMP/r.dump"
