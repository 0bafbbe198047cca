#!/bin/bash
# worker-broker-restart.sh: RabbitMQ (a node of this test alone) is stopped
# and started again while two workers are in the middle of a run. Worker A
# is running during the outage (it must retry with backoff, then
# re-declare and re-consume); worker B sleeps through it (SIGSTOP) and
# wakes up to a dead connection. Every page is still loaded exactly once
# in effect, and the time from "broker up" to "worker reconnected" is
# measured.
set -euo pipefail
. "$abs_top_srcdir/tests/broker/worker-lib.sh"

wt_setup brokerrestart
wt_private_broker
settings='{"repos":4,"prs_per_repo":60,"page_size":2,"seed":5}'
ref=$(wt_integration reference "$settings")
ib=$(wt_integration broker "$settings")
"$B" -c "$WT_CONF" job run --in-process --quiet "$ref" >/dev/null
pages=$(wt_sql "SELECT count(*) FROM raw_extraction_data WHERE integration_id = $ref")

"$B" -c "$WT_CONF" job run --quiet --wait-timeout 400 "$ib" \
	> "$WT_DIR/run.log" 2>&1 & run=$!
wt_wait_sql "SELECT count(*) FROM raw_extraction_data WHERE integration_id = $ib" \
	"$pages" 120

# Each worker holds in its first transform (the sandbox's hold point, one
# file each) with a claimed batch and prefetched messages; both are frozen
# there, so the broker stops with work open however fast the machine is.
PULSE_SANDBOX_HOLD_FILE=$WT_DIR/a.hold wt_worker a --prefetch 4
PULSE_SANDBOX_HOLD_FILE=$WT_DIR/b.hold wt_worker b --prefetch 16
wt_wait_for 60 "both workers to reach their hold point" eval \
	'test -s "$WT_DIR/a.hold" && test -s "$WT_DIR/b.hold"'
kill -STOP "${WT_PID[a]}" "${WT_PID[b]}"
rm -f "$WT_DIR/a.hold" "$WT_DIR/b.hold"
open=$(wt_sql "SELECT count(*) FROM raw_extraction_data WHERE integration_id = $ib AND status <> 'completed'")
[ "$open" -gt 0 ] || wt_fail "the workers finished before the broker could be stopped"
wt_log "stopping the broker with $open of $pages rows open"
rmq_stop "$WT_DIR/rmq"
kill -CONT "${WT_PID[a]}"
# A notices the broker is gone and retries (a logged failed attempt), and
# is still alive after that.
wt_wait_for 60 "worker a to retry the stopped broker" \
	harness_log_has "$WT_DIR/a.log" 'event=reconnect broker=.* attempt='
harness_alive "${WT_PID[a]}" || wt_fail "worker a died while the broker was down"
rmq_start "$WT_DIR/rmq" || wt_fail "private RabbitMQ did not come back"
up=$(harness_now)
kill -CONT "${WT_PID[b]}"

rc=0; wait "$run" || rc=$?
[ "$rc" = 0 ] || { cat "$WT_DIR/run.log" >&2; wt_fail "job run exited with $rc"; }
# A may still be waiting out its backoff (at most 10 s) when B finished.
wt_wait_for 30 "worker a to reconnect" harness_log_has "$WT_DIR/a.log" event=reconnected
wt_stop_worker a
wt_stop_worker b
wt_assert_same "$WT_T1" "$WT_T2"
for w in a b; do
	line=$(grep -m1 'event=reconnected' "$WT_DIR/$w.log") ||
		wt_fail "worker $w never logged a reconnect"
	ts=${line%% *}
	at=$(date -d "$ts" +%s.%3N)
	wt_log "worker $w: $line"
	echo "measure: worker $w reconnected $(awk -v a="$up" -v b="$at" 'BEGIN { printf "%.2f", b - a }') s after the broker was up"
done
grep -q 'event=reconnect .*next_retry_ms=' "$WT_DIR/a.log" ||
	wt_fail "worker a did not log its retries"
echo "worker-broker-restart: ok"
