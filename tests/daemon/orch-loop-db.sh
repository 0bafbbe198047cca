#!/bin/bash
# The orchestrator's queries stay off the event loop (issue 11, item 12):
# with etl_jobs, job_runs, system_jobs and vectorization_queue locked, the
# orchestrator thread's tick (and the vectorization progress reads) wait
# on the lock while the loop still serves:
#  - /healthz answers, three times in a row (the time of each is printed,
#    not asserted);
#  - a WebSocket viewer connects.
# Before: the tick ran on the loop and held it until the lock timeout.
# After the lock, the job made due inside the locking transaction runs
# exactly once, and the viewer sees it complete.
set -euo pipefail
. "$abs_top_srcdir/tests/daemon/orch-lib.sh"
orch_setup
# Far longer than the checks below: the tick waits for the whole hold.
sed -i 's/^jobs = {/database = { lock_timeout_ms = 30000; statement_timeout_ms = 60000; };\njobs = {/' "$WH_CONF"
ph tenant add acme >/dev/null
job=$(orch_job "$(orch_add acme tiny sandbox '{"repos":1,"prs_per_repo":3,"page_size":5}')")
wh_sql "UPDATE etl_jobs SET state = 'PAUSED' WHERE id = $job" >/dev/null
orch_daemon main "$WH_CONF"
WS="ws://${ORCH_URL#http://}/ws/progress?token="
VIEW=$(orch_token acme view)

# waiters: sessions of this database waiting for a lock (the daemon's,
# since nothing else runs here)
waiters() {
	wh_sql "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database
		WHERE d.datname = current_database() AND NOT l.granted"
}
blocked() { [ "$(waiters)" -ge 1 ]; }

# ---- the job made due, in a transaction that keeps the tables locked
harness_hold "$WH_DIR" "$WH_ADMIN" "UPDATE etl_jobs SET state = 'PENDING' WHERE id = $job;
	LOCK TABLE etl_jobs, job_runs, system_jobs, vectorization_queue IN ACCESS EXCLUSIVE MODE" ||
	wh_fail "could not lock the orchestrator's tables"
harness_wait_for 20 "the orchestrator to wait on the lock" blocked ||
	{ orch_dump; wh_fail "nothing waited on the locked tables"; }
for i in 1 2 3; do
	out=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time 5 \
		"$ORCH_URL/healthz" 7>&- || :)
	echo "healthz $i while the tick waits on a lock: ${out#* } s"
	[ "${out%% *}" = 200 ] ||
		wh_fail "/healthz answered ${out%% *} while the orchestrator waited on a lock"
done
orch_node "$abs_top_srcdir/tests/daemon/sec-ws-client.mjs" "$WS$VIEW" "" \
	"$WH_DIR/viewer.out" 240 > "$WH_DIR/viewer.ws.out" 2>&1 7>&- &
echo $! > "$WH_DIR/viewer.ws.pid"
harness_wait_for 15 "the viewer to open while the tables are locked" \
	grep -q '^open' "$WH_DIR/viewer.ws.out" ||
	wh_fail "the viewer did not open while the orchestrator waited: $(cat "$WH_DIR/viewer.ws.out")"
blocked || wh_fail "the orchestrator no longer waited on the lock: the checks above proved nothing"
harness_release COMMIT

# ---- the due job runs, once
orch_wait_sql "SELECT state FROM etl_jobs WHERE id = $job" FINISHED 90
harness_wait_for 30 "job_completed at the viewer" \
	grep -q '"event":"job_completed"' "$WH_DIR/viewer.out" ||
	{ orch_dump; wh_fail "the viewer saw no job_completed: $(cat "$WH_DIR/viewer.out")"; }
runs=$(wh_sql "SELECT count(*) FROM job_runs WHERE job_id = $job")
[ "$runs" = 1 ] || { orch_dump; wh_fail "expected one run of the job, found $runs"; }
claims=$(wh_sql "SELECT count(*) FROM job_transitions WHERE job_id = $job AND to_state = 'RUNNING'")
[ "$claims" = 1 ] || wh_fail "the job was claimed $claims times"
orch_check_transitions
orch_ws_stop viewer
orch_stop main
echo "orch-loop-db: ok"
