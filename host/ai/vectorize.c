/* vectorize: claim, build, embed, store, record (see vectorize.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ai/route.h"
#include "ai/vectorize.h"
#include "ai/vstore.h"
#include "base/failpoint.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "db/db.h"

/* One claimed queue row and what the batch decided for it. */
struct vz_item {
	int64_t qid, integration;
	char *entity, *external_id;
	int live;              /* the row exists: upsert, else delete */
	int unchanged;         /* same text hash as stored */
	char *text, *title, *display, *url, *updated;
	char hash[65];
	char point_id[VSTORE_ID_LEN];
};

struct vz_batch {
	struct vz_item *it;
	size_t n;
};

static void vz_batch_free(struct vz_batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		free(b->it[i].entity);
		free(b->it[i].external_id);
		free(b->it[i].text);
		free(b->it[i].title);
		free(b->it[i].display);
		free(b->it[i].url);
		free(b->it[i].updated);
	}
	free(b->it);
	b->it = NULL;
	b->n = 0;
}

/* What one tenant's batches share: the routed embedder, the store and
 * the collection of the pinned model. */
struct vz_stage {
	struct ai_ctx *ctx;
	int64_t tenant;
	struct ai_embedder *e;
	struct vstore *vs;
	char collection[160];
	char *grp;       /* vz_build's scratch, cap bytes */
	size_t cap;
	double embed_s, store_s, db_s;
	int embed_failed;  /* the last vz_apply failed in the embedder */
};

static double vz_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static char *vz_cell(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? NULL : strdup(PQgetvalue(r, row, col));
}

int vz_sweep(PGconn *db, int64_t tenant, uint32_t stale_seconds,
	     uint64_t *n, char *err, size_t errlen)
{
	char t[24], s[16];
	const char *p[2];
	PGresult *r = NULL;
	uint64_t swept = 0;
	int i, rc = -1;

	if (db_tenant_begin(db, tenant, err, errlen) < 0)
		return -1;
	snprintf(s, sizeof(s), "%u", stale_seconds ? stale_seconds : 300);
	p[0] = db_i64(t, tenant);
	p[1] = s;
	r = db_query(db, err, errlen,
		     "SELECT id, claimed_by, claimed_at < now() - make_interval("
		     "secs => $2::int) FROM vectorization_queue WHERE tenant_id ="
		     " $1::bigint AND status = 'processing' FOR UPDATE SKIP LOCKED",
		     2, p);
	if (!r)
		goto out;
	for (i = 0; i < PQntuples(r); i++) {
		const char *owner = PQgetvalue(r, i, 1);
		int old = PQgetvalue(r, i, 2)[0] == 't';
		char id[24];
		const char *q[1];
		PGresult *u;

		/* a live claimant on this host keeps its claim however old */
		if (!old && !(db_owner_same_host(owner) && !db_owner_alive(owner)))
			continue;
		if (!old && strcmp(owner, db_owner_id()) == 0)
			continue;
		if (old && db_owner_same_host(owner) && db_owner_alive(owner) &&
		    strcmp(owner, db_owner_id()) != 0)
			continue;
		q[0] = db_i64(id, db_int64(r, i, 0));
		u = db_query(db, err, errlen,
			     "UPDATE vectorization_queue SET status = 'pending',"
			     " claimed_by = NULL, claimed_at = NULL, updated_at = now()"
			     " WHERE id = $1::bigint", 1, q);
		if (!u)
			goto out;
		PQclear(u);
		swept++;
	}
	rc = db_commit(db, err, errlen);
	if (swept)
		log_info("vectorize", "tenant %lld: %llu stale claims back to pending",
			 (long long)tenant, (unsigned long long)swept);
out:
	PQclear(r);
	if (rc < 0)
		db_rollback(db);
	if (n)
		*n = swept;
	return rc;
}

