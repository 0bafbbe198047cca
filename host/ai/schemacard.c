/* schemacard: the LLM's view of the q_* views, built from the catalog. */
#include "config.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ai/schemacard.h"
#include "base/strbuf.h"
#include "db/db.h"

#define SAMPLE_MARK "[sampled]"
#define MAX_SAMPLES 6
#define MAX_SAMPLE_LEN 32

/* Columns of the views the query role may read, in order. */
static const char COLUMNS_SQL[] =
	"SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod),"
	"       coalesce(col_description(c.oid, a.attnum), ''),"
	"       coalesce(obj_description(c.oid, 'pg_class'), '')"
	"  FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid"
	" WHERE c.relnamespace = 'ask'::regnamespace AND c.relkind = 'v'"
	"   AND c.relname LIKE 'q\\_%' AND a.attnum > 0 AND NOT a.attisdropped"
	"   AND has_table_privilege(c.oid, 'SELECT')"
	" ORDER BY c.relname, a.attnum";

static const char FUNCS_SQL[] =
	"SELECT p.proname, pg_get_function_arguments(p.oid),"
	"       pg_get_function_result(p.oid), coalesce(obj_description(p.oid, 'pg_proc'), '')"
	"  FROM pg_proc p WHERE p.pronamespace = 'ask'::regnamespace"
	"   AND has_function_privilege(p.oid, 'EXECUTE') ORDER BY 1";

/* A value safe to show: short, and only letters, digits and a few
 * separators (no quotes, no sentences that could read as instructions). */
static int sample_ok(const char *s)
{
	size_t n = strlen(s), i, spaces = 0;

	if (n == 0 || n > MAX_SAMPLE_LEN)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == ' ')
			spaces++;
		else if (!isalnum(ch) && !strchr("_-./:", ch))
			return 0;
	}
	return spaces <= 2;
}

static void add_samples(PGconn *c, struct strbuf *sb, const char *view,
			const char *col)
{
	struct strbuf q = STRBUF_INIT;
	char *qv = PQescapeIdentifier(c, view, strlen(view));
	char *qc = PQescapeIdentifier(c, col, strlen(col));
	PGresult *r = NULL;
	int i, shown = 0;

	if (!qv || !qc)
		goto out;
	sb_addf(&q, "SELECT DISTINCT %s::text FROM ask.%s WHERE %s IS NOT NULL "
		"ORDER BY 1 LIMIT %d", qc, qv, qc, MAX_SAMPLES * 2);
	r = q.buf ? PQexec(c, q.buf) : NULL;
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		goto out;
	for (i = 0; i < PQntuples(r) && shown < MAX_SAMPLES; i++) {
		const char *v = PQgetvalue(r, i, 0);

		if (!sample_ok(v))
			continue;
		sb_addf(sb, "%s'%s'", shown ? ", " : " (values: ", v);
		shown++;
	}
	if (shown)
		sb_adds(sb, ")");
out:
	PQclear(r);
	PQfreemem(qv);
	PQfreemem(qc);
	sb_free(&q);
}

/* "joins q_a.x, q_b.y" in a comment: one relation line per target. */
static void add_relations(struct strbuf *rel, const char *view,
			  const char *col, const char *comment)
{
	const char *p = strstr(comment, "joins ");

	while (p && (p = strstr(p, "q_"))) {
		size_t n = strspn(p, "abcdefghijklmnopqrstuvwxyz_.");

		if (n > 2 && memchr(p, '.', n))
			sb_addf(rel, "  %s.%s = %.*s\n", view, col,
				(int)(n && p[n - 1] == '.' ? n - 1 : n), p);
		p += n ? n : 1;
	}
}

int schemacard_build(PGconn *c, int64_t tenant, char **out, char *err,
		     size_t errlen)
{
	struct strbuf sb = STRBUF_INIT, rel = STRBUF_INIT;
	PGresult *r = NULL;
	char sql[256], last[128] = "";
	int i, rc = -1, open = 0;

	*out = NULL;
	snprintf(sql, sizeof(sql), "BEGIN READ ONLY; SET LOCAL statement_timeout = 10000;"
		 " SET LOCAL ROLE pulse_query; SET LOCAL app.tenant_id = '%" PRId64 "'",
		 tenant);
	if (db_exec(c, sql, err, errlen) < 0)
		goto out;
	open = 1;
	if (!(r = db_query(c, err, errlen, COLUMNS_SQL, 0, NULL)))
		goto out;
	if (PQntuples(r) == 0) {
		snprintf(err, errlen, "the query role sees no q_* view: run "
			 "`pulse-host migrate --app-role ROLE` (migration 070)");
		goto out;
	}
	sb_adds(&sb, "Views you may read (PostgreSQL 15; nothing else exists "
		"for you; one SELECT only):\n");
	for (i = 0; i < PQntuples(r); i++) {
		const char *view = PQgetvalue(r, i, 0), *col = PQgetvalue(r, i, 1);
		const char *type = PQgetvalue(r, i, 2);
		char comment[512];
		char *mark;

		snprintf(comment, sizeof(comment), "%s", PQgetvalue(r, i, 3));
		if (strcmp(view, last) != 0) {
			sb_addf(&sb, "\n%s -- %s\n", view, PQgetvalue(r, i, 4));
			snprintf(last, sizeof(last), "%s", view);
		}
		mark = strstr(comment, SAMPLE_MARK);
		if (mark)
			*mark = '\0';
		while (*comment && comment[strlen(comment) - 1] == ' ')
			comment[strlen(comment) - 1] = '\0';
		sb_addf(&sb, "  %s %s -- %s", col, type, comment);
		if (mark)
			add_samples(c, &sb, view, col);
		sb_adds(&sb, "\n");
		add_relations(&rel, view, col, comment);
	}
	PQclear(r);
	if (!(r = db_query(c, err, errlen, FUNCS_SQL, 0, NULL)))
		goto out;
	if (PQntuples(r))
		sb_adds(&sb, "\nFunctions (use in FROM, e.g. SELECT * FROM "
			"q_dora_lead_time(now() - interval '30 days', now())):\n");
	for (i = 0; i < PQntuples(r); i++)
		sb_addf(&sb, "  %s(%s) RETURNS %s -- %s\n", PQgetvalue(r, i, 0),
			PQgetvalue(r, i, 1), PQgetvalue(r, i, 2),
			PQgetvalue(r, i, 3));
	if (rel.len)
		sb_addf(&sb, "\nRelations (join on these only):\n%s", rel.buf);
	if (!sb.buf) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	*out = sb_detach(&sb);
	rc = 0;
out:
	if (open)
		db_rollback(c);
	PQclear(r);
	sb_free(&sb);
	sb_free(&rel);
	return rc;
}
