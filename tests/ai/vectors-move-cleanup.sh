#!/bin/bash
# The loose ends of `pulse-host vectorize move` (host/ai/vmove_back.c,
# vmove_clean.c; docs/vectors.md "Moving a tenant between stores"):
#  - a tenant whose store integration's plugin is not loaded is told so
#    (the integration, the plugin, its stored vectors, the remedy), not
#    "uses pgvectors already";
#  - the removal of the tenant's points from the Qdrant sandbox after a
#    move back fails (422 on delete, the sandbox's fault on demand): the
#    switch stands, the cleanup is recorded as pending (vector_moves,
#    migration 114) and shown by `vectorize status` (text and --json); a
#    re-run while the store still fails keeps it pending with the new
#    error; a dry run reports it and removes nothing; once the store
#    recovers a re-run removes the points and clears it;
#  - a forward move with a cleanup pending finishes it first: a point
#    deleted while the stale copy stayed in Qdrant would otherwise fail
#    the exact check.
set -euo pipefail
. "$abs_top_srcdir/tests/db/warehouse-lib.sh"
. "$abs_top_srcdir/tests/ai/vectors-lib.sh"
trap 'echo "FAIL: line $LINENO: $BASH_COMMAND" >&2' ERR
VX_QDRANT=1
vx_setup
read -r ta ia < <(vx_tenant acme) # its store: qdrant
qid=$(wh_sql "SELECT id FROM integrations WHERE tenant_id = $ta AND plugin = 'qdrant'")
C=pulse_sandbox_embed_384
vx_titles "$ta" "$ia" 8
ph vectorize run --tenant acme > /dev/null
qd_points() {
	qd_api GET "/_sandbox/points?collection=$C" |
		jq --arg t "$ta" '[.points[] | select(.payload.tenant_id == $t)] | length'
}
[ "$(qd_points)" = 8 ] || wh_fail "acme has $(qd_points) points in qdrant, want 8"
[ "$(wh_sql "SELECT count(*) FROM pgvectors WHERE tenant_id = $ta")" = 0 ] || wh_fail "acme wrote to pgvectors"

# --- the qdrant plugin not loaded: the message says what is true
sed "s|\"$abs_top_builddir/plugins/provider-qdrant/.libs\", ||" "$WH_CONF" > "$WH_DIR/noqd.conf"
! grep -qF provider-qdrant "$WH_DIR/noqd.conf" || wh_fail "the config without qdrant still names it"
phn() { "$WH_BIN" -c "$WH_DIR/noqd.conf" "$@"; }
wh_expect_fail "$WH_DIR/unloaded.err" phn vectorize move --tenant acme --to pgvectors
wh_contains "$WH_DIR/unloaded.err" "8 stored vectors are in integration $qid (vectors), whose plugin 'qdrant' is not loaded"
wh_contains "$WH_DIR/unloaded.err" "add the plugin's directory to plugin_dirs"
! grep -qF "uses pgvectors already" "$WH_DIR/unloaded.err" || wh_fail "still says 'uses pgvectors already'"
[ "$(wh_sql "SELECT count(*) FROM vector_moves WHERE tenant_id = $ta")" = 0 ] || wh_fail "the refused move wrote a checkpoint"
# with no stored vectors naming it, the message does not guess either
wh_sql "UPDATE vector_references SET store = 'elsewhere' WHERE tenant_id = $ta" > /dev/null
wh_expect_fail "$WH_DIR/unloaded2.err" phn vectorize move --tenant acme --to pgvectors
wh_contains "$WH_DIR/unloaded2.err" "integration $qid (vectors) is enabled but its plugin 'qdrant' is not loaded, so whether it holds the tenant's vectors cannot be told"
wh_sql "UPDATE vector_references SET store = 'qdrant' WHERE tenant_id = $ta" > /dev/null

vx_searches acme before

