/*
 * vmove_back: `pulse-host vectorize move --to pgvectors`, a tenant's
 * vectors read back from its vector-store integration by scroll (ABI 1.4)
 * into the embedded pgvectors, without embedding them again (vmove.h).
 *
 * The source stays the tenant's store while copying; pages go to
 * pgvectors with the same point ids and a checkpoint (the store's scroll
 * offset, vector_moves.last_offset, direction 'to_pgvectors'; migration
 * 112) after each. A plugin store has no change counter, so writes during
 * the copy are seen in vector_references (updated_at after the copy
 * began): then the copy starts again (a few rounds at most). The switch
 * disables the source integration after both id sets compared equal and
 * marks the removal of the source's points pending; vmove_clean.c does
 * it, now or at the next move if the store fails.
 */
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

#define VB_ROUNDS 5 /* copies started again at most, when writes came */

/* The state of one reverse move. */
struct vb {
	struct ai_ctx *ctx;
	int64_t tenant, source;      /* the source integration */
	char source_name[160];
	struct vstore *from, *to;    /* owned */
	char *offset;                /* owned: the checkpoint */
	int64_t copied;
	/* vb_check found no store: the enabled AI integrations (owned) and
	 * the row of the first whose plugin is not loaded (-1: none) */
	PGresult *ints;
	int unloaded;
};

/*
 * The source: the tenant's enabled vector-store integration (the lowest
 * id, as vstore_open_tenant picks it), into b->source; 0 when the tenant
 * has none (it uses pgvectors already), -1 error. Fills res->store with
 * "pgvectors" and the pinned model's collection and dim.
 */
static int vb_check(struct vb *b, struct vmove_result *res, char *err,
		    size_t errlen)
{
	char t[24], model[256];
	const char *p[1];
	PGresult *r = NULL;
	struct plugin *pl;
	int i, rc = -1, pinned;

	snprintf(res->store, sizeof(res->store), "pgvectors");
	pinned = ai_pin_get(b->ctx->db, b->tenant, AI_CTX_ETL, model,
			    sizeof(model), &res->dim, err, errlen);
	if (pinned < 0)
		return -1;
	if (!pinned) {
		snprintf(err, errlen, "vectorize move: tenant %lld has no pinned "
			 "embedding model, so nothing was vectorized to move",
			 (long long)b->tenant);
		return -1;
	}
	vstore_collection(model, res->dim, res->collection,
			  sizeof(res->collection));
	p[0] = db_i64(t, b->tenant);
	if (db_tenant_begin(b->ctx->db, b->tenant, err, errlen) < 0)
		return -1;
	r = db_query(b->ctx->db, err, errlen,
		     "SELECT id, name, plugin FROM integrations WHERE tenant_id ="
		     " $1::bigint AND enabled AND type IN ('AI', 'Embedding')"
		     " ORDER BY id", 1, p);
	if (!r || db_commit(b->ctx->db, err, errlen) < 0) {
		db_rollback(b->ctx->db);
		goto out;
	}
	rc = 0;
	for (i = 0; i < PQntuples(r); i++) {
		pl = b->ctx->ld ? loader_find(b->ctx->ld, PQgetvalue(r, i, 2)) :
		     NULL;
		if (!pl && b->unloaded < 0) /* the first one not found */
			b->unloaded = i;
		if (pl && pl->kind == PULSE_KIND_VECTOR_STORE &&
		    !ai_plugin_serves(pl, PULSE_KIND_VECTOR_STORE)) {
			/* found but not loaded: the points are over there */
			snprintf(err, errlen, "vectorize move: tenant %lld's "
				 "vector-store integration %s (%s) uses plugin '%s', "
				 "which is not loaded%s%s, so its points cannot be read "
				 "back; fix the plugin (see `pulse-host plugins`) and "
				 "run the move again", (long long)b->tenant,
				 PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
				 PQgetvalue(r, i, 2), pl->reason ? ": " : "",
				 pl->reason ? pl->reason : "");
			rc = -1;
			goto out;
		}
		if (!pl || !ai_plugin_serves(pl, PULSE_KIND_VECTOR_STORE))
			continue;
		b->source = db_int64(r, i, 0);
		snprintf(b->source_name, sizeof(b->source_name), "%s (%s)",
			 PQgetvalue(r, i, 1), PQgetvalue(r, i, 2));
		rc = 1;
		break;
	}
	if (rc == 0 && b->unloaded >= 0) {
		b->ints = r; /* for vb_unloaded */
		r = NULL;
	}
out:
	PQclear(r);
	return rc;
}

