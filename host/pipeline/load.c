/* load: staging COPY + de-duplicated upsert into the canonical tables. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "pipeline/entity.h"
#include "pipeline/load.h"
#include "pipeline/record.h"
#include "base/strbuf.h"

#define STAGE_PREFIX "pulse_stage_"
#define COPY_CHUNK (256 * 1024)

/* "name" with embedded quotes doubled. */
static void add_ident(struct strbuf *sb, const char *s)
{
	sb_add(sb, "\"", 1);
	for (; *s; s++)
		sb_add(sb, *s == '"' ? "\"\"" : s, *s == '"' ? 2 : 1);
	sb_add(sb, "\"", 1);
}

int load_prepare(PGconn *c, const struct entity_registry *reg, char *err,
		 size_t errlen)
{
	struct strbuf sql = STRBUF_INIT;
	size_t i, j;
	int rc = -1;

	/* Temporary tables carry no RLS policy, so COPY works on them; ON
	 * COMMIT DELETE ROWS empties them after every load. */
	for (i = 0; i < reg->n; i++) {
		const struct entity *e = &reg->v[i];

		sb_adds(&sql, "CREATE TEMP TABLE IF NOT EXISTS ");
		sb_addf(&sql, "\"" STAGE_PREFIX "%s\"", e->name);
		sb_adds(&sql, " (ord bigint, del boolean, integration_id bigint");
		for (j = 0; j < e->nfields; j++) {
			sb_adds(&sql, ", ");
			add_ident(&sql, e->fields[j].name);
			sb_addf(&sql, " %s", e->fields[j].sqltype);
		}
		sb_adds(&sql, ") ON COMMIT DELETE ROWS;");
	}
	if (!sql.buf) {
		snprintf(err, errlen, "out of memory preparing staging tables");
		goto out;
	}
	if (db_exec(c, "SET client_min_messages = warning", err, errlen) < 0 ||
	    db_exec(c, sql.buf, err, errlen) < 0)
		goto out;
	rc = 0;
out:
	sb_free(&sql);
	return rc;
}

/* Stream batch b into its staging table. cols: field indexes used. */
static int copy_batch(PGconn *c, const struct rec_batch *b, const int *cols,
		      size_t ncols, char *err, size_t errlen)
{
	struct strbuf sb = STRBUF_INIT;
	size_t nf = b->ent->nfields, r, k;
	PGresult *res = NULL;
	int rc = -1;

	sb_addf(&sb, "COPY \"" STAGE_PREFIX "%s\" (ord, del, integration_id",
		b->ent->name);
	for (k = 0; k < ncols; k++) {
		sb_adds(&sb, ", ");
		add_ident(&sb, b->ent->fields[cols[k]].name);
	}
	sb_adds(&sb, ") FROM STDIN");
	res = PQexec(c, sb.buf);
	if (PQresultStatus(res) != PGRES_COPY_IN) {
		snprintf(err, errlen, "load of %s: COPY to staging failed: %s",
			 b->ent->name, PQerrorMessage(c));
		goto out;
	}
	PQclear(res);
	res = NULL;
	sb_reset(&sb);
	for (r = 0; r < b->nrec; r++) {
		const long *offs = b->offs + r * nf;

		sb_addf(&sb, "%" PRId64 "\t%c\t%" PRId64, b->ord[r],
			b->del[r] ? 't' : 'f', b->integration[r]);
		for (k = 0; k < ncols; k++) {
			long o = offs[cols[k]];

			sb_add(&sb, "\t", 1);
			if (o < 0)
				sb_add(&sb, "\\N", 2);
			else
				sb_adds(&sb, b->data.buf + o);
		}
		sb_add(&sb, "\n", 1);
		if (sb.len >= COPY_CHUNK || r + 1 == b->nrec) {
			if (!sb.buf || PQputCopyData(c, sb.buf, (int)sb.len) != 1) {
				snprintf(err, errlen, "load of %s: sending COPY "
					 "data failed: %s", b->ent->name,
					 sb.buf ? PQerrorMessage(c) : "out of memory");
				PQputCopyEnd(c, "client error");
				goto drain;
			}
			sb_reset(&sb);
		}
	}
	if (PQputCopyEnd(c, NULL) != 1) {
		snprintf(err, errlen, "load of %s: ending COPY failed: %s",
			 b->ent->name, PQerrorMessage(c));
		goto drain;
	}
	rc = 0;
drain:
	while ((res = PQgetResult(c)) != NULL) {
		if (PQresultStatus(res) != PGRES_COMMAND_OK && rc == 0) {
			snprintf(err, errlen, "load of %s: COPY to staging "
				 "failed: %s", b->ent->name,
				 PQresultErrorMessage(res));
			rc = -1;
		}
		PQclear(res);
	}
out:
	PQclear(res);
	sb_free(&sb);
	return rc;
}

