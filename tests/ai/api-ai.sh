#!/bin/bash
# GET /api/v1/ai/usage|capabilities|health through a running daemon, and
# what guards AI settings on save: tenant scoping (acme's token never sees
# other's usage), the role matrix (view: capabilities only), the same
# figures as `ai usage`, the anomaly rule (fires on a jump, stays quiet on
# a steady provider, one row per window, WARN logged), ai_model_config
# validated on `integration add/update` and POST/PATCH with the field
# named, the pinned embedding model refused until an explicit
# re-vectorize, and the API key in no API response.
set -euo pipefail
. "$abs_top_srcdir/tests/daemon/orch-lib.sh"
. "$abs_top_srcdir/tests/ai/openai-lib.sh"
ORCH_PLUGIN_DIRS="\"$abs_top_builddir/plugins/provider-gateway/.libs\", \"$abs_top_builddir/tests/ai/.libs\""
orch_setup
trap 'oai_stop; orch_cleanup' EXIT
sed -i 's/^worker_roles = .*/worker_roles = ["server"];/' "$WH_CONF"
KEY=sk-api-$(harness_random_hex 16)
printf '%s\n' "$KEY" > "$WH_DIR/sandbox.key"
oai_start "$WH_DIR" --key-file "$WH_DIR/sandbox.key" || wh_fail "the OpenAI sandbox did not start"
A=$(wh_tenant acme)
B=$(wh_tenant other)
cat > "$WH_DIR/gw.json" <<JSON
{"base_url": "$OAI_URL/v1", "api_key": "$KEY", "chat_model": "gpt-sb",
 "price_input_per_1m": "0.15", "price_output_per_1m": "0.60"}
JSON
GW=$(ph integration add --tenant acme --plugin gateway --type AI --name gw \
	--config "$WH_DIR/gw.json" --json | harness_json_get id)
printf '{"model": "lexical", "dimension": 16}\n' > "$WH_DIR/loc.json"
LOC=$(ph integration add --tenant acme --plugin lexical-local --type Embedding \
	--name loc --config "$WH_DIR/loc.json" --json | harness_json_get id)

# ---- ai_model_config is validated when saved, naming the field
printf '{"model": "x", "ai_model_config": {"search": ["loc", "ghost"]}}\n' > "$WH_DIR/bad1.json"
wh_expect_fail "$WH_DIR/bad1.err" ph integration add --tenant acme --plugin lexical-local \
	--type Embedding --name loc2 --config "$WH_DIR/bad1.json"
wh_contains "$WH_DIR/bad1.err" "ai_model_config.search[1]: no enabled AI or Embedding integration 'ghost'"
printf '{"model": "x", "ai_model_config": {"etl": {"providers": ["gw"]}}}\n' > "$WH_DIR/bad2.json"
wh_expect_fail "$WH_DIR/bad2.err" ph integration update "$LOC" --config "$WH_DIR/bad2.json"
wh_contains "$WH_DIR/bad2.err" "ai_model_config.etl.providers[0]: integration 'gw' (plugin 'gateway') does not serve embeddings"
[ "$(wh_sql "SELECT count(*) FROM integrations WHERE name = 'loc2' OR settings ? 'ai_model_config'")" = 0 ] ||
	wh_fail "a refused ai_model_config was saved"

orch_daemon main "$WH_CONF"
VIEW=$(orch_token acme view)
USER=$(orch_token acme user)
ADMIN=$(orch_token acme admin)
OTHER=$(orch_token other admin)
orch_expect 400 POST /api/v1/integrations "$ADMIN" \
	'{"name": "loc3", "plugin": "lexical-local", "type": "Embedding", "settings": {"ai_model_config": {"query": {"source": "cloud"}}}}'
grep -qF 'ai_model_config.query.source: must be' "$WH_DIR/resp.json" || wh_fail "POST: $(cat "$WH_DIR/resp.json")"
orch_expect 400 PATCH "/api/v1/integrations/$LOC" "$ADMIN" \
	'{"settings": {"model": "lexical", "dimension": 16, "ai_model_config": {"bulk": []}}}'