/*
 * No loaded store serves the tenant, but an enabled AI integration's
 * plugin is not loaded: the tenant's points may be there, so "uses
 * pgvectors already" would be a guess. The message names the integration
 * and its plugin, and whether vector_references say the tenant's vectors
 * are in that plugin's store. Always -1 (err).
 */
static int vb_unloaded(struct vb *b, char *err, size_t errlen)
{
	const char *p[2];
	char t[24], e[256];
	int64_t n = 0;
	int i = b->unloaded;
	const char *id = PQgetvalue(b->ints, i, 0), *name = PQgetvalue(b->ints, i, 1);
	const char *plugin = PQgetvalue(b->ints, i, 2);

	p[0] = db_i64(t, b->tenant);
	p[1] = plugin;
	if (vmove_scalar(b->ctx->db, b->tenant, "SELECT count(*) FROM"
			 " vector_references WHERE tenant_id = $1::bigint AND"
			 " status = 'stored' AND store = $2", 2, p, &n, e,
			 sizeof(e)) < 0)
		n = -1;
	if (n > 0)
		snprintf(err, errlen, "vectorize move: tenant %lld's %lld stored "
			 "vectors are in integration %s (%s), whose plugin '%s' is "
			 "not loaded, so they cannot be read back; add the "
			 "plugin's directory to plugin_dirs (`pulse-host plugins` "
			 "lists the loaded ones) and run the move again",
			 (long long)b->tenant, (long long)n, id, name, plugin);
	else
		snprintf(err, errlen, "vectorize move: tenant %lld's integration "
			 "%s (%s) is enabled but its plugin '%s' is not loaded, so "
			 "whether it holds the tenant's vectors cannot be told; "
			 "load the plugin (plugin_dirs; see `pulse-host plugins`) "
			 "and run the move again, or disable the integration if it "
			 "is not a vector store", (long long)b->tenant, id, name,
			 plugin);
	return -1;
}

/* The checkpoint, created if absent; a finished one of an earlier move
 * back (the tenant has moved to the plugin again since) starts over. A
 * fresh copy also drops the tenant's pgvectors rows of the collection: a
 * copy kept by an earlier move is stale. *resumed: a copy was under way. */
static int vb_checkpoint(struct vb *b, struct vmove_result *res, int *resumed,
			 char *err, size_t errlen)
{
	char t[24], g[24], d[16];
	const char *p[4];
	PGresult *r = NULL;
	int rc = -1;

	snprintf(d, sizeof(d), "%u", res->dim);
	p[0] = db_i64(t, b->tenant);
	p[1] = db_i64(g, b->source);
	p[2] = res->collection;
	p[3] = d;
	if (db_tenant_begin(b->ctx->db, b->tenant, err, errlen) < 0)
		return -1;
	r = db_query(b->ctx->db, err, errlen,
		     "INSERT INTO vector_moves (tenant_id, target_integration_id,"
		     " collection, dim, direction) VALUES ($1::bigint, $2::bigint,"
		     " $3, $4::int, 'to_pgvectors') ON CONFLICT (tenant_id,"
		     " target_integration_id, collection, direction) DO UPDATE SET"
		     " state = 'copying', last_offset = NULL, copied = 0,"
		     " started_at = now(), updated_at = now(), finished_at = NULL"
		     " WHERE vector_moves.state = 'done'"
		     " RETURNING last_offset, copied, copied > 0 OR last_offset IS"
		     " NOT NULL", 4, p);
	if (!r)
		goto out;
	if (PQntuples(r) == 0) { /* under way: read it */
		PQclear(r);
		r = db_query(b->ctx->db, err, errlen,
			     "SELECT last_offset, copied, true FROM vector_moves"
			     " WHERE tenant_id = $1::bigint AND target_integration_id"
			     " = $2::bigint AND collection = $3 AND direction ="
			     " 'to_pgvectors'", 3, p);
		if (!r || PQntuples(r) != 1)
			goto out;
	}
	*resumed = PQgetvalue(r, 0, 2)[0] == 't';
	if (!PQgetisnull(r, 0, 0) &&
	    !(b->offset = strdup(PQgetvalue(r, 0, 0)))) {
		snprintf(err, errlen, "vectorize move: out of memory");
		goto out;
	}
	b->copied = db_int64(r, 0, 1);
	if (!*resumed) {
		PQclear(r);
		r = db_query(b->ctx->db, err, errlen, "DELETE FROM pgvectors WHERE"
			     " tenant_id = $1::bigint AND collection = $3 AND"
			     " $2::bigint IS NOT NULL", 3, p);
		if (!r)
			goto out;
	}
	rc = db_commit(b->ctx->db, err, errlen);
out:
	PQclear(r);
	if (rc < 0)
		db_rollback(b->ctx->db);
	return rc;
}

