#!/bin/bash
# entra-tenants: two pulse-host tenants, each with its own Entra directory
# (two sandboxes, other ids and seeds): each integration loads its own
# directory only, rows carry their tenant, and the app role under RLS sees
# one tenant's rows at a time.
set -euo pipefail
. "$abs_top_srcdir/tests/connectors/entra-lib.sh"

en_setup entra-tenants --users 15 --groups 3 --big-group 8 --seed one
"$B" -c "$EN_CONF" tenant add t2 >/dev/null || en_fail "tenant add t2 failed"
URL2=
en_start_sandbox URL2 --users 11 --groups 2 --big-group 5 --seed two

id1=$(en_integration '{}' t1 "$EN_URL")
id2=$(en_integration '{}' t2 "$URL2")
en_run_ok "$id1"
en_run_ok "$id2"
en_verify "$id1" "$EN_URL"
en_verify "$id2" "$URL2"
t1=$(en_sql "SELECT id FROM tenants WHERE name = 't1'")
t2=$(en_sql "SELECT id FROM tenants WHERE name = 't2'")
en_eq "t1 users" "$(en_sql "SELECT count(*) FROM directory_users WHERE tenant_id = $t1")" 15
en_eq "t2 users" "$(en_sql "SELECT count(*) FROM directory_users WHERE tenant_id = $t2")" 11
en_eq "rows of one integration under the other tenant" "$(en_sql "SELECT count(*) FROM directory_users
	WHERE (integration_id = $id1 AND tenant_id <> $t1) OR (integration_id = $id2 AND tenant_id <> $t2)")" 0
en_eq "memberships across tenants" "$(en_sql "SELECT count(*) FROM directory_memberships m
	JOIN directory_users u ON u.external_id = m.member_external_id WHERE m.tenant_id <> u.tenant_id")" 0
# The app role, scoped to t2, sees t2's rows only.
n=$(psql -X -q -At -v ON_ERROR_STOP=1 "$PULSE_HOST_DATABASE_URL" -c "BEGIN;
	SET LOCAL app.tenant_id = '$t2'; SELECT count(*) FROM directory_users; COMMIT;")
en_eq "users the app role sees as t2" "$n" 11
en_log "PASS"
