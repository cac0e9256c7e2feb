#!/usr/bin/env bash
# Regenerates tests/golden/ from the current build. Commit regenerations on their own, with
# a message saying why the bytes changed: tests/cli/golden.sh compares against these files.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
make -s "$BUILD/rasvm"
out=tests/golden
rm -rf "$out/acpi" && mkdir -p "$out/acpi"
# The machine the golden tables describe: 2 vCPUs, the default error sources.
"$BUILD/rasvm" acpi dump "$out/acpi" --cpus 2
# The arm64 machine's firmware for the same, with 128 MiB of RAM (the default).
rm -rf "$out/acpi-arm64" && mkdir -p "$out/acpi-arm64"
"$BUILD/rasvm" acpi dump "$out/acpi-arm64" --arch arm64 --cpus 2
# A fixed time (2026-11-22 00:00:00 UTC) makes the records reproducible.
export SOURCE_DATE_EPOCH=1795305600
"$BUILD/rasvm" cper encode --gpa 0x400a1000 -o "$out/cper-memory.bin" >/dev/null
"$BUILD/rasvm" cper encode --gpa 0x1000 --gpa 0x2000 --severity corrected --type single-bit \
	--lsb 21 -o "$out/cper-two-corrected.bin" >/dev/null
"$BUILD/rasvm" cper decode "$out/cper-memory.bin" >"$out/cper-memory.txt"
"$BUILD/rasvm" cper decode "$out/cper-two-corrected.bin" --source 2 >"$out/cper-two-corrected.txt"
echo "regenerated $out"
