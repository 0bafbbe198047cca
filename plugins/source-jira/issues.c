/*
 * source-jira issues: the issue walks over POST /rest/api/3/search/jql,
 * complete changelogs, dev-status links and the key-set reconciliation.
 *
 * State keys (values are text; "" = absent):
 *   synced      {"projects":[ids],"watermark":ISO,"pending_max":ISO,
 *                "syncs":N}  projects synced so far, the newest `updated`
 *               loaded, syncs since the last reconciliation
 *   search      checkpoint of the walk in progress, written with every
 *               issues page: {"kind":"new"|"inc","projects":"id,id",
 *               "jql","token","max":ISO,"prev":ISO,"pending":ranges,
 *               "done":bool}
 *   known:PID   ids of the issues of project PID seen so far (ranges)
 *   dev_retry   issues whose dev-status could not be read (ranges)
 *
 * A walk is either "new" (projects never synced: every issue, or those
 * updated since `since`) or "inc" (projects synced before: updated since
 * the watermark minus JR_OVERLAP_S, as a JQL literal in the API user's
 * time zone). Results come ORDER BY updated ASC, so the newest `updated`
 * seen so far is a safe restart point when a nextPageToken is refused.
 */
#define _GNU_SOURCE 1

#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "jira.h"

#define SEARCH_PAGE 100       /* Jira's cap when fields are requested */
#define IDS_PAGE 5000         /* id-only searches may return 5000 */
#define BULK_IDS 1000         /* /changelog/bulkfetch limit per request */
#define BULK_HISTORIES 1000   /* histories per bulkfetch page */
#define CHANGELOG_PAGE 100
#define DEV_TRIP 3            /* consecutive failures that stop dev-status */
#define DEV_RETRY_MAX 50000   /* issues remembered for a dev-status retry */
#define TZ_UNKNOWN_WIDEN_S (14 * 3600) /* the largest UTC offset */

struct walk {
	const char *kind;        /* "new" | "inc" */
	char *projects;          /* "id,id,..." */
	char *jql;
	char *token;             /* NULL: from the first page */
	int64_t max;             /* newest `updated` seen (ms) */
	int64_t prev;            /* watermark before the walk; JR_NO_TIME */
	int64_t lower;           /* the JQL's bound (ms); JR_NO_TIME: none */
	struct jr_ids pending;   /* issues whose changelog is incomplete */
	int done;
	int fell_back;
};

/* What the sync collects beside the pages. */
struct seen {
	struct jr_ids *by_proj;   /* ids seen, per g->proj entry */
	struct jr_ids dev_retry;  /* dev-status that failed last time */
	struct jr_ids dev_failed; /* ... and this time (saved for the next) */
	struct jr_ids dev_done;   /* asked this run (whatever the answer) */
};

/* ------------------------------------------------------------ state */

static char *state(struct jr *g, const char *key)
{
	char *v = jr_api->state_get(g->job, key);

	if (v && !*v) {
		jr_api->free(v);
		v = NULL;
	}
	return v;
}

static struct json_object *state_json(struct jr *g, const char *key)
{
	char *v = state(g, key);
	struct json_object *o = v ? json_tokener_parse(v) : NULL;

	jr_api->free(v);
	if (o && !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		o = NULL;
	}
	return o;
}

static int32_t state_ids_put(struct jr *g, const char *key, struct jr_ids *s)
{
	char *text;
	int32_t rc;

	jr_ids_sort(s);
	if (!(text = jr_ids_format(s)))
		return jr_oom(g);
	rc = jr_api->state_set(g->job, key, text);
	free(text);
	return rc;
}

static int32_t state_ids_get(struct jr *g, const char *key, struct jr_ids *s)
{
	char *v = state(g, key);
	int bad = v && jr_ids_parse(s, v) < 0;

	if (bad)
		jr_api->log(jr_host, PULSE_LOG_WARN, "state_ignored key=%s "
			    "reason=\"not an id list\"", key);
	jr_api->free(v);
	jr_ids_sort(s);
	return PULSE_OK;
}

static void put_time(struct json_object *o, const char *key, int64_t ms)
{
	char buf[40];

	if (ms == JR_NO_TIME) {
		json_object_object_add(o, key, NULL);
		return;
	}
	jr_format_utc(ms, buf, sizeof(buf));
	json_object_object_add(o, key, json_object_new_string(buf));
}

static int64_t max_time(int64_t a, int64_t b)
{
	if (a == JR_NO_TIME)
		return b;
	if (b == JR_NO_TIME)
		return a;
	return a > b ? a : b;
}

/* ------------------------------------------------------------ JQL */

/* `project in (...) [AND updated >= "..."] ORDER BY updated ASC`. The
 * literal is the bound in the user's zone, rounded down to the minute;
 * with the zone unknown, the UTC time 14 h earlier (no zone is further
 * ahead of UTC), so nothing is missed. */
