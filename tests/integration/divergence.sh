# Replays that end in (or pass through) another state than their recording's are reported as
# diverged: status 127, naming the digest that differs. The test kernel's diverge workload
# reads the TSC, which the kvm engine cannot trap, so no two runs agree on it (see
# tests/guest/workloads.c); every event still matches, only the digests can tell.
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
