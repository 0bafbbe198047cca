/*
 * source-entra extract: the users and groups delta walks.
 *
 * Each walk starts from its saved delta link (an incremental round), or
 * from /v1.0/{users,groups}/delta with an explicit $select (a full round),
 * follows @odata.nextLink until a page carries @odata.deltaLink, and
 * stores every page with its checkpoint: "<walk>.next" (resume here after
 * a kill) while paging, "<walk>.delta" on the last page. A 410 Gone, or a
 * syncStateNotFound / resyncRequired error, drops both and starts a full
 * round. 429/503 are waited out by the host (Retry-After); above
 * EN_PACE_PERCENT of the budget (x-ms-throttle-limit-percentage) we slow
 * down ourselves.
 */
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "entra.h"

/* $select: the default set leaves out accountEnabled, department,
 * employeeId and onPremises*; manager and members give the links. */
static const char user_select[] =
	"id,displayName,userPrincipalName,mail,mailNickname,accountEnabled,"
	"department,jobTitle,employeeId,userType,givenName,surname,"
	"onPremisesImmutableId,onPremisesSamAccountName,onPremisesSyncEnabled,"
	"onPremisesDistinguishedName,onPremisesDomainName,manager";
static const char group_select[] =
	"id,displayName,description,mail,mailNickname,securityEnabled,"
	"mailEnabled,groupTypes,onPremisesSyncEnabled,"
	"onPremisesSamAccountName,members";

static const char *const get_headers[] = {
	"Accept: application/json",
	/* background sync: let interactive traffic go first */
	"x-ms-throttle-priority: low",
	NULL,
};

struct en {
	pulse_job *job;
	pulse_oauth2_client cred;
	char *graph;          /* base URL, no trailing slash; owned */
	char *scope;          /* owned */
	struct kt_sink pages;
	uint64_t calls, paced, resyncs, vanished, links_vanished;
	char fetched_at[32];
};

static int32_t oom(struct en *g)
{
	return en_api->fail(g->job, PULSE_ERR_TRANSIENT, "entra: out of memory");
}

/* The first URL of a full round; malloc'ed. */
static char *first_url(struct en *g, const char *walk)
{
	uint32_t i, n;
	char *sel, *t;

	if (strcmp(walk, EN_RAW_GROUPS) == 0)
		return kt_asprintf("%s/v1.0/groups/delta?$select=%s", g->graph,
				   group_select);
	if (!(sel = strdup(user_select)))
		return NULL;
	n = en_api->config_list_count(g->job, "select_extra");
	for (i = 0; i < n && sel; i++) {
		const char *p = en_api->config_list_item(g->job, "select_extra", i);

		if (!p || strstr(user_select, p))
			continue;
		t = kt_asprintf("%s,%s", sel, p);
		free(sel);
		sel = t;
	}
	if (!sel)
		return NULL;
	t = kt_asprintf("%s/v1.0/users/delta?$select=%s", g->graph, sel);
	free(sel);
	return t;
}

/* Links Graph hands us must stay on Graph: the bearer token goes with
 * them. */
static int on_graph(const struct en *g, const char *url)
{
	size_t n = strlen(g->graph);

	return url && strncmp(url, g->graph, n) == 0 && url[n] == '/';
}

/* Slow down when Graph says the budget is nearly used. The header is a
 * fraction of the limit (0.8 to 1.8); a value above 2 is read as percent. */
static int32_t pace(struct en *g, const pulse_http_response *r)
{
	const char *h = en_api->http_header(r, "x-ms-throttle-limit-percentage");
	double v = h ? strtod(h, NULL) : 0, pct = v <= 2.0 ? v * 100 : v;
	int64_t secs;
	char why[160];

	if (pct <= EN_PACE_PERCENT)
		return PULSE_OK;
	secs = pct >= 100 ? 5 : pct >= 90 ? 2 : 1;
	g->paced++;
	snprintf(why, sizeof(why), "pacing: Graph reports %.0f%% of the "
		 "app's budget used (x-ms-throttle-limit-percentage)", pct);
	en_api->job_log(g->job, PULSE_LOG_INFO, "throttle_pace percent=%.0f "
			"wait_s=%" PRId64, pct, secs);
	return en_api->wait_until(g->job, (int64_t)time(NULL) + secs, why);
}

