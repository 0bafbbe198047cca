/*
 * source-fabric extract: the REST walk.
 *
 *   workspaces (paged) -> for each selected one: its Git connection (the
 *   workspace row), its items (paged), and for each runnable item its job
 *   instances (newest first, paged until older than the item's
 *   watermark); then deployment pipelines (paged) -> stages -> deploy
 *   operations (the last 20). A 403 on operations (no pipeline admin
 *   role) is a warning: the rest of the sync goes on.
 *
 * Every page is stored raw with what its transform needs in the params,
 * so a page is loaded without the others. Pages are idempotent upserts.
 * The walk's cursor ("rest.done": the workspaces and pipelines finished
 * by a walk not yet complete) lets a killed run resume: the next run
 * skips what is in it, and a complete walk deletes it. The job-run
 * watermark ("runs.<item>") and the GraphQL cursors (graphql.c) carry
 * the incremental state.
 */
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "fabric.h"

/* The item types whose runs we read (jobs/instances). */
static const char *const runnable[] = {
	"DataPipeline", "Notebook", "SparkJobDefinition", NULL,
};

static int is_runnable(const char *t)
{
	size_t i;

	for (i = 0; t && runnable[i]; i++)
		if (strcmp(t, runnable[i]) == 0)
			return 1;
	return 0;
}

/* Links Fabric hands us must stay on its API: the token goes with them. */
static int on_api(const struct fb *g, const char *url)
{
	size_t n = strlen(g->api);

	return url && strncmp(url, g->api, n) == 0 && url[n] == '/';
}

/* A refusal of a listing we cannot do without: permanent for 401/403/404
 * (configuration), transient otherwise. */
static int32_t refused(struct fb *g, const char *what,
		       const pulse_http_response *r)
{
	uint32_t st = fb_api->http_status(r);
	char e[256];

	fb_error_text(r, e, sizeof(e));
	return fb_api->fail(g->job, st == 401 || st == 403 || st == 404 ?
			    PULSE_ERR_PERMANENT : PULSE_ERR_TRANSIENT,
			    "fabric: %s: HTTP %u %s%s", what, st, e,
			    st == 401 ? "; a tenant admin must enable \"Service "
			    "principals can use Fabric APIs\" (docs/fabric.md)" :
			    st == 403 ? "; add the service principal to the "
			    "workspace (Viewer or Member)" : "");
}

/* Page through a listing from url. Each page is stored (when entity is
 * set) with params; its value[] elements are appended to *all (when
 * all is set). stop (optional) says, after each page, whether to stop
 * early. PULSE_OK; a refusal fails the job, unless *status is wanted
 * (then the status of a refused first page comes back, nothing stored). */
typedef int (*fb_stop_fn)(struct json_object *vals, void *arg);

static int32_t list(struct fb *g, const char *what, const char *url0,
		    const char *entity, const char *params,
		    struct json_object *all, fb_stop_fn stop, void *arg,
		    uint32_t *status)
{
	char *url = strdup(url0);
	int32_t rc = PULSE_OK;

	if (!url)
		return fb_oom(g);
	if (status)
		*status = 200;
	while (url && rc == PULSE_OK) {
		pulse_http_response *r = NULL;
		struct json_object *o, *vals;
		const char *next;
		size_t i;

		if (fb_api->cancelled(g->job)) {
			rc = fb_api->fail(g->job, PULSE_ERR_CANCELLED, "fabric: stopped");
			break;
		}
		if ((rc = fb_call(g, "GET", url, NULL, 0, &r)) != PULSE_OK)
			break;
		if (fb_api->http_status(r) != 200) {
			if (status)
				*status = fb_api->http_status(r);
			else
				rc = refused(g, what, r);
			fb_api->http_release(r);
			break;
		}
		o = kt_page_json(fb_api, r);
		vals = pj_arr(o, "value");
		next = pj_str(o, "continuationUri");
		if (!vals) {
			rc = fb_api->fail(g->job, PULSE_ERR_TRANSIENT, "fabric: %s: "
					  "a page without value[] (%s)", what, url);
		} else if (next && !on_api(g, next)) {
			rc = fb_api->fail(g->job, PULSE_ERR_PERMANENT, "fabric: %s: "
					  "continuationUri leaves the API (check "
					  "api_url: %s)", what, g->api);
		} else {
			if (entity)
				rc = kt_page_store(&g->pages, entity, "GET", url,
						   params, r, NULL, NULL);
			for (i = 0; rc == PULSE_OK && all &&
			     i < json_object_array_length(vals); i++)
				json_object_array_add(all, json_object_get(
					json_object_array_get_idx(vals, i)));
		}
		free(url);
		url = NULL;
		if (rc == PULSE_OK && next && !(stop && stop(vals, arg)) &&
		    !(url = strdup(next)))
			rc = fb_oom(g);
		json_object_put(o);
		fb_api->http_release(r);
	}
	free(url);
	return rc;
}

