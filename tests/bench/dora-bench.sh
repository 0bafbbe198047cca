#!/bin/bash
# dora-bench: time `pulse-host dora --tenant T` (default window, the last
# 90 days) on one tenant with 100 repositories and projects, 100,000 PRs,
# 20,000 deployments and 5,000 incidents (tests/bench/dora-bench.sql).
#
#   tests/bench/dora-bench.sh [RUNS]          (default 5 runs)
#
# Uses the suite's servers when run inside `make check`'s environment
# (PULSE_TEST_PG_ADMIN_URL set), else starts a private PostgreSQL with
# tests/harness/lib.sh. Needs a built tree: PULSE_HOST_BIN, or
# abs_top_builddir, or ./host/pulse-host (`make bench` runs it). Prints
# every run's wall time, the median and whether it is under 1 second; with
# DORA_BENCH_LIMIT=SECONDS set, a slower median fails the script.
#
# DORA_BENCH_BASELINE=BIN: also time BIN (a pulse-host built from the code
# before a change) on a database it migrated itself with the same data,
# runs interleaved with the tested one, print both medians, and fail
# unless both print the same `dora --json` report for the same window.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
srcdir=${abs_top_srcdir:-$(cd "$here/../.." && pwd)}
. "$srcdir/tests/harness/lib.sh"

runs=${1:-5}
limit=${DORA_BENCH_LIMIT:-1}
strict=${DORA_BENCH_LIMIT:+1}
B=${PULSE_HOST_BIN:-${abs_top_builddir:-.}/host/pulse-host}
[ -x "$B" ] || { echo "dora-bench: no pulse-host at $B; build first or set PULSE_HOST_BIN" >&2; exit 99; }
BASE=${DORA_BENCH_BASELINE:-}
[ -z "$BASE" ] || [ -x "$BASE" ] ||
	{ echo "dora-bench: DORA_BENCH_BASELINE=$BASE is not an executable" >&2; exit 99; }

DIR=$(harness_mktemp)
DB="dora_bench_$$_$(harness_random_hex 6)"
ADMIN_BASE=${PULSE_TEST_PG_ADMIN_URL:-}
: > "$DIR/pulse-host.conf"

cleanup() {
	if [ -n "$ADMIN_BASE" ]; then
		for d in "$DB" "${DB}_base"; do
			psql -X -q "$ADMIN_BASE" -c "DROP DATABASE IF EXISTS \"$d\" WITH (FORCE)" \
				-c "DROP ROLE IF EXISTS \"${d}_app\"" >/dev/null 2>&1 || true
		done
	fi
	harness_destroy "$DIR"
}
trap cleanup EXIT

if [ -z "$ADMIN_BASE" ]; then
	pg_start "$DIR/pg" || exit 99
	ADMIN_BASE=$(pg_admin_url "$DIR/pg")
