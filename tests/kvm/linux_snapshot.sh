# Verifies that a snapshot of Linux restores and Linux carries on (issue 13, 5), judged by
# Linux (tests/linux/judge.py snapshot): the test kernel with init-spin recovers a page from a
# GHES error, is stopped and saved with migrate file:, and a second rasvm restores it with
# --incoming file:; there the page is still poisoned, and a new error is handled by Linux
# (its CPER record and "Memory failure: ...: Recovered" on the console it kept). About 1-2
# minutes here.
. "$(dirname "$0")/../lib.sh"
require_kvm
. "$ROOT/tests/linux/lib.sh"
linux_setup snapshot
judge snapshot --kernel "$KDIR/vmlinux" --initrd "$SPIN"
finish
