#!/bin/bash
# people-run-timeout: the people resolve after a run (trigger
# job_runs_people) that outlasts the statement timeout does not fail the
# run (migration 109): the run's update goes through, its stats say
# people_error, and `people resolve` does the work afterwards. The
# resolve is held up deterministically: another session holds a lock on
# `people` while the run finishes with a 2 s statement timeout, so the
# timeout fires inside the resolve whatever the machine's speed.
set -euo pipefail
. "$abs_top_srcdir/tests/harness/lib.sh"
. "$abs_top_srcdir/tests/db/people-lib.sh"

people_setup people_timeout
is() {      # is DESCRIPTION GOT WANT
	if [ "$2" = "$3" ]; then echo "ok - $1"; else
		echo "not ok - $1"; echo "  got:  $2"; echo "  want: $3"; fails=$((fails + 1)); fi
}

sql <<'SQL'
INSERT INTO tenants (id, name) VALUES (511, 'pt');
SET app.tenant_id = '511';
INSERT INTO integrations (id, tenant_id, name, type, plugin, settings) VALUES
    (61, 511, 'entra-t', 'Data', 'entra', '{}');
INSERT INTO directory_users (tenant_id, integration_id, external_id, source, principal_name, mail)
SELECT 511, 61, 'u' || i, 'entra', 'u' || i || '@t.example', 'u' || i || '@t.example'
  FROM generate_series(1, 100) i;
INSERT INTO job_runs (id, tenant_id, integration_id) VALUES (9101, 511, 61);
SQL

# The lock holder; it lets go after 8 s (or when killed at the end).
sql -c "BEGIN" -c "LOCK TABLE people IN ACCESS EXCLUSIVE MODE" -c "SELECT pg_sleep(8)" \
	-c "COMMIT" > /dev/null 2> "$DIR/locker.err" &
locker=$!
held() {
	[ "$(sql -c "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
	              WHERE l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
	                AND c.relname = 'people' AND l.mode = 'AccessExclusiveLock' AND l.granted")" = 1 ]
}
harness_wait_for 60 "the lock on people" held || { kill "$locker" 2>/dev/null; exit 1; }

rc=0
sql -c "SET app.tenant_id = '511'" -c "SET lock_timeout = 0" -c "SET statement_timeout = 2000" \
	-c "UPDATE job_runs SET state = 'FINISHED', finished_at = now() WHERE id = 9101" \
	> /dev/null 2> "$DIR/update.err" || rc=$?
cat "$DIR/update.err"
wait "$locker" || { cat "$DIR/locker.err"; echo "the lock holder failed"; exit 1; }
is "the run's final update succeeds although its resolve timed out" "$rc" 0
is "the run is FINISHED" \
	"$(sql -c "SET app.tenant_id = '511'" -c "SELECT state FROM job_runs WHERE id = 9101" | tail -1)" FINISHED
is "its stats name the timeout" \
	"$(sql -c "SET app.tenant_id = '511'" -c "SELECT stats->>'people_error' LIKE '%statement timeout%' FROM job_runs WHERE id = 9101" | tail -1)" t
is "the warning says what to run" "$(grep -c 'run `pulse-host people resolve`' "$DIR/update.err")" 1
is "nothing was half-resolved" \
	"$(sql -c "SET app.tenant_id = '511'" -c "SELECT count(*) FROM people_links" | tail -1)" 0
"$B" -c "$CONF" people resolve --tenant pt --json > "$DIR/r.json"
is "people resolve then makes the 100 people" \
	"$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["people_added"])' "$DIR/r.json")" 100
[ "$fails" -eq 0 ] || { echo "$fails check(s) failed"; exit 1; }
echo PASS
