# Verifies that rasvm boots an unmodified Linux (tests/linux: Debian's linux-source-6.1 built
# from kernel.config) to its init, judged by Linux's own console: no "ACPI Error", "ACPI BIOS
# Error" or "Firmware Bug", the HEST parsed and no GHES source refused, APEI firmware-first
# mode enabled through _OSC, S5 offered, the 8250 console on its interrupt, every vCPU
# brought up by Linux itself (INIT/SIPI), a clocksource; with 4 vCPUs from the vmlinux (PVH
# note) and with 1 vCPU from the bzImage (rasvm decompresses it), both with the ordinary
# command line "console=ttyS0". The 1-vCPU vmlinux boot is checked by linux_ras.sh. Then the
# MP table alone: with acpi=off Linux brings up 2 vCPUs and routes COM1 from it.
# Under a sanitizer (slower exits) 2 vCPUs: on 2 shared host cores whose guest kernel code is
# emulated, 4 were seen to stall Linux (RCU) when the machine was loaded besides. About 2-4
# minutes here; the kernel build once per machine.
. "$(dirname "$0")/../lib.sh"
require_kvm
. "$ROOT/tests/linux/lib.sh"
linux_setup boot
cpus=4
[ -n "${RASVM_SANITIZER:-}" ] && cpus=2
judge boot --cpus $cpus --kernel "$KDIR/vmlinux" --initrd "$SPIN"
judge boot --cpus 1 --kernel "$KDIR/bzImage" --initrd "$SPIN"
judge mptable --cpus 2 --kernel "$KDIR/vmlinux" --initrd "$SPIN"
finish
