# Verifies live migration between two rasvm processes on this host: a guest rewriting 32 MiB
# in a loop (each page checked against the previous pass: a lost write fails the guest) moves
# over a unix socket with pre-copy rounds, and a page already sent is poisoned on the source
# before the last round: the destination holds it poisoned, with the same poison table and
# nothing lost, and the guest's read of it there is reported; the source is left postmigrate.
# Over tcp with content-hash tracking instead of KVM's dirty log. Refused before anything
# moves when the destination's machine differs (the source keeps running, the reason in
# query-migrate); a destination killed mid-stream, a cancelled migration: the source runs on
# and its guest finds every page as written; a reset of the source mid-migration cancels it
# and the guest reboots; the destinations of all these exit 65 without running guest code.
. "$(dirname "$0")/../lib.sh"
require_kvm
export PYTHONPATH=$ROOT/tests/kvm
cd "$TMP"

"$RASVM" run --memory 256M --scenario dirty:32 --qmp a.qmp --serial file:a.serial 2>a.err &
src=$!
"$RASVM" run --memory 256M --scenario dirty:32 --qmp b.qmp --incoming unix:$TMP/mig.sock --serial file:b.serial 2>b.err &
dst=$!
python3 - <<'EOF'
import time
from migrate_lib import *
a = Qmp("a.qmp")
check(wait_file("a.serial", "dirty: pass 4"), "the source guest dirties its memory")
b = Qmp("b.qmp")
check(b.ret("query-status")["status"] == "inmigrate", "the destination waits: inmigrate")
a.cmd("migrate-set-parameters", {"max-bandwidth": 48 << 20, "x-max-rounds": 4})
check(a.cmd("migrate", {"uri": "unix:mig.sock"}) == {"return": {}}, "migrate unix:")
poisoned = False
while True:
    r = a.ret("query-migrate")
    if not poisoned and r["status"] == "active" and r["ram"]["dirty-sync-count"] >= 1:
        # A canary page, sent in the first round, goes bad before the last.
        a.cmd("x-inject-host-memory-error", {"gpa": 0x703000})
        poisoned = True
    if r["status"] in ("completed", "failed", "cancelled"):
        break
    time.sleep(0.02)
check(poisoned, "a page was poisoned mid-migration")
check(r["status"] == "completed", "migration completed: %s" % r.get("error-desc", r["status"]))
check(r["ram"]["dirty-sync-count"] >= 2 and r["x-dirty-tracking"] == "kvm", "pre-copy rounds with KVM's dirty log: %d" % r["ram"]["dirty-sync-count"])
check(0 < r["downtime"] < 5000 and r["total-time"] >= r["downtime"], "downtime %d ms of %d ms" % (r["downtime"], r["total-time"]))
check(r["x-poisoned-pages"] >= 1, "poisoned pages in the stream: %d" % r["x-poisoned-pages"])
check(a.ret("query-status")["status"] == "postmigrate", "the source is postmigrate")
check(b.ret("query-status")["status"] == "running", "the destination runs")
ra, rb = a.ret("query-ras"), b.ret("query-ras")
sa = {p["gpa"]: p["state"] for p in ra["poisoned-pages"]}
sb = {p["gpa"]: p["state"] for p in rb["poisoned-pages"]}
check(0x703000 in sb and sa == sb, "the destination's poison table is the source's: %s" % sb)
check(rb["counters"]["lost"] == 0 and rb["counters"]["balanced"], "nothing lost, balanced")
check(b.ret("query-migrate")["status"] == "completed", "query-migrate on the destination: completed")
time.sleep(0.5)
a.cmd("quit")
b.cmd("inject-nmi")
check(wait_file("b.serial", "every page as written; 1 canary page(s) poisoned"),
      "the guest found every page as written, and the poisoned one poisoned")
EOF
reap $dst
cp b.err err
expect_rc "the destination" 0
expect_has "destination" err "page 0x703000 reported (action required, 2 error(s), reported 2 time(s), machine check, GHES)"
expect_has "destination" err "lost 0"
reap $src
cp a.err err
expect_rc "the source" 0
expect_has "source" err "migration to unix:mig.sock completed"

# tcp, and content hashes instead of KVM's dirty log.
"$RASVM" run --memory 128M --scenario dirty:16 --qmp c.qmp --serial file:c.serial 2>c.err &
src=$!
port=$((20000 + RANDOM % 20000))
"$RASVM" run --memory 128M --scenario dirty:16 --qmp d.qmp --incoming tcp:127.0.0.1:$port --serial file:d.serial 2>d.err &
dst=$!
python3 - "$port" <<'EOF'
import sys
from migrate_lib import *
c = Qmp("c.qmp")
check(wait_file("c.serial", "dirty: writing"), "the tcp source dirties")
d = Qmp("d.qmp")
c.cmd("migrate-set-parameters", {"x-dirty-tracking": "hash"})
c.cmd("migrate", {"uri": "tcp:127.0.0.1:" + sys.argv[1]})
r = c.wait_migration()
check(r["status"] == "completed" and r["x-dirty-tracking"] == "hash", "tcp with content hashes: %s" % r.get("error-desc", r["status"]))
c.cmd("quit")
d.cmd("inject-nmi")
check(wait_file("d.serial", "every page as written"), "every page as written after tcp and hashes")
EOF
reap $dst
cp d.err err
expect_rc "the tcp destination" 0
reap $src
cp c.err err
expect_rc "the tcp source" 0

