/* vectorize_queue: the stage's side of vectorization_queue - stale
 * claims swept, due rows claimed, and each batch's outcome recorded. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ai/vectorize.h"
#include "ai/vectorize_int.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "db/db.h"

void vz_batch_free(struct vz_batch *b)
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

char *vz_cell(const PGresult *r, int row, int col)
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
int vz_claim(PGconn *db, int64_t tenant, uint32_t max,
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

/* Record the outcome and release the claims, in one transaction. ok: the
 * store has them; else put back with backoff or fail after max. */
int vz_finish(PGconn *db, int64_t tenant, const struct vz_batch *b,
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
