#!/bin/bash
# Housekeeping as the daemon's system job: it waits while a data job runs
# (here one whose plugin hangs: orchtest's stubborn mode ignores SIGTERM
# and never checks for cancellation); `job force-stop` kills that process
# and records ERROR "stopped by operator" with actor and reason; then
# housekeeping runs (NOT_STARTED -> RUNNING -> FINISHED) and shows in
# `job list` and GET /api/v1/jobs. The admin API's force routes (403 for a
# user, 400 without a reason), GET /api/v1/stats. A system job left
# RUNNING by a killed daemon is reset as stuck and run again at the next
# start, and that second run finds nothing left to create (idempotent).
set -euo pipefail
. "$abs_top_srcdir/tests/daemon/orch-lib.sh"
orch_setup
jq_() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }
ph tenant add acme >/dev/null
a=$(orch_add acme hung orchtest '{"mode":"stubborn","hold_s":600}')
ja=$(orch_job "$a")

orch_daemon main "$WH_CONF"
orch_wait_sql "SELECT state FROM etl_jobs WHERE id = $ja" RUNNING 30
waiting() { grep -q "event=wait waiting: job $ja (orchtest, RUNNING)" "$WH_DIR/main.log"; }
harness_wait_for 20 "housekeeping to wait for job $ja" waiting || { tail -20 "$WH_DIR/main.log" >&2; wh_fail "housekeeping did not wait for the running data job"; }
[ "$(wh_sql "SELECT state FROM system_jobs WHERE name = 'housekeeping'")" = NOT_STARTED ] || wh_fail "housekeeping ran beside a running data job"

# force-stop the hung job
owner=$(wh_sql "SELECT owner FROM etl_jobs WHERE id = $ja")
child=${owner##*:}
ph job force-stop "$ja" --reason "hung on the vendor" > "$WH_DIR/fs.out"
wh_contains "$WH_DIR/fs.out" "job $ja: RUNNING -> ERROR (force-stop by cli:"
wh_contains "$WH_DIR/fs.out" "process $child killed"
harness_wait_exit "$child" 10 || wh_fail "the hung job process $child survived force-stop"
row=$(wh_sql "SELECT from_state || '|' || to_state || '|' || reason || '|' || (actor LIKE 'cli:%') FROM job_transitions WHERE job_id = $ja AND actor IS NOT NULL")
[ "$row" = "RUNNING|ERROR|forced: stopped by operator: hung on the vendor|true" ] || wh_fail "force-stop transition: $row"
sleep 1
[ "$(orch_state "$ja")" = ERROR ] || wh_fail "job $ja is $(orch_state "$ja") after force-stop, expected ERROR"
[ "$(wh_sql "SELECT last_error FROM etl_jobs WHERE id = $ja")" = "stopped by operator: hung on the vendor" ] || wh_fail "last_error after force-stop"

# now housekeeping runs
orch_wait_sql "SELECT state FROM system_jobs WHERE name = 'housekeeping'" FINISHED 60
[ "$(wh_sql "SELECT string_agg(from_state || '>' || to_state, ',' ORDER BY id) FROM system_job_transitions")" = "NOT_STARTED>RUNNING,RUNNING>FINISHED" ] ||
	wh_fail "housekeeping transitions: $(wh_sql "SELECT string_agg(from_state || '>' || to_state, ',' ORDER BY id) FROM system_job_transitions")"
[ "$(wh_sql "SELECT jsonb_array_length(last_summary->'partitions_created') > 0 FROM system_jobs")" = t ] || wh_fail "the run's summary lacks the partitions it created"
ph job list > "$WH_DIR/list.txt"
grep -q "^housekeeping .*system .*FINISHED" "$WH_DIR/list.txt" || { cat "$WH_DIR/list.txt"; wh_fail "job list lacks the housekeeping job"; }
V=$(orch_token acme view); U=$(orch_token acme user); A=$(orch_token acme admin)
orch_expect 200 GET /api/v1/jobs "$V"
[ "$(jq_ "$WH_DIR/resp.json" "[(s['name'], s['state']) for s in d['system_jobs']]")" = "[('housekeeping', 'FINISHED')]" ] ||
	{ cat "$WH_DIR/resp.json"; wh_fail "GET /jobs lacks system_jobs"; }

# the admin API
orch_expect 403 POST "/api/v1/jobs/$ja/force-start" "$U" '{"reason":"x"}'
orch_expect 400 POST "/api/v1/jobs/$ja/force-start" "$A" '{}'
orch_expect 200 POST "/api/v1/jobs/$ja/force-start" "$A" '{"reason":"try again"}'
wh_contains "$WH_DIR/resp.json" '"from":"ERROR","to":"PENDING","actor":"api:'
orch_wait_sql "SELECT state FROM etl_jobs WHERE id = $ja" RUNNING 30
orch_expect 200 POST "/api/v1/jobs/$ja/force-stop" "$A" '{"reason":"still hung"}'
[ "$(jq_ "$WH_DIR/resp.json" "d['killed_pid'] > 0 and d['to'] == 'ERROR'")" = True ] || { cat "$WH_DIR/resp.json"; wh_fail "API force-stop"; }
# keep it from running again (a stubborn process would slow the shutdown)
wh_sql "UPDATE integrations SET enabled = false WHERE id = $a" > /dev/null
orch_expect 200 POST "/api/v1/jobs/$ja/reset" "$A" '{"reason":"start over","clear_checkpoint":true}'
wh_contains "$WH_DIR/resp.json" '"to":"NOT_STARTED"'
orch_expect 404 POST "/api/v1/jobs/999999/reset" "$A" '{"reason":"x"}'
orch_expect 200 POST /api/v1/system-jobs/housekeeping/force-start "$A" '{"reason":"now please"}'
[ "$(wh_sql "SELECT reason || '|' || actor FROM system_job_transitions WHERE actor IS NOT NULL ORDER BY id DESC LIMIT 1")" = "force-start: now please|api:$(jq_ "$WH_DIR/resp.json" "d['actor'][4:]")" ] ||
	wh_fail "system job force through the API not recorded"
orch_expect 200 GET /api/v1/stats "$V"
[ "$(jq_ "$WH_DIR/resp.json" "'raw_extraction_data' in [t['table'] for t in d['tables']] and len(d['raw_by_month']) > 0 and 'bytes_per_day' in d['growth']")" = True ] ||
	{ cat "$WH_DIR/resp.json"; wh_fail "GET /stats"; }
orch_stop main

# a run left RUNNING by a daemon killed with -9 (its owner is gone)
host=$(hostname)
wh_sql "UPDATE system_jobs SET state = 'RUNNING', owner = '$host:999999', heartbeat_at = now(), next_run_at = now() + interval '1 hour'" > /dev/null
n0=$(wh_sql "SELECT max(id) FROM system_job_transitions")
orch_daemon main "$WH_CONF"
orch_wait_sql "SELECT state || (SELECT count(*) FROM system_job_transitions WHERE id > $n0 AND to_state = 'FINISHED') FROM system_jobs" FINISHED1 60
wh_sql "SELECT reason FROM system_job_transitions WHERE id > $n0 ORDER BY id" > "$WH_DIR/stuck.txt"
wh_contains "$WH_DIR/stuck.txt" "stuck: no heartbeat from $host:999999"
[ "$(wh_sql "SELECT jsonb_array_length(last_summary->'partitions_created') FROM system_jobs")" = 0 ] || wh_fail "the second run created partitions again"
orch_stop main
echo "PASS: housekeeping system job waits for data jobs, force-stop ends a hung plugin, admin API, stuck reset"