/* Claim up to max due rows. 0 with b filled (maybe empty), or -1. */
static int vz_claim(PGconn *db, int64_t tenant, uint32_t max,
		    const int64_t *ids, size_t nids, struct vz_batch *b,
		    char *err, size_t errlen)
{
	struct strbuf arr = STRBUF_INIT;
	char t[24], m[16];
	const char *p[4];
	size_t k;
	PGresult *r = NULL;
	int i, rc = -1;

	if (db_tenant_begin(db, tenant, err, errlen) < 0)
		return -1;
	snprintf(m, sizeof(m), "%u", max);
	p[0] = db_i64(t, tenant);
	p[1] = m;
	p[2] = db_owner_id();
	/* NULL: any due row of the tenant; else only these queue ids (a
	 * worker's messages) */
	if (ids) {
		sb_adds(&arr, "{");
		for (k = 0; k < nids; k++)
			sb_addf(&arr, "%s%lld", k ? "," : "", (long long)ids[k]);
		sb_adds(&arr, "}");
	}
	p[3] = ids ? arr.buf : NULL;
	r = db_query(db, err, errlen,
		     /* a CTE runs once: an IN (subquery) may be run again by
		      * the plan and, with SKIP LOCKED, claim more than $2.
		      * A row that was in a failed batch (error set) is
		      * claimed alone (one whose failure counted: attempts > 0),
		      * so a poison item fails on its own and never takes its
		      * batch-mates down with it. */
		     "WITH c AS (SELECT id, error IS NOT NULL AND attempts > 0"
		     " AS e FROM"
		     " vectorization_queue WHERE tenant_id = $1::bigint AND"
		     " status = 'pending' AND (next_attempt_at IS NULL OR"
		     " next_attempt_at <= now()) AND ($4::bigint[] IS NULL OR"
		     " id = ANY ($4::bigint[])) ORDER BY (error IS NOT NULL AND"
		     " attempts > 0) DESC,"
		     " id LIMIT $2::int FOR UPDATE SKIP LOCKED),"
		     " pick AS (SELECT id FROM c WHERE NOT (SELECT bool_or(e) FROM c)"
		     " OR id = (SELECT min(id) FROM c WHERE e))"
		     " UPDATE vectorization_queue q SET status = 'processing',"
		     " claimed_at = now(), claimed_by = $3, attempts = attempts + 1,"
		     " updated_at = now() FROM pick WHERE q.id = pick.id"
		     " RETURNING q.id, q.integration_id, q.entity, q.external_id", 4, p);
	if (!r)
		goto out;
	b->n = (size_t)PQntuples(r);
	b->it = calloc(b->n ? b->n : 1, sizeof(*b->it));
	if (!b->it) {
		b->n = 0;
		snprintf(err, errlen, "vectorize: out of memory");
		goto out;
	}
	for (i = 0; i < (int)b->n; i++) {
		struct vz_item *x = &b->it[i];

		x->qid = db_int64(r, i, 0);
		x->integration = db_int64(r, i, 1);
		x->entity = vz_cell(r, i, 2);
		x->external_id = vz_cell(r, i, 3);
		if (!x->entity || !x->external_id) {
			snprintf(err, errlen, "vectorize: out of memory");
			goto out;
		}
		vstore_point_id(tenant, x->entity, x->external_id, x->point_id);
	}
	rc = db_commit(db, err, errlen);
out:
	PQclear(r);
	sb_free(&arr);
	if (rc < 0) {
		db_rollback(db);
		vz_batch_free(b);
	}
	return rc;
}

/* Fill live/text/... of the items of (entity, integration) from the
 * builder query and unchanged from vector_references; in the open tenant
 * transaction. */
