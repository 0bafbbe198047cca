#!/bin/bash
# Migrations are applied once and recorded; a changed migration is refused;
# the app role cannot see or touch another tenant's rows.
set -euo pipefail
. "$abs_top_srcdir/tests/db/warehouse-lib.sh"
wh_setup

# migrate again: nothing to do
ph migrate --admin-url "$WH_ADMIN" > "$WH_DIR/m2.out" 2>&1
wh_contains "$WH_DIR/m2.out" "schema is up to date"
n=$(wh_sql "SELECT count(*) FROM schema_migrations")
files=$(ls "$abs_top_srcdir"/host/db/migrations/*.sql | wc -l)
[ "$n" = "$files" ] || wh_fail "schema_migrations has $n rows, $files migration files"
ph migrate --status > "$WH_DIR/status.out"
wh_contains "$WH_DIR/status.out" "004      host_functions           applied"
grep -q pending "$WH_DIR/status.out" && wh_fail "status shows a pending migration"

# a changed checksum is an error, not silently skipped
wh_sql "UPDATE schema_migrations SET checksum = 'abc' WHERE version = '002'"
wh_expect_fail "$WH_DIR/m3.err" ph migrate --admin-url "$WH_ADMIN"
wh_contains "$WH_DIR/m3.err" "002_warehouse.sql was applied"
ph migrate --status | grep -q "002 .*CHANGED" || wh_fail "status does not flag the change"
wh_sql "UPDATE schema_migrations SET checksum = '$(sha256sum "$abs_top_srcdir/host/db/migrations/002_warehouse.sql" | cut -c1-64)' WHERE version = '002'"
ph migrate --admin-url "$WH_ADMIN" | grep -q "up to date" || wh_fail "migrate after repair"

# the app role is a plain login role
[ "$(wh_sql "SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = '$WH_ROLE'")" = f ] ||
	wh_fail "app role is superuser or has BYPASSRLS"

# two tenants, a row each
ph tenant add alpha >/dev/null
ph tenant add beta >/dev/null
A=$(wh_sql "SELECT id FROM tenants WHERE name = 'alpha'")
Bt=$(wh_sql "SELECT id FROM tenants WHERE name = 'beta'")
wh_sql "INSERT INTO integrations (tenant_id, name, type, plugin) VALUES ($A, 'a', 'Data', 'sandbox'), ($Bt, 'b', 'Data', 'sandbox')"
IA=$(wh_sql "SELECT id FROM integrations WHERE tenant_id = $A")
IB=$(wh_sql "SELECT id FROM integrations WHERE tenant_id = $Bt")
wh_sql "INSERT INTO prs (tenant_id, integration_id, external_id, repository_external_id, number, title) VALUES ($A, $IA, 'pa', 'r', 1, 'alpha pr'), ($Bt, $IB, 'pb', 'r', 1, 'beta pr')"

as_a() { wh_app_sql "BEGIN; SET LOCAL app.tenant_id = '$A'; $1; COMMIT;"; }
[ "$(as_a "SELECT count(*) FROM prs")" = 1 ] || wh_fail "tenant A sees $(as_a "SELECT count(*) FROM prs") prs, not 1"
[ "$(as_a "SELECT title FROM prs")" = "alpha pr" ] || wh_fail "tenant A sees another tenant's row"
[ -z "$(as_a "UPDATE prs SET title = 'x' WHERE external_id = 'pb' RETURNING id")" ] || wh_fail "A updated B's row"
[ -z "$(as_a "DELETE FROM prs WHERE external_id = 'pb' RETURNING id")" ] || wh_fail "A deleted B's row"
[ "$(wh_sql "SELECT title FROM prs WHERE external_id = 'pb'")" = "beta pr" ] || wh_fail "B's row changed"
if as_a "INSERT INTO prs (tenant_id, integration_id, external_id, repository_external_id, number) VALUES ($Bt, $IB, 'evil', 'r', 2)" 2> "$WH_DIR/ins.err"; then
	wh_fail "A inserted a row for tenant B"
fi
wh_contains "$WH_DIR/ins.err" "row-level security"
# no tenant set: nothing visible, nothing writable
[ "$(wh_app_sql "SELECT count(*) FROM prs")" = 0 ] || wh_fail "rows visible without app.tenant_id"
[ "$(wh_app_sql "SELECT count(*) FROM integrations")" = 0 ] || wh_fail "integrations visible without app.tenant_id"
if wh_app_sql "INSERT INTO prs (tenant_id, integration_id, external_id, repository_external_id, number) VALUES ($A, $IA, 'x', 'r', 3)" 2>/dev/null; then
	wh_fail "insert without app.tenant_id succeeded"
fi
# the cross-tenant helpers return ids only
[ "$(wh_app_sql "SELECT host_integration_tenant($IB)")" = "$Bt" ] || wh_fail "host_integration_tenant"
# tenants: listable and addable, not renamable
if wh_app_sql "UPDATE tenants SET name = 'x' WHERE id = $A" 2>/dev/null; then
	wh_fail "the app role renamed a tenant"
fi
echo "PASS: migrations recorded and checked, RLS isolates tenants"
