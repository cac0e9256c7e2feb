# Verifies a host without /dev/kvm gets one message saying what to do, and exit 69, from both
# `run` and `check-host`. Hides /dev/kvm in a private mount namespace (needs root and unshare).
. "$(dirname "$0")/../lib.sh"
if [ "$(id -u)" != 0 ] || ! unshare -m true 2>/dev/null; then
	echo "# skip: needs root and unshare to hide /dev/kvm"
	exit 77
fi
for cmd in run check-host; do
	unshare -m sh -c 'mount -t tmpfs none /dev && exec "$0" "$1"' "$RASVM" "$cmd" \
		>"$TMP/out" 2>"$TMP/err"
	rc=$?
	expect_rc "$cmd without /dev/kvm" 69
	expect_has "$cmd without /dev/kvm" err "/dev/kvm does not exist: load the kvm_intel or kvm_amd module"
done
finish
