/* dora_figure: one JSON object per DORA figure (value, band, sample,
 * method) and the reasons given when a figure has no value. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "analytics/dora.h"
#include "analytics/dora_int.h"

/* ------------------------------------------------------------ JSON helpers */

/* A JSON number printed with at most `decimals` decimals and no
 * trailing zeros (json-c would print 17 significant digits). */
struct json_object *dora_jnum(double v, int decimals)
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

void dora_put(struct json_object *o, const char *k, struct json_object *v)
{
	json_object_object_add(o, k, v);
}

void dora_put_str(struct json_object *o, const char *k, const char *s)
{
	dora_put(o, k, s ? json_object_new_string(s) : NULL);
}

void dora_put_int(struct json_object *o, const char *k, int64_t v)
{
	dora_put(o, k, json_object_new_int64(v));
}

const char *dora_plural(int64_t n, const char *one, const char *many)
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

	dora_put(o, "value", has_value ? dora_jnum(value, decimals) : NULL);
	dora_put_str(o, "unit", unit);
	dora_put_str(o, "display", has_value ? display : NULL);
	dora_put_str(o, "band", has_value ? band : NULL);
	dora_put_int(o, "sample", sample);
	dora_put_str(o, "sample_text", sample_text);
	dora_put_str(o, "method", method);
	dora_put_str(o, "reason", has_value ? NULL : reason);
	return o;
}

/* ------------------------------------------------------------ reasons */

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
			 dora_plural(d->repositories, "repository", "repositories"));
		return;
	}
	if (d->non_production > 0 && d->unsuccessful == 0) {
		snprintf(buf, len, "no deployments matched environment regex '%s' "
			 "in %" PRId64 " %s (%" PRId64 " went to %s); set "
			 "deployment_environment of the GitHub integration",
			 rx, d->repositories,
			 dora_plural(d->repositories, "repository", "repositories"),
			 d->non_production, d->environments ? d->environments : "?");
		return;
	}
	n = (size_t)snprintf(buf, len, "no successful production deployment in "
			     "the window in %" PRId64 " %s: %" PRId64
			     " production %s did not succeed",
			     d->repositories,
			     dora_plural(d->repositories, "repository", "repositories"),
			     d->unsuccessful,
			     dora_plural(d->unsuccessful, "deployment", "deployments"));
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

struct json_object *dora_figure_frequency(const PGresult *r,
					  const struct diag *d)
{
	int64_t deps = dora_i64(r, "deployments"), days = dora_i64(r, "deployment_days");
	int64_t weeks = dora_i64(r, "weeks"), months = dora_i64(r, "months");
	double week = dora_dbl(r, "median_days_per_week");
	double month = dora_dbl(r, "median_days_per_month");
	char display[64], sample[160], reason[1024];
	struct json_object *o;

	snprintf(display, sizeof(display), "%.1f days/week", week);
	snprintf(sample, sizeof(sample), "%" PRId64 " %s on %" PRId64 " %s over %"
		 PRId64 " %s", deps, dora_plural(deps, "deployment", "deployments"),
		 days, dora_plural(days, "day", "days"), weeks,
		 dora_plural(weeks, "week", "weeks"));
	reason[0] = '\0';
	if (deps == 0)
		no_deployment_reason(d, reason, sizeof(reason));
	o = figure(deps > 0, week, 2, "days/week", display,
		   dora_band_frequency(week, month), deps, sample,
		   "median number of distinct UTC days with a successful "
		   "production deployment per 7-day week of the window (weeks "
		   "without one count as zero); below 1 day/week the band comes "
		   "from the median days per 30-day month", reason);
	dora_put_int(o, "deployments", deps);
	dora_put_int(o, "deployment_days", days);
	dora_put_int(o, "weeks", weeks);
	dora_put_int(o, "months", months);
	dora_put(o, "median_days_per_month", dora_jnum(month, 2));
	return o;
}

static struct json_object *phase(const PGresult *r, const char *secs,
				 const char *n)
{
	struct json_object *o = json_object_new_object();
	int64_t sample = dora_i64(r, n);
	char display[32];

	dora_format_duration(dora_dbl(r, secs), display, sizeof(display));
	dora_put(o, "value", sample ? dora_jnum(dora_dbl(r, secs), 1) : NULL);
	dora_put_str(o, "display", sample ? display : NULL);
	dora_put_int(o, "sample", sample);
	return o;
}

