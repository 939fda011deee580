#!/bin/sh
# Installs the Debian packages rewind builds and tests with, when any is missing.
# Unicorn >= 2.1 (the soft engine needs its real MMU) is not in Debian 12: it comes from the
# trixie suite, added beside bookworm with a low pin priority so that nothing else is taken
# from it; only libunicorn-dev and libunicorn2t64 are installed from there. acpica-tools (iasl,
# acpiexec) checks the ACPI tables rewind builds (tests/integration/acpi_tables.sh).
set -e
pkgs="build-essential liblz4-dev libxxhash-dev libunwind-dev gdb qemu-system-x86 clang python3 acpica-tools"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive

missing=""
for p in $pkgs; do
	dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done

unicorn_ok() {
	v=$(dpkg-query -W -f '${Version}' libunicorn-dev 2>/dev/null) || return 1
	dpkg --compare-versions "$v" ge 2.1
}

if [ -n "$missing" ]; then
	echo "deps: installing$missing"
	$SUDO apt-get update -qq
	$SUDO apt-get install -y -qq $missing >/dev/null
fi
unicorn_ok && exit 0

echo "deps: installing Unicorn >= 2.1 (libunicorn-dev) from Debian's trixie suite, pinned low"
$SUDO tee /etc/apt/sources.list.d/rewind-trixie.sources >/dev/null <<SRC
Types: deb
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
$SUDO tee /etc/apt/preferences.d/rewind-trixie >/dev/null <<PIN
Package: *
Pin: release n=trixie
Pin-Priority: 100
PIN
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq -t trixie libunicorn-dev >/dev/null
unicorn_ok || { echo "deps: libunicorn-dev >= 2.1 could not be installed" >&2; exit 1; }
