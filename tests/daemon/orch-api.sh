#!/bin/bash
# REST API and auth of `pulse-host run` (server role only, so nothing runs
# jobs behind the test's back): 401 vs 403, alg none, a foreign signature,
# expired tokens, another tenant's ids (404), the role matrix, job control
# through the state machine (legal moves recorded, illegal ones 409),
# integrations CRUD with write-only secrets, raw rows, queue summary,
# health, readiness, DORA, the WebSocket handshake.
set -euo pipefail
. "$abs_top_srcdir/tests/daemon/orch-lib.sh"
orch_setup
sed -i 's/^worker_roles = .*/worker_roles = ["server"];/' "$WH_CONF"
ph tenant add acme >/dev/null
ph tenant add other >/dev/null
i1=$(orch_add acme s1 sandbox '{"repos":1,"prs_per_repo":3,"page_size":5}')
i2=$(orch_add other o1 sandbox '{"repos":1,"prs_per_repo":3,"page_size":5}')
j1=$(orch_job "$i1")
j2=$(orch_job "$i2")
orch_daemon main "$WH_CONF"

VIEW=$(orch_token acme view)
USER=$(orch_token acme user)
ADMIN=$(orch_token acme admin)
OTHER=$(orch_token other admin)
[ "$(stat -c %a "$WH_DIR/jwt.key")" = 600 ] || wh_fail "jwt.key is not mode 0600"

# ---- health (no token needed)
orch_expect 200 GET /healthz ""
orch_expect 200 GET /readyz ""
grep -q '"database":"ok"' "$WH_DIR/resp.json" || wh_fail "readyz: $(cat "$WH_DIR/resp.json")"

