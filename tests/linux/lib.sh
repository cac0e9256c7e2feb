# Shared by the tests that boot Linux (tests/kvm/linux_*.sh), after tests/lib.sh: builds the
# test kernel (tests/linux/build-kernel: cached once per machine, 5-13 min the first time)
# and init-spin's initramfs. Sets KDIR, SPIN (the initrd) and LOGS, where judge.py keeps
# every console and rasvm log of the run ($BUILD/test-logs/linux/NAME).
linux_setup() { # NAME
	command -v python3 >/dev/null || { echo "# skip: python3 is needed to judge Linux's console"; exit 77; }
	# Inside the emulated x86 host (tests/emu/x86_kvm_suite.sh) the guest is AMD and system
	# calls work: tests/emu/linux_emu.sh judges Linux there, with init-probe.
	if [ -n "${EMUHOST_ARCH:-}" ]; then
		echo "# skip: on the emulated host Linux is judged by tests/emu/linux_emu.sh"
		exit 77
	fi
	if ! KDIR=$("$ROOT/tests/linux/build-kernel" 2>"$TMP/build-kernel.log" | tail -1) || ! [ -f "$KDIR/vmlinux" ]; then
		not_ok "the test kernel builds (tests/linux/build-kernel)"
		tail -20 "$TMP/build-kernel.log" | sed 's/^/#   /'
		finish
	fi
	ok "the test kernel is there: $KDIR"
	SPIN=$TMP/spin.cpio
	if ! "$ROOT/tests/linux/mkinitrd" spin "$SPIN" 2>"$TMP/mkinitrd.log"; then
		not_ok "init-spin's initramfs builds"
		sed 's/^/#   /' "$TMP/mkinitrd.log"
		finish
	fi
	LOGS=$BUILD/test-logs/linux/$1
	rm -rf "$LOGS"
	mkdir -p "$LOGS"
}

# judge SCENARIO [judge.py options]: one scenario of tests/linux/judge.py; its TAP lines pass
# through, and a failure to run at all is a failed check.
judge() {
	local scenario=$1
	shift
	python3 "$ROOT/tests/linux/judge.py" "$scenario" --rasvm "$RASVM" --workdir "$LOGS/$scenario" "$@"
	local rc=$?
	[ "$rc" = 0 ] || failed=1
	echo "# judge.py $scenario: exit $rc (consoles in $LOGS/$scenario)"
}
