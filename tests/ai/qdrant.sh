#!/bin/bash
# The qdrant vector store (plugins/provider-qdrant) against the Qdrant
# sandbox, through vectorize and search: the collection (m 0, payload_m 16)
# and its is_tenant index come before the first upsert (the sandbox's call
# order), the API key travels as the api-key header, idempotent point ids,
# deletes, the tenant condition on every query and delete (the sandbox's
# request log), scores equal to the embedded store's, a store that leaks
# another tenant's points (dropped by the host), and every error row:
# 409 create, 404 (recreate once), 400 wrong dimension, 401, 403, 422,
# 429 with Retry-After, 503 (retried, then transient).
set -euo pipefail
. "$abs_top_srcdir/tests/db/warehouse-lib.sh"
. "$abs_top_srcdir/tests/ai/vectors-lib.sh"
VX_QDRANT=1
vx_setup
read -r ta ia < <(vx_tenant acme)
C=pulse_sandbox_embed_384
# re-embed acme's live PRs (rebuild would queue its repositories too)
requeue() {
	wh_sql "UPDATE vector_references SET text_hash = NULL WHERE tenant_id = $ta;
		INSERT INTO vectorization_queue (tenant_id, integration_id, entity, external_id, operation)
		SELECT tenant_id, integration_id, 'prs', external_id, 'update' FROM prs
		WHERE tenant_id = $ta AND deleted_at IS NULL" > /dev/null
}

vx_pr "$ta" "$ia" PR_1 acme/api 17 "Fix cache eviction race in session store"
vx_pr "$ta" "$ia" PR_2 acme/web 5 "Add dark mode toggle to settings page"
vx_pr "$ta" "$ia" PR_3 acme/api 18 "Upgrade PostgreSQL driver to version 16"
ph vectorize run --tenant acme --json > "$WH_DIR/run1.json"
jq -e '.upserted == 3 and .failed == 0' "$WH_DIR/run1.json" > /dev/null ||
	wh_fail "first run: $(cat "$WH_DIR/run1.json")"
qd_stats > "$WH_DIR/st1.json"

# --- the collection, its settings and the tenant index before any point
jq -e --arg c "$C" '.collections[$c] | .size == 384 and .distance == "Cosine"
	and .hnsw_config.m == 0 and .hnsw_config.payload_m == 16
	and .payload_schema.tenant_id.type == "keyword" and .payload_schema.tenant_id.is_tenant == true
	and .tenant_index_before_first_upsert and .points_before_tenant_index == 0 and .points == 3' \
	"$WH_DIR/st1.json" > /dev/null || wh_fail "collection settings: $(jq -c .collections "$WH_DIR/st1.json")"
# in the request log: create < index < first upsert
jq -e '[.requests[] | select(.status == 200) | .op] as $o
	| ($o | index("create_collection")) < ($o | index("create_index"))
	and ($o | index("create_index")) < ($o | index("upsert"))' "$WH_DIR/st1.json" > /dev/null ||
	wh_fail "call order: $(jq -c '[.requests[] | [.op, .status]]' "$WH_DIR/st1.json")"
jq -e '[.requests[] | select(.op == "upsert")] | all(.path | endswith("?wait=true"))' "$WH_DIR/st1.json" > /dev/null ||
	wh_fail "upserts without wait=true"
jq -e '.last_headers["api-key"] == "***"' "$WH_DIR/st1.json" > /dev/null ||
	wh_fail "no api-key header: $(jq -c .last_headers "$WH_DIR/st1.json")"
# the vectors went to qdrant, not to the embedded store
[ "$(wh_sql "SELECT count(*) FROM pgvectors WHERE tenant_id = $ta")" = 0 ] || wh_fail "points landed in pgvectors"
[ "$(wh_sql "SELECT count(*) FROM vector_references WHERE tenant_id = $ta AND store = 'qdrant' AND collection = '$C'")" = 3 ] ||
	wh_fail "vector_references do not name the qdrant store"
