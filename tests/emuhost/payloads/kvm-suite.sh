#!/bin/sh
# rasvm's KVM tests inside the emulated x86_64 host, against this machine's checkout and build
# (needs --hostroot; the test logs land in the tmpfs overlay, and with --out DIR in DIR/test-logs):
#   tests/emuhost/run x86_64 tests/emuhost/payloads/kvm-suite.sh --hostroot --mem 6144 --timeout 1200 \
#       [--out DIR] [--env BUILD=/abs/build] [--env FILTER=kvm/ras] [--env SRC=/abs/checkout]
# BUILD defaults to $SRC/build and SRC to the harness's own checkout. Exit: tests/run's.
# --mem 6144: boot.sh starts a 5 GiB guest, and rasvm refuses more than the host's RAM.
: "${SRC:=$EMUHOST_SRC}" "${BUILD:=$SRC/build}" "${FILTER:=kvm/}"
case $BUILD in /*) ;; *) BUILD=$SRC/$BUILD ;; esac
export SRC BUILD FILTER
[ -x "/host$BUILD/rasvm" ] || { echo "not ok - no rasvm at $BUILD/rasvm (make -j2 first)"; exit 1; }
echo "# tests/run $FILTER in $SRC against $BUILD"
# A timer that wakes the emulated host every 2 s while the tests run. Without it the host
# sometimes stopped for good a few seconds into a test file (payload started, nothing more,
# no test deadline and no lockup detector firing): 1 of 6 runs of host.sh alone, and in one
# CI run the first attempts of boot.sh and host.sh (their reruns passed in 9 and 6 s). With
# a watcher waking it every 10 s, 0 of 26 runs stopped; with this timer 1 of 20, and that
# one said why: "soft lockup - CPU#0 stuck for 26s! [rcu_preempt]" at the instruction after
# an sti, i.e. an emulated CPU QEMU's TCG had not run for 26 s (a lost wakeup, it seems; not
# chased further). A panic ends the host at once, and x86_kvm_suite.sh runs the file again.
(while :; do sleep 2; done) &
ticker=$!
# The normal build only: the sanitizer runs are this machine's (tests/run, RUNS).
inhost bash -c 'cd "$SRC" && RUNS=normal bash tests/run "$FILTER"'
rc=$?
kill $ticker
# With --out DIR: every test's whole log back on this machine, in DIR/test-logs.
if [ -n "${EMUHOST_OUT:-}" ] && [ -d "/host$BUILD/test-logs" ]; then
	cp -r "/host$BUILD/test-logs" /emuhost/out/ && echo "# test logs copied to $EMUHOST_OUT/test-logs"
fi
exit $rc
