# Verifies docs/memory-map.md and docs/memory-map-arm64.md are what scripts/gen-memory-map.sh
# makes of include/rasvm/layout.h and layout_arm64.h,
# that every `rasvm run` option in the help text is documented in docs/usage.md, and that
# docs/fleet.md's example alerts are rules Prometheus accepts (promtool check rules).
. "$(dirname "$0")/../lib.sh"

if "$ROOT/scripts/gen-memory-map.sh" | diff -u "$ROOT/docs/memory-map.md" - >"$TMP/diff"; then
	ok "docs/memory-map.md matches include/rasvm/layout.h"
else
	not_ok "docs/memory-map.md is stale: run scripts/gen-memory-map.sh > docs/memory-map.md"
	sed 's/^/#   /' "$TMP/diff" | head -20
fi
if "$ROOT/scripts/gen-memory-map.sh" arm64 | diff -u "$ROOT/docs/memory-map-arm64.md" - >"$TMP/diff"; then
	ok "docs/memory-map-arm64.md matches include/rasvm/layout_arm64.h"
else
	not_ok "docs/memory-map-arm64.md is stale: run scripts/gen-memory-map.sh arm64 > docs/memory-map-arm64.md"
	sed 's/^/#   /' "$TMP/diff" | head -20
fi
for opt in $("$RASVM" run --help | grep -oE '^  --[a-z-]+' | sort -u); do
	if grep -qF -- "$opt" "$ROOT/docs/usage.md"; then ok "docs/usage.md documents $opt"
	else not_ok "docs/usage.md does not document $opt"; fi
done
if command -v promtool >/dev/null; then
	sed -n '/^```yaml/,/^```/p' "$ROOT/docs/fleet.md" | sed '1d;$d' >"$TMP/rules.yml"
	if promtool check rules "$TMP/rules.yml" >"$TMP/promtool" 2>&1; then ok "docs/fleet.md: the example alerts pass promtool check rules"
	else not_ok "docs/fleet.md's alerts"; sed 's/^/#   /' "$TMP/promtool" | head; fi
fi
finish