static int vz_build_group(PGconn *db, int64_t tenant, struct vz_batch *b,
			  size_t first, const char *collection, char *err,
			  size_t errlen)
{
	const char *sql = vz_text_sql(b->it[first].entity);
	struct strbuf arr = STRBUF_INIT;
	char t[24], ig[24];
	const char *p[5];
	PGresult *r = NULL, *h = NULL;
	size_t i;
	int row, rc = -1;

	sb_adds(&arr, "{");
	for (i = first; i < b->n; i++) {
		if (strcmp(b->it[i].entity, b->it[first].entity) != 0 ||
		    b->it[i].integration != b->it[first].integration)
			continue;
		sb_adds(&arr, i == first ? "\"" : ",\"");
		/* array literal: quote and backslash are escaped */
		for (const char *c = b->it[i].external_id; *c; c++) {
			if (*c == '"' || *c == '\\')
				sb_adds(&arr, "\\");
			sb_add(&arr, c, 1);
		}
		sb_adds(&arr, "\"");
	}
	sb_adds(&arr, "}");
	p[0] = db_i64(t, tenant);
	p[1] = arr.buf;
	p[2] = db_i64(ig, b->it[first].integration);
	p[3] = b->it[first].entity;
	p[4] = collection;
	r = db_query(db, err, errlen, sql, 3, p);
	if (!r)
		goto out;
	h = db_query(db, err, errlen,
		     "SELECT external_id, text_hash FROM vector_references WHERE"
		     " tenant_id = $1::bigint AND integration_id = $3::bigint AND"
		     " entity = $4 AND collection = $5 AND status = 'stored' AND"
		     " external_id = ANY ($2::text[])", 5, p);
	if (!h)
		goto out;
	for (i = first; i < b->n; i++) {
		struct vz_item *x = &b->it[i];

		if (strcmp(x->entity, b->it[first].entity) != 0 ||
		    x->integration != b->it[first].integration)
			continue;
		for (row = 0; row < PQntuples(r); row++)
			if (strcmp(PQgetvalue(r, row, 0), x->external_id) == 0)
				break;
		if (row == PQntuples(r))
			continue; /* gone or deleted: remove its vector */
		x->live = 1;
		x->text = vz_cell(r, row, 1);
		x->title = vz_cell(r, row, 2);
		x->display = vz_cell(r, row, 3);
		x->url = vz_cell(r, row, 4);
		x->updated = vz_cell(r, row, 5);
		if (!x->text)
			x->text = strdup("");
		if (!x->text) {
			snprintf(err, errlen, "vectorize: out of memory");
			goto out;
		}
		vstore_text_hash(x->text, x->hash);
		for (row = 0; row < PQntuples(h); row++)
			if (strcmp(PQgetvalue(h, row, 0), x->external_id) == 0 &&
			    strcmp(PQgetvalue(h, row, 1), x->hash) == 0)
				x->unchanged = 1;
	}
	rc = 0;
out:
	PQclear(r);
	PQclear(h);
	sb_free(&arr);
	return rc;
}

/* Build every item's text (items of entities without a builder stay
 * !live and are marked skipped by the caller via *skipped[i]). */
static int vz_build(PGconn *db, int64_t tenant, struct vz_batch *b,
		    const char *collection, char *done_group, char *err,
		    size_t errlen)
{
	size_t i, j;

	if (db_tenant_begin(db, tenant, err, errlen) < 0)
		return -1;
	memset(done_group, 0, b->n);
	for (i = 0; i < b->n; i++) {
		if (done_group[i])
			continue;
		for (j = i; j < b->n; j++)
			if (strcmp(b->it[j].entity, b->it[i].entity) == 0 &&
			    b->it[j].integration == b->it[i].integration)
				done_group[j] = 1;
		if (!vz_text_sql(b->it[i].entity))
			continue;
		if (vz_build_group(db, tenant, b, i, collection, err, errlen) < 0) {
			db_rollback(db);
			return -1;
		}
	}
	db_rollback(db); /* read only */
	return 0;
}

/* Record the outcome and release the claims, in one transaction. ok: the
 * store has them; else put back with backoff or fail after max. */