/* The upsert + delete + queue statement for one entity's staged rows. */
static void build_upsert(struct strbuf *sb, const struct entity *e,
			 const int *cols, size_t ncols, int has_up, int has_del)
{
	size_t k;

	sb_addf(sb, "WITH src AS (SELECT DISTINCT ON (integration_id, external_id) *"
		" FROM \"" STAGE_PREFIX "%s\" ORDER BY integration_id, external_id,"
		" ord DESC)", e->name);
	if (has_up) {
		sb_adds(sb, ", up AS (INSERT INTO ");
		add_ident(sb, e->name);
		sb_adds(sb, " AS t (tenant_id, integration_id");
		for (k = 0; k < ncols; k++) {
			sb_adds(sb, ", ");
			add_ident(sb, e->fields[cols[k]].name);
		}
		sb_adds(sb, ") SELECT $1::bigint, integration_id");
		for (k = 0; k < ncols; k++) {
			sb_adds(sb, ", ");
			add_ident(sb, e->fields[cols[k]].name);
		}
		sb_adds(sb, " FROM src WHERE NOT del"
			" ON CONFLICT (tenant_id, integration_id, external_id)"
			" DO UPDATE SET loaded_at = now(), deleted_at = NULL");
		for (k = 0; k < ncols; k++) {
			sb_adds(sb, ", ");
			add_ident(sb, e->fields[cols[k]].name);
			sb_adds(sb, " = EXCLUDED.");
			add_ident(sb, e->fields[cols[k]].name);
		}
		/* Only rows that really change are written (and queued), so
		 * a replay is a no-op. */
		sb_adds(sb, " WHERE ROW(t.deleted_at");
		for (k = 0; k < ncols; k++) {
			sb_adds(sb, ", t.");
			add_ident(sb, e->fields[cols[k]].name);
		}
		sb_adds(sb, ") IS DISTINCT FROM ROW(NULL::timestamptz");
		for (k = 0; k < ncols; k++) {
			sb_adds(sb, ", EXCLUDED.");
			add_ident(sb, e->fields[cols[k]].name);
		}
		sb_adds(sb, ") RETURNING t.integration_id, t.external_id,"
			" (t.xmax = 0) AS inserted)");
	}
	if (has_del) {
		sb_adds(sb, ", dl AS (UPDATE ");
		add_ident(sb, e->name);
		sb_adds(sb, " AS t SET deleted_at = now(), loaded_at = now()"
			" FROM src WHERE src.del AND t.tenant_id = $1::bigint"
			" AND t.integration_id = src.integration_id"
			" AND t.external_id = src.external_id"
			" AND t.deleted_at IS NULL"
			" RETURNING t.integration_id, t.external_id)");
	}
	sb_adds(sb, ", q AS (INSERT INTO vectorization_queue (tenant_id,"
		" integration_id, entity, external_id, operation) ");
	if (has_up)
		sb_adds(sb, "SELECT $1::bigint, integration_id, $2::text, external_id,"
			" CASE WHEN inserted THEN 'insert' ELSE 'update' END FROM up");
	if (has_up && has_del)
		sb_adds(sb, " UNION ALL ");
	if (has_del)
		sb_adds(sb, "SELECT $1::bigint, integration_id, $2::text, external_id,"
			" 'delete' FROM dl");
	sb_adds(sb, ") SELECT ");
	sb_adds(sb, has_up ? "(SELECT count(*) FROM up WHERE inserted),"
		" (SELECT count(*) FROM up WHERE NOT inserted)," : "0, 0,");
	sb_adds(sb, has_del ? " (SELECT count(*) FROM dl)," : " 0,");
	sb_adds(sb, " (SELECT count(*) FROM src WHERE NOT del)");
}

