# Verifies the headline: host memory errors reach the guest and it recovers, through every
# path, with nothing lost. Each scenario runs the production path from a real SIGBUS (sent
# by the host poison simulator with rt_tgsigqueueinfo) and the guest prints what Linux
# prints. Also: repeat accesses re-reported, resets give healthy pages back, a guest that
# never acknowledges cannot stop rasvm, and bad --poison/--ras input.
. "$(dirname "$0")/../lib.sh"
require_kvm

summary() { grep -F "RAS summary: $1" "$TMP/err"; }

# a. action required by machine check
run_rasvm run --scenario mce --guest-poison
expect_rc "mce" 0
expect_order "mce" out "task: running at CPL3, data page 0x401000" \
	"mce: [Hardware Error]: CPU 0: Machine Check Exception:" "ADDR 401000 MISC 8c" \
	"mce: Uncorrected hardware memory error in user-access at 401000" \
	"Memory failure: 0x401: Sending SIGBUS to task:1 due to hardware memory corruption" \
	"Memory failure: 0x401: recovery action for dirty LRU page: Recovered" \
	"task: killed by the machine check; page 0x401000 offlined; the kernel carries on"
expect_has "mce" err "delivered 1 by machine check"
expect_has "mce" err "lost 0"
expect_has "mce" err "page 0x401000 reported (action required, 1 error(s), reported 1 time(s), machine check)"

# b. GHES over NMI
run_rasvm run --scenario ghes-nmi --ras ghes --guest-poison
expect_rc "ghes-nmi" 0
expect_order "ghes-nmi" out \
	"{1}[Hardware Error]: Hardware error from APEI Generic Hardware Error Source: 0" \
	"{1}[Hardware Error]: event severity: recoverable" \
	"{1}[Hardware Error]:  Error 0, type: recoverable" \
	"{1}[Hardware Error]:   section_type: memory error" \
	"{1}[Hardware Error]:   physical_address: 0x0000000000401000" \
	"Memory failure: 0x401: recovery action for dirty LRU page: Recovered" \
	"mce: [Hardware Error]: CPU 0: Machine Check Exception" \
	"Memory failure: 0x401: Sending SIGBUS to task:1 due to hardware memory corruption" \
	"task: the GHES NMI record recovered page 0x401000 without killing (asynchronous on x86); the repeated access was told by machine check"
expect_has "ghes-nmi" err "delivered 1 by machine check, 1 by GHES (sync 1, async 0, polled 0); acknowledged 1 record(s) in 1 block(s)"
expect_has "ghes-nmi" err "1 repeated access(es) after a GHES record told again by machine check"

# c. GHES over SCI (the GED's interrupt)
run_rasvm run --scenario ghes-sci --guest-poison
expect_rc "ghes-sci" 0
expect_order "ghes-sci" out "Hardware error from APEI Generic Hardware Error Source: 1" \
	"physical_address: 0x0000000000500000" \
	"Memory failure: 0x500: recovery action for free buddy page: Recovered" \
	"GED interrupt: page 0x500000 recovered, record acknowledged"
expect_has "ghes-sci" err "by GHES (sync 0, async 1, polled 0); acknowledged 1"

# d. polled source
run_rasvm run --scenario ghes-polled --ras-sources sync,polled --guest-poison
expect_rc "ghes-polled" 0
expect_has "ghes-polled" out "Hardware error from APEI Generic Hardware Error Source: 2"
expect_has "ghes-polled" out "page 0x500000 recovered"
expect_has "ghes-polled" err "by GHES (sync 0, async 0, polled 1); acknowledged 1"

# e. storm: 1000 distinct pages across 4 vCPUs, each seen exactly once, 0 lost
run_rasvm run --scenario storm --cpus 4 --guest-poison
expect_rc "storm" 0
expect_has "storm" out "storm: 1000 errors from 4 vCPUs, 1000 received once each, 0 duplicates, 0 strays"
expect_has "storm" err "RAS summary: 1000 host memory error(s): 0 action required, 1000 action optional; 1000 guest page(s) poisoned"
expect_has "storm" err "acknowledged 1000"
expect_has "storm" err "overflowed 0, dropped 0, outside guest RAM 0, resets 0, recovered 0, lost 0"

