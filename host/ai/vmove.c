/* vmove: copy a tenant's vectors from pgvectors to a plugin store
 * (see vmove.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ai/provider.h"
#include "ai/route.h"
#include "ai/route_int.h"
#include "ai/vmove.h"
#include "ai/vmove_int.h"
#include "ai/vstore.h"
#include "base/failpoint.h"
#include "db/db.h"
#include "plugin/loaded.h"
#include "plugin/loader.h"

/* One batch read from pgvectors; strings point into r. */
struct vm_batch {
	PGresult *r;
	struct vstore_point *pts;
	float *vecs;
	int64_t last_id;
	size_t n;
};

static void vm_batch_free(struct vm_batch *b)
{
	PQclear(b->r);
	free(b->pts);
	free(b->vecs);
	memset(b, 0, sizeof(*b));
}

static const char *vm_cell(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

/* Rows of (tenant, collection) after id `after` (or, with gen >= 0, those
 * written by a generation above gen), up to max, into b. In a tenant
 * transaction of its own. 0 or -1. */
static int vm_read(PGconn *db, int64_t tenant, const char *collection,
		   uint32_t dim, int64_t after, int64_t gen, uint32_t max,
		   struct vm_batch *b, char *err, size_t errlen)
{
	char t[24], a[24], g[24], m[16];
	const char *p[5];
	size_t i;

	memset(b, 0, sizeof(*b));
	snprintf(m, sizeof(m), "%u", max);
	p[0] = db_i64(t, tenant);
	p[1] = collection;
	p[2] = db_i64(a, after);
	p[3] = db_i64(g, gen);
	p[4] = m;
	if (db_tenant_begin(db, tenant, err, errlen) < 0)
		return -1;
	b->r = db_query(db, err, errlen,
		"SELECT id, point_id, integration_id, entity, external_id, vec,"
		" text_hash, payload->>'display_id', payload->>'title',"
		" payload->>'url', to_char(updated_at AT TIME ZONE 'UTC',"
		" 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), dim FROM pgvectors"
		" WHERE tenant_id = $1::bigint AND collection = $2"
		" AND id > $3::bigint AND ($4::bigint < 0 OR change_gen > $4::bigint)"
		" ORDER BY id LIMIT $5::int", 5, p);
	if (!b->r || db_commit(db, err, errlen) < 0) {
		db_rollback(db);
		goto fail;
	}
	b->n = (size_t)PQntuples(b->r);
	b->pts = calloc(b->n ? b->n : 1, sizeof(*b->pts));
	b->vecs = calloc(b->n ? b->n * dim : 1, sizeof(float));
	if (!b->pts || !b->vecs) {
		snprintf(err, errlen, "vectorize move: out of memory");
		goto fail;
	}
	for (i = 0; i < b->n; i++) {
		const PGresult *r = b->r;
		int row = (int)i;
		unsigned char *raw;
		size_t len = 0;

		if ((uint32_t)db_int64(r, row, 11) != dim) {
			snprintf(err, errlen, "vectorize move: point %s of %s has "
				 "%lld dimensions, not %u; use `pulse-host vectorize "
				 "rebuild`", PQgetvalue(r, row, 1), collection,
				 (long long)db_int64(r, row, 11), dim);
			goto fail;
		}
		raw = PQunescapeBytea((const unsigned char *)PQgetvalue(r, row, 5),
				      &len);
		if (!raw || len != dim * sizeof(float)) {
			if (raw)
				PQfreemem(raw);
			snprintf(err, errlen, "vectorize move: point %s of %s: "
				 "unreadable vector", PQgetvalue(r, row, 1), collection);
			goto fail;
		}
		/* stored as little-endian float4, as pgvectors.c checks */
		memcpy(b->vecs + i * dim, raw, len);
		PQfreemem(raw);
		b->pts[i].point_id = PQgetvalue(r, row, 1);
		b->pts[i].vec = b->vecs + i * dim;
		b->pts[i].integration_id = db_int64(r, row, 2);
		b->pts[i].table = PQgetvalue(r, row, 3);
		b->pts[i].external_id = PQgetvalue(r, row, 4);
		b->pts[i].text_hash = vm_cell(r, row, 6);
		b->pts[i].display_id = vm_cell(r, row, 7);
		b->pts[i].title = vm_cell(r, row, 8);
		b->pts[i].url = vm_cell(r, row, 9);
		b->pts[i].updated_at = vm_cell(r, row, 10);
		b->last_id = db_int64(r, row, 0);
	}
	return 0;
fail:
	vm_batch_free(b);
	return -1;
}

int vmove_scalar(PGconn *db, int64_t tenant, const char *sql, int n,
		 const char *const *p, int64_t *v, char *err, size_t errlen)
{
	PGresult *r;

	*v = 0;
	if (db_tenant_begin(db, tenant, err, errlen) < 0)
		return -1;
	r = db_query(db, err, errlen, sql, n, p);
	if (!r || db_commit(db, err, errlen) < 0) {
		PQclear(r);
		db_rollback(db);
		return -1;
	}
	if (PQntuples(r) && !PQgetisnull(r, 0, 0))
		*v = db_int64(r, 0, 0);
	PQclear(r);
	return 0;
}

/* The checks before anything is written: the target is a loaded
 * vector store of the tenant, no other plugin store serves the tenant,
 * and every pgvectors point is of the pinned model's collection. Fills
 * res->store, collection, dim, points; *enabled: the target's flag. */
static int vm_check(struct ai_ctx *ctx, int64_t tenant, int64_t target,
		    struct vmove_result *res, int *enabled, char *err,
		    size_t errlen)
{
	char t[24], g[24], model[256];
	const char *p[2];
	PGresult *r = NULL;
	struct plugin *pl;
	int i, rc = -1, pinned;

	p[0] = db_i64(t, tenant);
	p[1] = db_i64(g, target);
	if (db_tenant_begin(ctx->db, tenant, err, errlen) < 0)
		return -1;
	r = db_query(ctx->db, err, errlen,
		     "SELECT id, name, plugin, enabled, id = $2::bigint FROM"
		     " integrations WHERE tenant_id = $1::bigint AND (id ="
		     " $2::bigint OR (enabled AND type IN ('AI', 'Embedding')))"
		     " ORDER BY id", 2, p);
	if (!r || db_commit(ctx->db, err, errlen) < 0) {
		db_rollback(ctx->db);
		goto out;
	}
	*enabled = -1;
	for (i = 0; i < PQntuples(r); i++) {
		pl = ctx->ld ? loader_find(ctx->ld, PQgetvalue(r, i, 2)) : NULL;
		if (PQgetvalue(r, i, 4)[0] == 't') {
			if (!ai_plugin_serves(pl, PULSE_KIND_VECTOR_STORE)) {
				snprintf(err, errlen, "vectorize move: integration "
					 "%lld (%s) uses plugin '%s', which is not "
					 "loaded as a vector store; see `pulse-host "
					 "plugins`", (long long)target,
					 PQgetvalue(r, i, 1), PQgetvalue(r, i, 2));
				goto out;
			}
			snprintf(res->store, sizeof(res->store), "%s",
				 PQgetvalue(r, i, 2));
			*enabled = PQgetvalue(r, i, 3)[0] == 't';
		} else if (pl && ai_plugin_serves(pl, PULSE_KIND_VECTOR_STORE)) {
			snprintf(err, errlen, "vectorize move: tenant %lld uses "
				 "vector-store integration %s (%s, plugin %s), not "
				 "pgvectors; move it back first (`pulse-host "
				 "vectorize move --tenant T --to pgvectors`), then "
				 "to the new store", (long long)tenant,
				 PQgetvalue(r, i, 0),
				 PQgetvalue(r, i, 1), PQgetvalue(r, i, 2));
			goto out;
		}
	}
	if (*enabled < 0) {
		snprintf(err, errlen, "vectorize move: integration %lld is not an "
			 "integration of tenant %lld; see `pulse-host integration "
			 "list`", (long long)target, (long long)tenant);
		goto out;
	}
	PQclear(r);
	r = NULL;
	pinned = ai_pin_get(ctx->db, tenant, AI_CTX_ETL, model, sizeof(model),
			    &res->dim, err, errlen);
	if (pinned < 0)
		goto out;
	if (!pinned) {
		snprintf(err, errlen, "vectorize move: tenant %lld has no pinned "
			 "embedding model, so nothing was vectorized to move; "
			 "`pulse-host vectorize run` writes to the tenant's store "
			 "directly", (long long)tenant);
		goto out;
	}
	vstore_collection(model, res->dim, res->collection,
			  sizeof(res->collection));
	if (db_tenant_begin(ctx->db, tenant, err, errlen) < 0)
		goto out;
	r = db_query(ctx->db, err, errlen,
		     "SELECT collection, dim, count(*) FROM pgvectors WHERE"
		     " tenant_id = $1::bigint GROUP BY 1, 2 ORDER BY 1, 2", 1, p);
	if (!r || db_commit(ctx->db, err, errlen) < 0) {
		db_rollback(ctx->db);
		goto out;
	}
	for (i = 0; i < PQntuples(r); i++) {
		if (strcmp(PQgetvalue(r, i, 0), res->collection) == 0 &&
		    (uint32_t)db_int64(r, i, 1) == res->dim) {
			res->points = (uint64_t)db_int64(r, i, 2);
			continue;
		}
		snprintf(err, errlen, "vectorize move: pgvectors holds %s vectors "
			 "of collection %s (%s dimensions), but the tenant's "
			 "embedding model is %s with %u dimensions (collection %s): "
			 "vectors of another model or dimension cannot be moved, "
			 "they must be embedded again; use `pulse-host vectorize "
			 "rebuild --tenant %lld` and `vectorize run` instead",
			 PQgetvalue(r, i, 2), PQgetvalue(r, i, 0),
			 PQgetvalue(r, i, 1), model, res->dim, res->collection,
			 (long long)tenant);
		goto out;
	}
	rc = 0;
out:
	PQclear(r);
	return rc;
}

static int vm_cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The exact check: both id sets read in full by scroll (a 1.4 target),
 * page points per request. 0 (res->verified set) or -1. */
static int vm_verify_scroll(PGconn *db, int64_t tenant, struct vstore *to,
			    uint32_t page, struct vmove_result *res, char *err,
			    size_t errlen)
{
	struct vstore *pg = NULL;
	uint64_t n = 0;
	int rc = -1;

	res->verify_by = VMOVE_BY_SCROLL;
	if (vstore_open_pg(db, tenant, &pg, err, errlen) < 0)
		return -1;
	if (vmove_same_ids(pg, to, res->collection, page, "pgvectors", &n, err,
			   errlen) < 0)
		goto out;
	res->verified = n;
	rc = 0;
out:
	vstore_close(pg);
	return rc;
}

/* Without scroll (a 1.1-1.3 target): ask the target for every point of
 * the tenant (k = points + 1) and compare the ids with pgvectors'; only
 * up to VMOVE_VERIFY_MAX points. 0 (res->verified set, or verify_by
 * VMOVE_BY_ACKS when too many) or -1. */
static int vm_verify(PGconn *db, int64_t tenant, struct vstore *to,
		     uint32_t page, struct vmove_result *res, char *err,
		     size_t errlen)
{
	struct vstore_hit *hits = NULL;
	struct vm_batch one;
	char t[24];
	const char *p[2];
	char **ids = NULL;
	PGresult *r = NULL;
	size_t n = 0, i;
	int rc = -1;

	if (vstore_can_scroll(to))
		return vm_verify_scroll(db, tenant, to, page, res, err, errlen);
	res->verify_by = res->points <= VMOVE_VERIFY_MAX ? VMOVE_BY_QUERY :
			 VMOVE_BY_ACKS;
	if (res->verify_by == VMOVE_BY_ACKS || res->points == 0)
		return 0;
	if (vm_read(db, tenant, res->collection, res->dim, 0, -1, 1, &one, err,
		    errlen) < 0)
		return -1;
	if (one.n == 1 &&
	    vstore_query(to, res->collection, one.pts[0].vec, res->dim,
			 (uint32_t)res->points + 1, NULL, -2.0f, &hits, &n, err,
			 errlen) < 0)
		goto out;
	p[0] = db_i64(t, tenant);
	p[1] = res->collection;
	if (db_tenant_begin(db, tenant, err, errlen) < 0)
		goto out;
	r = db_query(db, err, errlen, "SELECT point_id::text FROM pgvectors"
		     " WHERE tenant_id = $1::bigint AND collection = $2"
		     " ORDER BY point_id::text COLLATE \"C\"", 2, p);
	if (!r || db_commit(db, err, errlen) < 0) {
		db_rollback(db);
		goto out;
	}
	if ((size_t)PQntuples(r) != n) {
		snprintf(err, errlen, "vectorize move: the target holds %zu points "
			 "of tenant %lld in %s, pgvectors %d; the tenant stays on "
			 "pgvectors, run the move again", n, (long long)tenant,
			 res->collection, PQntuples(r));
		goto out;
	}
	if (!(ids = calloc(n ? n : 1, sizeof(*ids)))) {
		snprintf(err, errlen, "vectorize move: out of memory");
		goto out;
	}
	for (i = 0; i < n; i++)
		ids[i] = hits[i].point_id;
	qsort(ids, n, sizeof(*ids), vm_cmp_str);
	for (i = 0; i < n; i++)
		if (strcmp(ids[i], PQgetvalue(r, (int)i, 0)) != 0) {
			snprintf(err, errlen, "vectorize move: point %s is in "
				 "pgvectors but not in the target; the tenant "
				 "stays on pgvectors, run the move again",
				 PQgetvalue(r, (int)i, 0));
			goto out;
		}
	res->verified = n;
	rc = 0;
out:
	free(ids);
	PQclear(r);
	vstore_hits_free(hits, n);
	vm_batch_free(&one);
	return rc;
}

/* Copy the rows after the checkpoint, batch by batch, saving it after
 * each. 0 or -1. */
static int vm_copy(PGconn *db, int64_t tenant, int64_t target,
		   struct vstore *to, const struct vmove_opts *o,
		   struct vmove_result *res, int64_t last_id, char *err,
		   size_t errlen)
{
	uint32_t max = o->batch ? o->batch : 256;
	char t[24], g[24], l[24], c[24];
	const char *p[5];
	uint64_t done = res->points > res->to_copy ?
			res->points - res->to_copy : 0;

	for (;;) {
		struct vm_batch b;
		PGresult *u;

		if (vm_read(db, tenant, res->collection, res->dim, last_id, -1, max,
			    &b, err, errlen) < 0)
			return -1;
		if (b.n == 0) {
			vm_batch_free(&b);
			return 0;
		}
		if (vstore_upsert(to, res->collection, res->dim, b.pts, b.n, err,
				  errlen) < 0) {
			vm_batch_free(&b);
			return -1;
		}
		/* the points are in; a crash here repeats this batch */
		FAILPOINT("vectorize.move_batch");
		last_id = b.last_id;
		res->copied += b.n;
		done += b.n;
		p[0] = db_i64(t, tenant);
		p[1] = db_i64(g, target);
		p[2] = res->collection;
		p[3] = db_i64(l, last_id);
		p[4] = db_i64(c, (int64_t)b.n);
		vm_batch_free(&b);
		if (db_tenant_begin(db, tenant, err, errlen) < 0)
			return -1;
		u = db_query(db, err, errlen, "UPDATE vector_moves SET last_id ="
			     " $4::bigint, copied = copied + $5::bigint, updated_at ="
			     " now() WHERE tenant_id = $1::bigint AND"
			     " target_integration_id = $2::bigint AND collection = $3"
			     " AND direction = 'to_plugin'", 5, p);
		if (!u || db_commit(db, err, errlen) < 0) {
			PQclear(u);
			db_rollback(db);
			return -1;
		}
		PQclear(u);
		if (o->progress)
			o->progress(o->arg, done, res->points > done ? res->points : done);
	}
}

/* Copy again what was written since generation gen (rows, deletions). */
static int vm_catch_up(PGconn *db, int64_t tenant, struct vstore *to,
		       struct vmove_result *res, int64_t gen, char *err,
		       size_t errlen)
{
	char t[24], g[24];
	const char *p[3];
	PGresult *r = NULL;
	int64_t after = 0;
	int rc = -1;

	for (;;) {
		struct vm_batch b;

		if (vm_read(db, tenant, res->collection, res->dim, after, gen, 256,
			    &b, err, errlen) < 0)
			return -1;
		if (b.n && vstore_upsert(to, res->collection, res->dim, b.pts, b.n,
					 err, errlen) < 0) {
			vm_batch_free(&b);
			return -1;
		}
		res->copied += b.n;
		res->caught_up += b.n;
		after = b.last_id;
		if (b.n == 0) {
			vm_batch_free(&b);
			break;
		}
		vm_batch_free(&b);
	}
	/* points deleted since, and not written again */
	p[0] = db_i64(t, tenant);
	p[1] = res->collection;
	p[2] = db_i64(g, gen);
	if (db_tenant_begin(db, tenant, err, errlen) < 0)
		return -1;
	r = db_query(db, err, errlen,
		     "SELECT DISTINCT point_id::text FROM pgvectors_tombstones s"
		     " WHERE tenant_id = $1::bigint AND collection = $2 AND gen >"
		     " $3::bigint AND NOT EXISTS (SELECT 1 FROM pgvectors v WHERE"
		     " v.tenant_id = s.tenant_id AND v.collection = s.collection"
		     " AND v.point_id = s.point_id)", 3, p);
	if (!r || db_commit(db, err, errlen) < 0) {
		db_rollback(db);
		goto out;
	}
	if (PQntuples(r)) {
		const char **ids = calloc((size_t)PQntuples(r), sizeof(*ids));
		int i;

		if (!ids) {
			snprintf(err, errlen, "vectorize move: out of memory");
			goto out;
		}
		for (i = 0; i < PQntuples(r); i++)
			ids[i] = PQgetvalue(r, i, 0);
		i = vstore_remove_ids(to, res->collection, ids,
				      (size_t)PQntuples(r), err, errlen);
		free(ids);
		if (i < 0)
			goto out;
	}
	rc = 0;
out:
	PQclear(r);
	return rc;
}

static const char vm_gen_sql[] =
	"SELECT generation FROM pgvectors_generation WHERE tenant_id ="
	" $1::bigint AND collection = $2";

/*
 * The switch, in one transaction that holds the collection's generation
 * row (a writer of the tenant's vectors waits for it): if no write came
 * since gen, enable the target, record the store in vector_references,
 * mark the move done and (unless kept) delete the old copy. 1 when a
 * write came (catch up and call again), 0 done, -1 error.
 */
static int vm_switch(PGconn *db, int64_t tenant, int64_t target,
		     const struct vmove_opts *o, struct vmove_result *res,
		     int64_t gen, char *err, size_t errlen)
{
	char t[24], g[24];
	const char *p[4];
	PGresult *r = NULL;
	int rc = -1;

	p[0] = db_i64(t, tenant);
	p[1] = res->collection;
	p[2] = db_i64(g, target);
	p[3] = res->store;
	if (db_tenant_begin(db, tenant, err, errlen) < 0)
		return -1;
	r = db_query(db, err, errlen, "SELECT generation FROM pgvectors_generation"
		     " WHERE tenant_id = $1::bigint AND collection = $2 FOR UPDATE",
		     2, p);
	if (!r)
		goto out;
	if ((PQntuples(r) ? db_int64(r, 0, 0) : 0) != gen) {
		rc = 1;
		goto out;
	}
	PQclear(r);
	r = db_query(db, err, errlen, "UPDATE integrations SET enabled = true,"
		     " updated_at = now() WHERE tenant_id = $1::bigint AND id ="
		     " $3::bigint AND $2::text IS NOT NULL", 3, p);
	if (!r)
		goto out;
	PQclear(r);
	r = db_query(db, err, errlen, "UPDATE vector_references SET store = $4"
		     " WHERE tenant_id = $1::bigint AND collection = $2 AND status ="
		     " 'stored' AND $3::bigint IS NOT NULL", 4, p);
	if (!r)
		goto out;
	PQclear(r);
	r = db_query(db, err, errlen, "UPDATE vector_moves SET state = 'done',"
		     " finished_at = now(), updated_at = now() WHERE tenant_id ="
		     " $1::bigint AND target_integration_id = $3::bigint AND"
		     " collection = $2 AND direction = 'to_plugin'", 3, p);
	if (!r)
		goto out;
	PQclear(r);
	/* a finished move back is history now: "already moved" is this one */
	r = db_query(db, err, errlen, "DELETE FROM vector_moves WHERE tenant_id ="
		     " $1::bigint AND collection = $2 AND direction ="
		     " 'to_pgvectors'", 2, p);
	if (!r)
		goto out;
	if (!o->keep_source) {
		PQclear(r);
		r = db_query(db, err, errlen, "DELETE FROM pgvectors WHERE tenant_id"
			     " = $1::bigint AND collection = $2", 2, p);
		if (!r)
			goto out;
		res->removed = strtoull(PQcmdTuples(r), NULL, 10);
	}
	rc = db_commit(db, err, errlen);
	if (rc == 0)
		res->switched = 1;
out:
	PQclear(r);
	if (rc != 0)
		db_rollback(db);
	return rc;
}

/* The checkpoint of this move, created (with the target disabled, so the
 * tenant keeps pgvectors while copying) if absent. */
static int vm_checkpoint(PGconn *db, int64_t tenant, int64_t target,
			 struct vmove_result *res, int enabled, int *done,
			 int64_t *last_id, int64_t *start_gen, char *err,
			 size_t errlen)
{
	char t[24], g[24], d[16];
	const char *p[4];
	PGresult *r = NULL;
	int rc = -1;

	snprintf(d, sizeof(d), "%u", res->dim);
	p[0] = db_i64(t, tenant);
	p[1] = db_i64(g, target);
	p[2] = res->collection;
	p[3] = d;
	if (db_tenant_begin(db, tenant, err, errlen) < 0)
		return -1;
	r = db_query(db, err, errlen,
		     "WITH ins AS (INSERT INTO vector_moves (tenant_id,"
		     " target_integration_id, collection, dim, start_gen) SELECT"
		     " $1::bigint, $2::bigint, $3, $4::int, coalesce((SELECT"
		     " generation FROM pgvectors_generation WHERE tenant_id ="
		     " $1::bigint AND collection = $3), 0) ON CONFLICT DO NOTHING"
		     " RETURNING state, last_id, start_gen, false)"
		     " SELECT * FROM ins UNION ALL SELECT state, last_id, start_gen,"
		     " true FROM vector_moves WHERE tenant_id = $1::bigint AND"
		     " target_integration_id = $2::bigint AND collection = $3"
		     " AND direction = 'to_plugin'",
		     4, p);
	if (!r || PQntuples(r) != 1) {
		if (r)
			snprintf(err, errlen, "vectorize move: the checkpoint of "
				 "tenant %lld could not be read", (long long)tenant);
		goto out;
	}
	*done = strcmp(PQgetvalue(r, 0, 0), "done") == 0;
	*last_id = db_int64(r, 0, 1);
	*start_gen = db_int64(r, 0, 2);
	res->resumed = PQgetvalue(r, 0, 3)[0] == 't';
	if (enabled && !*done) {
		/* copy first, switch after: the tenant stays on pgvectors */
		PQclear(r);
		r = db_query(db, err, errlen, "UPDATE integrations SET enabled ="
			     " false, updated_at = now() WHERE tenant_id = $1::bigint"
			     " AND id = $2::bigint", 2, p);
		if (!r)
			goto out;
		res->disabled_target = 1;
	}
	rc = db_commit(db, err, errlen);
out:
	PQclear(r);
	if (rc < 0)
		db_rollback(db);
	return rc;
}

int vmove_run(struct ai_ctx *ctx, int64_t tenant, const struct vmove_opts *o,
	      struct vmove_result *res, char *err, size_t errlen)
{
	struct ai_env_ref env = { ctx->db, ctx->ld, ctx->key, ctx->conf };
	struct vstore *to = NULL;
	struct vmove_result cl; /* the cleanup's, apart from this move's */
	char t[24], l[24], g[24];
	const char *p[4];
	int64_t last_id = 0, start_gen = 0, gen, left;
	int enabled = 0, done = 0, rc = -1, round;

	memset(res, 0, sizeof(*res));
	snprintf(res->source, sizeof(res->source), "pgvectors");
	if (vm_check(ctx, tenant, o->target, res, &enabled, err, errlen) < 0)
		return -1;
	/* points a move back left in a store first: a target holding stale
	 * ones would fail the exact check */
	memset(&cl, 0, sizeof(cl));
	if (vmove_cleanup(ctx, tenant, o->batch ? o->batch : 256, o->dry_run,
			  &cl, err, errlen) < 0) {
		size_t k = strlen(err);

		snprintf(err + k, errlen - k, "; the tenant stays on pgvectors");
		return -1;
	}
	res->cleanup_pending = cl.cleanup_pending;
	p[0] = db_i64(t, tenant);
	p[1] = res->collection;
	p[2] = db_i64(g, o->target);
	if (vmove_scalar(ctx->db, tenant, "SELECT CASE WHEN state = 'done' THEN -1"
		      " ELSE last_id END FROM vector_moves WHERE tenant_id ="
		      " $1::bigint AND collection = $2 AND target_integration_id ="
		      " $3::bigint AND direction = 'to_plugin'", 3, p, &last_id,
		      err, errlen) < 0)
		return -1;
	if (o->dry_run) {
		res->resumed = last_id != 0;
		res->already_done = last_id < 0;
		p[2] = db_i64(l, last_id < 0 ? 0 : last_id);
		if (vmove_scalar(ctx->db, tenant, "SELECT count(*) FROM pgvectors"
			      " WHERE tenant_id = $1::bigint AND collection = $2"
			      " AND id > $3::bigint", 3, p, &left, err, errlen) < 0)
			return -1;
		res->to_copy = res->already_done ? 0 : (uint64_t)left;
		return 0;
	}
	/* the target takes this model's dimension, before anything changes */
	if (vstore_open_move_target(&env, tenant, o->target, &to, err,
				    errlen) < 0)
		goto out;
	if (vstore_ensure(to, res->collection, res->dim, err, errlen) < 0) {
		size_t k = strlen(err);

		snprintf(err + k, errlen - k, "; the tenant stays on pgvectors. "
			 "When the target's collection holds vectors of another "
			 "dimension, the vectors cannot be moved: use `pulse-host "
			 "vectorize rebuild` instead");
		goto out;
	}
	if (vm_checkpoint(ctx->db, tenant, o->target, res, enabled, &done,
			  &last_id, &start_gen, err, errlen) < 0)
		goto out;
	if (done) {
		res->already_done = 1;
		rc = 0;
		goto out;
	}
	p[2] = db_i64(l, last_id);
	if (vmove_scalar(ctx->db, tenant, "SELECT count(*) FROM pgvectors WHERE"
		      " tenant_id = $1::bigint AND collection = $2 AND id >"
		      " $3::bigint", 3, p, &left, err, errlen) < 0)
		goto out;
	res->to_copy = (uint64_t)left;
	if (vm_copy(ctx->db, tenant, o->target, to, o, res, last_id, err,
		    errlen) < 0)
		goto out;
	/* rows written while copying; then switch unless more came */
	for (round = 0;; round++) {
		if (vmove_scalar(ctx->db, tenant, vm_gen_sql, 2, p, &gen, err,
			      errlen) < 0)
			goto out;
		if (gen != start_gen &&
		    vm_catch_up(ctx->db, tenant, to, res, start_gen, err,
				errlen) < 0)
			goto out;
		start_gen = gen;
		if (vmove_scalar(ctx->db, tenant, "SELECT count(*) FROM pgvectors"
			      " WHERE tenant_id = $1::bigint AND collection = $2",
			      2, p, &left, err, errlen) < 0)
			goto out;
		res->points = (uint64_t)left;
		if (vm_verify(ctx->db, tenant, to, o->batch ? o->batch : 256,
			      res, err, errlen) < 0)
			goto out;
		rc = vm_switch(ctx->db, tenant, o->target, o, res, gen, err,
			       errlen);
		if (rc <= 0)
			break;
		if (round >= 20) {
			snprintf(err, errlen, "vectorize move: the tenant's vectors "
				 "kept changing during 20 rounds; pause `vectorize "
				 "run` for the tenant and run the move again (it "
				 "resumes)");
			rc = -1;
			break;
		}
	}
out:
	vstore_close(to);
	return rc;
}
