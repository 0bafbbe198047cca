#!/bin/bash
# `pulse-host vectorize move` (host/ai/vmove.c, docs/vectors.md "Moving a
# tenant between stores"): a tenant vectorized into pgvectors moves to the
# Qdrant sandbox without embedding anything (the embeddings sandbox's call
# count), a model or dimension mismatch is refused and changes nothing, a
# move killed mid-copy (failpoint vectorize.move_batch) leaves the tenant on
# pgvectors and resumes from its checkpoint, the final state has the same
# point count and the same search results (ids, order, scores) as before,
# the exact check compares both stores' full id sets read by scroll (ABI
# 1.4, paged), also above 10,000 points,
# a second tenant is untouched, and a repeated move changes nothing.
set -euo pipefail
. "$abs_top_srcdir/tests/db/warehouse-lib.sh"
. "$abs_top_srcdir/tests/ai/vectors-lib.sh"
trap 'echo "FAIL: line $LINENO: $BASH_COMMAND" >&2' ERR
VX_QDRANT=1
vx_setup
# both tenants start on pgvectors (no qdrant integration yet)
read -r ta ia < <(VX_QDRANT= vx_tenant acme)
read -r tb ib < <(VX_QDRANT= vx_tenant beta)
C=pulse_sandbox_embed_384
vx_titles "$ta" "$ia" 12
vx_pr "$tb" "$ib" PR_1 beta/api 1 "Fix cache eviction race in session store"
vx_pr "$tb" "$ib" PR_2 beta/web 2 "Add dark mode toggle to settings page"
ph vectorize run --tenant acme > /dev/null
ph vectorize run --tenant beta > /dev/null
# repositories are vectorized too: count what pgvectors holds
pa=$(wh_sql "SELECT count(*) FROM pgvectors WHERE tenant_id = $ta AND collection = '$C'")
[ "$pa" -ge 12 ] || wh_fail "acme has $pa vectors in pgvectors, want >= 12"
snap_b() { wh_sql "SELECT string_agg(point_id::text || ':' || md5(vec) || ':' || change_gen, ',' ORDER BY point_id) FROM pgvectors WHERE tenant_id = $tb"; }
b0=$(snap_b)

# the searches before, through pgvectors
# (hits scoring 0 are ties, ordered by storage: left out)
vx_searches acme before
vx_searches beta beta0

# --- the qdrant integration; dry-run changes nothing
qid=$(qd_add acme | jq -r .id)
ph vectorize move --tenant acme --to "$qid" --dry-run --json > "$WH_DIR/dry.json" 2> "$WH_DIR/dry.err" ||
	wh_fail "dry run failed: $(cat "$WH_DIR/dry.err")"
jq -e --argjson p "$pa" '.dry_run and .to_copy == $p and .points == $p and .store == "qdrant"
	and .collection == "pulse_sandbox_embed_384" and .dim == 384 and (.switched | not)' "$WH_DIR/dry.json" > /dev/null ||
	wh_fail "dry run: $(cat "$WH_DIR/dry.json")"
[ "$(qd_stats | jq '.calls.upsert // 0')" = 0 ] || wh_fail "the dry run wrote points"

# --- refusals: nothing copied, no checkpoint
no_change() {
	[ "$(wh_sql "SELECT count(*) FROM pgvectors WHERE tenant_id = $ta")" = "$pa" ] || wh_fail "$1: pgvectors changed"
	[ "$(wh_sql "SELECT count(*) FROM vector_moves WHERE tenant_id = $ta")" = 0 ] || wh_fail "$1: a checkpoint was written"
	[ "$(qd_stats | jq '.calls.upsert // 0')" = 0 ] || wh_fail "$1: points were written"
}
# the target's collection holds vectors of another dimension
qd_api PUT "/collections/$C" '{"vectors": {"size": 8, "distance": "Cosine"}}' > /dev/null
wh_expect_fail "$WH_DIR/dim.err" ph vectorize move --tenant acme --to "$qid"
wh_contains "$WH_DIR/dim.err" "vectorize rebuild"
grep -E "384|8-dim| 8 " "$WH_DIR/dim.err" > /dev/null || wh_fail "the dimensions are not named: $(cat "$WH_DIR/dim.err")"
no_change "dimension mismatch"
qd_api DELETE "/collections/$C" > /dev/null
# the tenant's embedding model is not the one of the stored vectors
wh_sql "UPDATE ai_model_pins SET model = 'other-model', dimension = 512 WHERE tenant_id = $ta AND context = 'etl'" > /dev/null
wh_expect_fail "$WH_DIR/model.err" ph vectorize move --tenant acme --to "$qid"
wh_contains "$WH_DIR/model.err" "cannot be moved"
wh_contains "$WH_DIR/model.err" "other-model with 512 dimensions"
wh_contains "$WH_DIR/model.err" "vectorize rebuild"
no_change "model mismatch"
wh_sql "UPDATE ai_model_pins SET model = 'sandbox-embed', dimension = 384 WHERE tenant_id = $ta AND context = 'etl'" > /dev/null

