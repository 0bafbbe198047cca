#!/bin/bash
# pgvectors' scroll (host/ai/pgvectors_scroll.c), the read-back that
# `vectorize move` uses: keyset paging by point id at several page sizes,
# the tenant and collection filters, with and without vectors, an empty
# tenant, offsets (tests/db/pgv-scroll.c). Runs as the app role, so RLS
# applies as in the daemon.
set -euo pipefail
. "$abs_top_srcdir/tests/db/warehouse-lib.sh"
wh_setup
ta=$(wh_tenant sa)
tb=$(wh_tenant sb)
te=$(wh_tenant se)
ia1=$(wh_sql "INSERT INTO integrations (tenant_id, name, type, plugin) VALUES ($ta, 'gh', 'Data', 'sandbox') RETURNING id")
ia2=$(wh_sql "INSERT INTO integrations (tenant_id, name, type, plugin) VALUES ($ta, 'jira', 'Data', 'sandbox') RETURNING id")
ib=$(wh_sql "INSERT INTO integrations (tenant_id, name, type, plugin) VALUES ($tb, 'gh', 'Data', 'sandbox') RETURNING id")
"$abs_top_builddir/tests/db/pgv-scroll" "$WH_APP_URL" "$ta" "$ia1" "$ia2" "$tb" "$ib" "$te" ||
	wh_fail "pgv-scroll found a problem (see above)"
# what the program wrote is where it says: 9 points of A, 5 of B, none of E
[ "$(wh_sql "SELECT count(*) FROM pgvectors WHERE tenant_id = $ta")" = 9 ] || wh_fail "tenant A's points"
[ "$(wh_sql "SELECT count(*) FROM pgvectors WHERE tenant_id = $tb")" = 5 ] || wh_fail "tenant B's points"
[ "$(wh_sql "SELECT count(*) FROM pgvectors WHERE tenant_id = $te")" = 0 ] || wh_fail "the empty tenant has points"
echo PASS
