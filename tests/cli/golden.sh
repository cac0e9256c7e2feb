# Verifies the firmware bytes against tests/golden (regenerate with scripts/regen-golden.sh,
# in a commit of its own), for the x86 machine and the arm64 one, that iasl disassembles
# every ACPI table without an error or a warning, that the HEST fields iasl reads are the
# ones rasvm means to publish, that each DSDT's AML compiles back, that dtc reads the arm64
# device tree without a warning, that the EFI system table's CRC32 is what zlib computes,
# and that `cper encode`/`cper decode` reproduce their goldens.
. "$(dirname "$0")/../lib.sh"
G=$ROOT/tests/golden

"$RASVM" acpi dump "$TMP/acpi" --cpus 2 >"$TMP/out" 2>"$TMP/err"
rc=$?
expect_rc "acpi dump" 0
for f in "$G"/acpi/*; do
	name=$(basename "$f")
	if cmp -s "$f" "$TMP/acpi/$name"; then ok "golden acpi/$name"
	else not_ok "acpi/$name differs from tests/golden (intended? scripts/regen-golden.sh)"; fi
done
"$RASVM" acpi dump "$TMP/acpi-arm64" --arch arm64 --cpus 2 >"$TMP/out" 2>"$TMP/err"
rc=$?
expect_rc "acpi dump --arch arm64" 0
for f in "$G"/acpi-arm64/*; do
	name=$(basename "$f")
	if cmp -s "$f" "$TMP/acpi-arm64/$name"; then ok "golden acpi-arm64/$name"
	else not_ok "acpi-arm64/$name differs from tests/golden (intended? scripts/regen-golden.sh)"; fi
done
# The EFI system table (UEFI 4.3): signature, revision 2.80, 120 bytes, and the header CRC32
# as zlib computes it over the table with the CRC field zero.
if python3 - "$TMP/acpi-arm64/efi.bin" >"$TMP/crc" 2>&1 <<'PY'
import struct, sys, zlib
st = bytearray(open(sys.argv[1], "rb").read()[:120])
sig, rev, size, crc = struct.unpack_from("<QIII", st)
assert sig == 0x5453595320494249, hex(sig)
assert rev == (2 << 16) | 80 and size == 120, (rev, size)
st[16:20] = bytes(4)
assert zlib.crc32(bytes(st)) == crc, (hex(zlib.crc32(bytes(st))), hex(crc))
PY
then ok "efi.bin: system table header and CRC32 (zlib)"
else not_ok "efi.bin system table"; sed 's/^/#   /' "$TMP/crc" | tail -3; fi
if command -v dtc >/dev/null; then
	if dtc -I dtb -O dts -o "$TMP/dt.dts" "$TMP/acpi-arm64/devicetree.dtb" 2>"$TMP/dtc" && ! [ -s "$TMP/dtc" ]; then
		ok "dtc reads devicetree.dtb without a warning"
	else
		not_ok "dtc -I dtb devicetree.dtb"; sed 's/^/#   /' "$TMP/dtc" | head
	fi
	for want in 'linux,uefi-system-table = <0x00 0x40020000>;' 'linux,uefi-secure-boot = <0x02>;' \
		'linux,uefi-mmap-desc-ver = <0x01>;' 'stdout-path = "/pl011@9000000";' \
		'enable-method = "psci";' 'method = "hvc";' 'compatible = "arm,gic-v3";' \
		'compatible = "arm,pl011\0arm,primecell";' 'compatible = "arm,armv8-timer";' \
		'interrupts = <0x01 0x0d 0x04 0x01 0x0e 0x04 0x01 0x0b 0x04 0x01 0x0a 0x04>;'; do
		grep -qF -- "$want" "$TMP/dt.dts" && ok "device tree has $want" || not_ok "device tree lacks $want"
	done
else
	echo "ok - dtc checks # SKIP dtc (device-tree-compiler) is not installed"
fi
export SOURCE_DATE_EPOCH=1795305600
"$RASVM" cper encode --gpa 0x400a1000 -o "$TMP/m.bin" >/dev/null
cmp -s "$G/cper-memory.bin" "$TMP/m.bin" && ok "golden cper-memory.bin" || not_ok "cper-memory.bin differs"
"$RASVM" cper encode --gpa 0x1000 --gpa 0x2000 --severity corrected --type single-bit --lsb 21 \
	-o "$TMP/c.bin" >/dev/null
cmp -s "$G/cper-two-corrected.bin" "$TMP/c.bin" && ok "golden cper-two-corrected.bin" ||
	not_ok "cper-two-corrected.bin differs"
"$RASVM" cper decode "$G/cper-memory.bin" | diff -u "$G/cper-memory.txt" - >"$TMP/d" &&
	ok "decode matches cper-memory.txt" || { not_ok "decode differs"; sed 's/^/#   /' "$TMP/d"; }
"$RASVM" cper decode "$G/cper-two-corrected.bin" --source 2 | diff -u "$G/cper-two-corrected.txt" - >"$TMP/d" &&
	ok "decode matches cper-two-corrected.txt" || { not_ok "decode differs"; sed 's/^/#   /' "$TMP/d"; }

if ! command -v iasl >/dev/null; then
	echo "ok - iasl checks # SKIP iasl (acpica-tools) is not installed"
	finish
fi
# disassemble DIR SIG...: iasl -d of each table, clean.
disassemble() {
	local dir=$1 f
	shift
	for f in "$@"; do
		if (cd "$dir" && iasl -d "$f.dat") >"$TMP/iasl.$f" 2>&1 && ! grep -qiE 'error|warning' "$TMP/iasl.$f"; then
			ok "iasl -d $(basename "$dir")/$f.dat: clean"
		else
			not_ok "iasl -d $(basename "$dir")/$f.dat"; sed 's/^/#   /' "$TMP/iasl.$f" | head
		fi
	done
}
# field DSL NAME: the values iasl printed for that field, in table order.
field() { grep -E "^\[[0-9A-F]+h [0-9]+ +[0-9]+\] +$2 :" "$1" | sed 's/.*: //; s/ .*//' | tr '\n' ' '; }
expect_field() {
	local got
	got=$(field "$1" "$2")
	[ "$got" = "$3 " ] && ok "$(basename "$(dirname "$1")")/$(basename "$1") $2: $3" ||
		not_ok "$1 $2: '$got', expected '$3'"
}
# compiles_back DIR: the DSDT's AML compiles back with no error or warning.
compiles_back() {
	if (cd "$1" && iasl -p "$TMP/recompiled" DSDT.dsl) >"$TMP/iasl.asl" 2>&1 &&
		grep -q "0 Errors, 0 Warnings" "$TMP/iasl.asl"; then
		ok "$(basename "$1")/DSDT's AML compiles back with 0 errors and 0 warnings"
	else
		not_ok "$(basename "$1")/DSDT does not compile back"; sed 's/^/#   /' "$TMP/iasl.asl" | tail -5
	fi
}

