# Soak (make soak-linux; docs/linux.md): the hello boot recorded LINUX_SOAK_N times (default 20)
# on the soft engine, LINUX_SOAK_JOBS (default 2) at a time so that each recording runs under
# the others' load (host time, and so where interrupts land, differs every time), and each
# replayed with --verify from its trace alone. One case per recording: recorded with the
# script's status 7, replayed with status 7 and every digest matching. A trace that fails is
# kept (its path is in the message); the others are deleted (17 MB each).
. tests/linux/lib.sh

if ! have_linux_assets; then
	skip soak "no $BZIMAGE or $INITRD: run make linux-guest"
	exit 0
fi
N=${LINUX_SOAK_N:-20}
JOBS=${LINUX_SOAK_JOBS:-2}
LIMIT=${LINUX_SOFT_TIMEOUT:-600}
KEEP_DIR=${LINUX_SOAK_KEEP:-build/soak-linux}

# soak_one K: records and verifies recording K, then says ok or FAIL.
soak_one() {
	k=$1 rwd=$TMP/$1.rwd start=$(date +%s)
	"$REWIND" record -o "$rwd" --engine soft -m 256M --timeout "$LIMIT" --initrd "$INITRD" \
		--cmdline "$LINUX_CMDLINE -- /etc/rewind/hello.sh" "$BZIMAGE" \
		</dev/null >"$TMP/$k.record" 2>&1
	rstatus=$?
	"$REWIND" replay --verify "$rwd" </dev/null >"$TMP/$k.replay" 2>"$TMP/$k.verify"
	vstatus=$?
	exits=$("$REWIND" trace info "$rwd" 2>/dev/null | sed -n 's/^run: *\([0-9]*\) exits.*/\1/p')
	echo "# recording $k: $exits exits, record status $rstatus, replay status $vstatus," \
		"$(($(date +%s) - start)) s" >&2
	if [ "$rstatus" -eq 7 ] && [ "$vstatus" -eq 7 ] &&
		grep -q "verified: .* final state digest .* match" "$TMP/$k.verify"; then
		ok "recording-$k-verifies"
		rm -f "$rwd"
	else
		mkdir -p "$KEEP_DIR" && cp "$rwd" "$KEEP_DIR/$k.rwd" 2>/dev/null
		fail "recording-$k-verifies" "record status $rstatus, replay status $vstatus (trace kept in $KEEP_DIR/$k.rwd): $(tail -c 400 "$TMP/$k.verify")"
	fi
}

echo "# soak: $N recordings of the hello boot, $JOBS at a time, on $(nproc) cores" >&2
start=$(date +%s)
k=1
while [ "$k" -le "$N" ]; do
	j=0
	while [ "$j" -lt "$JOBS" ] && [ "$k" -le "$N" ]; do
		soak_one "$k" &
		j=$((j + 1)) k=$((k + 1))
	done
	wait
done
echo "# soak: $N recordings in $(($(date +%s) - start)) s" >&2