# f. a guest that never acknowledges: the first record fills the block at once (the gate was
# open), 16 wait in the queue, the other 43 overflow; rasvm carries on.
run_rasvm run --scenario no-ack --guest-poison --ras-queue 16
expect_rc "no-ack" 0
expect_has "no-ack" out "no-ack: 60 errors requested, none acknowledged"
expect_has "no-ack" err "queued 16, overflowed 43, dropped 0, outside guest RAM 0, resets 0, recovered 0, lost 0"
expect_has "no-ack" err "are counted as overflowed"
if [ "$(grep -c 'counted as overflowed' "$TMP/err")" = 1 ]; then ok "no-ack: the overflow warning is given once"
else not_ok "no-ack: the overflow warning repeats"; fi

# g. reset after errors: the page comes back healthy and zeroed
run_rasvm run --scenario reset --guest-poison
expect_rc "reset" 0
expect_order "reset" err "the guest asked for a reset" \
	"reset: 1 poisoned guest page(s) replaced by healthy memory"
expect_has "reset" out "reset: after 1 reset(s) page 0x401000 is healthy and zeroed"

# repeat access to a page already reported is reported again, by either path
for policy in both ghes; do
	run_rasvm run --scenario repeat --guest-poison --ras "$policy"
	expect_rc "repeat ($policy)" 0
	expect_has "repeat ($policy)" out "repeat: page 0x700000 read twice, both reads reported"
	expect_has "repeat ($policy)" err "page 0x700000 reported (action required"
	expect_has "repeat ($policy)" err "lost 0"
done

# Addresses in the test guest, from its symbols.
sym() { printf '0x%x' $((0x$(nm "$BUILD/guest/guest.elf" | awk -v s="$1" '$3 == s { print $1 }') & ~0xfff)); }

# An uncorrected machine check the guest cannot take resets it: the page holding guest_main
# is poisoned before the guest runs, so its first instruction fetch there takes the error
# while CR4.MCE is still clear (the guest sets it a little later). After the reset the
# page is healthy and the boot completes.
run_rasvm run --poison "$(sym guest_main)" -v
expect_rc "MCE with CR4.MCE clear" 0
expect_has "MCE with CR4.MCE clear" err "resetting the guest: vcpu 0: an action-required machine check for 0x102000 arrived while the guest had machine checks disabled (CR4.MCE clear): the CPU would shut down"
expect_has "MCE with CR4.MCE clear" err "resets 1, recovered 1, lost 0"
# Once the reset is decided no guest instruction runs: the page is touched exactly once
# (a vCPU that re-entered the guest before the main thread stopped it took the error again).
expect_has "MCE with CR4.MCE clear" err "RAS summary: 1 host memory error(s): 1 action required"

# --ras off: other VMMs' behaviour, for comparison: the VM stops.
run_rasvm run --scenario mce --guest-poison --ras off
expect_rc "--ras off" 85
expect_has "--ras off" err "guest touched poisoned page 0x401000 and --ras off gives no way to tell it"

