/* stats: a tenant's storage figures (stats.h). */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/strbuf.h"
#include "db/db.h"
#include "model/stats.h"

/* Tenant-scoped tables (a tenant_id column; partitions count in their
 * parent) with their size on disk, from hk_table_bytes (083). */
#define STATS_TABLES_SQL \
	"SELECT b.name, b.bytes FROM hk_table_bytes() b" \
	" JOIN pg_class c ON c.relname = b.name" \
	"  AND c.relnamespace = current_schema()::regnamespace" \
	" JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id'" \
	"  AND NOT a.attisdropped" \
	" WHERE b.partition_of IS NULL ORDER BY b.name"

static json_object *i64(int64_t v)
{
	return json_object_new_int64(v);
}

/* rows and bytes of the tenant in each table of t (RLS filters). */
static json_object *tables(PGconn *c, PGresult *t, char *err, size_t errlen)
{
	json_object *a = json_object_new_array();
	int i;

	for (i = 0; i < PQntuples(t); i++) {
		struct strbuf sql = STRBUF_INIT;
		PGresult *r;
		json_object *o;
		char *q = PQescapeIdentifier(c, PQgetvalue(t, i, 0),
					     strlen(PQgetvalue(t, i, 0)));

		if (q)
			sb_addf(&sql, "SELECT count(*), coalesce(sum(pg_column_size(x.*)),"
				" 0)::bigint FROM %s x", q);
		PQfreemem(q);
		if (!sql.buf) {
			snprintf(err, errlen, "out of memory");
			json_object_put(a);
			return NULL;
		}
		r = db_query(c, err, errlen, sql.buf, 0, NULL);
		sb_free(&sql);
		if (!r) {
			json_object_put(a);
			return NULL;
		}
		o = json_object_new_object();
		json_object_object_add(o, "table", json_object_new_string(PQgetvalue(t, i, 0)));
		json_object_object_add(o, "rows", i64(db_int64(r, 0, 0)));
		json_object_object_add(o, "bytes", i64(db_int64(r, 0, 1)));
		json_object_object_add(o, "table_bytes", i64(db_int64(t, i, 1)));
		json_object_array_add(a, o);
		PQclear(r);
	}
	return a;
}

static json_object *raw_months(PGconn *c, char *err, size_t errlen)
{
	PGresult *r = db_query(c, err, errlen,
		"SELECT b.name, coalesce(to_char(b.range_from AT TIME ZONE 'UTC',"
		" 'YYYY-MM'), 'default'), coalesce(x.n, 0), coalesce(x.bytes, 0), b.bytes"
		" FROM hk_table_bytes() b LEFT JOIN (SELECT tableoid::regclass::text"
		"   AS name, count(*) AS n, sum(pg_column_size(r.*))::bigint AS bytes"
		"   FROM raw_extraction_data r GROUP BY 1) x USING (name)"
		" WHERE b.partition_of = 'raw_extraction_data'"
		" ORDER BY b.range_from NULLS LAST", 0, NULL);
	json_object *a;
	int i;

	if (!r)
		return NULL;
	a = json_object_new_array();
	for (i = 0; i < PQntuples(r); i++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "month", json_object_new_string(PQgetvalue(r, i, 1)));
		json_object_object_add(o, "partition", json_object_new_string(PQgetvalue(r, i, 0)));
		json_object_object_add(o, "rows", i64(db_int64(r, i, 2)));
		json_object_object_add(o, "bytes", i64(db_int64(r, i, 3)));
		json_object_object_add(o, "partition_bytes", i64(db_int64(r, i, 4)));
		json_object_array_add(a, o);
	}
	PQclear(r);
	return a;
}

static json_object *growth(PGconn *c, char *err, size_t errlen)
{
	PGresult *r = db_query(c, err, errlen,
		"SELECT count(*), coalesce(sum(pg_column_size(r.*)), 0)::bigint"
		" FROM raw_extraction_data r WHERE created_at >= now() -"
		" make_interval(days => 30)", 0, NULL);
	json_object *o;
	int64_t rows, bytes;

	if (!r)
		return NULL;
	rows = db_int64(r, 0, 0);
	bytes = db_int64(r, 0, 1);
	PQclear(r);
	o = json_object_new_object();
	json_object_object_add(o, "table", json_object_new_string("raw_extraction_data"));
	json_object_object_add(o, "window_days", i64(STATS_GROWTH_DAYS));
	json_object_object_add(o, "rows_added", i64(rows));
	json_object_object_add(o, "bytes_added", i64(bytes));
	json_object_object_add(o, "rows_per_day", i64(rows / STATS_GROWTH_DAYS));
	json_object_object_add(o, "bytes_per_day", i64(bytes / STATS_GROWTH_DAYS));
	return o;
}

json_object *stats_json(PGconn *c, int64_t tenant, char *err, size_t errlen)
{
	json_object *o = NULL, *t = NULL, *m = NULL, *g = NULL;
	PGresult *tl = NULL;

	if (db_tenant_begin(c, tenant, err, errlen) < 0)
		return NULL;
	if (!(tl = db_query(c, err, errlen, STATS_TABLES_SQL, 0, NULL)) ||
	    !(t = tables(c, tl, err, errlen)) ||
	    !(m = raw_months(c, err, errlen)) ||
	    !(g = growth(c, err, errlen)) ||
	    db_commit(c, err, errlen) < 0)
		goto fail;
	o = json_object_new_object();
	json_object_object_add(o, "tenant_id", i64(tenant));
	json_object_object_add(o, "tables", t);
	json_object_object_add(o, "raw_by_month", m);
	json_object_object_add(o, "growth", g);
	PQclear(tl);
	return o;
fail:
	db_rollback(c);
	json_object_put(t);
	json_object_put(m);
	json_object_put(g);
	PQclear(tl);
	return NULL;
}

static int64_t geti(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_int64(v) : 0;
}

static const char *gets(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : "";
}

void stats_print(json_object *o, FILE *f)
{
	json_object *a, *g;
	size_t i;

	fprintf(f, "%-28s %12s %14s %14s\n", "TABLE", "ROWS", "BYTES",
		"TABLE BYTES");
	json_object_object_get_ex(o, "tables", &a);
	for (i = 0; a && i < json_object_array_length(a); i++) {
		json_object *t = json_object_array_get_idx(a, i);

		fprintf(f, "%-28s %12" PRId64 " %14" PRId64 " %14" PRId64 "\n",
			gets(t, "table"), geti(t, "rows"), geti(t, "bytes"),
			geti(t, "table_bytes"));
	}
	fprintf(f, "\n%-8s %-30s %12s %14s %16s\n", "MONTH", "PARTITION", "ROWS",
		"BYTES", "PARTITION BYTES");
	json_object_object_get_ex(o, "raw_by_month", &a);
	for (i = 0; a && i < json_object_array_length(a); i++) {
		json_object *t = json_object_array_get_idx(a, i);

		fprintf(f, "%-8s %-30s %12" PRId64 " %14" PRId64 " %16" PRId64 "\n",
			gets(t, "month"), gets(t, "partition"), geti(t, "rows"),
			geti(t, "bytes"), geti(t, "partition_bytes"));
	}
	if (json_object_object_get_ex(o, "growth", &g))
		fprintf(f, "\ngrowth of the raw ledger over the last %" PRId64
			" days: %" PRId64 " rows, %" PRId64 " bytes (%" PRId64
			" rows, %" PRId64 " bytes per day)\n",
			geti(g, "window_days"), geti(g, "rows_added"),
			geti(g, "bytes_added"), geti(g, "rows_per_day"),
			geti(g, "bytes_per_day"));
}