grep -qF 'ai_model_config.bulk: unknown context' "$WH_DIR/resp.json" || wh_fail "PATCH: $(cat "$WH_DIR/resp.json")"
orch_expect 200 PATCH "/api/v1/integrations/$LOC" "$ADMIN" \
	'{"settings": {"model": "lexical", "dimension": 16, "ai_model_config": {"etl": ["loc"], "search": {"source": "local"}}}}'

# ---- the pinned embedding model: refused, until an explicit re-vectorize
wh_sql "INSERT INTO ai_model_pins (tenant_id, context, model, dimension, integration_id)
	VALUES ($A, 'etl', 'lexical', 16, $LOC)" >/dev/null
printf '{"model": "lexical-v2", "dimension": 16}\n' > "$WH_DIR/v2.json"
wh_expect_fail "$WH_DIR/pin.err" ph integration update "$LOC" --config "$WH_DIR/v2.json"
wh_contains "$WH_DIR/pin.err" "the etl vectors of this tenant are pinned to model lexical (16 dimensions)"
wh_contains "$WH_DIR/pin.err" "changes the model from lexical/16 to lexical-v2/16"
wh_contains "$WH_DIR/pin.err" "--re-vectorize"
orch_expect 409 PATCH "/api/v1/integrations/$LOC" "$ADMIN" '{"settings": {"model": "lexical-v2", "dimension": 16}}'
grep -q '"code":"model_pinned"' "$WH_DIR/resp.json" || wh_fail "PATCH pinned: $(cat "$WH_DIR/resp.json")"
# the same model with another route is not a model change
orch_expect 200 PATCH "/api/v1/integrations/$LOC" "$ADMIN" '{"settings": {"model": "lexical", "dimension": 16}}'
ph integration update "$LOC" --config "$WH_DIR/v2.json" --re-vectorize --json > "$WH_DIR/rev.json"
jq -e '.updated == true' "$WH_DIR/rev.json" >/dev/null || wh_fail "re-vectorize: $(cat "$WH_DIR/rev.json")"
[ "$(wh_sql "SELECT count(*) FROM ai_model_pins WHERE tenant_id = $A")" = 0 ] || wh_fail "the pin survived --re-vectorize"
[ "$(wh_sql "SELECT settings->>'model' FROM integrations WHERE id = $LOC")" = lexical-v2 ] || wh_fail "the update was not saved"
# vectorize rebuild (whole tenant) clears a pin too; one table keeps it
wh_sql "INSERT INTO ai_model_pins (tenant_id, context, model, dimension) VALUES ($A, 'search', 'lexical-v2', 16)" >/dev/null
ph vectorize rebuild --tenant acme --table prs > /dev/null
[ "$(wh_sql "SELECT count(*) FROM ai_model_pins WHERE tenant_id = $A")" = 1 ] || wh_fail "a one-table rebuild cleared the pin"
ph vectorize rebuild --tenant acme > /dev/null
[ "$(wh_sql "SELECT count(*) FROM ai_model_pins WHERE tenant_id = $A")" = 0 ] || wh_fail "vectorize rebuild kept the pin"

