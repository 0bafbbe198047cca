#!/bin/bash
# housekeeping-bench: the raw ledger's partitions, measured in one run on
# the same data.
#
#   tests/bench/housekeeping-bench.sh [ROWS]     (default 1,000,000 rows)
#
# 1. Conversion (080_raw_partitions.sql): a database migrated up to 030
#    gets ROWS raw rows spread over 12 months (two tenants, ~400-byte
#    bodies); `pulse-host migrate` then converts the table. Its wall time
#    is the downtime of the upgrade (writers wait on the table lock).
# 2. Retention: the oldest month is removed twice from the same rows:
#    by `pulse-host housekeeping run` (a partition drop) and, as the
#    baseline, by the equivalent DELETE on an unpartitioned copy of the
#    ledger (with the same indexes); then the size of each table.
# 3. The claim path: the workers' claim UPDATE (host/pipeline/pipeline.c:
#    50 ids by id = ANY(...), joined to integrations), 200 times with
#    random ids, on the unpartitioned table before the conversion and on
#    the partitioned one after; then, on the partitioned one, the claim as
#    workers run it when the message carries created_at (50 consecutive
#    ids with their created_at: partition pruning); mean ms per claim.
#
# The issue's figure is for 5,000,000 rows over 12 months (long, and it
# loads the machine; `make bench` runs the default). From the build
# directory (a private PostgreSQL is started when the suite's is not set):
#   ../../tests/bench/housekeeping-bench.sh 5000000
# Uses the suite's PostgreSQL under `make bench`, else starts one.
set -euo pipefail
BENCH_NAME=housekeeping-bench
. "$(cd "$(dirname "$0")" && pwd)/bench-lib.sh"
. "$abs_top_srcdir/tests/harness/lib.sh"

