#!/bin/busybox sh
# Crashes the kernel on purpose (MAGIC_SYSRQ): sysrq_handle_crash dereferences NULL, and the
# kernel panics. The workload of the kernel-debugging tests (docs/linux.md).
echo c > /proc/sysrq-trigger
