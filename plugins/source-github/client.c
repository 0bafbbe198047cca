/*
 * source-github client: requests to the REST and GraphQL APIs with the
 * integration's token, the extract's state keys, and error texts.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extract.h"

#define GQL_MAX_TRIES 8

static const char *const rest_headers[] = {
	"Accept: application/vnd.github+json",
	"X-GitHub-Api-Version: 2022-11-28",
	NULL,
};
static const char *const gql_headers[] = {
	"Accept: application/vnd.github+json",
	"Content-Type: application/json",
	"X-GitHub-Api-Version: 2022-11-28",
	NULL,
};

int32_t gh_oom(struct gh *g)
{
	return gh_api->fail(g->job, PULSE_ERR_TRANSIENT, "github: out of memory");
}

/* State value, with "" meaning absent (state keys are cleared that way).
 * Caller frees with gh_api->free. */
char *gh_state(struct gh *g, const char *prefix, const char *repo)
{
	char key[400];
	char *v;

	snprintf(key, sizeof(key), "%s%s", prefix, repo);
	v = gh_api->state_get(g->job, key);
	if (v && !*v) {
		gh_api->free(v);
		v = NULL;
	}
	return v;
}

int32_t gh_state_put(struct gh *g, const char *prefix, const char *repo,
		     const char *value)
{
	char key[400];

	snprintf(key, sizeof(key), "%s%s", prefix, repo);
	return gh_api->state_set(g->job, key, value ? value : "");
}

int32_t gh_rest_get(struct gh *g, const char *url, int conditional,
		    pulse_http_response **resp)
{
	pulse_http_request req = {PULSE_STRUCT_HEADER(pulse_http_request)};

	req.method = "GET";
	req.url = url;
	req.headers = rest_headers;
	req.flags = PULSE_HTTP_JSON | (conditional ? PULSE_HTTP_CONDITIONAL : 0);
	req.auth = PULSE_AUTH_BEARER;
	req.auth_secret = "tokens";
	return gh_api->http(g->job, &req, resp);
}

char *gh_next_url(const pulse_http_response *r)
{
	return kt_link_next(gh_api->http_header(r, "link"));
}

/* The "message" of an error body, for error texts. */
void gh_body_msg(const pulse_http_response *r, char *out, size_t n)
{
	struct json_object *o = kt_page_json(gh_api, r);
	const char *m = pj_str(o, "message");

	snprintf(out, n, "%s", m ? m : "");
	json_object_put(o);
}

int32_t gh_rest_pages(struct gh *g, char *url, const char *entity,
		      const char *params, const char *params_more,
		      const char *repo, const char *what, gh_page_fn fn,
		      void *arg)
{
	struct kt_links it;
	pulse_http_response *r = NULL;
	int32_t rc = PULSE_OK;

	kt_links_start(&it, url);
	while (it.url && rc == PULSE_OK) {
		if ((rc = gh_rest_get(g, it.url, 0, &r)) != PULSE_OK)
			break;
		if (gh_api->http_status(r) != 200) {
			/* e.g. a force-pushed SHA: the time-based fallback applies */
			gh_api->log(gh_host, PULSE_LOG_WARN, "repo=%s %s status=%u "
				    "skipped", repo, what, gh_api->http_status(r));
			break;
		}
		if (fn) {
			struct json_object *body = kt_page_json(gh_api, r);

			fn(body, arg);
			json_object_put(body);
		}
		rc = kt_page_store(&g->pages, entity, "GET", it.url,
				   it.page && params_more ? params_more : params,
				   r, NULL, NULL);
		kt_links_step(&it, gh_next_url(r));
		gh_api->http_release(r);
		r = NULL;
	}
	gh_api->http_release(r);
	kt_links_free(&it);
	return rc;
}

/* ------------------------------------------------------------ GraphQL */

/* Find an error of one of the given types (NULL-terminated). */
struct json_object *gh_gql_error(struct json_object *doc,
				 const char *const *types)
{
	struct json_object *errs = pj_obj(doc, "errors");
	size_t i, j;

	if (!errs || !json_object_is_type(errs, json_type_array))
		return NULL;
	for (i = 0; i < json_object_array_length(errs); i++) {
		struct json_object *e = json_object_array_get_idx(errs, i);
		const char *t = pj_str(e, "type");

		for (j = 0; t && types[j]; j++)
			if (strcmp(t, types[j]) == 0)
				return e;
	}
	return NULL;
}

