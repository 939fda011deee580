#!/bin/sh
# Runs every test: unit binaries (build/tests/test_*) and integration scripts
# (tests/integration/*.sh); or, given script paths, just those suites. Each prints one line per case, "ok SUITE: NAME",
# "FAIL SUITE: NAME" or "skip SUITE: NAME: why"; this script counts them and ends with the
# line "N passed, N failed, N skipped". A suite that exits non-zero without reporting a
# failure counts as one failure itself.
cd "$(dirname "$0")/.."
out=$(mktemp)
trap 'rm -f "$out"' EXIT
pass=0 fail=0 skip=0
run_suite() {
	name=$1; shift
	"$@" >"$out" 2>&1
	rc=$?
	cat "$out"
	p=$(grep -c '^ok ' "$out"); f=$(grep -c '^FAIL ' "$out"); s=$(grep -c '^skip ' "$out")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL $name: exited with status $rc"
		f=1
	fi
	pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
}
if [ $# -gt 0 ]; then
	# Just the suites named (scripts), e.g. the Linux boot suites of `make test-linux`.
	for t; do
		run_suite "$t" sh "$t"
	done
else
	for t in build/tests/test_*; do
		[ -x "$t" ] && run_suite "$t" "$t"
	done
	for t in tests/integration/*.sh; do
		[ -f "$t" ] && run_suite "$t" sh "$t"
	done
fi
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