static char *build_jql(struct jr *g, const char *projects, int64_t lower)
{
	char lit[40];

	if (lower == JR_NO_TIME)
		return jr_asprintf("project in (%s) ORDER BY updated ASC", projects);
	if (g->tz)
		jr_tz_jql(g->tz, lower, lit, sizeof(lit));
	else
		jr_tz_jql(NULL, lower - (int64_t)TZ_UNKNOWN_WIDEN_S * 1000, lit,
			  sizeof(lit));
	return jr_asprintf("project in (%s) AND updated >= \"%s\" ORDER BY "
			   "updated ASC", projects, lit);
}

/* The fields every issue page asks for (Jira sends only id/key without). */
static struct json_object *field_list(struct jr *g)
{
	static const char *const base[] = {"summary", "issuetype", "project",
		"status", "priority", "assignee", "reporter", "created",
		"updated", "resolutiondate", "labels", "parent", NULL};
	struct json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; a && base[i]; i++)
		json_object_array_add(a, json_object_new_string(base[i]));
	if (a && g->sprint_field[0])
		json_object_array_add(a, json_object_new_string(g->sprint_field));
	if (a && g->points_field[0])
		json_object_array_add(a, json_object_new_string(g->points_field));
	return a;
}

/* ------------------------------------------------------------ changelogs */

/* GET /issue/{id}/changelog, all pages (when bulkfetch is not there). */
static int32_t issue_changelog(struct jr *g, int64_t id)
{
	char params[64];
	int64_t start = 0;
	int32_t rc = PULSE_OK;

	snprintf(params, sizeof(params), "{\"issue_id\":\"%" PRId64 "\"}", id);
	for (;;) {
		char *url = jr_asprintf("%s/rest/api/3/issue/%" PRId64 "/changelog?"
					"startAt=%" PRId64 "&maxResults=%d", g->base, id,
					start, CHANGELOG_PAGE);
		pulse_http_response *r = NULL;
		struct json_object *o = NULL, *vals;
		size_t n = 0;
		int last = 1;

		if (!url)
			return jr_oom(g);
		rc = jr_call(g, "GET", url, NULL, PULSE_HTTP_JSON, &r);
		if (rc == PULSE_OK && jr_api->http_status(r) == 404) {
			/* deleted since the search: the reconciliation finds it */
			jr_api->log(jr_host, PULSE_LOG_DEBUG, "issue=%" PRId64
				    " changelog=gone", id);
		} else if (rc == PULSE_OK && jr_api->http_status(r) != 200) {
			char msg[300];

			jr_errmsg(r, msg, sizeof(msg));
			rc = jr_api->fail(g->job, PULSE_ERR_PERMANENT, "the changelog of "
					  "issue %" PRId64 " could not be read (HTTP %u: %s)",
					  id, jr_api->http_status(r), msg);
		} else if (rc == PULSE_OK) {
			rc = jr_store(g, JR_RAW_ISSUE_CHANGELOG, "GET", url, params, r,
				      NULL, NULL);
			o = jr_body(r);
			vals = pj_arr(o, "values");
			n = vals ? json_object_array_length(vals) : 0;
			last = pj_bool(o, "isLast", 1) || n == 0;
		}
		json_object_put(o);
		jr_api->http_release(r);
		free(url);
		if (rc != PULSE_OK || last)
			return rc;
		start += (int64_t)n;
	}
}

/* POST /changelog/bulkfetch for up to BULK_IDS issues, every page. Returns
 * 1 when the endpoint is not there (the caller falls back). */
static int32_t bulk_changelogs(struct jr *g, const int64_t *ids, size_t n)
{
	char *url = jr_asprintf("%s/rest/api/3/changelog/bulkfetch", g->base);
	struct json_object *body = json_object_new_object(), *arr;
	char *token = NULL;
	size_t i;
	int32_t rc = PULSE_OK;

	arr = json_object_new_array();
	if (!url || !body || !arr) {
		json_object_put(arr);
		rc = jr_oom(g);
		goto out;
	}
	for (i = 0; i < n; i++) {
		char b[32];

		snprintf(b, sizeof(b), "%" PRId64, ids[i]);
		json_object_array_add(arr, json_object_new_string(b));
	}
	json_object_object_add(body, "issueIdsOrKeys", arr);
	json_object_object_add(body, "maxResults", json_object_new_int(BULK_HISTORIES));
	for (;;) {
		pulse_http_response *r = NULL;
		struct json_object *o;
		const char *next;
		uint32_t st;

		if (token)
			json_object_object_add(body, "nextPageToken",
					       json_object_new_string(token));
		if ((rc = jr_call(g, "POST", url, body, PULSE_HTTP_JSON, &r)) != PULSE_OK)
			goto out;
		st = jr_api->http_status(r);
		if (st == 404 || st == 405 || st == 501) {
			jr_api->log(jr_host, PULSE_LOG_INFO, "changelog_bulkfetch=absent "
				    "status=%u fallback=per_issue", st);
			jr_api->http_release(r);
			rc = 1;
			goto out;
		}
		if (st != 200) {
			char msg[300];

			jr_errmsg(r, msg, sizeof(msg));
			rc = jr_api->fail(g->job, st >= 500 ? PULSE_ERR_TRANSIENT :
					  PULSE_ERR_PERMANENT, "Jira refused the bulk "
					  "changelog request (HTTP %u: %s)", st, msg);
			jr_api->http_release(r);
			goto out;
		}
		rc = jr_store(g, JR_RAW_CHANGELOGS, "POST", url, NULL, r, NULL, NULL);
		o = jr_body(r);
		next = pj_str(o, "nextPageToken");
		free(token);
		token = next && *next ? strdup(next) : NULL;
		json_object_put(o);
		jr_api->http_release(r);
		if (rc != PULSE_OK || !token)
			goto out;
	}
out:
	free(token);
	free(url);
	json_object_put(body);
	return rc;
}

