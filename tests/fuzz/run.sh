#!/bin/sh
# Fuzzes rewind's readers of untrusted bytes with libFuzzer (+ ASan, UBSan): FUZZ_RUNS inputs
# per target (default 1 M), each target stopped after FUZZ_SECONDS all the same (default 600).
# On an idle 2-core machine a target takes one to two minutes; docs/reliability.md has the
# counts and times measured on a busy one. The targets:
#   trace_reader_fuzz        the trace reader and the `trace` tools, real checksums
#   trace_reader_fuzz_nosum  the same built with FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION, whose
#                            reader accepts any checksum so mutated inputs reach the decoders
#   snapshot_fuzz            the snapshot and page-store file readers
#   gdb_packet_fuzz          the gdb remote protocol: framing and every packet's parser
# Seeds: valid traces from make_seeds.c, a snapshot from build/rewind (when /dev/kvm works), a
# gdb session's packets. Every file in tests/fuzz/regressions/TARGET/ (inputs that once crashed)
# is run first. Crashes are left in build/fuzz/ as crash-* files; the script then exits
# non-zero. Each target prints "ok fuzz: TARGET (Done N runs ...)".
set -e
cd "$(dirname "$0")/../.."
runs=${FUZZ_RUNS:-1000000}
secs=${FUZZ_SECONDS:-600}
out=build/fuzz
cc=${FUZZ_CC:-clang}
mkdir -p "$out"
san="-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined"
trace_src="traces/events.c traces/reader.c traces/tools.c traces/writer.c core/outfile.c"
build() { # TARGET SOURCE... (and -D flags)
	t=$1; shift
	$cc -std=gnu11 -g -O1 -I. $san -Wno-gnu-variable-sized-type-not-at-end "$@" -llz4 -lxxhash \
		-o "$out/$t"
}
build trace_reader_fuzz tests/fuzz/trace_reader_fuzz.c $trace_src
build trace_reader_fuzz_nosum -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION tests/fuzz/trace_reader_fuzz.c $trace_src
build snapshot_fuzz tests/fuzz/snapshot_fuzz.c core/snapshot.c core/pagestore.c core/outfile.c
build gdb_packet_fuzz tests/fuzz/gdb_packet_fuzz.c gdb/session.c gdb/packet.c gdb/regs.c core/pagewalk.c
$cc -std=gnu11 -O1 -I. tests/fuzz/make_seeds.c $trace_src -llz4 -lxxhash -o "$out/make_seeds"

rm -rf "$out/seeds"
mkdir -p "$out/seeds/trace" "$out/seeds/snapshot" "$out/seeds/gdb"
"$out/make_seeds" "$out/seeds/trace"
build/rewind run -m 8M -S "$out/seeds/snapshot/seed.snap" --snapshot-after 0.01 --stop-after-snapshot \
	--timeout 30 --cmdline workload=hello build/guest/testos.elf </dev/null >/dev/null 2>&1 || true
python3 - "$out/seeds/gdb" <<'PY'
import sys
def frame(p): return b"$%s#%02x" % (p, sum(p) & 0xff)
pkts = [b"qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=i386", b"QStartNoAckMode", b"?",
        b"Hg1", b"g", b"p10", b"m400000,8", b"M400000,2:abcd", b"X400000,2:}]x", b"Z0,ffffffff81000010,1",
        b"Z2,400000,8", b"vCont?", b"vCont;s:1", b"c", b"bs", b"bc", b"qXfer:features:read:target.xml:0,fff",
        b"qRcmd,7768656e", b"z0,ffffffff81000010,1", b"qfThreadInfo", b"G" + b"0" * 64, b"D"]
open(sys.argv[1] + "/session", "wb").write(b"+".join(frame(p) for p in pkts) + b"\x03+-")
open(sys.argv[1] + "/rle", "wb").write(frame(b"M400000,10:0*>") + b"+" + frame(b"m0*\"1,4"))
PY

fail=0
for t in trace_reader_fuzz trace_reader_fuzz_nosum snapshot_fuzz gdb_packet_fuzz; do
	case $t in
	trace_*) seeds=trace max=131072 ;;
	snapshot_fuzz) seeds=snapshot max=131072 ;;
	gdb_packet_fuzz) seeds=gdb max=4096 ;;
	esac
	regress=tests/fuzz/regressions/$t
	if [ -d "$regress" ] && ! "$out/$t" -runs=1 "$regress"/* >"$out/$t.regress.log" 2>&1; then
		tail -40 "$out/$t.regress.log"
		echo "FAIL fuzz: $t: a regression input crashes again (see $out/$t.regress.log)"
		fail=1
		continue
	fi
	mkdir -p "$out/corpus-$t"
	if "$out/$t" -runs="$runs" -max_total_time="$secs" -max_len=$max -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$out/" -print_final_stats=0 \
		"$out/corpus-$t" "$out/seeds/$seeds" >"$out/$t.log" 2>&1; then
		echo "ok fuzz: $t ($(grep -o 'Done [0-9]* runs in [0-9]* second' "$out/$t.log" | tail -1))"
	else
		tail -40 "$out/$t.log"
		echo "FAIL fuzz: $t (see $out/$t.log and $out/crash-*)"
		fail=1
	fi
done
exit $fail
