#!/bin/sh
# Runs inside the emulated arm64 KVM host (tests/emuhost, busybox sh, root), from
# tests/emu/arm64_host.sh: the static arm64 rasvm, its embedded test guest and Debian's own
# arm64 kernel as a guest, with memory failing for real (MADV_HWPOISON, the kernel's SIGBUS),
# the simulator besides. Prints TAP lines ("ok - ...", "not ok - ...") and "# figure: ..."
# lines; exits 1 when a check failed. Files: ./rasvm, ./Image, ./initramfs (Linux's /init).
cd /payload || exit 1
R=./rasvm
# As tests/lib.sh: a system call an allow-list lacks (arm64's numbers) ends rasvm, exit 70.
export RASVM_SANDBOX=strict
T=/tmp/t
mkdir -p $T
failed=0
ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; failed=1; }
show() { sed 's/^/#   /' "$1" | tail -${2:-15}; }

# run NAME WANT_RC ARGS...: rasvm run ARGS (90 s at most); output in $T/NAME.out
run() {
	name=$1 want=$2
	shift 2
	timeout 90 $R run "$@" >$T/$name.out 2>&1
	rc=$?
	if [ "$rc" = "$want" ]; then ok "$name: exit $want"; else
		not_ok "$name: exit $rc, expected $want"
		show $T/$name.out
	fi
}
# has NAME TEXT: the last output of NAME holds TEXT (fixed string)
has() {
	if grep -qF -- "$2" $T/$1.out; then ok "$1: '$2'"; else
		not_ok "$1: no '$2'"
		show $T/$1.out
	fi
}
lacks() {
	if grep -qF -- "$2" $T/$1.out; then not_ok "$1: has '$2'"; show $T/$1.out; else ok "$1: no '$2'"; fi
}
# wait_for FILE TEXT [SECONDS]
wait_for() {
	i=0
	while ! grep -qF -- "$2" "$1" 2>/dev/null; do
		i=$((i + 1))
		[ $i -le $((${3:-60} * 10)) ] || return 1
		sleep 0.1
	done
}
# stat NAME KEY: a --stats value
stat() { sed -n "s/^$2 //p" $T/$1.stats | head -1; }

echo "# $(uname -r), $(nproc) CPUs, THP $(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null)"

# ---- the host ----
$R check-host >$T/check.out 2>&1
rc=$?
[ $rc = 0 ] && ok "check-host: exit 0" || { not_ok "check-host: exit $rc"; show $T/check.out 30; }
sed 's/^/# check-host: /' $T/check.out
has check "SEA injection (EXT_DABT):     yes (probe: yes)"
has check "SError with ESR (SERROR_ESR): yes (probe: yes)"
has check "MADV_HWPOISON:                works"
$R check-host --json >$T/checkjson.out 2>&1
has checkjson '"sea_injection": true'

# ---- the test guest, memory failing for real ----
run boot 0 --cpus 2 --scenario boot
has boot "boot: 2 vCPU(s) at the rendezvous (PSCI CPU_ON), ACPI tables verified"
run hest 0 --scenario hest
has hest "HEST: 3 GHESv2 source(s)"
has hest "notify SEA block"
has hest "notify GSIV block"
has hest "interrupt 41 (the GED's)"

run sea 0 --scenario sea --guest-poison=host -v
has sea "{1}[Hardware Error]: Hardware error from APEI Generic Hardware Error Source: 0"
has sea "physical_address: 0x0000000040801000"
has sea "Memory failure: 0x40801: Sending SIGBUS to task:1 due to hardware memory corruption"
has sea "killed the task (FAR 0x40801000, its own address)"
has sea "delivered 0 by machine check, 1 by GHES (sync 1, async 0, polled 0)"
has sea "1 action-optional signal(s) of the host held back"
has sea "lost 0"

run sea-sim 0 --scenario sea --guest-poison
has sea-sim "killed the task (FAR 0x40801000, its own address)"
lacks sea-sim "held back"

run sea-bare 0 --scenario sea-bare --ras mce --guest-poison=host
has sea-bare "killed by an SEA without a record"
has sea-bare "came as an SError with a syndrome"
has sea-bare "delivered 2 by machine check"

run gsiv 0 --scenario ghes-gsiv --guest-poison=host
has gsiv "GED interrupt: page 0x40a00000 recovered, record acknowledged"
has gsiv "async 1"
# rasvm reported the page when it poisoned it; the kernel's own SIGBUS BUS_MCEERR_AO came too.
has gsiv "1 action-optional signal(s) of the host for pages rasvm poisoned and reported itself"
run gsiv-sim 0 --scenario ghes-gsiv --guest-poison
has gsiv-sim "GED interrupt: page 0x40a00000 recovered"
run polled 0 --scenario ghes-polled --ras-sources sync,polled --ras-poll-ms 50 --guest-poison=host
has polled "recovered"

