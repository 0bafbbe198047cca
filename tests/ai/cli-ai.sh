#!/bin/bash
# `pulse-host ai route|test|usage` against the OpenAI sandbox: routes and
# their origin, a probe of each kind, the usage report's arithmetic
# (calls, tokens, cost, error rate, p50/p95, local share) for one tenant
# only, and the API key nowhere: not in output, logs, pg_dump or ps.
set -euo pipefail
. "$abs_top_srcdir/tests/db/warehouse-lib.sh"
. "$abs_top_srcdir/tests/ai/openai-lib.sh"
wh_setup
trap 'oai_stop; wh_cleanup' EXIT
KEY=sk-cli-$(harness_random_hex 16)
LOG=$WH_DIR/stderr.log
cat > "$WH_CONF" <<CONF
key_file = "$WH_DIR/secret.key";
plugin_dirs = ["$abs_top_builddir/plugins/provider-gateway/.libs"];
http = { allow_hosts = ["127.0.0.1"]; };
CONF
printf '%s\n' "$KEY" > "$WH_DIR/sandbox.key"
oai_start "$WH_DIR" --key-file "$WH_DIR/sandbox.key" || wh_fail "the OpenAI sandbox did not start"

A=$(wh_tenant acme)
B=$(wh_tenant beta)
cat > "$WH_DIR/gw.json" <<JSON
{"base_url": "$OAI_URL/v1", "api_key": "$KEY", "chat_model": "gpt-sb",
 "price_input_per_1m": "0.15", "price_output_per_1m": "0.60"}
JSON
GW=$(ph integration add --tenant acme --plugin gateway --type AI --name gw \
	--config "$WH_DIR/gw.json" --json 2>>"$LOG" | harness_json_get id) || wh_fail "add gateway"
cat > "$WH_DIR/gwe.json" <<JSON
{"base_url": "$OAI_URL", "api_key": "$KEY", "embedding_model": "lex",
 "embedding_dimensions": 64,
 "ai_model_config": {"search": {"providers": ["gwe"], "source": "external"}}}
JSON
GWE=$(ph integration add --tenant acme --plugin gateway-embed --type Embedding \
	--name gwe --config "$WH_DIR/gwe.json" --json 2>>"$LOG" | harness_json_get id) ||
	wh_fail "add gateway-embed"

# route: defaults for etl and query, the configured one for search
ph ai route --tenant acme --json > "$WH_DIR/route.json" 2>>"$LOG" || wh_fail "ai route"
node -e '
const r = JSON.parse(require("fs").readFileSync(process.argv[1]));
const by = Object.fromEntries(r.map(x => [x.context, x]));
const ok = by.query.providers[0].name === "gw" && by.query.why.startsWith("defaults") &&
	by.etl.providers[0].name === "gwe" && by.search.why.includes("ai_model_config.search") &&
	by.search.source === "external";
if (!ok) { console.error(JSON.stringify(r)); process.exit(1); }' "$WH_DIR/route.json" ||
	wh_fail "ai route --json"
ph ai route --tenant acme --context query > "$WH_DIR/route.txt" 2>>"$LOG"
wh_contains "$WH_DIR/route.txt" "1. gw (integration $GW, plugin gateway, external)"
wh_expect_fail "$WH_DIR/ctx.err" ph ai route --tenant acme --context bulk
wh_contains "$WH_DIR/ctx.err" "unknown context 'bulk'"
ph ai route --tenant beta > "$WH_DIR/route-b.txt" 2>>"$LOG"
wh_contains "$WH_DIR/route-b.txt" "tenant $B has no chat provider"

# test: a probe per kind, through the key
ph ai test "$GW" --json > "$WH_DIR/test.json" 2>>"$LOG" || wh_fail "ai test gw: $(cat "$WH_DIR/test.json")"
jq -e '.probes[0].reply == "Reply with one word: pong" and .probes[0].kind == "llm"' "$WH_DIR/test.json" >/dev/null || wh_fail "ai test: $(cat "$WH_DIR/test.json")"
ph ai test "$GWE" > "$WH_DIR/test.txt" 2>>"$LOG" || wh_fail "ai test gwe"
wh_contains "$WH_DIR/test.txt" "gwe (gateway-embed) embedder: ok"
wh_contains "$WH_DIR/test.txt" "model lex, 64 dimensions"
[ "$(oai_api GET /_sandbox/stats | jq -r .last_headers.authorization)" = "Bearer ***" ] ||
	wh_fail "the sandbox did not get a Bearer key"
