# Verifies the run options that shape a VM's surroundings: the serial console to a file or
# nowhere (and a clear error when the file cannot be created), --stats figures, and SIGTERM
# and SIGINT stopping a running VM with 143 and 130, also while the guest floods a console
# nobody reads.
. "$(dirname "$0")/../lib.sh"
require_kvm

run_rasvm run --serial "file:$TMP/console.txt"
expect_rc "serial to file" 0
if grep -q "rendezvous: 1 of 1 vCPUs" "$TMP/console.txt"; then ok "serial file has the console"
else not_ok "serial file lacks the console"; fi
expect_lacks "serial to file" out "rendezvous"
run_rasvm run --serial none
expect_rc "serial none" 0
if [ -s "$TMP/out" ]; then not_ok "serial none printed something"; else ok "serial none is silent"; fi
run_rasvm run --serial "file:$TMP/no/such/dir/console.txt"
expect_rc "serial file unwritable" 71
expect_has "serial file unwritable" err "cannot open: No such file or directory"

run_rasvm run --stats "$TMP/stats"
expect_rc "--stats" 0
for key in first_testport_ns rss_kib guest_resident_kib vmm_kib; do
	if grep -qE "^$key [1-9][0-9]*$" "$TMP/stats"; then ok "--stats has $key"
	else not_ok "--stats lacks a non-zero $key"; fi
done

# The wait scenario idles until stopped.
for sig in TERM:143 INT:130; do
	rm -f "$TMP/err" # the last round's SYNC 1 must not count for this one
	(cd "$TMP" && exec "$RASVM" run --scenario wait -v) >"$TMP/out" 2>"$TMP/err" &
	pid=$!
	# The signal must come after rasvm took it over: a background job starts with SIGINT
	# ignored, and one sent before rasvm blocked it would be discarded.
	wait_for "$TMP/err" "SYNC 1" || not_ok "SIG${sig%:*}: the guest never reached SYNC 1"
	kill -"${sig%:*}" "$pid"
	reap "$pid"
	expect_rc "SIG${sig%:*}" "${sig#*:}"
	expect_has "SIG${sig%:*}" err "stopped by SIG${sig%:*}"
done

# A console nobody reads: the guest keeps printing into a pipe that is never read. rasvm
# must not stall (a vCPU blocked in write would hold the run hostage): SIGTERM still ends
# it promptly, and it says what output it could not write.
# The reader shrinks the pipe to one page (F_SETPIPE_SZ), so that 3 s of chatter fill it
# whatever the machine's speed (the default 64 KiB took about 3 s here: flaky).
mkfifo "$TMP/console"
python3 -c 'import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY)
try:
    fcntl.fcntl(fd, 1031, 4096)  # F_SETPIPE_SZ
except OSError:
    pass  # more than a page written already: the default size, then
time.sleep(300)' "$TMP/console" &
reader=$!
(cd "$TMP" && exec "$RASVM" run --scenario chatter) >"$TMP/console" 2>"$TMP/err" &
pid=$!
sleep 3
start=$SECONDS
kill -TERM "$pid"
reap "$pid" 20
kill "$reader" 2>/dev/null
expect_rc "a console nobody reads" 143
if [ $((SECONDS - start)) -le 10 ]; then ok "a console nobody reads: SIGTERM ended rasvm in $((SECONDS - start)) s"
else not_ok "a console nobody reads: SIGTERM took $((SECONDS - start)) s"; fi
if grep -qE "serial: .*(dropped|not written)" "$TMP/err"; then ok "a console nobody reads: the lost output is counted"
else not_ok "a console nobody reads: nothing says output was lost"; sed 's/^/#   /' "$TMP/err" | tail -5; fi
finish
