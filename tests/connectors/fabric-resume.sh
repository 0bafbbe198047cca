#!/bin/bash
# fabric-resume: the REST inventory walk resumes after kill -9.
#  - a clean sync of a fresh integration costs C REST calls and leaves no
#    walk cursor;
#  - another integration is killed (SIGKILL) while it waits out a long
#    Retry-After on the second workspace's Git link: by then the first
#    workspace is done and the cursor says so;
#  - the next run skips the first workspace: it costs C minus that
#    workspace's calls, worked out here from the sandbox's truth (its Git
#    link, its item pages, its items' run pages), reads the other Git
#    links only, loads everything (equal to the truth) and drops the
#    cursor; the run after it walks everything again.
set -euo pipefail
. "$abs_top_srcdir/tests/connectors/fabric-lib.sh"

PAGE=2
fb_setup fabric-resume --workspaces 3 --items 3 --runs 3 --deploys 4 --rows 2 --page-size $PAGE
t="$FB_DIR/truth.json"
fb_api GET /_sandbox/truth > "$t"
ws0=$(jqv 'd.workspaces[0].id' "$t")
ws1=$(jqv 'd.workspaces[1].id' "$t")
GIT='GET /v1/workspaces/{id}/git/connection'
stat() { fb_api GET /_sandbox/stats | jqv "$1"; }
walk_state() { fb_sql "SELECT coalesce((SELECT value FROM integration_state
	WHERE integration_id = $1 AND key = 'rest.done'), 'none')"; }

# The first workspace's cost: 1 Git link, its item pages, and for each of
# its runnable items the pages of its runs (a fresh integration has no
# watermark, so every page is read).
ws0_cost=$(node -e '
	const t = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
	const page = Number(process.argv[2]), ws = t.workspaces[0].id;
	const pages = (n) => Math.max(1, Math.ceil(n / page));
	const its = t.items.filter((i) => i.workspaceId === ws);
	const runnable = its.filter((i) => ["DataPipeline", "Notebook", "SparkJobDefinition"].includes(i.type));
	let n = 1 + pages(its.length);
	for (const i of runnable) n += pages(t.runs.filter((r) => r.itemId === i.id).length);
	console.log(n);' "$t" "$PAGE")

# --- a clean walk
cid=$(fb_integration '{}')
fb_api POST /_sandbox/stats/reset >/dev/null
fb_run_ok "$cid"
clean=$(stat 'd.rest_calls')
fb_eq "Git links read by a clean walk" "$(stat "d.by_path['$GIT']")" 3
fb_eq "walk cursor after a clean walk" "$(walk_state "$cid")" none

# --- a walk killed while it waits on the second workspace's Git link
kid=$(fb_integration '{}')
fb_api POST /_sandbox/stats/reset >/dev/null
fb_api POST /_sandbox/faults "{\"kind\": \"status\", \"status\": 429, \"retry_after\": 600,
	\"path_contains\": \"$ws1/git/connection\", \"count\": 1}" >/dev/null
"$B" -c "$FB_CONF" job run --in-process "$kid" >"$FB_DIR/killed.log" 2>&1 &
runner=$!
FB_PIDS+=("$runner")
git_calls_are() { [ "$(stat "d.by_path['$GIT'] || 0")" = "$1" ]; }
harness_wait_for 90 "the job to get the 429 on the second Git link" git_calls_are 2 ||
	{ cat "$FB_DIR/killed.log" >&2; fb_fail "the job did not reach the 429"; }
# the cursor is saved before the next workspace's first call
fb_eq "walk cursor at the kill" "$(walk_state "$kid")" "[\"w:$ws0\"]"
kill -KILL "$runner"
wait "$runner" 2>/dev/null || true
killed_calls=$(stat 'd.rest_calls')
fb_api DELETE /_sandbox/faults >/dev/null

# --- the resumed walk
fb_api POST /_sandbox/stats/reset >/dev/null
fb_run_ok "$kid"
grep -q 'REST walk resumed' "$FB_LOG" || { cat "$FB_LOG" >&2; fb_fail "the walk did not resume"; }
fb_eq "REST calls of the resumed walk (clean $clean - first workspace $ws0_cost)" \
	"$(stat 'd.rest_calls')" "$((clean - ws0_cost))"
fb_eq "Git links read by the resumed walk" "$(stat "d.by_path['$GIT']")" 2
fb_eq "walk cursor after the resumed walk" "$(walk_state "$kid")" none
fb_verify "$kid"
fb_log "killed walk: $killed_calls calls; resumed: $((clean - ws0_cost)); clean: $clean"

# --- the next walk starts afresh
fb_api POST /_sandbox/stats/reset >/dev/null
fb_run_ok "$kid"
grep -q 'REST walk resumed' "$FB_LOG" && fb_fail "a walk after a complete one resumed"
fb_eq "Git links read by the walk after" "$(stat "d.by_path['$GIT']")" 3
fb_log "PASS"