run storm 0 --scenario storm --cpus 2 --guest-poison=host --stats $T/storm.stats
has storm "storm: 500 errors from 2 vCPUs, 500 received once each, 0 duplicates, 0 strays"
has storm "lost 0"
first=$(stat storm ras_first_error_ns) last=$(stat storm ras_last_ack_ns)
if [ -n "$first" ] && [ -n "$last" ] && [ "$last" -gt "$first" ]; then
	echo "# figure: storm: 500 real host memory errors (MADV_HWPOISON) reported and acknowledged in $(((last - first) / 1000000)) ms: $((500 * 1000000000 / (last - first))) errors/s"
fi

run no-ack 0 --scenario no-ack --guest-poison=host
has no-ack "no-ack: 60 errors requested, none acknowledged"
has no-ack "lost 0"

run reset 0 --scenario reset --guest-poison=host
has reset "reset: 1 poisoned guest page(s) replaced by healthy memory"
has reset "reset: after 1 reset(s) page 0x40801000 is healthy and zeroed"

run repeat 0 --scenario repeat --guest-poison=host
has repeat "both reads reported (2 SEAs, 2 GHES record(s))"

run latency 0 --scenario latency:200 --guest-poison=host --stats $T/latency.stats
has latency "latency: 200 errors, 200 reported"
med=$(stat latency ras_latency_median_ns) p99=$(stat latency ras_latency_p99_ns)
[ -n "$med" ] && echo "# figure: latency: host SIGBUS (action required, real) to the guest's SEA handler: median $((med / 1000)) us, p99 $((p99 / 1000)) us over $(stat latency ras_latency_samples) errors"
run latency-sim 0 --scenario latency:200 --guest-poison --stats $T/latency-sim.stats
med=$(stat latency-sim ras_latency_median_ns) p99=$(stat latency-sim ras_latency_p99_ns)
[ -n "$med" ] && echo "# figure: latency (simulator): SIGBUS to the SEA handler: median $((med / 1000)) us, p99 $((p99 / 1000)) us"

run exit7 7 --scenario exit:7
run assert 82 --scenario assert
run exception 82 --scenario exception
has exception "unexpected exception"
run hang 81 --cpus 2 --scenario hang
run unknown 3 --scenario nonesuch

run hostile-testport 0 --scenario hostile-testport --guest-poison=host
has hostile-testport "hostile-testport: done"
run hostile-ghes 0 --scenario hostile-ghes --guest-poison=host
has hostile-ghes "an error after all that arrived as a valid record"
has hostile-ghes "a load pair on the register page:"
run hostile-mmio 0 --scenario hostile-mmio
has hostile-mmio "hostile-mmio: done"

# ---- the control socket, through the arm64 rasvm's own client ----
S=$T/serve.qmp
timeout 120 $R run --scenario serve --qmp $S --guest-poison=host >$T/serve.out 2>&1 &
pid=$!
if wait_for $T/serve.out "serve: ready" 30; then
	$R ctl $S query-target >$T/target.out 2>&1
	has target '"arch": "aarch64"'
	$R ctl $S x-inject-host-memory-error '{"gpa": "0x40e00000"}' >$T/inject.out 2>&1
	has inject '"poisoned": "host"'
	wait_for $T/serve.out "1 GHES records" 30 && ok "serve: the action-optional error was handled" ||
		{ not_ok "serve: the error was not handled"; show $T/serve.out; }
	$R ctl $S x-inject-host-memory-error '{"gpa": "0x40e00000"}' >$T/inject2.out 2>&1
	has inject2 "already"
	$R ctl $S inject-nmi >$T/nmi.out 2>&1
	has nmi "not currently supported"
	$R ctl $S x-inject-mce '{"cpu": 0, "bank": 9, "status": 1, "mcg-status": 0, "addr": 0, "misc": 0}' >$T/mce.out 2>&1
	has mce "no machine checks"
	$R ctl $S query-ras >$T/qras.out 2>&1
	has qras '"lost": 0'
	$R ctl $S human-monitor-command '{"command-line": "info registers"}' >$T/regs.out 2>&1
	has regs "PSTATE="
	$R ctl $S quit >/dev/null 2>&1
else
	not_ok "serve: never ready"
	show $T/serve.out
fi
i=0
while kill -0 $pid 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
kill -9 $pid 2>/dev/null
wait $pid
rc=$?
[ $rc = 0 ] && ok "serve: quit, exit 0" || not_ok "serve: exit $rc"

