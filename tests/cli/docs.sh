# Verifies docs/memory-map.md and docs/memory-map-arm64.md are what scripts/gen-memory-map.sh
# makes of include/rasvm/layout.h and layout_arm64.h,
# and that every `rasvm run` option in the help text is documented in docs/usage.md.
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
finish
