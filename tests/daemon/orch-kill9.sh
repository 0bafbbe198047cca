#!/bin/bash
# kill -9 of the daemon in the middle of a job: its job process dies with
# it; the restarted daemon finds the job RUNNING with a dead owner, resets
# it (ERROR, reason "stuck") and retries it from the checkpoint, and the
# final data equals an uninterrupted run of the same plugin settings.
# Also: a RUNNING job whose owner is on another host and silent past
# jobs.heartbeat_timeout_seconds is reset the same way.
set -euo pipefail
. "$abs_top_srcdir/tests/daemon/orch-lib.sh"
orch_setup
ph tenant add acme >/dev/null
cfg='{"pages":40,"page_delay_ms":100}'
a=$(orch_add acme killed orchtest "$cfg")
b=$(orch_add acme reference orchtest "$cfg")
ja=$(orch_job "$a")
jb=$(orch_job "$b")
# A job some other machine claimed and then went silent.
c=$(orch_add acme silent orchtest '{"pages":2}')
jc=$(orch_job "$c")
wh_sql "UPDATE etl_jobs SET state = 'PAUSED' WHERE id IN ($jb, $jc)" >/dev/null

orch_daemon main "$WH_CONF"
orch_wait_sql "SELECT (value::int >= 8) FROM integration_state WHERE integration_id = $a AND key = 'page'" t 30
owner=$(wh_sql "SELECT owner FROM etl_jobs WHERE id = $ja")
child=${owner##*:}
kill -9 "$(cat "$WH_DIR/main.pid")"
wait "$(cat "$WH_DIR/main.pid")" 2>/dev/null || :
rm -f "$WH_DIR/main.pid"
harness_wait_exit "$child" 5 || wh_fail "job process $child outlived the killed daemon"
at=$(wh_sql "SELECT value FROM integration_state WHERE integration_id = $a AND key = 'page'")
[ "$(orch_state "$ja")" = RUNNING ] || wh_fail "job $ja is $(orch_state "$ja") after kill -9, expected RUNNING"
[ "$at" -lt 40 ] || wh_fail "the job finished before the kill (checkpoint $at)"
wh_sql "UPDATE etl_jobs SET state = 'RUNNING', owner = 'elsewhere.example:4242', heartbeat_at = now() - interval '1 minute' WHERE id = $jc" >/dev/null

orch_daemon main "$WH_CONF"
orch_wait_sql "SELECT state FROM etl_jobs WHERE id = $ja" FINISHED 60
# the daemons (the first one killed -9 maybe mid-run) ran housekeeping
# at start (interval_seconds, default 3600): the partition three months
# ahead exists and a run ended well
ahead=$(wh_sql "SELECT 'raw_extraction_data_' || to_char(date_trunc('month', now() AT TIME ZONE 'UTC') + interval '3 months', '\"y\"YYYY\"m\"MM')")
hk_done() { [ -n "$(wh_sql "SELECT to_regclass('$ahead')")" ] && grep -q 'event=run dry_run=0 .* ok=1' "$WH_DIR/main.log"; }
harness_wait_for 60 "the daemon's housekeeping run" hk_done || { grep -v "^\s*$" "$WH_DIR/main.log" | tail -30 >&2; wh_fail "no housekeeping run"; }
wh_sql "SELECT reason FROM job_transitions WHERE job_id = $ja ORDER BY id" > "$WH_DIR/a.reasons"
wh_contains "$WH_DIR/a.reasons" "stuck: no heartbeat from $owner"
wh_contains "$WH_DIR/a.reasons" "that process is gone"
# resumed, not restarted: the first page of the second run is the checkpoint
first=$(wh_sql "SELECT min((body->>'page')::int) FROM raw_extraction_data WHERE integration_id = $a AND job_run_id = (SELECT max(id) FROM job_runs WHERE integration_id = $a)")
[ "$first" -ge "$at" ] || wh_fail "the retry started at page $first, before the checkpoint $at"
orch_wait_sql "SELECT state FROM etl_jobs WHERE id = $jc" FINISHED 30
wh_sql "SELECT reason FROM job_transitions WHERE job_id = $jc" | grep -q "stuck: no heartbeat from elsewhere.example:4242" ||
	wh_fail "the silent job was not reset as stuck"

# The same settings without interruption give the same data.
curl -fsS -X POST -H "Authorization: Bearer $(orch_token acme user)" "$ORCH_URL/api/v1/jobs/$jb/resume" >/dev/null
orch_wait_sql "SELECT state FROM etl_jobs WHERE id = $jb" FINISHED 60
pages() { wh_sql "SELECT string_agg(body->>'page', ',' ORDER BY (body->>'page')::int) FROM raw_extraction_data WHERE integration_id = $1"; }
recs() { wh_sql "SELECT count(*) || ':' || string_agg(external_id, ',' ORDER BY external_id) FROM repositories WHERE integration_id = $1"; }
[ "$(pages "$a")" = "$(pages "$b")" ] || wh_fail "raw pages differ: $(pages "$a") vs $(pages "$b")"
[ "$(recs "$a")" = "$(recs "$b")" ] || wh_fail "records differ after kill -9 and resume"
[ "$(wh_sql "SELECT count(*) FROM repositories WHERE integration_id = $a")" = 40 ] || wh_fail "expected 40 records"
orch_check_transitions
orch_stop main
echo "orch-kill9: ok"
