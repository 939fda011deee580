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
