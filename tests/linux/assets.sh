#!/bin/sh
# Builds the Linux guest assets under OUT (default build/linux) from Debian 12's binary
# packages, downloading each package once (kept in OUT/debs):
#   OUT/bzImage          Debian's cloud kernel (linux-image-*-cloud-amd64: LZ4 bzImage)
#   OUT/config           its configuration
#   OUT/initramfs.cpio   busybox-static, /init (tests/linux/guest/init), rewind-exit, segv, the test scripts
#   OUT/vmlinux          with LINUX_DBG=1 only: the kernel with symbols, from the -dbg package
#                        (~280 MB download, ~1.7 GB unpacked): for gdb, not needed to boot
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

if [ ! -s "$out/bzImage" ] || [ "$kdeb" -nt "$out/bzImage" ]; then
	rm -rf "$out/kernel.tmp" && mkdir "$out/kernel.tmp"
	dpkg-deb --fsys-tarfile "$kdeb" | tar -x -C "$out/kernel.tmp" --wildcards './boot/vmlinuz-*' './boot/config-*'
	cp "$out"/kernel.tmp/boot/config-* "$out/config"
	cp "$out"/kernel.tmp/boot/vmlinuz-* "$out/bzImage.tmp" && mv "$out/bzImage.tmp" "$out/bzImage"
	rm -rf "$out/kernel.tmp"
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

for prog in rewind-exit segv; do
	${CC:-cc} -static -O2 -Wall -Wextra -Werror -o "$out/$prog" "$here/guest/$prog.c"
done
python3 "$here/mkinitramfs.py" "$out/initramfs.cpio" "$out/busybox" "$here/guest/init" \
	"$out/rewind-exit" "$out/segv" "$here"/guest/*.sh
{
	echo "kernel $(basename "$kdeb")"
	echo "busybox $(basename "$bdeb")"
} >"$out/versions"
echo "linux-guest: $out/bzImage ($(basename "$kdeb")), $out/initramfs.cpio ($(wc -c <"$out/initramfs.cpio") bytes)"
