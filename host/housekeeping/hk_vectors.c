/* hk_vectors: housekeeping of the embedded vector store's tombstones
 * (102_pgvectors_changes.sql). A tombstone lets a cached copy of a
 * collection be patched instead of loaded whole; one older than a day
 * serves no cache worth keeping, so it goes, and the collection's
 * tombstone horizon moves past it (a copy older than the horizon is then
 * loaded whole, pgvectors_knn.c). Done here rather than on every removal,
 * which kept deletes of the vectorize stage paying for it. */
#include "config.h"

#include <stdint.h>

#include "db/db.h"
#include "housekeeping/hk.h"

int hk_vectors(PGconn *c, const struct hk_opts *o, int64_t tenant,
	       struct hk_report *rep, char *err, size_t errlen)
{
	char t[24];
	const char *p[1] = {db_i64(t, tenant)};
	PGresult *r;
	int64_t n;

	if (db_tenant_begin(c, tenant, err, errlen) < 0)
		return -1;
	r = db_query(c, err, errlen, o->dry_run ?
		     "SELECT count(*) FROM pgvectors_tombstones"
		     " WHERE tenant_id = $1::bigint"
		     " AND deleted_at < now() - interval '1 day'" :
		     "WITH p AS (DELETE FROM pgvectors_tombstones"
		     "  WHERE tenant_id = $1::bigint"
		     "  AND deleted_at < now() - interval '1 day'"
		     "  RETURNING collection, gen),"
		     " m AS (SELECT collection, max(gen) AS gen, count(*) AS n"
		     "  FROM p GROUP BY collection),"
		     " u AS (UPDATE pgvectors_generation g SET tombstones_from ="
		     "  greatest(g.tombstones_from, m.gen) FROM m"
		     "  WHERE g.tenant_id = $1::bigint"
		     "  AND g.collection = m.collection)"
		     " SELECT coalesce(sum(n), 0) FROM m", 1, p);
	n = r ? db_int64(r, 0, 0) : -1;
	PQclear(r);
	if (n < 0 || db_commit(c, err, errlen) < 0) {
		db_rollback(c);
		return -1;
	}
	if (n && hk_report_add(rep, "deleted", "pgvectors_tombstones", tenant,
			       "old", n, 0, err, errlen) < 0)
		return -1;
	return 0;
}
