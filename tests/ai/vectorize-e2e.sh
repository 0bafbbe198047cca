#!/bin/bash
# End to end: GitHub + Jira sandbox syncs -> the vectorize worker role ->
# `pulse-host search` finds a seeded PR by a paraphrase of its title words
# (the OpenAI sandbox's lexical embeddings). The embedder is down while
# the GitHub job runs, with the worker already polling: the job still
# finishes, and vectorization catches up once the embedder is back.
set -euo pipefail
. "$abs_top_srcdir/tests/db/warehouse-lib.sh"
. "$abs_top_srcdir/tests/ai/vectors-lib.sh"
vx_setup
command -v node > /dev/null || wh_fail "node is not installed"
NODE_PATH=$(bash "$abs_top_srcdir/tests/sandbox/github/ensure-deps.sh" 2>/dev/null) ||
	wh_fail "the GitHub sandbox's dependencies could not be installed (tests/sandbox/github/ensure-deps.sh)"
export NODE_PATH
cat > "$WH_CONF" <<CONF
key_file = "$WH_DIR/secret.key";
plugin_dirs = ["$abs_top_builddir/plugins/source-github/.libs",
	"$abs_top_builddir/plugins/source-jira/.libs",
	"$abs_top_builddir/plugins/provider-gateway/.libs"];
jobs = { max_attempts = 5; stale_seconds = 300; };
http = { timeout_seconds = 20; max_retries = 2; allow_hosts = ["127.0.0.1", "localhost"]; };
CONF
read -r ta di < <(vx_tenant acme)

# start_sandbox NAME SCRIPT ARGS...: a vendor sandbox on a free port; URL in $SB_URL
start_sandbox() {
	local name=$1 script=$2 i
	shift 2
	node "$abs_top_srcdir/tests/sandbox/$script" --port 0 --port-file "$WH_DIR/$name.port" "$@" \
		> "$WH_DIR/$name.log" 2>&1 &
	for i in $(seq 300); do [ -s "$WH_DIR/$name.port" ] && break; sleep 0.1; done
	[ -s "$WH_DIR/$name.port" ] || wh_fail "the $name sandbox did not start: $(cat "$WH_DIR/$name.log")"
	SB_URL=http://127.0.0.1:$(cat "$WH_DIR/$name.port")
}
start_sandbox github github/server.js --seed 7 --repos 2 --prs 8
GH=$SB_URL
start_sandbox jira jira/server.js --seed e2e --projects 1 --issues 15
JR=$SB_URL

# the seeded PR: a title no generated PR has
repo=$(curl -fsS "$GH/_sandbox/truth?summary=1" | jq -r '.repos[0].name')
curl -fsS -X POST "$GH/_sandbox/mutate" -H 'content-type: application/json' \
	-d '[{"op":"add_prs","repo":"'"$repo"'","count":1,"title":"Parallelize flaky integration tests across CI shards"}]' \
	> "$WH_DIR/mutate.json" || wh_fail "could not seed the PR"
num=$(jq -r '.results[0].numbers[0] // .results[0].number' "$WH_DIR/mutate.json")
[ -n "$num" ] && [ "$num" != null ] || wh_fail "no PR number in $(cat "$WH_DIR/mutate.json")"

printf '{"base_url":"%s","org":"acme","tokens":["sandbox-token"]}\n' "$GH" > "$WH_DIR/gh.json"
gid=$(ph integration add --tenant acme --plugin github --name github --config "$WH_DIR/gh.json" --json | harness_json_get id)
printf '{"base_url":"%s","email":"sandbox@example.com","api_token":"sandbox-token"}\n' "$JR" > "$WH_DIR/jr.json"
jid=$(ph integration add --tenant acme --plugin jira --name jira --config "$WH_DIR/jr.json" --json | harness_json_get id)

# one row vectorized first: the route pins the model and its dimension
# (until then the gateway asks the embedder for it, and a stage that
# cannot open just leaves the rows waiting)
vx_pr "$ta" "$di" PR_warm acme/warm 1 "Warm up the embedding route"
ph vectorize run --tenant acme --json > "$WH_DIR/warm.json" || wh_fail "warm-up: $(cat "$WH_DIR/warm.json")"