rows=${1:-1000000}
DIR=$(harness_mktemp)
DB=hk_bench_$(harness_random_hex 6)
ROLE=${DB}_app
ADMIN=${PULSE_TEST_PG_ADMIN_URL%/*}/$DB
cleanup() {
	psql -X -q "$PULSE_TEST_PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" \
		-c "DROP ROLE IF EXISTS \"$ROLE\"" >/dev/null 2>&1 || :
	harness_destroy "$DIR"
	bench_pg_cleanup
}
trap cleanup EXIT
sql() { psql -X -q -At -v ON_ERROR_STOP=1 "$ADMIN" -c "$1"; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

psql -X -q -v ON_ERROR_STOP=1 "$PULSE_TEST_PG_ADMIN_URL" -c "CREATE DATABASE $DB" >/dev/null
sql "CREATE TABLE schema_migrations (version text PRIMARY KEY, name text NOT NULL, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
for f in "$abs_top_srcdir"/host/db/migrations/0[0-3]*.sql; do
	b=$(basename "$f" .sql)
	PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 -1 "$ADMIN" -f "$f" >/dev/null
	sql "INSERT INTO schema_migrations VALUES ('${b%%_*}', '${b#*_}', '$(sha256sum "$f" | cut -c1-64)')"
done
sql "INSERT INTO tenants (name) VALUES ('alpha'), ('beta')"
sql "INSERT INTO integrations (tenant_id, name, type, plugin) SELECT id, 'i', 'Data', 'sandbox' FROM tenants"
echo "loading $rows raw rows over 12 months..."
t0=$(harness_now)
sql "INSERT INTO raw_extraction_data (tenant_id, integration_id, entity, request_url, http_status, body, status, completed_at, created_at, updated_at)
	SELECT i.tenant_id, i.id, 'prs', 'https://api.example/repos/r/pulls?page=' || g, 200,
	       jsonb_build_object('page', g, 'items', jsonb_build_array(repeat('x', 300), g)),
	       'completed', c, c, c
	  FROM generate_series(1, $rows) g
	  JOIN integrations i ON i.tenant_id = 1 + g % 2
	  CROSS JOIN LATERAL (SELECT date_trunc('month', now()) - interval '11 months'
	                             + (g::float8 / $rows) * (now() - (date_trunc('month', now()) - interval '11 months')) AS c) t"
sql "VACUUM ANALYZE raw_extraction_data" >/dev/null
echo "loaded in $(secs "$t0" "$(harness_now)") s; table $(sql "SELECT pg_size_pretty(pg_total_relation_size('raw_extraction_data'))")"

# 3. the claim path (before): the workers' claim statement on 50
# consecutive ids from a random start (a batch of pages as one extract
# stores them; completed rows: it finds them and changes none, so every
# variant sees the same rows), in one session, mean ms per claim. "at":
# the claim also names the rows' created_at, as the workers do when the
# message carries it (pipeline_process_at). The rows' created_at are
# fetched outside the timed statement; EXECUTE plans each claim with its
# values, as the workers' parameters are.
claim_ms() {
	local where="r.id = ANY(\$1)"
	[ "${1:-}" != at ] || where="r.id = ANY(\$1) AND r.created_at = ANY(\$2)"
	sql "CREATE FUNCTION pg_temp.claim_bench(n int, top bigint) RETURNS numeric LANGUAGE plpgsql AS \$\$
	DECLARE t timestamptz; total interval := '0'; ids bigint[]; ats timestamptz[]; s bigint;
	BEGIN
		FOR k IN 1..n LOOP
			s := 1 + (random() * (top - 51))::bigint;
			ids := ARRAY(SELECT s + g FROM generate_series(0, 49) g);
			ats := ARRAY(SELECT created_at FROM raw_extraction_data WHERE id = ANY(ids));
			t := clock_timestamp();
			EXECUTE 'UPDATE raw_extraction_data AS r SET status = ''processing'', attempts = r.attempts + 1, updated_at = now()
			  FROM integrations i WHERE $where AND i.id = r.integration_id
			   AND r.status IN (''pending'', ''failed'') AND NOT r.dead_lettered AND r.attempts < 5' USING ids, ats;
			total := total + (clock_timestamp() - t);
		END LOOP;
		RETURN round((extract(epoch FROM total) * 1000 / n)::numeric, 3);
	END \$\$; SELECT pg_temp.claim_bench(200, (SELECT max(id) FROM raw_extraction_data))" | tail -1
}
claim_before=$(claim_ms)
echo "claim path before partitioning: $claim_before ms per claim of 50 ids (mean of 200)"

# 1. the conversion
pw=$(harness_random_hex 24)
printf 'log_level = "warn";\n' > "$DIR/migrate.conf"
t0=$(harness_now)
printf '%s\n' "$pw" | "$PULSE_HOST_BIN" -c "$DIR/migrate.conf" migrate --admin-url "$ADMIN" \
	--app-role "$ROLE" --app-password - > "$DIR/migrate.out" 2>&1 || { cat "$DIR/migrate.out"; exit 1; }
conv=$(secs "$t0" "$(harness_now)")
parts=$(sql "SELECT count(*) FROM pg_inherits WHERE inhparent = 'raw_extraction_data'::regclass")
echo "conversion (080_raw_partitions) of $rows rows: $conv s, $parts partitions"
sql "ANALYZE raw_extraction_data" >/dev/null
claim_after=$(claim_ms)
claim_at=$(claim_ms at)
echo "claim path after partitioning:  $claim_after ms per claim of 50 ids (mean of 200; baseline before: $claim_before ms)"
echo "claim path after partitioning, with created_at (messages carry it): $claim_at ms per claim of 50 ids (mean of 200; by id alone: $claim_after ms; unpartitioned: $claim_before ms)"

# 2. retention: the baseline on an unpartitioned copy of the same rows
oldest=$(sql "SELECT to_char(date_trunc('month', min(created_at) AT TIME ZONE 'UTC'), 'YYYY-MM-DD') FROM raw_extraction_data")
sql "CREATE TABLE raw_flat AS SELECT * FROM raw_extraction_data"
sql "ALTER TABLE raw_flat ADD PRIMARY KEY (id); CREATE INDEX ON raw_flat (tenant_id, created_at); CREATE INDEX ON raw_flat (tenant_id, job_run_id); CREATE INDEX ON raw_flat (status, updated_at) WHERE status IN ('pending', 'processing', 'failed')"
sql "VACUUM ANALYZE raw_flat" >/dev/null
month_rows=$(sql "SELECT count(*) FROM raw_flat WHERE created_at >= '${oldest}Z' AND created_at < '${oldest}Z'::timestamptz + interval '1 month'")
flat_before=$(sql "SELECT pg_total_relation_size('raw_flat')")
t0=$(harness_now)
sql "DELETE FROM raw_flat WHERE created_at >= '${oldest}Z' AND created_at < '${oldest}Z'::timestamptz + interval '1 month'"
del=$(secs "$t0" "$(harness_now)")
flat_after=$(sql "SELECT pg_total_relation_size('raw_flat')")

# the same month by housekeeping: windows so that only the oldest month is out
days=$(sql "SELECT ceil(extract(epoch FROM now() - ('${oldest}Z'::timestamptz + interval '1 month')) / 86400)::int - 1")
# a partitioned table's size is the sum of its partitions'
psize() { sql "SELECT coalesce(sum(pg_total_relation_size(inhrelid)), 0) FROM pg_inherits WHERE inhparent = 'raw_extraction_data'::regclass"; }
part_before=$(psize)
cat > "$DIR/pulse.conf" <<CONF
log_level = "warn";
housekeeping = { completed_days = $days; failed_days = $days; history_days = $days; };
CONF
t0=$(harness_now)
PULSE_HOST_DATABASE_URL=postgresql://$ROLE:$pw@${PULSE_TEST_PG_ADMIN_URL#*@}
PULSE_HOST_DATABASE_URL=${PULSE_HOST_DATABASE_URL%/*}/$DB
PULSE_HOST_DATABASE_URL=$PULSE_HOST_DATABASE_URL "$PULSE_HOST_BIN" -c "$DIR/pulse.conf" housekeeping run --json > "$DIR/hk.json"
drop=$(secs "$t0" "$(harness_now)")
part_after=$(psize)
hk_rows=$(sql "SELECT coalesce(sum((p->>'rows')::bigint), 0) FROM jsonb_array_elements(('$(cat "$DIR/hk.json")'::jsonb)->'partitions_dropped') p")
[ "$hk_rows" = "$month_rows" ] || { cat "$DIR/hk.json"; echo "housekeeping dropped $hk_rows rows, the month has $month_rows" >&2; exit 1; }

mb() { awk -v b="$1" 'BEGIN { printf "%.0f MB", b / 1048576 }'; }
echo "retention of the oldest month ($month_rows rows):"
echo "  DELETE on the unpartitioned copy (baseline): $del s; table $(mb "$flat_before") -> $(mb "$flat_after") (space kept until VACUUM FULL)"
echo "  housekeeping run (partition drop):           $drop s; table $(mb "$part_before") -> $(mb "$part_after")"
echo "  (the run also deletes in batches the rows of the next month that are past the whole-day window, see above)"