static int vz_finish(PGconn *db, int64_t tenant, const struct vz_batch *b,
		     int ok, int refund, const char *why, const char *store,
		     const char *collection, const char *model, uint32_t max,
		     struct vz_counts *c, const int64_t *qids,
		     unsigned char *dead, size_t nqids, char *err,
		     size_t errlen)
{
	struct strbuf ids = STRBUF_INIT;
	char t[24], m[16];
	const char *p[6];
	PGresult *r = NULL;
	size_t i;
	int rc = -1;

	if (db_tenant_begin(db, tenant, err, errlen) < 0)
		return -1;
	p[0] = db_i64(t, tenant);
	sb_adds(&ids, "{");
	for (i = 0; i < b->n; i++)
		sb_addf(&ids, "%s%lld", i ? "," : "", (long long)b->it[i].qid);
	sb_adds(&ids, "}");
	p[1] = ids.buf;
	p[2] = db_owner_id();
	if (!ok) {
		snprintf(m, sizeof(m), "%u", max);
		p[3] = m;
		p[4] = why;
		p[5] = refund ? "1" : "0";
		/* an outage gives the attempt back ($6): only failures of
		 * the rows themselves count towards 'failed'; it waits 8x
		 * longer, the outage is likely to last */
		r = db_query(db, err, errlen,
			     "UPDATE vectorization_queue SET status = CASE WHEN"
			     " attempts - $6::int >= $4::int THEN 'failed' ELSE"
			     " 'pending' END, attempts = attempts - $6::int,"
			     " error = $5, claimed_by = NULL, claimed_at = NULL,"
			     " dispatched_at = NULL,"
			     " next_attempt_at = now() + make_interval(secs =>"
			     " least(300, 2 ^ (attempts - $6::int) * (1 + 7 * $6::int))),"
			     " updated_at = now()"
			     " WHERE tenant_id = $1::bigint AND id = ANY ($2::bigint[])"
			     " AND status = 'processing' AND claimed_by = $3"
			     " RETURNING status, id", 6, p);
		if (!r)
			goto out;
		for (i = 0; i < (size_t)PQntuples(r); i++) {
			if (strcmp(PQgetvalue(r, (int)i, 0), "failed") == 0) {
				int64_t id = db_int64(r, (int)i, 1);
				size_t k;

				c->failed++;
				for (k = 0; dead && k < nqids; k++)
					if (qids[k] == id)
						dead[k] = VZ_ID_FAILED;
			} else {
				c->retried++;
			}
		}
		rc = db_commit(db, err, errlen);
		goto out;
	}
	for (i = 0; i < b->n; i++) {
		const struct vz_item *x = &b->it[i];
		char ig[24];
		const char *q[9];
		PGresult *u;

		if (!vz_text_sql(x->entity))
			continue;
		q[0] = p[0];
		q[1] = db_i64(ig, x->integration);
		q[2] = x->entity;
		q[3] = x->external_id;
		q[4] = collection;
		q[5] = x->point_id;
		q[6] = model;
		q[7] = x->live ? x->hash : NULL;
		q[8] = store;
		u = db_query(db, err, errlen,
			     "INSERT INTO vector_references (tenant_id,"
			     " integration_id, entity, external_id, collection,"
			     " point_id, model, text_hash, store, status,"
			     " vectorized_at, updated_at) VALUES ($1::bigint,"
			     " $2::bigint, $3, $4, $5, $6::uuid, $7, $8::text, $9,"
			     " CASE WHEN $8::text IS NULL THEN 'deleted' ELSE 'stored' END,"
			     " now(), now()) ON CONFLICT (tenant_id, integration_id,"
			     " entity, external_id, collection) DO UPDATE SET"
			     " point_id = EXCLUDED.point_id, model = EXCLUDED.model,"
			     " text_hash = EXCLUDED.text_hash, store = EXCLUDED.store,"
			     " status = EXCLUDED.status, vectorized_at ="
			     " CASE WHEN vector_references.text_hash IS NOT DISTINCT"
			     " FROM EXCLUDED.text_hash THEN vector_references.vectorized_at"
			     " ELSE now() END, updated_at = now()", 9, q);
		if (!u)
			goto out;
		PQclear(u);
	}
	r = db_query(db, err, errlen,
		     "UPDATE vectorization_queue SET status = 'completed', error ="
		     " NULL, claimed_by = NULL, claimed_at = NULL, updated_at = now()"
		     " WHERE tenant_id = $1::bigint AND id = ANY ($2::bigint[])"
		     " AND status = 'processing' AND claimed_by = $3", 3, p);
	if (!r)
		goto out;
	rc = db_commit(db, err, errlen);
out:
	PQclear(r);
	sb_free(&ids);
	if (rc < 0)
		db_rollback(db);
	return rc;
}

