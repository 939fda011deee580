#!/bin/sh
# Checkpoints and snapshots of a running 256 MiB guest, rewind against QEMU (issue 4).
#   sh tests/bench/ckpt_bench.sh        (BENCH_REPS rounds, default 3; ~40 s a round)
# Each round, interleaved so that a slow spell of this shared host hits all alike:
#  1. build/bench/ckpt_bench (tests/bench/ckpt_bench.c, linked with build/librewind.a) boots
#     testos `workload=race ticks=1000` and takes 50 checkpoints 100 ms of guest time apart
#     with checkpoints_take(), saves them, restores some: once as is (testos leaves ~99.9% of
#     RAM zero) and once with the top 192 MiB filled with distinct non-zero pages.
#  2. the same two guests under QEMU TCG: `savevm` into a qcow2 file over the monitor, 50
#     times without fill and 10 times with it (each such snapshot writes ~193 MiB), and
#     `loadvm` (tests/bench/qemu_savevm.sh).
#  3. `rewind record` of `workload=race ticks=300` with and without --checkpoint-every 0.1:
#     what checkpoints cost the real command (wall time, peak RSS, files).
# The guest's run is paced by guest time (timer ticks), so a recording's wall time hardly moves:
# its CPU time shows what checkpoints cost.
# Rows show median, min..max and the number of samples. Raw samples: build/bench/ckpt/samples.txt.
cd "$(dirname "$0")/../.." || exit 1

REPS=${BENCH_REPS:-3}
N=50		# rewind checkpoints per run, and QEMU savevms without fill
QN_FILL=10	# QEMU savevms with fill
EVERY_MS=100
MIB=256
FILL=192
B=build/bench/ckpt
K=build/guest/testos.elf
S=$B/samples.txt

mkdir -p $B
: >$S
if [ ! -f build/librewind.a ] || [ ! -f $K ]; then
	echo "ckpt_bench: build first (make -j2)" >&2
	exit 1
fi
if ! cc -O2 -g -std=gnu11 -Wall -Wextra -Werror -I. -o $B/ckpt_bench tests/bench/ckpt_bench.c \
	build/librewind.a -llz4 -lxxhash -lunicorn -lunwind -lunwind-x86_64 -lpthread -lm; then
	echo "ckpt_bench: cannot build ckpt_bench" >&2
	exit 1
fi
have_qemu=1
command -v qemu-system-x86_64 >/dev/null 2>&1 || have_qemu=

fail=0
# rewind_run TAG FILL_MIB: one ckpt_bench run; its lines become samples TAG.KEY VALUE.
rewind_run() {
	rm -rf $B/rw && mkdir -p $B/rw
	if ! $B/ckpt_bench $K $B/rw $N $EVERY_MS $MIB "$2" >$B/rw.out; then
		echo "ckpt_bench: ckpt_bench failed (fill $2)" >&2
		fail=1
		return
	fi
	awk -v t="$1" '
		$1 == "take" { print t ".take." $2, $3; if ($2 == "incremental") print t ".dirty", $5 }
		$1 == "restore" { print t ".restore", $3 }
		$1 == "store" { print t ".store_bytes", $5; print t ".store_pages", $3 }
		$1 == "save_ms" { print t ".save", $2 }
		$1 == "disk" && $2 == "snaps" { print t ".disk", $5; print t ".snapfiles", $3 }
		$1 == "guest_ram_bytes" { print t ".ram", $2 }' $B/rw.out >>$S
	rm -rf $B/rw
}
# qemu_run TAG COUNT FILL_MIB
qemu_run() {
	if ! sh tests/bench/qemu_savevm.sh "$2" "$3" $B/q >$B/q.out; then
		echo "ckpt_bench: qemu_savevm.sh failed (fill $3)" >&2
		fail=1
		return
	fi
	awk -v t="$1" '{ print t "." $1, $2 }' $B/q.out >>$S
	rm -f $B/q/snap.qcow2
}
# record_run TAG [OPTIONS]: wall seconds, peak RSS (KiB), and checkpoint files of a recording.
record_run() {
	tag=$1
	shift
	rm -rf $B/r.rwd $B/r.rwd.ckpt
	if ! /usr/bin/time -f "%e %U %S %M" -o $B/time.out build/rewind record -o $B/r.rwd "$@" \
		--cmdline "workload=race ticks=300" $K >/dev/null 2>$B/rec.err </dev/null; then
		echo "ckpt_bench: record $* failed" >&2
		fail=1
		return
	fi
	read -r wall user sys rss <$B/time.out
	echo "$tag.wall $wall" >>$S
	echo "$tag.cpu $(echo "$user + $sys" | bc)" >>$S
	echo "$tag.rss_kib $rss" >>$S
	if [ -d $B/r.rwd.ckpt ]; then
		echo "$tag.ckpt_disk $(cat $B/r.rwd.ckpt/* | wc -c)" >>$S
		echo "$tag.ckpt_n $(ls $B/r.rwd.ckpt | grep -c '\.snap$')" >>$S
	fi
	echo "$tag.trace $(wc -c <$B/r.rwd)" >>$S
}

