#!/bin/bash
# `job run` with the sandbox plugin, in-process: exact counts, replay is a
# no-op, malformed pages and invalid records fail their raw row only (with
# the entity and field named), a killed run resumes from its checkpoint,
# SIGTERM cancels between pages.
set -euo pipefail
. "$abs_top_srcdir/tests/db/warehouse-lib.sh"
wh_setup
ph tenant add acme >/dev/null

add() { # add NAME JSON: print the new integration's id
	printf '%s\n' "$2" > "$WH_DIR/$1.json"
	ph integration add --tenant acme --plugin sandbox --config "$WH_DIR/$1.json" \
		--name "$1" --json | harness_json_get id
}
count() { wh_sql "SELECT count(*) FROM $1 WHERE integration_id = $2"; }
# What the pages hold, counted by PostgreSQL from the stored bodies (not by
# our transform): the expected row count of each table.
expect() { # expect ID TABLE
	local prs="jsonb_array_elements(coalesce(body->'pull_requests', '[]'))"
	case $2 in
	repositories) wh_sql "SELECT count(DISTINCT r->>'full_name') FROM raw_extraction_data, jsonb_array_elements(coalesce(body->'repositories', '[]')) r WHERE integration_id = $1" ;;
	prs) wh_sql "SELECT count(DISTINCT p->>'id') FROM raw_extraction_data, $prs p WHERE integration_id = $1" ;;
	prs_commits) wh_sql "SELECT count(DISTINCT (p->>'id') || (c->>'oid')) FROM raw_extraction_data, $prs p, jsonb_array_elements(p->'commits') c WHERE integration_id = $1" ;;
	prs_reviews) wh_sql "SELECT count(DISTINCT r->>'id') FROM raw_extraction_data, $prs p, jsonb_array_elements(p->'reviews') r WHERE integration_id = $1" ;;
	prs_comments) wh_sql "SELECT count(DISTINCT c->>'id') FROM raw_extraction_data, $prs p, jsonb_array_elements(p->'comments') c WHERE integration_id = $1" ;;
	esac
}
check_counts() { # check_COUNTS ID: every table holds what the pages hold
	local t got want
	for t in repositories prs prs_commits prs_reviews prs_comments; do
		got=$(count "$t" "$1")
		want=$(expect "$1" "$t")
		[ "$got" = "$want" ] || wh_fail "integration $1: $t has $got rows, the pages hold $want"
	done
}
records() { # records ID: rows of all five tables
	wh_sql "SELECT (SELECT count(*) FROM repositories WHERE integration_id = $1) + (SELECT count(*) FROM prs WHERE integration_id = $1) + (SELECT count(*) FROM prs_commits WHERE integration_id = $1) + (SELECT count(*) FROM prs_reviews WHERE integration_id = $1) + (SELECT count(*) FROM prs_comments WHERE integration_id = $1)"
}

# --- a clean run: 1 + 2 x 5 pages -----------------------------------------
I1=$(add clean '{"repos": 2, "prs_per_repo": 30, "page_size": 7, "seed": 7}')
ph job run "$I1" > "$WH_DIR/run1.out" 2> "$WH_DIR/run1.err" ||
	{ cat "$WH_DIR/run1.out" "$WH_DIR/run1.err"; wh_fail "clean job run failed"; }
wh_contains "$WH_DIR/run1.out" "extract pages: 11/11 (100%)"
wh_contains "$WH_DIR/run1.out" "raw rows:      11 completed, 0 failed"
wh_contains "$WH_DIR/run1.out" "prs            60 records: 60 inserted"
[ "$(count prs "$I1")" = 60 ] || wh_fail "prs: $(count prs "$I1"), want 2 x 30"
[ "$(count repositories "$I1")" = 2 ] || wh_fail "repositories"
check_counts "$I1"
total=$(records "$I1")
[ "$(count vectorization_queue "$I1")" = "$total" ] || wh_fail "vectorization_queue: $(count vectorization_queue "$I1") rows for $total records"
[ "$(wh_sql "SELECT count(*) FROM vectorization_queue WHERE integration_id = $I1 AND operation <> 'insert'")" = 0 ] ||
	wh_fail "first load queued non-inserts"
