/* dora: build the DORA report of one tenant from the SQL functions of
 * 010_dora.sql; bands and wording live in dora_band.c and dora_figure.c,
 * arithmetic in SQL. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "base/log.h"
#include "db/db.h"
#include "analytics/dora.h"
#include "analytics/dora_int.h"
#include "base/log.h"

/* ------------------------------------------------------------ results */

static int col(const PGresult *r, const char *name)
{
	return PQfnumber(r, name);
}

static int is_null(const PGresult *r, const char *name)
{
	int i = col(r, name);

	return i < 0 || PQntuples(r) < 1 || PQgetisnull(r, 0, i);
}

int64_t dora_i64(const PGresult *r, const char *name)
{
	return is_null(r, name) ? 0 : db_int64(r, 0, col(r, name));
}

double dora_dbl(const PGresult *r, const char *name)
{
	return is_null(r, name) ? 0 : strtod(PQgetvalue(r, 0, col(r, name)), NULL);
}

static const char *str(const PGresult *r, const char *name)
{
	return is_null(r, name) ? NULL : PQgetvalue(r, 0, col(r, name));
}

/*
 * Run sql with the window and filter as $1..$4 (and the authors of a
 * team cut as $5 when n is 5) and expect one row.
 * Returns the result (caller PQclear()s) or NULL with err naming what.
 */
static PGresult *one_row(PGconn *c, const char *what, const char *sql,
			 int n, const char *const params[5], char *err,
			 size_t errlen)
{
	char msg[512];
	PGresult *r = db_query(c, msg, sizeof(msg), sql, n, params);

	if (!r) {
		snprintf(err, errlen, "dora: computing %s failed: %s; is the "
			 "schema up to date (`pulse-host migrate`)?", what, msg);
		return NULL;
	}
	if (PQntuples(r) != 1) {
		snprintf(err, errlen, "dora: computing %s returned %d rows "
			 "instead of 1", what, PQntuples(r));
		PQclear(r);
		return NULL;
	}
	return r;
}

/* ------------------------------------------------------------ report */

/* Check and normalise one window bound: NULL stays NULL, otherwise the
 * server's reading of it as UTC ISO-8601 into out. */
