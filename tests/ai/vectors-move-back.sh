#!/bin/bash
# `pulse-host vectorize move --to pgvectors` (host/ai/vmove_back.c,
# docs/vectors.md "Moving a tenant between stores"): a tenant moved to the
# Qdrant sandbox moves back to pgvectors by reading its points with the
# ABI 1.4 scroll op, without embedding anything (the embeddings sandbox's
# call count): the dry run changes nothing, a move killed mid-copy
# (failpoint vectorize.move_batch) leaves the tenant on qdrant and resumes
# from its checkpoint (the scroll offset), the point ids and the search
# results (ids, order, scores within 1e-5) equal those before, another
# tenant's point leaked by the store's scroll is dropped, the qdrant
# copy is removed, a repeated move says "already moved", the forward move
# works again afterwards, a write between a kill and the re-run makes the
# copy start over and arrive, and a store whose plugin has no scroll (a
# 1.3-sized ops table) is refused with a message naming the op.
set -euo pipefail
. "$abs_top_srcdir/tests/db/warehouse-lib.sh"
. "$abs_top_srcdir/tests/ai/vectors-lib.sh"
trap 'echo "FAIL: line $LINENO: $BASH_COMMAND" >&2' ERR
VX_QDRANT=1
vx_setup
# a vector store built against ABI 1.3 (no scroll), alone in its dir
mkdir -p "$WH_DIR/old-plugins"
cp "$abs_top_builddir/tests/fixtures/plugins/fake/.libs/fake-vector-v1-3.so" "$WH_DIR/old-plugins/"
sed -i "s|^plugin_dirs = \[|plugin_dirs = [\"$WH_DIR/old-plugins\", |" "$WH_CONF"
read -r ta ia < <(VX_QDRANT= vx_tenant acme)
read -r tb ib < <(VX_QDRANT= vx_tenant beta)
C=pulse_sandbox_embed_384
vx_titles "$ta" "$ia" 10
vx_pr "$tb" "$ib" PR_1 beta/api 1 "Fix cache eviction race in session store"
ph vectorize run --tenant acme > /dev/null
ph vectorize run --tenant beta > /dev/null
pa=$(wh_sql "SELECT count(*) FROM pgvectors WHERE tenant_id = $ta AND collection = '$C'")
[ "$pa" -ge 10 ] || wh_fail "acme has $pa vectors in pgvectors, want >= 10"
ids() { wh_sql "SELECT string_agg(point_id::text, ',' ORDER BY point_id) FROM pgvectors WHERE tenant_id = $ta AND collection = '$C'"; }
ids0=$(ids)

vx_searches acme before

# --- to qdrant first (the forward move)
qid=$(qd_add acme | jq -r .id)
ph vectorize move --tenant acme --to "$qid" --json > "$WH_DIR/fwd.json" 2> "$WH_DIR/fwd.err" ||
	wh_fail "the forward move failed: $(cat "$WH_DIR/fwd.err")"
jq -e '.switched' "$WH_DIR/fwd.json" > /dev/null || wh_fail "forward: $(cat "$WH_DIR/fwd.json")"
[ "$(wh_sql "SELECT count(*) FROM pgvectors WHERE tenant_id = $ta")" = 0 ] || wh_fail "pgvectors kept acme's points"
vx_searches acme onqd
vx_same onqd before

# --- the dry run back changes nothing; a store that ignores the tenant
# filter on scroll (the sandbox's leak fault) leaks no foreign point
qd_api PUT "/collections/$C/points?wait=true" "$(jq -nc '{points: [{id: "00000000-0000-4000-8000-000000000001",
	vector: [range(384) | 0.5], payload: {tenant_id: "999999", table: "prs", external_id: "X"}}]}')" > /dev/null
qd_api POST /_sandbox/fault '{"kind": "leak", "op": "scroll", "count": -1}' > /dev/null
ph vectorize move --tenant acme --to pgvectors --dry-run --json > "$WH_DIR/dry.json" 2> "$WH_DIR/dry.err" ||
	wh_fail "dry run failed: $(cat "$WH_DIR/dry.err")"
[ "$(qd_stats | jq '.faults_served.leak // 0')" -ge 1 ] || wh_fail "the leak fault was not served"
wh_contains "$WH_DIR/dry.err" "not tenant $ta's; dropped"
qd_api DELETE /_sandbox/fault > /dev/null
jq -e --argjson p "$pa" '.dry_run and .points == $p and .to_copy == $p and .store == "pgvectors"
	and .source == "qdrant" and .collection == "pulse_sandbox_embed_384" and (.switched | not)' "$WH_DIR/dry.json" > /dev/null ||
	wh_fail "dry run: $(cat "$WH_DIR/dry.json")"