/* Save the offset of the next page (NULL: all copied) after n points. */
static int vb_save(struct vb *b, const char *collection, size_t n, char *err,
		   size_t errlen)
{
	char t[24], g[24], c[24];
	const char *p[5];
	PGresult *r;

	p[0] = db_i64(t, b->tenant);
	p[1] = db_i64(g, b->source);
	p[2] = collection;
	p[3] = b->offset;
	p[4] = db_i64(c, (int64_t)n);
	if (db_tenant_begin(b->ctx->db, b->tenant, err, errlen) < 0)
		return -1;
	r = db_query(b->ctx->db, err, errlen,
		"UPDATE vector_moves SET last_offset = $4, copied = copied +"
		" $5::bigint, updated_at = now() WHERE tenant_id = $1::bigint"
		" AND target_integration_id = $2::bigint AND collection = $3"
		" AND direction = 'to_pgvectors'", 5, p);
	if (!r || db_commit(b->ctx->db, err, errlen) < 0) {
		PQclear(r);
		db_rollback(b->ctx->db);
		return -1;
	}
	PQclear(r);
	return 0;
}

/* Copy the pages from the checkpoint on, saving it after each. */
static int vb_copy(struct vb *b, const struct vmove_opts *o,
		   struct vmove_result *res, char *err, size_t errlen)
{
	uint32_t max = o->batch ? o->batch : 256;
	struct vstore_page pg;

	/* a finished copy has no offset and copied > 0: nothing left */
	if (!b->offset && b->copied > 0)
		return 0;
	for (;;) {
		if (vstore_scroll(b->from, res->collection, b->offset, max, 1, &pg,
				  err, errlen) < 0)
			return -1;
		if (pg.n && pg.dim != res->dim) {
			snprintf(err, errlen, "vectorize move: %s holds %u-dimensional "
				 "vectors in %s, but the tenant's model has %u; use "
				 "`pulse-host vectorize rebuild`", b->source_name,
				 pg.dim, res->collection, res->dim);
			vstore_page_free(&pg);
			return -1;
		}
		if (vstore_upsert(b->to, res->collection, res->dim, pg.pts, pg.n,
				  err, errlen) < 0) {
			vstore_page_free(&pg);
			return -1;
		}
		/* the points are in; a crash here repeats this page */
		FAILPOINT("vectorize.move_batch");
		free(b->offset);
		b->offset = pg.next;
		pg.next = NULL;
		res->copied += pg.n;
		b->copied += (int64_t)pg.n;
		/* an empty last page still marks the copy finished */
		if (vb_save(b, res->collection, pg.n, err, errlen) < 0) {
			vstore_page_free(&pg);
			return -1;
		}
		vstore_page_free(&pg);
		if (o->progress)
			o->progress(o->arg, (uint64_t)b->copied,
				    res->points > (uint64_t)b->copied ? res->points :
				    (uint64_t)b->copied);
		if (!b->offset)
			return 0;
	}
}

/* vector_references rows of the collection written since the copy
 * began, into *n. 0 or -1. */
static int vb_writes_since(struct vb *b, const char *collection, int64_t *n,
			   char *err, size_t errlen)
{
	char t[24], g[24];
	const char *p[3];

	p[0] = db_i64(t, b->tenant);
	p[1] = collection;
	p[2] = db_i64(g, b->source);
	return vmove_scalar(b->ctx->db, b->tenant,
			    "SELECT count(*) FROM vector_references v, vector_moves m"
			    " WHERE v.tenant_id = $1::bigint AND v.collection = $2"
			    " AND m.tenant_id = v.tenant_id AND m.collection = $2 AND"
			    " m.target_integration_id = $3::bigint AND m.direction ="
			    " 'to_pgvectors' AND v.updated_at >= m.started_at",
			    3, p, n, err, errlen);
}

