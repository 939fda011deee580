#!/bin/sh
# Fuzzes the trace reader and the `trace` tools with libFuzzer (+ ASan, UBSan) for a bounded
# time: FUZZ_SECONDS (default 60), split between two builds: one with real checksums, and one
# built with FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION, whose reader accepts any checksum so
# mutated inputs reach the decoders behind them. Seeds are valid traces from make_seeds.c.
# Crashes are left in build/fuzz/ as crash-* files; the script then exits non-zero.
set -e
cd "$(dirname "$0")/../.."
secs=${FUZZ_SECONDS:-60}
half=$(( (secs + 1) / 2 ))
out=build/fuzz
cc=${FUZZ_CC:-clang}
mkdir -p "$out"
src="traces/events.c traces/reader.c traces/tools.c traces/writer.c core/outfile.c"
san="-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined"
$cc -std=gnu11 -g -O1 -I. $san tests/fuzz/trace_reader_fuzz.c $src -llz4 -lxxhash \
	-o "$out/trace_reader_fuzz"
$cc -std=gnu11 -g -O1 -I. $san -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION \
	tests/fuzz/trace_reader_fuzz.c $src -llz4 -lxxhash -o "$out/trace_reader_fuzz_nosum"
$cc -std=gnu11 -O1 -I. tests/fuzz/make_seeds.c $src -llz4 -lxxhash -o "$out/make_seeds"
rm -rf "$out/seeds"
"$out/make_seeds" "$out/seeds"
fail=0
for t in trace_reader_fuzz trace_reader_fuzz_nosum; do
	mkdir -p "$out/corpus-$t"
	if "$out/$t" -max_total_time="$half" -max_len=131072 -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$out/" -print_final_stats=0 \
		"$out/corpus-$t" "$out/seeds" >"$out/$t.log" 2>&1; then
		echo "ok fuzz: $t ($(grep -o 'Done [0-9]* runs' "$out/$t.log" | tail -1))"
	else
		tail -40 "$out/$t.log"
		echo "FAIL fuzz: $t (see $out/$t.log and $out/crash-*)"
		fail=1
	fi
done
exit $fail
