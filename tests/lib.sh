# Helpers for the shell tests: each check prints one TAP line; the script exits 1 if any
# check failed, 77 when it needs /dev/kvm and there is none.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export ROOT # for the python3 helpers the tests run (tests/qmp_client.py)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
RASVM=${RASVM:-$BUILD/rasvm}
case $RASVM in /*) ;; *) RASVM=$ROOT/$RASVM ;; esac
# Every rasvm the tests start keeps to its sandbox strictly: a system call an allow-list
# lacks ends it (exit 70) instead of being refused quietly, so the tests find it.
export RASVM_SANDBOX=${RASVM_SANDBOX:-strict}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
failed=0

ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; failed=1; }

# Skip the whole script unless /dev/kvm can be opened read-write.
require_kvm() {
	# -c first: bash's <> would create a plain file where there is no device.
	if ! [ -c /dev/kvm ] || ! { exec 9<>/dev/kvm; } 2>/dev/null; then
		echo "# skip: /dev/kvm is not usable here"
		exit 77
	fi
	exec 9>&-
}

# run_rasvm ARGS...: runs rasvm in $TMP (60 s at most, core dumps allowed so that one would
# show); sets $rc, stdout in $TMP/out, stderr in $TMP/err.
run_rasvm() {
	rm -f "$TMP/stuck"
	(cd "$TMP" && ulimit -c unlimited && DEADLINE_REPORT=$TMP/stuck exec "$ROOT/tests/deadline" 60 "$RASVM" "$@") \
		>"$TMP/out" 2>"$TMP/err"
	rc=$?
	# A run that hung (exit 124): where each of its threads was, as TAP comments.
	[ -s "$TMP/stuck" ] && cat "$TMP/stuck"
}

# expect_rc NAME WANT: the last run's exit code.
expect_rc() {
	if [ "$rc" = "$2" ]; then ok "$1: exit $2"; else
		not_ok "$1: exit $rc, expected $2"
		sed 's/^/#   /' "$TMP/err" | head -8
	fi
}

# expect_has NAME FILE(out|err) TEXT: the last run printed TEXT (fixed string).
expect_has() {
	if grep -qF -- "$3" "$TMP/$2"; then ok "$1: $2 has '$3'"; else
		not_ok "$1: $2 lacks '$3'"
		sed 's/^/#   /' "$TMP/$2" | head -12
	fi
}

expect_lacks() {
	if ! grep -qF -- "$3" "$TMP/$2"; then ok "$1: $2 lacks '$3'"; else not_ok "$1: $2 has '$3'"; fi
}

# expect_order NAME FILE LINE...: the lines appear in this order (fixed strings).
expect_order() {
	local name=$1 file=$TMP/$2 pos=0 n
	shift 2
	for want in "$@"; do
		n=$(grep -nF -- "$want" "$file" | head -1 | cut -d: -f1)
		if [ -z "$n" ] || [ "$n" -le "$pos" ]; then
			not_ok "$name: '$want' missing or out of order"
			sed 's/^/#   /' "$file" | head -20
			return
		fi
		pos=$n
	done
	ok "$name: $# lines in order"
}

# wait_for FILE TEXT [SECONDS]: until FILE holds TEXT (fixed string); false after SECONDS
# (30). Generous, as every wait here: CPL0 guest code is emulated on these hosts and CI
# machines are shared, so a guest may take seconds to get where a fast host takes a blink.
wait_for() {
	local deadline=$((SECONDS + ${3:-30}))
	until grep -qF -- "$2" "$1" 2>/dev/null; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.01
	done
}

# reap PID [SECONDS]: wait for a background rasvm to end and set $rc; after SECONDS (30) it
# is killed (rc 137), so a run that never ends fails its checks instead of hanging the suite.
reap() {
	local deadline=$((SECONDS + ${2:-30}))
	while kill -0 "$1" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.05; done
	kill -0 "$1" 2>/dev/null && "$ROOT/tests/describe-stuck" "$1"
	kill -KILL "$1" 2>/dev/null
	wait "$1"
	rc=$?
}

finish() { exit "$failed"; }
