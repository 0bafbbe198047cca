/*
 * source-fabric graphql: customer tables through "API for GraphQL" items
 * (Data API builder semantics).
 *
 * Per configured entity, one round pages with first/after and
 *   orderBy: {<updated>: ASC, <key>: ASC}
 * (the key last: Lakehouse tables have no primary key, so without it the
 * order, and so the cursor, is undefined). An incremental round filters
 * {<updated>: {gte: watermark - FB_GQL_OVERLAP_S}}. State per entity:
 *   gql.<entity>.after  the cursor of the round in progress (a killed
 *                       job resumes there, with gql.<entity>.since);
 *   gql.<entity>.wm     the newest `updated` of the last finished round
 *                       (ascending order: its last row's).
 * A page with errors[] (HTTP 200, maybe with partial data) is a failure
 * and is never stored. The host retries timeouts (an idle API's first
 * call) and 5xx; 429 waits Retry-After.
 */
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fabric.h"

struct ent {
	const char *endpoint, *entity, *key, *updated; /* borrowed */
	struct json_object *fields;                    /* borrowed */
	char k_after[200], k_since[200], k_wm[200];
};

static const char *const post_headers[] = {
	"Accept: application/json",
	"Content-Type: application/json",
	NULL,
};

/* The query text; malloc'ed. */
static char *query_text(const struct ent *e, int filtered)
{
	char *sel = strdup(""), *t, *q;
	size_t i;

	for (i = 0; sel && i < json_object_array_length(e->fields); i++) {
		t = kt_asprintf("%s %s", sel, json_object_get_string(
			json_object_array_get_idx(e->fields, i)));
		free(sel);
		sel = t;
	}
	if (!sel)
		return NULL;
	if (e->updated && strcmp(e->updated, e->key) != 0)
		q = kt_asprintf("query($first:Int!,$after:String%s){%s(first:$first,"
				"after:$after%s%s%s,orderBy:{%s:ASC,%s:ASC}){items{%s}"
				" hasNextPage endCursor}}",
				filtered ? ",$since:DateTime" : "", e->entity,
				filtered ? ",filter:{" : "", filtered ? e->updated : "",
				filtered ? ":{gte:$since}}" : "", e->updated, e->key, sel);
	else
		q = kt_asprintf("query($first:Int!,$after:String){%s(first:$first,"
				"after:$after,orderBy:{%s:ASC}){items{%s} hasNextPage"
				" endCursor}}", e->entity, e->key, sel);
	free(sel);
	return q;
}

/* The errors[] text, or NULL when there are none. malloc'ed. */
static char *errors_text(struct json_object *o)
{
	struct json_object *errs = pj_arr(o, "errors");
	size_t n = errs ? json_object_array_length(errs) : 0;
	const char *m;

	if (n == 0)
		return NULL;
	m = pj_str(json_object_array_get_idx(errs, 0), "message");
	return kt_asprintf("%s%s", m ? m : "(no message)",
			   n > 1 ? " (and more errors)" : "");
}

/* A GraphQL failure: a configuration mistake (a field or entity the API
 * does not have, a page size it refuses) is permanent; the rest (the
 * source timed out...) transient. */
static int32_t gql_fail(struct fb *g, const struct ent *e, const char *msg,
			int partial)
{
	int perm = strstr(msg, "does not exist") || strstr(msg, "Invalid number of items") ||
		strstr(msg, "Syntax Error");

	return fb_api->fail(g->job, perm ? PULSE_ERR_PERMANENT : PULSE_ERR_TRANSIENT,
			    "fabric: GraphQL entity '%s' at %s answered with "
			    "errors%s, so the page was not stored: %s%s",
			    e->entity, e->endpoint, partial ? " beside partial data" : "",
			    msg, perm ? "; check the entity, its fields and the "
			    "API's schema (Export schema in Fabric)" : "");
}