/* Embed the changed live items and write/remove points. 0, or -1 with
 * err (the batch is retried). */
static int vz_apply(struct vz_stage *s, struct vz_batch *b,
		    struct vz_counts *c, char *err, size_t errlen)
{
	struct ai_embedder *e = s->e;
	struct vstore *vs = s->vs;
	const char *collection = s->collection;
	uint32_t dim = ai_embedder_dim(e), k = 0;
	double t0 = vz_now();
	const char **texts = calloc(b->n ? b->n : 1, sizeof(char *));
	const char **gone = calloc(b->n ? b->n : 1, sizeof(char *));
	struct vstore_point *pts = calloc(b->n ? b->n : 1, sizeof(*pts));
	size_t *idx = calloc(b->n ? b->n : 1, sizeof(size_t));
	float *vecs = NULL;
	size_t i, ngone = 0;
	int rc = -1;

	if (!texts || !gone || !pts || !idx) {
		snprintf(err, errlen, "vectorize: out of memory");
		goto out;
	}
	for (i = 0; i < b->n; i++) {
		struct vz_item *x = &b->it[i];

		if (!vz_text_sql(x->entity))
			continue;
		if (!x->live) {
			gone[ngone++] = x->point_id;
		} else if (x->unchanged) {
			c->unchanged++;
		} else {
			/* two queue rows of one entity in a batch: embed once */
			size_t j;

			for (j = 0; j < k; j++)
				if (strcmp(b->it[idx[j]].point_id, x->point_id) == 0)
					break;
			if (j == k) {
				idx[k] = i;
				texts[k++] = x->text;
			}
		}
	}
	if (k) {
		vecs = malloc((size_t)k * dim * sizeof(float));
		if (!vecs) {
			snprintf(err, errlen, "vectorize: out of memory");
			goto out;
		}
		if (ai_embed(e, texts, k, vecs, NULL, err, errlen) < 0) {
			s->embed_failed = 1;
			goto out;
		}
		c->embedded += k;
		/* embedded, nothing stored yet */
		FAILPOINT("vectorize.after_embed");
		s->embed_s += vz_now() - t0;
		t0 = vz_now();
		for (i = 0; i < k; i++) {
			const struct vz_item *x = &b->it[idx[i]];

			pts[i].point_id = x->point_id;
			pts[i].vec = vecs + i * dim;
			pts[i].integration_id = x->integration;
			pts[i].table = x->entity;
			pts[i].external_id = x->external_id;
			pts[i].display_id = x->display;
			pts[i].title = x->title;
			pts[i].url = x->url;
			pts[i].updated_at = x->updated;
			pts[i].text_hash = x->hash;
		}
		if (vstore_upsert(vs, collection, dim, pts, k, err, errlen) < 0)
			goto out;
		c->upserted += k;
	}
	if (ngone) {
		if (vstore_remove_ids(vs, collection, gone, ngone, err, errlen) < 0)
			goto out;
		c->deleted += ngone;
	}
	rc = 0;
out:
	s->store_s += vz_now() - t0;
	free(texts);
	free(gone);
	free(pts);
	free(idx);
	free(vecs);
	return rc;
}


void vz_stage_close(struct vz_stage *s)
{
	if (!s)
		return;
	vstore_close(s->vs);
	ai_embedder_close(s->e);
	free(s->grp);
	free(s);
}

