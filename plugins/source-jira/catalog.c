/*
 * source-jira catalogues: the API user's time zone, the custom fields,
 * the projects in scope, statuses, issue types, workflows and sprints.
 * Every response worth keeping is stored as one raw page; listings that
 * only steer the extract (fields, boards) are not.
 */
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "jira.h"

#define PROJECT_PAGE 50
#define AGILE_PAGE 50
#define KEYS_PER_REQUEST 50
/* The schema of Jira Cloud's Development summary field. */
#define JR_DEV_SUMMARY_TYPE \
	"com.atlassian.jira.plugins.jira-development-integration-plugin:devsummarycf"

/* The API user's time zone: JQL date literals are read in it. */
static int32_t load_myself(struct jr *g)
{
	char *url = kt_asprintf("%s/rest/api/3/myself", g->base), err[300];
	pulse_http_response *r = NULL;
	struct json_object *o = NULL;
	const char *zone;
	int32_t rc;

	if (!url)
		return jr_oom(g);
	if ((rc = jr_get_ok(g, url, "the API user's profile", &r)) != PULSE_OK)
		goto out;
	o = kt_page_json(jr_api, r);
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
	char *url = kt_asprintf("%s/rest/api/3/field", g->base);
	pulse_http_response *r = NULL;
	struct json_object *arr = NULL;
	size_t i;
	int32_t rc;

	if (!url)
		return jr_oom(g);
	if ((rc = jr_get_ok(g, url, "the field list", &r)) != PULSE_OK)
		goto out;
	arr = kt_page_json(jr_api, r);
	for (i = 0; arr && json_object_is_type(arr, json_type_array) &&
	     i < json_object_array_length(arr); i++) {
		struct json_object *f = json_object_array_get_idx(arr, i);
		const char *id = pj_str(f, "id"), *name = pj_str(f, "name");
		const char *custom = pj_str(pj_obj(f, "schema"), "custom");

		if (!id)
			continue;
		if (custom && strcmp(custom, JR_DEV_SUMMARY_TYPE) == 0 && !g->dev_field[0])
			snprintf(g->dev_field, sizeof(g->dev_field), "%s", id);
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
	jr_api->log(jr_host, PULSE_LOG_DEBUG, "fields sprint=%s points=%s "
		    "development=%s", g->sprint_field[0] ? g->sprint_field : "-",
		    g->points_field[0] ? g->points_field : "-",
		    g->dev_field[0] ? g->dev_field : "-");
out:
	json_object_put(arr);
	jr_api->http_release(r);
	free(url);
	return rc;
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

static int32_t note_projects(struct jr *g, struct json_object *vals, void *arg)
{
	size_t i, n = json_object_array_length(vals);

	(void)arg;
	for (i = 0; i < n; i++) {
		struct json_object *p = json_object_array_get_idx(vals, i);
		char idb[32];
		const char *id = jr_idstr(p, "id", idb, sizeof(idb));
		const char *key = pj_str(p, "key");

		if (id && key && add_proj(g, id, key) < 0)
			return jr_oom(g);
	}
	return PULSE_OK;
}

/* One run of /project/search pages; keys (may be empty) filters. */
static int32_t list_projects(struct jr *g, const char *keys_query)
{
	char *url = kt_asprintf("%s/rest/api/3/project/search", g->base);
	char *query = kt_asprintf("&orderBy=key&expand=description,lead,"
				  "issueTypes%s", keys_query);
	struct jr_listing l = {
		.url = url,
		.query = query,
		.page_size = PROJECT_PAGE,
		.entity = JR_RAW_PROJECTS,
		.what = "the project list",
		.values = note_projects,
	};
	int32_t rc;

	rc = url && query ? jr_get_listing(g, &l) : jr_oom(g);
	free(url);
	free(query);
	return rc;
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
	char *url = kt_asprintf("%s%s", g->base, path);
	pulse_http_response *r = NULL;
	int32_t rc;

	if (!url)
		return jr_oom(g);
	rc = jr_get_ok(g, url, what, &r);
	if (rc == PULSE_OK)
		rc = kt_page_store(&g->pages, entity, "GET", url, NULL, r, NULL, NULL);
	jr_api->http_release(r);
	free(url);
	return rc;
}

/* Workflows need admin rights on some sites and an answer other than 200
 * only costs us the workflows table, so it is logged, not fatal. */
static int32_t workflows_refused(struct jr *g, const char *url,
				 const pulse_http_response *r, void *arg)
{
	char msg[300];

	(void)g;
	(void)url;
	(void)arg;
	jr_errmsg(r, msg, sizeof(msg));
	jr_api->log(jr_host, PULSE_LOG_WARN, "workflows_skipped status=%u "
		    "message=\"%s\"", jr_api->http_status(r), msg);
	return PULSE_OK;
}

static int32_t load_workflows(struct jr *g)
{
	char *url = kt_asprintf("%s/rest/api/3/workflows/search", g->base);
	struct jr_listing l = {
		.url = url,
		.query = "&expand=values.transitions",
		.page_size = 50,
		.entity = JR_RAW_WORKFLOWS,
		.refused = workflows_refused,
	};
	int32_t rc;

	rc = url ? jr_get_listing(g, &l) : jr_oom(g);
	free(url);
	return rc;
}

struct board {
	const char *id;
	int configured;
};

/* 400 (a kanban board) and 404 (gone) end a board's sprints quietly
 * unless the board was named in `boards`. */
static int32_t sprints_refused(struct jr *g, const char *url,
			       const pulse_http_response *r, void *arg)
{
	const struct board *b = arg;
	char msg[300];

	(void)url;
	jr_errmsg(r, msg, sizeof(msg));
	if (b->configured && jr_api->http_status(r) == 404)
		return jr_api->fail(g->job, PULSE_ERR_PERMANENT, "Jira board %s "
				    "not found (%s); check `boards`", b->id, msg);
	jr_api->log(jr_host, PULSE_LOG_INFO, "board=%s sprints_skipped "
		    "status=%u message=\"%s\"", b->id, jr_api->http_status(r), msg);
	return PULSE_OK;
}

/* The sprints of one board, stored with the board id as context. */
static int32_t board_sprints(struct jr *g, const char *board, int configured)
{
	struct board b = {board, configured};
	char params[64];
	char *url = kt_asprintf("%s/rest/agile/1.0/board/%s/sprint", g->base,
				board);
	struct jr_listing l = {
		.url = url,
		.page_size = AGILE_PAGE,
		.entity = JR_RAW_SPRINTS,
		.params = params,
		.refused = sprints_refused,
		.arg = &b,
	};
	int32_t rc;

	snprintf(params, sizeof(params), "{\"board_id\":\"%s\"}", board);
	rc = url ? jr_get_listing(g, &l) : jr_oom(g);
	free(url);
	return rc;
}

static int in_scope(const struct jr *g, const char *project_id)
{
	size_t i;

	for (i = 0; project_id && i < g->nproj; i++)
		if (strcmp(g->proj[i].id, project_id) == 0)
			return 1;
	return 0;
}

static int32_t boards_refused(struct jr *g, const char *url,
			      const pulse_http_response *r, void *arg)
{
	(void)g;
	(void)url;
	(void)arg;
	jr_api->log(jr_host, PULSE_LOG_WARN, "boards_skipped status=%u",
		    jr_api->http_status(r));
	return PULSE_OK;
}

/* The scrum boards of the projects in scope: their sprints. */
static int32_t note_boards(struct jr *g, struct json_object *vals, void *arg)
{
	size_t k, cnt = json_object_array_length(vals);
	int32_t rc = PULSE_OK;

	(void)arg;
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
	return rc;
}

/* Sprints of the configured boards, or of every scrum board of the
 * projects in scope. */
static int32_t load_sprints(struct jr *g)
{
	uint32_t i, n = jr_api->config_list_count(g->job, "boards");
	struct jr_listing l = {
		.page_size = AGILE_PAGE,
		.refused = boards_refused,
		.values = note_boards,
	};
	char *url;
	int32_t rc = PULSE_OK;

	jr_progress(g, "sprints", 0, 0);
	for (i = 0; i < n && rc == PULSE_OK; i++)
		rc = board_sprints(g, jr_api->config_list_item(g->job, "boards", i), 1);
	if (n)
		return rc;
	if (!(url = kt_asprintf("%s/rest/agile/1.0/board", g->base)))
		return jr_oom(g);
	l.url = url;
	rc = jr_get_listing(g, &l);
	free(url);
	return rc;
}

static int cmp_proj(const void *a, const void *b)
{
	return strcmp(((const struct jr_proj *)a)->key, ((const struct jr_proj *)b)->key);
}

int32_t jr_load_catalog(struct jr *g)
{
	int32_t rc;

	jr_progress(g, "connecting", 0, 0);
	if ((rc = load_myself(g)) != PULSE_OK ||
	    (rc = load_fields(g)) != PULSE_OK ||
	    (rc = load_projects(g)) != PULSE_OK)
		return rc;
	qsort(g->proj, g->nproj, sizeof(*g->proj), cmp_proj);
	jr_progress(g, "statuses, issue types and workflows", 0, 0);
	if ((rc = load_plain(g, "/rest/api/3/status", JR_RAW_STATUSES,
			     "the statuses")) != PULSE_OK ||
	    (rc = load_plain(g, "/rest/api/3/issuetype", JR_RAW_TYPES,
			     "the issue types")) != PULSE_OK ||
	    (rc = load_workflows(g)) != PULSE_OK)
		return rc;
	return load_sprints(g);
}
