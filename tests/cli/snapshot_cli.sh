# Verifies the snapshot commands and options without /dev/kvm where possible: `rasvm snapshot
# check` reads a whole snapshot (the fuzzer's seed: an 8 MiB two-vCPU machine with poisoned
# pages) and says it is intact (exit 0 with KVM, 69 when there is no KVM to compare with), and
# names what is wrong with a damaged one (65) or a missing one (66); --json; bad command lines
# (a subcommand missing, no file, --incoming with a URI rasvm does not take, with --poison)
# exit 64 with one message; the help texts.
. "$(dirname "$0")/../lib.sh"
seed=$ROOT/tests/fuzz/seeds/snapshot/two-cpus-errors.snap
kvm=69
if [ -c /dev/kvm ] && { exec 9<>/dev/kvm; } 2>/dev/null; then kvm=0; exec 9>&-; fi

run_rasvm snapshot check "$seed"
expect_rc "snapshot check of a good snapshot" $kvm
expect_has "snapshot check" out "intact: yes (every record's CRC and every section checked)"
expect_has "snapshot check" out "guest: 2 vCPU(s), 8 MiB"
expect_has "snapshot check" out "pages: 4 with data, 0 zero, 5 poisoned; poison table: 5 page(s)"
expect_has "snapshot check" out "records: MACH 1 RAMP"
run_rasvm snapshot check --json "$seed"
if python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["intact"] and r["pages"]["poisoned"] == 5 and r["poison-table"] == 5, r' "$TMP/out"
then ok "snapshot check --json"; else not_ok "snapshot check --json"; fi

head -c 5000 "$seed" >"$TMP/cut.snap"
run_rasvm snapshot check "$TMP/cut.snap"
expect_rc "a truncated snapshot" 65
expect_has "a truncated snapshot" out "intact: no: the stream ends after"
cp "$seed" "$TMP/flip.snap"
printf '\x5a' | dd of="$TMP/flip.snap" bs=1 seek=3000 conv=notrunc 2>/dev/null
run_rasvm snapshot check "$TMP/flip.snap"
expect_rc "a flipped byte" 65
expect_has "a flipped byte" out "CRC mismatch"
printf 'hello' >"$TMP/hello"
run_rasvm snapshot check "$TMP/hello"
expect_rc "not a snapshot" 65
expect_has "not a snapshot" out "not a rasvm snapshot"
run_rasvm snapshot check "$TMP/missing.snap"
expect_rc "a missing snapshot" 66
run_rasvm snapshot restore "$TMP/missing.snap"
expect_rc "restore of a missing snapshot" 66

run_rasvm snapshot
expect_rc "snapshot without a subcommand" 64
expect_has "snapshot without a subcommand" err "needs a subcommand: check FILE or restore FILE"
run_rasvm snapshot check
expect_rc "snapshot check without a file" 64
run_rasvm snapshot restore -S
expect_rc "snapshot restore without a file" 64
expect_has "snapshot restore without a file" err "the file comes first"
run_rasvm snapshot --help
expect_rc "snapshot --help" 0
expect_has "snapshot --help" out "rasvm snapshot check FILE"
run_rasvm run --incoming ftp:/x
expect_rc "--incoming ftp:" 64
expect_has "--incoming ftp:" err "use file:PATH, unix:PATH or tcp:HOST:PORT"
run_rasvm run --incoming file:
expect_rc "--incoming file: without a path" 64
run_rasvm run --incoming file:/x --poison 0x700000
expect_rc "--incoming with --poison" 64
expect_has "--incoming with --poison" err "the snapshot says which pages are poisoned"
run_rasvm run --help
expect_has "run --help" out "--incoming URI"
run_rasvm --help
expect_has "--help" out "snapshot     check a snapshot, or restore one"
finish