# ---- Debian's arm64 Linux as the guest: Linux is the judge ----
if [ -f Image ] && [ -f initramfs ]; then
	S=$T/linux.qmp
	O=$T/linux.out
	# --ras-pace-ms: Linux recovers pages from a queue of 16 per CPU and drops the rest
	# ("buffer overflow when queuing memory failure"); the storm (c) is paced for it.
	timeout 400 $R run --kernel Image --initrd initramfs --memory 256M --qmp $S --ras-pace-ms 600 \
		--cmdline "console=ttyAMA0 loglevel=4 rdinit=/init efi=noruntime" >$O 2>&1 &
	pid=$!
	t0=$(cut -d' ' -f1 /proc/uptime)
	# (a) a process's page goes bad under it
	if wait_for $O "init: victim page va" 180; then
		gpa=$(sed -n 's/.*init: victim page va 0x[0-9a-f]* gpa \(0x[0-9a-f]*\).*/\1/p' $O | head -1)
		va=$(sed -n 's/.*init: victim page va \(0x[0-9a-f]*\) gpa.*/\1/p' $O | head -1)
		echo "# linux: up in $(awk -v a=$t0 -v b=$(cut -d' ' -f1 /proc/uptime) 'BEGIN { printf "%.1f", b - a }') s; victim page $va at $gpa"
		$R ctl $S x-inject-host-memory-error "{\"gpa\": \"$gpa\", \"action-required\": true}" >$T/linject.out 2>&1
		has linject '"poisoned": "host"'
		wait_for $O "init: victim exited" 60
		pfn=$(printf '0x%x' $((gpa / 4096)))
		phys=$(printf '0x%016x' $((gpa)))
		has linux "{1}[Hardware Error]: Hardware error from APEI Generic Hardware Error Source: 0"
		has linux "physical_address: $phys"
		has linux "Memory failure: $pfn: recovery action for dirty LRU page: Recovered"
		has linux "init: victim: SIGBUS si_code=4 (BUS_MCEERR_AR) si_addr=$va (its own page) si_addr_lsb=12"
	else
		not_ok "linux: the victim never named its page"
		show $O 40
	fi
	# (b) action optional on a free page
	if wait_for $O "init: free page gpa" 60; then
		gpa=$(sed -n 's/.*init: free page gpa \(0x[0-9a-f]*\).*/\1/p' $O | head -1)
		$R ctl $S x-inject-host-memory-error "{\"gpa\": \"$gpa\"}" >$T/linject.out 2>&1
		wait_for $O "init: free page $gpa " 70
		has linux "Memory failure: $(printf '0x%x' $((gpa / 4096))): recovery action for free buddy page: Recovered"
		has linux "init: free page $gpa is poisoned in Linux's view (HWPOISON)"
	else
		not_ok "linux: no free page named"
	fi
	# (c) a storm: one host error over 64 pages, faster than Linux acknowledges
	if wait_for $O "init: storm range gpa" 60; then
		gpa=$(sed -n 's/.*init: storm range gpa \(0x[0-9a-f]*\).*/\1/p' $O | head -1)
		$R ctl $S x-inject-host-memory-error "{\"gpa\": \"$gpa\", \"lsb\": 18}" >$T/linject.out 2>&1
		wait_for $O "init: storm:" 70
		has linux "init: storm: 64 of 64 pages poisoned in Linux's view"
		once=0 k=0
		while [ $k -lt 64 ]; do
			n=$(grep -c "Memory failure: $(printf '0x%x' $((gpa / 4096 + k))): recovery action" $O)
			[ "$n" = 1 ] && once=$((once + 1))
			k=$((k + 1))
		done
		[ $once = 64 ] && ok "linux: storm: each of the 64 pages recovered exactly once" ||
			not_ok "linux: storm: $once of 64 pages recovered exactly once"
		lacks linux "buffer overflow when queuing memory failure"
	else
		not_ok "linux: no storm range named"
	fi
	# (d) the reset: Linux reboots, rasvm replaces the pages
	wait_for $O "init: reset:" 240
	has linux "poisoned guest page(s) replaced by healthy memory"
	has linux "init: reset: 0 page(s) poisoned in Linux's view"
	has linux "0 wrong; memory errors in the kernel log: none"
	i=0
	while kill -0 $pid 2>/dev/null && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
	wait $pid
	rc=$?
	[ $rc = 0 ] && ok "linux: powered off, exit 0" || { not_ok "linux: exit $rc"; show $O 30; }
	has linux "lost 0"
	grep -E 'RAS summary|init: |Hardware Error|Memory failure' $O | head -30 | sed 's/^/# linux: /'

	# With acpi=off Linux boots from the device tree.
	timeout 200 $R run --kernel Image --initrd initramfs --memory 256M \
		--cmdline "console=ttyAMA0 loglevel=4 rdinit=/init acpi=off" >$T/linux-dt.out 2>&1
	rc=$?
	[ $rc = 0 ] && ok "linux-dt: exit 0" || not_ok "linux-dt: exit $rc"
	has linux-dt "init: device-tree boot: the machine from the device tree, no ACPI"
else
	not_ok "linux: no Image or initramfs in the payload"
fi

echo "# payload done"
exit $failed
