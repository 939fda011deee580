# Shared by the nested-SVM suites (tests/svm/): a Linux guest under QEMU TCG with an emulated
# AMD CPU that has SVM, which loads Debian's kvm-amd and so offers a /dev/kvm with hardware-
# virtualization semantics (nested paging, VMRUN) to a rewind built on this host. Files go in
# through the initramfs and come out through the guest's second serial port (svm_files_out).
. tests/linux/lib.sh
SVM_MODULES=$LINUX/svm-modules
# A boot that hangs is killed after this many seconds, with a FAIL naming it.
SVM_TIMEOUT=${SVM_TIMEOUT:-900}

have_svm_assets() {
	have_linux_assets && [ -s "$SVM_MODULES/kvm-amd.ko" ] && [ -x "$LINUX/rewind-exit" ]
}

# svm_skip_unless_ready: prints a skip line and exits when something the target needs is missing.
svm_skip_unless_ready() {
	if ! have_svm_assets; then
		skip all "no $BZIMAGE, $INITRD or $SVM_MODULES/kvm-amd.ko: run make linux-guest"
		exit 0
	fi
	if ! command -v qemu-system-x86_64 >/dev/null; then
		skip all "qemu-system-x86_64 is not installed"
		exit 0
	fi
	if [ ! -x "$REWIND" ] || [ ! -s "$KERNEL" ]; then
		skip all "no $REWIND or $KERNEL: run make all"
		exit 0
	fi
}

# svm_initramfs OUT [PATH=FILE...]: the Linux test initramfs (busybox, /init, rewind-exit) with
# the kvm modules in /lib/modules/rewind, tests/svm/guest/*.sh in /etc/rewind, and a copy of
# the project laid out as in the work tree under /rewind: build/rewind with its shared
# libraries at their host paths, the test kernel, and the test scripts the guest runs. Each
# PATH=FILE adds FILE at PATH (a trace to replay there).
svm_initramfs() {
	_out=$1; shift
	set -- "$@" rewind/build/rewind="$REWIND" rewind/build/guest/testos.elf="$KERNEL" \
		rewind/build/tests/tools/trace_splice=build/tests/tools/trace_splice
	# trace_splice (divergence.sh) links the same libraries.
	for _lib in $(ldd "$REWIND" | sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p'); do
		set -- "$@" "${_lib#/}=$_lib"
	done
	for _m in irqbypass kvm kvm-amd; do
		set -- "$@" "lib/modules/rewind/$_m.ko=$SVM_MODULES/$_m.ko"
	done
	for _f in tests/run.sh tests/integration/lib.sh tests/integration/record_replay.sh \
		tests/integration/landing.sh tests/integration/divergence.sh \
		tests/integration/guest_rewind.sh tests/guest/check.sh tests/guest/expected/*; do
		set -- "$@" "rewind/$_f=$_f"
	done
	python3 tests/linux/mkinitramfs.py "$_out" "$LINUX/busybox" tests/linux/guest/init \
		"$LINUX/rewind-exit" tests/svm/guest/*.sh "$@"
}

# svm_boot INITRAMFS CONSOLE FILES COMMAND...: boots the SVM guest to COMMAND (words before it
# of the form key=value reach the guest's scripts as environment variables). The console
# (first serial port) goes to CONSOLE, the second serial port to FILES. Sets $status (QEMU's:
# the guest's status * 2 + 1 through the debug-exit port; 124 when killed by the timeout)
# and $took (seconds).
svm_boot() {
	_initrd=$1 _console=$2 _files=$3; shift 3
	_start=$(date +%s)
	# EPYC: an AMD model, whose SVM TCG emulates with nested paging (NPT); no PMU.
	timeout -k 10 "$SVM_TIMEOUT" qemu-system-x86_64 -accel tcg -M pc -cpu EPYC,+svm -m 2G \
		-kernel "$BZIMAGE" -initrd "$_initrd" -append "console=ttyS0 quiet panic=-1 $*" \
		-display none -monitor none -net none -no-reboot \
		-serial "file:$_console" -serial "file:$_files" \
		-device isa-debug-exit,iobase=0xf4,iosize=4 </dev/null >"$_console.qemu" 2>&1
	status=$?
	took=$(($(date +%s) - _start))
}

# svm_boot_failed CONSOLE: names what went wrong with a boot that did not end through the
# debug-exit port (status 124: the timeout; 0: a reset or power-off), with the console's end.
svm_boot_failed() {
	case $status in
	124) _why="QEMU did not finish within $SVM_TIMEOUT s (SVM_TIMEOUT) and was killed" ;;
	0) _why="the guest reset or powered off instead of exiting through the debug-exit port" ;;
	*) _why="QEMU exited with status $status" ;;
	esac
	echo "$_why; the console's last lines:"
	tr -d '\r' <"$1" | tail -15 | sed 's/^/    | /'
	sed 's/^/    ! /' "$1.qemu" | tail -5
}

# svm_results CONSOLE: the guest's result lines, as "ok svm SUITE: CASE" for tests/run.sh.
svm_results() {
	tr -d '\r' <"$1" | sed -n 's/^\(ok\|FAIL\|skip\) \([^:]*: \)/\1 svm \2/p'
}

# svm_files_out FILES DIR: unpacks into DIR what the guest sent with send_files
# (tests/svm/guest/svm-lib.sh); fails, saying why, when nothing or a damaged archive came.
svm_files_out() {
	_sum=$(tr -d '\r' <"$1" | sed -n 's/^rewind-files begin \([0-9a-f]*\)$/\1/p')
	if [ -z "$_sum" ]; then
		echo "no files came out on the second serial port"
		return 1
	fi
	tr -d '\r' <"$1" | awk '/^rewind-files end$/ { f = 0 } f { print } /^rewind-files begin / { f = 1 }' |
		base64 -d >"$TMP/files.tar" || { echo "the files are not base64"; return 1; }
	if [ "$(sha256sum <"$TMP/files.tar" | cut -d' ' -f1)" != "$_sum" ]; then
		echo "the archive that came out is not the one sent (sha256 differs)"
		return 1
	fi
	mkdir -p "$2" && tar -x -C "$2" -f "$TMP/files.tar"
}
