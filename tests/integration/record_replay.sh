# Record every workload N times (default 20) with the other core kept busy, replay each with
# --verify: identical console output, exit status and final digest, every time.
. tests/integration/lib.sh
if ! have_kvm; then skip all "/dev/kvm not accessible"; exit 0; fi
N=${RR_RECORDINGS:-20}

# Keep the other core busy, as a loaded CI machine would.
sh -c 'while :; do :; done' &
busy=$!
trap 'kill $busy 2>/dev/null; rm -rf "$TMP"' EXIT

printf 'one\ntwo\nthree\nquit\n' >"$TMP/echo.in"

# record_and_replay WORKLOAD STATUS I: one recording and its verified replay.
record_and_replay() {
	w=$1 want=$2 i=$3
	t="$TMP/$w-$i.rwd"
	if [ "$w" = echo ]; then in="$TMP/echo.in"; else in=/dev/null; fi
	# compute's timer interrupts land in its user code; replay finds each on the soft engine,
	# ~100 times slower than the code ran (docs/benchmarks.md): a 32nd of its work.
	cmdline="workload=$w"
	if [ "$w" = compute ]; then cmdline="workload=compute scale=32"; fi
	"$REWIND" record -o "$t" --timeout 60 --cmdline "$cmdline" "$KERNEL" <"$in" >"$TMP/rec.out" 2>"$TMP/rec.err"
	rs=$?
	# Replay with no input attached: the trace is the only source.
	"$REWIND" replay --verify "$t" </dev/null >"$TMP/rep.out" 2>"$TMP/rep.err"
	ps=$?
	if [ "$rs" -ne "$want" ]; then
		echo "recording $i of $w exited $rs, expected $want: $(tail -3 "$TMP/rec.err")"
		return 1
	fi
	if [ "$ps" -ne "$rs" ] || ! cmp -s "$TMP/rec.out" "$TMP/rep.out" || ! grep -q "verified:.*final state digest" "$TMP/rep.err"; then
		echo "replay $i of $w: status $ps (recorded $rs): $(head -3 "$TMP/rep.err")"
		return 1
	fi
	# A guest kernel panic (pvpanic): the replay's report is the recording's, from the same state.
	if [ "$want" -eq 121 ]; then
		grep "^rewind: the guest kernel panicked\|^  " "$TMP/rec.err" >"$TMP/rec.report"
		grep "^rewind: the guest kernel panicked\|^  " "$TMP/rep.err" >"$TMP/rep.report"
		if ! grep -q "pvpanic_notify" "$TMP/rec.report" || ! cmp -s "$TMP/rec.report" "$TMP/rep.report"; then
			echo "replay $i of $w: the panic report differs: $(diff "$TMP/rec.report" "$TMP/rep.report" | head -3)"
			return 1
		fi
	fi
	if [ "$w" = race ]; then
		grep "race: counter" "$TMP/rec.out" >>"$TMP/race.outcomes"
		sed -n 's/.*(\([0-9]*\) found on the soft engine.*/\1/p' "$TMP/rep.err" >>"$TMP/race.soft"
		# The first one also with the hardware breakpoint alone, the search before the soft one.
		if [ "$i" -eq 1 ] && ! "$REWIND" replay --verify --landing-search breakpoint "$t" \
			</dev/null >"$TMP/rep.out" 2>"$TMP/rep.err"; then
			echo "replay $i of $w with --landing-search breakpoint: $(head -3 "$TMP/rep.err")"
			return 1
		fi
	fi
	"$REWIND" trace info --json "$t" >>"$TMP/$w.info"
	rm -f "$t"
	return 0
}

for w in hello:0 compute:0 echo:0 race:0 panic:3 poweroff:0 pvpanic:121; do
	name=${w%%:*} want=${w##*:}
	failed=""
	i=1
	while [ $i -le "$N" ]; do
		msg=$(record_and_replay "$name" "$want" "$i") || { failed="$msg"; break; }
		i=$((i + 1))
	done
	if [ -z "$failed" ]; then ok "$name-$N-recordings-replay-exactly"; else fail "$name-$N-recordings-replay-exactly" "$failed"; fi
done

outcomes=$(sort -u "$TMP/race.outcomes" 2>/dev/null | wc -l)
check race-outcomes-vary [ "$outcomes" -ge 2 ]
# race holds kernel code without exits: where that code is emulated some interrupts land
# there, asynchronously. Where it runs natively the stretch is too short for any, and
# landing.sh makes its own longer ones.
if kernel_code_native; then
	why="kernel code runs natively here: no stretch without exits outlasts the grace period"
	skip race-async-landings-in-cpl0 "$why"
	skip race-landings-found-on-the-soft-engine "$why"
else
	check race-async-landings-in-cpl0 grep -q '"async":[1-9]' "$TMP/race.info"
	# Replay finds them on the soft engine (core/landing_search.c).
	check race-landings-found-on-the-soft-engine grep -q '^[1-9]' "$TMP/race.soft"
fi

# --timeout is wall time for a replay too: a longer race stopped early, status 124, and says so.
# (With the breakpoint landing search: the soft engine's first state load can take seconds on
# a loaded host, zeroing its 1 GiB code buffer, and does not look at the clock meanwhile.)
"$REWIND" record -o "$TMP/long.rwd" --cmdline "workload=race ticks=150" "$KERNEL" </dev/null >/dev/null 2>&1
start=$(date +%s)
"$REWIND" replay --timeout 0.3 --landing-search breakpoint "$TMP/long.rwd" </dev/null >/dev/null 2>"$TMP/timeout.err"
status=$? took=$(($(date +%s) - start))
check replay-timeout-status-124 [ "$status" -eq 124 ]
check replay-timeout-stops-early [ "$took" -le 3 ]
check replay-timeout-message grep -q "did not finish within 0.3 s" "$TMP/timeout.err"

# An initrd is embedded in the trace: the replay needs nothing but the trace, and loads the
# same bytes (they are in the final state digest, so a replay without them diverges).
head -c 300000 /dev/urandom >"$TMP/initrd.bin"
"$REWIND" record -o "$TMP/initrd.rwd" --timeout 60 --initrd "$TMP/initrd.bin" --cmdline workload=hello \
	"$KERNEL" </dev/null >/dev/null 2>"$TMP/initrd.rec.err"
check initrd-recorded [ $? -eq 0 ]
rm -f "$TMP/initrd.bin"
"$REWIND" trace info "$TMP/initrd.rwd" >"$TMP/initrd.info" 2>&1
check initrd-embedded grep -q "^image: *initrd, 300000 bytes" "$TMP/initrd.info"
"$REWIND" replay --verify "$TMP/initrd.rwd" </dev/null >/dev/null 2>"$TMP/initrd.rep.err"
check initrd-replays-from-the-trace-alone [ $? -eq 0 ]