# ---- usage rows: acme's gateway (a jump in the last 15 minutes against a
# steady baseline), acme's local embedder (steady), other's one row
wh_sql "INSERT INTO ai_usage (tenant_id, integration_id, plugin, model, context,
	operation, input_tokens, output_tokens, latency_ms, outcome, local, cost_usd, created_at)
	SELECT $A, $GW, 'gateway', 'gpt-sb', 'query', 'sql', 1000, 200, 100 + g,
	       CASE WHEN g <= 29 THEN 'ok' ELSE 'retried' END, false,
	       (1000 * 0.15 + 200 * 0.60) / 1000000, now() - interval '2 hours'
	FROM generate_series(1, 30) g;
	INSERT INTO ai_usage (tenant_id, integration_id, plugin, model, context,
	operation, input_tokens, output_tokens, latency_ms, outcome, local, cost_usd, created_at)
	SELECT $A, $GW, 'gateway', 'gpt-sb', 'query', 'sql', 1000, 200, 1000 + g,
	       CASE WHEN g <= 22 THEN 'ok' ELSE 'fell_back' END, false,
	       (1000 * 0.15 + 200 * 0.60) / 1000000, now() - interval '1 minute'
	FROM generate_series(1, 30) g;
	INSERT INTO ai_usage (tenant_id, integration_id, plugin, model, context,
	operation, input_tokens, latency_ms, outcome, local, created_at)
	SELECT $A, $LOC, 'lexical-local', 'lexical', 'etl', 'embed', 50, 5 + g % 3,
	       CASE WHEN g % 15 = 0 THEN 'failed' ELSE 'ok' END, true,
	       now() - CASE WHEN g <= 30 THEN interval '3 hours' ELSE interval '2 minutes' END
	FROM generate_series(1, 60) g;
	INSERT INTO ai_usage (tenant_id, plugin, model, context, operation, latency_ms, outcome)
	VALUES ($B, 'gateway', 'other-model', 'query', 'sql', 1, 'ok');" >/dev/null

# ---- roles: view reads capabilities, not costs or provider errors
orch_expect 403 GET /api/v1/ai/usage "$VIEW"
orch_expect 403 GET /api/v1/ai/health "$VIEW"
orch_expect 401 GET /api/v1/ai/usage ""
orch_expect 200 GET /api/v1/ai/capabilities "$VIEW"

# ---- usage: the figures of `ai usage`, only acme's
orch_expect 200 GET "/api/v1/ai/usage?since=7d" "$USER"
cp "$WH_DIR/resp.json" "$WH_DIR/usage-api.json"
ph ai usage --tenant acme --since 7d --json > "$WH_DIR/usage-cli.json"
jq -e --slurpfile cli "$WH_DIR/usage-cli.json" '
	.since == "7d" and (.rows | length) == 3 and
	([.rows[] | [.plugin, .calls, .errors, .input_tokens, .output_tokens, .p50_ms, .p95_ms]] ==
	 [$cli[0][] | [.plugin, .calls, .errors, .input_tokens, .output_tokens, .p50_ms, .p95_ms]]) and
	(.rows[] | select(.plugin == "gateway") | .calls == 60 and .errors == 9 and .cost_usd == 0.0162) and
	([.rows[] | select(.model == "other-model")] | length) == 0' "$WH_DIR/usage-api.json" >/dev/null ||
	wh_fail "usage API vs CLI: $(cat "$WH_DIR/usage-api.json") / $(cat "$WH_DIR/usage-cli.json")"
orch_expect 200 GET /api/v1/ai/usage "$OTHER"
jq -e '[.rows[] | select(.plugin != null)] | length == 1 and .[0].model == "other-model"' "$WH_DIR/resp.json" >/dev/null ||
	wh_fail "other's usage: $(cat "$WH_DIR/resp.json")"
grep -q gpt-sb "$WH_DIR/resp.json" && wh_fail "other's token saw acme's usage"
orch_expect 400 GET "/api/v1/ai/usage?since=1%20day;drop" "$USER"
grep -qF "give a duration ago" "$WH_DIR/resp.json" || wh_fail "bad since: $(cat "$WH_DIR/resp.json")"

# ---- health: the jump raises two anomalies for gw (error rate 8/30 vs
# 1/30, p95 ~1022 ms vs ~129 ms), none for the steady local embedder
orch_expect 200 GET /api/v1/ai/health "$USER"
cp "$WH_DIR/resp.json" "$WH_DIR/health.json"
jq -e --argjson gw "$GW" --argjson loc "$LOC" '
	(.providers[] | select(.integration_id == $gw) |
	  .recent.calls == 30 and .recent.errors == 8 and .recent.p95_ms == 1021 and
	  (.anomalies | map(.metric) | sort) == ["error_rate", "p95_latency_ms"] and
	  .cooldown.cooling == false) and
	(.providers[] | select(.integration_id == $loc) | .recent.calls == 30 and (.anomalies | length) == 0) and
	(.anomalies | length) == 2' "$WH_DIR/health.json" >/dev/null ||
	wh_fail "health: $(cat "$WH_DIR/health.json")"
