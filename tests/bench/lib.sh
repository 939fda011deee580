# Shared by the benchmark scripts (run from the project root).
# bench_setup NAME: B=build/bench/NAME holding its own timeit and copies of rewind and the test
# kernel (a rebuild during a run cannot change what is measured); S=$B/samples.txt, emptied.
bench_setup() {
	B=build/bench/$1
	mkdir -p "$B"
	cc -O2 -Wall -Wextra -Werror -o "$B/timeit" tests/bench/timeit.c || exit 1
	cp build/rewind "$B/rewind" && cp build/guest/testos.elf "$B/testos.elf" || exit 1
	S=$B/samples.txt
	: >"$S"
}

# bench_guest NAME DEFSYMS...: $B/NAME.elf, tests/bench/bench_guest.S assembled with
# --defsym DEFSYMS (its header lists the modes) and linked at 1 MiB.
bench_guest() {
	name=$1
	shift
	syms=
	for d in "$@"; do syms="$syms --defsym $d"; done
	as --64 $syms -o "$B/$name.o" tests/bench/bench_guest.S &&
		ld -m elf_x86_64 -nostdlib -static -z max-page-size=4096 -z noexecstack \
			--no-warn-rwx-segments -Ttext-segment=0x100000 -e pvh_start \
			-o "$B/$name.elf" "$B/$name.o"
}

# gdb_timer: gdb script lines that define timed(NAME, COMMAND) in gdb's Python: it runs the
# command and prints "TIME NAME SECONDS ok" (or "error: ...") and "AT NAME" with the
# instruction gdb stopped at.
gdb_timer() {
	cat <<'EOG'
python
import time
def timed(name, cmd):
    t = time.monotonic()
    try:
        gdb.execute(cmd)
        ok = 'ok'
    except gdb.error as e:
        ok = 'error: %s' % e
    print('TIME %s %.4f %s' % (name, time.monotonic() - t, ok))
    try:
        print('AT %s %s' % (name, gdb.execute('x/i $pc', to_string=True).strip()))
    except gdb.error as e:
        print('AT %s nowhere: %s' % (name, e))
end
EOG
}

# bench_row KEY LABEL UNIT: one result row from $S, the samples "KEY VALUE": median [min .. max].
bench_row() {
	sort -k2 -g "$S" | awk -v k="$1" -v label="$2" -v unit="$3" '
		$1 == k { v[n++] = $2 }
		END { if (!n) { printf "  %-52s (no sample)\n", label; exit }
		      printf "  %-52s %10.6g %s [%.6g .. %.6g] n=%d\n", label, v[int((n - 1) / 2)], unit, v[0], v[n - 1], n }'
}
