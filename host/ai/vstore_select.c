/*
 * vstore_select: which store a tenant's vectors live in (vstore.h,
 * vstore_open_tenant). A tenant moves to a vector-store plugin by adding
 * an integration of it; without one, the embedded pgvectors serves.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "ai/provider.h"
#include "ai/route.h"
#include "ai/vstore.h"
#include "db/db.h"
#include "plugin/loaded.h"
#include "plugin/loader.h"

int vstore_open_tenant(struct ai_ctx *ctx, int64_t tenant,
		       struct vstore **out, char *err, size_t errlen)
{
	struct ai_env_ref env = { ctx->db, ctx->ld, ctx->key, ctx->conf };
	PGresult *r = NULL;
	int64_t id = 0;
	int i, rc = -1;

	*out = NULL;
	if (db_tenant_begin(ctx->db, tenant, err, errlen) < 0)
		return -1;
	r = db_query(ctx->db, err, errlen,
		     "SELECT id, name, plugin FROM integrations WHERE enabled AND"
		     " type IN ('AI', 'Embedding') ORDER BY id", 0, NULL);
	if (!r || db_commit(ctx->db, err, errlen) < 0) {
		db_rollback(ctx->db);
		goto out;
	}
	for (i = 0; i < PQntuples(r) && !id; i++) {
		struct plugin *p = ctx->ld ? loader_find(ctx->ld, PQgetvalue(r, i, 2)) :
				   NULL;

		if (!p || p->kind != PULSE_KIND_VECTOR_STORE)
			continue;
		if (!ai_plugin_serves(p, PULSE_KIND_VECTOR_STORE)) {
			/* never a silent switch: the vectors are over there */
			snprintf(err, errlen, "tenant %lld: vector-store integration "
				 "%s (%s) uses plugin '%s', which is not loaded%s%s; "
				 "fix the plugin, or disable the integration to use "
				 "the embedded store (then `pulse-host vectorize "
				 "rebuild`)", (long long)tenant, PQgetvalue(r, i, 0),
				 PQgetvalue(r, i, 1), PQgetvalue(r, i, 2),
				 p->reason ? ": " : "", p->reason ? p->reason : "");
			goto out;
		}
		id = db_int64(r, i, 0);
	}
	rc = id ? vstore_open_plugin(&env, tenant, id, out, err, errlen) :
		  vstore_open_pg(ctx->read_db ? ctx->read_db : ctx->db, tenant,
				 out, err, errlen);
out:
	PQclear(r);
	return rc;
}
