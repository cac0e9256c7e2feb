# Verifies the embedded test guest boots with 1 and 4 vCPUs: the stages it reports through
# the test port arrive in order, it finds the RSDP by scanning and verifies every table's
# checksum, every vCPU reaches the rendezvous, and its power-off code becomes rasvm's.
. "$(dirname "$0")/../lib.sh"
require_kvm

# What KVM really gives a guest (SVM drops SER_P, only Intel hosts offer LMCE_P).
caps=$("$RASVM" check-host --json | python3 -c 'import json, sys; j = json.load(sys.stdin); print(int(j["guest_mcg_ser_p"]), int(j["guest_mcg_lmce_p"]))')
ser=${caps% *} lmce=${caps#* }
for cpus in 1 4; do
	run_rasvm run --cpus "$cpus" -v
	expect_rc "$cpus vCPU boot" 0
	expect_order "$cpus vCPU stages" err "vcpu 0: SYNC 0 start" "vcpu 0: SYNC 1 bootinfo" \
		"vcpu 0: SYNC 2 acpi" "vcpu 0: SYNC 3 rendezvous" "vcpu 0: DONE" \
		"guest powered off with exit code 0"
	for i in $(seq 0 $((cpus - 1))); do
		expect_has "$cpus vCPU boot" err "vcpu $i: SYNC 0 start"
	done
	expect_has "$cpus vCPU boot" out "rasvm test guest: $cpus vCPU(s), 128 MiB RAM, scenario 'boot'"
	for sig in RSDP XSDT FACP DSDT APIC; do
		if grep -qE "^ACPI: $sig 0x000e[0-9a-f]{4} [0-9a-f]{6} \(v[0-9]{2}\) checksum ok$" "$TMP/out"
		then ok "$cpus vCPU boot: guest verified $sig"
		else not_ok "$cpus vCPU boot: no verified $sig line"; fi
	done
	# MADT: 44-byte header + 8 per local APIC + IOAPIC 12 + override 10 + NMI 6.
	madt_len=$(printf '%06x' $((44 + 8 * cpus + 28)))
	expect_has "$cpus vCPU boot" out "APIC 0x000e"
	if grep -q "^ACPI: APIC 0x000e[0-9a-f]* $madt_len " "$TMP/out"
	then ok "$cpus vCPU boot: MADT has one local APIC per vCPU"
	else not_ok "$cpus vCPU boot: MADT length is not 0x$madt_len"; fi
	expect_has "$cpus vCPU boot" out "rendezvous: $cpus of $cpus vCPUs"
	# Every vCPU asserted its APIC id and MCG_CAP (a failure would have exited 82).
	# SER_P and LMCE_P as KVM gives them, so the exact MCG_CAP depends on the host.
	expect_has "$cpus vCPU boot" out "MCE: CPUID MCE and MCA set, MCG_CAP 0x"
	expect_has "$cpus vCPU boot" out ": 10 banks, CTL_P 1, SER_P $ser, LMCE_P $lmce"
done

# Memory above the 3 GiB hole is described and reported to the guest.
run_rasvm run --memory 5G
expect_rc "5 GiB guest" 0
expect_has "5 GiB guest" out "5120 MiB RAM"
finish