/* Complete changelogs of the pending issues, then forget them. */
static int32_t flush_changelogs(struct jr *g, struct jr_ids *pending)
{
	size_t i = 0, k;
	int32_t rc = PULSE_OK;
	char step[160];

	jr_ids_sort(pending);
	snprintf(step, sizeof(step), "%.120s (complete changelogs)", g->prog_step);
	if (pending->n)
		jr_api->progress(g->job, step, g->prog_done, g->prog_total);
	while (i < pending->n && rc == PULSE_OK) {
		size_t n = pending->n - i < BULK_IDS ? pending->n - i : BULK_IDS;

		rc = g->bulk_unsupported ? 1 : bulk_changelogs(g, pending->v + i, n);
		if (rc == 1) {
			g->bulk_unsupported = 1;
			rc = PULSE_OK;
			for (k = 0; k < n && rc == PULSE_OK; k++)
				rc = issue_changelog(g, pending->v[i + k]);
		}
		i += n;
	}
	if (rc == PULSE_OK)
		pending->n = 0;
	if (g->prog_step[0])
		jr_api->progress(g->job, g->prog_step, g->prog_done, g->prog_total);
	return rc;
}

/* ------------------------------------------------------------ dev-status */

/* Best effort: an answer other than a JSON 200 is logged and the issue is
 * kept for the next run; DEV_TRIP failures in a row stop dev-status for
 * this run (the API is undocumented and may be missing). Only a failure
 * of the host's own (5xx after every retry, a dropped connection) reaches
 * the job's error. */
static int32_t dev_status(struct jr *g, struct seen *s, int64_t id)
{
	char *url = NULL, params[64];
	pulse_http_response *r = NULL;
	struct json_object *o = NULL, *detail;
	size_t i, prs = 0;
	uint32_t st = 0;
	int32_t rc = PULSE_OK;
	int ok = 0;

	if (!g->dev_status && !g->dev_tripped)
		return PULSE_OK; /* switched off in the configuration */
	if (jr_ids_add(&s->dev_done, id) < 0)
		return jr_oom(g);
	if (g->dev_tripped) {
		if (s->dev_failed.n < DEV_RETRY_MAX && jr_ids_add(&s->dev_failed, id) < 0)
			return jr_oom(g);
		return PULSE_OK;
	}
	url = jr_asprintf("%s/rest/dev-status/1.0/issue/detail?issueId=%" PRId64
			  "&applicationType=GitHub&dataType=pullrequest", g->base, id);
	if (!url)
		return jr_oom(g);
	/* no PULSE_HTTP_JSON: a broken body is ours to skip, not a retry */
	if (jr_call(g, "GET", url, NULL, 0, &r) == PULSE_OK) {
		st = jr_api->http_status(r);
		o = st == 200 ? jr_body(r) : NULL;
		detail = pj_arr(o, "detail");
		ok = detail != NULL;
		for (i = 0; detail && i < json_object_array_length(detail); i++) {
			struct json_object *p = pj_arr(json_object_array_get_idx(detail, i),
						       "pullRequests");

			prs += p ? json_object_array_length(p) : 0;
		}
	}
	if (ok) {
		g->dev_fail_run = 0;
		/* Answers without links are not kept: nothing to load. */
		if (prs) {
			snprintf(params, sizeof(params), "{\"issue_id\":\"%" PRId64 "\"}", id);
			rc = jr_store(g, JR_RAW_DEV_STATUS, "GET", url, params, r, NULL, NULL);
			g->dev_pages++;
		}
		goto out;
	}
	g->dev_failures++;
	if (s->dev_failed.n < DEV_RETRY_MAX && jr_ids_add(&s->dev_failed, id) < 0) {
		rc = jr_oom(g);
		goto out;
	}
	jr_api->log(jr_host, PULSE_LOG_WARN, "dev_status_failed issue=%" PRId64
		    " status=%u effect=\"retried next sync\"", id, st);
	if (++g->dev_fail_run >= DEV_TRIP) {
		g->dev_status = 0;
		g->dev_tripped = 1;
		jr_api->log(jr_host, PULSE_LOG_WARN, "dev_status_disabled failures=%d "
			    "effect=\"issue-PR links of this run are read next sync\"",
			    g->dev_fail_run);
	}
out:
	json_object_put(o);
	jr_api->http_release(r);
	free(url);
	return rc;
}