[ "$(wh_sql "SELECT count(*) FROM ai_anomalies WHERE tenant_id = $A AND integration_id = $GW")" = 2 ] ||
	wh_fail "anomaly rows for gw"
[ "$(wh_sql "SELECT count(*) FROM ai_anomalies WHERE integration_id = $LOC")" = 0 ] ||
	wh_fail "an anomaly on a steady provider"
grep -q "level=warn.*anomaly tenant=$A integration=$GW .*metric=error_rate" "$WH_DIR/main.log" ||
	wh_fail "no WARN line for the anomaly: $(grep -i anomaly "$WH_DIR/main.log")"
# again: the same window raises nothing new; the CLI shows them too
ph ai health --tenant acme > "$WH_DIR/health.txt"
[ "$(wh_sql "SELECT count(*) FROM ai_anomalies")" = 2 ] || wh_fail "an anomaly was raised twice"
wh_contains "$WH_DIR/health.txt" "anomaly: integration $GW model gpt-sb: error_rate"
ph ai usage --tenant acme > "$WH_DIR/usage.txt"
wh_contains "$WH_DIR/usage.txt" "anomaly: integration $GW (gpt-sb): p95_latency_ms jumped"
orch_expect 200 GET /api/v1/ai/usage "$ADMIN"
jq -e '.anomalies | length == 2' "$WH_DIR/resp.json" >/dev/null || wh_fail "usage without anomalies"
orch_expect 200 GET /api/v1/ai/health "$OTHER"
jq -e '(.anomalies | length) == 0 and (.providers | length) == 0' "$WH_DIR/resp.json" >/dev/null ||
	wh_fail "other's health: $(cat "$WH_DIR/resp.json")"

# ---- capabilities: what serves each context, the features
orch_expect 200 GET /api/v1/ai/capabilities "$VIEW"
cp "$WH_DIR/resp.json" "$WH_DIR/caps.json"
jq -e --argjson loc "$LOC" '
	(.contexts | map(.context)) == ["etl", "search", "query"] and
	(.contexts[0] | .kind == "embedder" and .providers[0].integration_id == $loc and
	  .model == "lexical-v2" and .dimension == 16 and .pinned == null) and
	(.contexts[2] | .kind == "llm" and .providers[0].name == "gw" and .model == "gpt-sb" and
	  .providers[0].source == "external") and
	.features.search.available == true and .features.ask.available == true' "$WH_DIR/caps.json" >/dev/null ||
	wh_fail "capabilities: $(cat "$WH_DIR/caps.json")"
orch_expect 200 GET /api/v1/ai/capabilities "$OTHER"
jq -e '.features.search.available == false and .features.ask.available == false and
	(.contexts[2].why | test("no chat provider"))' "$WH_DIR/resp.json" >/dev/null ||
	wh_fail "other's capabilities: $(cat "$WH_DIR/resp.json")"
wh_sql "INSERT INTO ai_model_pins (tenant_id, context, model, dimension) VALUES ($A, 'etl', 'lexical-v2', 16)" >/dev/null
orch_expect 200 GET /api/v1/ai/capabilities "$USER"
jq -e '.contexts[0].pinned == {"model": "lexical-v2", "dimension": 16}' "$WH_DIR/resp.json" >/dev/null ||
	wh_fail "pinned: $(cat "$WH_DIR/resp.json")"

# ---- the key: in no API response, no log
orch_expect 200 GET "/api/v1/integrations/$GW" "$ADMIN"
for f in "$WH_DIR"/*.json "$WH_DIR"/*.log "$WH_DIR"/*.txt "$WH_DIR"/*.err; do
	[ "$f" = "$WH_DIR/gw.json" ] && continue
	! grep -qF -- "$KEY" "$f" || wh_fail "the API key is in $f"
done
echo PASS
