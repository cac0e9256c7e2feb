# Verifies the test guest also boots under QEMU from its multiboot header (what the side-by-
# side benchmarks need): it walks SeaBIOS's ACPI 1.0 tables, reaches its rendezvous, and its
# exit code reaches QEMU's isa-debug-exit (QEMU exits with code * 2 + 1). Skips without QEMU.
. "$(dirname "$0")/../lib.sh"
require_kvm
if ! command -v qemu-system-x86_64 >/dev/null; then
	echo "# skip: qemu-system-x86_64 is not installed (Debian: qemu-system-x86)"
	exit 77
fi
qemu() {
	timeout 120 qemu-system-x86_64 -enable-kvm -cpu qemu64,+mce,+mca,-pni -m 128 \
		-kernel "$BUILD/guest/guest.elf" -append "$1" -display none -monitor none \
		-serial "file:$TMP/serial" -device isa-debug-exit,iobase=0x534,iosize=1 -no-reboot \
		>"$TMP/out" 2>"$TMP/err"
	rc=$?
	cp "$TMP/serial" "$TMP/out"
}
qemu boot
expect_rc "boot under QEMU (guest code 0)" 1
expect_has "boot under QEMU" out "rasvm test guest: 1 vCPU(s)"
expect_has "boot under QEMU" out "ACPI: RSDT"
expect_has "boot under QEMU" out "rendezvous: 1 of 1 vCPUs"
qemu exit:7
expect_rc "exit:7 under QEMU (7 * 2 + 1)" 15
finish
