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

# bench_row KEY LABEL UNIT: one result row from $S, the samples "KEY VALUE": median [min .. max].
bench_row() {
	sort -k2 -g "$S" | awk -v k="$1" -v label="$2" -v unit="$3" '
		$1 == k { v[n++] = $2 }
		END { if (!n) { printf "  %-52s (no sample)\n", label; exit }
		      printf "  %-52s %10.6g %s [%.6g .. %.6g] n=%d\n", label, v[int((n - 1) / 2)], unit, v[0], v[n - 1], n }'
}
