#!/bin/bash
# 080_raw_partitions converts a populated raw ledger: a database migrated up
# to 030 with rows in several months (and both tenants) is migrated to the
# end; every row is kept byte for byte, ids go on from the same sequence,
# the months have their partitions, and tenant A still cannot read B.
set -euo pipefail
. "$abs_top_srcdir/tests/db/warehouse-lib.sh"

WH_DIR=$(mktemp -d "${TMPDIR:-/tmp}/pulse-wh.XXXXXX")
WH_DB=wh_$(harness_random_hex 10)
trap wh_cleanup EXIT
WH_ROLE=${WH_DB}_app
WH_ADMIN=${PULSE_TEST_PG_ADMIN_URL%/*}/$WH_DB
psql -X -q -v ON_ERROR_STOP=1 "$PULSE_TEST_PG_ADMIN_URL" -c "CREATE DATABASE $WH_DB" >/dev/null

# The migrations before ours, as an older pulse-host applied them.
wh_sql "CREATE TABLE schema_migrations (version text PRIMARY KEY, name text NOT NULL, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
for f in "$abs_top_srcdir"/host/db/migrations/0[0-3]*.sql; do
	b=$(basename "$f" .sql)
	PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 -1 "$WH_ADMIN" -f "$f" >/dev/null
	wh_sql "INSERT INTO schema_migrations VALUES ('${b%%_*}', '${b#*_}', '$(sha256sum "$f" | cut -c1-64)')"
done
[ "$(wh_sql "SELECT relkind FROM pg_class WHERE relname = 'raw_extraction_data'")" = r ] ||
	wh_fail "before 080 the raw ledger should be a plain table"

# Two tenants, rows over four months and statuses.
wh_sql "INSERT INTO tenants (name) VALUES ('alpha'), ('beta')"
A=$(wh_sql "SELECT id FROM tenants WHERE name = 'alpha'")
B=$(wh_sql "SELECT id FROM tenants WHERE name = 'beta'")
wh_sql "INSERT INTO integrations (tenant_id, name, type, plugin) VALUES ($A, 'a', 'Data', 'sandbox'), ($B, 'b', 'Data', 'sandbox')"
wh_sql "INSERT INTO raw_extraction_data (tenant_id, integration_id, entity, request_url, http_status, body, status, created_at)
	SELECT i.tenant_id, i.id, 'prs', 'https://x/' || g, 200, jsonb_build_object('page', g, 't', i.tenant_id),
	       (ARRAY['completed', 'failed', 'pending', 'processing'])[1 + g % 4],
	       now() - make_interval(days => g % 120, secs => g)
	  FROM integrations i, generate_series(1, 500) g"
sum() { wh_sql "SELECT count(*) || ':' || md5(string_agg(to_jsonb(r)::text, '|' ORDER BY id)) FROM raw_extraction_data r"; }
before=$(sum)
months=$(wh_sql "SELECT count(DISTINCT date_trunc('month', created_at AT TIME ZONE 'UTC')) FROM raw_extraction_data")
maxid=$(wh_sql "SELECT max(id) FROM raw_extraction_data")

pw=$(harness_random_hex 24)
printf 'log_level = "info";\n' > "$WH_DIR/migrate.conf"
printf '%s\n' "$pw" | "$WH_BIN" -c "$WH_DIR/migrate.conf" migrate --admin-url "$WH_ADMIN" \
	--app-role "$WH_ROLE" --app-password - > "$WH_DIR/migrate.out" 2>&1 ||
	{ cat "$WH_DIR/migrate.out"; wh_fail "migrate of the populated database failed"; }
wh_contains "$WH_DIR/migrate.out" "applied 080_raw_partitions.sql"
hostport=${PULSE_TEST_PG_ADMIN_URL#*@}; hostport=${hostport%%/*}
WH_APP_URL=postgresql://$WH_ROLE:$pw@$hostport/$WH_DB

[ "$(wh_sql "SELECT relkind FROM pg_class WHERE relname = 'raw_extraction_data'")" = p ] ||
	wh_fail "raw_extraction_data is not partitioned after 080"
after=$(sum)
[ "$before" = "$after" ] || wh_fail "rows changed by the conversion: before $before, after $after"
parts=$(wh_sql "SELECT count(*) FROM pg_inherits WHERE inhparent = 'raw_extraction_data'::regclass")
# the months with data, the next ones, and DEFAULT
[ "$parts" -ge $((months + 1)) ] || wh_fail "$parts partitions for $months months of data"
[ "$(wh_sql "SELECT count(*) FROM raw_extraction_data_default")" = 0 ] || wh_fail "rows left in the DEFAULT partition"
# every partition: RLS forced, a tenant policy, the tenant index
bad=$(wh_sql "SELECT string_agg(c.relname, ',') FROM pg_inherits h JOIN pg_class c ON c.oid = h.inhrelid
	WHERE h.inhparent = 'raw_extraction_data'::regclass
	  AND NOT (c.relrowsecurity AND c.relforcerowsecurity
	       AND EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid)
	       AND EXISTS (SELECT 1 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indexrelid AND a.attnum = 1
	                   WHERE i.indrelid = c.oid AND a.attname = 'tenant_id'))")
[ -z "$bad" ] || wh_fail "partitions without forced RLS, policy or tenant index: $bad"
[ "$(wh_sql "SELECT relforcerowsecurity FROM pg_class WHERE relname = 'raw_extraction_data'")" = t ] ||
	wh_fail "FORCE ROW LEVEL SECURITY lost on raw_extraction_data"
# the primary key carries the partition key
[ "$(wh_sql "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'raw_extraction_data'::regclass AND contype = 'p'")" = "PRIMARY KEY (id, created_at)" ] ||
	wh_fail "unexpected primary key"

# RLS: tenant A reads its own rows only, through the parent and a partition
as_a() { psql -X -q -At -v ON_ERROR_STOP=1 "$WH_APP_URL" -c "BEGIN; SET LOCAL app.tenant_id = '$A'; $1; COMMIT;"; }
[ "$(as_a "SELECT count(*) FROM raw_extraction_data")" = 500 ] || wh_fail "tenant A does not see its 500 rows"
[ "$(as_a "SELECT count(*) FROM raw_extraction_data WHERE tenant_id = $B")" = 0 ] || wh_fail "tenant A reads tenant B's rows"
p1=$(wh_sql "SELECT c.relname FROM pg_inherits h JOIN pg_class c ON c.oid = h.inhrelid WHERE h.inhparent = 'raw_extraction_data'::regclass AND c.relname <> 'raw_extraction_data_default' ORDER BY 1 LIMIT 1")
if n=$(as_a "SELECT count(*) FROM $p1 WHERE tenant_id = $B" 2>/dev/null); then
	[ "$n" = 0 ] || wh_fail "tenant A reads B's rows in partition $p1"
fi
[ -z "$(as_a "UPDATE raw_extraction_data SET error = 'x' WHERE tenant_id = $B RETURNING id")" ] || wh_fail "A updated B's raw rows"
if as_a "INSERT INTO raw_extraction_data (tenant_id, integration_id, entity, request_url, http_status, body) SELECT $B, id, 'x', 'u', 200, '{}' FROM integrations LIMIT 1" 2>/dev/null; then
	wh_fail "tenant A inserted a raw row for B"
fi
# new rows get ids after the old ones, through the app role
nid=$(as_a "INSERT INTO raw_extraction_data (tenant_id, integration_id, entity, request_url, http_status, body) SELECT $A, id, 'x', 'u', 200, '{}' FROM integrations WHERE tenant_id = $A RETURNING id")
[ "$nid" -gt "$maxid" ] || wh_fail "new id $nid not after $maxid"
# a row for a month without partition goes to DEFAULT, and moves out when
# its partition is created
wh_sql "INSERT INTO raw_extraction_data (tenant_id, integration_id, entity, request_url, http_status, body, created_at) SELECT $A, id, 'x', 'u', 200, '{}', '2031-05-03Z' FROM integrations WHERE tenant_id = $A"
[ "$(wh_sql "SELECT count(*) FROM raw_extraction_data_default")" = 1 ] || wh_fail "out-of-range row not in DEFAULT"
[ "$(wh_sql "SELECT raw_partition_create('2031-05-20Z')")" = raw_extraction_data_y2031m05 ] || wh_fail "partition not created"
[ "$(wh_sql "SELECT count(*) FROM raw_extraction_data_y2031m05")" = 1 ] || wh_fail "row not moved to its partition"
[ "$(wh_sql "SELECT count(*) FROM raw_extraction_data_default")" = 0 ] || wh_fail "row left in DEFAULT"
[ -z "$(wh_sql "SELECT raw_partition_create('2031-05-01Z')")" ] || wh_fail "existing partition created twice"
echo "PASS: populated raw ledger converted to monthly partitions ($parts), rows and RLS intact"
