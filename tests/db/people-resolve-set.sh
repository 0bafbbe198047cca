#!/bin/bash
# people_resolve (set-based: 110, 113) against 104's loop (kept as the
# fixture printed by people-old-defs.sh, with 104's commit e-mail conflicts): two
# tenants get the same generated data (tests/db/people-gen.sql: every
# rule and every conflict), one is resolved by each definition, three
# times with changes between. After each round the links, the people,
# their id order, the counters and the commit e-mail conflicts must be
# the same.
set -euo pipefail
. "$abs_top_srcdir/tests/harness/lib.sh"
. "$abs_top_srcdir/tests/db/people-lib.sh"

people_setup people_set
N=${PEOPLE_SET_USERS:-600}
OLD=801
NEW=802

is() {      # is DESCRIPTION GOT WANT
	if [ "$2" = "$3" ]; then echo "ok - $1"; else
		echo "not ok - $1"; echo "  got:  $2"; echo "  want: $3"; fails=$((fails + 1)); fi
}
# same DESCRIPTION FILE_A FILE_B: the two files are equal and not empty.
same() {
	if [ ! -s "$2" ]; then echo "not ok - $1 (nothing to compare)"; fails=$((fails + 1))
	elif diff "$2" "$3" > "$DIR/diff"; then echo "ok - $1 ($(wc -l < "$2") rows)"
	else echo "not ok - $1"; sed -n 1,20p "$DIR/diff"; fails=$((fails + 1)); fi
}
gen() { sql -v t="$1" -v n="$N" -v phase="$2" -f "$abs_top_srcdir/tests/db/people-gen.sql" > /dev/null; }
# resolve TENANT FUNCTION: its counters.
resolve() {
	sql -c "SET app.tenant_id = '$1'" \
	    -c "SELECT concat_ws(' ', people_added, people_removed, links_added, links_removed, accounts)
	          FROM $2($1)" | tail -1
}
# state TENANT: the tenant's people and links, tenant-free: a person is
# named by its first account and the rank of its id; directory links also
# by the rank of their id (104 made them in a known order).
state() {
	sql -c "SET app.tenant_id = '$1'" -c "
	WITH pk AS (
	    SELECT l.person_id, min(l.kind || ':' || l.account) AS name,
	           dense_rank() OVER (ORDER BY l.person_id) AS r
	      FROM people_links l GROUP BY l.person_id)
	SELECT concat_ws('|', l.kind, l.account, i.name, l.method, pk.name, pk.r,
	                 CASE WHEN l.kind = 'directory'
	                      THEN rank() OVER (PARTITION BY l.kind = 'directory' ORDER BY l.id) END)
	  FROM people_links l JOIN pk ON pk.person_id = l.person_id
	  LEFT JOIN integrations i ON i.id = l.integration_id
	 ORDER BY 1" > "$DIR/links.$1"
	sql -c "SET app.tenant_id = '$1'" -c "
	SELECT concat_ws('|', dense_rank() OVER (ORDER BY p.id), p.display_name, p.mail,
	                 (SELECT count(*) FROM people_links l WHERE l.person_id = p.id))
	  FROM people p ORDER BY p.id" > "$DIR/people.$1"
	# The old tenant's conflicts by 104's definition, the new one's by 113's.
	local cf=people_commit_email_conflicts
	[ "$1" != "$OLD" ] || cf=people_commit_email_conflicts_104
	sql -c "SET app.tenant_id = '$1'" -c "
	SELECT email || ' ' || array_to_string(logins, ',')
	  FROM $cf($1)" > "$DIR/conflicts.$1"
}
# method_count TENANT METHOD: links the round made by METHOD.
method_count() {
	sql -c "SET app.tenant_id = '$1'" \
	    -c "SELECT count(*) FROM people_links WHERE method = '$2'" | tail -1
}

bash "$abs_top_srcdir/tests/db/people-old-defs.sh" "$abs_top_srcdir" > "$DIR/old-defs.sql"
psql -X -q -v ON_ERROR_STOP=1 "$HARNESS_DB_ADMIN_URL" -f "$DIR/old-defs.sql" > /dev/null
gen $OLD 1
gen $NEW 1

for round in 1 2 3; do
	c_old=$(resolve $OLD people_resolve_104)
	c_new=$(resolve $NEW people_resolve)
	is "round $round: the same counters" "$c_new" "$c_old"
	state $OLD
	state $NEW
	same "round $round: the same links" "$DIR/links.$NEW" "$DIR/links.$OLD"
	same "round $round: the same people, in the same id order" "$DIR/people.$NEW" "$DIR/people.$OLD"
	same "round $round: the same commit e-mail conflicts" "$DIR/conflicts.$NEW" "$DIR/conflicts.$OLD"
	if [ "$round" = 1 ]; then
		# The data exercises every rule, so equal is not trivially equal.
		for m in directory immutable_id email attribute commit_email; do
			k=$(method_count $NEW $m)
			if [ "$k" -gt 0 ]; then echo "ok - round 1 made $k $m links"
			else echo "not ok - round 1 made no $m link"; fails=$((fails + 1)); fi
		done
		gen $OLD 2
		gen $NEW 2
	fi
	if [ "$round" = 2 ]; then
		k=$(method_count $NEW manual)
		if [ "$k" -gt 0 ]; then echo "ok - round 2 kept $k manual links"
		else echo "not ok - round 2 has no manual link"; fails=$((fails + 1)); fi
	fi
done
is "round 3 (nothing new) changes nothing" "${c_new% *}" "0 0 0 0"

[ "$fails" -eq 0 ] || exit 1
