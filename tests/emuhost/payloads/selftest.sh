#!/bin/sh
# The emulated host's self-test (either arch): KVM is there and offers what rasvm's RAS paths
# need (kvmcheck), and this kernel really fails memory: madvise(MADV_HWPOISON) then a touch
# gives SIGBUS BUS_MCEERR_AR with si_addr_lsb 12 (hwpoison). TAP lines; exit 1 if any failed.
#   tests/emuhost/run x86_64 tests/emuhost/payloads/selftest.sh
#   tests/emuhost/run arm64 tests/emuhost/payloads/selftest.sh
echo "# $(uname -srm), $(nproc) CPUs, $(grep MemTotal /proc/meminfo | tr -s ' ')"
rc=0
for check in kvmcheck hwpoison; do
	"/emuhost/bin/$check" || rc=1
done
echo "# kernel: $(dmesg | grep -m1 'Memory failure' || echo 'no Memory failure line')"
[ -f /sys/module/kvm_amd/parameters/npt ] &&
	echo "# kvm_amd npt=$(cat /sys/module/kvm_amd/parameters/npt) nested=$(cat /sys/module/kvm_amd/parameters/nested)"
[ "$EMUHOST_ARCH" = arm64 ] && echo "# $(dmesg | grep -m1 -o 'kvm \[[0-9]*\]: .*mode.*' || echo 'no kvm mode line')"
exit $rc