# text survives the COPY path byte for byte
want=$(printf 'Fix "edge" case\tin C:\\tmp #1\nsecond line \xc3\xa9')
got=$(wh_sql "SELECT title FROM prs WHERE integration_id = $I1 AND number = 1 LIMIT 1")
[ "$got" = "$want" ] || wh_fail "title mangled: [$got]"
[ "$(wh_sql "SELECT state || ' ' || (stats->>'raw_completed') FROM job_runs WHERE integration_id = $I1")" = "FINISHED 11" ] ||
	wh_fail "job_runs row: $(wh_sql "SELECT state, stats FROM job_runs WHERE integration_id = $I1")"
[ "$(wh_sql "SELECT state FROM etl_jobs WHERE integration_id = $I1")" = FINISHED ] || wh_fail "etl_jobs state"

# --- the same run again: nothing changes ----------------------------------
stamp=$(wh_sql "SELECT max(loaded_at) FROM prs WHERE integration_id = $I1")
ph job run "$I1" > "$WH_DIR/run2.out" 2>&1 || { cat "$WH_DIR/run2.out"; wh_fail "second run"; }
wh_contains "$WH_DIR/run2.out" "prs            60 records: 0 inserted, 0 updated, 60 unchanged"
[ "$(wh_sql "SELECT count(*) FROM raw_extraction_data WHERE integration_id = $I1")" = 22 ] || wh_fail "second run stored no pages"
[ "$(records "$I1")" = "$total" ] || wh_fail "replay changed the row count"
[ "$(count vectorization_queue "$I1")" = "$total" ] || wh_fail "replay grew vectorization_queue"
[ "$(wh_sql "SELECT max(loaded_at) FROM prs WHERE integration_id = $I1")" = "$stamp" ] || wh_fail "replay rewrote rows"

# --- malformed pages: their rows fail, the rest complete ------------------
I2=$(add malformed '{"repos": 2, "prs_per_repo": 30, "page_size": 7, "fail_every": 4}')
rc=0
ph job run "$I2" > "$WH_DIR/mal.out" 2> "$WH_DIR/mal.err" || rc=$?
[ "$rc" = 3 ] || { cat "$WH_DIR/mal.out" "$WH_DIR/mal.err"; wh_fail "malformed pages: exit $rc, want 3"; }
# pages 4 and 8 of 11 are malformed
[ "$(wh_sql "SELECT count(*) FROM raw_extraction_data WHERE integration_id = $I2 AND status = 'failed'")" = 2 ] || wh_fail "failed rows"
[ "$(wh_sql "SELECT count(*) FROM raw_extraction_data WHERE integration_id = $I2 AND status = 'completed'")" = 9 ] || wh_fail "completed rows"
wh_sql "SELECT error FROM raw_extraction_data WHERE integration_id = $I2 AND status = 'failed'" > "$WH_DIR/mal.rows"
wh_contains "$WH_DIR/mal.rows" "(sandbox/pull_requests): page of https://sandbox.invalid/api/repos/acme/repo-1/pulls?page=4 has no 'repository' or no 'pull_requests' array"
wh_contains "$WH_DIR/mal.out" "raw rows:      9 completed, 2 failed"
wh_contains "$WH_DIR/mal.err" "job run: integration $I2 (sandbox) finished with failures: 2 raw rows failed; first: transform of raw row"
check_counts "$I2"

# --- invalid records: the entity and the field are named -------------------
I3=$(add badfield '{"repos": 1, "prs_per_repo": 3, "bad_field": true}')
rc=0; ph job run "$I3" > "$WH_DIR/bf.out" 2> "$WH_DIR/bf.err" || rc=$?
[ "$rc" = 3 ] || wh_fail "bad_field: exit $rc"
wh_contains "$WH_DIR/bf.err" "(sandbox/pull_requests): entity 'prs' has no field 'titel'"
[ "$(count prs "$I3")" = 0 ] || wh_fail "a page with an invalid record was partly loaded"
[ "$(count prs_commits "$I3")" = 0 ] || wh_fail "commits of a failed page were loaded"
I4=$(add wrongtype '{"repos": 1, "prs_per_repo": 3, "wrong_type": true}')
rc=0; ph job run "$I4" > "$WH_DIR/wt.out" 2> "$WH_DIR/wt.err" || rc=$?
[ "$rc" = 3 ] || wh_fail "wrong_type: exit $rc"
wh_contains "$WH_DIR/wt.err" "field 'number' of 'prs' is integer, got string"
wh_sql "SELECT error FROM raw_extraction_data WHERE integration_id = $I4 AND status = 'failed'" | grep -q "field 'number' of 'prs' is integer, got string" ||
	wh_fail "the raw row does not carry the error"