/* ------------------------------------------------------------ walks */

static void walk_free(struct walk *w)
{
	free(w->projects);
	free(w->jql);
	free(w->token);
	jr_ids_free(&w->pending);
}

/* The checkpoint text of w, with the next token (NULL = none). */
static char *checkpoint(const struct walk *w, const char *next, int done)
{
	struct json_object *o = json_object_new_object();
	char *pending = jr_ids_format(&w->pending), *out = NULL;

	if (!o || !pending)
		goto out;
	json_object_object_add(o, "kind", json_object_new_string(w->kind));
	json_object_object_add(o, "projects", json_object_new_string(w->projects));
	json_object_object_add(o, "jql", json_object_new_string(w->jql));
	json_object_object_add(o, "token", next ? json_object_new_string(next) : NULL);
	put_time(o, "max", w->max);
	put_time(o, "prev", w->prev);
	put_time(o, "lower", w->lower);
	json_object_object_add(o, "pending", json_object_new_string(pending));
	json_object_object_add(o, "done", json_object_new_boolean(done));
	out = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
out:
	free(pending);
	json_object_put(o);
	return out;
}

static int64_t ck_time(struct json_object *ck, const char *key)
{
	const char *s = pj_str(ck, key);

	return s ? jr_parse_time_ms(s) : JR_NO_TIME;
}

/* Resume w from checkpoint ck if it is a checkpoint of the same walk. */
static int resume(struct walk *w, struct json_object *ck)
{
	const char *kind = pj_str(ck, "kind"), *projects = pj_str(ck, "projects");
	const char *jql = pj_str(ck, "jql"), *token = pj_str(ck, "token");

	if (!kind || !projects || !jql || strcmp(kind, w->kind) != 0 ||
	    strcmp(projects, w->projects) != 0)
		return 0;
	free(w->jql);
	w->jql = strdup(jql);
	w->token = token && *token ? strdup(token) : NULL;
	w->max = ck_time(ck, "max");
	w->prev = ck_time(ck, "prev");
	w->lower = ck_time(ck, "lower");
	w->done = pj_bool(ck, "done", 0);
	if (jr_ids_parse(&w->pending, pj_str(ck, "pending")) < 0)
		w->pending.n = 0;
	return w->jql != NULL;
}

static struct jr_ids *proj_set(struct jr *g, struct seen *s, const char *pid)
{
	size_t i;

	for (i = 0; pid && i < g->nproj; i++)
		if (strcmp(g->proj[i].id, pid) == 0)
			return &s->by_proj[i];
	return NULL;
}

/* Look at one issue of a page: watermark, project, incomplete changelog,
 * dev-status. */
static int32_t see_issue(struct jr *g, struct seen *s, struct walk *w,
			 struct json_object *iss)
{
	struct json_object *f = pj_obj(iss, "fields"), *cl = pj_obj(iss, "changelog");
	struct json_object *hs = pj_arr(cl, "histories");
	char idb[32], pb[32];
	const char *ids = jr_idstr(iss, "id", idb, sizeof(idb));
	const char *pid = jr_idstr(pj_obj(f, "project"), "id", pb, sizeof(pb));
	int64_t id = ids ? strtoll(ids, NULL, 10) : 0, upd, oldest = JR_NO_TIME;
	int64_t total, n = hs ? (int64_t)json_object_array_length(hs) : 0, k;
	struct jr_ids *set;

	if (id <= 0)
		return PULSE_OK;
	upd = jr_parse_time_ms(pj_str(f, "updated"));
	w->max = max_time(w->max, upd);
	if ((set = proj_set(g, s, pid)) && jr_ids_add(set, id) < 0)
		return jr_oom(g);
	/* The search embeds only the newest histories (about 20). More exist
	 * when total says so; they matter unless the oldest embedded one is
	 * already older than what the last sync saw. */
	total = pj_int(cl, "total", n);
	for (k = 0; k < n; k++) {
		int64_t t = jr_parse_time_ms(pj_str(json_object_array_get_idx(hs, (size_t)k),
						   "created"));

		if (t != JR_NO_TIME && (oldest == JR_NO_TIME || t < oldest))
			oldest = t;
	}
	if (total > n && (w->prev == JR_NO_TIME || oldest == JR_NO_TIME ||
			  oldest >= w->prev - (int64_t)JR_OVERLAP_S * 1000) &&
	    jr_ids_add(&w->pending, id) < 0)
		return jr_oom(g);
	return dev_status(g, s, id);
}