# Action optional outside the guest's pages, and the guest asking without permission.
run_rasvm run --scenario mce
expect_rc "no --guest-poison" 82
expect_has "no --guest-poison" err "rasvm runs without --guest-poison"
run_rasvm run --poison 0xd0000000
expect_rc "--poison outside RAM" 0
expect_has "--poison outside RAM" err "--poison 0xd0000000: not guest RAM"
run_rasvm run --poison 0xa1000
expect_rc "--poison on a GHES block" 0
expect_has "--poison on a GHES block" err "GHES status blocks cannot be poisoned"
# The guest writes its block (on the poisoned page) then points the test port at it: where
# KVM emulates the write (these test machines) rasvm sees a block on a poisoned page and
# ignores it; where the write runs natively the guest takes the machine check first. Either
# way rasvm reads nothing from the page.
run_rasvm run --poison "$(sym ucall_start)" -v
expect_rc "--poison on the test port block" 0
if grep -qF "is on a poisoned page; ignored" "$TMP/err" || grep -qF "Machine Check Exception" "$TMP/out"
then ok "--poison on the test port block: refused, or the guest took the machine check first"
else not_ok "--poison on the test port block: neither refused nor reported"; fi
# A 2 MiB host page fails whole (action optional, lsb 21): all 512 guest pages in it are
# poisoned and reported; the guest powers off at once, so one record is in the
# async block and 511 wait.
run_rasvm run --scenario exit:0 --poison 0x600000,ao,lsb=21
expect_rc "2 MiB granule" 0
expect_has "2 MiB granule" err "RAS summary: 1 host memory error(s): 0 action required, 1 action optional; 512 guest page(s) poisoned"
expect_has "2 MiB granule" err "queued 511, overflowed 0"
# The same granule under --ras mce: 512 machine checks, paced one at a time as the guest's
# handler clears MCIP; none lost, none dropped (once, 496 of them were lost to a 16-deep queue).
# An AMD guest (the guest's CPU is the host's: the emulated AMD host) has no action-optional
# machine check it would act on: the 512 are dropped by the policy, each counted, none lost.
sock=$TMP/g.qmp
(cd "$TMP" && exec "$RASVM" run --scenario wait --ras mce --poison 0x600000,ao,lsb=21 --qmp "$sock") >"$TMP/out" 2>"$TMP/err" &
pid=$!
# Until all 512 are settled, for 60 s at most and only while rasvm runs (a query costs 0.7 s
# in the emulated host: 600 rounds were once 7 minutes there).
deadline=$((SECONDS + 60))
while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do
	done_=$("$RASVM" ctl "$sock" query-ras 2>/dev/null | python3 -c 'import json, sys; n = json.load(sys.stdin)["counters"]; print(n["delivered-mce"] + n["dropped"])' 2>/dev/null)
	[ "${done_:-0}" -ge 512 ] && break
	sleep 0.1