[ "$(wh_sql "SELECT count(*) FROM pgvectors WHERE tenant_id = $ta")" = 0 ] || wh_fail "the dry run wrote to pgvectors"
[ "$(wh_sql "SELECT count(*) FROM vector_moves WHERE tenant_id = $ta AND direction = 'to_pgvectors'")" = 0 ] ||
	wh_fail "the dry run wrote a checkpoint"

# --- killed after the second page of 3: the tenant stays on qdrant
e0=$(vx_embed_calls)
rc=0
PULSE_HOST_FAILPOINTS="vectorize.move_batch=2:kill" "$WH_BIN" -c "$WH_CONF" \
	vectorize move --tenant acme --to pgvectors --batch 3 > "$WH_DIR/kill.out" 2> "$WH_DIR/kill.err" || rc=$?
[ "$rc" = 137 ] || wh_fail "the failpoint did not kill the move (exit $rc): $(cat "$WH_DIR/kill.err")"
[ "$(vx_embed_calls)" = "$e0" ] || wh_fail "the killed move called the embedder ($e0 -> $(vx_embed_calls) calls)"
[ "$(wh_sql "SELECT state || ':' || copied || ':' || (last_offset IS NOT NULL) FROM vector_moves
	WHERE tenant_id = $ta AND direction = 'to_pgvectors'")" = "copying:3:true" ] ||
	wh_fail "checkpoint after the kill: $(wh_sql "SELECT * FROM vector_moves WHERE tenant_id = $ta")"
[ "$(wh_sql "SELECT count(*) FROM pgvectors WHERE tenant_id = $ta")" = 6 ] || wh_fail "pgvectors after the kill"
[ "$(wh_sql "SELECT enabled FROM integrations WHERE id = $qid")" = t ] || wh_fail "the source was disabled before the copy ended"
q0=$(qd_stats | jq '.calls.query // 0')
vx_searches acme during
vx_same during before
[ "$(qd_stats | jq '.calls.query // 0')" -ge $((q0 + 3)) ] || wh_fail "the searches during the move did not use qdrant"
ph vectorize move --tenant acme --to pgvectors --dry-run --json > "$WH_DIR/dry2.json"
jq -e --argjson p "$pa" '.resumed and .to_copy == $p - 3' "$WH_DIR/dry2.json" > /dev/null ||
	wh_fail "dry run after the kill: $(cat "$WH_DIR/dry2.json")"

# --- the re-run resumes from the saved offset and switches
s0=$(qd_stats | jq '[.requests[] | select(.op == "scroll")] | length')
e0=$(vx_embed_calls)
ph vectorize move --tenant acme --to pgvectors --batch 3 --json > "$WH_DIR/back.json" 2> "$WH_DIR/back.err" ||
	wh_fail "the resumed move back failed: $(cat "$WH_DIR/back.err")"
jq -e --argjson p "$pa" '.switched and .resumed and .points == $p and .copied == $p - 3
	and .verified == $p and .verified_by == "scroll" and .removed == $p and .store == "pgvectors"' "$WH_DIR/back.json" > /dev/null ||
	wh_fail "the resumed move back: $(cat "$WH_DIR/back.json") $(cat "$WH_DIR/back.err")"
# the copy went on from the checkpoint's offset, with vectors
qd_stats | jq -e --argjson s "$s0" '[.requests[] | select(.op == "scroll")][$s:]
	| map(select(.body.with_vector == true)) | length > 0 and (.[0].body.offset != null)' > /dev/null ||
	wh_fail "the resumed copy did not start at the checkpoint: $(qd_stats | jq -c '[.requests[] | select(.op == "scroll") | .body]')"
[ "$(vx_embed_calls)" = "$e0" ] || wh_fail "the move back called the embedder ($e0 -> $(vx_embed_calls) calls)"
[ "$(wh_sql "SELECT enabled FROM integrations WHERE id = $qid")" = f ] || wh_fail "the source integration is still enabled"
[ "$(ids)" = "$ids0" ] || wh_fail "point ids differ after the move back"
[ "$(wh_sql "SELECT count(*) FROM vector_references WHERE tenant_id = $ta AND status = 'stored' AND store <> 'pgvectors'")" = 0 ] ||
	wh_fail "vector_references still name qdrant"
qd_api GET "/_sandbox/points?collection=$C" > "$WH_DIR/pts.json"
jq -e --arg t "$ta" '[.points[] | select(.payload.tenant_id == $t)] | length == 0' "$WH_DIR/pts.json" > /dev/null ||
	wh_fail "acme's points are still in qdrant"
