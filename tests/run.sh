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
	# The unit tests and the bad-input tests once more, built with ASan+UBSan (`make asan`). A
	# sanitizer report (written to $san, not mixed into what the tests compare) fails the suite
	# that caused it, whatever its cases said. Their lines read "ok asan SUITE: NAME".
	san=$(mktemp -d)
	trap 'rm -f "$out"; rm -rf "$san"' EXIT
	run_sanitized() {
		name=$1; shift
		run_suite "$name" "$@" | sed 's/^\(ok\|FAIL\|skip\) /\1 asan /'
		if [ -n "$(ls "$san")" ]; then
			head -c 20000 "$san"/*
			echo "FAIL asan $name: sanitizer report"
			rm -f "$san"/*
		fi
	}
	if [ -x build/asan/rewind ]; then
		export ASAN_OPTIONS="log_path=$san/asan" UBSAN_OPTIONS="log_path=$san/ubsan:print_stacktrace=1"
		export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0"
		{
			for t in build/asan/tests/test_*; do
				# The soft engine's suite takes over 5 minutes under ASan; the integration
				# tests below still drive the soft engine through replay's landing search.
				case $t in */test_soft_engine) continue ;; esac
				[ -x "$t" ] && run_sanitized "$t" "$t"
			done
			for t in run_errors trace_damage trace_fields outputs; do
				run_sanitized "$t" env REWIND=build/asan/rewind sh "tests/integration/$t.sh"
			done
		} >"$san.log"
		cat "$san.log"
		pass=$((pass + $(grep -c '^ok ' "$san.log"))); fail=$((fail + $(grep -c '^FAIL ' "$san.log")))
		skip=$((skip + $(grep -c '^skip ' "$san.log")))
		rm -f "$san.log"
	fi
fi
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
