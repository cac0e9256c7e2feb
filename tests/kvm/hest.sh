# Verifies, from inside the guest, what the HEST promises: the test guest reads the HEST as
# Linux does, follows each source's error-block-address register into e820-reserved memory,
# finds the read-ack register at 1 (free) and the status block empty, for the default sources,
# a single polled source with 64 KiB blocks, and none.
. "$(dirname "$0")/../lib.sh"
require_kvm

run_rasvm run --scenario hest -v
expect_rc "default sources" 0
expect_order "default sources" out "HEST: 3 GHESv2 source(s)" \
	"HEST: source 0 notify NMI block 0xa1000 length 4096 ack 1 empty" \
	"HEST: source 1 notify SCI block 0xa2000 length 4096 ack 1 empty" \
	"HEST: source 2 notify polled block 0xa3000 length 4096 ack 1 empty" \
	"HEST: source 2 polls every 1000 ms"
expect_has "default sources" err "SYNC 4 hest"
run_rasvm run --scenario hest --ras-sources polled --ras-poll-ms 50 --ras-block-size 64K
expect_rc "polled only" 0
expect_has "polled only" out "HEST: source 2 notify polled block 0xc1000 length 65536 ack 1 empty"
expect_has "polled only" out "HEST: source 2 polls every 50 ms"
run_rasvm run --scenario hest --ras-sources none
expect_rc "no sources" 0
expect_has "no sources" out "HEST: 0 GHESv2 source(s)"
finish