# --- killed after the second batch of 3: the tenant stays on pgvectors
e0=$(vx_embed_calls)
rc=0
PULSE_HOST_FAILPOINTS="vectorize.move_batch=2:kill" "$WH_BIN" -c "$WH_CONF" \
	vectorize move --tenant acme --to "$qid" --batch 3 > "$WH_DIR/kill.out" 2> "$WH_DIR/kill.err" || rc=$?
[ "$rc" = 137 ] || wh_fail "the failpoint did not kill the move (exit $rc): $(cat "$WH_DIR/kill.err")"
[ "$(vx_embed_calls)" = "$e0" ] || wh_fail "the killed move called the embedder ($e0 -> $(vx_embed_calls) calls)"
[ "$(wh_sql "SELECT state || ':' || copied FROM vector_moves WHERE tenant_id = $ta")" = "copying:3" ] ||
	wh_fail "checkpoint after the kill: $(wh_sql "SELECT * FROM vector_moves WHERE tenant_id = $ta")"
[ "$(wh_sql "SELECT enabled FROM integrations WHERE id = $qid")" = f ] || wh_fail "the target was enabled before the copy ended"
qd_stats | jq -e --arg c "$C" '.collections[$c].points == 6' > /dev/null ||
	wh_fail "points after the kill: $(qd_stats | jq -c '.collections')"
vx_searches acme during
vx_same during before
ph vectorize move --tenant acme --to "$qid" --dry-run --json > "$WH_DIR/dry2.json"
jq -e --argjson p "$pa" '.resumed and .to_copy == $p - 3' "$WH_DIR/dry2.json" > /dev/null ||
	wh_fail "dry run after the kill: $(cat "$WH_DIR/dry2.json")"

# --- the re-run resumes and switches
e0=$(vx_embed_calls)
ph vectorize move --tenant acme --to "$qid" --batch 3 --json > "$WH_DIR/move.json" 2> "$WH_DIR/move.err" ||
	wh_fail "the resumed move failed: $(cat "$WH_DIR/move.err")"
jq -e --argjson p "$pa" '.switched and .resumed and .points == $p and .copied == $p - 3
	and .verified == $p and .verified_by == "scroll" and .removed == $p' "$WH_DIR/move.json" > /dev/null ||
	wh_fail "the resumed move: $(cat "$WH_DIR/move.json") $(cat "$WH_DIR/move.err")"
wh_contains "$WH_DIR/move.err" "points copied"
# the exact check read the target's ids by scroll, in pages of --batch
sc=$(qd_stats | jq '.calls.scroll // 0')
[ "$sc" -ge $(( (pa + 2) / 3 )) ] || wh_fail "the check scrolled $sc pages for $pa points in pages of 3"
qd_stats | jq -e --arg t "$ta" '[.requests[] | select(.op == "scroll")] | length > 1 and
	all(.[]; .body.limit == 3 and .body.filter.must[0].key == "tenant_id" and .body.filter.must[0].match.value == $t and .body.with_vector == false)
	and ([.[] | select(.body.offset != null)] | length) > 0' > /dev/null ||
	wh_fail "scroll requests: $(qd_stats | jq -c '[.requests[] | select(.op == "scroll") | .body]')"
[ "$(vx_embed_calls)" = "$e0" ] || wh_fail "the move called the embedder ($e0 -> $(vx_embed_calls) calls)"
[ "$(wh_sql "SELECT enabled FROM integrations WHERE id = $qid")" = t ] || wh_fail "the target was not enabled"
[ "$(wh_sql "SELECT count(*) FROM pgvectors WHERE tenant_id = $ta")" = 0 ] || wh_fail "the old copy was not removed"
[ "$(wh_sql "SELECT count(*) FROM vector_references WHERE tenant_id = $ta AND status = 'stored' AND store <> 'qdrant'")" = 0 ] ||
	wh_fail "vector_references still name pgvectors"