/* Start the copy over: writes came during it. */
static int vb_restart(struct vb *b, struct vmove_result *res, char *err,
		      size_t errlen)
{
	char t[24], g[24];
	const char *p[3];
	int64_t dummy;

	p[0] = db_i64(t, b->tenant);
	p[1] = res->collection;
	p[2] = db_i64(g, b->source);
	free(b->offset);
	b->offset = NULL;
	b->copied = 0;
	return vmove_scalar(b->ctx->db, b->tenant,
			    "WITH u AS (UPDATE vector_moves SET last_offset = NULL,"
			    " copied = 0, started_at = clock_timestamp(), updated_at ="
			    " now() WHERE tenant_id = $1::bigint AND collection = $2"
			    " AND target_integration_id = $3::bigint AND direction ="
			    " 'to_pgvectors' RETURNING 1), d AS (DELETE FROM pgvectors"
			    " WHERE tenant_id = $1::bigint AND collection = $2"
			    " RETURNING 1) SELECT (SELECT count(*) FROM u) + (SELECT"
			    " count(*) FROM d)", 3, p, &dummy, err, errlen);
}

/* The switch: no write since the copy began, then disable the source,
 * name pgvectors in vector_references, finish this move and forget the
 * forward one. 1 when writes came (start over), 0 done, -1 error. */
static int vb_switch(struct vb *b, int keep, struct vmove_result *res,
		     char *err, size_t errlen)
{
	char t[24], g[24];
	const char *p[4];
	PGresult *r = NULL;
	int rc = -1;

	p[0] = db_i64(t, b->tenant);
	p[1] = res->collection;
	p[2] = db_i64(g, b->source);
	p[3] = keep ? "f" : "t";
	if (db_tenant_begin(b->ctx->db, b->tenant, err, errlen) < 0)
		return -1;
	r = db_query(b->ctx->db, err, errlen,
		     "SELECT count(*) FROM vector_references v, vector_moves m"
		     " WHERE v.tenant_id = $1::bigint AND v.collection = $2 AND"
		     " m.tenant_id = v.tenant_id AND m.collection = $2 AND"
		     " m.target_integration_id = $3::bigint AND m.direction ="
		     " 'to_pgvectors' AND v.updated_at >= m.started_at", 3, p);
	if (!r)
		goto out;
	if (db_int64(r, 0, 0) > 0) {
		rc = 1;
		goto out;
	}
#define VB_RUN(sql, n) do { PQclear(r); \
		if (!(r = db_query(b->ctx->db, err, errlen, sql, n, p))) goto out; \
	} while (0)
	VB_RUN("UPDATE integrations SET enabled = false, updated_at = now()"
	       " WHERE tenant_id = $1::bigint AND id = $3::bigint AND $2::text"
	       " IS NOT NULL", 3);
	VB_RUN("UPDATE vector_references SET store = 'pgvectors' WHERE"
	       " tenant_id = $1::bigint AND collection = $2 AND status ="
	       " 'stored'", 2);
	/* the source's points go after the commit and may fail to: the
	 * mark makes the next move finish it (vmove_clean.c) */
	VB_RUN("UPDATE vector_moves SET state = 'done', finished_at = now(),"
	       " updated_at = now(), cleanup_pending = $4::bool, cleanup_error"
	       " = NULL, cleanup_at = NULL WHERE tenant_id = $1::bigint AND"
	       " collection = $2 AND target_integration_id = $3::bigint AND"
	       " direction = 'to_pgvectors'", 4);
	/* a finished forward move is history now */
	VB_RUN("DELETE FROM vector_moves WHERE tenant_id = $1::bigint AND"
	       " collection = $2 AND direction = 'to_plugin'", 2);
#undef VB_RUN
	rc = db_commit(b->ctx->db, err, errlen);
	if (rc == 0)
		res->switched = 1;
out:
	PQclear(r);
	if (rc != 0)
		db_rollback(b->ctx->db);
	return rc;
}

/* Every id of the tenant in the source, by scroll: res->points. */
static int vb_count(struct vb *b, struct vmove_result *res, char *err,
		    size_t errlen)
{
	struct vstore_page pg;
	char *off = NULL;
	int rc = 0;

	res->points = 0;
	do {
		if (vstore_scroll(b->from, res->collection, off, 1024, 0, &pg, err,
				  errlen) < 0) {
			rc = -1;
			break;
		}
		res->points += pg.n;
		free(off);
		off = pg.next;
		pg.next = NULL;
		vstore_page_free(&pg);
	} while (off);
	free(off);
	return rc;
}