/* The workspace is selected: no filter, or its id or name is listed. */
static int selected(struct fb *g, struct json_object *ws)
{
	uint32_t i, n = fb_api->config_list_count(g->job, "workspaces");
	const char *id = pj_str(ws, "id"), *name = pj_str(ws, "displayName");

	if (n == 0)
		return 1;
	for (i = 0; i < n; i++) {
		const char *w = fb_api->config_list_item(g->job, "workspaces", i);

		if (w && ((id && strcasecmp(w, id) == 0) ||
			  (name && strcmp(w, name) == 0)))
			return 1;
	}
	return 0;
}

/* The workspace row comes from its Git connection page, with the
 * workspace itself in the params. A refused Git call (the principal may
 * lack the Contributor role Git needs) still stores the page: the
 * workspace loads without a link. */
static int32_t workspace(struct fb *g, struct json_object *ws)
{
	char *url = kt_asprintf("%s/v1/workspaces/%s/git/connection", g->api,
				pj_str(ws, "id"));
	struct json_object *p = json_object_new_object();
	pulse_http_response *r = NULL;
	int32_t rc;

	if (!url || !p) {
		rc = fb_oom(g);
		goto out;
	}
	json_object_object_add(p, "workspace", json_object_get(ws));
	json_object_object_add(p, "fetched_at", json_object_new_string(g->fetched_at));
	if ((rc = fb_call(g, "GET", url, NULL, 0, &r)) != PULSE_OK)
		goto out;
	if (fb_api->http_status(r) != 200) {
		char e[256];

		fb_error_text(r, e, sizeof(e));
		fb_api->job_log(g->job, PULSE_LOG_WARN, "fabric: the Git "
				"connection of workspace %s is unreadable (HTTP "
				"%u %s); the workspace is loaded without a "
				"repository link", pj_str(ws, "id"),
				fb_api->http_status(r), e);
		g->warnings++;
	}
	rc = kt_page_store(&g->pages, FB_RAW_WORKSPACE, "GET", url,
			   json_object_to_json_string_ext(p, JSON_C_TO_STRING_PLAIN),
			   r, NULL, NULL);
out:
	fb_api->http_release(r);
	json_object_put(p);
	free(url);
	return rc;
}

struct runs_stop {
	int64_t mark;    /* stop once a page reaches back to this (ms) */
	int64_t newest;  /* the newest start seen */
};

/* Runs come newest first: once a page holds a run that started at or
 * before the watermark, the older pages are known. */
static int runs_stop(struct json_object *vals, void *arg)
{
	struct runs_stop *s = arg;
	size_t i;
	int stop = 0;

	for (i = 0; i < json_object_array_length(vals); i++) {
		int64_t t = kt_time_parse_ms(pj_str(json_object_array_get_idx(vals, i),
						    "startTimeUtc"));

		if (t == KT_NO_TIME)
			continue;
		if (t > s->newest)
			s->newest = t;
		if (s->mark != KT_NO_TIME && t <= s->mark)
			stop = 1;
	}
	return stop;
}