# ---- 401: no token, garbage, alg none, foreign key, expired
orch_expect 401 GET /api/v1/jobs ""
grep -q '"code":"unauthorized"' "$WH_DIR/resp.json" || wh_fail "401 body: $(cat "$WH_DIR/resp.json")"
orch_expect 401 GET /api/v1/jobs "not-a-token"
b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }
exp=$(( $(date +%s) + 3600 ))
none="$(printf '{"alg":"none","typ":"JWT"}' | b64url).$(printf '{"tenant":1,"role":"admin","exp":%s}' "$exp" | b64url)."
orch_expect 401 GET /api/v1/jobs "$none"
grep -q "algorithm 'none' refused" "$WH_DIR/resp.json" || wh_fail "alg none: $(cat "$WH_DIR/resp.json")"
# signed with another key: same claims, different jwt_key_file
sed "s|$WH_DIR/jwt.key|$WH_DIR/other-jwt.key|" "$WH_CONF" > "$WH_DIR/otherkey.conf"
FOREIGN=$("$WH_BIN" -c "$WH_DIR/otherkey.conf" token issue --tenant acme --role admin)
orch_expect 401 GET /api/v1/jobs "$FOREIGN"
grep -q "signature is invalid" "$WH_DIR/resp.json" || wh_fail "bad signature: $(cat "$WH_DIR/resp.json")"
# payload swapped under a valid signature (role escalation)
IFS=. read -r h _ s <<< "$VIEW"
forged="$h.$(printf '{"tenant":1,"role":"admin","exp":%s}' "$exp" | b64url).$s"
orch_expect 401 GET /api/v1/jobs "$forged"
SHORT=$(orch_token acme admin 1s)
# Wait until the clock is a second past the token's own exp claim.
IFS=. read -r _ short_payload _ <<< "$SHORT"
short_payload=$(printf '%s' "$short_payload" | tr -- '-_' '+/')
while [ $(( ${#short_payload} % 4 )) != 0 ]; do short_payload+='='; done
short_exp=$(printf '%s' "$short_payload" | base64 -d | jq -e .exp) || wh_fail "no exp in the 1s token"
past() { [ "$(date +%s)" -gt "$1" ]; }
wh_wait_for 30 "the 1s token to expire (exp $short_exp)" past $((short_exp + 1))
orch_expect 401 GET /api/v1/jobs "$SHORT"
grep -q "expired" "$WH_DIR/resp.json" || wh_fail "expired: $(cat "$WH_DIR/resp.json")"
wh_expect_fail "$WH_DIR/tok.err" ph token issue --tenant nosuch --role view
wh_contains "$WH_DIR/tok.err" "no tenant 'nosuch'"
wh_expect_fail "$WH_DIR/tok.err" ph token issue --tenant acme --role root
wh_contains "$WH_DIR/tok.err" "not admin, user or view"

# ---- reads for every role; another tenant's ids are 404
for t in "$VIEW" "$USER" "$ADMIN"; do
	orch_expect 200 GET /api/v1/jobs "$t"
	grep -q "\"id\":$j1," "$WH_DIR/resp.json" || wh_fail "job $j1 not listed"
	grep -q '"depends_on":\[\]' "$WH_DIR/resp.json" || wh_fail "job listing without depends_on"
	grep -q "\"id\":$j2," "$WH_DIR/resp.json" && wh_fail "tenant other's job $j2 listed to acme"
done
orch_expect 200 GET "/api/v1/jobs/$j1" "$VIEW"
grep -q '"transitions":\[' "$WH_DIR/resp.json" || wh_fail "job detail has no transitions"
orch_expect 404 GET "/api/v1/jobs/$j2" "$ADMIN"
orch_expect 404 POST "/api/v1/jobs/$j2/start" "$ADMIN"
orch_expect 404 GET "/api/v1/integrations/$i2" "$ADMIN"
orch_expect 404 DELETE "/api/v1/integrations/$i2" "$ADMIN"
[ "$(orch_state "$j2")" = NOT_STARTED ] || wh_fail "acme's admin changed other's job"
orch_expect 404 GET /api/v1/nosuch "$VIEW"
orch_expect 405 DELETE /api/v1/jobs "$ADMIN"
orch_expect 200 GET /api/v1/me "$USER"
grep -q '"role":"user"' "$WH_DIR/resp.json" || wh_fail "me: $(cat "$WH_DIR/resp.json")"

# ---- 403: valid token, role not allowed
orch_expect 403 POST "/api/v1/jobs/$j1/start" "$VIEW"
grep -q '"code":"forbidden"' "$WH_DIR/resp.json" || wh_fail "403 body: $(cat "$WH_DIR/resp.json")"
orch_expect 403 POST /api/v1/integrations "$USER" '{"name":"x","plugin":"sandbox"}'
orch_expect 403 DELETE "/api/v1/integrations/$i1" "$VIEW"
orch_expect 403 PATCH "/api/v1/integrations/$i1" "$USER" '{"enabled":false}'
# every integration write is refused to view and user; view may read
for t in "$VIEW" "$USER"; do
	orch_expect 403 POST /api/v1/integrations "$t" '{"name":"x","plugin":"sandbox"}'
	orch_expect 403 PATCH "/api/v1/integrations/$i1" "$t" '{"enabled":false}'
	orch_expect 403 PUT "/api/v1/integrations/$i1" "$t" '{"enabled":false}'
	orch_expect 403 DELETE "/api/v1/integrations/$i1" "$t"
done
orch_expect 200 GET "/api/v1/integrations/$i1" "$VIEW"

# ---- job control walks the state machine
orch_expect 409 POST "/api/v1/jobs/$j1/pause" "$USER"   # NOT_STARTED -> PAUSED
grep -q "cannot pause it" "$WH_DIR/resp.json" || wh_fail "409 body: $(cat "$WH_DIR/resp.json")"
orch_expect 409 POST "/api/v1/jobs/$j1/resume" "$USER"
orch_expect 200 POST "/api/v1/jobs/$j1/start" "$USER"   # NOT_STARTED -> PENDING
[ "$(orch_state "$j1")" = PENDING ] || wh_fail "start did not make job PENDING"
orch_expect 409 POST "/api/v1/jobs/$j1/start" "$USER"   # already PENDING
orch_expect 200 POST "/api/v1/jobs/$j1/pause" "$USER"   # PENDING -> PAUSED
[ "$(orch_state "$j1")" = PAUSED ] || wh_fail "pause did not make job PAUSED"
orch_expect 409 POST "/api/v1/jobs/$j1/stop" "$USER"    # nothing to stop
# (with "Content-Length: 0", as browsers send it: one JSON answer)
orch_expect 202 POST "/api/v1/jobs/$j1/resume" "$USER" ""  # asks the orchestrator
grep -q '^{"accepted":"resume","job":{' "$WH_DIR/resp.json" || wh_fail "resume answer: $(cat "$WH_DIR/resp.json")"
[ "$(wh_sql "SELECT auto_resume FROM etl_jobs WHERE id = $j1")" = t ] || wh_fail "resume not recorded"
orch_expect 404 POST "/api/v1/jobs/$j1/explode" "$ADMIN"
n=$(wh_sql "SELECT count(*) FROM job_transitions WHERE job_id = $j1")
[ "$n" = 2 ] || wh_fail "expected 2 transitions of job $j1, found $n"
wh_sql "SELECT reason FROM job_transitions WHERE job_id = $j1" | grep -q "pause requested by cli (role user)" ||
	wh_fail "transition reason does not name the caller"
orch_check_transitions

# ---- integrations: create (secrets write-only), read, update, delete
body='{"name":"api1","plugin":"sandbox","settings":{"repos":2},"secrets":{"token":"s3cr3t-value-42"}}'
orch_expect 201 POST /api/v1/integrations "$ADMIN" "$body"
grep -q '"token":"<set>"' "$WH_DIR/resp.json" || wh_fail "secret state not shown: $(cat "$WH_DIR/resp.json")"
grep -q 's3cr3t-value-42' "$WH_DIR/resp.json" && wh_fail "secret echoed by the API"
ni=$(sed -n 's/^{"id":\([0-9]*\),.*/\1/p' "$WH_DIR/resp.json")
[ -n "$ni" ] || wh_fail "no id in $(cat "$WH_DIR/resp.json")"
[ "$(wh_sql "SELECT count(*) FROM integrations WHERE id = $ni AND tenant_id = (SELECT id FROM tenants WHERE name = 'acme') AND settings::text NOT LIKE '%s3cr3t%' AND credentials IS NOT NULL")" = 1 ] ||
	wh_fail "integration $ni not stored for acme with encrypted credentials"
[ -n "$(orch_job "$ni")" ] || wh_fail "no job made for the new Data integration"
orch_expect 400 POST /api/v1/integrations "$ADMIN" '{"name":"bad","plugin":"sandbox","settings":{"nosuch":1}}'
grep -q "nosuch" "$WH_DIR/resp.json" || wh_fail "unknown field not named: $(cat "$WH_DIR/resp.json")"
orch_expect 400 POST /api/v1/integrations "$ADMIN" '{"name":"bad","plugin":"nosuchplugin"}'
orch_expect 400 POST /api/v1/integrations "$ADMIN" '{not json'
orch_expect 409 POST /api/v1/integrations "$ADMIN" "$body"
orch_expect 200 PATCH "/api/v1/integrations/$ni" "$ADMIN" '{"enabled":false,"name":"api1-renamed"}'
[ "$(wh_sql "SELECT enabled::text || name FROM integrations WHERE id = $ni")" = falseapi1-renamed ] || wh_fail "PATCH not applied"
orch_expect 200 GET /api/v1/integrations "$VIEW"
grep -q '"name":"api1-renamed"' "$WH_DIR/resp.json" || wh_fail "list misses the renamed integration"
orch_expect 204 DELETE "/api/v1/integrations/$ni" "$ADMIN"
[ "$(wh_sql "SELECT count(*) FROM integrations WHERE id = $ni")" = 0 ] || wh_fail "DELETE did not delete"

# ---- raw rows, queue, health, DORA
wh_sql "INSERT INTO raw_extraction_data (tenant_id, integration_id, entity, request_url, http_status, body, status, error, attempts) SELECT tenant_id, id, 'prs', 'https://x/1', 200, '{\"a\":1}', 'failed', 'field x missing', 2 FROM integrations WHERE id = $i1" >/dev/null
rid=$(wh_sql "SELECT max(id) FROM raw_extraction_data")
orch_expect 200 GET /api/v1/raw "$VIEW"
grep -q '"error":"field x missing"' "$WH_DIR/resp.json" || wh_fail "failed raw rows: $(cat "$WH_DIR/resp.json")"
orch_expect 200 GET "/api/v1/raw/$rid" "$VIEW"
grep -q '"body":{"a":1}' "$WH_DIR/resp.json" || wh_fail "raw row body: $(cat "$WH_DIR/resp.json")"
orch_expect 404 GET "/api/v1/raw/$rid" "$OTHER"
wh_sql "INSERT INTO vectorization_queue (tenant_id, integration_id, entity, external_id, operation) SELECT tenant_id, id, 'prs', e, op FROM integrations, (VALUES ('1','insert'), ('2','insert'), ('3','update'), ('4','delete')) v(e, op) WHERE id = $i1" >/dev/null
orch_expect 200 GET /api/v1/queue "$VIEW"
grep -q '"by_operation":{"insert":2,"update":1,"delete":1}' "$WH_DIR/resp.json" ||
	wh_fail "queue summary: $(cat "$WH_DIR/resp.json")"
orch_expect 200 GET /api/v1/queue "$OTHER"
grep -q '"by_operation":{"insert":0,"update":0,"delete":0}' "$WH_DIR/resp.json" ||
	wh_fail "other tenant sees acme's queue: $(cat "$WH_DIR/resp.json")"
orch_expect 200 GET /api/v1/health "$VIEW"
grep -q '"database":"ok"' "$WH_DIR/resp.json" || wh_fail "health: $(cat "$WH_DIR/resp.json")"
orch_expect 200 GET "/api/v1/metrics/dora?from=2026-01-01&to=2026-03-31" "$VIEW"
# The API answers exactly what `pulse-host dora --json` prints.
cp "$WH_DIR/resp.json" "$WH_DIR/dora-api.json"
ph dora --tenant acme --from 2026-01-01 --to 2026-03-31 --json > "$WH_DIR/dora-cli.json"
node -e '
	const fs = require("fs");
	const [a, b] = process.argv.slice(1).map((f) => JSON.parse(fs.readFileSync(f, "utf8")));
	const sort = (v) => Array.isArray(v) ? v.map(sort) : v && typeof v === "object" ?
		Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort(v[k])])) : v;
	if (JSON.stringify(sort(a)) !== JSON.stringify(sort(b))) process.exit(1);
	if (!a.deployment_frequency || !a.lead_time || !a.change_failure_rate || !a.recovery_time) process.exit(2);
' "$WH_DIR/dora-api.json" "$WH_DIR/dora-cli.json" ||
	wh_fail "GET /api/v1/metrics/dora differs from pulse-host dora --json: $(cat "$WH_DIR/dora-api.json") vs $(cat "$WH_DIR/dora-cli.json")"
orch_expect 400 GET "/api/v1/metrics/dora?from=yesterday" "$VIEW"

# ---- the viewer page and the WebSocket handshake
orch_expect 200 GET / ""
grep -q "pulse-host console" "$WH_DIR/resp.json" || wh_fail "console page not served"
orch_expect 200 GET /app.mjs ""
rc=0; orch_ws bad "$FOREIGN" 5 || rc=$?
[ "$rc" = 3 ] || wh_fail "WebSocket accepted a token signed with another key"
orch_ws good "$VIEW" 5 || wh_fail "WebSocket refused a valid token"
orch_ws_stop good

# Secrets never reach the log.
grep -q 's3cr3t-value-42' "$WH_DIR/main.log" && wh_fail "a secret was logged"
orch_stop main
echo "orch-api: ok"
