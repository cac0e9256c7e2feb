# Verifies the firmware library the arm64 VMM will link (make arm64-fw: ACPI tables, HEST,
# CPER, device tree, EFI tables, the machine's composition) compiles for aarch64 with the
# project's warnings as errors, and that what comes out is AArch64 code.
. "$(dirname "$0")/../lib.sh"

if ! command -v aarch64-linux-gnu-gcc >/dev/null; then
	echo "ok - arm64 build # SKIP gcc-aarch64-linux-gnu is not installed"
	finish
fi
if make -s -C "$ROOT" BUILD="$TMP/build" "$TMP/build/arm64/librasvm-fw.a" >"$TMP/make" 2>&1; then
	ok "make arm64-fw: the firmware library compiles for aarch64 with -Werror"
else
	not_ok "make arm64-fw"; sed 's/^/#   /' "$TMP/make" | tail -15
	finish
fi
n=0
for o in $(find "$TMP/build/arm64" -name '*.o'); do
	aarch64-linux-gnu-readelf -h "$o" | grep -q 'Machine: *AArch64' || not_ok "$o is not AArch64 code"
	n=$((n + 1))
done
[ "$n" -ge 9 ] && ok "$n objects, all AArch64" || not_ok "only $n objects built"
aarch64-linux-gnu-nm "$TMP/build/arm64/librasvm-fw.a" | grep -q ' T platform_arm64_build$' &&
	ok "librasvm-fw.a defines platform_arm64_build" || not_ok "platform_arm64_build missing"
finish
