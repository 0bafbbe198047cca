/*
 * pgvectors: the embedded vector store, in PostgreSQL (060_vectors.sql).
 * Writes go to the pgvectors table (pipelined: one round trip per 256
 * points) and bump the collection's generation in the same tenant
 * transaction; queries are exact cosine k-NN in
 * memory (pgvectors_knn.c). No vector server needed.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ai/vstore.h"
#include "ai/vstore_int.h"
#include "base/strbuf.h"
#include "db/db.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "pgvectors stores little-endian float4; add a byte swap for this host"
#endif

/* Bump (or create) the generation of (tenant, collection); inside the
 * caller's tenant transaction. 0 or -1. */
static int pgv_bump(PGconn *db, int64_t tenant, const char *collection,
		    uint32_t dim, char *err, size_t errlen)
{
	char t[24], d[16];
	const char *p[3];
	PGresult *r;

	snprintf(d, sizeof(d), "%u", dim);
	p[0] = db_i64(t, tenant);
	p[1] = collection;
	p[2] = d;
	r = db_query(db, err, errlen,
		     "INSERT INTO pgvectors_generation (tenant_id, collection, dim)"
		     " VALUES ($1::bigint, $2, $3::int)"
		     " ON CONFLICT (tenant_id, collection) DO UPDATE"
		     " SET generation = pgvectors_generation.generation + 1,"
		     " bumped_xact = pg_current_xact_id()"
		     /* the rows' trigger bumped it already (102) */
		     " WHERE pgvectors_generation.bumped_xact"
		     " IS DISTINCT FROM pg_current_xact_id()",
		     3, p);
	if (!r)
		return -1;
	PQclear(r);
	return 0;
}

static int pgv_ensure(struct vstore *s, const char *collection, uint32_t dim,
		      char *err, size_t errlen)
{
	char t[24], d[16];
	const char *p[3];
	PGresult *r = NULL;
	int rc = -1;
	uint32_t have;

	if (db_tenant_begin(s->db, s->tenant, err, errlen) < 0)
		return -1;
	snprintf(d, sizeof(d), "%u", dim);
	p[0] = db_i64(t, s->tenant);
	p[1] = collection;
	p[2] = d;
	r = db_query(s->db, err, errlen,
		     "WITH ins AS (INSERT INTO pgvectors_generation"
		     " (tenant_id, collection, dim) VALUES ($1::bigint, $2, $3::int)"
		     " ON CONFLICT (tenant_id, collection) DO NOTHING RETURNING dim)"
		     " SELECT dim FROM ins UNION ALL SELECT dim FROM"
		     " pgvectors_generation WHERE tenant_id = $1::bigint"
		     " AND collection = $2",
		     3, p);
	if (!r)
		goto out;
	have = PQntuples(r) ? (uint32_t)db_int64(r, 0, 0) : dim;
	if (have != dim) {
		snprintf(err, errlen, "pgvectors: collection %s holds %u-dim "
			 "vectors, not %u; vectors of another model need "
			 "`pulse-host vectorize rebuild`", collection, have, dim);
		goto out;
	}
	rc = db_commit(s->db, err, errlen);
out:
	PQclear(r);
	if (rc < 0)
		db_rollback(s->db);
	return rc;
}

/* The payload a search prints, as JSON text into sb. */
static int pgv_payload(struct strbuf *sb, int64_t tenant,
		       const struct vstore_point *pt)
{
	sb_reset(sb);
	sb_addf(sb, "{\"tenant_id\":%lld,\"integration_id\":%lld,\"table\":\"",
		(long long)tenant, (long long)pt->integration_id);
	sb_add_json_str(sb, pt->table);
	sb_adds(sb, "\",\"external_id\":\"");
	sb_add_json_str(sb, pt->external_id);
	sb_adds(sb, "\",\"display_id\":\"");
	sb_add_json_str(sb, pt->display_id ? pt->display_id : pt->external_id);
	sb_adds(sb, "\",\"title\":\"");
	sb_add_json_str(sb, pt->title ? pt->title : "");
	sb_adds(sb, "\",\"url\":\"");
	sb_add_json_str(sb, pt->url ? pt->url : "");
	sb_adds(sb, "\"}");
	return sb->buf ? 0 : -1;
}

