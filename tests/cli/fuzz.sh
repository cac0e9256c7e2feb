# Fuzzes the parsers of untrusted input briefly (FUZZ_SECONDS each, default 10) with libFuzzer,
# AddressSanitizer and UndefinedBehaviorSanitizer: the ELF loader (kernel files), the Linux
# loader (bzImage headers, their compressed payloads, vmlinux, zero page and PVH start_info),
# the CPER decoder (error records from files and the control socket), the control socket's
# framer (each input also fed in two and three pieces: the outcomes must not change),
# command schemas and the HMP parser, and the command line (--qmp, --name, --metrics among
# the rest). The targets are tests/fuzz/fuzz_*.c, built by
# `make fuzzers` and run by tests/fuzz/run; `make fuzz` runs each to 10^6 executions.
# Longer by hand:
#   FUZZ_SECONDS=600 tests/run fuzz
. "$(dirname "$0")/../lib.sh"
if ! echo 'int LLVMFuzzerTestOneInput(const char *d, long n){return 0;}' |
	clang -x c -fsanitize=fuzzer,address -o "$TMP/probe" - 2>/dev/null; then
	echo "# skip: clang with libFuzzer is not installed"
	exit 77
fi
if ! make -s -C "$ROOT" BUILD="$BUILD" fuzzers >"$TMP/make" 2>&1; then
	not_ok "make fuzzers"
	sed 's/^/#   /' "$TMP/make" | tail -15
	finish
fi
FUZZ_RUNS="" FUZZ_SECONDS=${FUZZ_SECONDS:-10} BUILD=$BUILD "$ROOT/tests/fuzz/run" || failed=1
finish