static void report_budget(struct gh *g, struct json_object *doc)
{
	struct json_object *rl = gh_path(doc, "data", "rateLimit", NULL);
	int64_t reset;

	if (!rl)
		return;
	reset = kt_time_parse_s(pj_str(rl, "resetAt"));
	if (reset > 0)
		g->last_reset = reset;
	gh_api->rate_budget(g->job, pj_int(rl, "remaining", 0),
			    pj_int(rl, "limit", 0), reset > 0 ? reset : 0);
}

/*
 * POST one GraphQL query. On PULSE_OK, *resp is the response (to store;
 * the caller releases it) and *doc its parsed body (the caller puts it);
 * errors that come with data (e.g. NOT_FOUND of one alias) are left for
 * the caller. Rate limits in a 200 are waited out (the host rotates
 * tokens or sleeps until the reset) and the query is sent again.
 */
int32_t gh_gql(struct gh *g, const char *query, struct json_object *vars,
	       pulse_http_response **resp, struct json_object **doc)
{
	static const char *const limited[] = {"RATE_LIMITED", "RATE_LIMIT", NULL};
	pulse_http_request req = {PULSE_STRUCT_HEADER(pulse_http_request)};
	struct json_object *body = json_object_new_object();
	const char *text;
	int tries, other = 0;
	int32_t rc = PULSE_ERR;

	*resp = NULL;
	*doc = NULL;
	if (!body)
		return gh_oom(g);
	json_object_object_add(body, "query", json_object_new_string(query));
	json_object_object_add(body, "variables", json_object_get(vars));
	text = json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN);
	req.method = "POST";
	req.url = g->graphql;
	req.headers = gql_headers;
	req.body = text;
	req.body_len = strlen(text);
	req.flags = PULSE_HTTP_JSON;
	req.auth = PULSE_AUTH_BEARER;
	req.auth_secret = "tokens";
	for (tries = 0; tries < GQL_MAX_TRIES; tries++) {
		struct json_object *e;
		uint32_t status;
		char msg[300];

		rc = gh_api->http(g->job, &req, resp);
		if (rc != PULSE_OK)
			goto out;
		status = gh_api->http_status(*resp);
		if (status != 200) {
			gh_body_msg(*resp, msg, sizeof(msg));
			rc = gh_api->fail(g->job, status >= 500 ? PULSE_ERR_TRANSIENT :
					  PULSE_ERR_PERMANENT,
					  "GitHub GraphQL request failed (HTTP %u%s%s)",
					  status, msg[0] ? ": " : "", msg);
			goto out;
		}
		*doc = kt_page_json(gh_api, *resp);
		if ((e = gh_gql_error(*doc, limited)) != NULL) {
			const char *h = gh_api->http_header(*resp, "x-ratelimit-reset");
			int64_t reset = h ? strtoll(h, NULL, 10) : g->last_reset;
			char why[128], at[32];

			if (reset <= 0)
				reset = g->last_reset;
			kt_time_format_ms(reset * 1000, 0, at, sizeof(at));
			snprintf(why, sizeof(why),
				 "waiting for GitHub GraphQL rate limit reset at %s", at);
			gh_api->log(gh_host, PULSE_LOG_INFO, "graphql_rate_limited "
				    "type=%s reset=%s", pj_str(e, "type"), at);
			json_object_put(*doc);
			*doc = NULL;
			gh_api->http_release(*resp);
			*resp = NULL;
			if ((rc = gh_api->wait_until(g->job, reset, why)) != PULSE_OK)
				goto out;
			continue;
		}
		if (!pj_obj(*doc, "data")) {
			struct json_object *e0 = json_object_array_get_idx(
				pj_obj(*doc, "errors"), 0);
			const char *m = pj_str(e0, "message");
			int bad_query = pj_obj(e0, "extensions") || pj_obj(e0, "locations");

			snprintf(msg, sizeof(msg), "%s", m ? m : "no data in the response");
			json_object_put(*doc);
			*doc = NULL;
			gh_api->http_release(*resp);
			*resp = NULL;
			if (bad_query || ++other > 2) {
				rc = gh_api->fail(g->job, bad_query ? PULSE_ERR_PERMANENT :
						  PULSE_ERR_TRANSIENT,
						  "GitHub GraphQL error: %s", msg);
				goto out;
			}
			continue;
		}
		report_budget(g, *doc);
		rc = PULSE_OK;
		goto out;
	}
	rc = gh_api->fail(g->job, PULSE_ERR_TRANSIENT, "GitHub GraphQL rate limit "
			  "still exhausted after %d waits; the job will be retried",
			  GQL_MAX_TRIES);
out:
	if (rc != PULSE_OK) {
		json_object_put(*doc);
		*doc = NULL;
		gh_api->http_release(*resp);
		*resp = NULL;
	}
	json_object_put(body);
	return rc;
}
