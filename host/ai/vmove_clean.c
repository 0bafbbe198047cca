/*
 * vmove_clean: the removal of a tenant's points from the plugin store a
 * move back to pgvectors left (vmove_back.c). The switch marks it
 * pending (vector_moves.cleanup_pending, 114_vector_moves_cleanup.sql);
 * this removes the points page by page and clears the mark, or records
 * why it failed, so the next move of the tenant finishes it.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ai/provider.h"
#include "ai/route.h"
#include "ai/vmove.h"
#include "ai/vmove_int.h"
#include "ai/vstore.h"
#include "db/db.h"
#include "plugin/loaded.h"
#include "plugin/loader.h"

/* Every id of the tenant in collection, counted by scroll. 0 or -1. */
static int vc_count(struct vstore *s, const char *collection, uint64_t *n,
		    char *err, size_t errlen)
{
	struct vstore_page pg;
	char *off = NULL;
	int rc = 0;

	*n = 0;
	do {
		if (vstore_scroll(s, collection, off, 1024, 0, &pg, err,
				  errlen) < 0) {
			rc = -1;
			break;
		}
		*n += pg.n;
		free(off);
		off = pg.next;
		pg.next = NULL;
		vstore_page_free(&pg);
	} while (off);
	free(off);
	return rc;
}

/* Remove the tenant's points of collection from s, the first page again
 * and again (removing them does not move the others' offsets). Bounded
 * by the count read first: a store that acknowledges removals it did not
 * make must not keep this loop going. *removed counts. 0 or -1. */
static int vc_remove_all(struct vstore *s, const char *collection,
			 uint32_t page, uint64_t *removed, char *err,
			 size_t errlen)
{
	struct vstore_page pg;
	const char **ids;
	uint64_t n, pages;
	size_t i;
	int k;

	if (vc_count(s, collection, &n, err, errlen) < 0)
		return -1;
	for (pages = 0; pages <= n / page + 1; pages++) {
		if (vstore_scroll(s, collection, NULL, page, 0, &pg, err,
				  errlen) < 0)
			return -1;
		if (pg.n == 0) {
			vstore_page_free(&pg);
			return 0;
		}
		if (!(ids = calloc(pg.n, sizeof(*ids)))) {
			vstore_page_free(&pg);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		for (i = 0; i < pg.n; i++)
			ids[i] = pg.pts[i].point_id;
		k = vstore_remove_ids(s, collection, ids, pg.n, err, errlen);
		free(ids);
		if (k == 0)
			*removed += pg.n;
		vstore_page_free(&pg);
		if (k < 0)
			return -1;
	}
	snprintf(err, errlen, "the store kept returning removed points");
	return -1;
}

/* Record the outcome of one attempt: cleared, or the error kept. */
static int vc_record(PGconn *db, int64_t tenant, const char *source,
		     const char *collection, const char *failure, char *err,
		     size_t errlen)
{
	const char *p[4];
	char t[24];
	int64_t n;

	p[0] = db_i64(t, tenant);
	p[1] = source;
	p[2] = collection;
	p[3] = failure;
	return vmove_scalar(db, tenant,
			    "WITH u AS (UPDATE vector_moves SET cleanup_pending ="
			    " $4::text IS NOT NULL, cleanup_error = $4, cleanup_at"
			    " = CASE WHEN $4::text IS NULL THEN NULL ELSE now() END,"
			    " updated_at = now() WHERE tenant_id = $1::bigint AND"
			    " target_integration_id = $2::bigint AND collection = $3"
			    " AND direction = 'to_pgvectors' RETURNING 1)"
			    " SELECT count(*) FROM u", 4, p, &n, err, errlen);
}

/* One pending cleanup (row of r): the source opened (a disabled
 * integration: the move switched it off), its points removed. */
static int vc_one(struct ai_ctx *ctx, int64_t tenant, const PGresult *r,
		  int row, uint32_t page, struct vmove_result *res, char *err,
		  size_t errlen)
{
	struct ai_env_ref env = { ctx->db, ctx->ld, ctx->key, ctx->conf };
	const char *id = PQgetvalue(r, row, 0), *coll = PQgetvalue(r, row, 1);
	const char *name = PQgetvalue(r, row, 2), *plugin = PQgetvalue(r, row, 3);
	struct plugin *pl = ctx->ld ? loader_find(ctx->ld, plugin) : NULL;
	struct vstore *s = NULL;
	char why[1024];
	int rc = -1;

	if (!ai_plugin_serves(pl, PULSE_KIND_VECTOR_STORE)) {
		snprintf(err, errlen, "vectorize move: tenant %lld's points are "
			 "still in integration %s (%s), whose plugin '%s' is not "
			 "loaded, so they cannot be removed; add the plugin's "
			 "directory to plugin_dirs (see `pulse-host plugins`) and "
			 "run the move again", (long long)tenant, id, name, plugin);
		return -1;
	}
	if (vstore_open_move_target(&env, tenant, db_int64(r, row, 0), &s, why,
				    sizeof(why)) < 0 ||
	    vc_remove_all(s, coll, page, &res->removed, why, sizeof(why)) < 0) {
		if (vc_record(ctx->db, tenant, id, coll, why, err, errlen) < 0)
			goto out;
		snprintf(err, errlen, "removing tenant %lld's points from "
			 "integration %s (%s, plugin %s) failed after %llu: %s; "
			 "the cleanup stays pending, and the next `pulse-host "
			 "vectorize move` of the tenant (e.g. `--to pgvectors` "
			 "again) finishes it", (long long)tenant,
			 id, name, plugin, (unsigned long long)res->removed, why);
		goto out;
	}
	rc = vc_record(ctx->db, tenant, id, coll, NULL, err, errlen);
out:
	vstore_close(s);
	return rc;
}

int vmove_cleanup(struct ai_ctx *ctx, int64_t tenant, uint32_t page,
		  int dry_run, struct vmove_result *res, char *err,
		  size_t errlen)
{
	char t[24];
	const char *p[1];
	PGresult *r = NULL;
	int i, rc = -1;

	p[0] = db_i64(t, tenant);
	if (db_tenant_begin(ctx->db, tenant, err, errlen) < 0)
		return -1;
	r = db_query(ctx->db, err, errlen,
		     "SELECT m.target_integration_id, m.collection, i.name,"
		     " i.plugin FROM vector_moves m JOIN integrations i ON"
		     " i.tenant_id = m.tenant_id AND i.id ="
		     " m.target_integration_id WHERE m.tenant_id = $1::bigint"
		     " AND m.direction = 'to_pgvectors' AND m.cleanup_pending"
		     " ORDER BY 1, 2", 1, p);
	if (!r || db_commit(ctx->db, err, errlen) < 0) {
		db_rollback(ctx->db);
		goto out;
	}
	res->cleanup_pending = PQntuples(r) > 0;
	if (dry_run) {
		rc = 0;
		goto out;
	}
	for (i = 0; i < PQntuples(r); i++)
		if (vc_one(ctx, tenant, r, i, page, res, err, errlen) < 0)
			goto out;
	res->cleanup_pending = 0;
	rc = 0;
out:
	PQclear(r);
	return rc;
}
