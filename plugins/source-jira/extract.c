/*
 * source-jira extract: the catalogues (the API user's time zone, custom
 * fields, projects, statuses, issue types, workflows, sprints), then the
 * issues (issues.c). Every response worth keeping is stored as one raw
 * page; listings that only steer the extract (fields, boards) are not.
 */
#define _GNU_SOURCE 1 /* vasprintf */

#include <inttypes.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "jira.h"

#define PROJECT_PAGE 50
#define AGILE_PAGE 50
#define KEYS_PER_REQUEST 50

const char *const jr_get_headers[] = {
	"Accept: application/json",
	NULL,
};
/* Jira refuses browser-form content types on API POSTs (XSRF check). */
const char *const jr_post_headers[] = {
	"Accept: application/json",
	"Content-Type: application/json",
	NULL,
};

/* ------------------------------------------------------------ helpers */

char *jr_asprintf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

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

int32_t jr_store(struct jr *g, const char *entity, const char *method,
		 const char *url, const char *params,
		 const pulse_http_response *resp, const char *ckey,
		 const char *cval)
{
	pulse_raw_page p = {PULSE_STRUCT_HEADER(pulse_raw_page)};
	uint64_t len = 0;
	int32_t rc;

	p.entity = entity;
	p.request_method = method;
	p.request_url = url;
	p.request_params = params;
	p.http_status = jr_api->http_status(resp);
	p.body = jr_api->http_body(resp, &len);
	p.body_len = len;
	p.checkpoint_key = ckey;
	p.checkpoint_value = cval;
	rc = jr_api->raw_store(g->job, &p);
	if (rc == PULSE_OK)
		g->stored++;
	return rc;
}

struct json_object *jr_body(const pulse_http_response *r)
{
	uint64_t len = 0;
	const char *b = jr_api->http_body(r, &len);

	return b && len ? json_tokener_parse(b) : NULL;
}