done
# The pages poisoned are the granule's own: rasvm's RAM mapping is aligned as guest RAM is,
# so the signal's address rounded down to 2 MiB is 0x600000's granule (it was another
# wherever the mapping happened to fall).
pages=$("$RASVM" ctl "$sock" query-ras 2>/dev/null | python3 -c '
import json, sys
g = [p["gpa"] for p in json.load(sys.stdin)["poisoned-pages"]]
print(len(g), sum(0x600000 <= a < 0x800000 for a in g), hex(min(g)) if g else "-", hex(max(g)) if g else "-")')
if [ "${pages%% *}" = 512 ] && [ "$(echo "$pages" | cut -d' ' -f2)" = 512 ]
then ok "2 MiB granule: the 512 pages poisoned are 0x600000-0x7ff000 ($pages)"
else not_ok "2 MiB granule: the 512 pages poisoned are 0x600000-0x7ff000 (count, inside, lowest, highest: $pages)"; fi
"$RASVM" ctl "$sock" quit >/dev/null 2>&1
reap "$pid"
expect_rc "2 MiB granule, --ras mce" 0
if grep -q '^vendor_id.*AuthenticAMD\|^vendor_id.*HygonGenuine' /proc/cpuinfo; then
	expect_has "2 MiB granule, --ras mce (AMD guest)" err "delivered 0 by machine check"
	expect_has "2 MiB granule, --ras mce (AMD guest)" err "queued 0, overflowed 0, dropped 512"
	expect_has "2 MiB granule, --ras mce (AMD guest)" err "dropped 512: no route (--ras)"
else
	expect_has "2 MiB granule, --ras mce" err "delivered 512 by machine check"
	expect_has "2 MiB granule, --ras mce" err "queued 0, overflowed 0, dropped 0"
fi
expect_has "2 MiB granule, --ras mce" err "lost 0"
# A granule is checked whole before anything changes: one over the boot pages and the GHES
# region is refused (the guest boots untouched), one past the end of the address space too;
# a 1 GiB granule is poisoned in one step.
run_rasvm run --poison 0x0,lsb=21
expect_rc "--poison over the boot pages and GHES region" 0
expect_has "--poison over the boot pages and GHES region" err "rasvm's GHES status blocks cannot be poisoned"
expect_lacks "--poison over the boot pages and GHES region" err "host memory error"
run_rasvm run --poison 0xffffffffffffffff,ao,lsb=30
expect_rc "--poison at the end of the address space" 0
expect_has "--poison at the end of the address space" err "not guest RAM (the whole granule must be)"
start=$SECONDS
run_rasvm run --memory 2G --scenario exit:0 --poison 0x40000000,ao,lsb=30
expect_rc "--poison a 1 GiB granule" 0
expect_has "--poison a 1 GiB granule" err "262144 guest page(s) poisoned"
expect_has "--poison a 1 GiB granule" err "lost 0"
if [ $((SECONDS - start)) -le 20 ]; then ok "a 1 GiB granule takes $((SECONDS - start)) s"; else not_ok "a 1 GiB granule takes $((SECONDS - start)) s"; fi
# ... and it is 0x40000000's granule, not one shifted by where rasvm's mapping fell: the page
# below it is healthy (a second error there is taken), its last page is lost (refused).
sock=$TMP/g1.qmp
(cd "$TMP" && exec "$RASVM" run --memory 2G --scenario wait --poison 0x40000000,ao,lsb=30 --qmp "$sock") >"$TMP/out" 2>"$TMP/err" &
pid=$!
deadline=$((SECONDS + 60))
while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do
	n=$("$RASVM" ctl "$sock" query-ras '{"max-pages": 1}' 2>/dev/null | python3 -c 'import json, sys; print(json.load(sys.stdin)["counters"]["pages"])' 2>/dev/null)
	[ "${n:-0}" -ge 262144 ] && break
	sleep 0.1
done
# query-ras lists the 262144 pages a bounded page at a time, in address order, and says where
# the rest continue (the whole list, 25 MB of JSON, once got no reply at all).
paging=$("$RASVM" ctl "$sock" query-ras 2>&1 | python3 -c '
import json, sys
r = json.load(sys.stdin); g = [p["gpa"] for p in r["poisoned-pages"]]
print(r["poisoned-pages-total"], len(g), hex(g[0]), hex(r.get("poisoned-pages-next", 0)), g == sorted(g))' 2>&1)
if [ "$paging" = "262144 1024 0x40000000 0x40400000 True" ]; then ok "1 GiB granule: query-ras lists 1024 of 262144 pages and where the rest go on"
else not_ok "1 GiB granule: query-ras lists 1024 of 262144 pages and where the rest go on (total, listed, first, next, sorted: $paging)"; fi
tail_=$("$RASVM" ctl "$sock" query-ras '{"pages-from": 2147479552, "max-pages": 5}' 2>&1 | python3 -c '
import json, sys
r = json.load(sys.stdin); print([hex(p["gpa"]) for p in r["poisoned-pages"]], "poisoned-pages-next" in r)' 2>&1)
if [ "$tail_" = "['0x7ffff000'] False" ]; then ok "query-ras pages-from the last page: that page, nothing next"
else not_ok "query-ras pages-from the last page: that page, nothing next ($tail_)"; fi
if "$RASVM" ctl "$sock" query-ras '{"max-pages": 0}' >"$TMP/q0" 2>&1; then not_ok "query-ras max-pages 0 refused"
else ok "query-ras max-pages 0 refused: $(head -1 "$TMP/q0")"; fi
below=$("$RASVM" ctl "$sock" x-inject-host-memory-error '{"gpa": "0x3ffff000"}' 2>&1)
last=$("$RASVM" ctl "$sock" x-inject-host-memory-error '{"gpa": "0x7ffff000"}' 2>&1)
"$RASVM" ctl "$sock" quit >/dev/null 2>&1
reap "$pid"
case $below in *"already poisoned"*) not_ok "1 GiB granule: the page below it, 0x3ffff000, stayed healthy ($below)" ;;
	*) ok "1 GiB granule: the page below it, 0x3ffff000, stayed healthy" ;; esac
case $last in *"0x7ffff000 is already poisoned"*) ok "1 GiB granule: its last page, 0x7ffff000, is lost" ;;
	*) not_ok "1 GiB granule: its last page, 0x7ffff000, is lost ($last)" ;; esac
run_rasvm run --poison 0x600000,lsb=40
expect_rc "--poison lsb=40" 64
expect_has "--poison lsb=40" err "neither ao nor lsb=12..30"
run_rasvm run --poison 12x
expect_rc "--poison 12x" 64
expect_has "--poison 12x" err "is not an address"
run_rasvm run --poison 0x1000,now
expect_rc "--poison 0x1000,now" 64
run_rasvm run --ras sometimes
expect_rc "--ras sometimes" 64
run_rasvm run --ras ghes --ras-sources none
expect_rc "--ras ghes without sources" 64
expect_has "--ras ghes without sources" err "needs GHES sources"
run_rasvm run --ras-queue 0
expect_rc "--ras-queue 0" 64
finish