q0=$(qd_stats | jq '.calls.query // 0')
vx_searches acme after
vx_same after before
[ "$(qd_stats | jq '.calls.query // 0')" = "$q0" ] || wh_fail "the searches after the move back used qdrant"

# --- once more: nothing to do
ph vectorize move --tenant acme --to pgvectors --json > "$WH_DIR/again.json" 2> "$WH_DIR/again.err" ||
	wh_fail "the second move back failed: $(cat "$WH_DIR/again.err")"
jq -e '.already_done and .copied == 0' "$WH_DIR/again.json" > /dev/null || wh_fail "second move back: $(cat "$WH_DIR/again.json")"
[ "$(ids)" = "$ids0" ] || wh_fail "the second move back changed pgvectors"
# a vectorize after the move writes to pgvectors
vx_pr "$ta" "$ia" PR_1 acme/api 1 "Fix cache eviction race in the session store"
ph vectorize run --tenant acme --json > "$WH_DIR/run.json"
jq -e '.upserted == 1' "$WH_DIR/run.json" > /dev/null || wh_fail "vectorize after the move back: $(cat "$WH_DIR/run.json")"
[ "$(ids)" = "$ids0" ] || wh_fail "vectorize after the move back duplicated a point"

# --- and forward again: the finished move back is not "already moved"
ph vectorize move --tenant acme --to "$qid" --json > "$WH_DIR/fwd2.json" 2> "$WH_DIR/fwd2.err" ||
	wh_fail "the second forward move failed: $(cat "$WH_DIR/fwd2.err")"
jq -e --argjson p "$pa" '.switched and (.already_done | not) and .verified == $p' "$WH_DIR/fwd2.json" > /dev/null ||
	wh_fail "second forward move: $(cat "$WH_DIR/fwd2.json")"

# --- back again, with a write between a kill and the re-run: the copy
# starts over (the store has no change counter) and takes the new point
rc=0
PULSE_HOST_FAILPOINTS="vectorize.move_batch=1:kill" "$WH_BIN" -c "$WH_CONF" \
	vectorize move --tenant acme --to pgvectors --batch 4 > "$WH_DIR/kill2.out" 2> "$WH_DIR/kill2.err" || rc=$?
[ "$rc" = 137 ] || wh_fail "the second kill did not happen (exit $rc): $(cat "$WH_DIR/kill2.err")"
vx_pr "$ta" "$ia" PR_11 acme/api 11 "Add rate limits to the public search endpoint"
ph vectorize run --tenant acme --json > "$WH_DIR/run2.json"
jq -e '.upserted == 1' "$WH_DIR/run2.json" > /dev/null || wh_fail "vectorize during the move: $(cat "$WH_DIR/run2.json")"
ph vectorize move --tenant acme --to pgvectors --batch 4 --json > "$WH_DIR/back2.json" 2> "$WH_DIR/back2.err" ||
	wh_fail "the move back after a write failed: $(cat "$WH_DIR/back2.json") $(cat "$WH_DIR/back2.err")"
jq -e --argjson p "$((pa + 1))" '.switched and .verified == $p and .copied > $p' "$WH_DIR/back2.json" > /dev/null ||
	wh_fail "the move back after a write: $(cat "$WH_DIR/back2.json")"
[ "$(wh_sql "SELECT count(*) FROM pgvectors WHERE tenant_id = $ta AND external_id = 'PR_11'")" = 1 ] ||
	wh_fail "the point written during the move is not in pgvectors"

# --- a store without scroll (ABI 1.3 ops) cannot be read back
bb=$(wh_sql "SELECT count(*) FROM pgvectors WHERE tenant_id = $tb")
echo '{}' > "$WH_DIR/old.json"
ph integration add --tenant beta --plugin fake-vector-v1-3 --name old --type AI --config "$WH_DIR/old.json" \
	--json > "$WH_DIR/old.out" 2>&1 || wh_fail "adding the 1.3 store failed: $(cat "$WH_DIR/old.out")"
wh_expect_fail "$WH_DIR/noscroll.err" ph vectorize move --tenant beta --to pgvectors
wh_contains "$WH_DIR/noscroll.err" "lacks the vector-store op 'scroll' (ABI 1.4)"
[ "$(wh_sql "SELECT count(*) FROM pgvectors WHERE tenant_id = $tb")" = "$bb" ] || wh_fail "the refused move changed beta's pgvectors"
[ "$(wh_sql "SELECT count(*) FROM vector_moves WHERE tenant_id = $tb")" = 0 ] || wh_fail "the refused move wrote a checkpoint"
echo PASS