/* Walk every page of w's search, storing each with its checkpoint. */
static int32_t run_walk(struct jr *g, struct seen *s, struct walk *w)
{
	char *url = jr_asprintf("%s/rest/api/3/search/jql", g->base);
	struct json_object *fields = field_list(g);
	char *params = NULL;
	uint64_t total = 0, before = g->issues;
	int32_t rc = PULSE_OK;
	char step[160];

	snprintf(step, sizeof(step), "issues (%s)", strcmp(w->kind, "new") == 0 ?
		 "full" : "changed since the last sync");
	if (!url || !fields) {
		rc = jr_oom(g);
		goto out;
	}
	/* A count for the progress bar (Jira search pages have no total). */
	if (!w->done && !w->token) {
		struct json_object *b = json_object_new_object();
		pulse_http_response *r = NULL;
		char *curl = jr_asprintf("%s/rest/api/3/search/approximate-count", g->base);

		if (b && curl) {
			json_object_object_add(b, "jql", json_object_new_string(w->jql));
			if (jr_call(g, "POST", curl, b, PULSE_HTTP_JSON, &r) == PULSE_OK &&
			    jr_api->http_status(r) == 200) {
				struct json_object *o = jr_body(r);

				total = (uint64_t)pj_int(o, "count", 0);
				json_object_put(o);
			}
		}
		jr_api->http_release(r);
		json_object_put(b);
		free(curl);
	}
	jr_progress(g, step, 0, total);
	{
		/* the bound as sent (the JQL itself is in the pages' params) */
		const char *q = strstr(w->jql, "updated >= \"");
		int len = q ? (int)strcspn(q + 12, "\"") : 0;

		jr_api->log(jr_host, PULSE_LOG_INFO, "walk=%s projects=%s "
			    "updated_from=\"%.*s\" timezone=%s resumed=%d", w->kind,
			    w->projects, len, q ? q + 12 : "", g->tzname[0] ?
			    g->tzname : "unknown", w->token != NULL || w->done);
	}
	while (!w->done) {
		struct json_object *body = json_object_new_object(), *o = NULL, *arr;
		pulse_http_response *r = NULL;
		const char *next = NULL;
		char *ck = NULL;
		size_t i, n;
		uint32_t st;

		if (jr_api->cancelled(g->job)) {
			json_object_put(body);
			rc = jr_api->fail(g->job, PULSE_ERR_CANCELLED, "stopped while "
					  "reading issues; the next run resumes here");
			goto out;
		}
		if (!body) {
			rc = jr_oom(g);
			goto out;
		}
		json_object_object_add(body, "jql", json_object_new_string(w->jql));
		json_object_object_add(body, "fields", json_object_get(fields));
		json_object_object_add(body, "expand", json_object_new_string("changelog"));
		json_object_object_add(body, "maxResults", json_object_new_int(SEARCH_PAGE));
		if (w->token)
			json_object_object_add(body, "nextPageToken",
					       json_object_new_string(w->token));
		rc = jr_call(g, "POST", url, body, PULSE_HTTP_JSON, &r);
		json_object_put(body);
		if (rc != PULSE_OK)
			goto out;
		st = jr_api->http_status(r);
		if (st == 400 && w->token && !w->fell_back) {
			char msg[300];

			/* Tokens expire after 7 days: restart from the newest
			 * `updated` stored (results are in that order). */
			jr_errmsg(r, msg, sizeof(msg));
			jr_api->http_release(r);
			jr_api->log(jr_host, PULSE_LOG_WARN, "search_token_rejected "
				    "message=\"%s\" effect=\"restart from the watermark\"", msg);
			w->fell_back = 1;
			free(w->token);
			w->token = NULL;
			if (w->max != JR_NO_TIME)
				w->lower = w->max - (int64_t)JR_OVERLAP_S * 1000;
			free(w->jql);
			if (!(w->jql = build_jql(g, w->projects, w->lower))) {
				rc = jr_oom(g);
				goto out;
			}
			continue;
		}
		if (st != 200) {
			char msg[400];

			jr_errmsg(r, msg, sizeof(msg));
			jr_api->http_release(r);
			rc = jr_api->fail(g->job, st >= 500 ? PULSE_ERR_TRANSIENT :
					  PULSE_ERR_PERMANENT, "Jira rejected the issue "
					  "search (HTTP %u%s%s); JQL: %s%s", st,
					  msg[0] ? ": " : "", msg, w->jql, st == 410 ?
					  " (this endpoint should never be gone: report it)" :
					  st == 400 ? "; check `projects`" : "");
			goto out;
		}
		o = jr_body(r);
		arr = pj_arr(o, "issues");
		n = arr ? json_object_array_length(arr) : 0;
		for (i = 0; i < n && rc == PULSE_OK; i++)
			rc = see_issue(g, s, w, json_object_array_get_idx(arr, i));
		if (rc == PULSE_OK && w->pending.n >= BULK_IDS)
			rc = flush_changelogs(g, &w->pending);
		if (rc == PULSE_OK) {
			next = pj_bool(o, "isLast", 0) ? NULL : pj_str(o, "nextPageToken");
			if (next && !*next)
				next = NULL;
			w->done = next == NULL;
			ck = checkpoint(w, next, w->done);
			if (!params) {
				struct json_object *p = json_object_new_object();

				if (p) {
					json_object_object_add(p, "jql", json_object_new_string(w->jql));
					json_object_object_add(p, "sprint_field",
						json_object_new_string(g->sprint_field));
					json_object_object_add(p, "points_field",
						json_object_new_string(g->points_field));
					params = strdup(json_object_to_json_string_ext(p,
							JSON_C_TO_STRING_PLAIN));
					json_object_put(p);
				}
			}
			rc = ck && params ? jr_store(g, JR_RAW_ISSUES, "POST", url, params, r,
						   "search", ck) : jr_oom(g);
		}
		if (rc == PULSE_OK) {
			free(w->token);
			w->token = next ? strdup(next) : NULL;
			if (next && !w->token)
				rc = jr_oom(g);
		}
		g->issues += n;
		free(ck);
		json_object_put(o);
		jr_api->http_release(r);
		if (rc != PULSE_OK)
			goto out;
		jr_progress(g, step, g->issues - before, total > g->issues - before ?
			    total : g->issues - before);
	}
	rc = flush_changelogs(g, &w->pending);
out:
	json_object_put(fields);
	free(params);
	free(url);
	return rc;
}