/* The error code of a Graph error body ("" if none). */
static void graph_error(const pulse_http_response *r, char *code, size_t cn,
			char *msg, size_t mn)
{
	struct json_object *o = kt_page_json(en_api, r), *e = pj_obj(o, "error");
	const char *c = pj_str(e, "code"), *m = pj_str(e, "message");

	snprintf(code, cn, "%s", c ? c : "");
	snprintf(msg, mn, "%.200s", m ? m : "");
	json_object_put(o);
}

static int32_t get(struct en *g, const char *url, pulse_http_response **r)
{
	pulse_http_request req = {PULSE_STRUCT_HEADER(pulse_http_request)};

	req.method = "GET";
	req.url = url;
	req.headers = get_headers;
	req.flags = PULSE_HTTP_JSON;
	g->calls++;
	return en_api->oauth2_http(g->job, &g->cred, &req, r);
}

/* Forget a walk's position: the next request starts a full round. */
static int32_t forget(struct en *g, const char *walk)
{
	char k1[64], k2[64];
	int32_t rc;

	snprintf(k1, sizeof(k1), "%s.next", walk);
	snprintf(k2, sizeof(k2), "%s.delta", walk);
	rc = en_api->state_delete(g->job, k1);
	return rc == PULSE_OK ? en_api->state_delete(g->job, k2) : rc;
}

/* Where the walk stands: the resume link, the delta link, or a new
 * round. *full says which. malloc'ed. */
static char *start_url(struct en *g, const char *walk, int *full)
{
	char key[64], *u;

	snprintf(key, sizeof(key), "%s.next", walk);
	u = en_api->state_get(g->job, key);
	*full = 0;
	if (!u || !on_graph(g, u)) {
		en_api->free(u);
		snprintf(key, sizeof(key), "%s.delta", walk);
		u = en_api->state_get(g->job, key);
	} else {
		char *c = strdup(u);

		en_api->free(u);
		return c;
	}
	if (u && on_graph(g, u)) {
		char *c = strdup(u);

		en_api->free(u);
		return c;
	}
	en_api->free(u);
	*full = 1;
	return first_url(g, walk);
}

/* The ids of a page's objects into seen (live) or removed (@removed). */
static int note_ids(struct json_object *o, struct en_ids *seen,
		    struct en_ids *removed)
{
	struct json_object *vals = pj_arr(o, "value");
	size_t i;

	for (i = 0; vals && i < json_object_array_length(vals); i++) {
		struct json_object *e = json_object_array_get_idx(vals, i);
		const char *id = pj_str(e, "id");

		if (id && en_ids_add(pj_obj(e, "@removed") ? removed : seen, id) < 0)
			return -1;
	}
	return 0;
}

/* The membership links of a groups page ("group|member") into seen, or
 * removed for entries with @removed. */
static int note_links(struct json_object *o, struct en_ids *seen,
		      struct en_ids *removed)
{
	struct json_object *vals = pj_arr(o, "value");
	size_t i, j;

	for (i = 0; vals && i < json_object_array_length(vals); i++) {
		struct json_object *e = json_object_array_get_idx(vals, i);
		struct json_object *ms = pj_arr(e, "members@delta");
		const char *gid = pj_str(e, "id");

		for (j = 0; gid && ms && j < json_object_array_length(ms); j++) {
			struct json_object *m = json_object_array_get_idx(ms, j);
			const char *mid = pj_str(m, "id");
			char *l;
			int bad;

			if (!mid)
				continue;
			if (!(l = kt_asprintf("%s|%s", gid, mid)))
				return -1;
			bad = en_ids_add(pj_obj(m, "@removed") ? removed : seen, l) < 0;
			free(l);
			if (bad)
				return -1;
		}
	}
	return 0;
}

/* The groups walk of a sync made before links were kept has no known
 * links: its next round is a full one, to learn them. */