# the worker polls the table in-process; the embedder is down
"$WH_BIN" -c "$WH_CONF" worker --roles vectorize > "$WH_DIR/worker.log" 2>&1 &
wp=$!
kill "$VX_OAI_PID"; wait "$VX_OAI_PID" 2>/dev/null || :
ph job run --in-process "$gid" > "$WH_DIR/gh-run.log" 2>&1 ||
	{ cat "$WH_DIR/gh-run.log" >&2; wh_fail "the GitHub job failed while the embedder was down"; }
q=$(wh_sql "SELECT count(*) FROM vectorization_queue WHERE tenant_id = $ta AND integration_id = $gid")
[ "$q" -gt 0 ] || wh_fail "the GitHub sync queued nothing for vectorization"
attempted() { [ "$(wh_sql "SELECT count(*) FROM vectorization_queue WHERE tenant_id = $ta AND error IS NOT NULL")" -gt 0 ]; }
harness_wait_for 60 "a failed attempt recorded" attempted ||
	{ tail -30 "$WH_DIR/worker.log" >&2; wh_fail "the worker recorded no failed attempt while the embedder was down"; }

# the embedder back on its port; the Jira job runs meanwhile
node "$abs_top_srcdir/tests/sandbox/openai/server.js" --port "$(cat "$WH_DIR/oai.port")" > "$WH_DIR/oai2.log" 2>&1 &
VX_OAI_PID=$!
wh_wait_for 10 "the embedder back" curl -fsS "$VX_OAI/_sandbox/stats"
ph job run --in-process "$jid" > "$WH_DIR/jr-run.log" 2>&1 ||
	{ cat "$WH_DIR/jr-run.log" >&2; wh_fail "the Jira job failed"; }
open_rows() { wh_sql "SELECT count(*) FROM vectorization_queue WHERE tenant_id = $ta AND status <> 'completed'"; }
drained() { [ "$(open_rows)" = 0 ]; }
harness_wait_for 90 "vectorization caught up" drained ||
	{ tail -20 "$WH_DIR/worker.log" >&2; wh_fail "$(open_rows) rows not completed: $(wh_sql "SELECT status, attempts, error FROM vectorization_queue WHERE tenant_id = $ta AND status <> 'completed' LIMIT 3")"; }
kill "$wp"; wait "$wp" || wh_fail "the worker did not stop cleanly on SIGTERM"

# every PR and work item has its vector; counts match the queue's
for t in prs work_items; do
	live=$(wh_sql "SELECT count(*) FROM $t WHERE tenant_id = $ta AND deleted_at IS NULL")
	vec=$(wh_sql "SELECT count(*) FROM vector_references WHERE tenant_id = $ta AND entity = '$t' AND status = 'stored'")
	[ "$live" -gt 0 ] && [ "$live" = "$vec" ] || wh_fail "$t: $live live rows, $vec stored vectors"
done

# a paraphrase of the seeded title's words
# (the PR's first commit carries the same message: search the PRs)
ph search --tenant acme --table prs --json "CI shards to parallelize the flaky integration test suite" > "$WH_DIR/s.json"
jq -e --arg id "acme/$repo#$num" '.hits[0].external_id == $id and .hits[0].table == "prs"' "$WH_DIR/s.json" > /dev/null ||
	wh_fail "search did not find acme/$repo#$num first: $(cat "$WH_DIR/s.json")"
# and a Jira issue by its own words
key=$(wh_sql "SELECT key FROM work_items WHERE tenant_id = $ta ORDER BY id LIMIT 1")
summary=$(wh_sql "SELECT summary FROM work_items WHERE tenant_id = $ta AND key = '$key'")
ph search --tenant acme --table work_items --json "$summary" > "$WH_DIR/s2.json"
jq -e --arg k "$key" '[.hits[].external_id] | index($k) != null' "$WH_DIR/s2.json" > /dev/null ||
	wh_fail "search did not find $key by its summary '$summary': $(cat "$WH_DIR/s2.json")"
echo PASS