# a wrong key: the probe fails naming the remedy
oai_api POST /_sandbox/fault '{"kind": "unauthorized", "count": 1}' >/dev/null
wh_expect_fail "$WH_DIR/t401.err" ph ai test "$GW"
grep -q "set-secret INTEGRATION api_key" "$WH_DIR/t401.err.stdout" || wh_fail "401: $(cat "$WH_DIR/t401.err.stdout")"

# usage: rows as the router writes them, for both tenants
wh_sql "INSERT INTO ai_usage (tenant_id, integration_id, plugin, model, context,
	operation, input_tokens, output_tokens, latency_ms, outcome, local, cost_usd)
	SELECT $A, $GW, 'gateway', 'gpt-sb', 'query', 'sql', 1000, 200, g * 10,
	       CASE WHEN g <= 18 THEN 'ok' ELSE 'retried' END, false,
	       (1000 * 0.15 + 200 * 0.60) / 1000000
	FROM generate_series(1, 20) g;
	INSERT INTO ai_usage (tenant_id, integration_id, plugin, model, context,
	operation, input_tokens, latency_ms, outcome, local)
	SELECT $A, NULL, 'embed-local', 'all-MiniLM-L6-v2', 'etl', 'embed', 50, 5, 'ok', true
	FROM generate_series(1, 30);
	INSERT INTO ai_usage (tenant_id, plugin, model, context, operation, latency_ms, outcome)
	VALUES ($B, 'gateway', 'beta-model', 'query', 'sql', 1, 'ok');" >/dev/null
ph ai usage --tenant acme --since 7d --json > "$WH_DIR/usage.json" 2>>"$LOG" || wh_fail "ai usage"
node -e '
const r = JSON.parse(require("fs").readFileSync(process.argv[1]));
const gw = r.find(x => x.plugin === "gateway"), loc = r.find(x => x.plugin === "embed-local");
const tot = r.find(x => x.plugin === null);
const want = [
	[r.length, 3], [gw.calls, 20], [gw.errors, 2], [gw.error_rate, 0.1],
	[gw.input_tokens, 20000], [gw.output_tokens, 4000], [gw.cost_usd, 0.0054],
	[gw.p50_ms, 90], [gw.p95_ms, 180], [loc.calls, 30], [loc.cost_usd, null],
	[tot.calls, 50], [tot.local_share, 0.625],
	[r.some(x => x.model === "beta-model"), false]];
for (const [got, exp] of want)
	if (got !== exp) { console.error("got", got, "want", exp, JSON.stringify(r)); process.exit(1); }
' "$WH_DIR/usage.json" || wh_fail "ai usage --json numbers"
ph ai usage --tenant acme > "$WH_DIR/usage.txt" 2>>"$LOG"
wh_contains "$WH_DIR/usage.txt" "served locally: 62.5% of successful calls"
ph ai usage --tenant beta --json | grep -q '"beta-model"' || wh_fail "beta's own usage"
wh_expect_fail "$WH_DIR/since.err" ph ai usage --tenant acme --since "1 day; drop"
wh_contains "$WH_DIR/since.err" "give a duration ago (7d, 24h, 30m) or a date"

# the key: nowhere in outputs, logs, the database dump or the sandbox's view
for f in "$WH_DIR"/*.json "$WH_DIR"/*.txt "$WH_DIR"/*.err* "$LOG"; do
	[ "$f" = "$WH_DIR/gw.json" ] || [ "$f" = "$WH_DIR/gwe.json" ] && continue
	! grep -qF -- "$KEY" "$f" || wh_fail "the API key is in $f"
done
n=$(pg_dump "$WH_ADMIN" | grep -c -- "$KEY" || :)
[ "$n" = 0 ] || wh_fail "the API key is in pg_dump ($n times)"
oai_api GET /_sandbox/stats > "$WH_DIR/stats.out"
! grep -qF -- "$KEY" "$WH_DIR/stats.out" || wh_fail "the API key reached the sandbox's stats"
# nothing ever passes it on a command line: only config files do
ps -eo args > "$WH_DIR/ps.txt"
! grep -qF -- "$KEY" "$WH_DIR/ps.txt" || wh_fail "the API key is on a ps line"
echo "PASS"