fi
hostport=${ADMIN_BASE#*@}
hostport=${hostport%%/*}

# make_db NAME BIN: database NAME with BIN's schema, tenant "bench" and
# the data set; sets db_url (its app role), db_admin and db_tenant.
make_db() {
	local name=$1 bin=$2 role="$1_app" pw t0
	psql -X -q -v ON_ERROR_STOP=1 "$ADMIN_BASE" -c "CREATE DATABASE \"$name\"" >/dev/null
	db_admin="${ADMIN_BASE%/*}/$name"
	pw=$(harness_random_hex 20)
	printf '%s\n' "$pw" | "$bin" migrate --admin-url "$db_admin" --app-role "$role" \
		--app-password - >"$DIR/migrate.log" 2>&1 || { cat "$DIR/migrate.log" >&2; exit 99; }
	db_url="postgresql://$role:$pw@$hostport/$name"
	PULSE_HOST_DATABASE_URL=$db_url "$bin" -c "$DIR/pulse-host.conf" tenant add bench >/dev/null
	db_tenant=$(psql -X -q -At "$db_admin" -c "SELECT id FROM tenants WHERE name = 'bench'")
	t0=$(harness_now)
	psql -X -q -v ON_ERROR_STOP=1 -v tenant="$db_tenant" "$db_admin" -f "$here/dora-bench.sql" >/dev/null
	# A loaded warehouse has been vacuumed; index-only scans need that.
	psql -X -q "$db_admin" -c "VACUUM (ANALYZE) deployments, deployment_commits, prs, prs_commits,
		prs_reviews, prs_comments, work_items" >/dev/null
	echo "dora-bench: generated the data set in $name in $(harness_elapsed "$t0") s"
}

# The baseline gets a database of its own, migrated by itself (its own
# SQL functions), with the same data: dora-bench.sql is deterministic
# within the hour (the --json comparison below would show otherwise).
if [ -n "$BASE" ]; then
	make_db "${DB}_base" "$BASE"
	BASE_URL=$db_url
fi
make_db "$DB" "$B"
ADMIN=$db_admin
tenant=$db_tenant
export PULSE_HOST_DATABASE_URL=$db_url
psql -X -q -At "$ADMIN" -c "SELECT 'rows: ' || (SELECT count(*) FROM prs) || ' PRs, '
	|| (SELECT count(*) FROM deployments) || ' deployments, '
	|| (SELECT count(*) FROM deployment_commits) || ' deployment commits, '
	|| (SELECT count(*) FROM work_items w JOIN wits_mappings m
	      ON m.integration_id = w.integration_id AND m.source_name = w.wit_name
	     WHERE m.canonical_type = 'Incident') || ' incidents, '
	|| (SELECT count(*) FROM repositories) || ' repositories'"

# median of the arguments
median_of() {
	printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END {
		print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# One untimed run to warm the server's caches, then the timed ones; each
# run is a fresh process and connection, as a user would run it. With a
# baseline, its runs alternate with the tested ones, so both see the same
# load.
"$B" -c "$DIR/pulse-host.conf" dora --tenant bench > "$DIR/out.txt"
times=()
base_times=()
for i in $(seq "$runs"); do
	if [ -n "$BASE" ]; then
		t0=$(harness_now)
		PULSE_HOST_DATABASE_URL=$BASE_URL "$BASE" -c "$DIR/pulse-host.conf" \
			dora --tenant bench > "$DIR/base.txt"
		base_times+=("$(awk -v a="$t0" -v b="$(harness_now)" 'BEGIN { printf "%.3f", b - a }')")
	fi
	t0=$(harness_now)
	"$B" -c "$DIR/pulse-host.conf" dora --tenant bench > "$DIR/out.txt"
	times+=("$(awk -v a="$t0" -v b="$(harness_now)" 'BEGIN { printf "%.3f", b - a }')")
done
cat "$DIR/out.txt"
median=$(median_of "${times[@]}")
echo "dora-bench: pulse-host dora --tenant bench: runs ${times[*]} s; median $median s (limit $limit s); load average $(cut -d' ' -f1-3 /proc/loadavg)"
if [ -n "$BASE" ]; then
	echo "dora-bench: baseline $BASE: runs ${base_times[*]} s; median $(median_of "${base_times[@]}") s"
	# Same window for both (the default one moves with the clock).
	to=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	PULSE_HOST_DATABASE_URL=$BASE_URL "$BASE" -c "$DIR/pulse-host.conf" \
		dora --tenant bench --to "$to" --json > "$DIR/base.json"
	"$B" -c "$DIR/pulse-host.conf" dora --tenant bench --to "$to" --json > "$DIR/out.json"
	if cmp -s "$DIR/base.json" "$DIR/out.json"; then
		echo "dora-bench: --json reports of baseline and tested binary: identical"
	else
		echo "dora-bench: --json reports of baseline and tested binary differ:" >&2
		diff "$DIR/base.json" "$DIR/out.json" >&2 || :
		exit 1
	fi
fi
grep -q 'deployment frequency .*days/week' "$DIR/out.txt" ||
	{ echo "dora-bench: the report has no deployment frequency" >&2; exit 1; }
# Where the time goes: each SQL part alone, as the app role, with the
# report's settings (host/analytics/dora.c) and every column asked for
# (count(*) would let the planner drop the review join and the medians).
parts=""
for f in dora_deployment_frequency_of dora_lead_time_of dora_change_failure_rate_of \
	dora_recovery_time_of dora_diagnostics; do
	case $f in *_of) a=", NULL" ;; *) a="" ;; esac
	ms=$(psql -X -q -At "$PULSE_HOST_DATABASE_URL" <<-SQL | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | sed -n 1,1p
	BEGIN;
	SET LOCAL app.tenant_id = '$tenant';
	SET LOCAL jit = off;
	SET LOCAL TimeZone = 'UTC';
	SET LOCAL enable_mergejoin = off;
	SET LOCAL work_mem = '32MB';
	\\o /dev/null
	\\timing on
	SELECT * FROM $f(now() - interval '90 days', now(), NULL, NULL$a);
	ROLLBACK;
	SQL
	)
	f=${f#dora_}
	parts="$parts ${f%_of}=${ms:-?}ms"
done
echo "dora-bench: SQL parts alone:$parts"
if awk -v m="$median" -v l="$limit" 'BEGIN { exit !(m < l) }'; then
	echo "dora-bench: under $limit s: yes"
else
	echo "dora-bench: under $limit s: NO (a loaded machine? see the load average)"
	[ -z "$strict" ] || exit 1
fi