int vz_stage_open(struct ai_ctx *ctx, int64_t tenant, struct vz_stage **out,
		  char *err, size_t errlen)
{
	struct vz_stage *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (!s) {
		snprintf(err, errlen, "vectorize: out of memory");
		return -1;
	}
	s->ctx = ctx;
	s->tenant = tenant;
	if (ai_embedder_open(ctx, tenant, AI_CTX_ETL, &s->e, err, errlen) < 0)
		goto fail;
	vstore_collection(ai_embedder_model(s->e), ai_embedder_dim(s->e),
			  s->collection, sizeof(s->collection));
	if (vstore_open_tenant(ctx, tenant, &s->vs, err, errlen) < 0 ||
	    vstore_ensure(s->vs, s->collection, ai_embedder_dim(s->e), err,
			  errlen) < 0)
		goto fail;
	*out = s;
	return 0;
fail:
	vz_stage_close(s);
	return -1;
}

int64_t vz_stage_tenant(const struct vz_stage *s)
{
	return s->tenant;
}

void vz_stage_times(const struct vz_stage *s, double *embed_s,
		    double *store_s, double *db_s)
{
	*embed_s = s->embed_s;
	*store_s = s->store_s;
	*db_s = s->db_s;
}

/* After a failed embed: does the embedder fail a harmless probe text
 * too? Then it is down (an outage: the batch's attempt is not counted),
 * else something in the batch is poison (counted). */
static int vz_embedder_down(struct vz_stage *s)
{
	static const char *const probe[1] = {"vectorize probe"};
	float *v = malloc((size_t)ai_embedder_dim(s->e) * sizeof(float));
	char err[512];
	int down;

	if (!v)
		return 0;
	down = ai_embed(s->e, probe, 1, v, NULL, err, sizeof(err)) < 0;
	free(v);
	return down;
}

/* Build, embed, store and record one claimed batch (b). 0 when stored,
 * 1 when the batch failed (recorded on its rows: retry or failed), -1
 * with err when the outcome could not be recorded (the claims stay; the
 * sweep repairs them). */
static int vz_process(struct vz_stage *s, struct vz_batch *b, uint32_t max,
		      struct vz_counts *c, const int64_t *ids,
		      unsigned char *dead, size_t nids, char *err,
		      size_t errlen)
{
	char why[1024];
	double t0, t1;
	size_t i;
	int ok, outage = 0;

	c->batches++;
	c->claimed += b->n;
	for (i = 0; i < b->n; i++)
		if (!vz_text_sql(b->it[i].entity))
			c->skipped++;
	if (b->n > s->cap) {
		char *g = realloc(s->grp, b->n);

		if (!g) {
			snprintf(err, errlen, "vectorize: out of memory");
			return -1;
		}
		s->grp = g;
		s->cap = b->n;
	}
	why[0] = '\0';
	t0 = vz_now();
	ok = vz_build(s->ctx->db, s->tenant, b, s->collection, s->grp, why,
		      sizeof(why)) == 0;
	t1 = vz_now();
	s->db_s += t1 - t0;
	s->embed_failed = 0;
	ok = ok && vz_apply(s, b, c, why, sizeof(why)) == 0;
	/* stored in the vector store; the queue rows not yet completed */
	if (ok)
		FAILPOINT("vectorize.after_store");
	if (!ok && s->embed_failed)
		outage = vz_embedder_down(s);
	if (!ok)
		log_warn("vectorize", "tenant %lld: a batch of %zu failed%s, "
			 "will retry: %s", (long long)s->tenant, b->n,
			 outage ? " (the embedder is down: not counted as an "
			 "attempt)" : "", why);
	t0 = vz_now();
	if (vz_finish(s->ctx->db, s->tenant, b, ok, outage, why,
		      vstore_name(s->vs), s->collection,
		      ai_embedder_model(s->e), max, c, ids, dead, nids, err,
		      errlen) < 0)
		return -1;
	s->db_s += vz_now() - t0;
	return ok ? 0 : 1;
}

int vz_stage_run(struct vz_stage *s, const struct vz_opts *o,
		 struct vz_counts *c, char *err, size_t errlen)
{
	struct vz_counts local = {0};
	struct vz_opts def = {0};
	struct vz_batch b = {0};
	uint32_t batch, max, nb = 0;
	int rc = -1, r;

