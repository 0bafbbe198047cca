/*
 * pgvectors_scroll: read a tenant's stored points back, a page at a time,
 * by keyset on point_id (the unique (tenant, collection, point_id) index
 * serves it). The offset is the last point id of the previous page, so a
 * page never skips or repeats a point while nothing writes.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ai/vstore.h"
#include "ai/vstore_int.h"
#include "db/db.h"

static const char *pgs_cell(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

/* Row i's vector (bytea text, little-endian float4) into pg->vecs. */
static int pgs_vector(const PGresult *r, int row, uint32_t dim, float *out,
		      const char *collection, char *err, size_t errlen)
{
	unsigned char *raw;
	size_t len = 0;

	if ((uint32_t)db_int64(r, row, 10) != dim) {
		snprintf(err, errlen, "pgvectors: point %s of %s has %lld "
			 "dimensions, not %u", PQgetvalue(r, row, 0), collection,
			 (long long)db_int64(r, row, 10), dim);
		return -1;
	}
	raw = PQunescapeBytea((const unsigned char *)PQgetvalue(r, row, 4),
			      &len);
	if (!raw || len != dim * sizeof(float)) {
		if (raw)
			PQfreemem(raw);
		snprintf(err, errlen, "pgvectors: point %s of %s: unreadable "
			 "vector", PQgetvalue(r, row, 0), collection);
		return -1;
	}
	memcpy(out, raw, len);
	PQfreemem(raw);
	return 0;
}

int pgv_scroll(struct vstore *s, const char *collection, const char *offset,
	       uint32_t limit, int with_vectors, struct vstore_page *pg,
	       char *err, size_t errlen)
{
	char t[24], m[16];
	const char *p[5];
	PGresult *r = NULL;
	size_t i, n;
	int rc = -1;

	/* one row more than asked says whether another page follows */
	snprintf(m, sizeof(m), "%lu", (unsigned long)limit + 1);
	p[0] = db_i64(t, s->tenant);
	p[1] = collection;
	p[2] = offset;
	p[3] = with_vectors ? "t" : "f";
	p[4] = m;
	if (db_tenant_begin(s->db, s->tenant, err, errlen) < 0)
		return -1;
	r = db_query(s->db, err, errlen,
		"SELECT point_id::text, integration_id, entity, external_id,"
		" CASE WHEN $4::bool THEN vec END, text_hash,"
		" payload->>'display_id', payload->>'title', payload->>'url',"
		" to_char(updated_at AT TIME ZONE 'UTC',"
		" 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), dim FROM pgvectors"
		" WHERE tenant_id = $1::bigint AND collection = $2"
		" AND ($3::uuid IS NULL OR point_id > $3::uuid)"
		" ORDER BY point_id LIMIT $5::int", 5, p);
	if (!r || db_commit(s->db, err, errlen) < 0) {
		db_rollback(s->db);
		goto out;
	}
	n = (size_t)PQntuples(r);
	if (n > limit)
		n = limit;
	pg->res = r;
	r = NULL;
	pg->n = n;
	if (!(pg->pts = calloc(n ? n : 1, sizeof(*pg->pts))))
		goto oom;
	if (with_vectors && n) {
		pg->dim = (uint32_t)db_int64(pg->res, 0, 10);
		if (!(pg->vecs = calloc(n * pg->dim, sizeof(float))))
			goto oom;
	}
	for (i = 0; i < n; i++) {
		const PGresult *q = pg->res;
		struct vstore_point *pt = &pg->pts[i];
		int row = (int)i;

		if (with_vectors) {
			if (pgs_vector(q, row, pg->dim, pg->vecs + i * pg->dim,
				       collection, err, errlen) < 0)
				goto out;
			pt->vec = pg->vecs + i * pg->dim;
		}
		pt->point_id = PQgetvalue(q, row, 0);
		pt->integration_id = db_int64(q, row, 1);
		pt->table = PQgetvalue(q, row, 2);
		pt->external_id = PQgetvalue(q, row, 3);
		pt->text_hash = pgs_cell(q, row, 5);
		pt->display_id = pgs_cell(q, row, 6);
		pt->title = pgs_cell(q, row, 7);
		pt->url = pgs_cell(q, row, 8);
		pt->updated_at = pgs_cell(q, row, 9);
	}
	if ((size_t)PQntuples(pg->res) > n &&
	    !(pg->next = strdup(pg->pts[n - 1].point_id)))
		goto oom;
	rc = 0;
	goto out;
oom:
	snprintf(err, errlen, "pgvectors: out of memory");
out:
	PQclear(r);
	if (rc < 0)
		vstore_page_free(pg);
	return rc;
}