static int32_t item_runs(struct fb *g, const char *ws, const char *item)
{
	char key[128], *url = NULL, *params = NULL, *mark = NULL, buf[32];
	struct runs_stop s = {KT_NO_TIME, KT_NO_TIME};
	int32_t rc;

	snprintf(key, sizeof(key), "runs.%s", item);
	mark = fb_api->state_get(g->job, key);
	if (mark)
		s.mark = kt_time_parse_ms(mark);
	if (s.mark == KT_NO_TIME) {
		const char *since = fb_api->config_string(g->job, "since");

		s.mark = since ? kt_time_parse_ms(since) : KT_NO_TIME;
	}
	url = kt_asprintf("%s/v1/workspaces/%s/items/%s/jobs/instances",
			  g->api, ws, item);
	params = kt_asprintf("{\"workspace\":\"%s\",\"item\":\"%s\"}", ws, item);
	if (!url || !params) {
		rc = fb_oom(g);
		goto out;
	}
	rc = list(g, "job instances", url, FB_RAW_RUNS, params, NULL,
		  runs_stop, &s, NULL);
	/* The watermark is the newest start: a run still in progress is
	 * read again next time, as it is on the first page. */
	if (rc == PULSE_OK && s.newest != KT_NO_TIME &&
	    (s.mark == KT_NO_TIME || s.newest > s.mark)) {
		kt_time_format_ms(s.newest, 3, buf, sizeof(buf));
		rc = fb_api->state_set(g->job, key, buf);
	}
out:
	fb_api->free(mark);
	free(url);
	free(params);
	return rc;
}

static int32_t items(struct fb *g, struct json_object *ws, uint64_t *nitems)
{
	const char *id = pj_str(ws, "id");
	char *url = kt_asprintf("%s/v1/workspaces/%s/items", g->api, id);
	char *params = kt_asprintf("{\"workspace\":\"%s\"}", id);
	struct json_object *all = json_object_new_array();
	int32_t rc;
	size_t i;

	if (!url || !params || !all) {
		rc = fb_oom(g);
		goto out;
	}
	rc = list(g, "items", url, FB_RAW_ITEMS, params, all, NULL, NULL, NULL);
	for (i = 0; rc == PULSE_OK && i < json_object_array_length(all); i++) {
		struct json_object *it = json_object_array_get_idx(all, i);

		(*nitems)++;
		if (is_runnable(pj_str(it, "type")) && pj_str(it, "id"))
			rc = item_runs(g, id, pj_str(it, "id"));
	}
out:
	json_object_put(all);
	free(url);
	free(params);
	return rc;
}

/* Whether a pipeline's stages touch a selected workspace. */
static int touches(struct fb *g, struct json_object *stages,
		   struct json_object *wsids)
{
	size_t i;

	if (fb_api->config_list_count(g->job, "workspaces") == 0)
		return 1;
	for (i = 0; i < json_object_array_length(stages); i++) {
		const char *w = pj_str(json_object_array_get_idx(stages, i), "workspaceId");

		if (w && json_object_object_get_ex(wsids, w, NULL))
			return 1;
	}
	return 0;
}

static int32_t pipeline(struct fb *g, struct json_object *p,
			struct json_object *wsids)
{
	const char *id = pj_str(p, "id");
	char *url = kt_asprintf("%s/v1/deploymentPipelines/%s/stages", g->api, id);
	struct json_object *stages = json_object_new_array(), *par = NULL;
	pulse_http_response *r = NULL;
	uint32_t st = 0;
	int32_t rc;

	if (!url || !stages) {
		rc = fb_oom(g);
		goto out;
	}
	rc = list(g, "deployment pipeline stages", url, NULL, NULL, stages,
		  NULL, NULL, &st);
	if (rc != PULSE_OK || st != 200 || !touches(g, stages, wsids)) {
		if (rc == PULSE_OK && st != 200) {
			fb_api->job_log(g->job, PULSE_LOG_WARN, "fabric: the stages "
					"of deployment pipeline %s are unreadable "
					"(HTTP %u); its deploys are skipped", id, st);
			g->warnings++;
		}
		goto out;
	}
	free(url);
	url = kt_asprintf("%s/v1/deploymentPipelines/%s/operations", g->api, id);
	par = json_object_new_object();
	if (!url || !par) {
		rc = fb_oom(g);
		goto out;
	}
	json_object_object_add(par, "pipeline", json_object_get(p));
	json_object_object_add(par, "stages", json_object_get(stages));
	if ((rc = fb_call(g, "GET", url, NULL, 0, &r)) != PULSE_OK)
		goto out;
	st = fb_api->http_status(r);
	if (st == 403 || st == 401) {
		char e[256];

		fb_error_text(r, e, sizeof(e));
		fb_api->job_log(g->job, PULSE_LOG_WARN, "fabric: no deploy "
				"history for deployment pipeline '%s' (%s): HTTP "
				"%u %s; reading deploy operations needs the "
				"pipeline's Admin role for the service principal "
				"(Deployment pipelines > Manage access); the rest "
				"of the sync goes on", pj_str(p, "displayName"), id,
				st, e);
		g->warnings++;
	} else if (st != 200) {
		rc = refused(g, "deploy operations", r);
	} else {
		rc = kt_page_store(&g->pages, FB_RAW_DEPLOYS, "GET", url,
				   json_object_to_json_string_ext(par,
					JSON_C_TO_STRING_PLAIN), r, NULL, NULL);
		g->deploy_pages++;
	}
out:
	fb_api->http_release(r);
	json_object_put(stages);
	json_object_put(par);
	free(url);
	return rc;
}

