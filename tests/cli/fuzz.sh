# Fuzzes the parsers of untrusted input briefly (FUZZ_SECONDS each, default 10) with libFuzzer
# and AddressSanitizer: the ELF loader (kernel files), the Linux loader (bzImage headers, their
# compressed payloads, vmlinux, zero page and PVH start_info), the CPER decoder (error records
# from files and the control socket), the control socket's framer (each input also fed in two
# and three pieces: the outcomes must not change), command schemas and the HMP parser, the
# command line (--qmp, --name, --metrics among the rest), and the snapshot reader (a stream's
# header and every section's loader, on an offline VM; its seeds are written fresh by
# tests/fuzz/gen_snapshot_seeds.c).
# Longer by hand:
#   FUZZ_SECONDS=600 tests/run fuzz
. "$(dirname "$0")/../lib.sh"
seconds=${FUZZ_SECONDS:-10}
if ! echo 'int LLVMFuzzerTestOneInput(const char *d, long n){return 0;}' |
	clang -x c -fsanitize=fuzzer,address -o "$TMP/probe" - 2>/dev/null; then
	echo "# skip: clang with libFuzzer is not installed"
	exit 77
fi
src="$ROOT/src/acpi/*.c $ROOT/src/config.c $ROOT/src/kvm/mem.c $ROOT/src/loader/*.c $ROOT/src/ras/policy.c"
libs="-lz -llzma -lzstd -llz4 -lbz2 -llzo2"
[ -f "$BUILD/librasvm.a" ] || { echo "# skip: build first (make unit)"; exit 77; }
state="$ROOT/src/state/stream.c $ROOT/src/state/header.c $ROOT/src/state/load.c $ROOT/src/state/ram.c \
	$ROOT/src/state/offline.c $ROOT/src/state/crc32c.c $ROOT/src/state/machine.c $ROOT/src/ras/ras_state.c \
	$ROOT/src/kvm/x86/cpu_state.c $ROOT/src/dev/serial.c"
for target in elf linux cper config qmp snapshot; do
	extra=""
	# The protocol code is built here with the sanitizers; the command table (and what its
	# handlers call) comes from the ordinary build, uninstrumented.
	[ $target = qmp ] && extra="$ROOT/src/ctl/protocol.c $ROOT/src/ctl/base64.c $ROOT/src/ctl/hmp.c $BUILD/librasvm.a -ljansson -lpthread"
	# The snapshot reader built with the sanitizers; the RAS core and the rest from the build.
	[ $target = snapshot ] && extra="-DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION $state $BUILD/librasvm.a -ljansson -lpthread"
	seeds=$ROOT/tests/fuzz/seeds/$target
	if ! clang -g -O1 -std=c11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined -I"$ROOT/include" -I"$ROOT/src" \
		-I"$ROOT/guest/lib" -o "$TMP/fuzz_$target" "$ROOT/tests/fuzz/fuzz_$target.c" $src \
		"$ROOT/guest/lib/cper.c" $extra $libs 2>"$TMP/cc"; then
		not_ok "fuzz_$target builds"; sed 's/^/#   /' "$TMP/cc" | head; continue
	fi
	mkdir -p "$TMP/corpus_$target"
	cp "$seeds"/* "$TMP/corpus_$target/"
	if [ $target = snapshot ] && ! { clang -g -O1 -std=c11 -D_GNU_SOURCE -I"$ROOT/include" -I"$ROOT/src" \
		-o "$TMP/gen_seeds" "$ROOT/tests/fuzz/gen_snapshot_seeds.c" $src $extra $libs 2>"$TMP/cc" &&
		"$TMP/gen_seeds" "$TMP/corpus_$target"; }; then
		not_ok "the snapshot fuzzer's seeds could not be made"; sed 's/^/#   /' "$TMP/cc" | head
	fi
	case $target in elf | linux) cp "$BUILD/guest/guest.elf" "$TMP/corpus_$target/" ;; esac
	if (cd "$TMP" && "./fuzz_$target" -max_total_time="$seconds" -max_len=65536 \
		"corpus_$target" >"$TMP/log_$target" 2>&1); then
		ok "fuzz_$target: no crash in ${seconds}s ($(grep -oE 'Done [0-9]+ runs' "$TMP/log_$target" | grep -oE '[0-9]+') runs)"
	else
		not_ok "fuzz_$target found a crash"
		grep -E 'ERROR|SUMMARY|Test unit written' "$TMP/log_$target" | sed 's/^/#   /'
		cp "$TMP"/crash-* "$ROOT/$BUILD/" 2>/dev/null && echo "#   reproducer copied to $BUILD/"
	fi
done
finish
