/* vectorize_history: entities vectorized per second over the last hour
 * or day, from the queue's done times (the console's Vectorization
 * panel). A queue row's updated_at is set when it completes or fails. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ai/vectorize.h"
#include "db/db.h"

char *vz_history_json(PGconn *db, int64_t tenant, const char *window,
		      int bucket_s, int n, char *err, size_t errlen)
{
	char t[24], bs[16], nb[16];
	const char *p[4];
	PGresult *r;
	char *out = NULL;

	if (db_tenant_begin(db, tenant, err, errlen) < 0)
		return NULL;
	p[0] = db_i64(t, tenant);
	snprintf(bs, sizeof(bs), "%d", bucket_s);
	snprintf(nb, sizeof(nb), "%d", n);
	p[1] = bs;
	p[2] = nb;
	p[3] = window;
	/* bucket k = floor(epoch / bucket_s): the same grid whatever the
	 * time zone; the oldest bucket starts n - 1 buckets before now's.
	 * The window's start is an expression of now(), not a subquery, so
	 * the planner can estimate it and take index 116 (a subquery's
	 * value is unknown when planning: it scanned every done row) */
	r = db_query(db, err, errlen,
		"WITH b AS (SELECT g, (floor(extract(epoch FROM now()) / $2::int)"
		"::bigint - ($3::int - 1) + g) AS k FROM generate_series(0,"
		" $3::int - 1) g),"
		" c AS (SELECT floor(extract(epoch FROM updated_at) / $2::int)"
		"::bigint AS k, count(*) FILTER (WHERE status = 'completed') AS done,"
		" count(*) FILTER (WHERE status = 'failed') AS failed"
		" FROM vectorization_queue WHERE tenant_id = $1::bigint"
		" AND status IN ('completed', 'failed') AND updated_at >="
		" to_timestamp((floor(extract(epoch FROM now()) / $2::int)::bigint"
		" - ($3::int - 1)) * $2::int) GROUP BY 1),"
		" j AS (SELECT b.g, b.k, coalesce(c.done, 0) AS done,"
		" coalesce(c.failed, 0) AS failed FROM b LEFT JOIN c ON c.k = b.k)"
		" SELECT jsonb_build_object('window', $4::text, 'bucket_seconds',"
		" $2::int, 'done', sum(done), 'failed', sum(failed), 'per_second',"
		" round(sum(done)::numeric / ($2::int * $3::int), 4), 'buckets',"
		" jsonb_agg(jsonb_build_object('start', to_char(to_timestamp(k *"
		" $2::int) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
		" 'done', done, 'failed', failed, 'per_second',"
		" round(done::numeric / $2::int, 4)) ORDER BY g))::text FROM j",
		4, p);
	if (r) {
		out = strdup(PQgetvalue(r, 0, 0));
		if (!out)
			snprintf(err, errlen, "vectorize: out of memory");
		PQclear(r);
	}
	db_rollback(db);
	return out;
}
