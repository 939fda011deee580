#!/bin/sh
# What --chaos does to the odds of catching a bug: for each workload and engine, RUNS
# recordings (default 50) with and without --chaos, run by `rewind hunt --keep RUNS` so that
# every failing run is counted. Prints, per row, the failure rate and the runs to the first
# failure; docs/chaos.md keeps a measured run. Failure: panic and flaky, the guest panics
# (status 3); race, a timer increment is lost.
#   usage: sh tests/bench/chaos_bench.sh   (BENCH_CHAOS_RUNS=N to change RUNS)
cd "$(dirname "$0")/../.." || exit 1
. tests/bench/lib.sh
bench_setup chaos
RUNS=${BENCH_CHAOS_RUNS:-50}

# row WORKLOAD ENGINE MODE UNTIL: one hunt; prints its line of the table (sh has no locals:
# the loop below uses other names).
row() {
	w=$1 e=$2 mode=$3 until=$4
	chaos=""
	[ "$mode" = chaos ] && chaos=--chaos
	rm -rf "$B/d"
	"$B/rewind" hunt --runs "$RUNS" --keep "$RUNS" $chaos --until "$until" --json "$B/v.json" \
		-o "$B/d" --engine "$e" --timeout 60 --cmdline "workload=$w" "$B/testos.elf" \
		>/dev/null 2>"$B/hunt.err"
	rc=$?
	if [ "$rc" -gt 1 ]; then
		echo "| $w | $e | $mode | error $rc: $(head -1 "$B/hunt.err") | |"
		return
	fi
	python3 - "$B/v.json" "$w" "$e" "$mode" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))
runs, fails = v["runs"], v["failures"]
first = min((k["run"] for k in v["kept"]), default=None)
print("| %s | %s | %s | %d/%d (%.0f %%) | %s | %.1f |" % (sys.argv[2], sys.argv[3], sys.argv[4],
      fails, runs, 100.0 * fails / runs, first if first else "none in %d" % runs, v["seconds"]))
PY
}

echo "| workload | engine | recording | failing runs | runs to the first failure | seconds |"
echo "| --- | --- | --- | --- | --- | --- |"
for case in flaky:status=3 panic:status=3 'race:output=[1-9][0-9]* lost'; do
	for engine in kvm soft; do
		for how in plain chaos; do
			row "${case%%:*}" "$engine" "$how" "${case#*:}"
		done
	done
done
