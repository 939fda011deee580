#!/usr/bin/env python3
"""Packs rewind's Linux test initramfs: a cpio archive in the "newc" format the kernel unpacks
(Documentation/driver-api/early-userspace/buffer-format.rst), written here so no cpio tool and
no root (for the /dev/console node) are needed. Every timestamp and owner is 0, so the same
inputs give the same bytes: a trace that embeds the initramfs stays comparable.

usage: mkinitramfs.py OUT BUSYBOX INIT FILE...
  BUSYBOX      a static busybox: /bin/busybox (/init installs its applet links at boot)
  INIT         the /init script
  FILE         a script (NAME.sh) is copied to /etc/rewind/, a program (rewind-exit, the test
               programs) to /bin/, each under its own name
"""
import os
import sys

S_IFDIR, S_IFREG, S_IFCHR = 0o040000, 0o100000, 0o020000


class Cpio:
    def __init__(self):
        self.out = bytearray()
        self.ino = 1

    def entry(self, name, mode, data=b"", rdev=(0, 0)):
        name_b = name.encode() + b"\0"
        fields = [self.ino, mode, 0, 0, 2 if mode & S_IFDIR else 1, 0, len(data),
                  0, 0, rdev[0], rdev[1], len(name_b), 0]
        self.ino += 1
        self.out += b"070701" + b"".join(b"%08X" % f for f in fields)
        self.out += name_b
        self.pad()
        self.out += data
        self.pad()

    def pad(self):
        self.out += b"\0" * (-len(self.out) % 4)

    def directory(self, name):
        self.entry(name, S_IFDIR | 0o755)

    def file(self, name, path, mode=0o755):
        with open(path, "rb") as f:
            self.entry(name, S_IFREG | mode, f.read())

    def trailer(self):
        self.ino = 0
        self.entry("TRAILER!!!", 0)
        # The kernel reads the archive in 512-byte blocks' worth; padding is customary.
        self.out += b"\0" * (-len(self.out) % 512)


def main(argv):
    if len(argv) < 4:
        sys.exit(__doc__)
    out, busybox, init, files = argv[1], argv[2], argv[3], argv[4:]
    c = Cpio()
    for d in ("bin", "dev", "etc", "etc/rewind", "proc", "sys", "tmp"):
        c.directory(d)
    # The kernel opens /dev/console for init before anything is mounted: without this node
    # init runs with no stdin, stdout or stderr.
    c.entry("dev/console", S_IFCHR | 0o600, rdev=(5, 1))
    c.file("bin/busybox", busybox)
    c.file("init", init)
    for f in files:
        name = os.path.basename(f)
        c.file(("etc/rewind/" if name.endswith(".sh") else "bin/") + name, f)
    c.trailer()
    tmp = out + ".tmp"
    with open(tmp, "wb") as f:
        f.write(c.out)
    os.replace(tmp, out)


if __name__ == "__main__":
    main(sys.argv)
