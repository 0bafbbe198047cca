#!/bin/bash
# worker-partition.sh: the claim path reads one partition of the raw
# ledger. A stored page's message carries its row's created_at (the
# partition key), so a worker's claim and completion never touch the
# partitions of the other months. A message without the field (published
# before it existed) still completes its row, by looking in every
# partition; that half also shows that the measure (scans of those
# partitions, pg_stat_all_tables) does see such lookups.
set -euo pipefail
. "$abs_top_srcdir/tests/broker/worker-lib.sh"

# stale rows are swept (and published by id alone) only after 10 minutes:
# every message here is the test's own
WT_STALE=600
wt_setup partition
ib=$(wt_integration broker '{"repos":2,"prs_per_repo":12,"page_size":4,"seed":5}')

# Scans (sequential or by index) of the partitions holding none of the
# run's rows (the default partition and the months ahead, at least).
# A backend's counters reach the shared ones by the time it has left
# pg_stat_activity, so settle waits for every other session to be gone.
touches() {
	wt_sql "SELECT coalesce(sum(seq_scan + coalesce(idx_scan, 0)), 0)
	          FROM pg_stat_all_tables WHERE relid IN ($idle)"
}
settle() {
	wt_wait_sql "SELECT count(*) FROM pg_stat_activity
	              WHERE datname = current_database() AND pid <> pg_backend_pid()" 0 60
}
# (the test's own polling names the rows' months, so it reads only theirs)
completed_all() {
	wt_wait_sql "SELECT count(*) FROM raw_extraction_data WHERE integration_id = $ib AND status = 'completed'
	               AND created_at BETWEEN '$lo' AND '$hi'" "$done_rows" 60
}

# 1. A run: the store publishes each page with its created_at; a wrong
# one would leave its row open (the claim finds nothing), a malformed one
# dead-letters the message.
wt_worker w1 --prefetch 8
"$B" -c "$WT_CONF" job run --quiet --wait-timeout 120 "$ib" > "$WT_DIR/run.log" 2>&1 ||
	{ cat "$WT_DIR/run.log" >&2; wt_fail "job run failed"; }
wt_stop_worker w1
done_rows=$(wt_sql "SELECT count(*) FROM raw_extraction_data WHERE integration_id = $ib AND status = 'completed'")
[ "$done_rows" -gt 1 ] || wt_fail "$done_rows raw rows completed, want several"
open=$(wt_sql "SELECT count(*) FROM raw_extraction_data WHERE integration_id = $ib AND status <> 'completed'")
[ "$open" = 0 ] || wt_fail "$open raw rows are not completed"
idle=$(wt_sql "SELECT string_agg(h.inhrelid::text, ',') FROM pg_inherits h
                WHERE h.inhparent = 'raw_extraction_data'::regclass
                  AND h.inhrelid NOT IN (SELECT DISTINCT tableoid FROM raw_extraction_data)")
[ -n "$idle" ] || wt_fail "no partition without rows to watch"
nidle=$(tr ',' '\n' <<< "$idle" | wc -l)
lo=$(wt_sql "SELECT min(created_at) FROM raw_extraction_data WHERE integration_id = $ib")
hi=$(wt_sql "SELECT max(created_at) FROM raw_extraction_data WHERE integration_id = $ib")
list=$(wt_sql "SELECT tenant_id, id, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') FROM raw_extraction_data WHERE integration_id = $ib")

# Each measure: the rows pending again, a baseline, one message per row,
# a worker taking one message at a time (so an id-only claim reads each
# idle partition once per row) and sweeping only at its start (a sweep
# reads every partition, at most once each: the margin allowed).
measure() {
	local name=$1 with_at=$2 before t id at
	wt_sql "UPDATE raw_extraction_data SET status = 'pending', attempts = 0, updated_at = now() WHERE integration_id = $ib" >/dev/null
	settle
	before=$(touches)
	while IFS='|' read -r t id at; do
		if [ "$with_at" = 1 ]; then
			body="{\"tenant_id\":$t,\"raw_id\":$id,\"created_at\":\"$at\"}"
		else
			body="{\"tenant_id\":$t,\"raw_id\":$id}"
		fi
		"$abs_top_builddir/tests/broker/amqp-send" "$PULSE_HOST_BROKER_URL" \
			pulse.transform "$body" || wt_fail "amqp-send failed"
	done <<< "$list"
	wt_worker "$name" --prefetch 1 --sweep-interval 86400
	completed_all
	wt_stop_worker "$name"
	settle
	MEASURED=$(( $(touches) - before ))
	wt_log "$name: $done_rows rows, the $nidle idle partitions read $MEASURED times"
}

# 2. Messages with created_at: no claim reads an idle partition.
measure w2 1
[ "$MEASURED" -le "$nidle" ] ||
	wt_fail "claims with created_at read the other partitions $MEASURED times, want at most $nidle (the start-up sweep)"

# 3. Old messages (no created_at): processed all the same, each claim
# looking in every partition.
measure w3 0
[ "$MEASURED" -ge $((done_rows * nidle)) ] ||
	wt_fail "id-only claims read the other partitions $MEASURED times, want at least $((done_rows * nidle)): the measure above proves nothing"
echo "worker-partition: ok"