static int cast_date(PGconn *c, const char *opt, const char *v, char *out,
		     size_t outlen, int *usage, char *err, size_t errlen)
{
	const char *p[1] = {v};
	char msg[512];
	PGresult *r;

	if (!v)
		return 0;
	if (!dora_date_valid(v)) {
		snprintf(err, errlen, "dora: %s '%s' is not a date; use YYYY-MM-DD "
			 "or YYYY-MM-DDTHH:MM:SSZ (UTC unless a zone is given)",
			 opt, v);
		*usage = 1;
		return -1;
	}
	r = db_query(c, msg, sizeof(msg),
		     "SELECT to_char($1::timestamptz AT TIME ZONE 'UTC', "
		     "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')", 1, p);
	if (!r && db_last_was_timeout()) {
		snprintf(err, errlen, "dora: reading %s: %s", opt, msg);
		return -1; /* the database's fault, not the caller's */
	}
	if (!r) {
		/* The transaction is aborted now; the caller rolls back. The
		 * server's text stays in the debug log (it reaches API
		 * clients otherwise). */
		log_debug("DORA", "option=%s error=\"%s\"", opt, msg);
		snprintf(err, errlen, "dora: %s '%s' is not a valid date (no "
			 "such day or time); use YYYY-MM-DD or "
			 "YYYY-MM-DDTHH:MM:SSZ", opt, v);
		*usage = 1;
		return -1;
	}
	snprintf(out, outlen, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	return 0;
}

/* Resolve the window: params[0], params[1] get ISO-8601 UTC strings. */
static struct json_object *window(PGconn *c, const struct dora_query *q,
				  char *from, char *to, size_t len, int *usage,
				  char *err, size_t errlen)
{
	char f[64], t[64], msg[512];
	const char *p[2];
	struct json_object *o = NULL;
	PGresult *r = NULL;

	if (cast_date(c, "--from", q->from, f, sizeof(f), usage, err, errlen) < 0 ||
	    cast_date(c, "--to", q->to, t, sizeof(t), usage, err, errlen) < 0)
		goto out;
	p[0] = q->from ? f : NULL;
	p[1] = q->to ? t : NULL;
	r = db_query(c, msg, sizeof(msg),
		     "WITH w AS (SELECT coalesce($2::timestamptz, "
		     "  date_trunc('second', now())) AS t) "
		     "SELECT to_char(f AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),"
		     " to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),"
		     " (extract(epoch FROM t) - extract(epoch FROM f)) / 86400,"
		     " to_char(f AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
		     " to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
		     "  FROM (SELECT coalesce($1::timestamptz, t - interval '90 days')"
		     "  AS f, t FROM w) x", 2, p);
	if (!r) {
		snprintf(err, errlen, "dora: resolving the window failed: %s", msg);
		goto out;
	}
	if (strtod(PQgetvalue(r, 0, 2), NULL) <= 0) {
		snprintf(err, errlen, "dora: the window is empty: --from (%s) must "
			 "be before --to (%s), which is exclusive",
			 PQgetvalue(r, 0, 3), PQgetvalue(r, 0, 4));
		*usage = 1;
		goto out;
	}
	snprintf(from, len, "%s", PQgetvalue(r, 0, 0));
	snprintf(to, len, "%s", PQgetvalue(r, 0, 1));
	o = json_object_new_object();
	dora_put_str(o, "from", PQgetvalue(r, 0, 3));
	dora_put_str(o, "to", PQgetvalue(r, 0, 4));
	dora_put(o, "days", dora_jnum(strtod(PQgetvalue(r, 0, 2), NULL), 2));
out:
	PQclear(r);
	return o;
}

static struct json_object *scope(PGconn *c, const struct dora_query *q,
				 const char *const params[4], char *err,
				 size_t errlen)
{
	struct json_object *o = NULL, *list;
	char msg[512];
	PGresult *r;
	int i;

	r = db_query(c, msg, sizeof(msg),
		     "SELECT x FROM unnest(dora_scope($1, $2)) x ORDER BY x", 2,
		     params + 2);
	if (!r) {
		snprintf(err, errlen, "dora: resolving the scope failed: %s; is "
			 "the schema up to date (`pulse-host migrate`)?", msg);
		return NULL;
	}
	o = json_object_new_object();
	dora_put_str(o, "project", q->project);
	dora_put_str(o, "repository", q->repo);
	if (!q->project && !q->repo) {
		dora_put(o, "repositories", NULL); /* all of the tenant's */
	} else {
		list = json_object_new_array();
		for (i = 0; i < PQntuples(r); i++)
			json_object_array_add(list,
					      json_object_new_string(PQgetvalue(r, i, 0)));
		dora_put(o, "repositories", list);
	}
	PQclear(r);
	return o;
}

/* The tenant's name into buf; buf or NULL when it cannot be read. */
static const char *tenant_name(PGconn *c, int64_t id, char *buf, size_t len)
{
	char num[24], msg[256];
	const char *p[1] = {db_i64(num, id)};
	PGresult *r = db_query(c, msg, sizeof(msg),
			       "SELECT name FROM tenants WHERE id = $1::bigint", 1, p);
	const char *ret = NULL;

	if (r && PQntuples(r) == 1) {
		snprintf(buf, len, "%s", PQgetvalue(r, 0, 0));
		ret = buf;
	}
	PQclear(r);
	return ret;
}

struct json_object *dora_report_json(PGconn *c, const struct dora_query *q,
				     int *usage, char *err, size_t errlen)
{
	static const struct {
		const char *name, *sql;
	} parts[] = {
		{"deployment frequency",
		 "SELECT * FROM dora_deployment_frequency_of($1::timestamptz, $2::timestamptz, $3, $4, $5::text[])"},
		{"lead time for changes",
		 "SELECT * FROM dora_lead_time_of($1::timestamptz, $2::timestamptz, $3, $4, $5::text[])"},
		{"change failure rate",
		 "SELECT * FROM dora_change_failure_rate_of($1::timestamptz, $2::timestamptz, $3, $4, $5::text[])"},
		{"recovery time",
		 "SELECT * FROM dora_recovery_time_of($1::timestamptz, $2::timestamptz, $3, $4, $5::text[])"},
		{"diagnostics",
		 "SELECT * FROM dora_diagnostics($1::timestamptz, $2::timestamptz, $3, $4)"},
	};
	PGresult *res[5] = {NULL, NULL, NULL, NULL, NULL};
	struct json_object *report = NULL, *o, *win = NULL, *sc = NULL;
	char from[64], to[64], name[128], *authors = NULL;
	const char *params[5];
	struct diag d;
	struct timespec t0, t1;
	int dummy = 0;
	size_t i;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (!usage)
		usage = &dummy;
	*usage = 0;
	if (q->project && !*q->project) {
		snprintf(err, errlen, "dora: --project is empty");
		*usage = 1;
		return NULL;
	}
	if (q->repo && (!*q->repo || !strchr(q->repo, '/'))) {
		snprintf(err, errlen, "dora: --repo '%s' is not OWNER/NAME", q->repo);
		*usage = 1;
		return NULL;
	}
	if (db_tenant_begin(c, q->tenant_id, err, errlen) < 0)
		return NULL;
	/* Read-only; days counted in UTC whatever the session says; no JIT:
	 * compiling these plans costs more than running them. The planner
	 * sees a few hundred rows in the functions' CTEs where there are
	 * tens of thousands, so it sorts reviews and comments for a merge
	 * join (spilling at the default work_mem) where a hash join costs a
	 * third less CPU (docs/dora.md, "Performance"). */
	if (db_exec(c, "SET TRANSACTION READ ONLY; SET LOCAL TimeZone = 'UTC'; "
		    "SET LOCAL jit = off; SET LOCAL enable_mergejoin = off; "
		    "SET LOCAL work_mem = '32MB'", err, errlen) < 0)
		goto out;
	win = window(c, q, from, to, sizeof(from), usage, err, errlen);
	if (!win)
		goto out;
	params[0] = from;
	params[1] = to;
	params[2] = q->project;
	params[3] = q->repo;
	sc = scope(c, q, params, err, errlen);
	if (!sc)
		goto out;
	err[0] = '\0';
	authors = dora_people_authors(c, q, sc, usage, err, errlen);
	if (!authors && err[0])
		goto out;
	params[4] = authors;
	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		/* the four keys take the team's logins (NULL: no cut) */
		res[i] = one_row(c, parts[i].name, parts[i].sql, i < 4 ? 5 : 4,
				 params, err, errlen);
		if (!res[i])
			goto out;
	}
	memset(&d, 0, sizeof(d));
	d.q = q;
	d.repositories = dora_i64(res[4], "repositories");
	d.deployments_window = dora_i64(res[4], "deployments_window");
	d.non_production = dora_i64(res[4], "non_production");
	d.unsuccessful = dora_i64(res[4], "unsuccessful");
	d.environments = str(res[4], "environments");
	d.regexes = str(res[4], "environment_regexes");
	d.incident_mappings = dora_i64(res[4], "incident_mappings");
	d.mapped_projects = dora_i64(res[4], "mapped_projects");

	report = json_object_new_object();
	o = json_object_new_object();
	dora_put_int(o, "id", q->tenant_id);
	dora_put_str(o, "name", q->tenant_name ? q->tenant_name :
		tenant_name(c, q->tenant_id, name, sizeof(name)));
	dora_put(report, "tenant", o);
	dora_put(report, "scope", sc);
	sc = NULL;
	dora_put_int(json_object_object_get(report, "scope"), "repository_count",
		d.repositories);
	dora_put(report, "window", win);
	win = NULL;
	dora_put_str(report, "bands", "DORA 2023");
	dora_put(report, "deployment_frequency", dora_figure_frequency(res[0], &d));
	dora_put(report, "lead_time", dora_figure_lead_time(res[1], &d, dora_i64(res[0], "deployments")));
	dora_put(report, "change_failure_rate", dora_figure_failure_rate(res[2], &d));
	dora_put(report, "recovery_time", dora_figure_recovery(res[3], &d));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	log_debug("DORA", "tenant=%" PRId64 " from=%s to=%s project=%s repo=%s "
		  "ms=%.0f", q->tenant_id, from, to, q->project ? q->project : "-",
		  q->repo ? q->repo : "-",
		  (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
		  (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
out:
	for (i = 0; i < 5; i++)
		PQclear(res[i]);
	json_object_put(win);
	json_object_put(sc);
	free(authors);
	db_rollback(c); /* read-only: nothing to commit */
	return report;
}
