# rewind record --chaos and rewind hunt: chaos recordings replay exactly; hunt finds the
# flaky workload's bug, keeps only failing traces, writes its verdicts; bad input is 125.
. tests/integration/lib.sh
if ! have_kvm; then skip all "/dev/kvm not accessible"; exit 0; fi

# Chaos recordings of the race replay exactly on both engines; the seed is in the trace.
for e in kvm soft; do
	bad=""
	for i in 1 2 3; do
		t="$TMP/chaos-$e-$i.rwd"
		"$REWIND" record --chaos --seed "$i" --engine "$e" -o "$t" --timeout 60 \
			--cmdline "workload=race ticks=15" "$KERNEL" </dev/null >"$TMP/rec.out" 2>&1
		if ! "$REWIND" replay --verify "$t" </dev/null >"$TMP/rep.out" 2>"$TMP/rep.err"; then
			bad="recording $i: $(grep 'rewind replay' "$TMP/rep.err" | head -1)"
			break
		fi
	done
	check "chaos-$e-recordings-verify" [ -z "$bad" ]
	[ -n "$bad" ] && echo "  $bad"
done
check chaos-seed-in-the-trace sh -c "'$REWIND' trace info '$TMP/chaos-kvm-3.rwd' | grep -q 'chaos=3'"
"$REWIND" trace info --json "$TMP/chaos-kvm-1.rwd" >"$TMP/info.json" 2>/dev/null
# Passing over exits is what makes chaos differ from a plain recording; it is logged.
check chaos-holds-logged sh -c "'$REWIND' trace dump '$TMP/chaos-kvm-1.rwd' | grep -q ' held '"

# hunt with chaos finds the flaky workload's bug and keeps just that trace.
D="$TMP/found"
"$REWIND" hunt --chaos --runs 40 --json "$TMP/found.json" --junit "$TMP/found.xml" -o "$D" \
	--timeout 60 --cmdline workload=flaky "$KERNEL" >"$TMP/hunt.out" 2>&1
