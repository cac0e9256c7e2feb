# Verifies that a hostile guest and a hostile client together cannot crash, stall or fool
# rasvm: each hostile scenario of the test guest (bad test-port blocks and poison requests,
# every offset and width of the GHES register page with garbage over the blocks, an
# instruction KVM cannot emulate there, a port and MMIO sweep) and guests that die in the
# middle (triple fault, a bad exit code) run while tests/kvm/hostile_client.py injects host
# errors and raw machine checks and queries the VM. Pass: the expected exit code and no
# signal death (e.g. rasvm's own wake-up signal) or internal error (70); no hang; the control
# socket answers throughout; every report accounted for (the summary's invariant, lost 0);
# resident memory bounded; a flood of bad guest requests rate-limited in the log. Also the
# lifecycle bursts: system_reset and quit in one write (the quit is honoured), and a machine
# check injected the moment the socket appears.
. "$(dirname "$0")/../lib.sh"
require_kvm

CLIENT=$ROOT/tests/kvm/hostile_client.py
RSS_LIMIT_KIB=$((128 * 1024 + 64 * 1024)) # guest RAM plus 64 MiB
# AddressSanitizer (tests/run's asan run) keeps freed blocks in a quarantine before reusing
# them (256 MiB by default) and adds redzones and shadow memory: the quarantine is held to
# 32 MiB here and the limit raised by 64 MiB, so growth without bound still shows.
if [ "${RASVM_SANITIZER:-}" = asan ]; then
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=32"
	RSS_LIMIT_KIB=$((RSS_LIMIT_KIB + 64 * 1024))
fi

# hostile NAME WANT_RC [--burst B] -- RASVM_ARGS...: one attacked run.
hostile() {
	local name=$1 want=$2 burst=""
	shift 2
	if [ "$1" = --burst ]; then burst="--burst $2"; shift 2; fi
	[ "$1" = -- ] && shift
	local sock=$TMP/h.qmp
	rm -f "$sock"
	# -S: nothing runs until the client is there and says cont.
	(cd "$TMP" && exec "$RASVM" run -S --qmp "$sock" --guest-poison --cpus 2 "$@") >"$TMP/out" 2>"$TMP/err" &
	local pid=$!
	# Generous: on an emulated host the flood scenario alone takes tens of seconds.
	python3 "$CLIENT" "$sock" "$pid" 110 $burst >"$TMP/client" 2>&1 &
	local cpid=$!
	reap "$pid" 120
	wait "$cpid"
	local sig=$((rc > 128 && rc < 160 ? rc - 128 : 0))
	if [ "$rc" = "$want" ]; then ok "$name: exit $rc"; else
		not_ok "$name: exit $rc, expected $want$([ $sig != 0 ] && echo " (signal $sig)")"
		# Why it ended and where each vCPU was (the per-page summary lines would hide it).
		grep -v "RAS summary: page" "$TMP/err" | tail -16 | sed 's/^/#   /'
	fi
	local answered slowest rss connected
	answered=$(awk '$1=="answered"{print $2}' "$TMP/client")
	slowest=$(awk '$1=="slowest_ms"{print $2}' "$TMP/client")
	rss=$(awk '$1=="rss_kib"{print $2}' "$TMP/client")
	connected=$(awk '$1=="connected"{print $2}' "$TMP/client")
	if [ "$connected" = 1 ] && [ "${answered:-0}" -gt 0 ] && [ "${slowest:-99999}" -lt 5000 ]; then
		ok "$name: the control socket answered $answered commands, the slowest in $slowest ms"
	else
		not_ok "$name: the control socket: $(tr '\n' ' ' <"$TMP/client")"
	fi
	if [ "${rss:-0}" -gt 0 ] && [ "$rss" -lt "$RSS_LIMIT_KIB" ]; then ok "$name: resident $rss KiB"; else
		not_ok "$name: resident ${rss:-?} KiB (limit $RSS_LIMIT_KIB)"; fi
	if grep -q "lost track" "$TMP/err" || grep -q "RAS summary:.* lost [1-9]" "$TMP/err"; then
		not_ok "$name: the accounting does not hold"
		grep "RAS summary" "$TMP/err" | sed 's/^/#   /'
	else
		ok "$name: every report accounted for, none lost"
	fi
}

hostile "bad test-port blocks and poison requests" 0 -- --scenario hostile-testport
expect_has "bad test-port blocks and poison requests" out "hostile-testport: done"
# 20000 bad blocks: rate-limited lines (10 a second), not one each, however slow the host.
lines=$(grep -c "outside guest RAM" "$TMP/err")
if [ "$lines" -lt 1000 ]; then ok "20000 bad blocks logged in $lines lines"; else not_ok "20000 bad blocks logged in $lines lines"; fi

hostile "GHES register page, blocks and tables" 0 -- --scenario hostile-ghes
expect_has "GHES register page, blocks and tables" out "hostile-ghes: an error after all that arrived as a valid record"

hostile "an instruction KVM cannot emulate on MMIO" 84 -- --scenario hostile-insn
expect_has "an instruction KVM cannot emulate on MMIO" err "KVM could not emulate the instruction at rip 0x"

hostile "port and MMIO sweep" 0 -- --scenario hostile-sweep
expect_has "port and MMIO sweep" out "hostile-sweep: done"

# Guests that end while errors are being injected: three runs each (rasvm once died by its
# own wake-up signal here, after its summary, in most runs).
for i in 1 2 3; do
	hostile "triple fault under injection, run $i" 80 -- --scenario triple-fault
	hostile "bad exit code under injection, run $i" 83 -- --scenario exit:99 --ras ghes
	hostile "power-off under injection, run $i" 7 -- --scenario exit:7 --ras mce
done

# system_reset then quit in one write: both answered, and the quit ends the run.
hostile "system_reset then quit in one burst" 0 --burst reset-quit -- --scenario wait

# A machine check the moment the socket appears (the VM's RAS state exists before it).
hostile "x-inject-mce as the socket appears" 0 --burst inject-at-once -- --scenario exit:0

finish