# Refused before anything moves; a destination that dies; a cancel; the source runs on.
"$RASVM" run --memory 128M --scenario dirty:16 --qmp e.qmp --serial file:e.serial 2>e.err &
src=$!
"$RASVM" run --memory 256M --scenario dirty:16 --incoming unix:$TMP/f.sock --serial file:f.serial 2>f.err &
dst=$!
python3 - <<'EOF'
from migrate_lib import *
e = Qmp("e.qmp")
check(wait_file("e.serial", "dirty: writing"), "the third source dirties")
wait_file("f.err", "waiting for a migration")
e.cmd("migrate", {"uri": "unix:f.sock"})
r = e.wait_migration()
check(r["status"] == "failed" and "memory size differs" in r.get("error-desc", ""),
      "a destination with other memory refuses: %s" % r.get("error-desc"))
check(r["ram"]["transferred"] < 1 << 20, "and nothing but the header moved (%d bytes)" % r["ram"]["transferred"])
check(e.ret("query-status")["status"] == "running", "the source runs on")
EOF
reap $dst 2>/dev/null # killed on purpose: no job notice
cp f.err err
expect_rc "the refusing destination" 65
expect_has "refusing destination" err "memory size differs"
if [ ! -s f.serial ]; then ok "the refusing destination ran no guest code"; else not_ok "the refusing destination ran guest code"; fi

"$RASVM" run --memory 128M --scenario dirty:16 --incoming unix:$TMP/g.sock --serial file:g.serial 2>g.err &
dst=$!
python3 - "$dst" <<'EOF'
import os, signal, sys, time
from migrate_lib import *
e = Qmp("e.qmp")
wait_file("g.err", "waiting for a migration")
e.cmd("migrate-set-parameters", {"max-bandwidth": 8 << 20})
e.cmd("migrate", {"uri": "unix:g.sock"})
while e.ret("query-migrate")["ram"]["transferred"] < 4 << 20:
    time.sleep(0.02)
os.kill(int(sys.argv[1]), signal.SIGKILL)
r = e.wait_migration()
check(r["status"] == "failed", "the destination killed mid-stream: failed (%s)" % r.get("error-desc"))
check(e.ret("query-status")["status"] == "running", "the source runs on")
EOF
reap $dst 2>/dev/null # killed on purpose: no job notice
"$RASVM" run --memory 128M --scenario dirty:16 --incoming unix:$TMP/h.sock --serial file:h.serial 2>h.err &
dst=$!
python3 - <<'EOF'
import time
from migrate_lib import *
e = Qmp("e.qmp")
wait_file("h.err", "waiting for a migration")
e.cmd("migrate", {"uri": "unix:h.sock"})
while e.ret("query-migrate")["ram"]["transferred"] < 2 << 20:
    time.sleep(0.02)
e.cmd("migrate_cancel")
r = e.wait_migration()
check(r["status"] == "cancelled" and e.ret("query-status")["status"] == "running", "migrate_cancel: cancelled, the source runs on")
EOF
reap $dst
cp h.err err
expect_rc "the cancelled destination" 65
if [ ! -s h.serial ]; then ok "the cancelled destination ran no guest code"; else not_ok "the cancelled destination ran guest code"; fi

# A reset of the source mid-migration: the migration lets go first, the guest reboots.
"$RASVM" run --memory 128M --scenario dirty:16 --incoming unix:$TMP/i.sock --serial file:i.serial 2>i.err &
dst=$!
python3 - <<'EOF'
import time
from migrate_lib import *
e = Qmp("e.qmp")
wait_file("i.err", "waiting for a migration")
e.cmd("migrate", {"uri": "unix:i.sock"})
while e.ret("query-migrate")["ram"]["transferred"] < 2 << 20:
    time.sleep(0.02)
e.cmd("system_reset")
r = e.wait_migration()
check(r["status"] == "cancelled" and e.ret("query-status")["status"] == "running",
      "a reset mid-migration cancels it: %s" % r.get("error-desc"))
end = time.time() + 60
while time.time() < end:
    boots = open("e.serial").read().split("rasvm test guest:")
    if len(boots) == 3 and "dirty: pass 4" in boots[-1]:
        break
    time.sleep(0.05)
check(open("e.serial").read().count("rasvm test guest:") == 2, "the source guest rebooted and dirties again")
e.cmd("inject-nmi")
check(wait_file("e.serial", "every page as written"), "after all that the source guest found every page as written")
EOF
reap $dst
cp i.err err
expect_rc "the destination of a reset source" 65
reap $src
cp e.err err
expect_rc "the source of the failures" 0
finish