# --- the move back, with every delete of the store refused (422)
qd_api POST /_sandbox/fault '{"kind": "validation", "op": "delete", "count": -1}' > /dev/null
ph vectorize move --tenant acme --to pgvectors --json > "$WH_DIR/back.json" 2> "$WH_DIR/back.err" ||
	wh_fail "the move back failed: $(cat "$WH_DIR/back.err")"
jq -e '.switched and .cleanup_pending and .removed == 0 and .verified == 8' "$WH_DIR/back.json" > /dev/null ||
	wh_fail "the move back: $(cat "$WH_DIR/back.json")"
wh_contains "$WH_DIR/back.err" "the tenant now uses pgvectors, but removing tenant $ta's points from integration $qid"
wh_contains "$WH_DIR/back.err" "the cleanup stays pending"
[ "$(qd_stats | jq '.faults_served.validation // 0')" -ge 1 ] || wh_fail "the delete fault was not served"
[ "$(qd_points)" = 8 ] || wh_fail "the points left qdrant although every delete failed"
[ "$(wh_sql "SELECT cleanup_pending || ':' || (cleanup_error LIKE '%422%' OR cleanup_error LIKE '%alidation%')
	|| ':' || (cleanup_at IS NOT NULL) FROM vector_moves WHERE tenant_id = $ta AND direction = 'to_pgvectors'")" = "true:true:true" ] ||
	wh_fail "the pending cleanup was not recorded: $(wh_sql "SELECT * FROM vector_moves WHERE tenant_id = $ta")"
# the switch stands: searches read pgvectors, not qdrant
[ "$(wh_sql "SELECT enabled FROM integrations WHERE id = $qid")" = f ] || wh_fail "the source is still enabled"
q0=$(qd_stats | jq '.calls.query // 0')
vx_searches acme after
vx_same after before
[ "$(qd_stats | jq '.calls.query // 0')" = "$q0" ] || wh_fail "the searches after the switch used qdrant"
# vectorize status shows it, as JSON and as text
ph vectorize status --tenant acme --json > "$WH_DIR/st.json"
jq -e --argjson q "$qid" --arg c "$C" '.store_cleanup | length == 1 and .[0].integration_id == $q
	and .[0].collection == $c and (.[0].error | type) == "string" and .[0].since != null' "$WH_DIR/st.json" > /dev/null ||
	wh_fail "status --json: $(cat "$WH_DIR/st.json")"
ph vectorize status --tenant acme > "$WH_DIR/st.txt"
wh_contains "$WH_DIR/st.txt" "store cleanup pending: integration $qid still holds the tenant's points of $C (last attempt failed:"

# --- a re-run while the store still refuses: fails, stays pending
e0=$(wh_sql "SELECT cleanup_at FROM vector_moves WHERE tenant_id = $ta AND direction = 'to_pgvectors'")
wh_expect_fail "$WH_DIR/again.err" ph vectorize move --tenant acme --to pgvectors
wh_contains "$WH_DIR/again.err" "the cleanup stays pending"
[ "$(wh_sql "SELECT cleanup_pending AND cleanup_at > '$e0' FROM vector_moves WHERE tenant_id = $ta AND direction = 'to_pgvectors'")" = t ] ||
	wh_fail "the failed re-run did not record its attempt"
[ "$(qd_points)" = 8 ] || wh_fail "qdrant lost points while deletes failed"

# --- the store recovers: a dry run reports and removes nothing; the re-run
# removes the points and clears the mark
qd_api DELETE /_sandbox/fault > /dev/null
ph vectorize move --tenant acme --to pgvectors --dry-run --json > "$WH_DIR/dry.json"
jq -e '.already_done and .cleanup_pending and .removed == 0' "$WH_DIR/dry.json" > /dev/null ||
	wh_fail "dry run: $(cat "$WH_DIR/dry.json")"
