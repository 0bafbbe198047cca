/* dora: build the DORA report of one tenant from the SQL functions of
 * 010_dora.sql; bands and wording live here, arithmetic in SQL. */
#include "config.h"

#include <inttypes.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "db/db.h"
#include "analytics/dora.h"
#include "base/log.h"

#define HOUR 3600.0
#define DAY 86400.0

/* ------------------------------------------------------------ bands */

const char *dora_band_frequency(double days_per_week, double days_per_month)
{
	/* 2023: on demand (>= 5 days a week), weekly, monthly, less. Periods
	 * without a deployment count as zero, so "monthly" has to be read
	 * from the monthly median, not from the weekly one. */
	if (days_per_week >= 5)
		return "elite";
	if (days_per_week >= 1)
		return "high";
	if (days_per_month >= 1)
		return "medium";
	return "low";
}

const char *dora_band_lead_time(double seconds)
{
	if (seconds < DAY)
		return "elite";
	if (seconds < 7 * DAY)
		return "high";
	if (seconds < 30 * DAY)
		return "medium";
	return "low";
}

const char *dora_band_failure_rate(double percent)
{
	if (percent <= 5)
		return "elite";
	if (percent <= 10)
		return "high";
	if (percent <= 15)
		return "medium";
	return "low";
}

const char *dora_band_recovery(double seconds)
{
	if (seconds < HOUR)
		return "elite";
	if (seconds < DAY)
		return "high";
	if (seconds < 7 * DAY)
		return "medium";
	return "low";
}

void dora_format_duration(double seconds, char *buf, size_t len)
{
	if (seconds < HOUR)
		snprintf(buf, len, "%.0f min", seconds / 60);
	else if (seconds < 48 * HOUR)
		snprintf(buf, len, "%.1f h", seconds / HOUR);
	else
		snprintf(buf, len, "%.1f days", seconds / DAY);
}

int dora_date_valid(const char *s)
{
	static const char *re =
		"^[0-9]{4}-[0-9]{2}-[0-9]{2}"
		"([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]{1,6})?)?"
		"(Z|[+-][0-9]{2}(:?[0-9]{2})?)?)?$";
	regex_t rx;
	int ok;

	if (!s || regcomp(&rx, re, REG_EXTENDED | REG_NOSUB) != 0)
		return 0;
	ok = regexec(&rx, s, 0, NULL, 0) == 0;
	regfree(&rx);
	return ok;
}

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

static int64_t i64(const PGresult *r, const char *name)
{
	return is_null(r, name) ? 0 : db_int64(r, 0, col(r, name));
}

static double dbl(const PGresult *r, const char *name)
{
	return is_null(r, name) ? 0 : strtod(PQgetvalue(r, 0, col(r, name)), NULL);
}

static const char *str(const PGresult *r, const char *name)
{
	return is_null(r, name) ? NULL : PQgetvalue(r, 0, col(r, name));
}

/*
 * Run sql with the window and filter as $1..$4 and expect one row.
 * Returns the result (caller PQclear()s) or NULL with err naming what.
 */
