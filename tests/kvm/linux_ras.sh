# Verifies guest RAS with Linux as the judge (tests/linux/judge.py), on the test kernel with
# init-spin as init (no system calls: this host's KVM cannot run them):
#  ghes: action optional through each GHES source (SCI by the GED, polled, NMI): Linux's CPER
#        lines and "Memory failure: 0x...: recovery action for free buddy page: Recovered",
#        the read-ack rasvm sees (query-ras); a raw inject-ghes-v2-error block decoded by
#        Linux line for line as 'rasvm cper decode' does; a storm of 1000 errors on distinct
#        free pages, each reported by Linux exactly once, none lost;
#  mce:  --ras mce: action optional as a machine check; action required on init's page
#        (found with HMP gva2gpa): "recovery action for dirty LRU page: Recovered", "MCE:
#        Killing init:1", the panic, the reboot through the FADT reset register (panic=-1),
#        and a second boot on healthy pages that sees no error.
# The boot checks of linux_boot.sh hold on every boot here too. About 10-15 minutes here.
. "$(dirname "$0")/../lib.sh"
require_kvm
. "$ROOT/tests/linux/lib.sh"
linux_setup ras
judge ghes --kernel "$KDIR/vmlinux" --initrd "$SPIN"
judge mce --kernel "$KDIR/vmlinux" --initrd "$SPIN"
finish
