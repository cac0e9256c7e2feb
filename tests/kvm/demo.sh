# Verifies `rasvm demo`, the README's main command: the guest survives an action-required
# error (task killed, page offlined) and an action-optional one (GHES record decoded), and
# rasvm's summary says how each was delivered, that the guest acknowledged, and 0 lost.
. "$(dirname "$0")/../lib.sh"
require_kvm

run_rasvm demo
expect_rc "demo" 0
expect_order "demo" out "== 1/2: the page under a running task goes bad" \
	"Memory failure: 0x401: recovery action for dirty LRU page: Recovered" \
	"task: killed by the machine check" \
	"== 2/2: the host finds a bad page first" \
	"{1}[Hardware Error]: Hardware error from APEI Generic Hardware Error Source: 1" \
	"physical_address: 0x0000000000500000" \
	"== the guest survived both errors: 2 page(s) offlined, 1 task killed"
expect_has "demo" err "RAS summary: 2 host memory error(s): 1 action required, 1 action optional"
expect_has "demo" err "delivered 1 by machine check, 1 by GHES (sync 0, async 1, polled 0); acknowledged 1 record(s) in 1 block(s)"
expect_has "demo" err "lost 0"
run_rasvm demo --ras ghes --cpus 1
expect_rc "demo --ras ghes" 0
expect_has "demo --ras ghes" out "without killing (asynchronous on x86); the repeated access was told by machine check, which killed the task"
expect_has "demo --ras ghes" err "delivered 1 by machine check, 2 by GHES (sync 1, async 1, polled 0); acknowledged 2 record(s)"
run_rasvm demo --kernel x
expect_rc "demo --kernel" 64
expect_has "demo --kernel" err "demo: unknown option '--kernel'"
run_rasvm demo --help
expect_has "demo --help" out "usage: rasvm demo"
finish