# RSDP is not a table with a standard header (iasl cannot take it from a file); the unit
# tests check its checksums.
disassemble "$TMP/acpi" APIC DSDT FACP HEST XSDT
H=$TMP/acpi/HEST.dsl
expect_field "$H" "Error Source Count" "00000003"
expect_field "$H" "Subtable Type" "000A 000A 000A"
expect_field "$H" "Source Id" "0000 0001 0002"
expect_field "$H" "Related Source Id" "FFFF FFFF FFFF"
expect_field "$H" "Enabled" "01 01 01"
expect_field "$H" "Notify Type" "04 03 00"
expect_field "$H" "Notify Length" "1C 1C 1C"
expect_field "$H" "PollInterval" "00000000 00000000 000003E8"
expect_field "$H" "Error Status Block Length" "00001000 00001000 00001000"
expect_field "$H" "Address" "00000000000A0000 00000000000A0100 00000000000A0008 00000000000A0108 00000000000A0010 00000000000A0110"
expect_field "$H" "Encoded Access Width" "04 04 04 04 04 04"
expect_field "$H" "Bit Width" "40 40 40 40 40 40"
expect_field "$H" "Read Ack Preserve" "FFFFFFFFFFFFFFFE FFFFFFFFFFFFFFFE FFFFFFFFFFFFFFFE"
expect_field "$H" "Read Ack Write" "0000000000000001 0000000000000001 0000000000000001"
for want in 'Name (_HID, EisaId ("PNP0C33")' 'Name (_HID, "ACPI0013" /* Generic Event Device */)' \
	'Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive, ,, )' \
	'Method (_EVT, 1, NotSerialized)' 'Notify (\_SB.HED, 0x80)' 'Device (COM1)'; do
	grep -qF -- "$want" "$TMP/acpi/DSDT.dsl" && ok "DSDT has $want" || not_ok "DSDT lacks $want"
done
compiles_back "$TMP/acpi"

# arm64: the same HEST ids and layout, notified by SEA and by GSIV 41 (the GED's interrupt).
A=$TMP/acpi-arm64
disassemble "$A" APIC DSDT FACP GTDT HEST SPCR XSDT
expect_field "$A/HEST.dsl" "Notify Type" "08 0A 00"
expect_field "$A/HEST.dsl" "Vector" "00000000 00000029 00000000"
expect_field "$A/HEST.dsl" "Source Id" "0000 0001 0002"
expect_field "$A/HEST.dsl" "Address" "0000000040040000 0000000040040100 0000000040040008 0000000040040108 0000000040040010 0000000040040110"
for want in "PSCI Compliant : 1" "Must use HVC for PSCI : 1" "Hardware Reduced (V5) : 1"; do
	grep -qE "^ +${want//[()]/.}$" "$A/FACP.dsl" && ok "arm64 FADT: $want" || not_ok "arm64 FADT: not $want"
done
expect_field "$A/APIC.dsl" "Subtable Type" "0B 0B 0C 0E"
expect_field "$A/APIC.dsl" "ARM MPIDR" "0000000000000000 0000000000000001"
expect_field "$A/APIC.dsl" "Version" "03"
expect_field "$A/GTDT.dsl" "Non-Secure EL1 Interrupt" "0000001E"
expect_field "$A/GTDT.dsl" "Virtual Timer Interrupt" "0000001B"
expect_field "$A/GTDT.dsl" "Non-Secure EL2 Interrupt" "0000001A"
expect_field "$A/SPCR.dsl" "Interface Type" "03"
expect_field "$A/SPCR.dsl" "Interrupt" "00000021"
for want in 'Name (_HID, "ARMH0011")' 'Memory32Fixed (ReadWrite,' \
	'Interrupt (ResourceConsumer, Level, ActiveHigh, Exclusive, ,, )' \
	'Name (_HID, "ACPI0007" /* Processor Device */)' 'Name (_HID, EisaId ("PNP0C33")' \
	'Name (_HID, "ACPI0013" /* Generic Event Device */)' 'Notify (\_SB.HED, 0x80)' \
	'Method (_OSC, 4, NotSerialized)' 'ToUUID ("0811b06e-4a27-44f9-8d60-3cbbc22e7b48")' \
	'ToUUID ("ed855e0c-6c90-47bf-a62a-26de0fc5ad5c")'; do
	grep -qF -- "$want" "$A/DSDT.dsl" && ok "arm64 DSDT has $want" || not_ok "arm64 DSDT lacks $want"
done
compiles_back "$A"
finish
