#!/bin/bash
# worker-kill.sh: a worker is killed with SIGKILL in the middle of a batch
# (it holds claimed rows and unacked messages) and started again. The
# broker hands its unacked messages to the others, the recovery sweep
# resets the rows it had claimed, and every page is still loaded exactly
# once in effect. The victim is caught at a hold point of the sandbox
# plugin (PULSE_SANDBOX_HOLD_FILE), after its claim is committed. The
# workers started after the kill find the hold file taken and never hold.
set -euo pipefail
. "$abs_top_srcdir/tests/broker/worker-lib.sh"

wt_setup kill
settings='{"repos":4,"prs_per_repo":60,"page_size":2,"seed":11}'
ref=$(wt_integration reference "$settings")
ib=$(wt_integration broker "$settings")
"$B" -c "$WT_CONF" job run --in-process --quiet "$ref" >/dev/null
pages=$(wt_sql "SELECT count(*) FROM raw_extraction_data WHERE integration_id = $ref")

"$B" -c "$WT_CONF" job run --quiet --wait-timeout 300 "$ib" \
	> "$WT_DIR/run.log" 2>&1 & run=$!
wt_wait_sql "SELECT count(*) FROM raw_extraction_data WHERE integration_id = $ib" \
	"$pages" 120

# The victim starts alone, so it dies with most of the work still open.
# It holds in its first transform (the sandbox's hold point): by then the
# host has committed the claim of its batch, and it stays there until the
# kill. The hold file appearing is the proof; no timing is involved.
hold="$WT_DIR/victim.hold"
PULSE_SANDBOX_HOLD_FILE=$hold wt_worker victim --prefetch 16
victim=${WT_PID[victim]}
wt_wait_for 120 "worker $victim to reach the hold point ($hold)" test -s "$hold"
[ "$(cat "$hold")" = "$victim" ] ||
	wt_fail "the hold point was reached by pid $(cat "$hold"), not the victim $victim"
held=$(wt_sql "SELECT count(*) FROM raw_extraction_data WHERE status = 'processing' AND owner LIKE '%:$victim'")
[ "$held" -gt 0 ] || wt_fail "the victim holds no claimed row at its hold point"
open=$(wt_sql "SELECT count(*) FROM raw_extraction_data WHERE integration_id = $ib AND status <> 'completed'")
wt_log "killing worker $victim holding $held claimed rows ($open rows open)"
ids=$(wt_sql "SELECT string_agg(id::text, ',') FROM raw_extraction_data WHERE status = 'processing' AND owner LIKE '%:$victim'")
kill -KILL "$victim"
wt_wait_exit victim 10
[ "$WT_RC" = 137 ] || wt_fail "victim exit status $WT_RC, want 137 (SIGKILL)"

[ "$open" -gt $((pages / 2)) ] || wt_fail "only $open of $pages rows were open at the kill"
wt_worker other --prefetch 4
wt_worker again --prefetch 16
rc=0; wait "$run" || rc=$?
[ "$rc" = 0 ] || { cat "$WT_DIR/run.log" >&2; wt_fail "job run exited with $rc"; }
wt_stop_worker other
wt_stop_worker again
wt_assert_same "$WT_T1" "$WT_T2"
# The victim's claimed rows were reset by a sweep and claimed again.
again=$(wt_sql "SELECT count(*) FROM raw_extraction_data WHERE id IN ($ids) AND status = 'completed' AND attempts >= 2")
[ "$again" = "$held" ] || wt_fail "only $again of the victim's $held rows were claimed again"
echo "worker-kill: ok"
