/* askexec: guarded, read-only, bounded execution of one question's SQL. */
#include "config.h"

#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ai/askexec.h"
#include "base/strbuf.h"
#include "db/db.h"

/* The role generated SQL runs as (host/db/migrations/070_ask.sql). */
#define QUERY_ROLE "pulse_query"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

void askexec_result_free(struct askexec_result *res)
{
	if (!res)
		return;
	free(res->rows_json);
	free(res->columns_json);
	free(res->sql_run);
	res->rows_json = res->columns_json = res->sql_run = NULL;
}

/* A JSON string, quotes included. */
static void add_jstr(struct strbuf *sb, const char *s)
{
	sb_adds(sb, "\"");
	sb_add_json_str(sb, s);
	sb_adds(sb, "\"");
}

static int is_number_type(Oid t)
{
	/* int8, int2, int4, float4, float8, numeric, oid */
	return t == 20 || t == 21 || t == 23 || t == 700 || t == 701 ||
		t == 1700 || t == 26;
}

/* One cell as JSON into sb. */
static void add_cell(struct strbuf *sb, const PGresult *r, int row, int col)
{
	const char *s = PQgetvalue(r, row, col);
	Oid t = PQftype(r, col);

	if (PQgetisnull(r, row, col))
		sb_adds(sb, "null");
	else if (t == 16)
		sb_adds(sb, s[0] == 't' ? "true" : "false");
	else if (is_number_type(t) && strspn(s, "0123456789.-+eE") == strlen(s))
		sb_adds(sb, s);
	else if (t == 114 || t == 3802) /* json, jsonb: already JSON */
		sb_adds(sb, s);
	else
		add_jstr(sb, s);
}

static void add_row(struct strbuf *sb, const PGresult *r, int row)
{
	int j, n = PQnfields(r);

	sb_adds(sb, "{");
	for (j = 0; j < n; j++) {
		if (j)
			sb_adds(sb, ",");
		add_jstr(sb, PQfname(r, j));
		sb_adds(sb, ":");
		add_cell(sb, r, row, j);
	}
	sb_adds(sb, "}");
}

static char *columns_json(const PGresult *r)
{
	struct strbuf sb = STRBUF_INIT;
	int j;

	sb_adds(&sb, "[");
	for (j = 0; j < PQnfields(r); j++) {
		if (j)
			sb_adds(&sb, ",");
		add_jstr(&sb, PQfname(r, j));
	}
	sb_adds(&sb, "]");
	return sb_detach(&sb);
}

/* The server's message with its SQLSTATE class turned into a failure kind. */
static void server_error(PGconn *c, const PGresult *r, struct askexec_result *res,
			 char *err, size_t errlen)
{
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = r ? PQresultErrorMessage(r) : PQerrorMessage(c);
	size_t n;

	if (state && strcmp(state, "57014") == 0) {
		res->failure = "timeout";
		snprintf(err, errlen, "the query ran longer than the limit "
			 "(ask.timeout_ms) and was cancelled; ask for less "
			 "(a shorter period, fewer joins)");
		return;
	}
	res->failure = db_conn_lost(c) ? "connection" : "database";
	snprintf(err, errlen, "%s", msg && *msg ? msg : "query failed");
	n = strlen(err);
	while (n && (err[n - 1] == '\n' || err[n - 1] == ' '))
		err[--n] = '\0';
}

static int set_scope(PGconn *c, int64_t tenant, int timeout_ms, char *err,
		     size_t errlen)
{
	char sql[512];

	/* Integers we format ourselves, a fixed role name: no injection. */
	snprintf(sql, sizeof(sql),
		 "BEGIN READ ONLY;"
		 " SET LOCAL statement_timeout = %d;"
		 " SET LOCAL ROLE " QUERY_ROLE ";"
		 " SET LOCAL app.tenant_id = '%" PRId64 "';"
		 " SET LOCAL search_path = ask;"
		 " SET LOCAL TimeZone = 'UTC';"
		 /* no JIT: EXPLAIN would compile the plan, and under load
		  * that alone outlasted statement_timeout */
		 " SET LOCAL jit = off",
		 timeout_ms, tenant);
	if (db_exec(c, sql, err, errlen) < 0) {
		db_rollback(c);
		return -1;
	}
	return 0;
}

static int explain_cost(PGconn *c, const char *sql, double *cost,
			struct askexec_result *res, char *err, size_t errlen)
{
	struct strbuf sb = STRBUF_INIT;
	struct json_object *j = NULL, *plan, *tc;
	PGresult *r = NULL;
	int rc = -1;

