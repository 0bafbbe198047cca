#!/bin/bash
# worker-scale.sh: three `pulse-host worker --once` processes share one
# queue; every raw page is loaded exactly once in effect (the canonical
# counts equal those of the same workload run in-process, nothing is
# duplicated, no raw row is left open), and each worker exits 0 on its
# own once the queue is drained. Then a long-running worker stops cleanly
# on SIGTERM, and `worker` without a broker refuses with exit status 2.
set -euo pipefail
. "$abs_top_srcdir/tests/broker/worker-lib.sh"

wt_setup scale
settings='{"repos":3,"prs_per_repo":40,"page_size":4,"seed":7}'
ref=$(wt_integration reference "$settings")
ib=$(wt_integration broker "$settings")

# The reference: the same workload, in-process.
"$B" -c "$WT_CONF" job run --in-process --quiet "$ref" >/dev/null
pages=$(wt_sql "SELECT count(*) FROM raw_extraction_data WHERE integration_id = $ref")
[ "$pages" -gt 20 ] || wt_fail "reference run stored only $pages pages"

# Extract with the broker: job run publishes every page, then waits.
"$B" -c "$WT_CONF" job run --quiet --wait-timeout 300 "$ib" \
	> "$WT_DIR/run.log" 2>&1 & run=$!
wt_wait_sql "SELECT count(*) FROM raw_extraction_data WHERE integration_id = $ib" \
	"$pages" 120
# Nothing is processed without workers.
done0=$(wt_sql "SELECT count(*) FROM raw_extraction_data WHERE integration_id = $ib AND status = 'completed'")
[ "$done0" = 0 ] || wt_fail "$done0 rows completed before any worker ran"
ready=$("$B" -c "$WT_CONF" queue status --json | grep -o '"name":"pulse.transform","ready":[0-9]*' | grep -o '[0-9]*$')
[ "$ready" = "$pages" ] || wt_fail "pulse.transform holds $ready messages, want $pages"

# Hold the PR table until each worker holds a full prefetch: otherwise the
# first worker to subscribe can drain the queue before the others start.
harness_hold "$WT_DIR" "$WT_ADMIN_URL" "LOCK TABLE prs IN EXCLUSIVE MODE" ||
	wt_fail "could not lock prs"
unacked() {
	rmq_ctl "$PULSE_TEST_RMQ_DIR" -q list_queues -p "$WT_VHOST" name messages_unacknowledged |
		awk '$1 == "pulse.transform" {n = $2} END {print n + 0}'
}
held_all() { [ "$(unacked)" -ge 24 ]; }
t0=$(harness_now)
for w in w1 w2 w3; do
	wt_worker "$w" --once --prefetch 8
done
wt_wait_for 120 "three workers to hold 8 messages each" held_all
harness_release
for w in w1 w2 w3; do
	wt_wait_exit "$w" 180
	[ "$WT_RC" = 0 ] || { tail -n 20 "$WT_DIR/$w.log" >&2; wt_fail "worker $w --once exited with $WT_RC"; }
done
secs=$(harness_elapsed "$t0")
rc=0; wait "$run" || rc=$?
[ "$rc" = 0 ] || { cat "$WT_DIR/run.log" >&2; wt_fail "job run exited with $rc"; }

wt_assert_same "$WT_T1" "$WT_T2"
busy=0
for w in w1 w2 w3; do
	n=$(sed -n 's/.*event=stopped .* done=\([0-9]*\).*/\1/p' "$WT_DIR/$w.log")
	wt_log "$w loaded $n rows"
	[ "${n:-0}" -gt 0 ] && busy=$((busy + 1))
done
[ "$busy" -ge 2 ] || wt_fail "only $busy of 3 workers got work"
records=$(wt_sql "SELECT (SELECT count(*) FROM prs WHERE tenant_id = $WT_T1) + (SELECT count(*) FROM prs_commits WHERE tenant_id = $WT_T1) + (SELECT count(*) FROM prs_reviews WHERE tenant_id = $WT_T1) + (SELECT count(*) FROM prs_comments WHERE tenant_id = $WT_T1)")
echo "measure: 3 workers --once: $pages pages, $records records in $secs s"

# A long-running worker: idle, then SIGTERM -> exit 0; the queue is empty.
wt_worker idle --prefetch 4
wt_wait_for 30 "the idle worker to start" harness_log_has "$WT_DIR/idle.log" event=started
wt_stop_worker idle
ready=$("$B" -c "$WT_CONF" queue status --json | grep -o '"name":"pulse.transform","ready":[0-9]*' | grep -o '[0-9]*$')
[ "$ready" = 0 ] || wt_fail "pulse.transform still holds $ready messages"

# No broker: the worker says why and exits 2.
rc=0
out=$(PULSE_HOST_BROKER_URL= "$B" -c "$WT_CONF" worker 2>&1) || rc=$?
[ "$rc" = 2 ] || wt_fail "worker without broker exited $rc, want 2"
case $out in *"no broker_url configured; in-process mode needs no transform worker"*) ;;
	*) wt_fail "unexpected message: $out" ;; esac
echo "worker-scale: ok"
