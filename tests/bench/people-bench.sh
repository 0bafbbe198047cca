#!/bin/bash
# tests/bench/people-bench.sh: people_resolve at 20,000 directory users
# (docs/people.md, "Cost"). Two tenants get the same generated data
# (tests/db/people-gen.sql: AD and Entra copies, e-mails, attributes,
# commit e-mails, conflicts); one is resolved by the set-based
# people_resolve (110, 113), the other by 104's loop (the baseline, the fixture
# tests/db/people-old-defs.sh), in the same run on the same server:
#   - the first resolve (every user new),
#   - a resolve after changes (users deleted, restored, added, Entra
#     copies of linked people, moved mails, manual links),
#   - a resolve with nothing new.
# Each definition's links must equal the other's, else the figures mean
# nothing and the bench fails.
#
# The baseline may take very long (its plans go quadratic on freshly
# loaded tables): it gets LIMIT seconds per resolve (statement_timeout),
# and once it runs out, the rounds left are measured for 113 alone and
# printed with the baseline as "> LIMIT s".
#
#   tests/bench/people-bench.sh [USERS [LIMIT]]   default 20000 600
set -euo pipefail

BENCH_NAME=people-bench
. "$(dirname "${BASH_SOURCE[0]}")/bench-lib.sh"
. "$abs_top_srcdir/tests/harness/lib.sh"
N=${1:-20000}
LIMIT=${2:-600}
DIR=$(harness_mktemp)
DB="people_bench_$$_$(harness_random_hex 6)"
trap 'harness_app_db_drop "$DB"; harness_destroy "$DIR"; bench_pg_cleanup' EXIT
harness_app_db "$DB" "$DIR" || exit 2
sql() { psql -X -q -A -t -v ON_ERROR_STOP=1 "$HARNESS_DB_APP_URL" "$@"; }
OLD=901
NEW=902

bash "$abs_top_srcdir/tests/db/people-old-defs.sh" "$abs_top_srcdir" > "$DIR/old-defs.sql"
psql -X -q -v ON_ERROR_STOP=1 "$HARNESS_DB_ADMIN_URL" -f "$DIR/old-defs.sql" > /dev/null
gen() { sql -v t="$1" -v n="$N" -v phase="$2" -f "$abs_top_srcdir/tests/db/people-gen.sql" > /dev/null; }
# timed TENANT FUNCTION MS: seconds, then the counters ("timeout" when
# it ran out of MS milliseconds; 0: no limit).
timed() {
	local t0 t1 c
	t0=$(harness_now)
	c=$(sql -c "SET app.tenant_id = '$1'" -c "SET statement_timeout = $3" \
	        -c "SELECT concat_ws(' ', people_added, people_removed, links_added,
	                             links_removed, accounts) FROM $2($1)" 2>/dev/null | tail -1) || c=timeout
	t1=$(harness_now)
	echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') $c"
}
links() {
	sql -c "SET app.tenant_id = '$1'" -c "
	SELECT md5(string_agg(concat_ws('|', l.kind, l.account, i.name, l.method, pk.name), ','
	                      ORDER BY l.kind, l.account, i.name))
	  FROM people_links l
	  JOIN (SELECT person_id, min(kind || ':' || account) AS name FROM people_links
	         GROUP BY person_id) pk ON pk.person_id = l.person_id
	  LEFT JOIN integrations i ON i.id = l.integration_id" | tail -1
}

gen $OLD 1
gen $NEW 1
nusers=$(sql -c "SET app.tenant_id = '$NEW'" \
	-c "SELECT count(*) FROM directory_users WHERE deleted_at IS NULL" | tail -1)
sql -c "ANALYZE" 2>/dev/null || :
echo "people-bench: $N generated users ($nusers live directory users with the Entra copies)"
baseline=yes
for round in first changed unchanged; do
	s_old=0 c_old=timeout
	[ -z "$baseline" ] || read -r s_old c_old < <(timed $OLD people_resolve_104 $((LIMIT * 1000)))
	read -r s_new c_new < <(timed $NEW people_resolve 0)
	[ "$c_new" != timeout ] || { echo "people-bench: $round: 113 failed" >&2; exit 1; }
	if [ "$c_old" = timeout ]; then
		baseline=
		o="> $LIMIT s (not finished)"
	else
		[ "$c_old" = "$c_new" ] || { echo "people-bench: $round: counters differ: 104 $c_old, 113 $c_new" >&2; exit 1; }
		[ "$(links $OLD)" = "$(links $NEW)" ] || { echo "people-bench: $round: links differ" >&2; exit 1; }
		o=$(awk -v o="$s_old" -v n="$s_new" 'BEGIN { printf "%.2f s, x%.1f", o, (n > 0 ? o / n : 0) }')
	fi
	printf 'people-bench: %-9s resolve  113 set-based %7.2f s   104 loop (baseline) %s   (people +%s -%s, links +%s -%s, accounts %s)\n' \
		"$round" "$s_new" "$o" $c_new
	[ "$round" != first ] || { gen $OLD 2; gen $NEW 2; }
done