static int32_t store(struct fb *g, const struct ent *e, const char *body,
		     const pulse_http_response *r, const char *next,
		     const char *wm)
{
	pulse_raw_page p = {PULSE_STRUCT_HEADER(pulse_raw_page)};
	struct json_object *par = json_object_new_object();
	uint64_t len = 0;
	int32_t rc;

	if (!par)
		return fb_oom(g);
	json_object_object_add(par, "entity", json_object_new_string(e->entity));
	json_object_object_add(par, "key", json_object_new_string(e->key));
	if (e->updated)
		json_object_object_add(par, "updated", json_object_new_string(e->updated));
	json_object_object_add(par, "request", json_tokener_parse(body));
	p.entity = FB_RAW_GQL;
	p.request_method = "POST";
	p.request_url = e->endpoint;
	p.request_params = json_object_to_json_string_ext(par, JSON_C_TO_STRING_PLAIN);
	p.http_status = fb_api->http_status(r);
	p.body = fb_api->http_body(r, &len);
	p.body_len = len;
	/* Mid-round: the cursor moves with the page. Last page: the
	 * watermark moves and the cursor goes, in the same transaction. */
	p.checkpoint_key = next ? e->k_after : wm ? e->k_wm : NULL;
	p.checkpoint_value = next ? next : wm;
	p.checkpoint_clear_key = next ? NULL : e->k_after;
	rc = fb_api->raw_store(g->job, &p);
	if (rc == PULSE_OK) {
		g->pages.stored++;
		g->gql_pages++;
	}
	json_object_put(par);
	return rc;
}

/* A state value as our own copy (free()), NULL if absent. */
static char *state_copy(struct fb *g, const char *key)
{
	char *v = fb_api->state_get(g->job, key), *c = v ? strdup(v) : NULL;

	fb_api->free(v);
	return c;
}