rc=$?
check hunt-finds-the-flaky-bug [ "$rc" -eq 0 ]
kept=$(ls "$D"/*.rwd 2>/dev/null)
check hunt-keeps-one-trace [ "$(echo "$kept" | grep -c .)" -eq 1 ]
check hunt-deletes-passing-runs [ "$(ls "$D" | wc -l)" -eq 3 ]
"$REWIND" replay --verify "$kept" </dev/null >/dev/null 2>"$TMP/rep.err"
check hunt-kept-trace-replays-its-failure [ $? -eq 3 ]
check hunt-json-verdict python3 -c "
import json, sys
v = json.load(open('$TMP/found.json'))
k = v['kept']
sys.exit(not (v['verdict'] == 'found' and v['failures'] == 1 and len(k) == 1 and
              k[0]['trace'] == '$kept' and k[0]['status'] == 3 and 'seed' in k[0] and
              k[0]['guest_seconds'] > 0 and k[0]['replay'] == 'rewind replay --verify $kept'))"
check hunt-junit python3 -c "
import sys, xml.etree.ElementTree as E
s = E.parse('$TMP/found.xml').getroot()
sys.exit(not (s.tag == 'testsuite' and s.get('failures') == '1' and
              len(s.findall('testcase')) == int(s.get('tests')) and
              len(s.findall('testcase/failure')) == 1))"

# A hunt into a DIR that holds an earlier hunt's run-0001.rwd numbers its runs after it: that
# file is neither written over nor deleted.
mkdir "$TMP/again"
cp "$kept" "$TMP/again/run-0001.rwd"
"$REWIND" hunt --chaos --runs 40 -o "$TMP/again" --cmdline workload=flaky "$KERNEL" >/dev/null 2>&1
check hunt-again-status [ $? -eq 0 ]
check hunt-again-keeps-earlier-trace cmp -s "$kept" "$TMP/again/run-0001.rwd"
check hunt-again-adds-its-own [ "$(ls "$TMP/again"/*.rwd | wc -l)" -eq 2 ]

# Nothing to find: status 1, nothing kept, the verdict says none.
D="$TMP/none"
"$REWIND" hunt --runs 3 --until status=7 --json "$TMP/none.json" -o "$D" \
	--cmdline workload=hello "$KERNEL" >/dev/null 2>&1
rc=$?
check hunt-none-found-is-status-1 [ "$rc" -eq 1 ]
check hunt-none-found-keeps-nothing [ -z "$(ls "$D")" ]
check hunt-none-json python3 -c "
import json, sys
v = json.load(open('$TMP/none.json'))
sys.exit(not (v['verdict'] == 'none' and v['runs'] == 3 and v['kept'] == []))"

# --until output=REGEX: a run whose console matches is the one kept.
D="$TMP/output"
"$REWIND" hunt --runs 5 --until 'output=^hello: testos is up' -o "$D" \
	--cmdline workload=hello "$KERNEL" >/dev/null 2>&1
rc=$?
check hunt-until-output [ "$rc" -eq 0 ] && [ -n "$(ls "$D"/*.rwd 2>/dev/null)" ]
"$REWIND" hunt --runs 2 --until 'output=^no such line$' -o "$TMP/nomatch" \
	--cmdline workload=hello "$KERNEL" >/dev/null 2>&1
check hunt-until-output-no-match [ $? -eq 1 ]

# Ctrl-C: the hunt stops, writes its verdict and leaves no half-recorded trace.
D="$TMP/int"
"$REWIND" hunt --runs 1000 --until status=7 --json "$TMP/int.json" -o "$D" \
	--cmdline workload=hello "$KERNEL" >/dev/null 2>&1 &
pid=$!
sleep 2
kill -INT $pid
wait $pid
rc=$?
check hunt-interrupted-exits-1 [ "$rc" -eq 1 ]
check hunt-interrupted-writes-json python3 -c "
import json, sys
v = json.load(open('$TMP/int.json'))
sys.exit(not (v['interrupted'] and v['verdict'] == 'none' and v['runs'] >= 1))"
check hunt-interrupted-leaves-nothing [ -z "$(ls "$D")" ]
# ... and keeps the failures it had found, each named in its verdict.
D="$TMP/int-found"
"$REWIND" hunt --chaos --runs 1000 --keep 1000 --json "$TMP/int-found.json" -o "$D" \
	--cmdline workload=flaky "$KERNEL" >/dev/null 2>&1 &
pid=$!
sleep 3
kill -INT $pid
wait $pid
rc=$?
check hunt-interrupted-keeps-found [ "$rc" -eq 0 ]
check hunt-interrupted-json-names-kept python3 -c "
import json, os, sys
v = json.load(open('$TMP/int-found.json'))
k = v['kept']
sys.exit(not (v['interrupted'] and v['verdict'] == 'found' and k and
              all(os.path.exists(t['trace']) for t in k) and
              len(k) == len([f for f in os.listdir('$D') if f.endswith('.rwd')])))"

# Bad input: a clear message and 125.
bad_input() {
	name=$1 want=$2; shift 2
	"$REWIND" hunt "$@" >"$TMP/bad.out" 2>&1
	rc=$?
	if [ "$rc" -eq 125 ] && grep -q -- "$want" "$TMP/bad.out"; then ok "$name"; else
		fail "$name" "status $rc: $(head -2 "$TMP/bad.out")"; fi
}
: >"$TMP/a-file"
bad_input hunt-runs-0 "runs wants a whole number of at least 1" --runs 0 -o "$TMP/x" "$KERNEL"
bad_input hunt-dir-is-a-file "is not a directory" --runs 1 -o "$TMP/a-file" "$KERNEL"
bad_input hunt-dir-unwritable "cannot create" --runs 1 -o /proc/rewind-hunt "$KERNEL"
bad_input hunt-bad-until "--until wants exit, status=N or output=REGEX" --until sometimes -o "$TMP/x" "$KERNEL"
bad_input hunt-bad-regex "output=(" --until 'output=(' -o "$TMP/x" "$KERNEL"
bad_input hunt-no-dir "-o DIR is required" --runs 1 "$KERNEL"
bad_input hunt-bad-seed "--seed wants a number from 0 to 2^64-1" --chaos --seed -1 -o "$TMP/x" "$KERNEL"
"$REWIND" record --chaos --seed 12x -o "$TMP/seed.rwd" "$KERNEL" </dev/null >/dev/null 2>"$TMP/seed.err"
check record-bad-seed sh -c "[ $? -eq 125 ] && grep -q -- '--seed wants a number' '$TMP/seed.err' && [ ! -e '$TMP/seed.rwd' ]"
bad_input hunt-output-among-record-options "hunt names each run's trace itself" -o "$TMP/x" --cmdline workload=hello -o y "$KERNEL"
bad_input hunt-record-error "could not record" --runs 3 -o "$TMP/x" "$TMP/no-such-kernel"
check hunt-record-error-keeps-nothing [ -z "$(ls "$TMP/x" 2>/dev/null)" ]