# the payload of a point
qd_api GET "/_sandbox/points?collection=$C" > "$WH_DIR/pts.json"
jq -e --arg t "$ta" --argjson i "$ia" '.points | length == 3 and all(.[];
	.payload.tenant_id == $t and .payload.integration_id == $i and .payload.table == "prs"
	and (.payload.external_id | startswith("PR_")) and (.payload.title | length > 0)
	and (.payload.url | startswith("https://")) and (.payload.updated_at | length > 0)
	and (.id | test("^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")))' \
	"$WH_DIR/pts.json" > /dev/null || wh_fail "point payloads: $(cat "$WH_DIR/pts.json")"

# --- search through qdrant; the same scores as the embedded store's
ph search --tenant acme --json "session store cache eviction" > "$WH_DIR/s1.json"
jq -e '.hits[0].external_id == "acme/api#17" and .hits[0].table == "prs"' "$WH_DIR/s1.json" > /dev/null ||
	wh_fail "search via qdrant: $(cat "$WH_DIR/s1.json")"
read -r tp ip < <(VX_QDRANT= vx_tenant plain)
vx_pr "$tp" "$ip" PR_1 acme/api 17 "Fix cache eviction race in session store"
vx_pr "$tp" "$ip" PR_2 acme/web 5 "Add dark mode toggle to settings page"
vx_pr "$tp" "$ip" PR_3 acme/api 18 "Upgrade PostgreSQL driver to version 16"
ph vectorize run --tenant plain > /dev/null
[ "$(wh_sql "SELECT count(*) FROM pgvectors WHERE tenant_id = $tp")" = 3 ] || wh_fail "a tenant without qdrant must use pgvectors"
ph search --tenant plain --json "session store cache eviction" > "$WH_DIR/s1p.json"
jq -e --slurpfile q "$WH_DIR/s1.json" '[.hits[] | [.external_id, .score]] as $p
	| [$q[0].hits[] | [.external_id, .score]] as $r
	| ($p | length) == ($r | length) and ([range($p | length)] | all(. as $k |
	  $p[$k][0] == $r[$k][0] and (($p[$k][1] - $r[$k][1]) | fabs) < 0.00001))' "$WH_DIR/s1p.json" > /dev/null ||
	wh_fail "qdrant and pgvectors scores differ: $(jq -c .hits "$WH_DIR/s1.json") vs $(jq -c .hits "$WH_DIR/s1p.json")"
# a score threshold and a table filter reach the query
ph search --tenant acme --json --table prs --integration "$ia" --since 2000-01-01 "dark mode" > /dev/null
qd_stats | jq -e --arg t "$ta" --argjson i "$ia" '[.requests[] | select(.op == "query")] | last | .body
	| .with_payload == true and .limit == 10 and (.filter.must | any(.key == "table" and .match.any == ["prs"]))
	and (.filter.must | any(.key == "integration_id" and .match.value == $i))
	and (.filter.must | any(.key == "updated_epoch" and .range.gte == 946684800))' > /dev/null ||
	wh_fail "query body: $(qd_stats | jq -c '[.requests[] | select(.op == "query")] | last')"

# --- idempotent ids: re-embedding overwrites, the count stays
requeue
ph vectorize run --tenant acme --json > "$WH_DIR/run2.json"
jq -e '.upserted == 3' "$WH_DIR/run2.json" > /dev/null || wh_fail "rebuild run: $(cat "$WH_DIR/run2.json")"
qd_api GET "/_sandbox/points?collection=$C" > "$WH_DIR/pts2.json"
[ "$(jq '.points | length' "$WH_DIR/pts2.json")" = 3 ] || wh_fail "re-vectorizing duplicated points"
[ "$(jq -c '[.points[].id] | sort' "$WH_DIR/pts.json")" = "$(jq -c '[.points[].id] | sort' "$WH_DIR/pts2.json")" ] ||
	wh_fail "point ids changed on re-vectorizing"
# the second ensure met a 409, which is success
qd_stats | jq -e '[.requests[] | select(.op == "create_collection") | .status] | index(409) != null' > /dev/null ||
	wh_fail "no 409 on the second create"