# --- kill -9 in the middle of the extract: the next run resumes -----------
I5=$(add killed '{"repos": 2, "prs_per_repo": 50, "page_size": 5, "page_delay_ms": 150}')
"$WH_BIN" -c "$WH_CONF" job run "$I5" > "$WH_DIR/k1.out" 2>&1 &
pid=$!
stored() { [ "$(wh_sql "SELECT count(*) FROM raw_extraction_data WHERE integration_id = $1")" -ge "$2" ]; }
wh_wait_for 60 "6 pages of integration $I5 to be stored" stored "$I5" 6
kill -9 "$pid"
wait "$pid" 2>/dev/null || :
n1=$(wh_sql "SELECT count(*) FROM raw_extraction_data WHERE integration_id = $I5")
[ "$n1" -ge 6 ] && [ "$n1" -lt 21 ] || wh_fail "kill came at page $n1 of 21"
[ "$(wh_sql "SELECT value FROM integration_state WHERE integration_id = $I5 AND key = 'sandbox.next_page'")" = "$n1" ] ||
	wh_fail "checkpoint does not match the stored pages"
sed -i 's/"page_delay_ms": 150/"page_delay_ms": 0/' "$WH_DIR/killed.json"
ph job run "$I5" > "$WH_DIR/k2.out" 2>&1 || { cat "$WH_DIR/k2.out"; wh_fail "run after kill"; }
run2=$(wh_sql "SELECT max(job_run_id) FROM raw_extraction_data WHERE integration_id = $I5")
n2=$(wh_sql "SELECT count(*) FROM raw_extraction_data WHERE integration_id = $I5 AND job_run_id = $run2")
[ $((n1 + n2)) = 21 ] || wh_fail "resume stored $n2 pages after $n1: not 21 in all"
[ "$(count prs "$I5")" = 100 ] || wh_fail "prs after resume: $(count prs "$I5")"
check_counts "$I5"
[ "$(wh_sql "SELECT count(*) FROM raw_extraction_data WHERE integration_id = $I5 AND status <> 'completed'")" = 0 ] ||
	wh_fail "rows left open after resume"
[ "$(count vectorization_queue "$I5")" = "$(records "$I5")" ] || wh_fail "duplicates in vectorization_queue"
wh_sql "SELECT error FROM job_runs WHERE integration_id = $I5 AND state = 'ERROR'" | grep -q "abandoned" ||
	wh_fail "the killed run is not marked abandoned"

# --- SIGTERM: stops between pages, checkpoint holds ---------------------------
I6=$(add cancelled '{"repos": 1, "prs_per_repo": 40, "page_size": 2, "page_delay_ms": 100}')
"$WH_BIN" -c "$WH_CONF" job run "$I6" > "$WH_DIR/c1.out" 2> "$WH_DIR/c1.err" &
pid=$!
wh_wait_for 60 "3 pages of integration $I6 to be stored" stored "$I6" 3
kill -TERM "$pid"
rc=0; wait "$pid" || rc=$?
[ "$rc" = 1 ] || wh_fail "SIGTERM: exit $rc"
wh_contains "$WH_DIR/c1.err" "cancel"
[ "$(wh_sql "SELECT state FROM job_runs WHERE integration_id = $I6")" = CANCELLED ] || wh_fail "run not CANCELLED"
[ "$(wh_sql "SELECT state FROM etl_jobs WHERE integration_id = $I6")" = PENDING ] || wh_fail "job not PENDING after cancel"
c=$(wh_sql "SELECT count(*) FROM raw_extraction_data WHERE integration_id = $I6")
[ "$(wh_sql "SELECT value FROM integration_state WHERE integration_id = $I6 AND key = 'sandbox.next_page'")" = "$c" ] ||
	wh_fail "checkpoint after cancel"
echo "PASS: job run loads exactly, replays are no-ops, failures stay on their row, kills resume"
