#!/bin/bash
# pipeline-bench.sh: how fast is transform + load, compared with a plain
# COPY of the same final rows into copies of the same tables?
#
#   1. generate raw pages with the sandbox plugin (`job run --extract-only`)
#   2. time transform + load of all of them (tests/bench/bench-transform,
#      the same pipeline code `job run` and the workers use)
#   3. export the loaded rows as CSV and time `\copy` of them into fresh
#      copies of the tables (CREATE TABLE ... (LIKE t INCLUDING ALL): same
#      columns, indexes and checks; no RLS, no foreign keys), as superuser;
#      then again into copies that also have the foreign keys
#   4. print records/s, peak RSS and the ratio pipeline / COPY
#
# Figures, not a pass/fail test. Needs a build (make bench builds what it
# uses). PostgreSQL: PULSE_TEST_PG_ADMIN_URL (superuser) when set (as
# under `make check`'s harness), else a private server started here.
#
# Tunables: BENCH_REPOS (20) x BENCH_PRS_PER_REPO (1300) pull requests in
# pages of BENCH_PAGE_SIZE (13): about 2,000 pages and 200,000 records.
set -euo pipefail

: "${abs_top_builddir:?run via make bench, or set abs_top_builddir}"
: "${abs_top_srcdir:?run via make bench, or set abs_top_srcdir}"
REPOS=${BENCH_REPOS:-20}
PRS=${BENCH_PRS_PER_REPO:-1300}
PAGE=${BENCH_PAGE_SIZE:-13}
BATCH=${BENCH_BATCH:-64}
BIN=$abs_top_builddir/host/pulse-host
HELPER=$abs_top_builddir/tests/bench/bench-transform
PLUGINS=$abs_top_builddir/plugins/source-sandbox/.libs

. "$abs_top_srcdir/tests/harness/lib.sh"
tmp=$(harness_mktemp)
own_pg=0
db=bench_$(harness_random_hex 8)
role=bench_app_$(harness_random_hex 6)
pw=$(harness_random_hex 24)
cleanup() {
	if [ -n "${ADMIN_URL:-}" ]; then
		psql -X -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || :
		psql -X -q "$ADMIN_URL" -c "DROP ROLE IF EXISTS $role" >/dev/null 2>&1 || :
	fi
	harness_destroy "$tmp"
}
trap cleanup EXIT

if [ -n "${PULSE_TEST_PG_ADMIN_URL:-}" ]; then
	ADMIN_URL=$PULSE_TEST_PG_ADMIN_URL
else
	pg_start "$tmp/pg"
	ADMIN_URL=$(pg_admin_url "$tmp/pg")
	own_pg=1
fi
base=${ADMIN_URL%/*}
hostport=${base#*@}
psql -X -q "$ADMIN_URL" -c "CREATE DATABASE $db" >/dev/null
DB_ADMIN=$base/$db
export PULSE_HOST_DATABASE_URL=postgresql://$role:$pw@$hostport/$db
export PULSE_HOST_BROKER_URL=
cat > "$tmp/pulse.conf" <<CONF
key_file = "$tmp/secret.key";
plugin_dirs = ["$PLUGINS"];
CONF
host() { "$BIN" -c "$tmp/pulse.conf" "$@"; }

printf '%s\n' "$pw" | host migrate --admin-url "$DB_ADMIN" --app-role "$role" --app-password - >/dev/null
host tenant add bench >/dev/null
printf '{"repos": %d, "prs_per_repo": %d, "page_size": %d}\n' "$REPOS" "$PRS" "$PAGE" > "$tmp/bench.json"
id=$(host integration add --tenant bench --plugin sandbox --config "$tmp/bench.json" | sed -n 's/^integration \([0-9]*\) added.*/\1/p')

t0=$(harness_now)
host job run --extract-only --quiet "$id" >/dev/null
echo "extract: $(psql -X -At "$DB_ADMIN" -c "SELECT count(*) FROM raw_extraction_data") pages stored in $(harness_elapsed "$t0") s"
psql -X -q "$DB_ADMIN" -c "VACUUM ANALYZE" >/dev/null

line=$("$HELPER" -c "$tmp/pulse.conf" -b "$BATCH" "$id")
echo "pipeline: $line"
records=$(sed -n 's/.*records=\([0-9]*\).*/\1/p' <<<"$line")
pipe_s=$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' <<<"$line")

tables="repositories prs prs_commits prs_reviews prs_comments"
# The loaded rows, as the tables hold them.
for t in $tables; do
	psql -X -q "$DB_ADMIN" -c "\\copy (SELECT * FROM $t) TO '$tmp/$t.csv' WITH (FORMAT csv)"
done
copy_run() { # copy_run SUFFIX WITH_FKS: seconds for \copy of every table
	local suffix=$1 fks=$2 t sql="" start
	for t in $tables; do
		sql+="CREATE TABLE ${t}_$suffix (LIKE $t INCLUDING ALL);"
		if [ "$fks" = 1 ]; then
			sql+="ALTER TABLE ${t}_$suffix ADD FOREIGN KEY (tenant_id) REFERENCES tenants(id),"
			sql+=" ADD FOREIGN KEY (integration_id) REFERENCES integrations(id);"
		fi
	done
	psql -X -q "$DB_ADMIN" -c "$sql" >/dev/null
	start=$(harness_now)
	for t in $tables; do
		psql -X -q "$DB_ADMIN" -c "\\copy ${t}_$suffix FROM '$tmp/$t.csv' WITH (FORMAT csv)"
	done
	harness_elapsed "$start"
}
copy_s=$(copy_run copy 0)
copyfk_s=$(copy_run copyfk 1)
rows=$(psql -X -At "$DB_ADMIN" -c "SELECT (SELECT count(*) FROM repositories_copy) + (SELECT count(*) FROM prs_copy) + (SELECT count(*) FROM prs_commits_copy) + (SELECT count(*) FROM prs_reviews_copy) + (SELECT count(*) FROM prs_comments_copy)")
vq=$(psql -X -At "$DB_ADMIN" -c "SELECT count(*) FROM vectorization_queue")
awk -v r="$records" -v p="$pipe_s" -v c="$copy_s" -v f="$copyfk_s" -v n="$rows" -v q="$vq" 'BEGIN {
	printf "COPY: %d rows in %.2f s (%.0f rows/s) into copies without foreign keys\n", n, c, n / c
	printf "COPY: %d rows in %.2f s (%.0f rows/s) into copies with the tenant/integration foreign keys\n", n, f, n / f
	printf "pipeline: %d records in %.2f s (%.0f records/s), %d vectorization_queue rows\n", r, p, r / p, q
	printf "ratio pipeline/COPY: %.2f (no FKs), %.2f (with FKs); target >= 0.5\n", (r / p) / (n / c), (r / p) / (n / f)
}'
