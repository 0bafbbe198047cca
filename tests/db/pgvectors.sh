#!/bin/bash
# The embedded vector store (host/ai/pgvectors*.c) against a brute-force
# reference, its cache invalidation and tenant isolation (tests/db/pgv-tool.c),
# and forced RLS on its tables.
set -euo pipefail
. "$abs_top_srcdir/tests/db/warehouse-lib.sh"
wh_setup
ta=$(wh_tenant va)
tb=$(wh_tenant vb)
ia=$(wh_sql "INSERT INTO integrations (tenant_id, name, type, plugin) VALUES ($ta, 'gh', 'Data', 'sandbox') RETURNING id")
ib=$(wh_sql "INSERT INTO integrations (tenant_id, name, type, plugin) VALUES ($tb, 'gh', 'Data', 'sandbox') RETURNING id")
"$abs_top_builddir/tests/db/pgv-tool" check "$WH_APP_URL" "$ta" "$ia" "$tb" "$ib"
# RLS: without a tenant the app role sees no vectors; with A's, only A's.
n=$(wh_app_sql "SELECT count(*) FROM pgvectors")
[ "$n" = 0 ] || wh_fail "app role without a tenant sees $n vectors"
n=$(wh_app_sql "BEGIN; SET LOCAL app.tenant_id = '$ta'; SELECT count(*) FROM pgvectors WHERE tenant_id <> $ta; COMMIT" | sed -n 1,1p)
[ "$n" = 0 ] || wh_fail "tenant A sees $n vectors of another tenant"
# Housekeeping removes tombstones older than a day (and only those), and
# moves each collection's horizon past the newest removed.
wh_sql "UPDATE pgvectors_tombstones SET deleted_at = now() - interval '2 days'
	WHERE tenant_id = $ta AND gen < (SELECT max(gen) FROM pgvectors_tombstones WHERE tenant_id = $ta)" >/dev/null
old=$(wh_sql "SELECT count(*) FROM pgvectors_tombstones WHERE deleted_at < now() - interval '1 day'")
kept=$(wh_sql "SELECT count(*) FROM pgvectors_tombstones WHERE deleted_at >= now() - interval '1 day'")
want=$(wh_sql "SELECT string_agg(g.collection || '=' || greatest(g.tombstones_from, t.gen), ',' ORDER BY g.collection)
	FROM pgvectors_generation g JOIN (SELECT tenant_id, collection, max(gen) gen FROM pgvectors_tombstones
	WHERE deleted_at < now() - interval '1 day' GROUP BY 1, 2) t USING (tenant_id, collection)")
[ "$old" -gt 0 ] && [ "$kept" -gt 0 ] || wh_fail "the check needs old and recent tombstones: $old old, $kept recent"
ph housekeeping run --json --quiet > "$WH_DIR/hk.json"
got=$(python3 -c 'import json,sys; print(sum(x["rows"] for x in json.load(open(sys.argv[1]))["deleted"] if x["table"] == "pgvectors_tombstones"))' "$WH_DIR/hk.json")
[ "$got" = "$old" ] || { cat "$WH_DIR/hk.json"; wh_fail "housekeeping reported $got tombstones deleted, $old were old"; }
[ "$(wh_sql "SELECT count(*) FROM pgvectors_tombstones")" = "$kept" ] || wh_fail "recent tombstones were removed, or old ones kept"
colls=$(printf '%s' "$want" | sed "s/=[0-9]*//g; s/[^,]*/'&'/g")
[ "$(wh_sql "SELECT string_agg(collection || '=' || tombstones_from, ',' ORDER BY collection)
	FROM pgvectors_generation WHERE tenant_id = $ta AND collection IN ($colls)")" = "$want" ] ||
	wh_fail "the tombstone horizon did not move to $want"
for t in pgvectors pgvectors_generation pgvectors_tombstones; do
	f=$(wh_sql "SELECT relforcerowsecurity FROM pg_class WHERE relname = '$t'")
	[ "$f" = t ] || wh_fail "$t is not under FORCE ROW LEVEL SECURITY"
done
echo PASS