/* Read the results of m pipelined statements and the sync that ends
 * them; the first failure goes to err. 0 or -1. */
static int pgv_pipe_drain(PGconn *db, size_t m, const char *collection,
			  char *err, size_t errlen)
{
	PGresult *r;
	size_t i;
	int rc = 0;

	for (i = 0; i < m; i++) {
		/* each statement: its result(s), then NULL */
		while ((r = PQgetResult(db))) {
			ExecStatusType st = PQresultStatus(r);

			if (st != PGRES_COMMAND_OK && rc == 0) {
				snprintf(err, errlen, "pgvectors: storing points of %s "
					 "failed: %s", collection,
					 st == PGRES_PIPELINE_ABORTED ?
					 "pipeline aborted" : PQresultErrorMessage(r));
				rc = -1;
			}
			PQclear(r);
		}
	}
	/* the sync */
	while ((r = PQgetResult(db))) {
		ExecStatusType st = PQresultStatus(r);

		PQclear(r);
		if (st == PGRES_PIPELINE_SYNC)
			break;
	}
	return rc;
}

static int pgv_upsert(struct vstore *s, const char *collection, uint32_t dim,
		      const struct vstore_point *pts, size_t n, char *err,
		      size_t errlen)
{
	static const char sql[] =
		"INSERT INTO pgvectors (tenant_id, integration_id, collection,"
		" point_id, entity, external_id, dim, vec, text_hash, payload,"
		" updated_at) VALUES ($1::bigint, $2::bigint, $3, $4::uuid, $5,"
		" $6, $7::int, $8::bytea, $9, $10::jsonb,"
		" coalesce($11::timestamptz, now()))"
		" ON CONFLICT (tenant_id, collection, point_id) DO UPDATE SET"
		" integration_id = EXCLUDED.integration_id, entity = EXCLUDED.entity,"
		" external_id = EXCLUDED.external_id, dim = EXCLUDED.dim,"
		" vec = EXCLUDED.vec, text_hash = EXCLUDED.text_hash,"
		" payload = EXCLUDED.payload, updated_at = EXCLUDED.updated_at";
	/* statements per pipeline sync: one round trip per chunk instead
	 * of one per point, with bounded buffers on both sides */
	enum { PGV_PIPE = 256 };
	struct strbuf pl = STRBUF_INIT;
	char t[24], ig[24], d[16];
	const char *p[11];
	int len[11] = {0}, fmt[11] = {0};
	size_t i, sent = 0;
	int rc = -1, piped = 0;

	if (db_tenant_begin(s->db, s->tenant, err, errlen) < 0)
		return -1;
	snprintf(d, sizeof(d), "%u", dim);
	p[0] = db_i64(t, s->tenant);
	p[2] = collection;
	p[6] = d;
	fmt[7] = 1; /* the vector travels as raw bytes */
	len[7] = (int)(dim * sizeof(float));
	if (PQenterPipelineMode(s->db) != 1) {
		snprintf(err, errlen, "pgvectors: %s", PQerrorMessage(s->db));
		goto out;
	}
	piped = 1;
	for (i = 0; i < n; i++) {
		if (pgv_payload(&pl, s->tenant, &pts[i]) < 0) {
			snprintf(err, errlen, "pgvectors: out of memory");
			goto out;
		}
		p[1] = db_i64(ig, pts[i].integration_id);
		p[3] = pts[i].point_id;
		p[4] = pts[i].table;
		p[5] = pts[i].external_id;
		p[7] = (const char *)pts[i].vec;
		p[8] = pts[i].text_hash;
		p[9] = pl.buf;
		p[10] = pts[i].updated_at;
		/* libpq copies the parameters into its buffer at once */
		if (!PQsendQueryParams(s->db, sql, 11, NULL, p, len, fmt, 0)) {
			snprintf(err, errlen, "pgvectors: storing point %s of %s "
				 "failed: %s", pts[i].point_id, collection,
				 PQerrorMessage(s->db));
			goto out;
		}
		sent++;
		if (sent == PGV_PIPE || i + 1 == n) {
			if (!PQpipelineSync(s->db)) {
				snprintf(err, errlen, "pgvectors: %s",
					 PQerrorMessage(s->db));
				goto out;
			}
			rc = pgv_pipe_drain(s->db, sent, collection, err, errlen);
			sent = 0;
			if (rc < 0)
				goto out;
			rc = -1;
		}
	}
	PQexitPipelineMode(s->db);
	piped = 0;
	if (pgv_bump(s->db, s->tenant, collection, dim, err, errlen) < 0)
		goto out;
	rc = db_commit(s->db, err, errlen);
out:
	if (piped) {
		/* statements sent but not synced: end them, then leave */
		if (sent && PQpipelineSync(s->db))
			pgv_pipe_drain(s->db, sent, collection, err, 0);
		PQexitPipelineMode(s->db);
	}
	sb_free(&pl);
	if (rc < 0)
		db_rollback(s->db);
	return rc;
}

