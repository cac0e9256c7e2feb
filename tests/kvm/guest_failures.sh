# Verifies how rasvm ends a run for each thing a guest can do wrong or deliberately: its own
# exit code passes through, an out-of-range code, a triple fault, an all-vCPU halt with
# interrupts off, a failed assertion, an unexpected exception and an unknown scenario each
# get one message and their distinct exit code.
. "$(dirname "$0")/../lib.sh"
require_kvm

run_rasvm run --cpus 2 --scenario exit:7
expect_rc "guest exit code" 7
run_rasvm run --scenario exit:0
expect_rc "guest exit code 0" 0
run_rasvm run --scenario exit:99
expect_rc "exit code out of range" 83
expect_has "exit code out of range" err "exit code 99; guest codes are 0-63"
run_rasvm run --scenario triple-fault
expect_rc "triple fault" 80
expect_has "triple fault" err "guest triple fault on vcpu 0"
expect_has "triple fault" err "vcpu 0: rip 0x"
start=$(date +%s%N)
run_rasvm run --cpus 2 --scenario hang
took=$((($(date +%s%N) - start) / 1000000))
expect_rc "hang" 81
expect_has "hang" err "guest hung: every vCPU halted with interrupts disabled"
expect_has "hang" err "vcpu 1: rip 0x"
echo "# hang reported after $took ms"
run_rasvm run --scenario assert
expect_rc "assert" 82
expect_has "assert" err "guest assertion failed on vcpu 0 at guest/main.c:"
expect_has "assert" err "assert: cpu == 1"
run_rasvm run --scenario exception
expect_rc "exception" 82
expect_has "exception" err "unexpected exception 6"
run_rasvm run --scenario no-such-thing
expect_rc "unknown scenario" 3
expect_has "unknown scenario" out "unknown scenario 'no-such-thing'"
expect_has "unknown scenario" out "triple-fault"
if ls "$TMP"/core* >/dev/null 2>&1; then not_ok "a core file was left"; else ok "no core file"; fi
finish
