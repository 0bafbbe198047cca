#!/bin/bash
# github-resume: a sync killed (SIGKILL) in the middle of paging pull
# requests resumes from its checkpoint: the next run does not page the
# repository from the start again, and the warehouse ends up equal to the
# sandbox's truth.
set -euo pipefail
. "$abs_top_srcdir/tests/connectors/github-lib.sh"

gh_setup github-resume --seed 4 --repos 1 --prs 250
id=$(gh_integration '{"org":"acme"}')
# The fourth GraphQL request hangs for a while: kill the job during it.
gh_api POST /_sandbox/faults '[{"kind":"delay","api":"graphql","skip":3,"delay_ms":8000}]' >/dev/null
"$B" -c "$GH_CONF" job run --in-process "$id" >"$GH_DIR/killed.log" 2>&1 &
pid=$!
# The fault is taken when the fourth request arrives; requests go one at a
# time, so by then the pages before it are stored with their checkpoint.
fault_taken() { [ "$(gh_api GET /_sandbox/faults | jqv 'd.pending.length')" = 0 ]; }
harness_wait_for 60 "the job to send the delayed (fourth) GraphQL request" fault_taken ||
	gh_fail "see above"
kill -KILL "$pid"
wait "$pid" 2>/dev/null || true
ck=$(gh_sql "SELECT value FROM integration_state WHERE key LIKE 'pr_cursor:%'")
[ -n "$ck" ] || gh_fail "no PR checkpoint was saved before the kill"
gh_log "ok: checkpoint before the kill: $ck"
stored=$(gh_sql "SELECT count(*) FROM raw_extraction_data WHERE entity = 'pull_requests'")
[ "$stored" -ge 1 ] && [ "$stored" -lt 5 ] || gh_fail "$stored PR pages stored before the kill, want 1-4"
gh_log "ok: $stored PR pages stored before the kill"

gh_stats_reset
gh_run "$id"
[ "$GH_RC" -eq 0 ] || { cat "$GH_LOG" >&2; gh_fail "the run after the kill exited $GH_RC"; }
# 250 PRs = 5 pages of 50; the resumed run reads only those not stored.
pages=$(sed -n 's/.*prs_pages=\([0-9]*\).*/\1/p' "$GH_LOG")
gh_eq "PR pages read after the kill" "$pages" "$((5 - stored))"
gh_verify '{"releases":false}'
gh_log "PASS"
