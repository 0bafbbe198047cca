/*
 * source-jira issues: the issue walks over POST /rest/api/3/search/jql and
 * the order of the sync (walks, changelogs, dev-status, reconciliation).
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
#define BULK_IDS 1000         /* /changelog/bulkfetch limit per request */
#define TZ_UNKNOWN_WIDEN_S (14 * 3600) /* the largest UTC offset */

struct walk {
	const char *kind;        /* "new" | "inc" */
	char *projects;          /* "id,id,..." */
	char *jql;
	char *token;             /* NULL: from the first page */
	int64_t max;             /* newest `updated` seen (ms) */
	int64_t prev;            /* watermark before the walk; KT_NO_TIME */
	int64_t lower;           /* the JQL's bound (ms); KT_NO_TIME: none */
	struct kt_ids pending;   /* issues whose changelog is incomplete */
	int done;
	int fell_back;
};

/* ------------------------------------------------------------ JQL */

/* `project in (...) [AND updated >= "..."] ORDER BY updated ASC`. The
 * literal is the bound in the user's zone, rounded down to the minute;
 * with the zone unknown, the UTC time 14 h earlier (no zone is further
 * ahead of UTC), so nothing is missed. */
static char *build_jql(struct jr *g, const char *projects, int64_t lower)
{
	char lit[40];

	if (lower == KT_NO_TIME)
		return kt_asprintf("project in (%s) ORDER BY updated ASC", projects);
	if (g->tz)
		jr_tz_jql(g->tz, lower, lit, sizeof(lit));
	else
		jr_tz_jql(NULL, lower - (int64_t)TZ_UNKNOWN_WIDEN_S * 1000, lit,
			  sizeof(lit));
	return kt_asprintf("project in (%s) AND updated >= \"%s\" ORDER BY "
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
	if (a && g->dev_field[0] && g->dev_status)
		json_object_array_add(a, json_object_new_string(g->dev_field));
	return a;
}

/* ------------------------------------------------------------ walks */

static void walk_free(struct walk *w)
{
	free(w->projects);
	free(w->jql);
	free(w->token);
	kt_ids_free(&w->pending);
}

/* The checkpoint text of w, with the next token (NULL = none). */
static char *checkpoint(const struct walk *w, const char *next, int done)
{
	struct json_object *o = json_object_new_object();
	char *pending = kt_ids_format(&w->pending), *out = NULL;

	if (!o || !pending)
		goto out;
	json_object_object_add(o, "kind", json_object_new_string(w->kind));
	json_object_object_add(o, "projects", json_object_new_string(w->projects));
	json_object_object_add(o, "jql", json_object_new_string(w->jql));
	json_object_object_add(o, "token", next ? json_object_new_string(next) : NULL);
	jr_put_time(o, "max", w->max);
	jr_put_time(o, "prev", w->prev);
	jr_put_time(o, "lower", w->lower);
	json_object_object_add(o, "pending", json_object_new_string(pending));
	json_object_object_add(o, "done", json_object_new_boolean(done));
	out = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
out:
	free(pending);
	json_object_put(o);
	return out;
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
	w->max = jr_get_time(ck, "max");
	w->prev = jr_get_time(ck, "prev");
	w->lower = jr_get_time(ck, "lower");
	w->done = pj_bool(ck, "done", 0);
	if (kt_ids_parse(&w->pending, pj_str(ck, "pending")) < 0)
		w->pending.n = 0;
	return w->jql != NULL;
}

static struct kt_ids *proj_set(struct jr *g, struct jr_seen *s, const char *pid)
{
	size_t i;

	for (i = 0; pid && i < g->nproj; i++)
		if (strcmp(g->proj[i].id, pid) == 0)
			return &s->by_proj[i];
	return NULL;
}

/* Look at one issue of a page: watermark, project, incomplete changelog,
 * dev-status. */
static int32_t see_issue(struct jr *g, struct jr_seen *s, struct walk *w,
			 struct json_object *iss)
{
	struct json_object *f = pj_obj(iss, "fields"), *cl = pj_obj(iss, "changelog");
	struct json_object *hs = pj_arr(cl, "histories");
	char idb[32], pb[32];
	const char *ids = jr_idstr(iss, "id", idb, sizeof(idb));
	const char *pid = jr_idstr(pj_obj(f, "project"), "id", pb, sizeof(pb));
	int64_t id = ids ? strtoll(ids, NULL, 10) : 0, upd, oldest = KT_NO_TIME;
	int64_t total, n = hs ? (int64_t)json_object_array_length(hs) : 0, k;
	struct kt_ids *set;

	if (id <= 0)
		return PULSE_OK;
	upd = kt_time_parse_ms(pj_str(f, "updated"));
	w->max = jr_max_time(w->max, upd);
	if ((set = proj_set(g, s, pid)) && kt_ids_add(set, id) < 0)
		return jr_oom(g);
	/* The search embeds only the newest histories (about 20). More exist
	 * when total says so; they matter unless the oldest embedded one is
	 * already older than what the last sync saw. */
	total = pj_int(cl, "total", n);
	for (k = 0; k < n; k++) {
		int64_t t = kt_time_parse_ms(pj_str(json_object_array_get_idx(hs, (size_t)k),
						   "created"));

		if (t != KT_NO_TIME && (oldest == KT_NO_TIME || t < oldest))
			oldest = t;
	}
	if (total > n && (w->prev == KT_NO_TIME || oldest == KT_NO_TIME ||
			  oldest >= w->prev - (int64_t)JR_OVERLAP_S * 1000) &&
	    kt_ids_add(&w->pending, id) < 0)
		return jr_oom(g);
	/* No pull requests by the issue's own summary: nothing to ask for
	 * (and nothing to retry this run). */
	if (jr_dev_summary_none(g, f))
		return kt_ids_add(&s->dev_done, id) < 0 ? jr_oom(g) : PULSE_OK;
	return jr_dev_status(g, s, id);
}

/* Jira's approximate issue count of jql; 0 when it cannot say. */
static uint64_t approx_count(struct jr *g, const char *jql)
{
	struct json_object *b = json_object_new_object();
	pulse_http_response *r = NULL;
	char *url = kt_asprintf("%s/rest/api/3/search/approximate-count", g->base);
	uint64_t total = 0;

	if (b && url) {
		json_object_object_add(b, "jql", json_object_new_string(jql));
		if (jr_call(g, "POST", url, b, PULSE_HTTP_JSON, &r) == PULSE_OK &&
		    jr_api->http_status(r) == 200) {
			struct json_object *o = kt_page_json(jr_api, r);

			total = (uint64_t)pj_int(o, "count", 0);
			json_object_put(o);
		}
	}
	jr_api->http_release(r);
	json_object_put(b);
	free(url);
	return total;
}

/* The request context of an issues page (malloc'ed; NULL: no memory):
 * the JQL and the custom fields the transform reads. */
static char *page_params(struct jr *g, const char *jql)
{
	struct json_object *p = json_object_new_object();
	char *out;

	if (!p)
		return NULL;
	json_object_object_add(p, "jql", json_object_new_string(jql));
	json_object_object_add(p, "sprint_field",
			       json_object_new_string(g->sprint_field));
	json_object_object_add(p, "points_field",
			       json_object_new_string(g->points_field));
	out = strdup(json_object_to_json_string_ext(p, JSON_C_TO_STRING_PLAIN));
	json_object_put(p);
	return out;
}

/* Walk every page of w's search, storing each with its checkpoint. */
static int32_t run_walk(struct jr *g, struct jr_seen *s, struct walk *w)
{
	char *url = kt_asprintf("%s/rest/api/3/search/jql", g->base);
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
	if (!w->done && !w->token)
		total = approx_count(g, w->jql);
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
			if (w->max != KT_NO_TIME)
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
		o = kt_page_json(jr_api, r);
		arr = pj_arr(o, "issues");
		n = arr ? json_object_array_length(arr) : 0;
		for (i = 0; i < n && rc == PULSE_OK; i++)
			rc = see_issue(g, s, w, json_object_array_get_idx(arr, i));
		if (rc == PULSE_OK && w->pending.n >= BULK_IDS)
			rc = jr_flush_changelogs(g, &w->pending);
		if (rc == PULSE_OK) {
			next = pj_bool(o, "isLast", 0) ? NULL : pj_str(o, "nextPageToken");
			if (next && !*next)
				next = NULL;
			w->done = next == NULL;
			ck = checkpoint(w, next, w->done);
			if (!params)
				params = page_params(g, w->jql);
			rc = ck && params ? kt_page_store(&g->pages, JR_RAW_ISSUES, "POST",
							  url, params, r, "search",
							  ck) : jr_oom(g);
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
	rc = jr_flush_changelogs(g, &w->pending);
out:
	json_object_put(fields);
	free(params);
	free(url);
	return rc;
}

/* Walk kind over projects ("id,id", taken over by w) from the checkpoint
 * ck when it belongs to this walk, else from the start: issues updated
 * since lower (KT_NO_TIME: all); prev is the watermark before it. */
static int32_t walk(struct jr *g, struct jr_seen *s, struct walk *w,
		    const char *kind, char *projects, int64_t prev,
		    int64_t lower, struct json_object *ck)
{
	w->kind = kind;
	w->projects = projects;
	w->prev = prev;
	w->max = KT_NO_TIME;
	w->lower = lower;
	if (!(ck && resume(w, ck)) &&
	    !(w->jql = build_jql(g, w->projects, w->lower)))
		return jr_oom(g);
	return run_walk(g, s, w);
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
	jr_put_time(o, "watermark", wm);
	jr_put_time(o, "pending_max", pending_max);
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
	struct json_object *synced = jr_state_json(g, "synced");
	struct json_object *ck = jr_state_json(g, "search");
	struct json_object *sp = pj_arr(synced, "projects"), *nsp = NULL;
	int64_t wm = jr_get_time(synced, "watermark");
	int64_t pmax = jr_get_time(synced, "pending_max");
	int64_t syncs = pj_int(synced, "syncs", 0);
	int64_t every = jr_api->config_int(g->job, "reconcile_every",
					   JR_DEFAULT_RECONCILE_EVERY);
	struct walk w;
	struct jr_seen s;
	struct kt_ids *known = NULL;
	char *newp = NULL, *oldp = NULL;
	size_t i, k;
	int reconciled = 0;
	int32_t rc = PULSE_OK;

	memset(&w, 0, sizeof(w));
	memset(&s, 0, sizeof(s));
	s.by_proj = calloc(g->nproj ? g->nproj : 1, sizeof(*s.by_proj));
	known = calloc(g->nproj ? g->nproj : 1, sizeof(*known));
	if (wm == KT_NO_TIME)
		sp = NULL; /* never completed: every project is new */
	newp = project_list(g, sp, 0);
	oldp = project_list(g, sp, 1);
	if (!s.by_proj || !known || !newp || !oldp) {
		rc = jr_oom(g);
		goto out;
	}
	jr_state_ids_get(g, "dev_retry", &s.dev_retry);

	/* 1. Projects never synced: everything (or since `since`). */
	if (*newp) {
		rc = walk(g, &s, &w, "new", newp, KT_NO_TIME, g->since_ms, ck);
		newp = NULL;
		if (rc != PULSE_OK)
			goto out;
		/* They are synced now; the watermark of the others stays
		 * until their own walk is done. */
		pmax = jr_max_time(pmax, w.max);
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
		rc = walk(g, &s, &w, "inc", oldp, wm,
			  wm - (int64_t)JR_OVERLAP_S * 1000, ck);
		oldp = NULL;
		if (rc != PULSE_OK)
			goto out;
	}
	/* 3. Issue-PR links that could not be read earlier. */
	kt_ids_sort(&s.dev_done);
	for (i = 0; i < s.dev_retry.n && rc == PULSE_OK; i++)
		if (!kt_ids_has(&s.dev_done, s.dev_retry.v[i]))
			rc = jr_dev_status(g, &s, s.dev_retry.v[i]);
	if (rc != PULSE_OK)
		goto out;
	/* 4. Deleted issues: when a project's live count differs from ours
	 * (one request a project), and at least every `reconcile_every`
	 * syncs in case a deletion and an unseen creation cancel out. */
	if (every > 0) {
		int need = syncs + 1 >= every ? 1 : jr_counts_differ(g, &s);

		if (need < 0) {
			rc = jr_oom(g);
			goto out;
		}
		if (need && (rc = jr_reconcile(g, &s, known)) != PULSE_OK)
			goto out;
		reconciled = need;
	}
	/* 5. Remember the ids seen, the watermark, the scope. */
	for (k = 0; k < g->nproj; k++) {
		char key[64];

		snprintf(key, sizeof(key), "known:%s", g->proj[k].id);
		if (!reconciled)
			jr_state_ids_get(g, key, &known[k]);
		for (i = 0; i < s.by_proj[k].n; i++)
			if (kt_ids_add(&known[k], s.by_proj[k].v[i]) < 0) {
				rc = jr_oom(g);
				goto out;
			}
		if ((rc = jr_state_ids_put(g, key, &known[k])) != PULSE_OK)
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
	if ((rc = jr_state_ids_put(g, "dev_retry", &s.dev_failed)) != PULSE_OK)
		goto out;
	json_object_put(nsp);
	nsp = json_object_new_array();
	for (i = 0; nsp && i < g->nproj; i++)
		json_object_array_add(nsp, json_object_new_string(g->proj[i].id));
	wm = jr_max_time(jr_max_time(wm, pmax), w.kind ? w.max : KT_NO_TIME);
	if (!nsp)
		rc = jr_oom(g);
	else if ((rc = save_synced(g, nsp, wm, KT_NO_TIME,
				   reconciled ? 0 : syncs + 1)) == PULSE_OK)
		rc = jr_api->state_set(g->job, "search", "");
out:
	walk_free(&w);
	for (k = 0; s.by_proj && known && k < g->nproj; k++) {
		kt_ids_free(&s.by_proj[k]);
		kt_ids_free(&known[k]);
	}
	free(s.by_proj);
	free(known);
	kt_ids_free(&s.dev_retry);
	kt_ids_free(&s.dev_failed);
	kt_ids_free(&s.dev_done);
	json_object_put(nsp);
	json_object_put(synced);
	json_object_put(ck);
	free(newp);
	free(oldp);
	return rc;
}