static int links_unknown(struct en *g)
{
	char *t = en_api->state_get(g->job, EN_ST_LINKS);
	int none = t == NULL;

	en_api->free(t);
	return none;
}

static int32_t walk(struct en *g, const char *walk_name)
{
	char *url = NULL, *params = NULL, nkey[64], dkey[64];
	struct en_ids seen = {0}, removed = {0}, lseen = {0}, lremoved = {0};
	int full = 0, pages = 0, reconcile, groups = !strcmp(walk_name, EN_RAW_GROUPS);
	int32_t rc = PULSE_OK;

	snprintf(nkey, sizeof(nkey), "%s.next", walk_name);
	snprintf(dkey, sizeof(dkey), "%s.delta", walk_name);
	params = kt_asprintf("{\"fetched_at\":\"%s\"}", g->fetched_at);
	if (!params || !(url = start_url(g, walk_name, &full))) {
		rc = oom(g);
		goto out;
	}
	if (groups && !full && links_unknown(g)) {
		char key[64], *nx;

		snprintf(key, sizeof(key), "%s.next", walk_name);
		nx = en_api->state_get(g->job, key);
		if (!nx) { /* not in the middle of a round */
			free(url);
			full = 1;
			if (!(url = first_url(g, walk_name))) {
				rc = oom(g);
				goto out;
			}
		}
		en_api->free(nx);
	}
	en_api->job_log(g->job, PULSE_LOG_INFO, "walk=%s round=%s", walk_name,
			full ? "full" : "delta");
	reconcile = full; /* a full round seen whole by this process */
	while (url && rc == PULSE_OK) {
		pulse_http_response *r = NULL;
		struct json_object *o = NULL;
		const char *next, *delta;
		char code[64], msg[256];
		uint32_t st;

		if (en_api->cancelled(g->job)) {
			rc = en_api->fail(g->job, PULSE_ERR_CANCELLED, "entra: stopped");
			break;
		}
		if ((rc = get(g, url, &r)) != PULSE_OK)
			break;
		st = en_api->http_status(r);
		graph_error(r, code, sizeof(code), msg, sizeof(msg));
		if (st == 410 || strcmp(code, "syncStateNotFound") == 0 ||
		    strcmp(code, "resyncRequired") == 0) {
			/* The delta token is gone: a full round, which replays
			 * every object (upserts are idempotent). */
			en_api->http_release(r);
			if (++g->resyncs > EN_MAX_RESYNC) {
				rc = en_api->fail(g->job, PULSE_ERR_TRANSIENT, "entra: "
						  "Graph asked for a resync of %s "
						  "%" PRIu64 " times in one run; "
						  "retrying later", walk_name, g->resyncs);
				break;
			}
			en_api->job_log(g->job, PULSE_LOG_WARN, "resync walk=%s "
					"status=%u code=%s", walk_name, st,
					code[0] ? code : "-");
			free(url);
			url = NULL;
			en_ids_free(&seen);
			en_ids_free(&removed);
			en_ids_free(&lseen);
			en_ids_free(&lremoved);
			reconcile = 1;
			if ((rc = forget(g, walk_name)) != PULSE_OK)
				break;
			if (!(url = first_url(g, walk_name)))
				rc = oom(g);
			continue;
		}
		if (st != 200) {
			rc = en_api->fail(g->job, st >= 500 || st == 429 ?
					  PULSE_ERR_TRANSIENT : PULSE_ERR_PERMANENT,
					  "entra: Graph answered HTTP %u%s%s%s%s to the "
					  "%s delta query%s", st, code[0] ? " " : "", code,
					  msg[0] ? ": " : "", msg, walk_name,
					  st == 403 ? "; grant the app the application "
					  "permissions User.Read.All and "
					  "GroupMember.Read.All with admin consent" : "");
			en_api->http_release(r);
			break;
		}
		o = kt_page_json(en_api, r);
		next = pj_str(o, "@odata.nextLink");
		delta = pj_str(o, "@odata.deltaLink");
		if ((next && !on_graph(g, next)) || (!next && (!delta ||
		    !on_graph(g, delta)))) {
			rc = en_api->fail(g->job, PULSE_ERR_PERMANENT, "entra: a %s "
					  "delta page has %s (check graph_url: %s)",
					  walk_name, next || delta ? "a next/delta "
					  "link outside Graph" : "neither "
					  "@odata.nextLink nor @odata.deltaLink",
					  g->graph);
		} else {
			rc = kt_page_store(&g->pages, walk_name, "GET", url, params,
					   r, next ? nkey : dkey, next ? next : delta);
			if (rc == PULSE_OK && note_ids(o, &seen, &removed) < 0)
				rc = oom(g);
			if (rc == PULSE_OK && groups &&
			    note_links(o, &lseen, &lremoved) < 0)
				rc = oom(g);
			if (rc == PULSE_OK && !next)
				rc = en_api->state_delete(g->job, nkey);
			if (rc == PULSE_OK && !next) {
				uint64_t gone = 0;

				en_ids_sort(&removed);
				rc = en_known_finish(g->job, walk_name, delta,
						     reconcile, &seen, &removed,
						     &gone);
				g->vanished += gone;
			}
			if (rc == PULSE_OK && !next && groups) {
				uint64_t gone = 0;

				rc = en_links_finish(g->job, delta, reconcile,
						     &lseen, &lremoved, &removed,
						     &gone);
				g->links_vanished += gone;
			}
			pages++;
			en_api->progress(g->job, walk_name, (uint64_t)pages, 0);
		}
		if (rc == PULSE_OK)
			rc = pace(g, r);
		free(url);
		url = NULL;
		if (rc == PULSE_OK && next && !(url = strdup(next)))
			rc = oom(g);
		json_object_put(o);
		en_api->http_release(r);
	}
	en_api->job_log(g->job, PULSE_LOG_INFO, "walk=%s pages=%d", walk_name,
			pages);
out:
	en_ids_free(&seen);
	en_ids_free(&removed);
	en_ids_free(&lseen);
	en_ids_free(&lremoved);
	free(url);
	free(params);
	return rc;
}