	if (!o)
		o = &def;
	if (!c)
		c = &local;
	batch = o->batch ? o->batch : 64;
	max = o->max_attempts ? o->max_attempts : 5;
	if (vz_sweep(s->ctx->db, s->tenant, o->stale_seconds, NULL, err,
		     errlen) < 0)
		return -1;
	for (;;) {
		if (o->max_batches && nb >= o->max_batches) {
			rc = 1;
			break;
		}
		if (vz_claim(s->ctx->db, s->tenant, batch, NULL, 0, &b, err,
			     errlen) < 0)
			goto out;
		if (b.n == 0) {
			rc = 0;
			break;
		}
		nb++;
		r = vz_process(s, &b, max, c, NULL, NULL, 0, err, errlen);
		if (r < 0)
			goto out;
		vz_batch_free(&b);
		if (r == 1) {
			/* the embedder or store is failing: stop here rather
			 * than spend an attempt of every queued row on it */
			rc = 1;
			break;
		}
		if (o->progress && o->progress(o->arg, s->tenant, c)) {
			rc = 1;
			break;
		}
	}
out:
	vz_batch_free(&b);
	return rc;
}

int vz_stage_run_ids(struct vz_stage *s, const int64_t *ids, size_t n,
		     const struct vz_opts *o, struct vz_counts *c,
		     unsigned char *dead, char *err, size_t errlen)
{
	struct vz_counts local = {0};
	struct vz_batch b = {0};
	uint32_t max = o && o->max_attempts ? o->max_attempts : 5;
	size_t i, k;
	int rc = -1, r = 0;

	if (!c)
		c = &local;
	if (dead)
		memset(dead, 0, n);
	/* again until nothing is left: rows of a failed batch come one by
	 * one before the rest */
	for (;;) {
		if (vz_claim(s->ctx->db, s->tenant, (uint32_t)n, ids, n, &b, err,
			     errlen) < 0)
			goto out;
		if (b.n == 0)
			break; /* done, taken by another worker, or not due */
		for (i = 0; dead && i < b.n; i++)
			for (k = 0; k < n; k++)
				if (ids[k] == b.it[i].qid && dead[k] == VZ_ID_DONE)
					dead[k] = VZ_ID_CLAIMED;
		r = vz_process(s, &b, max, c, ids, dead, n, err, errlen);
		if (r < 0)
			goto out;
		vz_batch_free(&b);
		if (r == 1)
			break; /* failing: the rest is left for later */
	}
	for (k = 0; dead && k < n; k++) {
		if (dead[k] == VZ_ID_CLAIMED)
			dead[k] = VZ_ID_DONE;
		else if (dead[k] == VZ_ID_DONE && r == 1)
			dead[k] = VZ_ID_LATER;
	}
	rc = 0;
out:
	vz_batch_free(&b);
	return rc;
}

int vz_run_tenant(struct ai_ctx *ctx, int64_t tenant, const struct vz_opts *o,
		  struct vz_counts *c, char *err, size_t errlen)
{
	struct vz_stage *s = NULL;
	int rc;

	/* sweep first: a stage that cannot open still frees stale claims */
	if (vz_sweep(ctx->db, tenant, o ? o->stale_seconds : 0, NULL, err,
		     errlen) < 0)
		return -1;
	if (vz_stage_open(ctx, tenant, &s, err, errlen) < 0)
		return -1;
	rc = vz_stage_run(s, o, c, err, errlen);
	vz_stage_close(s);
	return rc;
}

