#!/bin/sh
# rewind's benchmarks (`make bench`): boot time, exit and timer-interrupt costs, record and
# replay overhead, and QEMU's TCG and record/replay on the same guests for comparison.
# docs/benchmarks.md explains every figure and keeps the numbers of a measured run.
#
# Every configuration runs BENCH_REPS times (default 5; the QEMU record/replay runs
# BENCH_QEMU_REPS times, default 3), interleaved round by round so that a slow spell of this
# noisy host hits all of them alike. Each row shows the median and min..max of its samples.
# Helpers are built into build/bench/run/ (a directory of its own: build/bench/ is shared):
# timeit (tests/bench/timeit.c) times one command and the moment the guest's banner reached
# its stdout; digest_cost (tests/bench/digest_cost.c) times a whole-memory hash; the bench
# guests are tests/bench/bench_guest.S assembled with --defsym values.
# Raw samples: build/bench/run/samples.txt (as taken) and build/bench/run/raw.txt (by key).
# BENCH_KEEP=1 keeps the trace files (build/bench/run/*.rwd, QEMU's *.rr) too.
cd "$(dirname "$0")/../.." || exit 1

REPS=${BENCH_REPS:-5}
QREPS=${BENCH_QEMU_REPS:-3}
B=build/bench/run
R=build/rewind
K=build/guest/testos.elf
BANNER='testos: x86-64 test kernel'
# The echo input: short lines, under 1 KiB in all (see docs/benchmarks.md: a longer input
# fed at once overflows testos's 1 KiB line ring under rewind and the guest stops reading).
ECHO_LINES=180
# Exit benchmark sizes: rewind takes ~20 us an exit, QEMU TCG ~50 ns.
PIO_SMALL=4096
PIO_LARGE=65536
QPIO_LARGE=8388608
# Timer benchmark: saturated (the PIT at 19.9 kHz, a 50 us period, faster than either VMM
# delivers interrupts here: every tick then takes what one interrupt costs; at 596 kHz both
# VMMs fall into pathological timer handling, see docs/benchmarks.md), and 1000 Hz (the
# guest keeps up; the cost shows as CPU time). Both by difference of a short and a long run.
SAT_SMALL=200
SAT_TICKS=4000
KHZ_SMALL=20
KHZ_TICKS=500

mkdir -p $B
S=$B/samples.txt
: >$S
FAILS=$B/failures.txt
: >$FAILS
: >$B/stderr.log

fail() {
	echo "bench: $*" >>$FAILS
	echo "bench: $*" >&2
}

if ! cc -O2 -Wall -Wextra -Werror -o $B/timeit tests/bench/timeit.c ||
	! cc -O2 -Wall -Wextra -Werror -o $B/digest_cost tests/bench/digest_cost.c -lxxhash; then
	echo "bench: cannot build $B/timeit or $B/digest_cost" >&2
	exit 1
fi

. tests/bench/lib.sh
bench_guest pio_small MODE=1 COUNT=$PIO_SMALL &&
	bench_guest pio_large MODE=1 COUNT=$PIO_LARGE &&
	bench_guest qpio_large MODE=1 COUNT=$QPIO_LARGE &&
	bench_guest tick_sat_small MODE=2 DIVISOR=60 TICKS=$SAT_SMALL &&
	bench_guest tick_sat MODE=2 DIVISOR=60 TICKS=$SAT_TICKS &&
	bench_guest tick_khz_small MODE=2 DIVISOR=1193 TICKS=$KHZ_SMALL &&
	bench_guest tick_khz MODE=2 DIVISOR=1193 TICKS=$KHZ_TICKS ||
	{
		echo "bench: cannot assemble tests/bench/bench_guest.S" >&2
		exit 1
	}

i=0
: >$B/echo.in
while [ $i -lt $ECHO_LINES ]; do
	i=$((i + 1))
	printf 'l%03d\n' $i >>$B/echo.in
done
echo quit >>$B/echo.in

have_rewind=1
if [ ! -x build/rewind ] || [ ! -f $K ]; then
	echo "bench: skip rewind rows: build/rewind or $K not built (run make)"
	have_rewind=