	sb_addf(&sb, "EXPLAIN (FORMAT JSON) %s", sql);
	/* the extended protocol: the server itself refuses a second statement */
	r = sb.buf ? PQexecParams(c, sb.buf, 0, NULL, NULL, NULL, NULL, 0) : NULL;
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		server_error(c, r, res, err, errlen);
		goto out;
	}
	j = json_tokener_parse(PQgetvalue(r, 0, 0));
	if (!j || !json_object_is_type(j, json_type_array) ||
	    !json_object_object_get_ex(json_object_array_get_idx(j, 0), "Plan", &plan) ||
	    !json_object_object_get_ex(plan, "Total Cost", &tc)) {
		res->failure = "database";
		snprintf(err, errlen, "EXPLAIN gave no cost estimate");
		goto out;
	}
	*cost = json_object_get_double(tc);
	rc = 0;
out:
	json_object_put(j);
	PQclear(r);
	sb_free(&sb);
	return rc;
}

/* Run sql in single-row mode, building the rows' JSON, stopping at
 * max_bytes. 0 or -1 (res->failure, err). */
static int fetch_rows(PGconn *c, const char *sql, size_t max_bytes,
		      struct askexec_result *res, char *err, size_t errlen)
{
	struct strbuf sb = STRBUF_INIT;
	PGresult *r;
	int rc = -1, failed = 0, over = 0;

	if (!PQsendQueryParams(c, sql, 0, NULL, NULL, NULL, NULL, 0) ||
	    !PQsetSingleRowMode(c)) {
		server_error(c, NULL, res, err, errlen);
		goto out;
	}
	sb_adds(&sb, "[");
	while ((r = PQgetResult(c))) {
		ExecStatusType st = PQresultStatus(r);

		if (st == PGRES_SINGLE_TUPLE && !over && !failed) {
			if (!res->columns_json)
				res->columns_json = columns_json(r);
			if (res->n_rows)
				sb_adds(&sb, ",");
			add_row(&sb, r, 0);
			res->n_rows++;
			if (sb.len > max_bytes) {
				over = 1;
				/* the rest is not wanted: ask the server to stop */
				PGcancel *cn = PQgetCancel(c);
				char eb[256];

				if (cn) {
					PQcancel(cn, eb, sizeof(eb));
					PQfreeCancel(cn);
				}
			}
		} else if (st == PGRES_TUPLES_OK) {
			if (!res->columns_json)
				res->columns_json = columns_json(r);
		} else if (st != PGRES_SINGLE_TUPLE && !failed && !over) {
			server_error(c, r, res, err, errlen);
			failed = 1;
		}
		PQclear(r);
	}
	if (over) {
		res->failure = "bytes";
		snprintf(err, errlen, "the result is larger than %zu bytes "
			 "(ask.max_bytes); ask for fewer columns or rows",
			 max_bytes);
		goto out;
	}
	if (failed)
		goto out;
	sb_adds(&sb, "]");
	if (!sb.buf) {
		res->failure = "database";
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	res->rows_json = sb_detach(&sb);
	rc = 0;
out:
	sb_free(&sb);
	return rc;
}

int askexec_run(PGconn *c, int64_t tenant, const char *sql,
		const struct askexec_limits *lim, struct askexec_result *res,
		char *err, size_t errlen)
{
	double t0 = now_ms();
	int rc = -1, open = 0;

	memset(res, 0, sizeof(*res));
	res->sql_run = sqlguard_wrap(sql, lim->max_rows, &res->verdict);
	res->ms_guard = now_ms() - t0;
	if (!res->sql_run) {
		res->failure = "guard";
		snprintf(err, errlen, "refused by the SQL guard (rule %s): %s",
			 res->verdict.rule ? res->verdict.rule : "?",
			 res->verdict.detail);
		goto out;
	}
	if (tenant <= 0) {
		res->failure = "database";
		snprintf(err, errlen, "internal error: tenant id %" PRId64
			 " is not valid", tenant);
		goto out;
	}
	if (set_scope(c, tenant, lim->timeout_ms, err, errlen) < 0) {
		res->failure = db_conn_lost(c) ? "connection" : "database";
		goto out;
	}
	open = 1;
	t0 = now_ms();
	if (explain_cost(c, res->sql_run, &res->cost, res, err, errlen) < 0)
		goto out;
	res->ms_explain = now_ms() - t0;
	if (lim->max_cost > 0 && res->cost > lim->max_cost) {
		res->failure = "cost";
		snprintf(err, errlen, "the planner estimates a cost of %.0f, "
			 "above the limit of %.0f (ask.max_cost): the query "
			 "would read or combine too much; narrow it",
			 res->cost, lim->max_cost);
		goto out;
	}
	t0 = now_ms();
	if (fetch_rows(c, res->sql_run, lim->max_bytes, res, err, errlen) < 0)
		goto out;
	res->ms_run = now_ms() - t0;
	res->row_cap_hit = res->n_rows >= lim->max_rows;
	rc = 0;
out:
	if (open)
		db_rollback(c);
	return rc;
}