static PGresult *one_row(PGconn *c, const char *what, const char *sql,
			 const char *const params[4], char *err, size_t errlen)
{
	char msg[512];
	PGresult *r = db_query(c, msg, sizeof(msg), sql, 4, params);

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

/* ------------------------------------------------------------ JSON helpers */

/* A JSON number printed with at most `decimals` decimals and no
 * trailing zeros (json-c would print 17 significant digits). */
static struct json_object *jnum(double v, int decimals)
{
	char buf[64];
	char *dot;

	snprintf(buf, sizeof(buf), "%.*f", decimals, v);
	dot = strchr(buf, '.');
	if (dot) {
		char *e = buf + strlen(buf) - 1;

		while (e > dot && *e == '0')
			*e-- = '\0';
		if (e == dot)
			*e = '\0';
	}
	if (strcmp(buf, "-0") == 0)
		strcpy(buf, "0");
	return json_object_new_double_s(v, buf);
}

static void put(struct json_object *o, const char *k, struct json_object *v)
{
	json_object_object_add(o, k, v);
}

static void put_str(struct json_object *o, const char *k, const char *s)
{
	put(o, k, s ? json_object_new_string(s) : NULL);
}

static void put_int(struct json_object *o, const char *k, int64_t v)
{
	put(o, k, json_object_new_int64(v));
}

static const char *plural(int64_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/* The fields every figure has. value/band are null when reason is set. */
static struct json_object *figure(int has_value, double value, int decimals,
				  const char *unit, const char *display,
				  const char *band, int64_t sample,
				  const char *sample_text, const char *method,
				  const char *reason)
{
	struct json_object *o = json_object_new_object();

	put(o, "value", has_value ? jnum(value, decimals) : NULL);
	put_str(o, "unit", unit);
	put_str(o, "display", has_value ? display : NULL);
	put_str(o, "band", has_value ? band : NULL);
	put_int(o, "sample", sample);
	put_str(o, "sample_text", sample_text);
	put_str(o, "method", method);
	put_str(o, "reason", has_value ? NULL : reason);
	return o;
}

/* ------------------------------------------------------------ reasons */

struct diag {
	int64_t repositories, deployments_window, non_production, unsuccessful;
	int64_t incident_mappings, mapped_projects;
	const char *environments, *regexes;
	const struct dora_query *q;
};

/* Why there is no successful production deployment in the window. */
static void no_deployment_reason(const struct diag *d, char *buf, size_t len)
{
	const char *rx = d->regexes ? d->regexes : "prod|production";
	size_t n;

	if (d->repositories == 0) {
		if (d->q->project)
			snprintf(buf, len, "project '%s' has no repository mapped%s; "
				 "map one with `pulse-host dora map --tenant T %s "
				 "OWNER/NAME`", d->q->project,
				 d->q->repo ? " under that name" : "", d->q->project);
		else if (d->q->repo)
			snprintf(buf, len, "no repository '%s' is known for this "
				 "tenant (names are owner/name, as `pulse-host dora "
				 "map --tenant T` lists them)", d->q->repo);
		else
			snprintf(buf, len, "the tenant has no repositories yet; "
				 "run a GitHub integration (`pulse-host job run ID`)");
		return;
	}
	if (d->deployments_window == 0) {
		snprintf(buf, len, "no deployment at all in the window in %" PRId64
			 " %s (releases count only when the GitHub integration "
			 "sets releases_as_deployments)", d->repositories,
			 plural(d->repositories, "repository", "repositories"));
		return;
	}
	if (d->non_production > 0 && d->unsuccessful == 0) {
		snprintf(buf, len, "no deployments matched environment regex '%s' "
			 "in %" PRId64 " %s (%" PRId64 " went to %s); set "
			 "deployment_environment of the GitHub integration",
			 rx, d->repositories,
			 plural(d->repositories, "repository", "repositories"),
			 d->non_production, d->environments ? d->environments : "?");
		return;
	}
	n = (size_t)snprintf(buf, len, "no successful production deployment in "
			     "the window in %" PRId64 " %s: %" PRId64
			     " production %s did not succeed",
			     d->repositories,
			     plural(d->repositories, "repository", "repositories"),
			     d->unsuccessful,
			     plural(d->unsuccessful, "deployment", "deployments"));
	if (d->non_production > 0 && n < len)
		snprintf(buf + n, len - n, ", %" PRId64 " went to environments "
			 "not matching '%s' (%s)", d->non_production, rx,
			 d->environments ? d->environments : "?");
}

/* The other figures point at deployment frequency's full reason. */
static const char *no_deployment_short =
	"no successful production deployment in the window (see deployment "
	"frequency)";

static const char *no_mapping_reason =
	"no work item type is mapped to Incident (see `pulse-host mapping`)";

/* ------------------------------------------------------------ figures */

static struct json_object *frequency(const PGresult *r, const struct diag *d)
{
	int64_t deps = i64(r, "deployments"), days = i64(r, "deployment_days");
	int64_t weeks = i64(r, "weeks"), months = i64(r, "months");
	double week = dbl(r, "median_days_per_week");
	double month = dbl(r, "median_days_per_month");
	char display[64], sample[160], reason[1024];
	struct json_object *o;

	snprintf(display, sizeof(display), "%.1f days/week", week);
	snprintf(sample, sizeof(sample), "%" PRId64 " %s on %" PRId64 " %s over %"
		 PRId64 " %s", deps, plural(deps, "deployment", "deployments"),
		 days, plural(days, "day", "days"), weeks,
		 plural(weeks, "week", "weeks"));
	reason[0] = '\0';
	if (deps == 0)
		no_deployment_reason(d, reason, sizeof(reason));
	o = figure(deps > 0, week, 2, "days/week", display,
		   dora_band_frequency(week, month), deps, sample,
		   "median number of distinct UTC days with a successful "
		   "production deployment per 7-day week of the window (weeks "
		   "without one count as zero); below 1 day/week the band comes "
		   "from the median days per 30-day month", reason);
	put_int(o, "deployments", deps);
	put_int(o, "deployment_days", days);
	put_int(o, "weeks", weeks);
	put_int(o, "months", months);
	put(o, "median_days_per_month", jnum(month, 2));
	return o;
}

static struct json_object *phase(const PGresult *r, const char *secs,
				 const char *n)
{
	struct json_object *o = json_object_new_object();
	int64_t sample = i64(r, n);
	char display[32];

	dora_format_duration(dbl(r, secs), display, sizeof(display));
	put(o, "value", sample ? jnum(dbl(r, secs), 1) : NULL);
	put_str(o, "display", sample ? display : NULL);
	put_int(o, "sample", sample);
	return o;
}

static struct json_object *lead_time(const PGresult *r, const struct diag *d,
				     int64_t deployments)
{
	int64_t changes = i64(r, "changes"), merged = i64(r, "merged");
	int64_t deployed = i64(r, "merged_deployed");
	int64_t ranged = i64(r, "by_commit_range");
	int64_t after = i64(r, "by_deployment_after_merge");
	double secs = dbl(r, "median_seconds");
	char display[32], sample[256], method[512], reason[2048];
	struct json_object *o, *m, *b;

	dora_format_duration(secs, display, sizeof(display));
	snprintf(sample, sizeof(sample), "%" PRId64 " %s deployed in the window; "
		 "%" PRId64 " %s merged in it, %" PRId64 " not deployed",
		 changes, plural(changes, "change", "changes"), merged,
		 plural(merged, "PR", "PRs"), merged - deployed);
	snprintf(method, sizeof(method), "first successful production deployment "
		 "that contains the merge commit minus the first commit authored; "
		 "found by commit range for %" PRId64 " %s, by the first deployment "
		 "of the repository after the merge for %" PRId64 " (repositories "
		 "without known commit ranges)", ranged,
		 plural(ranged, "change", "changes"), after);
	reason[0] = '\0';
	if (changes == 0) {
		if (deployments == 0) {
			snprintf(reason, sizeof(reason), "no merged PR in the window "
				 "was deployed (%" PRId64 " merged, 0 deployed): %s",
				 merged, no_deployment_short);
		} else if (merged > 0) {
			snprintf(reason, sizeof(reason), "no merged PR in the window "
				 "was deployed (%" PRId64 " merged, %" PRId64
				 " deployed)", merged, deployed);
		} else {
			snprintf(reason, sizeof(reason), "no PR was merged in the "
				 "window, and the %" PRId64 " %s in it shipped no "
				 "merge commit of a known PR", deployments,
				 plural(deployments, "deployment", "deployments"));
		}
	}
	o = figure(changes > 0, secs, 1, "seconds", display,
		   dora_band_lead_time(secs), changes, sample, method, reason);
	put_int(o, "merged", merged);
	put_int(o, "merged_deployed", deployed);
	put_int(o, "not_deployed", merged - deployed);
	m = json_object_new_object();
	put_int(m, "commit_range", ranged);
	put_int(m, "deployment_after_merge", after);
	put(o, "methods", m);
	b = json_object_new_object();
	put(b, "coding", phase(r, "coding_seconds", "coding_sample"));
	put(b, "pickup", phase(r, "pickup_seconds", "pickup_sample"));
	put(b, "review", phase(r, "review_seconds", "review_sample"));
	put(b, "deploy", phase(r, "deploy_seconds", "deploy_sample"));
	put(o, "breakdown", b);
	return o;
}

static void attribution_text(int64_t mapped, int64_t any, int64_t nproj,
			     char *buf, size_t len)
{
	snprintf(buf, len, "an incident belongs to the latest successful "
		 "production deployment finished before it was created: %" PRId64
		 " attributed among the repositories mapped to their project, "
		 "%" PRId64 " among any repository of the tenant (project not "
		 "mapped; %" PRId64 " %s mapped, see `pulse-host dora map`)",
		 mapped, any, nproj, plural(nproj, "project is", "projects are"));
}

static struct json_object *failure_rate(const PGresult *r, const struct diag *d)
{
	int64_t deps = i64(r, "deployments"), failed = i64(r, "failed_deployments");
	int64_t inc = i64(r, "incidents");
	int64_t mapped = i64(r, "by_project_mapping");
	int64_t any = i64(r, "by_any_repository");
	double pct = deps ? 100.0 * (double)failed / (double)deps : 0;
	char display[32], sample[160], method[1024], att[512], reason[1024];
	struct json_object *o, *a;
	int ok = deps > 0 && d->incident_mappings > 0;

	snprintf(display, sizeof(display), "%.1f %%", pct);
	snprintf(sample, sizeof(sample), "%" PRId64 " of %" PRId64 " %s followed "
		 "by an incident (%" PRId64 " attributed %s)", failed, deps,
		 plural(deps, "deployment", "deployments"), inc,
		 plural(inc, "incident", "incidents"));
	attribution_text(mapped, any, d->mapped_projects, att, sizeof(att));
	snprintf(method, sizeof(method), "deployments in the window with at least "
		 "one incident attributed to them, over all deployments in the "
		 "window; %s", att);
	reason[0] = '\0';
	if (d->incident_mappings == 0)
		snprintf(reason, sizeof(reason), "%s", no_mapping_reason);
	else if (deps == 0)
		snprintf(reason, sizeof(reason), "%s", no_deployment_short);
	o = figure(ok, pct, 2, "percent", display, dora_band_failure_rate(pct),
		   deps, sample, method, reason);
	put_int(o, "deployments", deps);
	put_int(o, "failed_deployments", failed);
	put_int(o, "incidents", inc);
	a = json_object_new_object();
	put_int(a, "project_mapping", mapped);
	put_int(a, "any_repository", any);
	put(o, "attribution", a);
	put_str(o, "attribution_method", att);
	return o;
}

static struct json_object *recovery(const PGresult *r, const struct diag *d)
{
	int64_t inc = i64(r, "incidents"), att = i64(r, "attributed");
	int64_t res = i64(r, "resolved");
	int64_t mapped = i64(r, "by_project_mapping");
	int64_t any = i64(r, "by_any_repository");
	double secs = dbl(r, "median_seconds");
	char display[32], sample[200], method[1024], at[512], reason[512];
	struct json_object *o, *a;

	dora_format_duration(secs, display, sizeof(display));
	snprintf(sample, sizeof(sample), "%" PRId64 " resolved of %" PRId64
		 " attributed %s (%" PRId64 " created in the window)", res, att,
		 plural(att, "incident", "incidents"), inc);
	attribution_text(mapped, any, d->mapped_projects, at, sizeof(at));
	snprintf(method, sizeof(method), "median of resolved minus created over "
		 "the incidents created in the window that are attributed to a "
		 "deployment in scope and resolved; %s", at);
	reason[0] = '\0';
	if (d->incident_mappings == 0)
		snprintf(reason, sizeof(reason), "%s", no_mapping_reason);
	else if (inc == 0)
		snprintf(reason, sizeof(reason), "no incident was created in the "
			 "window%s%s", d->q->project ? " in project " : "",
			 d->q->project ? d->q->project : "");
	else if (att == 0)
		snprintf(reason, sizeof(reason), "%" PRId64 " %s in the window, "
			 "none after a successful production deployment in scope",
			 inc, plural(inc, "incident", "incidents"));
	else if (res == 0)
		snprintf(reason, sizeof(reason), "%" PRId64 " attributed %s, none "
			 "resolved yet", att, plural(att, "incident", "incidents"));
	o = figure(res > 0 && d->incident_mappings > 0, secs, 1, "seconds",
		   display, dora_band_recovery(secs), res, sample, method, reason);
	put_int(o, "incidents", inc);
	put_int(o, "attributed", att);
	put_int(o, "resolved", res);
	a = json_object_new_object();
	put_int(a, "project_mapping", mapped);
	put_int(a, "any_repository", any);
	put(o, "attribution", a);
	put_str(o, "attribution_method", at);
	return o;
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
	if (!r) {
		/* The transaction is aborted now; the caller rolls back. */
		snprintf(err, errlen, "dora: %s '%s' is not a valid date (%s)",
			 opt, v, msg);
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
	put_str(o, "from", PQgetvalue(r, 0, 3));
	put_str(o, "to", PQgetvalue(r, 0, 4));
	put(o, "days", jnum(strtod(PQgetvalue(r, 0, 2), NULL), 2));
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
	put_str(o, "project", q->project);
	put_str(o, "repository", q->repo);
	if (!q->project && !q->repo) {
		put(o, "repositories", NULL); /* all of the tenant's */
	} else {
		list = json_object_new_array();
		for (i = 0; i < PQntuples(r); i++)
			json_object_array_add(list,
					      json_object_new_string(PQgetvalue(r, i, 0)));
		put(o, "repositories", list);
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
		 "SELECT * FROM dora_deployment_frequency($1::timestamptz, $2::timestamptz, $3, $4)"},
		{"lead time for changes",
		 "SELECT * FROM dora_lead_time($1::timestamptz, $2::timestamptz, $3, $4)"},
		{"change failure rate",
		 "SELECT * FROM dora_change_failure_rate($1::timestamptz, $2::timestamptz, $3, $4)"},
		{"recovery time",
		 "SELECT * FROM dora_recovery_time($1::timestamptz, $2::timestamptz, $3, $4)"},
		{"diagnostics",
		 "SELECT * FROM dora_diagnostics($1::timestamptz, $2::timestamptz, $3, $4)"},
	};
	PGresult *res[5] = {NULL, NULL, NULL, NULL, NULL};
	struct json_object *report = NULL, *o, *win = NULL, *sc = NULL;
	char from[64], to[64], name[128];
	const char *params[4];
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
	 * compiling these plans costs more than running them. */
	if (db_exec(c, "SET TRANSACTION READ ONLY; SET LOCAL TimeZone = 'UTC'; "
		    "SET LOCAL jit = off", err, errlen) < 0)
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
	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		res[i] = one_row(c, parts[i].name, parts[i].sql, params, err, errlen);
		if (!res[i])
			goto out;
	}
	memset(&d, 0, sizeof(d));
	d.q = q;
	d.repositories = i64(res[4], "repositories");
	d.deployments_window = i64(res[4], "deployments_window");
	d.non_production = i64(res[4], "non_production");
	d.unsuccessful = i64(res[4], "unsuccessful");
	d.environments = str(res[4], "environments");
	d.regexes = str(res[4], "environment_regexes");
	d.incident_mappings = i64(res[4], "incident_mappings");
	d.mapped_projects = i64(res[4], "mapped_projects");

	report = json_object_new_object();
	o = json_object_new_object();
	put_int(o, "id", q->tenant_id);
	put_str(o, "name", q->tenant_name ? q->tenant_name :
		tenant_name(c, q->tenant_id, name, sizeof(name)));
	put(report, "tenant", o);
	put(report, "scope", sc);
	sc = NULL;
	put_int(json_object_object_get(report, "scope"), "repository_count",
		d.repositories);
	put(report, "window", win);
	win = NULL;
	put_str(report, "bands", "DORA 2023");
	put(report, "deployment_frequency", frequency(res[0], &d));
	put(report, "lead_time", lead_time(res[1], &d, i64(res[0], "deployments")));
	put(report, "change_failure_rate", failure_rate(res[2], &d));
	put(report, "recovery_time", recovery(res[3], &d));
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
	db_rollback(c); /* read-only: nothing to commit */
	return report;
}

/* ------------------------------------------------------------ text */

static const char *jstr(struct json_object *o, const char *k)
{
	struct json_object *v = json_object_object_get(o, k);

	return v ? json_object_get_string(v) : NULL;
}

static int64_t jint(struct json_object *o, const char *k)
{
	return json_object_get_int64(json_object_object_get(o, k));
}

static void print_figure(FILE *out, const char *title, struct json_object *f)
{
	const char *v = jstr(f, "display"), *band = jstr(f, "band");

	fprintf(out, "%-22s %-15s %-7s %s\n", title, v ? v : "-",
		band ? band : "-", jstr(f, "sample_text"));
}

void dora_report_print(FILE *out, struct json_object *report)
{
	static const char *const keys[] = {"deployment_frequency", "lead_time",
					   "change_failure_rate", "recovery_time"};
	static const char *const titles[] = {"deployment frequency",
					     "lead time for changes",
					     "change failure rate",
					     "recovery time"};
	static const char *const phases[] = {"coding", "pickup", "review", "deploy"};
	struct json_object *sc = json_object_object_get(report, "scope");
	struct json_object *win = json_object_object_get(report, "window");
	struct json_object *t = json_object_object_get(report, "tenant");
	struct json_object *lt = json_object_object_get(report, "lead_time");
	struct json_object *cfr = json_object_object_get(report, "change_failure_rate");
	struct json_object *m = json_object_object_get(lt, "methods");
	struct json_object *a = json_object_object_get(cfr, "attribution");
	struct json_object *b = json_object_object_get(lt, "breakdown");
	struct json_object *repos = json_object_object_get(sc, "repositories");
	const char *name = jstr(t, "name");
	char scope_text[300];
	size_t i, k;
	int64_t n;

	if (jstr(sc, "repository")) {
		snprintf(scope_text, sizeof(scope_text), "repository %s",
			 jstr(sc, "repository"));
	} else if (jstr(sc, "project")) {
		n = (int64_t)json_object_array_length(repos);
		snprintf(scope_text, sizeof(scope_text), "project %s (%" PRId64
			 " %s)", jstr(sc, "project"), n,
			 plural(n, "repository", "repositories"));
	} else {
		n = jint(sc, "repository_count");
		snprintf(scope_text, sizeof(scope_text), "all repositories (%" PRId64
			 ")", n);
	}
	fprintf(out, "DORA metrics, tenant %s, %s, %.10s .. %.10s (%s days)\n\n",
		name ? name : jstr(t, "id"), scope_text, jstr(win, "from"),
		jstr(win, "to"), jstr(win, "days"));
	fprintf(out, "%-22s %-15s %-7s %s\n", "METRIC", "VALUE", "BAND", "SAMPLE");
	for (i = 0; i < 4; i++) {
		print_figure(out, titles[i], json_object_object_get(report, keys[i]));
		if (i != 1 || !jstr(lt, "display"))
			continue;
		fprintf(out, "  %-20s", "breakdown (medians)");
		for (k = 0; k < 4; k++) {
			const char *v = jstr(json_object_object_get(b, phases[k]),
					     "display");

			fprintf(out, "%s%s %s", k ? ", " : " ", phases[k], v ? v : "-");
		}
		fprintf(out, "\n");
	}
	fprintf(out, "\n");
	for (i = 0; i < 4; i++) {
		const char *why = jstr(json_object_object_get(report, keys[i]), "reason");

		if (why)
			fprintf(out, "why no %s: %s\n", titles[i], why);
	}
	if (jint(m, "commit_range") || jint(m, "deployment_after_merge"))
		fprintf(out, "changes matched to deployments: %" PRId64 " by commit "
			"range, %" PRId64 " by first deployment after the merge\n",
			jint(m, "commit_range"), jint(m, "deployment_after_merge"));
	if (jint(a, "project_mapping") || jint(a, "any_repository"))
		fprintf(out, "incidents attributed: %" PRId64 " via project "
			"mapping, %" PRId64 " via any repository (project not "
			"mapped)\n", jint(a, "project_mapping"),
			jint(a, "any_repository"));
	fprintf(out, "bands: %s (elite, high, medium, low); definitions in "
		"docs/dora.md; --json for methods\n", jstr(report, "bands"));
}

/* ------------------------------------------------------------ mapping */

int dora_map_add(PGconn *c, int64_t tenant, const char *project,
		 const char *repo, char *err, size_t errlen)
{
	char id[24], msg[512];
	const char *p[3] = {db_i64(id, tenant), project, repo};
	PGresult *r;

	if (db_tenant_begin(c, tenant, err, errlen) < 0)
		return -1;
	r = db_query(c, msg, sizeof(msg),
		     "INSERT INTO dora_project_repositories "
		     "(tenant_id, project_key, repository_external_id) "
		     "VALUES ($1::bigint, $2, lower($3)) ON CONFLICT DO NOTHING", 3, p);
	if (!r) {
		snprintf(err, errlen, "dora map: could not map project '%s' to "
			 "'%s': %s", project, repo, msg);
		db_rollback(c);
		return -1;
	}
	PQclear(r);
	return db_commit(c, err, errlen);
}

int dora_map_remove(PGconn *c, int64_t tenant, const char *project,
		    const char *repo, int *removed, char *err, size_t errlen)
{
	char msg[512];
	const char *p[2] = {project, repo};
	PGresult *r;

	if (db_tenant_begin(c, tenant, err, errlen) < 0)
		return -1;
	r = db_query(c, msg, sizeof(msg),
		     "DELETE FROM dora_project_repositories WHERE project_key = $1 "
		     "AND repository_external_id = lower($2)", 2, p);
	if (!r) {
		snprintf(err, errlen, "dora unmap: %s", msg);
		db_rollback(c);
		return -1;
	}
	*removed = atoi(PQcmdTuples(r));
	PQclear(r);
	return db_commit(c, err, errlen);
}

PGresult *dora_map_list(PGconn *c, int64_t tenant, char *err, size_t errlen)
{
	char msg[512];
	PGresult *r;

	if (db_tenant_begin(c, tenant, err, errlen) < 0)
		return NULL;
	r = db_query(c, msg, sizeof(msg),
		     "SELECT m.project_key, m.repository_external_id,"
		     " EXISTS (SELECT 1 FROM repositories r"
		     "   WHERE r.tenant_id = m.tenant_id"
		     "     AND r.external_id = m.repository_external_id)"
		     "  FROM dora_project_repositories m"
		     " ORDER BY 1, 2", 0, NULL);
	if (!r)
		snprintf(err, errlen, "dora map: listing failed: %s", msg);
	db_rollback(c);
	return r;
}
