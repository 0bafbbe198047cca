#!/bin/bash
# Search, ask and the vectorization history in the web console, in
# headless Chromium, against the sandboxes: a GitHub sandbox sync
# vectorized by the OpenAI sandbox's embedder; the console's result cards
# for a paraphrase equal `pulse-host search --json` (table, id, title,
# score, link); its answer, rows and SQL for a question the scripted chat
# model answers equal `pulse-host ask --json`; the throughput chart draws
# GET /vectorization/history (whose totals equal the queue's done rows)
# for the last hour and the last day. Screenshots in light and dark.
set -euo pipefail
. "$abs_top_srcdir/tests/daemon/orch-lib.sh"
. "$abs_top_srcdir/tests/harness/browser.sh"
. "$abs_top_srcdir/tests/ai/openai-lib.sh"
. "$abs_top_srcdir/tests/ask/ask-lib.sh"
deps=$abs_top_builddir/tests/node-deps
browser_deps "$deps" playwright-core@1
for p in source-github provider-gateway; do
	[ -d "$abs_top_builddir/plugins/$p/.libs" ] || wh_fail "the $p plugin is not built"
done
GH_NODE_PATH=$(bash "$abs_top_srcdir/tests/sandbox/github/ensure-deps.sh" 2>/dev/null) ||
	wh_fail "the GitHub sandbox's dependencies could not be installed (tests/sandbox/github/ensure-deps.sh)"
ORCH_PLUGIN_DIRS="\"$abs_top_builddir/plugins/source-github/.libs\", \"$abs_top_builddir/plugins/provider-gateway/.libs\""
orch_setup
trap 'oai_stop; orch_cleanup' EXIT
ta=$(wh_tenant acme)

# ---- the sandboxes: the OpenAI one (embeddings, scripted chat), GitHub
oai_start "$WH_DIR" || wh_fail "the OpenAI sandbox did not start"
NODE_PATH=$GH_NODE_PATH node "$abs_top_srcdir/tests/sandbox/github/server.js" --port 0 \
	--port-file "$WH_DIR/gh.port" --seed 19 --repos 2 --prs 6 > "$WH_DIR/gh.log" 2>&1 &
echo $! > "$WH_DIR/gh.pid"
harness_wait_for 30 "the GitHub sandbox" test -s "$WH_DIR/gh.port" ||
	wh_fail "the GitHub sandbox did not start: $(cat "$WH_DIR/gh.log")"
GH=http://127.0.0.1:$(cat "$WH_DIR/gh.port")
repo=$(curl -fsS "$GH/_sandbox/truth?summary=1" | jq -r '.repos[0].name')
curl -fsS -X POST "$GH/_sandbox/mutate" -H 'content-type: application/json' \
	-d '[{"op":"add_prs","repo":"'"$repo"'","count":1,"title":"Parallelize flaky integration tests across CI shards"}]' \
	> "$WH_DIR/mutate.json" || wh_fail "could not seed the PR"

printf '{"base_url":"%s","org":"acme","tokens":["sandbox-token"]}\n' "$GH" > "$WH_DIR/gh.json"
gid=$(ph integration add --tenant acme --plugin github --name github --config "$WH_DIR/gh.json" --json | harness_json_get id)
printf '{"base_url": "%s", "embedding_model": "sandbox-embed"}\n' "$OAI_URL" > "$WH_DIR/emb.json"
ph integration add --tenant acme --plugin gateway-embed --type Embedding --name emb \
	--config "$WH_DIR/emb.json" --json > "$WH_DIR/emb.out" 2>&1 ||
	wh_fail "adding the embedding integration failed: $(cat "$WH_DIR/emb.out")"
printf '{"base_url": "%s/v1", "api_key": "sk-console-test", "chat_model": "sb-chat"}\n' "$OAI_URL" > "$WH_DIR/gw.json"
ph integration add --tenant acme --plugin gateway --type AI --name gw \
	--config "$WH_DIR/gw.json" --json > "$WH_DIR/gw.out" 2>&1 ||
	wh_fail "adding the chat integration failed: $(cat "$WH_DIR/gw.out")"

# ---- sync and vectorize
ph job run --in-process "$gid" > "$WH_DIR/gh-run.log" 2>&1 ||
	{ cat "$WH_DIR/gh-run.log" >&2; wh_fail "the GitHub sync failed"; }
ph vectorize run --tenant acme --json > "$WH_DIR/vectorize.json" 2>&1 ||
	wh_fail "vectorize failed: $(cat "$WH_DIR/vectorize.json")"
