/* vectorize_admin: the operator's side - queue every row again
 * (rebuild) and the queue's counts (summary). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ai/vectorize.h"
#include "base/strbuf.h"
#include "db/db.h"

int vz_rebuild(PGconn *db, int64_t tenant, const char *table, uint64_t *n,
	       char *err, size_t errlen)
{
	struct strbuf sql = STRBUF_INIT;
	char t[24];
	const char *p[1];
	PGresult *r = NULL;
	size_t i;
	int rc = -1, began = 0;

	*n = 0;
	if (table && !vz_text_sql(table)) {
		/* the list is vz_text_entities, so it names every table that has
		 * a text builder and no other */
		for (i = 0; vz_text_entities[i]; i++)
			sb_addf(&sql, "%s%s", i ? ", " : "", vz_text_entities[i]);
		snprintf(err, errlen, "vectorize rebuild: '%s' is not a table "
			 "with a text; use one of %s", table, sql.buf);
		goto out;
	}
	if (db_tenant_begin(db, tenant, err, errlen) < 0)
		goto out;
	began = 1;
	p[0] = db_i64(t, tenant);
	for (i = 0; vz_text_entities[i]; i++) {
		const char *e = vz_text_entities[i];
		PGresult *u;

		if (table && strcmp(table, e) != 0)
			continue;
		/* e comes from vz_text_entities (vectorize_text.c), never
		 * from input */
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
	if (rc < 0 && began)
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
		" $1::bigint AND status = 'stored'),"
		/* points a move back left in a store (vmove_clean.c) */
		" 'store_cleanup', (SELECT coalesce(jsonb_agg(jsonb_build_object("
		"'integration_id', target_integration_id, 'collection', collection,"
		" 'since', finished_at, 'failed_at', cleanup_at, 'error',"
		" cleanup_error) ORDER BY target_integration_id, collection), '[]')"
		" FROM vector_moves WHERE tenant_id = $1::bigint AND"
		" cleanup_pending)))::text", 1, p);
	if (r) {
		out = strdup(PQgetvalue(r, 0, 0));
		if (!out)
			snprintf(err, errlen, "vectorize: out of memory");
		PQclear(r);
	}
	db_rollback(db);
	return out;
}