echo "ckpt_bench: $REPS rounds on $(nproc) cores, $(uname -r), $(date -u '+%F %T UTC')"
r=0
while [ $r -lt $REPS ]; do
	r=$((r + 1))
	rewind_run rw 0
	rewind_run rwfill $FILL
	if [ -n "$have_qemu" ]; then
		qemu_run q $N 0
		qemu_run qfill $QN_FILL $FILL
	fi
	record_run rec
	record_run recck --checkpoint-every 0.1
done
rm -rf $B/q $B/r.rwd $B/r.rwd.ckpt

# row LABEL KEY [SCALE [UNIT]]: median min..max (n) of KEY's samples times SCALE.
row() {
	awk -v k="$2" -v s="${3:-1}" -v u="${4:-}" -v l="$1" '
		$1 == k { v[n++] = $2 * s }
		END {
			if (!n) { printf "  %-58s (no samples)\n", l; exit }
			for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) if (v[j] < v[i]) { x = v[i]; v[i] = v[j]; v[j] = x }
			m = n % 2 ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2
			printf "  %-58s %10.4g %s  (%.4g..%.4g, n=%d)\n", l, m, u, v[0], v[n - 1], n
		}' $S
}
# ratio LABEL KEY_A KEY_B: median(A) / median(B).
med() {
	awk -v k="$1" '$1 == k { v[n++] = $2 } END {
		for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) if (v[j] < v[i]) { x = v[i]; v[i] = v[j]; v[j] = x }
		if (n) print (n % 2 ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2); else print 0 }' $S
}

MiB=0.00000095367431640625
echo
echo "rewind: $N checkpoints of a $MIB MiB guest (testos race), $EVERY_MS ms of guest time apart"
for t in rw rwfill; do
	[ $t = rw ] && echo " RAM as testos leaves it" || echo " top $FILL MiB of RAM filled with distinct non-zero pages"
	row "full checkpoint, empty store (the first)" $t.take.full_cold 1 ms
	row "full checkpoint, store already holding the pages" $t.take.full_warm 1 ms
	row "incremental checkpoint" $t.take.incremental 1 ms
	row "pages in the dirty log at an incremental checkpoint" $t.dirty 1 pages
	row "restore one checkpoint (checkpoints_restore)" $t.restore 1 ms
	row "save the $N checkpoints (checkpoints_save, fsync)" $t.save 1 ms
	row "page store in memory after $N checkpoints" $t.store_bytes $MiB MiB
	row "files on disk: store + $N .snap" $t.disk $MiB MiB
	disk=$(med $t.disk)
	ram=$(med $t.ram)
	awk -v d="$disk" -v r="$ram" -v n=$N 'BEGIN { if (d > 0) printf "  %-58s %10.1f x  (%d x %d MiB = %.1f GiB against %.2f MiB)\n",
		"deduplication: N x guest RAM / files", n * r / d, n, r / 1048576, n * r / 1073741824, d / 1048576 }'
done
if [ -n "$have_qemu" ]; then
	echo "QEMU 7.2 TCG, savevm/loadvm into a qcow2 file (HMP monitor), same guest"
	echo " RAM as testos leaves it ($N savevm)"
	row "savevm" q.savevm_ms 1 ms
	row "loadvm" q.loadvm_ms 1 ms
	row "VM SIZE of one snapshot (info snapshots)" q.vmsize_mib 1 MiB
	row "qcow2 file after $N savevm" q.qcow2_bytes $MiB MiB
	echo " top $FILL MiB filled with random bytes (-device loader), $QN_FILL savevm"
	row "savevm" qfill.savevm_ms 1 ms
	row "loadvm" qfill.loadvm_ms 1 ms
	row "VM SIZE of one snapshot (info snapshots)" qfill.vmsize_mib 1 MiB
	row "qcow2 file after $QN_FILL savevm" qfill.qcow2_bytes $MiB MiB
fi
echo "rewind record, workload=race ticks=300 (~3.3 s), with and without --checkpoint-every 0.1"
row "record, wall" rec.wall 1 s
row "record --checkpoint-every 0.1, wall" recck.wall 1 s
row "record, CPU (user + sys)" rec.cpu 1 s
row "record --checkpoint-every 0.1, CPU (user + sys)" recck.cpu 1 s
row "record, peak RSS" rec.rss_kib 0.0009765625 MiB
row "record --checkpoint-every 0.1, peak RSS" recck.rss_kib 0.0009765625 MiB
row "checkpoints written" recck.ckpt_n 1 ""
row "TRACE.ckpt/ bytes (store + .snap files)" recck.ckpt_disk $MiB MiB
row "trace file" recck.trace 0.0009765625 KiB
exit $fail