struct json_object *dora_figure_lead_time(const PGresult *r,
					  const struct diag *d,
					  int64_t deployments)
{
	int64_t changes = dora_i64(r, "changes"), merged = dora_i64(r, "merged");
	int64_t deployed = dora_i64(r, "merged_deployed");
	int64_t ranged = dora_i64(r, "by_commit_range");
	int64_t after = dora_i64(r, "by_deployment_after_merge");
	double secs = dora_dbl(r, "median_seconds");
	char display[32], sample[256], method[512], reason[2048];
	struct json_object *o, *m, *b;

	dora_format_duration(secs, display, sizeof(display));
	snprintf(sample, sizeof(sample), "%" PRId64 " %s deployed in the window; "
		 "%" PRId64 " %s merged in it, %" PRId64 " not deployed",
		 changes, dora_plural(changes, "change", "changes"), merged,
		 dora_plural(merged, "PR", "PRs"), merged - deployed);
	snprintf(method, sizeof(method), "first successful production deployment "
		 "that contains the merge commit minus the first commit authored; "
		 "found by commit range for %" PRId64 " %s, by the first deployment "
		 "of the repository after the merge for %" PRId64 " (repositories "
		 "without known commit ranges)", ranged,
		 dora_plural(ranged, "change", "changes"), after);
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
				 dora_plural(deployments, "deployment", "deployments"));
		}
	}
	o = figure(changes > 0, secs, 1, "seconds", display,
		   dora_band_lead_time(secs), changes, sample, method, reason);
	dora_put_int(o, "merged", merged);
	dora_put_int(o, "merged_deployed", deployed);
	dora_put_int(o, "not_deployed", merged - deployed);
	m = json_object_new_object();
	dora_put_int(m, "commit_range", ranged);
	dora_put_int(m, "deployment_after_merge", after);
	dora_put(o, "methods", m);
	b = json_object_new_object();
	dora_put(b, "coding", phase(r, "coding_seconds", "coding_sample"));
	dora_put(b, "pickup", phase(r, "pickup_seconds", "pickup_sample"));
	dora_put(b, "review", phase(r, "review_seconds", "review_sample"));
	dora_put(b, "deploy", phase(r, "deploy_seconds", "deploy_sample"));
	dora_put(o, "breakdown", b);
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
		 mapped, any, nproj, dora_plural(nproj, "project is", "projects are"));
}

struct json_object *dora_figure_failure_rate(const PGresult *r,
					     const struct diag *d)
{
	int64_t deps = dora_i64(r, "deployments"), failed = dora_i64(r, "failed_deployments");
	int64_t inc = dora_i64(r, "incidents");
	int64_t mapped = dora_i64(r, "by_project_mapping");
	int64_t any = dora_i64(r, "by_any_repository");
	double pct = deps ? 100.0 * (double)failed / (double)deps : 0;
	char display[32], sample[160], method[1024], att[512], reason[1024];
	struct json_object *o, *a;
	/* Failed deploys (deployments.failed_change, 105) are failures of
	 * their own: they give a rate also without an Incident mapping. */
	int ok = deps > 0 && (d->incident_mappings > 0 || failed > 0);

	snprintf(display, sizeof(display), "%.1f %%", pct);
	snprintf(sample, sizeof(sample), "%" PRId64 " of %" PRId64 " %s failed or "
		 "followed by an incident (%" PRId64 " attributed %s)", failed, deps,
		 dora_plural(deps, "deployment", "deployments"), inc,
		 dora_plural(inc, "incident", "incidents"));
	attribution_text(mapped, any, d->mapped_projects, att, sizeof(att));
	snprintf(method, sizeof(method), "deployments in the window with at least "
		 "one incident attributed to them, plus failed deploys to "
		 "production that a source marks as failed changes (Fabric), over "
		 "all of these deployments in the window; %s", att);
	reason[0] = '\0';
	if (d->incident_mappings == 0 && !ok)
		snprintf(reason, sizeof(reason), "%s", no_mapping_reason);
	else if (deps == 0)
		snprintf(reason, sizeof(reason), "%s", no_deployment_short);
	o = figure(ok, pct, 2, "percent", display, dora_band_failure_rate(pct),
		   deps, sample, method, reason);
	dora_put_int(o, "deployments", deps);
	dora_put_int(o, "failed_deployments", failed);
	dora_put_int(o, "incidents", inc);
	a = json_object_new_object();
	dora_put_int(a, "project_mapping", mapped);
	dora_put_int(a, "any_repository", any);
	dora_put(o, "attribution", a);
	dora_put_str(o, "attribution_method", att);
	return o;
}

struct json_object *dora_figure_recovery(const PGresult *r,
					 const struct diag *d)
{
	int64_t inc = dora_i64(r, "incidents"), att = dora_i64(r, "attributed");
	int64_t res = dora_i64(r, "resolved");
	int64_t mapped = dora_i64(r, "by_project_mapping");
	int64_t any = dora_i64(r, "by_any_repository");
	double secs = dora_dbl(r, "median_seconds");
	char display[32], sample[200], method[1024], at[512], reason[512];
	struct json_object *o, *a;

	dora_format_duration(secs, display, sizeof(display));
	snprintf(sample, sizeof(sample), "%" PRId64 " resolved of %" PRId64
		 " attributed %s (%" PRId64 " created in the window)", res, att,
		 dora_plural(att, "incident", "incidents"), inc);
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
			 inc, dora_plural(inc, "incident", "incidents"));
	else if (res == 0)
		snprintf(reason, sizeof(reason), "%" PRId64 " attributed %s, none "
			 "resolved yet", att, dora_plural(att, "incident", "incidents"));
	o = figure(res > 0 && d->incident_mappings > 0, secs, 1, "seconds",
		   display, dora_band_recovery(secs), res, sample, method, reason);
	dora_put_int(o, "incidents", inc);
	dora_put_int(o, "attributed", att);
	dora_put_int(o, "resolved", res);
	a = json_object_new_object();
	dora_put_int(a, "project_mapping", mapped);
	dora_put_int(a, "any_repository", any);
	dora_put(o, "attribution", a);
	dora_put_str(o, "attribution_method", at);
	return o;
}
