/*
 * source-jira client: requests with the integration's basic auth, the
 * rate-limit notes, Jira's error texts, progress, and the one loop of
 * offset-paged (startAt/maxResults) listings.
 */
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "jira.h"

static const char *const jr_get_headers[] = {
	"Accept: application/json",
	NULL,
};
/* Jira refuses browser-form content types on API POSTs (XSRF check). */
static const char *const jr_post_headers[] = {
	"Accept: application/json",
	"Content-Type: application/json",
	NULL,
};

int32_t jr_oom(struct jr *g)
{
	return jr_api->fail(g->job, PULSE_ERR_TRANSIENT, "jira: out of memory");
}

void jr_progress(struct jr *g, const char *step, uint64_t done, uint64_t total)
{
	snprintf(g->prog_step, sizeof(g->prog_step), "%s", step);
	g->prog_done = done;
	g->prog_total = total;
	jr_api->progress(g->job, step, done, total);
}

/* Jira sends X-RateLimit-NearLimit: true when less than a fifth of the
 * budget is left: make it visible as the job's step (the host itself
 * waits out 429s), then carry on with the real step. */
static void note_limits(struct jr *g, const pulse_http_response *r)
{
	const char *near = jr_api->http_header(r, "x-ratelimit-nearlimit");
	const char *rem = jr_api->http_header(r, "x-ratelimit-remaining");
	const char *lim = jr_api->http_header(r, "x-ratelimit-limit");
	char step[200];

	if (!near || strcasecmp(near, "true") != 0)
		return;
	snprintf(step, sizeof(step), "Jira rate limit nearly reached "
		 "(X-RateLimit-Remaining %s of %s)", rem ? rem : "?", lim ? lim : "?");
	jr_api->progress(g->job, step, g->prog_done, g->prog_total);
	if (g->near_logged == 0 || (int64_t)g->requests - g->near_logged >= 100) {
		jr_api->log(jr_host, PULSE_LOG_INFO, "rate_limit_near remaining=%s "
			    "limit=%s", rem ? rem : "?", lim ? lim : "?");
		g->near_logged = (int64_t)g->requests;
	}
	if (g->prog_step[0])
		jr_api->progress(g->job, g->prog_step, g->prog_done, g->prog_total);
}

int32_t jr_call(struct jr *g, const char *method, const char *url,
		struct json_object *body, uint32_t flags,
		pulse_http_response **resp)
{
	pulse_http_request req = {PULSE_STRUCT_HEADER(pulse_http_request)};
	const char *text = body ?
		json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN) : NULL;
	int32_t rc;

	*resp = NULL;
	req.method = method;
	req.url = url;
	req.headers = text ? jr_post_headers : jr_get_headers;
	req.body = text;
	req.body_len = text ? strlen(text) : 0;
	req.flags = flags;
	req.auth = PULSE_AUTH_BASIC;
	req.auth_user = "email";
	req.auth_secret = "api_token";
	rc = jr_api->http(g->job, &req, resp);
	g->requests++;
	if (rc == PULSE_OK)
		note_limits(g, *resp);
	return rc;
}

void jr_errmsg(const pulse_http_response *r, char *out, size_t n)
{
	struct json_object *o = kt_page_json(jr_api, r), *msgs = pj_arr(o, "errorMessages");
	struct json_object *errs = pj_obj(o, "errors");
	size_t i, len = 0;

	out[0] = '\0';
	for (i = 0; msgs && i < json_object_array_length(msgs) && len + 1 < n; i++) {
		const char *m = json_object_get_string(json_object_array_get_idx(msgs, i));

		len += (size_t)snprintf(out + len, n - len, "%s%s", len ? " " : "",
					m ? m : "");
	}
	if (errs && json_object_is_type(errs, json_type_object)) {
		json_object_object_foreach(errs, k, v) {
			if (len + 1 >= n)
				break;
			len += (size_t)snprintf(out + len, n - len, "%s%s: %s",
						len ? " " : "", k,
						json_object_get_string(v));
		}
	}
	if (!len && !o) {
		uint64_t bl = 0;
		const char *b = jr_api->http_body(r, &bl);

		/* not JSON (an HTML error page): show its start */
		snprintf(out, n, "%.120s", b && bl ? b : "");
	}
	json_object_put(o);
}

/* A catalogue request that must succeed: fail the job otherwise. */
int32_t jr_get_ok(struct jr *g, const char *url, const char *what,
		  pulse_http_response **r)
{
	int32_t rc = jr_call(g, "GET", url, NULL, PULSE_HTTP_JSON, r);
	char msg[400];

	if (rc != PULSE_OK)
		return rc;
	if (jr_api->http_status(*r) == 200)
		return PULSE_OK;
	jr_errmsg(*r, msg, sizeof(msg));
	rc = jr_api->fail(g->job, jr_api->http_status(*r) >= 500 ?
			  PULSE_ERR_TRANSIENT : PULSE_ERR_PERMANENT,
			  "Jira did not return %s (HTTP %u%s%s from %s)", what,
			  jr_api->http_status(*r), msg[0] ? ": " : "", msg, url);
	jr_api->http_release(*r);
	*r = NULL;
	return rc;
}

int32_t jr_get_listing(struct jr *g, const struct jr_listing *l)
{
	struct kt_offset pg = {0, 0};
	int32_t rc = PULSE_OK;

	while (!pg.done && rc == PULSE_OK) {
		char *url = kt_asprintf("%s?startAt=%" PRId64 "&maxResults=%d%s",
					l->url, pg.start, l->page_size,
					l->query ? l->query : "");
		pulse_http_response *r = NULL;
		struct json_object *o = NULL, *vals = NULL;

		if (!url)
			return jr_oom(g);
		if (l->refused)
			rc = jr_call(g, "GET", url, NULL, PULSE_HTTP_JSON, &r);
		else
			rc = jr_get_ok(g, url, l->what, &r);
		if (rc == PULSE_OK && jr_api->http_status(r) != 200) {
			rc = l->refused(g, url, r, l->arg);
			pg.done = 1;
		} else if (rc == PULSE_OK) {
			if (l->entity)
				rc = kt_page_store(&g->pages, l->entity, "GET", url,
						   l->params, r, NULL, NULL);
			o = kt_page_json(jr_api, r);
			vals = pj_arr(o, "values");
			if (rc == PULSE_OK && vals && l->values)
				rc = l->values(g, vals, l->arg);
			kt_offset_step(&pg, vals ? json_object_array_length(vals) : 0,
				       pj_bool(o, "isLast", 1));
		}
		json_object_put(o);
		jr_api->http_release(r);
		free(url);
	}
	return rc;
}
