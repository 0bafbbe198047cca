/* dora_text: the DORA report as a text table (`pulse-host dora`). */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>

#include <json-c/json.h>

#include "analytics/dora.h"
#include "analytics/dora_int.h"

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
			 dora_plural(n, "repository", "repositories"));
	} else {
		n = jint(sc, "repository_count");
		snprintf(scope_text, sizeof(scope_text), "all repositories (%" PRId64
			 ")", n);
	}
	fprintf(out, "DORA metrics, tenant %s, %s, %.10s .. %.10s (%s days)\n\n",
		name ? name : jstr(t, "id"), scope_text, jstr(win, "from"),
		jstr(win, "to"), jstr(win, "days"));
	dora_people_print(out, sc);
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