int vz_rebuild(PGconn *db, int64_t tenant, const char *table, uint64_t *n,
	       char *err, size_t errlen)
{
	struct strbuf sql = STRBUF_INIT;
	char t[24];
	const char *p[1];
	PGresult *r = NULL;
	size_t i;
	int rc = -1;

	*n = 0;
	if (table && !vz_text_sql(table)) {
		snprintf(err, errlen, "vectorize rebuild: '%s' is not a table "
			 "with a text; use one of work_items, changelogs, prs, "
			 "prs_reviews, prs_comments, prs_commits, repositories, "
			 "projects, wits, statuses, workflows, sprints, "
			 "wits_prs_links", table);
		return -1;
	}
	if (db_tenant_begin(db, tenant, err, errlen) < 0)
		return -1;
	p[0] = db_i64(t, tenant);
	for (i = 0; vz_text_entities[i]; i++) {
		const char *e = vz_text_entities[i];
		PGresult *u;

		if (table && strcmp(table, e) != 0)
			continue;
		/* e comes from the fixed list above, never from input */
		sb_reset(&sql);
		sb_addf(&sql, "WITH f AS (UPDATE vector_references SET text_hash ="
			" NULL WHERE tenant_id = $1::bigint AND entity = '%s')"
			" INSERT INTO vectorization_queue (tenant_id,"
			" integration_id, entity, external_id, operation) SELECT"
			" tenant_id, integration_id, '%s', external_id, 'update'"
			" FROM %s WHERE tenant_id = $1::bigint AND deleted_at IS NULL",
			e, e, e);
		u = db_query(db, err, errlen, sql.buf, 1, p);
		if (!u)
			goto out;
		*n += strtoull(PQcmdTuples(u), NULL, 10);
		PQclear(u);
	}
	/* Every row is embedded again: the next embed pins the model anew
	 * (a model change, docs/ai.md). A one-table rebuild keeps the pin:
	 * the other tables' vectors still use the pinned model. */
	if (!table) {
		PGresult *u = db_query(db, err, errlen, "DELETE FROM ai_model_pins"
				       " WHERE tenant_id = $1::bigint", 1, p);

		if (!u)
			goto out;
		PQclear(u);
	}
	rc = db_commit(db, err, errlen);
out:
	PQclear(r);
	sb_free(&sql);
	if (rc < 0)
		db_rollback(db);
	return rc;
}

char *vz_summary_json(PGconn *db, int64_t tenant, char *err, size_t errlen)
{
	char t[24];
	const char *p[1];
	PGresult *r;
	char *out = NULL;

	if (db_tenant_begin(db, tenant, err, errlen) < 0)
		return NULL;
	p[0] = db_i64(t, tenant);
	r = db_query(db, err, errlen,
		"WITH q AS (SELECT status, operation, entity FROM vectorization_queue"
		" WHERE tenant_id = $1::bigint),"
		" st AS (SELECT s FROM unnest(ARRAY['pending','processing',"
		"'completed','failed']) s),"
		" z AS (SELECT jsonb_object_agg(s, 0) AS o FROM st)"
		" SELECT ((SELECT z.o FROM z) || coalesce((SELECT jsonb_object_agg("
		"status, n) FROM (SELECT status, count(*) n FROM q GROUP BY 1) a), '{}')"
		" || jsonb_build_object("
		" 'by_operation', (SELECT jsonb_object_agg(op, (SELECT z.o FROM z) ||"
		" coalesce((SELECT jsonb_object_agg(status, n) FROM (SELECT status,"
		" count(*) n FROM q WHERE operation = op GROUP BY 1) b), '{}'))"
		" FROM unnest(ARRAY['insert','update','delete']) op),"
		" 'by_table', coalesce((SELECT jsonb_object_agg(entity, o) FROM"
		" (SELECT entity, (SELECT z.o FROM z) || jsonb_object_agg(status, n) o"
		" FROM (SELECT entity, status, count(*) n FROM q GROUP BY 1, 2) c"
		" GROUP BY entity) d), '{}'),"
		" 'vectors', (SELECT count(*) FROM vector_references WHERE tenant_id ="
		" $1::bigint AND status = 'stored')))::text", 1, p);
	if (r) {
		out = strdup(PQgetvalue(r, 0, 0));
		if (!out)
			snprintf(err, errlen, "vectorize: out of memory");
		PQclear(r);
	}
	db_rollback(db);
	return out;
}
