#!/bin/bash
# POST /api/v1/ai/query through `pulse-host run`: the token's tenant only,
# role user or admin (view refused), the same answer JSON as
# `pulse-host ask --json`, bad bodies refused with a clear message.
. "$abs_top_srcdir/tests/ask/ask-lib.sh"
. "$abs_top_srcdir/tests/daemon/orch-lib.sh"
ask_setup
ask_llm
trap 'orch_cleanup; oai_stop' EXIT
ask_conf "jwt_key_file = \"$WH_DIR/jwt.key\";" \
	"listen = \"127.0.0.1:$(harness_free_port "$WH_DIR")\";" \
	'worker_roles = ["server"];' 'log_level = "info";'
ORCH_URL=http://127.0.0.1:$(orch_port "$WH_CONF")
orch_daemon main "$WH_CONF"
VIEW=$(orch_token acme view)
USER=$(orch_token acme user)
ADMIN=$(orch_token acme admin)
BRAVO=$(orch_token bravo user)

ask_script '^Classify: ' '{"intent": "structured", "confidence": 0.9}'
ask_script '^Summarize: ' 'Summary from the rows given.'
Q='Which pull requests are drafts?'
ask_script "$(ask_re "Question: $Q")" "$(ask_sql_reply 'SELECT pr_id, title FROM q_pull_requests WHERE is_draft ORDER BY pr_id')"
Q2='Which pull requests did the other company merge?'
ask_script "$(ask_re "Question: $Q2")" "$(ask_sql_reply "SELECT pr_id, title FROM q_pull_requests WHERE state = 'MERGED' AND (repository = 'secret-b/vault' OR repository LIKE 'acme/%') ORDER BY pr_id")"
body() { jq -cn --arg q "$1" '{question: $q}'; }

# roles: view may not ask; no token is 401
orch_expect 401 POST /api/v1/ai/query "" "$(body "$Q")"
orch_expect 403 POST /api/v1/ai/query "$VIEW" "$(body "$Q")"
grep -q "role 'view' may not query ask" "$WH_DIR/resp.json" || wh_fail "403 body: $(cat "$WH_DIR/resp.json")"
orch_expect 405 GET /api/v1/ai/query "$USER"
# bad bodies
orch_expect 400 POST /api/v1/ai/query "$USER" '{"q": 1}'
grep -q 'question is required' "$WH_DIR/resp.json" || wh_fail "400 body: $(cat "$WH_DIR/resp.json")"
orch_expect 400 POST /api/v1/ai/query "$USER" 'not json'

# user and admin: the answer, as `ask --json` gives it
for tok in "$USER" "$ADMIN"; do
	orch_expect 200 POST /api/v1/ai/query "$tok" "$(body "$Q")"
	[ "$(jq -c .rows "$WH_DIR/resp.json")" = '[{"pr_id":"PR_api5","title":"Draft: new pricing page"}]' ] ||
		wh_fail "API rows: $(cat "$WH_DIR/resp.json")"
done
cp "$WH_DIR/resp.json" "$WH_DIR/api.json"
ph ask --tenant acme --json "$Q" > "$WH_DIR/cli.json"
strip='del(.memory_id, .fingerprint) | keys'
[ "$(jq -c "$strip" "$WH_DIR/api.json")" = "$(jq -c "$strip" "$WH_DIR/cli.json")" ] ||
	wh_fail "API and CLI answers differ in shape: $(cat "$WH_DIR/api.json") vs $(cat "$WH_DIR/cli.json")"
for k in question intent intent_by confidence rounds sql columns rows row_count summary error; do
	[ "$(jq -c ".$k" "$WH_DIR/api.json")" = "$(jq -c ".$k" "$WH_DIR/cli.json")" ] ||
		wh_fail "API and CLI differ in $k"
done
orch_expect 200 POST /api/v1/ai/query "$USER" "$(jq -cn --arg q "$Q" '{question: $q, explain: true}')"
jq -e '.stage_ms.intent >= 0 and (.attempts | length) == 1' "$WH_DIR/resp.json" > /dev/null ||
	wh_fail "explain: $(cat "$WH_DIR/resp.json")"

# the tenant is the token's: acme never sees bravo's rows, bravo only its own
orch_expect 200 POST /api/v1/ai/query "$USER" "$(body "$Q2")"
grep -q SECRET-B "$WH_DIR/resp.json" && wh_fail "acme read bravo's rows over the API"
[ "$(jq .row_count "$WH_DIR/resp.json")" = 4 ] || wh_fail "acme's merged PRs: $(cat "$WH_DIR/resp.json")"
orch_expect 200 POST /api/v1/ai/query "$BRAVO" "$(body "$Q2")"
[ "$(jq -r '.rows[0].pr_id' "$WH_DIR/resp.json")/$(jq .row_count "$WH_DIR/resp.json")" = PR_b1/1 ] ||
	wh_fail "bravo's answer: $(cat "$WH_DIR/resp.json")"
orch_expect 200 POST /api/v1/ai/query "$USER" "$(jq -cn --arg q "$Q2" '{question: $q, tenant: 2}')"
grep -q SECRET-B "$WH_DIR/resp.json" && wh_fail "a tenant in the body was obeyed"

# every call recorded in ai_usage, per tenant
[ "$(wh_sql "SELECT count(*) FROM ai_usage WHERE tenant_id = $TB AND operation = 'sql'")" = 1 ] ||
	wh_fail "bravo's usage"
grep -q 'sk-ask-test' "$WH_DIR"/main.log "$WH_DIR"/resp.json && wh_fail "the API key leaked"
echo PASS
