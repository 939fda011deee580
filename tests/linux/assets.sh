#!/bin/sh
# Builds the Linux guest assets under OUT (default build/linux) from Debian 12's binary
# packages, downloading each package once (kept in OUT/debs):
#   OUT/bzImage          Debian's cloud kernel (linux-image-*-cloud-amd64: LZ4 bzImage)
#   OUT/config           its configuration
#   OUT/initramfs.cpio   busybox-static, /init (tests/linux/guest/init), rewind-exit, segv, the test
#                        scripts, the kernel's pvpanic modules
#   OUT/modules/         those modules (pvpanic.ko, pvpanic-mmio.ko), from the kernel package
#   OUT/vmlinux          with LINUX_DBG=1 only: the kernel with symbols, from the -dbg package
#                        (~280 MB download, ~1.7 GB unpacked): for gdb, not needed to boot
#   OUT/System.map       with LINUX_DBG=1 only: its symbol table, from the same package (the
#                        kernel package's own System.map is a placeholder)
#   OUT/svm-modules/     irqbypass.ko, kvm.ko, kvm-amd.ko from the kernel's package: the nested-SVM
#                        target (tests/svm/) loads them to give its guest a /dev/kvm
#   OUT/versions         which package versions went in
# LINUX_IMAGE=linux-image-6.1.0-NN-cloud-amd64 picks a kernel; by default the one the
# linux-image-cloud-amd64 metapackage depends on now.
set -e
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-build/linux}
mkdir -p "$out/debs"
out=$(cd "$out" && pwd)
debs=$out/debs

# apt-cache knows nothing before a first `apt-get update` on a new machine.
if ! apt-cache show linux-image-cloud-amd64 >/dev/null 2>&1; then
	echo "linux-guest: apt-get update (the package lists are missing)"
	apt-get update -qq
fi
image=${LINUX_IMAGE:-$(apt-cache depends linux-image-cloud-amd64 | sed -n 's/^ *Depends: \(linux-image-[^ ]*-cloud-amd64\)$/\1/p' | head -1)}
[ -n "$image" ] || { echo "linux-guest: cannot tell which kernel linux-image-cloud-amd64 depends on" >&2; exit 1; }

# download PACKAGE: OUT/debs/PACKAGE_*.deb, once. apt-get download writes to the current
# directory; as root it warns that the _apt user cannot write there, harmlessly.
download() {
	set -- "$1" "$(ls "$debs/$1"_*.deb 2>/dev/null | head -1)"
	if [ -z "$2" ]; then
		echo "linux-guest: downloading $1" >&2
		(cd "$debs" && apt-get download -q "$1" 2>&1 | grep -v "^W: Download is performed unsandboxed" >&2) || true
		set -- "$1" "$(ls "$debs/$1"_*.deb 2>/dev/null | head -1)"
		[ -n "$2" ] || { echo "linux-guest: apt-get download $1 failed" >&2; exit 1; }
	fi
	echo "$2"
}

kdeb=$(download "$image")
bdeb=$(download busybox-static)

if [ ! -s "$out/bzImage" ] || [ "$kdeb" -nt "$out/bzImage" ] || [ ! -s "$out/modules/pvpanic-mmio.ko" ]; then
	rm -rf "$out/kernel.tmp" && mkdir "$out/kernel.tmp"
	dpkg-deb --fsys-tarfile "$kdeb" | tar -x -C "$out/kernel.tmp" --wildcards './boot/vmlinuz-*' './boot/config-*' \
		'./lib/modules/*/kernel/drivers/misc/pvpanic/pvpanic.ko' \
		'./lib/modules/*/kernel/drivers/misc/pvpanic/pvpanic-mmio.ko'
	cp "$out"/kernel.tmp/boot/config-* "$out/config"
	rm -rf "$out/modules" && mkdir "$out/modules"
	cp "$out"/kernel.tmp/lib/modules/*/kernel/drivers/misc/pvpanic/*.ko "$out/modules/"
	cp "$out"/kernel.tmp/boot/vmlinuz-* "$out/bzImage.tmp" && mv "$out/bzImage.tmp" "$out/bzImage"
	rm -rf "$out/kernel.tmp"
fi
if [ ! -s "$out/svm-modules/kvm-amd.ko" ] || [ "$kdeb" -nt "$out/svm-modules/kvm-amd.ko" ]; then
	rm -rf "$out/modules.tmp" && mkdir "$out/modules.tmp"
	dpkg-deb --fsys-tarfile "$kdeb" | tar -x -C "$out/modules.tmp" --wildcards \
		'./lib/modules/*/kernel/virt/lib/irqbypass.ko*' './lib/modules/*/kernel/arch/x86/kvm/kvm.ko*' \
		'./lib/modules/*/kernel/arch/x86/kvm/kvm-amd.ko*'
	# Debian 12 ships them uncompressed; a kernel that ships .ko.xz gets them unpacked here
	# (busybox's insmod takes plain modules only).
	find "$out/modules.tmp" -name '*.ko.xz' -exec xz -d {} +
	rm -rf "$out/svm-modules" && mkdir "$out/svm-modules"
	find "$out/modules.tmp" -name '*.ko' -exec mv {} "$out/svm-modules/" \;
	touch "$out"/svm-modules/*.ko # the package's dates are older than the download
	rm -rf "$out/modules.tmp"
fi
if [ ! -x "$out/busybox" ] || [ "$bdeb" -nt "$out/busybox" ]; then
	rm -rf "$out/busybox.tmp" && mkdir "$out/busybox.tmp"
	dpkg-deb --fsys-tarfile "$bdeb" | tar -x -C "$out/busybox.tmp" ./bin/busybox
	mv "$out/busybox.tmp/bin/busybox" "$out/busybox"
	rm -rf "$out/busybox.tmp"
fi

# The hook for debugging: the same kernel's vmlinux with symbols (gdb vmlinux).
if [ -n "$LINUX_DBG" ] && [ ! -s "$out/vmlinux" ]; then
	ddeb=$(download "$image-dbg")
	dpkg-deb --fsys-tarfile "$ddeb" | tar -x -O --wildcards './usr/lib/debug/boot/vmlinux-*' >"$out/vmlinux.tmp"
	mv "$out/vmlinux.tmp" "$out/vmlinux"
fi
if [ -n "$LINUX_DBG" ] && [ ! -s "$out/System.map" ]; then
	ddeb=$(download "$image-dbg")
	dpkg-deb --fsys-tarfile "$ddeb" | tar -x -O --wildcards './usr/lib/debug/boot/System.map-*' >"$out/System.map.tmp"
	mv "$out/System.map.tmp" "$out/System.map"
fi

for prog in rewind-exit segv; do
	${CC:-cc} -static -O2 -Wall -Wextra -Werror -o "$out/$prog" "$here/guest/$prog.c"
done
python3 "$here/mkinitramfs.py" "$out/initramfs.cpio" "$out/busybox" "$here/guest/init" \
	"$out/rewind-exit" "$out/segv" "$out"/modules/*.ko "$here"/guest/*.sh
{
	echo "kernel $(basename "$kdeb")"
	echo "busybox $(basename "$bdeb")"
} >"$out/versions"
echo "linux-guest: $out/bzImage ($(basename "$kdeb")), $out/initramfs.cpio ($(wc -c <"$out/initramfs.cpio") bytes)"