int32_t en_extract(void *state, pulse_job *job)
{
	struct en g;
	const char *b;
	time_t now = time(NULL);
	struct tm tm;
	int32_t rc;
	size_t n;

	(void)state;
	memset(&g, 0, sizeof(g));
	g.job = job;
	g.pages.api = en_api;
	g.pages.job = job;
	gmtime_r(&now, &tm);
	strftime(g.fetched_at, sizeof(g.fetched_at), "%Y-%m-%dT%H:%M:%SZ", &tm);
	b = en_api->config_string(job, "graph_url");
	g.graph = strdup(b && *b ? b : EN_DEFAULT_GRAPH);
	if (!g.graph)
		return oom(&g);
	for (n = strlen(g.graph); n > 0 && g.graph[n - 1] == '/'; n--)
		g.graph[n - 1] = '\0';
	/* One token per resource: Graph's (each cloud has its own host). */
	g.scope = kt_asprintf("%s%s", g.graph, EN_SCOPE_SUFFIX);
	if (!g.scope) {
		rc = oom(&g);
		goto out;
	}
	g.cred = (pulse_oauth2_client){PULSE_STRUCT_HEADER(pulse_oauth2_client),
		.authority = en_api->config_string(job, "authority"),
		.tenant = en_api->config_string(job, "tenant"),
		.client_id = en_api->config_string(job, "client_id"),
		.secret_key = "client_secret", .scope = g.scope};
	rc = walk(&g, EN_RAW_USERS);
	if (rc == PULSE_OK)
		rc = walk(&g, EN_RAW_GROUPS);
	en_api->job_log(job, PULSE_LOG_INFO, "entra: graph_calls=%" PRIu64
			" pages=%" PRIu64 " resyncs=%" PRIu64 " paced=%" PRIu64
			" vanished=%" PRIu64 " links_vanished=%" PRIu64, g.calls,
			g.pages.stored, g.resyncs, g.paced, g.vanished,
			g.links_vanished);
out:
	free(g.graph);
	free(g.scope);
	return rc;
}