/* ------------------------------------------------------------ reconcile */

/* Every issue id of the scope (ids only, 5000 a page); ids missing from
 * what was seen before were deleted in Jira (or hidden from the account):
 * the last page is stored with {"deleted":[ids]} for the transform. */
static int32_t reconcile(struct jr *g, struct seen *s, struct jr_ids *known)
{
	char *url = jr_asprintf("%s/rest/api/3/search/jql", g->base);
	struct jr_ids all = {0}, gone = {0};
	struct json_object *fields = json_object_new_array();
	pulse_http_response *held = NULL;
	char *params = NULL;
	size_t p, i;
	int32_t rc = PULSE_OK;

	if (!url || !fields) {
		rc = jr_oom(g);
		goto out;
	}
	json_object_array_add(fields, json_object_new_string("id"));
	jr_progress(g, "looking for issues deleted in Jira", 0, g->nproj);
	for (p = 0; p < g->nproj; p++) {
		char *jql = jr_asprintf("project = %s ORDER BY key ASC", g->proj[p].id);
		char *token = NULL;

		if (!jql) {
			rc = jr_oom(g);
			goto out;
		}
		known[p].n = 0; /* rebuilt from this walk */
		for (;;) {
			struct json_object *body = json_object_new_object(), *o, *arr;
			pulse_http_response *r = NULL;
			const char *next;
			size_t n;

			if (!body) {
				rc = jr_oom(g);
				break;
			}
			json_object_object_add(body, "jql", json_object_new_string(jql));
			json_object_object_add(body, "fields", json_object_get(fields));
			json_object_object_add(body, "maxResults", json_object_new_int(IDS_PAGE));
			if (token)
				json_object_object_add(body, "nextPageToken",
						       json_object_new_string(token));
			rc = jr_call(g, "POST", url, body, PULSE_HTTP_JSON, &r);
			json_object_put(body);
			if (rc != PULSE_OK)
				break;
			if (jr_api->http_status(r) != 200) {
				char msg[300];

				jr_errmsg(r, msg, sizeof(msg));
				rc = jr_api->fail(g->job, jr_api->http_status(r) >= 500 ?
						  PULSE_ERR_TRANSIENT : PULSE_ERR_PERMANENT,
						  "the id search of project %s failed (HTTP %u: "
						  "%s)", g->proj[p].key, jr_api->http_status(r), msg);
				jr_api->http_release(r);
				break;
			}
			o = jr_body(r);
			arr = pj_arr(o, "issues");
			n = arr ? json_object_array_length(arr) : 0;
			for (i = 0; i < n && rc == PULSE_OK; i++) {
				char b[32];
				const char *ids = jr_idstr(json_object_array_get_idx(arr, i),
							   "id", b, sizeof(b));
				int64_t id = ids ? strtoll(ids, NULL, 10) : 0;

				if (id > 0 && (jr_ids_add(&all, id) < 0 ||
					       jr_ids_add(&known[p], id) < 0))
					rc = jr_oom(g);
			}
			next = pj_bool(o, "isLast", 0) ? NULL : pj_str(o, "nextPageToken");
			free(token);
			token = next && *next ? strdup(next) : NULL;
			json_object_put(o);
			/* Hold the newest page: the last one carries the result. */
			if (rc == PULSE_OK && held)
				rc = jr_store(g, JR_RAW_ISSUE_IDS, "POST", url, NULL, held,
					      NULL, NULL);
			jr_api->http_release(held);
			held = r;
			if (rc != PULSE_OK || !token)
				break;
		}
		free(token);
		free(jql);
		if (rc != PULSE_OK)
			goto out;
		jr_progress(g, "looking for issues deleted in Jira", p + 1, g->nproj);
	}
	jr_ids_sort(&all);
	/* Issues the walks just saw count as present (created meanwhile). */
	for (p = 0; p < g->nproj; p++)
		for (i = 0; i < s->by_proj[p].n; i++)
			if (jr_ids_add(&known[p], s->by_proj[p].v[i]) < 0 ||
			    jr_ids_add(&all, s->by_proj[p].v[i]) < 0) {
				rc = jr_oom(g);
				goto out;
			}
	jr_ids_sort(&all);
	for (p = 0; p < g->nproj; p++) {
		struct jr_ids before = {0};
		char key[64];

		snprintf(key, sizeof(key), "known:%s", g->proj[p].id);
		state_ids_get(g, key, &before);
		for (i = 0; i < before.n; i++)
			if (!jr_ids_has(&all, before.v[i]) &&
			    jr_ids_add(&gone, before.v[i]) < 0)
				rc = jr_oom(g);
		jr_ids_free(&before);
		if (rc != PULSE_OK)
			goto out;
	}
	jr_ids_sort(&gone);
	if (all.n == 0 && gone.n > 0) {
		/* Everything vanished at once: more likely lost permissions
		 * than a deleted site. Delete nothing; say so. */
		jr_api->log(jr_host, PULSE_LOG_WARN, "reconcile_refused known=%zu "
			    "found=0 reason=\"no issue is visible; check the "
			    "account's permissions\"", gone.n);
		gone.n = 0;
	}
	if (held) {
		struct json_object *o = json_object_new_object();
		struct json_object *d = json_object_new_array();

		for (i = 0; d && i < gone.n; i++) {
			char b[32];

			snprintf(b, sizeof(b), "%" PRId64, gone.v[i]);
			json_object_array_add(d, json_object_new_string(b));
		}
		if (o && d) {
			json_object_object_add(o, "deleted", d);
			d = NULL;
			params = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		}
		json_object_put(d);
		json_object_put(o);
		rc = params ? jr_store(g, JR_RAW_ISSUE_IDS, "POST", url, params, held,
				       NULL, NULL) : jr_oom(g);
	}
	jr_api->log(jr_host, PULSE_LOG_INFO, "reconcile issues=%zu deleted=%zu",
		    all.n, gone.n);
out:
	jr_api->http_release(held);
	json_object_put(fields);
	jr_ids_free(&all);
	jr_ids_free(&gone);
	free(params);
	free(url);
	return rc;
}

