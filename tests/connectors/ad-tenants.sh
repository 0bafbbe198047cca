#!/bin/bash
# ad-tenants: two tenants with a directory each never mix: each
# integration's rows equal its own directory, and under row-level security
# each tenant's role sees only its own users, groups and memberships.
set -euo pipefail
. "$abs_top_srcdir/tests/connectors/ad-lib.sh"

ad_setup ad-tenants
"$B" -c "$AD_CONF" tenant add t2 >/dev/null || ad_fail "tenant add t2 failed"
ad_directory d1 --users 120 --groups 10 --big 60 --seed 21
id1=$(ad_integration '{}' t1)
ad_directory d2 --users 80 --groups 6 --big 30 --seed 22
id2=$(ad_integration '{}' t2)
ad_run_ok "$id1"
ad_run_ok "$id2"
ad_verify "$id1" d1
ad_verify "$id2" d2
t1=$(ad_sql "SELECT id FROM tenants WHERE name = 't1'")
t2=$(ad_sql "SELECT id FROM tenants WHERE name = 't2'")
app() { psql -X -q -At -v ON_ERROR_STOP=1 "$PULSE_HOST_DATABASE_URL" -c "$1"; }
for t in "$t1:$id1" "$t2:$id2"; do
	tid=${t%%:*} iid=${t#*:}
	for tbl in directory_users directory_groups directory_memberships directory_org_units; do
		seen=$(app "BEGIN; SET LOCAL app.tenant_id = '$tid'; SELECT count(*) || '/' || count(*) FILTER (WHERE integration_id = $iid) FROM $tbl; COMMIT;" | tail -1)
		all=${seen%/*} own=${seen#*/}
		[ "$all" = "$own" ] && [ "$own" -gt 0 ] || ad_fail "tenant $tid sees $seen rows of $tbl (all/own)"
	done
done
ad_log "ok: each tenant sees only its own directory rows"
ad_eq "guid overlap between the tenants" "$(ad_sql "SELECT count(*) FROM directory_users a JOIN directory_users b USING (external_id) WHERE a.tenant_id = $t1 AND b.tenant_id = $t2")" 0
ad_log PASS
