# Verifies the arm64 rasvm end to end in an emulated arm64 KVM host (QEMU TCG with EL2 running
# Debian's own arm64 kernel, KVM built in, memory failure real; tests/emuhost/README.md): the
# static aarch64 rasvm (make ARCH=arm64) and its test guest's scenarios with pages poisoned by
# the host kernel itself (MADV_HWPOISON, then the kernel's SIGBUS), the simulator besides, the
# control socket through the arm64 `rasvm ctl`, and Debian's arm64 kernel as the guest, judged
# by what Linux prints: (a) a process whose page goes bad gets the CPER decode, "Memory
# failure: ...: Recovered" and SIGBUS BUS_MCEERR_AR at its own address; (b) an action-optional
# error on a free page is recovered; (c) a storm of 64 records from one host error, each page
# recovered once, none lost; (d) after the reset the pages are healthy; and a device-tree boot.
# Each check inside is one TAP line here; "# figure:" lines carry the emulated host's timings.
. "$(dirname "$0")/../lib.sh"

for t in aarch64-linux-gnu-gcc cpio; do
	command -v $t >/dev/null || { not_ok "$t is not installed (scripts/install-deps test)"; finish; }
done
log=$TMP/make
if ! make -C "$ROOT" -s -j"$(nproc)" ARCH=arm64 BUILD="$BUILD/arm64" all >"$log" 2>&1; then
	not_ok "make ARCH=arm64"
	sed 's/^/#   /' "$log" | tail -20
	finish
fi
ok "make ARCH=arm64: $BUILD/arm64/rasvm, $(aarch64-linux-gnu-readelf -h "$BUILD/arm64/rasvm" | sed -n 's/ *Machine: *//p'), $(file -b "$BUILD/arm64/rasvm" | grep -o 'statically linked')"

kdir=$("$ROOT/tests/emuhost/fetch" arm64)
rc=$?
if [ "$rc" = 77 ]; then
	echo "$kdir"
	exit 77
fi
[ "$rc" = 0 ] && [ -d "$kdir" ] || { not_ok "tests/emuhost/fetch arm64 failed"; finish; }

# The payload: the arm64 rasvm, Debian's arm64 Image (the emulated host's own kernel, as the
# guest too) and an initramfs with the Linux guest's /init.
pl=$TMP/payload
mkdir -p "$pl" "$TMP/initroot"
cp "$ROOT/tests/emu/arm64/payload.sh" "$pl/run.sh"
cp "$BUILD/arm64/rasvm" "$pl/rasvm"
cp "$kdir/boot/vmlinuz-$(basename "$kdir")" "$pl/Image"
if ! aarch64-linux-gnu-gcc -static -O2 -Wall -Wextra -Werror -o "$TMP/initroot/init" \
	"$ROOT/tests/emu/arm64/linux-init.c" 2>"$log"; then
	not_ok "the Linux guest's init builds"
	sed 's/^/#   /' "$log"
	finish
fi
(cd "$TMP/initroot" && find . | cpio -o -H newc --quiet) >"$pl/initramfs"

"$ROOT/tests/emuhost/run" arm64 "$pl" --mem 2048 --timeout 900 >"$TMP/console" 2>&1
rc=$?
if [ "$rc" = 77 ]; then
	grep -m1 '^# skip' "$TMP/console" || echo "# skip: the emulated arm64 host cannot run here"
	exit 77
fi
while IFS= read -r line; do
	case $line in
	"ok - "*) ok "emulated arm64 host: ${line#ok - }" ;;
	"not ok - "*) not_ok "emulated arm64 host: ${line#not ok - }" ;;
	"# emuhost: times:"* | "# figure:"* | "# linux:"* | "# check-host:"* | "#   "*) echo "$line" ;;
	esac
done <"$TMP/console"
grep -q '^ok - \|^not ok - ' "$TMP/console" || { not_ok "emulated arm64 host: no check ran (harness exit $rc)"; tail -30 "$TMP/console" | sed 's/^/#   /'; }
[ "$rc" = 0 ] || [ "$failed" = 1 ] || not_ok "emulated arm64 host: the payload exited $rc"
finish
