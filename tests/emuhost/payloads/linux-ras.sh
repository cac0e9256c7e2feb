#!/bin/sh
# Linux judges rasvm on the emulated x86 host, where guest code runs natively (KVM on AMD SVM),
# system calls work and memory failure is real: tests/linux/judge.py's probe scenario with
# init-probe as init. Needs --hostroot, --out DIR holding probe.cpio (tests/linux/mkinitrd
# probe), and --env KDIR=the test kernel's cache directory on this machine:
#   tests/emuhost/run x86_64 tests/emuhost/payloads/linux-ras.sh --hostroot --mem 2048 \
#       --timeout 1500 --out DIR --env KDIR=... [--env BUILD=/abs/build] [--env CPUS=2]
#       [--env STORM=N]   (the storm's errors; 1000 by default, 0: no storm)
: "${SRC:=$EMUHOST_SRC}" "${BUILD:=$SRC/build}" "${CPUS:=2}" "${STORM:=1000}"
case $BUILD in /*) ;; *) BUILD=$SRC/$BUILD ;; esac
export SRC BUILD CPUS KDIR STORM
[ -x "/host$BUILD/rasvm" ] || { echo "not ok - no rasvm at $BUILD/rasvm (make -j2 first)"; exit 1; }
[ -f "/host$KDIR/vmlinux" ] || { echo "not ok - no test kernel at $KDIR (tests/linux/build-kernel)"; exit 1; }
[ -f "$EMUHOST_OUT/probe.cpio" ] || [ -f "/emuhost/out/probe.cpio" ] || { echo "not ok - no probe.cpio in --out"; exit 1; }
echo "# rasvm check-host on the emulated host:"
inhost "$BUILD/rasvm" check-host | sed 's/^/#   /'
# Where the guest was if it shut down, and the exceptions KVM itself injected.
. "/host$EMUHOST_SRC/tests/emuhost/kvm-trace.sh"
kvm_trace_on inj
inhost bash -c 'python3 tests/linux/judge.py probe --rasvm "$BUILD/rasvm" --kernel "$KDIR/vmlinux" \
	--initrd "$EMUHOST_OUT/probe.cpio" --workdir "$EMUHOST_OUT/probe" --cpus "$CPUS" --storm "$STORM" --boot-timeout 300 --timeout 1200'
rc=$?
kvm_trace_lines | tail -n 12 | sed 's/^ */# host KVM trace: /'
exit $rc
