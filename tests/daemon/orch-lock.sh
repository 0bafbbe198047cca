#!/bin/bash
# Two `pulse-host run` daemons on one database never run the same job at
# once: every job runs exactly once, its runs never overlap, each claim
# (PENDING -> RUNNING) happens once per job, and each daemon ran some of
# them. The jobs are held (PAUSED) until both daemons serve, then released
# together; each runs ~3 s and a daemon runs at most max_running = 4 at a
# time, so the first daemon cannot take all 8 before the second one's
# next tick.
set -euo pipefail
. "$abs_top_srcdir/tests/daemon/orch-lib.sh"
orch_setup
ph tenant add acme >/dev/null
ph tenant add other >/dev/null
n=8 pages=12
held=()
for i in $(seq $n); do
	t=acme; [ $((i % 2)) = 0 ] && t=other
	id=$(orch_add "$t" "j$i" orchtest "{\"pages\":$pages,\"page_delay_ms\":250}")
	held+=("$(orch_job "$id"):$t")
	wh_sql "UPDATE etl_jobs SET state = 'PAUSED' WHERE integration_id = $id" >/dev/null
done
conf2=$(orch_conf second)
orch_daemon one "$WH_CONF"
orch_daemon two "$conf2"
declare -A tok=([acme]=$(orch_token acme user) [other]=$(orch_token other user))
for j in "${held[@]}"; do
	orch_expect 202 POST "/api/v1/jobs/${j%%:*}/resume" "${tok[${j#*:}]}"
done
orch_wait_sql "SELECT count(*) FROM etl_jobs WHERE state = 'FINISHED'" "$n" 90
if [ "$(wh_sql "SELECT count(*) FROM job_runs")" != "$n" ]; then
	# Say why a run was repeated (its error), so a failure can be read.
	wh_sql "SELECT job_id, state, owner, error_class, error FROM job_runs ORDER BY id" >&2
	wh_fail "expected $n runs, found $(wh_sql "SELECT count(*) FROM job_runs")"
fi
[ "$(wh_sql "SELECT count(*) FROM job_transitions WHERE to_state = 'RUNNING'")" = "$n" ] ||
	wh_fail "some job was claimed twice"
overlap=$(wh_sql "SELECT count(*) FROM job_runs a JOIN job_runs b ON a.job_id = b.job_id AND a.id < b.id AND a.started_at < b.finished_at AND b.started_at < a.finished_at")
[ "$overlap" = 0 ] || wh_fail "$overlap overlapping runs of one job"
[ "$(wh_sql "SELECT count(*) FROM repositories")" = $((n * pages)) ] || wh_fail "records missing or duplicated"
# Each daemon did work (so the test exercised contention), and together
# they started every job once.
one=$(harness_log_count "$WH_DIR/one.log" 'event=started pid')
two=$(harness_log_count "$WH_DIR/two.log" 'event=started pid')
echo "jobs run by daemon one: $one, by daemon two: $two"
[ "$one" -ge 1 ] || wh_fail "daemon one started no job (daemon two started $two)"
[ "$two" -ge 1 ] || wh_fail "daemon two started no job (daemon one started $one)"
[ $((one + two)) = "$n" ] || wh_fail "daemons report $one + $two job starts for $n jobs"
orch_check_transitions
orch_stop one
orch_stop two
echo "orch-lock: ok"