static int load_batch(PGconn *c, const struct rec_batch *b, int64_t tenant,
		      struct load_count *cnt, int *transient, char *err,
		      size_t errlen)
{
	const struct entity *e = b->ent;
	size_t nf = e->nfields, r, i, ncols = 0;
	struct strbuf sql = STRBUF_INIT;
	PGresult *res = NULL;
	int *cols = NULL, has_up = 0, has_del = 0, rc = -1;
	char tbuf[24];
	const char *params[2];

	cols = malloc((nf ? nf : 1) * sizeof(*cols));
	if (!cols) {
		snprintf(err, errlen, "load of %s: out of memory", e->name);
		goto out;
	}
	/* Columns: every field some record of the batch set. Fields no
	 * record sets keep their stored values (e.g. columns the host
	 * derives after load). */
	for (i = 0; i < nf; i++) {
		for (r = 0; r < b->nrec; r++)
			if (b->offs[r * nf + i] != REC_UNSET)
				break;
		if (r < b->nrec)
			cols[ncols++] = (int)i;
	}
	for (r = 0; r < b->nrec; r++) {
		if (b->del[r])
			has_del = 1;
		else
			has_up = 1;
	}
	if (copy_batch(c, b, cols, ncols, err, errlen) < 0) {
		*transient = db_conn_lost(c);
		goto out;
	}
	build_upsert(&sql, e, cols, ncols, has_up, has_del);
	if (!sql.buf) {
		snprintf(err, errlen, "load of %s: out of memory", e->name);
		goto out;
	}
	params[0] = db_i64(tbuf, tenant);
	params[1] = e->name;
	res = PQexecParams(c, sql.buf, 2, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		const char *m = PQresultErrorMessage(res);
		size_t n = strlen(m);

		while (n && m[n - 1] == '\n')
			n--;
		snprintf(err, errlen, "load of %s: %.*s", e->name, (int)n, m);
		*transient = db_error_is_transient(res);
		goto out;
	}
	if (cnt) {
		uint64_t ins = (uint64_t)db_int64(res, 0, 0);
		uint64_t upd = (uint64_t)db_int64(res, 0, 1);
		uint64_t src = (uint64_t)db_int64(res, 0, 3);

		cnt->inserted += ins;
		cnt->updated += upd;
		cnt->deleted += (uint64_t)db_int64(res, 0, 2);
		cnt->unchanged += src > ins + upd ? src - ins - upd : 0;
	}
	rc = 0;
out:
	PQclear(res);
	sb_free(&sql);
	free(cols);
	return rc;
}

int load_apply(PGconn *c, const struct recset *rs, int64_t tenant_id,
	       struct load_count *counts, int *transient, char *err,
	       size_t errlen)
{
	size_t i;

	*transient = 0;
	for (i = 0; i < rs->reg->n; i++) {
		const struct rec_batch *b = &rs->b[i];

		if (b->nrec == 0)
			continue;
		if (load_batch(c, b, tenant_id, counts ? &counts[i] : NULL,
			       transient, err, errlen) < 0)
			return -1;
	}
	return 0;
}
