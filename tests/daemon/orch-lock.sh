#!/bin/bash
# Two `pulse-host run` daemons on one database never run the same job at
# once: every job runs exactly once, its runs never overlap, and each
# claim (PENDING -> RUNNING) happens once per job.
set -euo pipefail
. "$abs_top_srcdir/tests/daemon/orch-lib.sh"
orch_setup
ph tenant add acme >/dev/null
ph tenant add other >/dev/null
n=8
for i in $(seq $n); do
	t=acme; [ $((i % 2)) = 0 ] && t=other
	orch_add "$t" "j$i" orchtest '{"pages":8,"page_delay_ms":50}' >/dev/null
done
conf2=$(orch_conf second)
orch_daemon one "$WH_CONF"
orch_daemon two "$conf2"
orch_wait_sql "SELECT count(*) FROM etl_jobs WHERE state = 'FINISHED'" "$n" 90
[ "$(wh_sql "SELECT count(*) FROM job_runs")" = "$n" ] ||
	wh_fail "expected $n runs, found $(wh_sql "SELECT count(*) FROM job_runs")"
[ "$(wh_sql "SELECT count(*) FROM job_transitions WHERE to_state = 'RUNNING'")" = "$n" ] ||
	wh_fail "some job was claimed twice"
overlap=$(wh_sql "SELECT count(*) FROM job_runs a JOIN job_runs b ON a.job_id = b.job_id AND a.id < b.id AND a.started_at < b.finished_at AND b.started_at < a.finished_at")
[ "$overlap" = 0 ] || wh_fail "$overlap overlapping runs of one job"
[ "$(wh_sql "SELECT count(*) FROM repositories")" = $((n * 8)) ] || wh_fail "records missing or duplicated"
# Both daemons did work (so the test exercised contention).
one=$(grep -c 'event=started pid' "$WH_DIR/one.log" || :)
two=$(grep -c 'event=started pid' "$WH_DIR/two.log" || :)
echo "jobs run by daemon one: $one, by daemon two: $two"
[ $((one + two)) = "$n" ] || wh_fail "daemons report $one + $two job starts for $n jobs"
orch_check_transitions
orch_stop one
orch_stop two
echo "orch-lock: ok"
