# Sourced by the nested-SVM guest's scripts (tests/svm/guest/): /dev/kvm from Debian's
# kvm-amd, and files out to the host. tests/svm/cross.sh sources it too, for cross_report.

# kvm_up: loads the kvm modules (kvm-amd needs the CPU's SVM: QEMU's -cpu EPYC,+svm) and
# checks /dev/kvm with nested paging; one result line each ("svm" suite). Non-zero if no kvm.
kvm_up() {
	# Kernel messages would land in the middle of result lines on the console.
	dmesg -n 1
	for _m in irqbypass kvm kvm-amd; do
		if ! _err=$(insmod /lib/modules/rewind/$_m.ko 2>&1); then
			echo "FAIL guest: kvm-modules-load: insmod $_m.ko: $_err"
			return 1
		fi
	done
	echo "ok guest: kvm-modules-load"
	if dmesg | grep -q "Nested Paging enabled"; then
		echo "ok guest: kvm-amd-nested-paging"
	else
		echo "FAIL guest: kvm-amd-nested-paging: dmesg: $(dmesg | grep -i -e svm -e kvm | tail -3)"
	fi
	if [ -c /dev/kvm ]; then
		echo "ok guest: dev-kvm"
	else
		echo "FAIL guest: dev-kvm: no /dev/kvm after loading kvm-amd"
		return 1
	fi
}

# send_files DIR [PORT]: the files under DIR to the host, as one tar archive in base64 on the
# second serial port (or PORT) between "rewind-files begin SHA256" and "rewind-files end"
# (tests/svm/lib.sh svm_files_out unpacks it). No virtio or disk driver needed, and any size
# that fits in RAM.
send_files() {
	_port=${2:-/dev/ttyS1}
	tar -c -C "$1" -f "$1.tar" . || return 1
	[ -c "$_port" ] && stty -F "$_port" raw -echo 2>/dev/null
	{
		echo "rewind-files begin $(sha256sum <"$1.tar" | cut -d' ' -f1)"
		base64 "$1.tar"
		echo "rewind-files end"
	} >"$_port"
	rm -f "$1.tar"
}

# cross_report REWIND ERRFILE NAME HOW TRACE: replays TRACE with --verify and prints one line,
# "cross NAME: HOW: verified" or the replay's status and first lines (tests/svm/cross.sh, on
# both sides).
cross_report() {
	"$1" replay --verify "$5" </dev/null >/dev/null 2>"$2"
	_s=$?
	if grep -q "^rewind replay: verified:" "$2"; then
		echo "cross $3: $4: verified"
	else
		echo "cross $3: $4: status $_s: $(grep -v '^  ' "$2" | head -2 | tr '\n' ' ')"
	fi
}