/* ------------------------------------------------------------ the sync */

/* Is id one of the items of "a,b,c"? */
static int csv_has(const char *csv, const char *id)
{
	size_t n = strlen(id);
	const char *p;

	for (p = csv; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (strncmp(p, id, n) == 0 && (p[n] == ',' || p[n] == '\0'))
			return 1;
	return 0;
}

static int listed(struct json_object *arr, const char *id)
{
	size_t i;

	for (i = 0; arr && i < json_object_array_length(arr); i++)
		if (strcmp(json_object_get_string(json_object_array_get_idx(arr, i)), id) == 0)
			return 1;
	return 0;
}

static int32_t save_synced(struct jr *g, struct json_object *projects,
			   int64_t wm, int64_t pending_max, int64_t syncs)
{
	struct json_object *o = json_object_new_object();
	int32_t rc;

	if (!o)
		return jr_oom(g);
	json_object_object_add(o, "projects", json_object_get(projects));
	put_time(o, "watermark", wm);
	put_time(o, "pending_max", pending_max);
	json_object_object_add(o, "syncs", json_object_new_int64(syncs));
	rc = jr_api->state_set(g->job, "synced",
			       json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return rc;
}

/* "id,id" of the scope's projects for which in_synced is `want`. */
static char *project_list(struct jr *g, struct json_object *synced_projects,
			  int want)
{
	size_t i, len = 0;
	char *out = malloc(g->nproj * 33 + 1);

	if (!out)
		return NULL;
	out[0] = '\0';
	for (i = 0; i < g->nproj; i++)
		if (listed(synced_projects, g->proj[i].id) == want)
			len += (size_t)sprintf(out + len, "%s%s", len ? "," : "",
					       g->proj[i].id);
	return out;
}

int32_t jr_sync_issues(struct jr *g)
{
	struct json_object *synced = state_json(g, "synced");
	struct json_object *ck = state_json(g, "search");
	struct json_object *sp = pj_arr(synced, "projects"), *nsp = NULL;
	int64_t wm = ck_time(synced, "watermark"), pmax = ck_time(synced, "pending_max");
	int64_t syncs = pj_int(synced, "syncs", 0);
	int64_t every = jr_api->config_int(g->job, "reconcile_every",
					   JR_DEFAULT_RECONCILE_EVERY);
	struct walk w;
	struct seen s;
	struct jr_ids *known = NULL;
	char *newp = NULL, *oldp = NULL;
	size_t i, k;
	int reconciled = 0;
	int32_t rc = PULSE_OK;

	memset(&w, 0, sizeof(w));
	memset(&s, 0, sizeof(s));
	s.by_proj = calloc(g->nproj ? g->nproj : 1, sizeof(*s.by_proj));
	known = calloc(g->nproj ? g->nproj : 1, sizeof(*known));
	if (wm == JR_NO_TIME)
		sp = NULL; /* never completed: every project is new */
	newp = project_list(g, sp, 0);
	oldp = project_list(g, sp, 1);
	if (!s.by_proj || !known || !newp || !oldp) {
		rc = jr_oom(g);
		goto out;
	}
	state_ids_get(g, "dev_retry", &s.dev_retry);

	/* 1. Projects never synced: everything (or since `since`). */
	if (*newp) {
		w.kind = "new";
		w.projects = newp;
		newp = NULL;
		w.prev = JR_NO_TIME;
		w.max = JR_NO_TIME;
		w.lower = g->since_ms;
		if (!(ck && resume(&w, ck)) &&
		    !(w.jql = build_jql(g, w.projects, w.lower))) {
			rc = jr_oom(g);
			goto out;
		}
		if ((rc = run_walk(g, &s, &w)) != PULSE_OK)
			goto out;
		/* They are synced now; the watermark of the others stays
		 * until their own walk is done. */
		pmax = max_time(pmax, w.max);
		nsp = json_object_new_array();
		for (i = 0; nsp && i < g->nproj; i++)
			if (listed(sp, g->proj[i].id) || csv_has(w.projects, g->proj[i].id))
				json_object_array_add(nsp, json_object_new_string(g->proj[i].id));
		if (!nsp || (rc = save_synced(g, nsp, wm, pmax, syncs)) != PULSE_OK ||
		    (rc = jr_api->state_set(g->job, "search", "")) != PULSE_OK) {
			rc = nsp ? rc : jr_oom(g);
			goto out;
		}
		walk_free(&w);
		memset(&w, 0, sizeof(w));
	}
	/* 2. Projects synced before: what changed since the watermark. */
	if (*oldp) {
		w.kind = "inc";
		w.projects = oldp;
		oldp = NULL;
		w.prev = wm;
		w.max = JR_NO_TIME;
		w.lower = wm - (int64_t)JR_OVERLAP_S * 1000;
		if (!(ck && resume(&w, ck)) &&
		    !(w.jql = build_jql(g, w.projects, w.lower))) {
			rc = jr_oom(g);
			goto out;
		}
		if ((rc = run_walk(g, &s, &w)) != PULSE_OK)
			goto out;
	}
	/* 3. Issue-PR links that could not be read earlier. */
	jr_ids_sort(&s.dev_done);
	for (i = 0; i < s.dev_retry.n && rc == PULSE_OK; i++)
		if (!jr_ids_has(&s.dev_done, s.dev_retry.v[i]))
			rc = dev_status(g, &s, s.dev_retry.v[i]);
	if (rc != PULSE_OK)
		goto out;
	/* 4. Deleted issues, every `reconcile_every` syncs. */
	if (every > 0 && syncs + 1 >= every) {
		if ((rc = reconcile(g, &s, known)) != PULSE_OK)
			goto out;
		reconciled = 1;
	}
	/* 5. Remember the ids seen, the watermark, the scope. */
	for (k = 0; k < g->nproj; k++) {
		char key[64];

		snprintf(key, sizeof(key), "known:%s", g->proj[k].id);
		if (!reconciled)
			state_ids_get(g, key, &known[k]);
		for (i = 0; i < s.by_proj[k].n; i++)
			if (jr_ids_add(&known[k], s.by_proj[k].v[i]) < 0) {
				rc = jr_oom(g);
				goto out;
			}
		if ((rc = state_ids_put(g, key, &known[k])) != PULSE_OK)
			goto out;
	}
	/* Projects that left the scope: forget their ids (not deleted). */
	for (i = 0; sp && i < json_object_array_length(sp); i++) {
		const char *pid = json_object_get_string(json_object_array_get_idx(sp, i));
		char key[64];

		for (k = 0; k < g->nproj && strcmp(g->proj[k].id, pid) != 0; k++)
			;
		if (k < g->nproj)
			continue;
		snprintf(key, sizeof(key), "known:%s", pid);
		if ((rc = jr_api->state_set(g->job, key, "")) != PULSE_OK)
			goto out;
	}
	if ((rc = state_ids_put(g, "dev_retry", &s.dev_failed)) != PULSE_OK)
		goto out;
	json_object_put(nsp);
	nsp = json_object_new_array();
	for (i = 0; nsp && i < g->nproj; i++)
		json_object_array_add(nsp, json_object_new_string(g->proj[i].id));
	wm = max_time(max_time(wm, pmax), w.kind ? w.max : JR_NO_TIME);
	if (!nsp)
		rc = jr_oom(g);
	else if ((rc = save_synced(g, nsp, wm, JR_NO_TIME,
				   reconciled ? 0 : syncs + 1)) == PULSE_OK)
		rc = jr_api->state_set(g->job, "search", "");
out:
	walk_free(&w);
	for (k = 0; s.by_proj && known && k < g->nproj; k++) {
		jr_ids_free(&s.by_proj[k]);
		jr_ids_free(&known[k]);
	}
	free(s.by_proj);
	free(known);
	jr_ids_free(&s.dev_retry);
	jr_ids_free(&s.dev_failed);
	jr_ids_free(&s.dev_done);
	json_object_put(nsp);
	json_object_put(synced);
	json_object_put(ck);
	free(newp);
	free(oldp);
	return rc;
}
