#!/bin/bash
# The vectorization stage and search end to end on the embedded store with
# the OpenAI sandbox's lexical embeddings: insert/update/delete reach the
# store with exact counts, unchanged texts are not re-embedded (sandbox
# call counts), the embedder unreachable then back (retry with backoff,
# catch-up), a kill -9 mid-run then a restart (same final state), search
# via CLI finds a PR by a paraphrase of its title words.
set -euo pipefail
. "$abs_top_srcdir/tests/db/warehouse-lib.sh"
. "$abs_top_srcdir/tests/ai/vectors-lib.sh"
vx_setup
read -r ta ia < <(vx_tenant acme)

vx_pr "$ta" "$ia" PR_1 acme/api 17 "Fix cache eviction race in session store"
vx_pr "$ta" "$ia" PR_2 acme/web 5 "Add dark mode toggle to settings page"
vx_pr "$ta" "$ia" PR_3 acme/api 18 "Upgrade PostgreSQL driver to version 16"
ph vectorize run --tenant acme --json > "$WH_DIR/run1.json"
jq -e '.claimed == 3 and .embedded == 3 and .upserted == 3 and .failed == 0' "$WH_DIR/run1.json" > /dev/null ||
	wh_fail "first run: $(cat "$WH_DIR/run1.json")"
n=$(wh_sql "SELECT count(*) FROM pgvectors WHERE tenant_id = $ta")
[ "$n" = 3 ] || wh_fail "3 PRs queued, $n vectors stored"
n=$(wh_sql "SELECT count(*) FROM vector_references WHERE tenant_id = $ta AND status = 'stored' AND store = 'pgvectors'")
[ "$n" = 3 ] || wh_fail "3 PRs queued, $n vector_references"
[ "$(vx_pending "$ta")" = 0 ] || wh_fail "rows left in the queue after run 1"

# search: a paraphrase of PR 17's title words
ph search --tenant acme --json "session store cache eviction" > "$WH_DIR/s1.json"
jq -e '.hits[0].external_id == "acme/api#17" and .hits[0].table == "prs"
	and .hits[0].url == "https://github.example/acme/api/pull/17"' "$WH_DIR/s1.json" > /dev/null ||
	wh_fail "search did not find acme/api#17 first: $(cat "$WH_DIR/s1.json")"
ph search --tenant acme "dark mode settings" > "$WH_DIR/s2.txt"
wh_contains "$WH_DIR/s2.txt" "acme/web#5"

# unchanged text: re-queued, not re-embedded
before=$(vx_embed_calls)
wh_sql "INSERT INTO vectorization_queue (tenant_id, integration_id, entity, external_id, operation)
	SELECT tenant_id, integration_id, 'prs', external_id, 'update' FROM prs WHERE tenant_id = $ta" > /dev/null
ph vectorize run --tenant acme --json > "$WH_DIR/run2.json"
jq -e '.claimed == 3 and .unchanged == 3 and .embedded == 0' "$WH_DIR/run2.json" > /dev/null ||
	wh_fail "unchanged run: $(cat "$WH_DIR/run2.json")"
[ "$(vx_embed_calls)" = "$before" ] || wh_fail "unchanged texts were sent to the embedder"

# update: one changed title, one embedding; delete: the vector goes
vx_pr "$ta" "$ia" PR_2 acme/web 5 "Add high contrast theme to settings page"
wh_sql "UPDATE prs SET deleted_at = now() WHERE tenant_id = $ta AND external_id = 'PR_3';
	INSERT INTO vectorization_queue (tenant_id, integration_id, entity, external_id, operation)
	VALUES ($ta, $ia, 'prs', 'PR_3', 'delete')" > /dev/null
ph vectorize run --tenant acme --json > "$WH_DIR/run3.json"
jq -e '.claimed == 2 and .embedded == 1 and .deleted == 1' "$WH_DIR/run3.json" > /dev/null ||
	wh_fail "update/delete run: $(cat "$WH_DIR/run3.json")"
n=$(wh_sql "SELECT count(*) FROM pgvectors WHERE tenant_id = $ta")
[ "$n" = 2 ] || wh_fail "after a delete: $n vectors, want 2"
n=$(wh_sql "SELECT status FROM vector_references WHERE tenant_id = $ta AND external_id = 'PR_3'")
[ "$n" = deleted ] || wh_fail "PR_3's reference is '$n', want deleted"
ph search --tenant acme --json "PostgreSQL driver upgrade" > "$WH_DIR/s3.json"
jq -e '[.hits[].external_id] | index("acme/api#18") == null' "$WH_DIR/s3.json" > /dev/null ||
	wh_fail "a deleted PR is still found: $(cat "$WH_DIR/s3.json")"
ph search --tenant acme --json "high contrast theme" > "$WH_DIR/s4.json"
jq -e '.hits[0].external_id == "acme/web#5"' "$WH_DIR/s4.json" > /dev/null ||
	wh_fail "the updated title is not found: $(cat "$WH_DIR/s4.json")"

