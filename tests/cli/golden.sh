# Verifies the firmware bytes against tests/golden (regenerate with scripts/regen-golden.sh,
# in a commit of its own), that iasl disassembles every ACPI table without an error or a
# warning, that the HEST fields iasl reads are the ones rasvm means to publish, that the
# DSDT's AML compiles back, and that `cper encode`/`cper decode` reproduce their goldens.
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
cd "$TMP/acpi"
# RSDP is not a table with a standard header (iasl cannot take it from a file); the unit
# tests check its checksums.
for f in APIC DSDT FACP HEST XSDT; do
	if iasl -d "$f.dat" >"$TMP/iasl.$f" 2>&1 && ! grep -qiE 'error|warning' "$TMP/iasl.$f"; then
		ok "iasl -d $f.dat: clean"
	else
		not_ok "iasl -d $f.dat"; sed 's/^/#   /' "$TMP/iasl.$f" | head
	fi
done
# field VALUE...: the values iasl printed for that HEST field, in table order.
field() { grep -E "^\[[0-9A-F]+h [0-9]+ +[0-9]+\] +$1 :" HEST.dsl | sed 's/.*: //; s/ .*//' | tr '\n' ' '; }
expect_field() {
	local got
	got=$(field "$1")
	[ "$got" = "$2 " ] && ok "HEST $1: $2" || not_ok "HEST $1: '$got', expected '$2'"
}
expect_field "Error Source Count" "00000003"
expect_field "Subtable Type" "000A 000A 000A"
expect_field "Source Id" "0000 0001 0002"
expect_field "Related Source Id" "FFFF FFFF FFFF"
expect_field "Enabled" "01 01 01"
expect_field "Notify Type" "04 03 00"
expect_field "Notify Length" "1C 1C 1C"
expect_field "PollInterval" "00000000 00000000 000003E8"
expect_field "Error Status Block Length" "00001000 00001000 00001000"
expect_field "Address" "00000000000A0000 00000000000A0100 00000000000A0008 00000000000A0108 00000000000A0010 00000000000A0110"
expect_field "Encoded Access Width" "04 04 04 04 04 04"
expect_field "Bit Width" "40 40 40 40 40 40"
expect_field "Read Ack Preserve" "FFFFFFFFFFFFFFFE FFFFFFFFFFFFFFFE FFFFFFFFFFFFFFFE"
expect_field "Read Ack Write" "0000000000000001 0000000000000001 0000000000000001"
for want in 'Name (_HID, EisaId ("PNP0C33")' 'Name (_HID, "ACPI0013" /* Generic Event Device */)' \
	'Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive, ,, )' \
	'Method (_EVT, 1, NotSerialized)' 'Notify (\_SB.HED, 0x80)' 'Device (COM1)'; do
	grep -qF -- "$want" DSDT.dsl && ok "DSDT has $want" || not_ok "DSDT lacks $want"
done
if iasl -p "$TMP/recompiled" DSDT.dsl >"$TMP/iasl.asl" 2>&1 && grep -q "0 Errors, 0 Warnings" "$TMP/iasl.asl"; then
	ok "the DSDT's AML compiles back with 0 errors and 0 warnings"
else
	not_ok "the DSDT does not compile back"; sed 's/^/#   /' "$TMP/iasl.asl" | tail -5
fi
finish
