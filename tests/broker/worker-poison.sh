#!/bin/bash
# worker-poison.sh: malformed pages (the sandbox's fail_every) are poison.
# Each one ends as exactly one message in pulse.dead, its raw row failed
# with its error and marked dead-lettered (the database stays the truth),
# a later sweep does not bring it back, and every other page completes.
# A message that is not ours at all is dead-lettered too, and the worker
# goes on.
set -euo pipefail
. "$abs_top_srcdir/tests/broker/worker-lib.sh"

wt_setup poison
settings='{"repos":2,"prs_per_repo":40,"page_size":4,"seed":3,"fail_every":3}'
ib=$(wt_integration broker "$settings")

dead() {
	"$B" -c "$WT_CONF" queue status --json |
		grep -o '"name":"pulse.dead","ready":[0-9]*' | grep -o '[0-9]*$'
}
[ "$(dead)" = 0 ] || wt_fail "pulse.dead is not empty at the start"

wt_worker w1 --prefetch 8
wt_worker w2 --prefetch 8
rc=0
"$B" -c "$WT_CONF" job run --quiet --wait-timeout 300 "$ib" > "$WT_DIR/run.log" 2>&1 || rc=$?
[ "$rc" = 3 ] || { cat "$WT_DIR/run.log" >&2; wt_fail "job run exited $rc, want 3 (some rows failed)"; }
bad=$(wt_sql "SELECT count(*) FROM raw_extraction_data WHERE integration_id = $ib AND status = 'failed'")
[ "$bad" -gt 0 ] || wt_fail "no page failed; fail_every did nothing"

dead_is() { n=$(dead); [ "$n" = "$1" ]; }
wt_wait_for 10 "pulse.dead to hold $bad messages (one per bad page)" dead_is "$bad"
failed=$(wt_sql "SELECT count(*) FROM raw_extraction_data WHERE integration_id = $ib AND status = 'failed' AND dead_lettered AND attempts >= 1 AND error LIKE '%pull_requests%'")
[ "$failed" = "$bad" ] || wt_fail "$failed rows are failed+dead-lettered with their error, want $bad"
other=$(wt_sql "SELECT count(*) FROM raw_extraction_data WHERE integration_id = $ib AND status NOT IN ('completed', 'failed')")
[ "$other" = 0 ] || wt_fail "$other rows are neither completed nor failed"
grep -q 'event=dead_lettered' "$WT_DIR/w1.log" "$WT_DIR/w2.log" ||
	wt_fail "no worker logged a dead-lettering"

# No sweep may resurrect a failed row. `worker --once` exits only after a
# drain sweep of any age has found no open row, so once it has exited 0 a
# sweep has certainly run (waiting for the periodic ones would be timing).
wt_worker sweeper --once
wt_wait_exit sweeper 60
[ "$WT_RC" = 0 ] || wt_fail "worker --once (the sweeper) exited $WT_RC"
! harness_log_has "$WT_DIR/sweeper.log" 'event=swept' ||
	wt_fail "a drain sweep found rows to dispatch again: $(grep event=swept "$WT_DIR/sweeper.log")"
n=$(dead)
[ "$n" = "$bad" ] || wt_fail "pulse.dead changed to $n after a sweep, want $bad"

# A message that is not ours: dead-lettered, and the workers go on.
"$abs_top_builddir/tests/broker/amqp-send" "$PULSE_HOST_BROKER_URL" \
	pulse.transform 'not json' || wt_fail "amqp-send failed"
wt_wait_for 10 "the foreign message to reach pulse.dead" dead_is $((bad + 1))
grep -q 'event=invalid_message body="not json"' "$WT_DIR/w1.log" "$WT_DIR/w2.log" ||
	wt_fail "no worker logged the invalid message"
wt_stop_worker w1
wt_stop_worker w2

# The pages that did not fail loaded what an in-process run loads.
ref=$(wt_integration reference "$settings")
rc=0
"$B" -c "$WT_CONF" job run --in-process --quiet "$ref" >/dev/null 2>&1 || rc=$?
[ "$rc" = 3 ] || wt_fail "in-process reference run exited $rc, want 3"
rbad=$(wt_sql "SELECT count(*) FROM raw_extraction_data WHERE integration_id = $ref AND status = 'failed'")
[ "$rbad" = "$bad" ] || wt_fail "in-process run failed $rbad pages, the workers $bad"
for tab in $WT_TABLES; do
	a=$(wt_sql "SELECT count(*) FROM $tab WHERE tenant_id = $WT_T1")
	b=$(wt_sql "SELECT count(*) FROM $tab WHERE tenant_id = $WT_T2")
	[ "$a" = "$b" ] && [ "$a" -gt 0 ] || wt_fail "$tab: $a rows, the in-process run has $b"
done
echo "worker-poison: ok"
