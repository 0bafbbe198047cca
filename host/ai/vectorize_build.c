/* vectorize_build: each claimed item's text from its current warehouse
 * row (the builders of vectorize_text.c) and whether it changed. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ai/vectorize.h"
#include "ai/vectorize_int.h"
#include "ai/vstore.h"
#include "base/strbuf.h"
#include "db/db.h"

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
 * !live; done_group, b->n bytes, is the caller's scratch). */
int vz_build(PGconn *db, int64_t tenant, struct vz_batch *b,
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