/* The REST walk's cursor: a JSON array of "w:<workspace id>" and
 * "p:<pipeline id>" done by the walk in progress. A workspace is done
 * once its Git link, items and runs are stored (their pages are committed
 * before the mark), a pipeline once its deploys are. A kill between the
 * last page and the mark redoes that one: upserts, so idempotent. */
#define FB_WALK_KEY "rest.done"

/* The cursor as a set (an object whose keys are the marks); owned by the
 * caller. An unreadable value starts the walk afresh. NULL: no memory. */
static struct json_object *walk_load(struct fb *g, size_t *n)
{
	char *v = fb_api->state_get(g->job, FB_WALK_KEY);
	struct json_object *a = v ? json_tokener_parse(v) : NULL;
	struct json_object *set = json_object_new_object();
	size_t i;

	*n = 0;
	for (i = 0; set && a && json_object_is_type(a, json_type_array) &&
	     i < json_object_array_length(a); i++) {
		const char *k = json_object_get_string(json_object_array_get_idx(a, i));

		if (k && !json_object_object_get_ex(set, k, NULL)) {
			json_object_object_add(set, k, NULL);
			(*n)++;
		}
	}
	json_object_put(a);
	fb_api->free(v);
	return set;
}

static int walk_done(struct json_object *set, char kind, const char *id)
{
	char k[160];

	snprintf(k, sizeof(k), "%c:%s", kind, id);
	return json_object_object_get_ex(set, k, NULL);
}

/* Add one mark and save the whole set. */
static int32_t walk_mark(struct fb *g, struct json_object *set, char kind,
			 const char *id)
{
	struct json_object *a = json_object_new_array();
	char k[160];
	int32_t rc;

	if (!a)
		return fb_oom(g);
	snprintf(k, sizeof(k), "%c:%s", kind, id);
	json_object_object_add(set, k, NULL);
	json_object_object_foreach(set, key, val) {
		(void)val;
		json_object_array_add(a, json_object_new_string(key));
	}
	rc = fb_api->state_set(g->job, FB_WALK_KEY,
			       json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN));
	json_object_put(a);
	return rc;
}

