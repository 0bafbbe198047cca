/* dora_weekly: the four keys week by week (issue 19: the console's trend
 * charts and `pulse-host dora --weekly`). Each week is a report of its
 * own from dora_report_json, so a weekly figure means exactly what the
 * window's figure means (docs/dora.md), only over seven days. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "analytics/dora.h"
#include "analytics/dora_weekly.h"

static const char *const keys[] = {"deployment_frequency", "lead_time",
				   "change_failure_rate", "recovery_time"};

/* The end of the trend: the day after q->to's date, or tomorrow (UTC). */
static int end_day(const char *to, time_t *out)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (to) {
		if (!strptime(to, "%Y-%m-%d", &tm))
			return -1;
		*out = timegm(&tm);
		return 0;
	}
	*out = time(NULL) / 86400 * 86400 + 86400;
	return 0;
}

/* A copy of what the chart needs of figure f (borrowed): value, display,
 * band, sample, reason; breakdown values for lead time. New object. */
static json_object *compact(json_object *f)
{
	static const char *const fields[] = {"value", "display", "band",
					     "sample", "reason"};
	static const char *const parts[] = {"coding", "pickup", "review", "deploy"};
	json_object *o = json_object_new_object(), *v, *b, *bo;
	size_t i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (json_object_object_get_ex(f, fields[i], &v))
			json_object_object_add(o, fields[i], json_object_get(v));
	if (json_object_object_get_ex(f, "breakdown", &b)) {
		bo = json_object_new_object();
		for (i = 0; i < 4; i++) {
			json_object *p, *pv = NULL;

			if (json_object_object_get_ex(b, parts[i], &p))
				json_object_object_get_ex(p, "value", &pv);
			json_object_object_add(bo, parts[i], json_object_get(pv));
		}
		json_object_object_add(o, "breakdown", bo);
	}
	return o;
}

json_object *dora_weekly_json(PGconn *c, const struct dora_query *q,
			      int weeks, int *usage, char *err, size_t errlen)
{
	json_object *out = NULL, *arr, *rep;
	char from[16], to[16];
	struct dora_query wq;
	time_t end, a, b;
	struct tm tm;
	int w;
	size_t k;

	if (usage)
		*usage = 0;
	if (weeks < 1 || weeks > 104) {
		snprintf(err, errlen, "dora: weeks must be 1..104 (got %d)", weeks);
		goto usage_out;
	}
	if (end_day(q->to, &end) < 0) {
		snprintf(err, errlen, "dora: with --weekly, --to must start with "
			 "a date YYYY-MM-DD (got '%s')", q->to);
		goto usage_out;
	}
	out = json_object_new_object();
	arr = json_object_new_array();
	json_object_object_add(out, "weeks", arr);
	for (w = weeks - 1; w >= 0; w--) {
		json_object *wk;

		b = end - (time_t)w * 7 * 86400;
		a = b - 7 * 86400;
		gmtime_r(&a, &tm);
		strftime(from, sizeof(from), "%Y-%m-%d", &tm);
		gmtime_r(&b, &tm);
		strftime(to, sizeof(to), "%Y-%m-%d", &tm);
		wq = *q;
		wq.from = from;
		wq.to = to;
		rep = dora_report_json(c, &wq, usage, err, errlen);
		if (!rep) {
			json_object_put(out);
			return NULL;
		}
		wk = json_object_new_object();
		json_object_object_add(wk, "from", json_object_new_string(from));
		json_object_object_add(wk, "to", json_object_new_string(to));
		for (k = 0; k < 4; k++) {
			json_object *f;

			if (json_object_object_get_ex(rep, keys[k], &f))
				json_object_object_add(wk, keys[k], compact(f));
		}
		json_object_array_add(arr, wk);
		json_object_put(rep);
	}
	return out;
usage_out:
	if (usage)
		*usage = 1;
	return NULL;
}

/* Eight levels of a block sparkline, scaled to the series' maximum. */
static void spark(FILE *o, json_object *arr, const char *key)
{
	static const char *const bars[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
	double max = 0, v;
	size_t i, n = json_object_array_length(arr);
	json_object *f, *val;

	for (i = 0; i < n; i++)
		if (json_object_object_get_ex(json_object_array_get_idx(arr, i), key, &f) &&
		    json_object_object_get_ex(f, "value", &val) && val &&
		    (v = json_object_get_double(val)) > max)
			max = v;
	for (i = 0; i < n; i++) {
		if (!json_object_object_get_ex(json_object_array_get_idx(arr, i), key, &f) ||
		    !json_object_object_get_ex(f, "value", &val) || !val) {
			fputs("·", o);
			continue;
		}
		v = json_object_get_double(val);
		fputs(bars[max > 0 ? (int)(v / max * 7 + 0.5) : 0], o);
	}
}

void dora_weekly_print(FILE *o, json_object *trend)
{
	static const char *const names[] = {"deployment frequency", "lead time",
					    "change failure rate", "recovery time"};
	json_object *arr, *f, *d;
	size_t i, k, n;

	if (!json_object_object_get_ex(trend, "weeks", &arr))
		return;
	n = json_object_array_length(arr);
	fprintf(o, "%-11s", "WEEK");
	for (k = 0; k < 4; k++)
		fprintf(o, " %-22s", names[k]);
	fputc('\n', o);
	for (i = 0; i < n; i++) {
		json_object *wk = json_object_array_get_idx(arr, i), *from;

		json_object_object_get_ex(wk, "from", &from);
		fprintf(o, "%-11s", json_object_get_string(from));
		for (k = 0; k < 4; k++) {
			const char *s = "-";

			if (json_object_object_get_ex(wk, keys[k], &f) &&
			    json_object_object_get_ex(f, "display", &d) && d)
				s = json_object_get_string(d);
			fprintf(o, " %-22s", s);
		}
		fputc('\n', o);
	}
	fputc('\n', o);
	for (k = 0; k < 4; k++) {
		fprintf(o, "%-22s ", names[k]);
		spark(o, arr, keys[k]);
		fputc('\n', o);
	}
	fprintf(o, "(one column per week, oldest first; · = no value that week)\n");
}
