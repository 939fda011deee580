# The test kernel's own checks (tests/guest/check.sh) under rewind: every workload's output
# and exit status against tests/guest/expected/.
exec sh "$(dirname "$0")/../guest/check.sh" rewind guest_rewind