int vmove_back_run(struct ai_ctx *ctx, int64_t tenant,
		   const struct vmove_opts *o, struct vmove_result *res,
		   char *err, size_t errlen)
{
	struct ai_env_ref env = { ctx->db, ctx->ld, ctx->key, ctx->conf };
	struct vb b = { .ctx = ctx, .tenant = tenant };
	char t[24];
	const char *p[2];
	int64_t done = 0, writes;
	int rc = -1, resumed = 0, round, k;

	memset(res, 0, sizeof(*res));
	b.unloaded = -1;
	k = vb_check(&b, res, err, errlen);
	if (k < 0)
		goto out;
	if (k == 0) { /* no plugin store: moved already, or never away */
		p[0] = db_i64(t, tenant);
		p[1] = res->collection;
		if (vmove_scalar(ctx->db, tenant, "SELECT count(*) FROM"
				 " vector_moves WHERE tenant_id = $1::bigint AND"
				 " collection = $2 AND direction = 'to_pgvectors'"
				 " AND state = 'done'", 2, p, &done, err,
				 errlen) < 0)
			goto out;
		if (done) {
			/* a removal left by the last run is finished now */
			res->already_done = 1;
			rc = vmove_cleanup(ctx, tenant, o->batch ? o->batch : 256,
					   o->dry_run, res, err, errlen);
			goto out;
		}
		if (b.unloaded >= 0) {
			vb_unloaded(&b, err, errlen);
			goto out;
		}
		snprintf(err, errlen, "vectorize move: tenant %lld has no enabled "
			 "vector-store integration: it uses pgvectors already",
			 (long long)tenant);
		goto out;
	}
	if (vstore_open_plugin(&env, tenant, b.source, &b.from, err,
			       errlen) < 0)
		goto out;
	snprintf(res->source, sizeof(res->source), "%s", vstore_name(b.from));
	if (!vstore_can_scroll(b.from)) {
		snprintf(err, errlen, "vectorize move: integration %lld %s cannot "
			 "be read back: its plugin lacks the vector-store op "
			 "'scroll' (ABI 1.4), so the points cannot be moved to "
			 "pgvectors; upgrade the plugin, or disable the "
			 "integration and `pulse-host vectorize rebuild --tenant "
			 "%lld`", (long long)b.source, b.source_name,
			 (long long)tenant);
		goto out;
	}
	if (vb_count(&b, res, err, errlen) < 0)
		goto out;
	if (o->dry_run) {
		p[0] = db_i64(t, tenant);
		p[1] = res->collection;
		if (vmove_scalar(ctx->db, tenant, "SELECT coalesce(max(copied), 0)"
				 " FROM vector_moves WHERE tenant_id = $1::bigint"
				 " AND collection = $2 AND direction ="
				 " 'to_pgvectors' AND state = 'copying'", 2, p,
				 &done, err, errlen) < 0)
			goto out;
		res->resumed = done > 0;
		res->to_copy = res->points > (uint64_t)done ?
			       res->points - (uint64_t)done : 0;
		rc = 0;
		goto out;
	}
	if (vstore_open_pg(ctx->db, tenant, &b.to, err, errlen) < 0 ||
	    vstore_ensure(b.to, res->collection, res->dim, err, errlen) < 0 ||
	    vb_checkpoint(&b, res, &resumed, err, errlen) < 0)
		goto out;
	res->resumed = resumed;
	res->to_copy = res->points > (uint64_t)b.copied ?
		       res->points - (uint64_t)b.copied : 0;
	for (round = 0;; round++) {
		if (vb_copy(&b, o, res, err, errlen) < 0 ||
		    vb_writes_since(&b, res->collection, &writes, err,
				    errlen) < 0)
			goto out;
		if (!writes) {
			if (vmove_same_ids(b.from, b.to, res->collection,
					   o->batch ? o->batch : 256, b.source_name,
					   &res->verified, err, errlen) < 0)
				goto out;
			res->verify_by = VMOVE_BY_SCROLL;
			res->points = res->verified;
			k = vb_switch(&b, o->keep_source, res, err, errlen);
			if (k < 0)
				goto out;
			if (k == 0)
				break;
		}
		if (round >= VB_ROUNDS) {
			snprintf(err, errlen, "vectorize move: the tenant's vectors "
				 "kept changing during %d copies; pause `vectorize "
				 "run` for the tenant and run the move again",
				 VB_ROUNDS + 1);
			goto out;
		}
		if (vb_restart(&b, res, err, errlen) < 0)
			goto out;
	}
	/* the switch stands; a failed removal stays pending (res says so) */
	if (!o->keep_source &&
	    vmove_cleanup(ctx, tenant, o->batch ? o->batch : 256, 0, res,
			  res->cleanup_error, sizeof(res->cleanup_error)) < 0)
		res->cleanup_pending = 1;
	rc = 0;
out:
	PQclear(b.ints);
	free(b.offset);
	vstore_close(b.to);
	vstore_close(b.from);
	return rc;
}
