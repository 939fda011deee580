#!/bin/sh
# Installs the Debian packages rewind builds and tests with, when any is missing.
pkgs="build-essential liblz4-dev libxxhash-dev libunwind-dev libunicorn-dev gdb qemu-system-x86 clang python3"
missing=""
for p in $pkgs; do
	dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