static int pgv_remove(struct vstore *s, const char *collection,
		      const char *const *ids, size_t n, int64_t integration_id,
		      char *err, size_t errlen)
{
	struct strbuf arr = STRBUF_INIT;
	char t[24], ig[24];
	const char *p[3];
	PGresult *r = NULL;
	size_t i;
	int rc = -1;

	p[0] = db_i64(t, s->tenant);
	p[1] = collection;
	if (n > 0) {
		/* a uuid[] literal; ids are UUIDs, checked by the cast */
		sb_adds(&arr, "{");
		for (i = 0; i < n; i++)
			sb_addf(&arr, "%s\"%s\"", i ? "," : "", ids[i]);
		sb_adds(&arr, "}");
		p[2] = arr.buf;
	} else {
		p[2] = db_i64(ig, integration_id);
	}
	if (db_tenant_begin(s->db, s->tenant, err, errlen) < 0)
		goto out;
	r = db_query(s->db, err, errlen, n > 0 ?
		     "DELETE FROM pgvectors WHERE tenant_id = $1::bigint AND"
		     " collection = $2 AND point_id = ANY ($3::uuid[])" :
		     "DELETE FROM pgvectors WHERE tenant_id = $1::bigint AND"
		     " collection = $2 AND integration_id = $3::bigint", 3, p);
	if (!r)
		goto out;
	/* the generation moved with the first deleted row (the trigger of
	 * 102_pgvectors_changes.sql); nothing deleted, nothing to bump */
	/* old tombstones go in housekeeping (hk_vectors.c) */
	rc = db_commit(s->db, err, errlen);
out:
	PQclear(r);
	sb_free(&arr);
	if (rc < 0)
		db_rollback(s->db);
	return rc;
}

static int pgv_query(struct vstore *s, const char *collection,
		     const float *vec, uint32_t dim, uint32_t k,
		     const struct vstore_filter *f, float min_score,
		     struct vstore_hit **hits, size_t *n, char *err,
		     size_t errlen)
{
	return pgv_knn_query(s->db, s->tenant, collection, vec, dim, k, f,
			     min_score, hits, n, err, errlen);
}

static const struct vstore_ops pgv_ops = {
	.name = "pgvectors",
	.ensure = pgv_ensure,
	.upsert = pgv_upsert,
	.remove = pgv_remove,
	.query = pgv_query,
	.scroll = pgv_scroll,
	.close = NULL,
};

int vstore_open_pg(PGconn *db, int64_t tenant, struct vstore **out,
		   char *err, size_t errlen)
{
	struct vstore *s;

	*out = NULL;
	if (tenant <= 0) {
		snprintf(err, errlen, "vector store: no tenant given");
		return -1;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "vector store: out of memory");
		return -1;
	}
	s->ops = &pgv_ops;
	s->tenant = tenant;
	s->db = db;
	*out = s;
	return 0;
}