# --- delete: by ids, inside the tenant
wh_sql "UPDATE prs SET deleted_at = now() WHERE tenant_id = $ta AND external_id = 'PR_3';
	INSERT INTO vectorization_queue (tenant_id, integration_id, entity, external_id, operation)
	VALUES ($ta, $ia, 'prs', 'PR_3', 'delete')" > /dev/null
ph vectorize run --tenant acme --json > "$WH_DIR/run3.json"
jq -e '.deleted == 1' "$WH_DIR/run3.json" > /dev/null || wh_fail "delete run: $(cat "$WH_DIR/run3.json")"
qd_stats > "$WH_DIR/st3.json"
jq -e --arg c "$C" '.collections[$c].points == 2' "$WH_DIR/st3.json" > /dev/null || wh_fail "the deleted point is still there"
jq -e '[.requests[] | select(.op == "delete")] | last | .deleted == 1
	and (.body.filter.must | any(has("has_id")))' "$WH_DIR/st3.json" > /dev/null ||
	wh_fail "delete by ids: $(jq -c '[.requests[] | select(.op == "delete")] | last' "$WH_DIR/st3.json")"

# --- two tenants in one collection; a store that ignores the filter
read -r tb ib < <(vx_tenant beta)
vx_pr "$tb" "$ib" PR_1 beta/api 17 "Fix cache eviction race in session store"
vx_pr "$tb" "$ib" PR_9 beta/vault 9 "Rotate the production signing keys"
ph vectorize run --tenant beta > /dev/null
qd_stats | jq -e --arg c "$C" '.collections | length == 1 and .[$c].points == 4' > /dev/null ||
	wh_fail "one collection per model, not per tenant: $(qd_stats | jq -c .collections)"
qd_api POST /_sandbox/fault '{"kind":"leak","op":"query","count":1}' > /dev/null
ph search --tenant acme --json --limit 50 "session store cache eviction" > "$WH_DIR/leak.json" 2> "$WH_DIR/leak.err"
jq -e '(.hits | length) == 2 and all(.hits[]; .external_id | startswith("acme/"))' "$WH_DIR/leak.json" > /dev/null ||
	wh_fail "a leaking store crossed tenants: $(cat "$WH_DIR/leak.json")"
qd_stats | jq -e '.faults_served.leak == 1 and ([.requests[] | select(.op == "query")] | last | .hits) == 4' > /dev/null ||
	wh_fail "the leak fault was not served"
wh_contains "$WH_DIR/leak.err" "not tenant $ta's; dropped"

# --- every error row
fault() { qd_api POST /_sandbox/fault "$1" > /dev/null; }
nq() { qd_stats | jq '.calls.query'; }
# 429 with Retry-After: waited, retried, served
n0=$(nq); fault '{"kind":"rate_limit","op":"query","retry_after":1}'
ph search --tenant acme --json "dark mode" > "$WH_DIR/e1.json" || wh_fail "a 429 was not retried"
[ "$(nq)" = $((n0 + 2)) ] || wh_fail "429: $(($(nq) - n0)) queries, want 2"
# 503: retried
n0=$(nq); fault '{"kind":"unavailable","op":"query"}'
ph search --tenant acme --json "dark mode" > /dev/null || wh_fail "a 503 was not retried"
[ "$(nq)" = $((n0 + 2)) ] || wh_fail "503: $(($(nq) - n0)) queries, want 2"
# 503 that stays: max_retries (2), then transient
n0=$(nq); fault '{"kind":"unavailable","op":"query","count":-1}'
wh_expect_fail "$WH_DIR/e2.err" ph search --tenant acme "dark mode"
wh_contains "$WH_DIR/e2.err" "will retry"
wh_contains "$WH_DIR/e2.err" "HTTP 503: Service unavailable"
[ "$(nq)" = $((n0 + 3)) ] || wh_fail "a lasting 503: $(($(nq) - n0)) queries, want 3"
qd_api DELETE /_sandbox/fault > /dev/null
# 401 and 403 (plain text): permanent, no retry
for k in unauthorized:401 forbidden:403; do
	n0=$(nq); fault "{\"kind\":\"${k%:*}\",\"op\":\"query\"}"
	wh_expect_fail "$WH_DIR/e3.err" ph search --tenant acme "dark mode"
	wh_contains "$WH_DIR/e3.err" "refused the key (HTTP ${k#*:}:"
	wh_contains "$WH_DIR/e3.err" "permanent"
	[ "$(nq)" = $((n0 + 1)) ] || wh_fail "${k#*:} was retried"
