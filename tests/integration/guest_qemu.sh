#!/bin/sh
# Boots each test-kernel workload under QEMU (TCG) and checks its console text and exit
# status (tests/guest/check.sh has the checks, shared with runs under rewind).
exec sh "$(dirname "$0")/../guest/check.sh" qemu guest_qemu