done_rows=$(wh_sql "SELECT count(*) FROM vectorization_queue WHERE tenant_id = $ta AND status = 'completed'")
[ "$done_rows" -gt 0 ] || wh_fail "nothing was vectorized: $(cat "$WH_DIR/vectorize.json")"
[ "$(wh_sql "SELECT count(*) FROM vectorization_queue WHERE tenant_id = $ta AND status <> 'completed'")" = 0 ] ||
	wh_fail "rows left in the queue: $(wh_sql "SELECT status, error FROM vectorization_queue WHERE tenant_id = $ta AND status <> 'completed' LIMIT 3")"

# ---- what the CLI says (the console must show the same)
QUERY='CI shards to parallelize the flaky integration test suite'
ph search --tenant acme --json "$QUERY" > "$WH_DIR/search.json"
jq -e --arg r "acme/$repo#" '(.hits | length) > 1 and (.hits[0].title | test("CI shards"))
	and (.hits[0].url | startswith("http"))' "$WH_DIR/search.json" > /dev/null ||
	wh_fail "search did not find the seeded PR first: $(cat "$WH_DIR/search.json")"
Q='How many pull requests does each repository have?'
ask_script '^Classify: ' '{"intent": "structured", "confidence": 0.9}'
ask_script "$(ask_re "Question: $Q")" \
	"$(ask_sql_reply 'SELECT repository, count(*) AS prs FROM q_pull_requests GROUP BY repository ORDER BY repository')"
ask_script '^Summarize: ' 'Each repository with its number of pull requests.'
ph ask --tenant acme --json "$Q" > "$WH_DIR/ask.json" 2> "$WH_DIR/ask.err" ||
	wh_fail "ask failed: $(cat "$WH_DIR/ask.json" "$WH_DIR/ask.err")"
jq -e '(.rows | length) == 2 and (.sql | test("q_pull_requests")) and .summary != null' "$WH_DIR/ask.json" > /dev/null ||
	wh_fail "ask --json: $(cat "$WH_DIR/ask.json")"

# ---- the history route: roles, a bad window, the totals
orch_daemon main "$WH_CONF"
view=$(orch_token acme view)
orch_expect 401 GET /api/v1/vectorization/history ''
orch_expect 400 GET '/api/v1/vectorization/history?window=7d' "$view"
grep -q '1h or 24h' "$WH_DIR/resp.json" || wh_fail "a bad window's message: $(cat "$WH_DIR/resp.json")"
for w in 1h 24h; do
	orch_expect 200 GET "/api/v1/vectorization/history?window=$w" "$view"
	jq -e --argjson n "$done_rows" --arg w "$w" '.window == $w and .done == $n and .failed == 0
		and (.buckets | length) == (if $w == "1h" then 60 else 96 end)
		and ([.buckets[].done] | add) == $n' "$WH_DIR/resp.json" > /dev/null ||
		wh_fail "history $w: $(cat "$WH_DIR/resp.json") (expected $done_rows done)"
done
# another tenant sees none of acme's
ph tenant add other --json > /dev/null
orch_expect 200 GET /api/v1/vectorization/history "$(orch_token other view)"
jq -e '.done == 0' "$WH_DIR/resp.json" > /dev/null || wh_fail "tenant other sees acme's history"

# ---- the browser
link=$(ph token issue --tenant acme --role user --ttl 1h --link)
shots=${PULSE_TEST_SCREENSHOTS:-$abs_top_builddir/tests/console-shots}
mkdir -p "$shots"
browser_copy "$deps" "$abs_top_srcdir/tests/ai/console-ai.mjs" \
	"$abs_top_srcdir/tests/daemon/console-lib.mjs"
rc=0
orch_node "$deps/console-ai.mjs" "$ORCH_URL" "$link" "$WH_DIR/search.json" "$WH_DIR/ask.json" \
	"$QUERY" "$Q" "$done_rows" "$shots" > "$WH_DIR/ui.out" 2>&1 || rc=$?
cat "$WH_DIR/ui.out"
if [ "$rc" != 0 ] || ! grep -q '^ok$' "$WH_DIR/ui.out"; then
	grep -E 'status=5|error' "$WH_DIR/main.log" | tail -20 >&2 || :
	wh_fail "the browser check failed"
fi
for p in search-results ask-answer vectors-history; do
	for m in light dark; do
		[ -s "$shots/$p-$m.png" ] || wh_fail "no screenshot $p-$m.png"
	done
done
orch_stop main
echo "console-ai: ok (screenshots in $shots)"
