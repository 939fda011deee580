# Shared helpers for the integration scripts: one "ok/FAIL/skip SUITE: NAME" line per case.
REWIND=${REWIND:-build/rewind}
KERNEL=${KERNEL:-build/guest/testos.elf}
SUITE=$(basename "$0" .sh)
TMP=$(mktemp -d)
trap '[ -n "$KEEP" ] || rm -rf "$TMP"' EXIT

ok() { echo "ok $SUITE: $1"; }
fail() { echo "FAIL $SUITE: $1: $2"; }
skip() { echo "skip $SUITE: $1: $2"; }

# check NAME CONDITION-COMMAND... : ok when the command succeeds.
check() {
	_case=$1; shift
	if "$@"; then ok "$_case"; else fail "$_case" "$*"; fi
}

# wait_for_socket PATH: until a debug server listens on PATH; up to 60 s (a loaded host).
wait_for_socket() {
	_n=0
	while [ ! -S "$1" ] && [ $_n -lt 1200 ]; do sleep 0.05; _n=$((_n + 1)); done
}

have_kvm() { [ -r /dev/kvm ] && [ -w /dev/kvm ]; }

# run_guest OUT WORKLOAD [rewind options]: runs the test kernel; sets $status.
run_guest() {
	out=$1 workload=$2; shift 2
	"$REWIND" run --timeout 60 "$@" --cmdline "workload=$workload" "$KERNEL" >"$out" 2>"$out.err" </dev/null
	status=$?
}
