#!/bin/bash
# Between a job process's exit and its daemon recording the end there is a
# gap; another daemon on the host that sweeps for stuck jobs then sees a
# RUNNING job whose process is gone. It must leave the job to its daemon
# (the run ended normally) and not run it a second time: CI once saw
# orch-lock run a job twice this way under ASan. Daemon one freezes in the
# gap (failpoint orch.reaped: SIGSTOP after reaping, before recording);
# daemon two sweeps meanwhile and defers; after SIGCONT the job ends once.
set -euo pipefail
. "$abs_top_srcdir/tests/daemon/orch-lib.sh"
orch_setup
ph tenant add acme >/dev/null
id=$(orch_add acme j1 orchtest '{"pages":12,"page_delay_ms":250}')
job=$(orch_job "$id")
# Silence alone (no heartbeat while frozen) must not decide it here.
conf2=$(orch_conf second)
sed -i 's/heartbeat_timeout_seconds = 5;/heartbeat_timeout_seconds = 300;/' \
	"$WH_CONF" "$conf2"

frozen() { [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = T ]; }

PULSE_HOST_FAILPOINTS=orch.reaped=1:stop orch_daemon one "$WH_CONF"
one=$(cat "$WH_DIR/one.pid")
harness_wait_for 120 "daemon one to stop at orch.reaped" frozen "$one" ||
	{ cat "$WH_DIR/one.log" >&2; wh_fail "daemon one never reached the gap"; }
[ "$(orch_state "$job")" = RUNNING ] || wh_fail "job is $(orch_state "$job") in the gap, not RUNNING"
[ "$(wh_sql "SELECT state FROM job_runs WHERE job_id = $job")" = FINISHED ] ||
	wh_fail "the run did not end before its process exited"

orch_daemon two "$conf2"
harness_wait_for 60 "daemon two to defer the job to daemon one" \
	harness_log_has "$WH_DIR/two.log" "job=$job event=stuck_deferred" ||
	{ cat "$WH_DIR/two.log" >&2; wh_fail "daemon two never swept the job"; }
[ "$(orch_state "$job")" = RUNNING ] ||
	wh_fail "daemon two moved the job to $(orch_state "$job") while its daemon was recording it"
[ "$(wh_sql "SELECT count(*) FROM job_runs WHERE job_id = $job")" = 1 ] ||
	wh_fail "a second run started in the gap"

kill -CONT "$one"
orch_wait_sql "SELECT state FROM etl_jobs WHERE id = $job" FINISHED 60
[ "$(wh_sql "SELECT count(*) FROM job_runs WHERE job_id = $job")" = 1 ] ||
	wh_fail "expected 1 run, found $(wh_sql "SELECT count(*) FROM job_runs WHERE job_id = $job")"
[ "$(wh_sql "SELECT count(*) FROM job_transitions WHERE job_id = $job AND to_state = 'RUNNING'")" = 1 ] ||
	wh_fail "the job was claimed more than once"
! harness_log_has "$WH_DIR/two.log" "job=$job from=RUNNING to=ERROR" ||
	wh_fail "daemon two reset the job as stuck"
orch_check_transitions
orch_stop one
orch_stop two
echo "orch-reap-gap: ok"
