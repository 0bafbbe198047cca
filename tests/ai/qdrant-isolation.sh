#!/bin/bash
# Isolation under attack with the qdrant store: tests/ai/isolation.sh run
# with both tenants on one shared Qdrant collection (the sandbox), then
# the proof that the store was Qdrant and that every query and delete it
# received carried the tenant's condition.
set -euo pipefail
VX_QDRANT=1
. "$abs_top_srcdir/tests/ai/isolation.sh"
[ "$(wh_sql "SELECT count(*) FROM pgvectors")" = 0 ] || wh_fail "vectors landed in pgvectors, not qdrant"
qd_stats > "$WH_DIR/qst.json"
jq -e '(.collections | length) == 1 and ([.collections[]][0].points == 11)' "$WH_DIR/qst.json" > /dev/null ||
	wh_fail "both tenants should share one collection of 11 points: $(jq -c .collections "$WH_DIR/qst.json")"
jq -e --arg a "$ta" --arg b "$tb" '[.requests[] | select(.op == "query" or .op == "delete")] as $r
	| ($r | length) >= 8 and ($r | all(.body.filter.must[0] as $c
	  | $c.key == "tenant_id" and ([$a, $b] | index($c.match.value)) != null))
	and ([.requests[] | select(.op == "query" and .body.filter.must[0].match.value == $a)] | length) >= 6' \
	"$WH_DIR/qst.json" > /dev/null ||
	wh_fail "a query without its tenant condition: $(jq -c '[.requests[] | select(.op == "query") | .body.filter]' "$WH_DIR/qst.json")"
echo PASS-qdrant