[ "$(qd_points)" = 8 ] || wh_fail "the dry run removed points"
ph vectorize move --tenant acme --to pgvectors --json > "$WH_DIR/fin.json" 2> "$WH_DIR/fin.err" ||
	wh_fail "the re-run failed: $(cat "$WH_DIR/fin.err")"
jq -e '.already_done and (.cleanup_pending | not) and .removed == 8 and .copied == 0' "$WH_DIR/fin.json" > /dev/null ||
	wh_fail "the re-run: $(cat "$WH_DIR/fin.json")"
[ "$(qd_points)" = 0 ] || wh_fail "acme still has $(qd_points) points in qdrant"
[ "$(wh_sql "SELECT cleanup_pending || ':' || coalesce(cleanup_error, '-') FROM vector_moves
	WHERE tenant_id = $ta AND direction = 'to_pgvectors'")" = "false:-" ] || wh_fail "the mark was not cleared"
ph vectorize status --tenant acme --json | jq -e '.store_cleanup == []' > /dev/null || wh_fail "status still shows a cleanup"
ph vectorize move --tenant acme --to pgvectors --json | jq -e '.already_done and .removed == 0' > /dev/null ||
	wh_fail "a third run did something"

# --- forward, then back with deletes refused again; a point is deleted
# meanwhile (pgvectors only): the forward move finishes the cleanup
# first, so the stale copy in qdrant does not fail its exact check
ph vectorize move --tenant acme --to "$qid" --json > "$WH_DIR/fwd.json" 2> "$WH_DIR/fwd.err" ||
	wh_fail "the forward move failed: $(cat "$WH_DIR/fwd.err")"
qd_api POST /_sandbox/fault '{"kind": "validation", "op": "delete", "count": -1}' > /dev/null
ph vectorize move --tenant acme --to pgvectors --json > "$WH_DIR/back2.json" 2> "$WH_DIR/back2.err" ||
	wh_fail "the second move back failed: $(cat "$WH_DIR/back2.err")"
jq -e '.switched and .cleanup_pending' "$WH_DIR/back2.json" > /dev/null || wh_fail "second move back: $(cat "$WH_DIR/back2.json")"
qd_api DELETE /_sandbox/fault > /dev/null
wh_sql "UPDATE prs SET deleted_at = now() WHERE tenant_id = $ta AND external_id = 'PR_3';
	INSERT INTO vectorization_queue (tenant_id, integration_id, entity, external_id, operation)
	VALUES ($ta, $ia, 'prs', 'PR_3', 'delete')" > /dev/null
ph vectorize run --tenant acme --json | jq -e '.deleted == 1' > /dev/null || wh_fail "the delete did not reach pgvectors"
[ "$(qd_points)" = 8 ] || wh_fail "qdrant should still hold the stale 8"
ph vectorize move --tenant acme --to "$qid" --json > "$WH_DIR/fwd2.json" 2> "$WH_DIR/fwd2.err" ||
	wh_fail "the forward move with a cleanup pending failed: $(cat "$WH_DIR/fwd2.err")"
jq -e '.switched and .verified == 7 and (.cleanup_pending | not)' "$WH_DIR/fwd2.json" > /dev/null ||
	wh_fail "forward move with a cleanup pending: $(cat "$WH_DIR/fwd2.json")"
[ "$(qd_points)" = 7 ] || wh_fail "qdrant holds $(qd_points) of acme's points, want 7"
[ "$(wh_sql "SELECT count(*) FROM vector_moves WHERE tenant_id = $ta AND cleanup_pending")" = 0 ] ||
	wh_fail "a cleanup is still pending"
# forced RLS kept on vector_moves with the new columns
[ "$(wh_sql "SELECT relrowsecurity AND relforcerowsecurity FROM pg_class WHERE relname = 'vector_moves'")" = t ] ||
	wh_fail "vector_moves lost its forced RLS"
[ "$(wh_app_sql "SELECT count(*) FROM vector_moves")" = 0 ] || wh_fail "the app role sees vector_moves without a tenant"
echo PASS
