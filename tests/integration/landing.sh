# Asynchronous landings: interrupts that a kvm recording delivered between two exits (in the
# kernel loops of race loops=1, tests/guest/workloads.c) are found again by their signature
# alone: RIP, the registers, and the hashes of the pages written since the last landing. In a
# loop the RIP comes round again and again, with other registers in one loop and other memory
# in the other; a replay that takes the wrong pass diverges.
# Each search must find every landing on its own: the hardware breakpoint, and the soft
# engine's. LANDING_RECORDINGS recordings (default 2) of a short race. LANDING_SEARCHES
# (default "breakpoint soft") names the searches, for a host where one cannot work (nested SVM
# under QEMU: hardware breakpoints never fire there, tests/svm/). LANDING_LOOPS (default 1):
# race's loops=, larger where kernel code runs natively and the loops pass in a flash.
. tests/integration/lib.sh
if ! have_kvm; then skip all "/dev/kvm not accessible"; exit 0; fi
N=${LANDING_RECORDINGS:-2}
SEARCHES=${LANDING_SEARCHES:-breakpoint soft}
LOOPS=${LANDING_LOOPS:-1}

landings=0 soft_found=0
: >"$TMP/bad-breakpoint"
: >"$TMP/bad-soft"
i=1
while [ $i -le "$N" ]; do
	t="$TMP/race-$i.rwd"
	"$REWIND" record -o "$t" --timeout 60 --cmdline "workload=race ticks=10 loops=$LOOPS" "$KERNEL" \
		</dev/null >/dev/null 2>&1
	n=$("$REWIND" trace info --json "$t" | sed -n 's/.*"async_stop":\([0-9]*\).*/\1/p')
	landings=$((landings + ${n:-0}))
	for search in $SEARCHES; do
		"$REWIND" replay --verify --landing-search $search "$t" </dev/null >/dev/null 2>"$TMP/$search.err"
		rc=$?
		if [ $rc -ne 0 ] || ! grep -q "verified:.*final state digest" "$TMP/$search.err"; then
			echo "recording $i: status $rc: $(head -c 300 "$TMP/$search.err")" >>"$TMP/bad-$search"
		fi
	done
	f=$(sed -n 's/.*(\([0-9]*\) found on the soft engine.*/\1/p' "$TMP/soft.err")
	soft_found=$((soft_found + ${f:-0}))
	i=$((i + 1))
done
check "race-has-asynchronous-landings($landings)" [ "$landings" -ge 1 ]
for search in $SEARCHES; do
	if [ ! -s "$TMP/bad-$search" ]; then ok $search-search-finds-every-landing
	else fail $search-search-finds-every-landing "$(cat "$TMP/bad-$search")"; fi
done
# The soft search did the finding (not the breakpoint behind it).
check "soft-search-found-landings($soft_found)" [ "$soft_found" -ge 1 ]