elif [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
	echo "bench: skip rewind rows: /dev/kvm not usable"
	have_rewind=
fi
# Benchmark copies: a rebuild of the tree during the run must not change what is measured.
if [ -n "$have_rewind" ]; then
	cp build/rewind $B/rewind && cp $K $B/testos.elf || exit 1
	R=$B/rewind
	K=$B/testos.elf
fi
have_qemu=1
if ! command -v qemu-system-x86_64 >/dev/null 2>&1; then
	echo "bench: skip QEMU rows: qemu-system-x86_64 not installed"
	have_qemu=
fi

# Wall time is what the goals are about, but this 2-core host is shared: the CPU time of the
# measured process (user+sys, from wait4) is shown beside it as the steadier figure.

# No single command may take longer than this (seconds); it then fails with status 137.
LIMIT=${BENCH_LIMIT:-60}

# measure KEY WANT_STATUS [timeit options] -- COMMAND...: one sample of KEY.wall, KEY.cpu
# (user+sys of the command) and, with -b, KEY.banner. A wrong exit status is a failure and
# gives no sample.
measure() {
	key=$1
	want=$2
	shift 2
	line=$($B/timeit -t $LIMIT "$@" 2>>$B/stderr.log)
	set -- $(echo "$line" | sed 's/[a-z]*=//g')
	if [ $# -ne 6 ]; then
		fail "$key: timeit failed"
		return 1
	fi
	if [ "$3" -ne "$want" ]; then
		fail "$key: exit status $3, expected $want"
		return 1
	fi
	echo "$key.wall $1" >>$S
	echo "$key.cpu $(echo "$4 $5" | awk '{ printf "%.6f", $1 + $2 }')" >>$S
	[ "$2" != "-1.000000" ] && echo "$key.banner $2" >>$S
	return 0
}

# sample KEY VALUE: a derived sample (sizes, counts, rates).
sample() {
	echo "$1 $2" >>$S
}

# QEMU with the test kernel's devices; the serial line on stdio.
Q="qemu-system-x86_64 -accel tcg -nographic -serial stdio -monitor none -display none
	-net none -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04"
RR="-icount shift=auto,rr"

# JSON field (a number) from `rewind trace info --json`.
jnum() {
	sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p" "$1"
}

round() {
	n=$1
	if [ -n "$have_rewind" ]; then
		measure boot.rewind 0 -b "$BANNER" -- $R run --timeout 60 --cmdline workload=hello $K </dev/null
		measure exit.rewind.small 0 -- $R run --timeout 60 $B/pio_small.elf </dev/null
		measure exit.rewind.large 0 -- $R run --timeout 60 $B/pio_large.elf </dev/null
		measure tick.rewind.sat_small 0 -- $R run --timeout 60 $B/tick_sat_small.elf </dev/null
		measure tick.rewind.sat 0 -- $R run --timeout 60 $B/tick_sat.elf </dev/null
		measure tick.rewind.khz_small 0 -- $R run --timeout 60 $B/tick_khz_small.elf </dev/null
		measure tick.rewind.khz 0 -- $R run --timeout 60 $B/tick_khz.elf </dev/null

		# The whole-memory digest at the end of record and replay --verify (256 MiB).
		set -- $($B/digest_cost 256 | sed 's/[a-z]*=//g')
		[ $# -eq 2 ] && sample digest.first "$1" && sample digest.second "$2"

		for w in compute echo; do
			in=/dev/null
			[ $w = echo ] && in=$B/echo.in
			opts="--timeout 120 --cmdline workload=$w --serial-in $in"
			rm -f $B/$w.rwd $B/$w.rec.out $B/$w.rep.out # a failed round leaves nothing to reuse
			measure $w.run 0 -o $B/$w.run.out -- $R run $opts $K </dev/null
			measure $w.record 0 -o $B/$w.rec.out -- $R record -o $B/$w.rwd $opts $K </dev/null &&
				measure $w.replay 0 -o $B/$w.rep.out -- $R replay --timeout 120 $B/$w.rwd &&
				measure $w.verify 0 -- $R replay --verify --timeout 120 $B/$w.rwd
			if ! cmp -s $B/$w.rec.out $B/$w.rep.out; then
				fail "$w: replayed console output differs from the recorded one"
			fi
			if $R trace info --json $B/$w.rwd >$B/$w.json 2>/dev/null; then
				sample $w.trace.file "$(jnum $B/$w.json file_size)"
				sample $w.trace.chunks_c "$(jnum $B/$w.json bytes_compressed)"
				sample $w.trace.chunks_u "$(jnum $B/$w.json bytes_uncompressed)"
				sample $w.trace.ratio "$(jnum $B/$w.json compression_ratio)"
				sample $w.trace.events "$(jnum $B/$w.json events)"
				sample $w.trace.guest_ns "$(jnum $B/$w.json guest_ns)"
			else
				fail "$w: trace info --json failed"
			fi
		done
	fi
	if [ -n "$have_qemu" ]; then
		measure boot.qemu 1 -b "$BANNER" -- $Q -kernel $K -append workload=hello </dev/null
		measure exit.qemu.small 1 -- $Q -kernel $B/pio_small.elf </dev/null
		measure exit.qemu.large 1 -- $Q -kernel $B/qpio_large.elf </dev/null
		measure tick.qemu.sat_small 1 -- $Q -kernel $B/tick_sat_small.elf </dev/null
		measure tick.qemu.sat 1 -- $Q -kernel $B/tick_sat.elf </dev/null
		measure tick.qemu.khz_small 1 -- $Q -kernel $B/tick_khz_small.elf </dev/null
		measure tick.qemu.khz 1 -- $Q -kernel $B/tick_khz.elf </dev/null
		if [ "$n" -le "$QREPS" ]; then
			rm -f $B/qc.rr $B/qe.rr $B/qc.rec.out $B/qc.rep.out $B/qe.rec.out $B/qe.rep.out
			g="-kernel $K -append workload=compute"
			measure compute.qemu 1 -o $B/qc.out -- $Q $g </dev/null
			measure compute.qrecord 1 -o $B/qc.rec.out -- $Q $RR=record,rrfile=$B/qc.rr $g </dev/null &&
				measure compute.qreplay 1 -o $B/qc.rep.out -- $Q $RR=replay,rrfile=$B/qc.rr $g </dev/null &&
				sample compute.qtrace.file "$(wc -c <$B/qc.rr)"
			cmp -s $B/qc.rec.out $B/qc.rep.out || fail "QEMU compute: replay output differs"
			# QEMU's firmware reads the serial port, and under rr=record the UART is fed
			# without flow control: input must start after boot and come slowly, or
			# bytes are lost. The wall time is then set by the pacing, not the VMM.
			g="-kernel $K -append workload=echo"
			(sleep 2; while read -r l; do echo "$l"; sleep 0.01; done <$B/echo.in) |
				measure echo.qrecord 1 -o $B/qe.rec.out -- $Q $RR=record,rrfile=$B/qe.rr $g &&
				measure echo.qreplay 1 -o $B/qe.rep.out -- $Q $RR=replay,rrfile=$B/qe.rr $g </dev/null &&
				sample echo.qtrace.file "$(wc -c <$B/qe.rr)"
			cmp -s $B/qe.rec.out $B/qe.rep.out || fail "QEMU echo: replay output differs"
		fi
	fi
}

echo "bench: $REPS rounds ($QREPS with QEMU record/replay) on $(nproc) cores, $(uname -r), $(date -u '+%F %T UTC')"
echo "bench: load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
n=0
while [ $n -lt $REPS ]; do
	n=$((n + 1))
	echo "bench: round $n of $REPS"
	round $n
done

# stat KEY: "median min max count" of KEY's samples (the median of an even count is the
# mean of the middle two), or nothing.
stat() {
	awk -v k="$1" '$1 == k { print $2 }' $S | sort -g |
		awk '{ v[NR] = $1 } END {
			if (!NR) exit
			m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			print m, v[1], v[NR], NR }'
}

# row LABEL KEY UNIT SCALE: the statistics of KEY times SCALE.
row() {
	st=$(stat "$2")
	if [ -z "$st" ]; then
		printf '  %-50s %s\n' "$1" "(no samples)"
		return
	fi
	echo "$st" | awk -v l="$1" -v u="$3" -v s="$4" '{
		printf "  %-50s %12.4g %-8s [%.4g .. %.4g] n=%d\n", l, $1 * s, u, $2 * s, $3 * s, $4 }'
}

# derive KEY EXPR KEYS...: samples of KEY computed from the i-th sample of each of KEYS
# (same round) with awk expression EXPR over a, b, c, d.
derive() {
	key=$1
	expr=$2
	shift 2
	files=
	for k in "$@"; do
		awk -v k="$k" '$1 == k { print $2 }' $S >$B/d.$k
		files="$files $B/d.$k"
	done
	paste -d' ' $files | awk -v k="$key" 'NF == '$#' { a = $1; b = $2; c = $3; d = $4; print k, '"$expr"' }' >>$S
	rm -f $files
}

derive exit.rewind.rate "($PIO_LARGE - $PIO_SMALL) / (b - a)" exit.rewind.small.wall exit.rewind.large.wall
derive exit.rewind.us "(b - a) / ($PIO_LARGE - $PIO_SMALL) * 1e6" exit.rewind.small.wall exit.rewind.large.wall
derive exit.qemu.rate "($QPIO_LARGE - $PIO_SMALL) / (b - a)" exit.qemu.small.wall exit.qemu.large.wall
derive tick.rewind.sat.us "(b - a) / ($SAT_TICKS - $SAT_SMALL) * 1e6" tick.rewind.sat_small.wall tick.rewind.sat.wall
derive tick.qemu.sat.us "(b - a) / ($SAT_TICKS - $SAT_SMALL) * 1e6" tick.qemu.sat_small.wall tick.qemu.sat.wall
derive tick.rewind.cpu.us "(b - a) / ($KHZ_TICKS - $KHZ_SMALL) * 1e6" tick.rewind.khz_small.cpu tick.rewind.khz.cpu
derive tick.qemu.cpu.us "(b - a) / ($KHZ_TICKS - $KHZ_SMALL) * 1e6" tick.qemu.khz_small.cpu tick.qemu.khz.cpu
for w in compute echo; do
	derive $w.overhead "(b / a - 1) * 100" $w.run.wall $w.record.wall
	derive $w.overhead_cpu "(b / a - 1) * 100" $w.run.cpu $w.record.cpu
	derive $w.replay_vs_record_cpu "b / a" $w.record.cpu $w.replay.cpu
	derive $w.replay_vs_record "b / a" $w.record.wall $w.replay.wall
	derive $w.verify_vs_record "b / a" $w.record.wall $w.verify.wall
	derive $w.trace.bytes_per_gs "a / (b / 1e9)" $w.trace.chunks_c $w.trace.guest_ns
	derive $w.trace.bytes_per_event "a / b" $w.trace.chunks_c $w.trace.events
done
derive compute.qoverhead "(b / a - 1) * 100" compute.qemu.wall compute.qrecord.wall
derive compute.qoverhead_cpu "(b / a - 1) * 100" compute.qemu.cpu compute.qrecord.cpu
derive compute.qreplay_vs_record "b / a" compute.qrecord.wall compute.qreplay.wall

echo "bench: load average at end: $(cut -d' ' -f1-3 /proc/loadavg) (other work on this host skews wall times)"
echo
echo "== rewind benchmarks: median [min .. max] n=samples =="
echo "1. start-up"
row "rewind run: process start to banner" boot.rewind.banner ms 1000
row "rewind run: whole hello run" boot.rewind.wall ms 1000
row "QEMU TCG: process start to banner" boot.qemu.banner ms 1000
row "QEMU TCG: whole hello run" boot.qemu.wall ms 1000
echo "2. exits and timer interrupts (tests/bench/bench_guest.S)"
row "rewind: $PIO_SMALL outb to port 0x80, wall" exit.rewind.small.wall s 1
row "rewind: $PIO_LARGE outb to port 0x80, wall" exit.rewind.large.wall s 1
row "rewind: exits per second (difference)" exit.rewind.rate exits/s 1
row "rewind: one port-I/O exit" exit.rewind.us us 1
row "QEMU TCG: $QPIO_LARGE outb, wall" exit.qemu.large.wall s 1
row "QEMU TCG: outb per second (difference)" exit.qemu.rate outb/s 1
row "rewind: $SAT_TICKS ticks, PIT at 19.9 kHz, wall" tick.rewind.sat.wall s 1
row "rewind: one timer interrupt, saturated" tick.rewind.sat.us us 1
row "rewind: $KHZ_TICKS ticks at 1000 Hz, wall" tick.rewind.khz.wall s 1
row "rewind: host CPU per tick at 1000 Hz" tick.rewind.cpu.us us 1
row "QEMU TCG: $SAT_TICKS ticks, PIT at 19.9 kHz, wall" tick.qemu.sat.wall s 1
row "QEMU TCG: one timer interrupt, saturated" tick.qemu.sat.us us 1
row "QEMU TCG: $KHZ_TICKS ticks at 1000 Hz, wall" tick.qemu.khz.wall s 1
row "QEMU TCG: host CPU per tick at 1000 Hz" tick.qemu.cpu.us us 1
echo "3. record and replay (testos workloads; echo: $ECHO_LINES lines from --serial-in)"
row "XXH3 of 256 MiB untouched guest RAM (final digest)" digest.first ms 1
row "the same hash of now-mapped memory" digest.second ms 1
for w in compute echo; do
	row "$w: run" $w.run.wall s 1
	row "$w: record" $w.record.wall s 1
	row "$w: replay" $w.replay.wall s 1
	row "$w: replay --verify" $w.verify.wall s 1
	row "$w: record overhead vs run (goal <= 5)" $w.overhead % 1
	row "$w: record overhead, CPU time (user+sys)" $w.overhead_cpu % 1
	row "$w: replay / record time (goal <= 1)" $w.replay_vs_record x 1
	row "$w: replay / record, CPU time" $w.replay_vs_record_cpu x 1
	row "$w: replay --verify / record time" $w.verify_vs_record x 1
	row "$w: trace file size" $w.trace.file bytes 1
	row "$w: event chunks, compressed" $w.trace.chunks_c bytes 1
	row "$w: events" $w.trace.events events 1
	row "$w: guest time" $w.trace.guest_ns s 1e-9
	row "$w: chunk bytes per guest second" $w.trace.bytes_per_gs B/s 1
	row "$w: chunk bytes per event" $w.trace.bytes_per_event B 1
	row "$w: LZ4 ratio (uncompressed/compressed)" $w.trace.ratio x 1
done
echo "4. QEMU record/replay (-icount shift=auto,rr=record|replay)"
row "compute: QEMU TCG, no icount" compute.qemu.wall s 1
row "compute: QEMU rr=record" compute.qrecord.wall s 1
row "compute: QEMU rr=replay" compute.qreplay.wall s 1
row "compute: QEMU record overhead vs TCG" compute.qoverhead % 1
row "compute: QEMU record overhead, CPU time" compute.qoverhead_cpu % 1
row "compute: QEMU replay / record time" compute.qreplay_vs_record x 1
row "compute: QEMU rr log size" compute.qtrace.file bytes 1
row "echo: QEMU rr=record (paced input, 2 s + 10 ms/line)" echo.qrecord.wall s 1
row "echo: QEMU rr=replay" echo.qreplay.wall s 1
row "echo: QEMU rr log size" echo.qtrace.file bytes 1

# Every sample, one key a line in the order taken (docs/benchmarks.md quotes these).
awk '{ if (!($1 in v)) k[n++] = $1; v[$1] = v[$1] " " $2 }
	END { for (i = 0; i < n; i++) print k[i] ":" v[k[i]] }' $S >$B/raw.txt
echo
echo "bench: raw samples in $B/raw.txt"

[ -n "$BENCH_KEEP" ] || rm -f $B/*.rwd $B/*.rr

# Checkpoints, snapshots and reverse debugging against QEMU: docs/benchmarks-snapshots-debug.md
echo
sh tests/bench/engines.sh || echo "engines.sh failed" >>$FAILS
sh tests/bench/ckpt_bench.sh || echo "ckpt_bench.sh failed (see build/bench/ckpt/)" >>$FAILS
sh tests/bench/reverse_bench.sh || echo "reverse_bench.sh failed (see build/bench/reverse/)" >>$FAILS
sh tests/bench/landing_bench.sh || echo "landing_bench.sh failed (see build/bench/landing/)" >>$FAILS
sh tests/bench/user_landings_bench.sh || echo "user_landings_bench.sh failed (see build/bench/user_landings/)" >>$FAILS
sh tests/bench/chaos_bench.sh || echo "chaos_bench.sh failed (see build/bench/chaos/)" >>$FAILS

if [ -s $FAILS ]; then
	echo
	echo "bench: $(wc -l <$FAILS) failures (commands' stderr: $B/stderr.log):"
	cat $FAILS
	exit 1
fi
exit 0