void jr_errmsg(const pulse_http_response *r, char *out, size_t n)
{
	struct json_object *o = jr_body(r), *msgs = pj_arr(o, "errorMessages");
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
static int32_t get_ok(struct jr *g, const char *url, const char *what,
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

/* ------------------------------------------------------------ catalogues */

/* The API user's time zone: JQL date literals are read in it. */
static int32_t load_myself(struct jr *g)
{
	char *url = jr_asprintf("%s/rest/api/3/myself", g->base), err[300];
	pulse_http_response *r = NULL;
	struct json_object *o = NULL;
	const char *zone;
	int32_t rc;

	if (!url)
		return jr_oom(g);
	if ((rc = get_ok(g, url, "the API user's profile", &r)) != PULSE_OK)
		goto out;
	o = jr_body(r);
	zone = pj_str(o, "timeZone");
	snprintf(g->tzname, sizeof(g->tzname), "%s", zone ? zone : "");
	if (zone && !(g->tz = jr_tz_load(zone, err, sizeof(err))))
		jr_api->log(jr_host, PULSE_LOG_WARN, "timezone_unknown zone=\"%s\" "
			    "error=\"%s\" effect=\"JQL bounds widened by 14 h\"",
			    zone, err);
	else if (!zone)
		jr_api->log(jr_host, PULSE_LOG_WARN, "timezone_missing effect=\"JQL "
			    "bounds widened by 14 h\"");
out:
	json_object_put(o);
	jr_api->http_release(r);
	free(url);
	return rc;
}

/* The Sprint and story-point custom fields differ per site. */
static int32_t load_fields(struct jr *g)
{
	char *url = jr_asprintf("%s/rest/api/3/field", g->base);
	pulse_http_response *r = NULL;
	struct json_object *arr = NULL;
	size_t i;
	int32_t rc;

	if (!url)
		return jr_oom(g);
	if ((rc = get_ok(g, url, "the field list", &r)) != PULSE_OK)
		goto out;
	arr = jr_body(r);
	for (i = 0; arr && json_object_is_type(arr, json_type_array) &&
	     i < json_object_array_length(arr); i++) {
		struct json_object *f = json_object_array_get_idx(arr, i);
		const char *id = pj_str(f, "id"), *name = pj_str(f, "name");
		const char *custom = pj_str(pj_obj(f, "schema"), "custom");

		if (!id)
			continue;
		if (custom && strcmp(custom, "com.pyxis.greenhopper.jira:gh-sprint") == 0 &&
		    !g->sprint_field[0])
			snprintf(g->sprint_field, sizeof(g->sprint_field), "%s", id);
		/* Team-managed "Story point estimate" first, then the classic
		 * "Story Points" */
		if ((custom && strcmp(custom, "com.pyxis.greenhopper.jira:jsw-story-points") == 0) ||
		    (name && strcasecmp(name, "Story point estimate") == 0))
			snprintf(g->points_field, sizeof(g->points_field), "%s", id);
		else if (name && strcasecmp(name, "Story Points") == 0 && !g->points_field[0])
			snprintf(g->points_field, sizeof(g->points_field), "%s", id);
	}
	jr_api->log(jr_host, PULSE_LOG_DEBUG, "fields sprint=%s points=%s",
		    g->sprint_field[0] ? g->sprint_field : "-",
		    g->points_field[0] ? g->points_field : "-");
out:
	json_object_put(arr);
	jr_api->http_release(r);
	free(url);
	return rc;
}

static int cmp_proj(const void *a, const void *b)
{
	return strcmp(((const struct jr_proj *)a)->key, ((const struct jr_proj *)b)->key);
}

static int add_proj(struct jr *g, const char *id, const char *key)
{
	struct jr_proj *nv;
	size_t i;

	for (i = 0; i < g->nproj; i++)
		if (strcmp(g->proj[i].id, id) == 0)
			return 0;
	nv = realloc(g->proj, (g->nproj + 1) * sizeof(*nv));
	if (!nv)
		return -1;
	g->proj = nv;
	snprintf(nv[g->nproj].id, sizeof(nv->id), "%s", id);
	snprintf(nv[g->nproj].key, sizeof(nv->key), "%s", key);
	g->nproj++;
	return 0;
}

/* One run of /project/search pages; keys (may be empty) filters. */
static int32_t list_projects(struct jr *g, const char *keys_query)
{
	int64_t start = 0;
	int32_t rc = PULSE_OK;

	for (;;) {
		char *url = jr_asprintf("%s/rest/api/3/project/search?startAt=%" PRId64
					"&maxResults=%d&orderBy=key&expand=description,"
					"lead,issueTypes%s", g->base, start, PROJECT_PAGE,
					keys_query);
		pulse_http_response *r = NULL;
		struct json_object *o = NULL, *vals;
		size_t i, n = 0;
		int last;

		if (!url)
			return jr_oom(g);
		rc = get_ok(g, url, "the project list", &r);
		if (rc == PULSE_OK)
			rc = jr_store(g, JR_RAW_PROJECTS, "GET", url, NULL, r, NULL, NULL);
		if (rc == PULSE_OK) {
			o = jr_body(r);
			vals = pj_arr(o, "values");
			n = vals ? json_object_array_length(vals) : 0;
			for (i = 0; i < n && rc == PULSE_OK; i++) {
				struct json_object *p = json_object_array_get_idx(vals, i);
				char idb[32];
				const char *id = jr_idstr(p, "id", idb, sizeof(idb));
				const char *key = pj_str(p, "key");

				if (id && key && add_proj(g, id, key) < 0)
					rc = jr_oom(g);
			}
		}
		last = pj_bool(o, "isLast", 1) || n == 0;
		json_object_put(o);
		jr_api->http_release(r);
		free(url);
		if (rc != PULSE_OK || last)
			return rc;
		start += (int64_t)n;
	}
}

static int32_t load_projects(struct jr *g)
{
	uint32_t i, n = jr_api->config_list_count(g->job, "projects");
	char *q = NULL, missing[400] = "";
	size_t qlen = 0, ml = 0, k;
	int32_t rc = PULSE_OK;

	jr_progress(g, "projects", 0, 0);
	if (n == 0)
		return list_projects(g, "");
	/* Named projects: `keys` takes at most 50 per request. */
	for (i = 0; i < n && rc == PULSE_OK; i++) {
		const char *key = jr_api->config_list_item(g->job, "projects", i);
		char *nq = realloc(q, qlen + strlen(key) + 8);

		if (!nq) {
			rc = jr_oom(g);
			break;
		}
		q = nq;
		qlen += (size_t)sprintf(q + qlen, "&keys=%s", key);
		if ((i + 1) % KEYS_PER_REQUEST == 0 || i + 1 == n) {
			rc = list_projects(g, q);
			qlen = 0;
			q[0] = '\0';
		}
	}
	free(q);
	if (rc != PULSE_OK)
		return rc;
	for (i = 0; i < n; i++) {
		const char *key = jr_api->config_list_item(g->job, "projects", i);

		for (k = 0; k < g->nproj; k++)
			if (strcasecmp(g->proj[k].key, key) == 0)
				break;
		if (k == g->nproj && ml + 1 < sizeof(missing))
			ml += (size_t)snprintf(missing + ml, sizeof(missing) - ml,
					       "%s%s", ml ? ", " : "", key);
	}
	if (ml)
		return jr_api->fail(g->job, PULSE_ERR_PERMANENT, "Jira project%s %s "
				    "not found or not visible to %s; check `projects` "
				    "and the account's permissions", strchr(missing, ',') ?
				    "s" : "", missing,
				    jr_api->config_string(g->job, "email"));
	return PULSE_OK;
}

/* An unpaged catalogue (statuses, issue types), stored as one page. */
static int32_t load_plain(struct jr *g, const char *path, const char *entity,
			  const char *what)
{
	char *url = jr_asprintf("%s%s", g->base, path);
	pulse_http_response *r = NULL;
	int32_t rc;

	if (!url)
		return jr_oom(g);
	rc = get_ok(g, url, what, &r);
	if (rc == PULSE_OK)
		rc = jr_store(g, entity, "GET", url, NULL, r, NULL, NULL);
	jr_api->http_release(r);
	free(url);
	return rc;
}

/* Workflows need admin rights on some sites and an answer other than 200
 * only costs us the workflows table, so it is logged, not fatal. */
static int32_t load_workflows(struct jr *g)
{
	int64_t start = 0;
	int32_t rc = PULSE_OK;

	for (;;) {
		char *url = jr_asprintf("%s/rest/api/3/workflows/search?startAt=%" PRId64
					"&maxResults=50&expand=values.transitions",
					g->base, start);
		pulse_http_response *r = NULL;
		struct json_object *o = NULL, *vals;
		size_t n = 0;
		int last = 1;

		if (!url)
			return jr_oom(g);
		rc = jr_call(g, "GET", url, NULL, PULSE_HTTP_JSON, &r);
		if (rc == PULSE_OK && jr_api->http_status(r) != 200) {
			char msg[300];

			jr_errmsg(r, msg, sizeof(msg));
			jr_api->log(jr_host, PULSE_LOG_WARN, "workflows_skipped status=%u "
				    "message=\"%s\"", jr_api->http_status(r), msg);
		} else if (rc == PULSE_OK) {
			rc = jr_store(g, JR_RAW_WORKFLOWS, "GET", url, NULL, r, NULL, NULL);
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

/* The sprints of one board, stored with the board id as context. 400
 * (a kanban board) and 404 (gone) end it quietly unless the board was
 * named in `boards`. */
static int32_t board_sprints(struct jr *g, const char *board, int configured)
{
	char params[64];
	int64_t start = 0;
	int32_t rc = PULSE_OK;

	snprintf(params, sizeof(params), "{\"board_id\":\"%s\"}", board);
	for (;;) {
		char *url = jr_asprintf("%s/rest/agile/1.0/board/%s/sprint?startAt=%"
					PRId64 "&maxResults=%d", g->base, board, start,
					AGILE_PAGE);
		pulse_http_response *r = NULL;
		struct json_object *o = NULL, *vals;
		size_t n = 0;
		int last = 1;

		if (!url)
			return jr_oom(g);
		rc = jr_call(g, "GET", url, NULL, PULSE_HTTP_JSON, &r);
		if (rc == PULSE_OK && jr_api->http_status(r) != 200) {
			char msg[300];

			jr_errmsg(r, msg, sizeof(msg));
			if (configured && jr_api->http_status(r) == 404)
				rc = jr_api->fail(g->job, PULSE_ERR_PERMANENT, "Jira board "
						  "%s not found (%s); check `boards`",
						  board, msg);
			else
				jr_api->log(jr_host, PULSE_LOG_INFO, "board=%s sprints_skipped "
					    "status=%u message=\"%s\"", board,
					    jr_api->http_status(r), msg);
		} else if (rc == PULSE_OK) {
			rc = jr_store(g, JR_RAW_SPRINTS, "GET", url, params, r, NULL, NULL);
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

static int in_scope(const struct jr *g, const char *project_id)
{
	size_t i;

	for (i = 0; project_id && i < g->nproj; i++)
		if (strcmp(g->proj[i].id, project_id) == 0)
			return 1;
	return 0;
}

/* Sprints of the configured boards, or of every scrum board of the
 * projects in scope. */
static int32_t load_sprints(struct jr *g)
{
	uint32_t i, n = jr_api->config_list_count(g->job, "boards");
	int64_t start = 0;
	int32_t rc = PULSE_OK;

	jr_progress(g, "sprints", 0, 0);
	for (i = 0; i < n && rc == PULSE_OK; i++)
		rc = board_sprints(g, jr_api->config_list_item(g->job, "boards", i), 1);
	if (n)
		return rc;
	for (;;) {
		char *url = jr_asprintf("%s/rest/agile/1.0/board?startAt=%" PRId64
					"&maxResults=%d", g->base, start, AGILE_PAGE);
		pulse_http_response *r = NULL;
		struct json_object *o = NULL, *vals;
		size_t k, cnt = 0;
		int last = 1;

		if (!url)
			return jr_oom(g);
		rc = jr_call(g, "GET", url, NULL, PULSE_HTTP_JSON, &r);
		if (rc == PULSE_OK && jr_api->http_status(r) != 200) {
			jr_api->log(jr_host, PULSE_LOG_WARN, "boards_skipped status=%u",
				    jr_api->http_status(r));
		} else if (rc == PULSE_OK) {
			o = jr_body(r);
			vals = pj_arr(o, "values");
			cnt = vals ? json_object_array_length(vals) : 0;
			last = pj_bool(o, "isLast", 1) || cnt == 0;
			for (k = 0; k < cnt && rc == PULSE_OK; k++) {
				struct json_object *b = json_object_array_get_idx(vals, k);
				struct json_object *loc = pj_obj(b, "location");
				char idb[32], pb[32];
				const char *id = jr_idstr(b, "id", idb, sizeof(idb));
				const char *pid = jr_idstr(loc, "projectId", pb, sizeof(pb));
				const char *type = pj_str(b, "type");

				if (!id || !in_scope(g, pid) || (type && strcmp(type, "kanban") == 0))
					continue;
				rc = board_sprints(g, id, 0);
			}
		}
		json_object_put(o);
		jr_api->http_release(r);
		free(url);
		if (rc != PULSE_OK || last)
			return rc;
		start += (int64_t)cnt;
	}
}

/* ------------------------------------------------------------ extract */

int32_t jr_extract(void *state, pulse_job *job)
{
	struct jr g;
	const char *base = jr_api->config_string(job, "base_url");
	const char *since = jr_api->config_string(job, "since");
	size_t n;
	int32_t rc;

	(void)state;
	memset(&g, 0, sizeof(g));
	g.job = job;
	g.since_ms = since && *since ? jr_parse_time_ms(since) : JR_NO_TIME;
	g.dev_status = jr_api->config_bool(job, "dev_status", 1);
	n = base ? strlen(base) : 0;
	while (n > 0 && base[n - 1] == '/')
		n--;
	if (!(g.base = strndup(base ? base : "", n)))
		return jr_oom(&g);

	jr_progress(&g, "connecting", 0, 0);
	if ((rc = load_myself(&g)) != PULSE_OK ||
	    (rc = load_fields(&g)) != PULSE_OK ||
	    (rc = load_projects(&g)) != PULSE_OK)
		goto out;
	qsort(g.proj, g.nproj, sizeof(*g.proj), cmp_proj);
	jr_progress(&g, "statuses, issue types and workflows", 0, 0);
	if ((rc = load_plain(&g, "/rest/api/3/status", JR_RAW_STATUSES,
			     "the statuses")) != PULSE_OK ||
	    (rc = load_plain(&g, "/rest/api/3/issuetype", JR_RAW_TYPES,
			     "the issue types")) != PULSE_OK ||
	    (rc = load_workflows(&g)) != PULSE_OK ||
	    (rc = load_sprints(&g)) != PULSE_OK)
		goto out;
	if (jr_api->cancelled(job)) {
		rc = jr_api->fail(job, PULSE_ERR_CANCELLED, "stopped before the issues");
		goto out;
	}
	if ((rc = jr_sync_issues(&g)) != PULSE_OK)
		goto out;
	jr_progress(&g, "done", g.issues, g.issues);
	jr_api->log(jr_host, PULSE_LOG_INFO, "sync projects=%zu issues=%" PRIu64
		    " requests=%" PRIu64 " pages_stored=%" PRIu64 " timezone=%s "
		    "dev_status_pages=%" PRIu64 " dev_status_failures=%" PRIu64,
		    g.nproj, g.issues, g.requests, g.stored,
		    g.tzname[0] ? g.tzname : "-", g.dev_pages, g.dev_failures);
out:
	jr_tz_free(g.tz);
	free(g.proj);
	free(g.base);
	return rc;
}