static int32_t entity(struct fb *g, struct ent *e, int timeout_s, int first)
{
	char *after = state_copy(g, e->k_after);
	char *since = NULL, *wm = NULL, *q = NULL, *last_upd = NULL;
	int64_t t;
	int32_t rc = PULSE_OK;
	int pages = 0, more = 1;

	if (after) {
		since = state_copy(g, e->k_since);
	} else if (e->updated && (wm = state_copy(g, e->k_wm)) &&
		   (t = kt_time_parse_ms(wm)) != KT_NO_TIME) {
		char buf[32];

		kt_time_format_ms(t - FB_GQL_OVERLAP_S * 1000LL, 0, buf, sizeof(buf));
		if (!(since = strdup(buf)))
			rc = fb_oom(g);
		else
			rc = fb_api->state_set(g->job, e->k_since, since);
	} else {
		rc = fb_api->state_delete(g->job, e->k_since);
	}
	if (rc == PULSE_OK && !(q = query_text(e, since != NULL)))
		rc = fb_oom(g);
	fb_api->job_log(g->job, PULSE_LOG_INFO, "graphql entity=%s round=%s%s",
			e->entity, since ? "incremental" : "full",
			after ? " resumed" : "");
	while (rc == PULSE_OK && more) {
		pulse_http_request req = {PULSE_STRUCT_HEADER(pulse_http_request)};
		struct json_object *body = json_object_new_object(), *vars = json_object_new_object();
		struct json_object *o = NULL, *conn, *items;
		pulse_http_response *r = NULL;
		const char *bt, *cur, *u;
		char *err = NULL;
		size_t n;

		if (!body || !vars) {
			json_object_put(body);
			json_object_put(vars);
			rc = fb_oom(g);
			break;
		}
		json_object_object_add(vars, "first", json_object_new_int(first));
		json_object_object_add(vars, "after", after ? json_object_new_string(after) : NULL);
		if (since)
			json_object_object_add(vars, "since", json_object_new_string(since));
		json_object_object_add(body, "query", json_object_new_string(q));
		json_object_object_add(body, "variables", vars);
		bt = json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN);
		req.method = "POST";
		req.url = e->endpoint;
		req.headers = post_headers;
		req.body = bt;
		req.body_len = strlen(bt);
		req.flags = PULSE_HTTP_JSON;
		req.timeout_ms = (uint32_t)timeout_s * 1000u;
		g->calls++;
		rc = fb_api->oauth2_http(g->job, &g->cred, &req, &r);
		if (rc == PULSE_OK && fb_api->http_status(r) != 200) {
			char et[256];

			fb_error_text(r, et, sizeof(et));
			rc = fb_api->fail(g->job, fb_api->http_status(r) >= 500 ?
					  PULSE_ERR_TRANSIENT : PULSE_ERR_PERMANENT,
					  "fabric: GraphQL entity '%s' at %s: HTTP %u "
					  "%s; the service principal needs Run Queries "
					  "and Mutations on the API", e->entity,
					  e->endpoint, fb_api->http_status(r), et);
		}
		if (rc == PULSE_OK) {
			o = kt_page_json(fb_api, r);
			conn = pj_obj(pj_obj(o, "data"), e->entity);
			items = pj_arr(conn, "items");
			if ((err = errors_text(o)) != NULL) {
				rc = gql_fail(g, e, err, conn != NULL);
			} else if (!items) {
				rc = fb_api->fail(g->job, PULSE_ERR_TRANSIENT, "fabric: "
						  "GraphQL entity '%s': no items in the "
						  "answer", e->entity);
			} else {
				more = pj_bool(conn, "hasNextPage", 0);
				cur = pj_str(conn, "endCursor");
				n = json_object_array_length(items);
				u = n && e->updated ? pj_str(json_object_array_get_idx(items, n - 1),
							     e->updated) : NULL;
				if (u) {
					free(last_upd);
					last_upd = strdup(u);
				}
				if (more && !cur) {
					rc = fb_api->fail(g->job, PULSE_ERR_TRANSIENT,
							  "fabric: GraphQL entity '%s': "
							  "hasNextPage without endCursor",
							  e->entity);
				} else {
					/* never move the watermark back */
					const char *w = last_upd;

					if (!more && w && wm && kt_time_parse_ms(wm) >
					    kt_time_parse_ms(w))
						w = wm;
					rc = store(g, e, bt, r, more ? cur : NULL, w);
					pages++;
					free(after);
					after = more ? strdup(cur) : NULL;
					if (rc == PULSE_OK && more && !after)
						rc = fb_oom(g);
					fb_api->progress(g->job, e->entity, (uint64_t)pages, 0);
				}
			}
		}
		free(err);
		json_object_put(o);
		json_object_put(body);
		fb_api->http_release(r);
	}
	fb_api->job_log(g->job, PULSE_LOG_INFO, "graphql entity=%s pages=%d",
			e->entity, pages);
	free(wm);
	free(last_upd);
	free(q);
	free(after);
	free(since);
	return rc;
}

int32_t fb_graphql(struct fb *g)
{
	const char *cfg = fb_api->config_string(g->job, "graphql");
	struct json_object *a = cfg ? json_tokener_parse(cfg) : NULL;
	int timeout_s = (int)fb_api->config_int(g->job, "graphql_timeout_seconds", 100);
	int first = (int)fb_api->config_int(g->job, "graphql_page_size", FB_GQL_PAGE);
	int32_t rc = PULSE_OK;
	size_t i;

	for (i = 0; rc == PULSE_OK && a && json_object_is_type(a, json_type_array) &&
	     i < json_object_array_length(a); i++) {
		struct json_object *x = json_object_array_get_idx(a, i);
		struct ent e = {pj_str(x, "endpoint"), pj_str(x, "entity"),
				pj_str(x, "key"), pj_str(x, "updated"),
				pj_arr(x, "fields"), "", "", ""};

		if (!e.endpoint || !e.entity || !e.key || !e.fields)
			continue; /* validate() refused it already */
		snprintf(e.k_after, sizeof(e.k_after), "gql.%s.after", e.entity);
		snprintf(e.k_since, sizeof(e.k_since), "gql.%s.since", e.entity);
		snprintf(e.k_wm, sizeof(e.k_wm), "gql.%s.wm", e.entity);
		rc = entity(g, &e, timeout_s, first);
	}
	json_object_put(a);
	return rc;
}