# the embedder unreachable: the batch goes back with backoff, nothing lost
for k in $(seq 20 39); do vx_pr "$ta" "$ia" "PR_$k" acme/ops "$k" "Runbook entry number $k for paging alerts"; done
kill "$VX_OAI_PID"; wait "$VX_OAI_PID" 2>/dev/null || :
rc=0; ph vectorize run --tenant acme --json > "$WH_DIR/run4.json" 2> "$WH_DIR/run4.err" || rc=$?
[ "$rc" = 3 ] || wh_fail "an unreachable embedder: exit $rc, want 3 (retry later): $(cat "$WH_DIR/run4.err")"
jq -e '.retried == 20 and .upserted == 0' "$WH_DIR/run4.json" > /dev/null ||
	wh_fail "unreachable run: $(cat "$WH_DIR/run4.json")"
n=$(wh_sql "SELECT count(*) FROM vectorization_queue WHERE tenant_id = $ta AND status = 'pending' AND next_attempt_at > now() AND error IS NOT NULL")
[ "$n" = 20 ] || wh_fail "$n rows wait for a retry with a reason, want 20"
# back, on the same port; make the retries due now
node "$abs_top_srcdir/tests/sandbox/openai/server.js" --port "$(cat "$WH_DIR/oai.port")" > "$WH_DIR/oai2.log" 2>&1 &
VX_OAI_PID=$!
wh_wait_for 10 "the sandbox back" curl -fsS "$VX_OAI/_sandbox/stats"
wh_sql "UPDATE vectorization_queue SET next_attempt_at = now() WHERE tenant_id = $ta" > /dev/null
ph vectorize run --tenant acme --json > "$WH_DIR/run5.json"
jq -e '.embedded == 20 and .failed == 0' "$WH_DIR/run5.json" > /dev/null ||
	wh_fail "catch-up run: $(cat "$WH_DIR/run5.json")"
n=$(wh_sql "SELECT count(*) FROM pgvectors WHERE tenant_id = $ta")
[ "$n" = 22 ] || wh_fail "after catch-up: $n vectors, want 22"

# kill -9 mid-run (one batch of 5 per claim, slowed embedder), restart:
# the same final state as a clean run
for k in $(seq 100 159); do vx_pr "$ta" "$ia" "PR_$k" acme/big "$k" "Refactor module $k of the billing service"; done
curl -fsS -X POST "$VX_OAI/_sandbox/fault" -H 'content-type: application/json' \
	-d '{"kind":"slow","count":3,"delay_ms":1500,"path":"embeddings"}' > /dev/null ||
	wh_fail "could not arm the sandbox's slow fault"
# the binary itself, not the ph function: kill -9 must reach it, not a subshell
"$WH_BIN" -c "$WH_CONF" vectorize run --tenant acme --batch 5 > "$WH_DIR/run6.log" 2>&1 &
vp=$!
big_done() {
	[ "$(wh_sql "SELECT count(*) FROM vectorization_queue WHERE tenant_id = $ta AND status = 'completed' AND external_id ~ '^PR_1[0-5][0-9]$'")" -ge 5 ]
}
harness_wait_for 90 "a batch done" big_done || { cat "$WH_DIR/run6.log" >&2; wh_fail "see above"; }
kill -9 "$vp"; wait "$vp" 2>/dev/null || :
n=$(wh_sql "SELECT count(*) FROM vectorization_queue WHERE tenant_id = $ta AND status <> 'completed'")
[ "$n" -gt 0 ] || wh_fail "the kill came too late to test anything"
# the dead process's claims are swept at the next run (dead pid on this host)
ph vectorize run --tenant acme --json > "$WH_DIR/run6.json"
[ "$(vx_pending "$ta")" = 0 ] || wh_fail "rows left after the restart: $(cat "$WH_DIR/run6.json")"
n=$(wh_sql "SELECT count(*) FROM pgvectors WHERE tenant_id = $ta")
[ "$n" = 82 ] || wh_fail "after kill -9 and restart: $n vectors, want 82"
n=$(wh_sql "SELECT count(*) FROM (SELECT point_id FROM pgvectors WHERE tenant_id = $ta GROUP BY 1 HAVING count(*) > 1) d")
[ "$n" = 0 ] || wh_fail "$n duplicated points"
n=$(wh_sql "SELECT count(*) FROM vector_references WHERE tenant_id = $ta AND status = 'stored'")
[ "$n" = 82 ] || wh_fail "after kill -9 and restart: $n references, want 82"

# status and rebuild
ph vectorize status --tenant acme --json > "$WH_DIR/st.json"
jq -e '.pending == 0 and .failed == 0 and .vectors == 82 and .by_operation.insert.completed > 0
	and .by_table.prs.completed > 0' "$WH_DIR/st.json" > /dev/null ||
	wh_fail "status: $(cat "$WH_DIR/st.json")"
ph vectorize rebuild --tenant acme --table prs --json > "$WH_DIR/rb.json"
jq -e '.queued == 82' "$WH_DIR/rb.json" > /dev/null || wh_fail "rebuild: $(cat "$WH_DIR/rb.json")"
ph vectorize run --tenant acme --json > "$WH_DIR/run7.json"
jq -e '.embedded == 82' "$WH_DIR/run7.json" > /dev/null || wh_fail "rebuild run: $(cat "$WH_DIR/run7.json")"
wh_expect_fail "$WH_DIR/rb.err" ph vectorize rebuild --tenant acme --table "prs; DROP TABLE prs"
wh_contains "$WH_DIR/rb.err" "is not a table with a text"
wh_contains "$WH_DIR/rb.err" "use one of work_items, changelogs, prs, prs_reviews, prs_comments, prs_commits, repositories, projects, wits, statuses, workflows, sprints, wits_prs_links"
echo PASS
