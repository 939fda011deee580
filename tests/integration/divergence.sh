# Replays that end in (or pass through) another state than their recording's are reported as
# diverged: status 127, naming what differs. The test kernel's diverge workload reads the TSC,
# which the kvm engine cannot trap, so no two runs agree on it (see tests/guest/workloads.c);
# every event still matches, only the digests can tell. Under the soft engine, which records
# the values, traces spliced from two recordings make the guest read other values than
# recorded.
. tests/integration/lib.sh
if ! have_kvm; then skip all "/dev/kvm not accessible"; exit 0; fi

# diverged KEEP: records keep=KEEP and replays it with --verify; sets $status, $TMP/KEEP.err.
diverged() {
	t="$TMP/$1.rwd"
	"$REWIND" record -o "$t" --timeout 60 --cmdline "workload=diverge keep=$1" "$KERNEL" \
		</dev/null >"$TMP/$1.rec" 2>&1
	rs=$?
	"$REWIND" replay --verify "$t" </dev/null >/dev/null 2>"$TMP/$1.err"
	status=$?
	[ "$rs" -eq 0 ] || echo "recording keep=$1 exited $rs: $(tail -2 "$TMP/$1.rec")" >>"$TMP/$1.err"
}

# The value in memory only: the final state digest is the one check that sees it.
diverged memory
check final-memory-differs-status-127 [ "$status" -eq 127 ]
check final-memory-differs-names-final-digest \
	grep -q "replay diverged: final state digest [0-9a-f]*, the trace has [0-9a-f]*" "$TMP/memory.err"

# The value in the RTC's CMOS RAM: device state, in the final digest too.
diverged device
check final-device-state-differs-status-127 [ "$status" -eq 127 ]
check final-device-state-differs-names-final-digest \
	grep -q "replay diverged: final state digest" "$TMP/device.err"

# The value in a register across 4096 exits, cleared before the end: a periodic digest
# (registers and devices) names the exit where the states part.
diverged register
check registers-differ-status-127 [ "$status" -eq 127 ]
check registers-differ-names-periodic-digest \
	grep -q "replay diverged at exit 4096: the replay produced digest hash=[0-9a-f]* at exit 4096; the trace has digest" "$TMP/register.err"

# Without --verify nothing compares digests: the same replay runs to the guest's exit.
"$REWIND" replay "$TMP/memory.rwd" </dev/null >/dev/null 2>&1
check unverified-replay-exits-as-the-guest [ $? -eq 0 ]

# Under the soft engine every TSC and random value the guest reads is recorded and handed out
# in order, by kind. A trace spliced from two soft recordings (tests/tools/trace_splice.c: the
# command line of one, the events of the other) runs one guest against the other's values.
soft_recording() {
	"$REWIND" record --engine soft -o "$TMP/soft-$1.rwd" --timeout 60 \
		--cmdline "workload=diverge read=$1" "$KERNEL" </dev/null >/dev/null 2>&1
}
splice_replays() {
	build/tests/tools/trace_splice "$TMP/soft-$1.rwd" "$TMP/soft-$2.rwd" "$TMP/spliced.rwd" &&
		"$REWIND" replay --verify "$TMP/spliced.rwd" </dev/null >/dev/null 2>"$TMP/spliced.err"
}
soft_recording tsc
soft_recording none
# The control: a recording spliced with itself is itself.
splice_replays tsc tsc
check soft-splice-of-one-recording-verifies [ $? -eq 0 ]
# A guest that reads no value where the recording read one.
splice_replays none tsc
check fewer-values-than-recorded-status-127 [ $? -eq 127 ]
check fewer-values-than-recorded-message grep -q "the guest read 1 fewer TSC/random values than the trace has before it" "$TMP/spliced.err"
# A guest that reads RDRAND where the recording read the TSC.
soft_recording rdrand
if ! "$REWIND" replay --verify "$TMP/soft-rdrand.rwd" </dev/null >/dev/null 2>&1; then
	skip value-of-another-kind "the soft engine does not replay RDRAND on this host (see test_soft_engine: rdtsc_rdrand_from_the_value_source)"
else
	splice_replays rdrand tsc
	check value-of-another-kind-status-127 [ $? -eq 127 ]
	check value-of-another-kind-message grep -q "reads a random value the trace does not have there" "$TMP/spliced.err"
fi