qd_api GET "/_sandbox/points?collection=$C" > "$WH_DIR/pts.json"
jq -e --arg t "$ta" --argjson p "$pa" '.points | length == $p and all(.[]; .payload.tenant_id == $t)' "$WH_DIR/pts.json" > /dev/null ||
	wh_fail "points in qdrant: $(jq -c '[.points[] | .payload.tenant_id]' "$WH_DIR/pts.json")"
# the same point ids as the vectorizer's: a later vectorize overwrites them
[ "$(jq -r '[.points[].id] | sort | join(",")' "$WH_DIR/pts.json")" = \
  "$(wh_sql "SELECT string_agg(point_id::text, ',' ORDER BY point_id::text) FROM vector_references WHERE tenant_id = $ta AND status = 'stored'")" ] ||
	wh_fail "point ids changed in the move"
q0=$(qd_stats | jq '.calls.query // 0')
vx_searches acme after
vx_same after before
[ "$(qd_stats | jq '.calls.query')" -ge $((q0 + 3)) ] || wh_fail "the searches after the move did not use qdrant"

# --- the second tenant is untouched
[ "$(snap_b)" = "$b0" ] || wh_fail "beta's vectors changed"
vx_searches beta beta1
vx_same beta1 beta0

# --- once more: nothing to do
ph vectorize move --tenant acme --to "$qid" --json > "$WH_DIR/again.json" 2> "$WH_DIR/again.err" ||
	wh_fail "the second move failed: $(cat "$WH_DIR/again.err")"
jq -e '.already_done and .copied == 0' "$WH_DIR/again.json" > /dev/null || wh_fail "second move: $(cat "$WH_DIR/again.json")"
qd_stats | jq -e --arg c "$C" --argjson p "$pa" '.collections[$c].points == $p' > /dev/null || wh_fail "second move changed the points"
# a vectorize after the move writes to qdrant, overwriting by id
vx_pr "$ta" "$ia" PR_1 acme/api 1 "Fix cache eviction race in the session store"
ph vectorize run --tenant acme --json > "$WH_DIR/run.json"
jq -e '.upserted == 1' "$WH_DIR/run.json" > /dev/null || wh_fail "vectorize after the move: $(cat "$WH_DIR/run.json")"
qd_stats | jq -e --arg c "$C" --argjson p "$pa" '.collections[$c].points == $p' > /dev/null || wh_fail "vectorize after the move duplicated a point"
[ "$(wh_sql "SELECT count(*) FROM pgvectors WHERE tenant_id = $ta")" = 0 ] || wh_fail "vectorize after the move wrote to pgvectors"
# --- above 10,000 points the check is still exact (scroll, any size):
# a third tenant with 10,050 stored points (synthetic rows, one model)
read -r tg ig < <(VX_QDRANT= vx_tenant gamma)
vx_pr "$tg" "$ig" PR_1 gamma/api 1 "Fix cache eviction race in session store"
ph vectorize run --tenant gamma > /dev/null
wh_sql "INSERT INTO pgvectors (tenant_id, integration_id, collection, point_id, entity, external_id, dim, vec, payload)
	SELECT $tg, $ig, '$C', gen_random_uuid(), 'prs', 'SYN_' || i, 384,
		decode(repeat('0000803f', 383) || lpad(to_hex(i % 255 + 1), 2, '0') || '00803f', 'hex'),
		jsonb_build_object('display_id', 'syn#' || i, 'title', 'synthetic ' || i)
	FROM generate_series(1, 10049) i" > /dev/null
pg=$(wh_sql "SELECT count(*) FROM pgvectors WHERE tenant_id = $tg")
[ "$pg" -gt 10000 ] || wh_fail "gamma has $pg points"
gid=$(qd_add gamma | jq -r .id)
ph vectorize move --tenant gamma --to "$gid" --batch 4096 --json > "$WH_DIR/big.json" 2> "$WH_DIR/big.err" ||
	wh_fail "the large move failed: $(cat "$WH_DIR/big.err")"
jq -e --argjson p "$pg" '.switched and .points == $p and .verified == $p and .verified_by == "scroll"' "$WH_DIR/big.json" > /dev/null ||
	wh_fail "the large move: $(cat "$WH_DIR/big.json")"
echo PASS