static int32_t rest(struct fb *g)
{
	struct json_object *wss = json_object_new_array(), *pipes = NULL;
	struct json_object *wsids = json_object_new_object(), *walk = NULL;
	uint64_t nws = 0, nitems = 0, skipped = 0;
	char *url = NULL;
	int32_t rc;
	size_t i, ndone = 0;

	url = kt_asprintf("%s/v1/workspaces", g->api);
	walk = walk_load(g, &ndone);
	if (!url || !wss || !wsids || !walk) {
		rc = fb_oom(g);
		goto out;
	}
	if (ndone > 0)
		fb_api->job_log(g->job, PULSE_LOG_INFO, "fabric: REST walk resumed "
				"(%zu workspaces and pipelines done by the "
				"interrupted run are skipped)", ndone);
	rc = list(g, "workspaces", url, NULL, NULL, wss, NULL, NULL, NULL);
	for (i = 0; rc == PULSE_OK && i < json_object_array_length(wss); i++) {
		struct json_object *ws = json_object_array_get_idx(wss, i);
		const char *id = pj_str(ws, "id");

		if (!id || !selected(g, ws))
			continue;
		nws++;
		json_object_object_add(wsids, id, NULL);
		if (walk_done(walk, 'w', id)) {
			skipped++;
			continue;
		}
		rc = workspace(g, ws);
		if (rc == PULSE_OK)
			rc = items(g, ws, &nitems);
		if (rc == PULSE_OK)
			rc = walk_mark(g, walk, 'w', id);
		fb_api->progress(g->job, "workspaces", nws, 0);
	}
	if (rc == PULSE_OK && nws == 0 &&
	    fb_api->config_list_count(g->job, "workspaces") > 0)
		rc = fb_api->fail(g->job, PULSE_ERR_PERMANENT, "fabric: none of "
				  "the configured `workspaces` is visible to the "
				  "service principal (%zu visible); check the ids "
				  "or names, and add the principal to the workspace",
				  json_object_array_length(wss));
	if (rc != PULSE_OK)
		goto out;
	free(url);
	url = kt_asprintf("%s/v1/deploymentPipelines", g->api);
	pipes = json_object_new_array();
	if (!url || !pipes) {
		rc = fb_oom(g);
		goto out;
	}
	rc = list(g, "deployment pipelines", url, NULL, NULL, pipes, NULL, NULL, NULL);
	for (i = 0; rc == PULSE_OK && i < json_object_array_length(pipes); i++) {
		struct json_object *p = json_object_array_get_idx(pipes, i);
		const char *id = pj_str(p, "id");

		if (!id || walk_done(walk, 'p', id))
			continue;
		rc = pipeline(g, p, wsids);
		if (rc == PULSE_OK)
			rc = walk_mark(g, walk, 'p', id);
	}
	/* The walk is complete: the next run starts afresh. */
	if (rc == PULSE_OK)
		rc = fb_api->state_delete(g->job, FB_WALK_KEY);
	fb_api->job_log(g->job, PULSE_LOG_INFO, "fabric: workspaces=%" PRIu64
			" items=%" PRIu64 " skipped=%" PRIu64, nws, nitems, skipped);
out:
	json_object_put(walk);
	json_object_put(wss);
	json_object_put(wsids);
	json_object_put(pipes);
	free(url);
	return rc;
}

int32_t fb_extract(void *state, pulse_job *job)
{
	struct fb g;
	const char *b;
	time_t now = time(NULL);
	struct tm tm;
	int32_t rc;
	size_t n;

	(void)state;
	memset(&g, 0, sizeof(g));
	g.job = job;
	g.pages.api = fb_api;
	g.pages.job = job;
	gmtime_r(&now, &tm);
	strftime(g.fetched_at, sizeof(g.fetched_at), "%Y-%m-%dT%H:%M:%SZ", &tm);
	b = fb_api->config_string(job, "api_url");
	g.api = strdup(b && *b ? b : FB_DEFAULT_API);
	if (!g.api)
		return fb_oom(&g);
	for (n = strlen(g.api); n > 0 && g.api[n - 1] == '/'; n--)
		g.api[n - 1] = '\0';
	/* /v1 is ours to add; accept a base given with it. */
	if (n >= 3 && strcmp(g.api + n - 3, "/v1") == 0)
		g.api[n - 3] = '\0';
	g.cred = (pulse_oauth2_client){PULSE_STRUCT_HEADER(pulse_oauth2_client),
		.authority = fb_api->config_string(job, "authority"),
		.tenant = fb_api->config_string(job, "tenant_id"),
		.client_id = fb_api->config_string(job, "client_id"),
		.secret_key = "client_secret", .scope = FB_SCOPE};
	rc = rest(&g);
	if (rc == PULSE_OK)
		rc = fb_graphql(&g);
	fb_api->job_log(job, PULSE_LOG_INFO, "fabric: api_calls=%" PRIu64
			" pages=%" PRIu64 " deploy_pages=%" PRIu64 " gql_pages=%"
			PRIu64 " waits=%" PRIu64 " warnings=%" PRIu64, g.calls,
			g.pages.stored, g.deploy_pages, g.gql_pages, g.waits,
			g.warnings);
	free(g.api);
	return rc;
}
