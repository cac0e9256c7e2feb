# Verifies `acpi dump` (x86 and --arch arm64), `cper encode` and `cper decode` from the
# outside: what they write, the error-region description, and one clear message and exit
# code for each bad input.
. "$(dirname "$0")/../lib.sh"

run_rasvm acpi dump "$TMP/d1" --ras-sources polled --ras-poll-ms 250 --ras-block-size 8K
expect_rc "acpi dump polled only" 0
cp "$TMP/d1/error-region.txt" "$TMP/out"
expect_has "error-region.txt" out "source 2 polled: notification polled (type 0) every 250 ms"
expect_has "error-region.txt" out "source 0 sync: not published (its slots stay reserved)"
expect_has "error-region.txt" out "error status block           0x000a5000, 8192 bytes"
run_rasvm acpi dump "$TMP/d2" --ras-sources none
expect_rc "acpi dump without sources" 0
[ ! -e "$TMP/d2/HEST.dat" ] && ok "no HEST without sources" || not_ok "HEST.dat written without sources"
run_rasvm acpi dump "$TMP/a1" --arch arm64 --ras-sources sync --memory 1G
expect_rc "acpi dump --arch arm64" 0
cp "$TMP/a1/error-region.txt" "$TMP/out"
expect_has "arm64 error-region.txt" out "GHES error region [0x40040000, 0x40044000), EFI ACPI NVS, write-back"
expect_has "arm64 error-region.txt" out "source 0 sync: notification SEA (type 8)"
expect_has "arm64 error-region.txt" out "source 1 async: not published (its slots stay reserved)"
[ -s "$TMP/a1/devicetree.dtb" ] && [ -s "$TMP/a1/efi.bin" ] && [ -s "$TMP/a1/GTDT.dat" ] &&
	[ -s "$TMP/a1/SPCR.dat" ] && ok "arm64 dump has devicetree.dtb, efi.bin, GTDT and SPCR" ||
	not_ok "arm64 dump lacks a file"
run_rasvm acpi dump "$TMP/a2" --arch arm64 --cpus 124
expect_rc "acpi dump --arch arm64 --cpus 124" 64
expect_has "acpi dump --arch arm64 --cpus 124" err "1 to 123 vCPUs"
run_rasvm acpi dump "$TMP/a2" --arch sparc
expect_rc "acpi dump --arch sparc" 64
expect_has "acpi dump --arch sparc" err "--arch 'sparc': use x86 or arm64"
run_rasvm acpi dump
expect_rc "acpi dump without DIR" 64
expect_has "acpi dump without DIR" err "acpi dump needs a directory"
run_rasvm acpi
expect_rc "acpi without subcommand" 64
expect_has "acpi without subcommand" err "'acpi' needs a subcommand: dump DIR"
run_rasvm acpi dump "$TMP/d3" --ras-sources sync,nmi
expect_rc "bad --ras-sources" 64
expect_has "bad --ras-sources" err "--ras-sources 'sync,nmi'"
run_rasvm acpi dump "$TMP/d3" --ras-block-size 100
expect_rc "small --ras-block-size" 64
expect_has "small --ras-block-size" err "1K to 64K"
run_rasvm run --ras-poll-ms 0
expect_rc "run --ras-poll-ms 0" 64
expect_has "run --ras-poll-ms 0" err "poll interval"
: >"$TMP/file"
run_rasvm acpi dump "$TMP/file/sub"
expect_rc "acpi dump into a file" 71
expect_has "acpi dump into a file" err "cannot create"

run_rasvm cper encode --gpa 0x1000 -o "$TMP/r.bin"
expect_rc "cper encode" 0
expect_has "cper encode" out "172 bytes, 1 memory error record(s)"
run_rasvm cper decode "$TMP/r.bin"
expect_rc "cper decode" 0
expect_has "cper decode" out "{1}[Hardware Error]:   physical_address: 0x0000000000001000"
run_rasvm cper encode -o "$TMP/x.bin"
expect_rc "cper encode without --gpa" 64
expect_has "cper encode without --gpa" err "at least one --gpa"
run_rasvm cper encode --gpa 0x1000
expect_rc "cper encode without -o" 64
run_rasvm cper encode --gpa zero -o "$TMP/x.bin"
expect_rc "cper encode --gpa zero" 64
expect_has "cper encode --gpa zero" err "'zero' is not an address"
run_rasvm cper encode --gpa 1 --severity mild -o "$TMP/x.bin"
expect_rc "cper encode --severity mild" 64
run_rasvm cper encode --gpa 1 --type 300 -o "$TMP/x.bin"
expect_rc "cper encode --type 300" 64
run_rasvm cper encode --gpa 1 --lsb 99 -o "$TMP/x.bin"
expect_rc "cper encode --lsb 99" 64
run_rasvm cper encode --gpa 1 -o "$TMP/no/such/x.bin"
expect_rc "cper encode to a missing directory" 71
run_rasvm cper decode "$TMP/missing.bin"
expect_rc "cper decode missing file" 66
head -c 100 "$TMP/r.bin" >"$TMP/t.bin"
run_rasvm cper decode "$TMP/t.bin"
expect_rc "cper decode truncated" 65
expect_has "cper decode truncated" err "record length 172 runs past the 100 bytes given"
run_rasvm cper decode "$TMP/r.bin" --block-length 128
expect_rc "cper decode, block too small" 65
expect_has "cper decode, block too small" err "exceeds the error block length 128"
head -c 64 /dev/zero >"$TMP/z.bin"
run_rasvm cper decode "$TMP/z.bin"
expect_rc "cper decode empty block" 65
expect_has "cper decode empty block" err "no error recorded"
finish
