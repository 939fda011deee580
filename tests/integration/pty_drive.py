#!/usr/bin/env python3
"""Runs a command in a fresh pseudo-terminal and drives it like a person at the keyboard.

    python3 tests/integration/pty_drive.py LOG CMD [ARG...] <STEPS

STEPS, one per line:
    expect TEXT   wait (up to 20 s) until TEXT appears in the output after the previous match
    send TEXT     type TEXT (Python escapes: \\r is Enter, \\x01 Ctrl-A, \\x03 Ctrl-C)
    signal NAME   send signal NAME (INT, TERM, HUP) to the command
    sleep SECONDS
    wait          wait (up to 30 s) for the command to end; prints "status N" (a death by
                  signal N: "status -N"), and "terminal restored" or "terminal left changed"
                  comparing its settings with the ones before the command ran
Everything the command wrote to the terminal goes to LOG. The helper's own status: 0, or 1
after printing "step failed: ..." for the first step that failed.
"""
import codecs
import fcntl
import os
import pty
import select
import signal
import subprocess
import sys
import termios
import time


def main():
    log_path, cmd = sys.argv[1], sys.argv[2:]
    master, slave = pty.openpty()
    before = termios.tcgetattr(slave)

    def controlling_terminal():
        # A session of its own with the pty as its terminal, so Ctrl-C typed there is a SIGINT.
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    child = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=slave,
                             preexec_fn=controlling_terminal)
    out = bytearray()
    seen = 0

    def pump(timeout):
        """Reads what the command wrote; False once it can write no more."""
        r, _, _ = select.select([master], [], [], timeout)
        if not r:
            return True
        try:
            data = os.read(master, 4096)
        except OSError:
            return False
        out.extend(data)
        return bool(data)

    def save():
        with open(log_path, "wb") as f:
            f.write(out)

    def fail(msg):
        save()
        print("step failed: %s" % msg)
        if child.poll() is None:
            child.kill()
        sys.exit(1)

    for line in sys.stdin.read().splitlines():
        op, _, arg = line.strip().partition(" ")
        if not op:
            continue
        text = codecs.decode(arg, "unicode_escape").encode("latin-1")
        if op == "expect":
            end = time.time() + 20
            while out.find(text, seen) < 0:
                if time.time() > end:
                    fail("expect %r: not seen" % arg)
                pump(0.1)
            seen = out.find(text, seen) + len(text)
        elif op == "send":
            os.write(master, text)
        elif op == "signal":
            child.send_signal(getattr(signal, "SIG" + arg))
        elif op == "sleep":
            end = time.time() + float(arg)
            while time.time() < end:
                pump(max(0.0, min(0.1, end - time.time())))
        elif op == "wait":
            end = time.time() + 30
            while child.poll() is None:
                if time.time() > end:
                    fail("wait: the command did not end")
                pump(0.1)
            while select.select([master], [], [], 0.05)[0] and pump(0):
                pass
            print("status %d" % child.returncode)
            same = termios.tcgetattr(slave) == before
            print("terminal restored" if same else "terminal left changed")
        else:
            fail("unknown step %r" % line)
    save()


main()