done
# 422: permanent, Qdrant's message passed on
fault '{"kind":"validation","op":"query"}'
wh_expect_fail "$WH_DIR/e4.err" ph search --tenant acme "dark mode"
wh_contains "$WH_DIR/e4.err" "HTTP 422: Validation error in JSON body"
wh_contains "$WH_DIR/e4.err" "permanent"
# a wrong key: the sandbox's own 401, plain text
read -r tg _ < <(VX_QDRANT= vx_tenant gamma)
qd_add gamma '{"api_key":"wrong-key"}' > /dev/null
wh_expect_fail "$WH_DIR/e8.err" ph search --tenant gamma "dark mode"
wh_contains "$WH_DIR/e8.err" "refused the key (HTTP 401: Invalid API key or JWT)"
# 404: the collection is gone; the query recreates it once (with its index)
qd_api DELETE "/collections/$C" > /dev/null
ph search --tenant acme --json "dark mode" > "$WH_DIR/e5.json" || wh_fail "404 was not handled by recreating"
[ "$(jq '.hits | length' "$WH_DIR/e5.json")" = 0 ] || wh_fail "hits from a recreated collection"
qd_stats | jq -e --arg c "$C" '.collections[$c].payload_schema.tenant_id.is_tenant == true
	and ([.requests[-4:][] | [.op, .status]] == [["query",404],["create_collection",200],["create_index",200],["query",200]])' > /dev/null ||
	wh_fail "404 → recreate → query: $(qd_stats | jq -c '[.requests[-5:][] | [.op, .status]]')"
requeue
ph vectorize run --tenant acme --json > "$WH_DIR/run4.json"
jq -e '.upserted == 2' "$WH_DIR/run4.json" > /dev/null || wh_fail "refill: $(cat "$WH_DIR/run4.json")"
# 400 wrong dimension: a collection of another size, both numbers named
qd_api DELETE "/collections/$C" > /dev/null
qd_api PUT "/collections/$C" '{"vectors":{"size":3,"distance":"Cosine"}}' > /dev/null
wh_expect_fail "$WH_DIR/e6.err" ph search --tenant acme "dark mode"
wh_contains "$WH_DIR/e6.err" "holds 3-dimensional vectors, the request has 384"
wh_contains "$WH_DIR/e6.err" "permanent"
vx_pr "$ta" "$ia" PR_4 acme/api 19 "Another change"
rc=0; ph vectorize run --tenant acme > "$WH_DIR/e7.out" 2> "$WH_DIR/e7.err" || rc=$?
[ "$rc" != 0 ] || wh_fail "vectorize into a 3-dim collection succeeded"
wh_contains "$WH_DIR/e7.err" "exists with 3-dimensional Cosine vectors, pulse-host needs 384-dimensional Cosine"

# --- the tenant condition on every query and delete the sandbox saw
qd_stats > "$WH_DIR/st9.json"
jq -e --arg a "$ta" --arg b "$tb" --arg g "$tg" '[.requests[] | select(.op == "query" or .op == "delete")] as $r
	| ($r | length) > 10 and ($r | all(.body.filter.must[0] as $c
	  | $c.key == "tenant_id" and ([$a, $b, $g] | index($c.match.value)) != null))' "$WH_DIR/st9.json" > /dev/null ||
	wh_fail "a query or delete without the tenant condition: $(jq -c '[.requests[] | select(.op == "query" or .op == "delete") | .body.filter]' "$WH_DIR/st9.json")"
# no secret in the log or the sandbox's record
! grep -qF "$(cat "$WH_DIR/qd.key")" "$WH_DIR/st9.json" "$WH_DIR"/*.err || wh_fail "the API key leaked"
echo PASS
