/*
 * source-jira transform: one stored page -> canonical records. A pure
 * function of the page (its body and request_params) and the
 * integration's settings, so pages may be transformed in any order,
 * concurrently, and replayed.
 */
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jira.h"

/* The page's request_params as an object (NULL if none). */
static struct json_object *page_params(const pulse_raw_page *page)
{
	return page->request_params ? json_tokener_parse(page->request_params) : NULL;
}

/* ------------------------------------------------------------ catalogues */

static int32_t t_projects(pulse_job *job, struct json_object *body)
{
	struct json_object *vals = pj_arr(body, "values");
	const char *base = jr_api->config_string(job, "base_url");
	size_t i, n = base ? strlen(base) : 0;
	int32_t rc = PULSE_OK;

	while (n > 0 && base[n - 1] == '/')
		n--;
	for (i = 0; rc == PULSE_OK && vals && i < json_object_array_length(vals); i++) {
		struct json_object *p = json_object_array_get_idx(vals, i);
		char idb[32], url[512];
		const char *id = jr_idstr(p, "id", idb, sizeof(idb));
		const char *key = pj_str(p, "key");
		struct kt_rec x;

		if (!id)
			continue;
		snprintf(url, sizeof(url), "%.*s/browse/%s", (int)n, base ? base : "",
			 key ? key : "");
		kt_rec_begin(&x, jr_api, job, "projects");
		kt_rec_str(&x, "external_id", id);
		kt_rec_str(&x, "key", key);
		kt_rec_str(&x, "name", pj_str(p, "name"));
		kt_rec_str(&x, "project_type", pj_str(p, "projectTypeKey"));
		kt_rec_str(&x, "url", key ? url : NULL);
		rc = kt_rec_end(&x);
	}
	return rc;
}

static int32_t t_statuses(pulse_job *job, struct json_object *body)
{
	size_t i;
	int32_t rc = PULSE_OK;

	for (i = 0; rc == PULSE_OK && json_object_is_type(body, json_type_array) &&
	     i < json_object_array_length(body); i++) {
		struct json_object *s = json_object_array_get_idx(body, i);
		struct json_object *proj = pj_obj(pj_obj(s, "scope"), "project");
		char idb[32], pb[32];
		const char *id = jr_idstr(s, "id", idb, sizeof(idb));
		struct kt_rec x;

		if (!id || !pj_str(s, "name"))
			continue;
		kt_rec_begin(&x, jr_api, job, "statuses");
		kt_rec_str(&x, "external_id", id);
		kt_rec_str(&x, "name", pj_str(s, "name"));
		kt_rec_str(&x, "source_category", pj_str(pj_obj(s, "statusCategory"), "key"));
		kt_rec_str(&x, "project_external_id", jr_idstr(proj, "id", pb, sizeof(pb)));
		rc = kt_rec_end(&x);
	}
	return rc;
}

static int32_t t_types(pulse_job *job, struct json_object *body)
{
	size_t i;
	int32_t rc = PULSE_OK;

	for (i = 0; rc == PULSE_OK && json_object_is_type(body, json_type_array) &&
	     i < json_object_array_length(body); i++) {
		struct json_object *t = json_object_array_get_idx(body, i);
		char idb[32];
		const char *id = jr_idstr(t, "id", idb, sizeof(idb));
		struct kt_rec x;

		if (!id || !pj_str(t, "name"))
			continue;
		kt_rec_begin(&x, jr_api, job, "wits");
		kt_rec_str(&x, "external_id", id);
		kt_rec_str(&x, "name", pj_str(t, "name"));
		kt_rec_str(&x, "description", pj_str(t, "description"));
		kt_rec_bool(&x, "is_subtask", pj_bool(t, "subtask", 0));
		if (pj_obj(t, "hierarchyLevel"))
			kt_rec_int(&x, "hierarchy_level", pj_int(t, "hierarchyLevel", 0));
		rc = kt_rec_end(&x);
	}
	return rc;
}

/* A workflow's statuses (names and categories from the page's top-level
 * statuses) and transitions, as compact JSON. */
static int32_t t_workflows(pulse_job *job, struct json_object *body)
{
	struct json_object *vals = pj_arr(body, "values");
	struct json_object *cat = pj_arr(body, "statuses");
	size_t i, k, j;
	int32_t rc = PULSE_OK;

	for (i = 0; rc == PULSE_OK && vals && i < json_object_array_length(vals); i++) {
		struct json_object *wf = json_object_array_get_idx(vals, i);
		struct json_object *sts = pj_arr(wf, "statuses"), *trs = pj_arr(wf, "transitions");
		struct json_object *out_s = json_object_new_array();
		struct json_object *out_t = json_object_new_array();
		const char *id = pj_str(wf, "id");
		struct kt_rec x;

		if (!out_s || !out_t) {
			json_object_put(out_s);
			json_object_put(out_t);
			return jr_api->fail(job, PULSE_ERR_TRANSIENT, "out of memory");
		}
		for (k = 0; sts && k < json_object_array_length(sts); k++) {
			const char *ref = pj_str(json_object_array_get_idx(sts, k),
						 "statusReference");
			struct json_object *e = json_object_new_object(), *found = NULL;

			for (j = 0; ref && cat && j < json_object_array_length(cat); j++) {
				struct json_object *c = json_object_array_get_idx(cat, j);
				const char *cr = pj_str(c, "statusReference");
				const char *ci = pj_str(c, "id");

				if ((cr && strcmp(cr, ref) == 0) || (ci && strcmp(ci, ref) == 0)) {
					found = c;
					break;
				}
			}
			json_object_object_add(e, "id", json_object_new_string(ref ? ref : ""));
			json_object_object_add(e, "name", pj_str(found, "name") ?
				json_object_new_string(pj_str(found, "name")) : NULL);
			json_object_object_add(e, "category", pj_str(found, "statusCategory") ?
				json_object_new_string(pj_str(found, "statusCategory")) : NULL);
			json_object_array_add(out_s, e);
		}
		for (k = 0; trs && k < json_object_array_length(trs); k++) {
			struct json_object *t = json_object_array_get_idx(trs, k);
			struct json_object *links = pj_arr(t, "links");
			struct json_object *e = json_object_new_object();
			struct json_object *from = json_object_new_array();

			for (j = 0; links && j < json_object_array_length(links); j++) {
				const char *f = pj_str(json_object_array_get_idx(links, j),
						       "fromStatusReference");

				if (f)
					json_object_array_add(from, json_object_new_string(f));
			}
			json_object_object_add(e, "id", pj_str(t, "id") ?
				json_object_new_string(pj_str(t, "id")) : NULL);
			json_object_object_add(e, "name", pj_str(t, "name") ?
				json_object_new_string(pj_str(t, "name")) : NULL);
			json_object_object_add(e, "type", pj_str(t, "type") ?
				json_object_new_string(pj_str(t, "type")) : NULL);
			json_object_object_add(e, "to", pj_str(t, "toStatusReference") ?
				json_object_new_string(pj_str(t, "toStatusReference")) : NULL);
			json_object_object_add(e, "from", from);
			json_object_array_add(out_t, e);
		}
		if (id && pj_str(wf, "name")) {
			kt_rec_begin(&x, jr_api, job, "workflows");
			kt_rec_str(&x, "external_id", id);
			kt_rec_str(&x, "name", pj_str(wf, "name"));
			kt_rec_str(&x, "description", pj_str(wf, "description"));
			kt_rec_json(&x, "statuses", out_s);
			kt_rec_json(&x, "transitions", out_t);
			rc = kt_rec_end(&x);
		}
		json_object_put(out_s);
		json_object_put(out_t);
	}
	return rc;
}

static int32_t t_sprints(pulse_job *job, const pulse_raw_page *page,
			 struct json_object *body)
{
	struct json_object *params = page_params(page);
	struct json_object *vals = pj_arr(body, "values");
	const char *board = pj_str(params, "board_id");
	size_t i;
	int32_t rc = PULSE_OK;

	for (i = 0; rc == PULSE_OK && vals && i < json_object_array_length(vals); i++) {
		struct json_object *sp = json_object_array_get_idx(vals, i);
		char idb[32], bb[32];
		const char *id = jr_idstr(sp, "id", idb, sizeof(idb));
		struct kt_rec x;

		if (!id)
			continue;
		kt_rec_begin(&x, jr_api, job, "sprints");
		kt_rec_str(&x, "external_id", id);
		kt_rec_str(&x, "board_id", board ? board : jr_idstr(sp, "originBoardId", bb, sizeof(bb)));
		kt_rec_str(&x, "name", pj_str(sp, "name"));
		kt_rec_str(&x, "state", pj_str(sp, "state"));
		kt_rec_str(&x, "goal", pj_str(sp, "goal"));
		kt_rec_time(&x, "start_at", pj_str(sp, "startDate"));
		kt_rec_time(&x, "end_at", pj_str(sp, "endDate"));
		kt_rec_time(&x, "complete_at", pj_str(sp, "completeDate"));
		rc = kt_rec_end(&x);
	}
	json_object_put(params);
	return rc;
}

/* ------------------------------------------------------------ issues */

/* Values of a changelog item may be strings, numbers or null. */
static const char *item_text(struct json_object *it, const char *key, char *buf,
			     size_t n)
{
	struct json_object *v = pj_obj(it, key);

	if (!v)
		return NULL;
	if (json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	snprintf(buf, n, "%s", json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
	return buf;
}

/* One history: a changelogs row per item, "<history id>:<item index>". */
static int32_t emit_history(pulse_job *job, const char *issue_id,
			    struct json_object *h)
{
	struct json_object *items = pj_arr(h, "items");
	char hb[32];
	const char *hid = jr_idstr(h, "id", hb, sizeof(hb));
	const char *created = pj_str(h, "created");
	const char *author = pj_str(pj_obj(h, "author"), "accountId");
	size_t i;
	int32_t rc = PULSE_OK;

	if (!hid || !created || !issue_id)
		return PULSE_OK;
	for (i = 0; rc == PULSE_OK && items && i < json_object_array_length(items); i++) {
		struct json_object *it = json_object_array_get_idx(items, i);
		char ext[80], b1[64], b2[64];
		const char *field = pj_str(it, "field");
		struct kt_rec x;

		if (!field)
			continue;
		snprintf(ext, sizeof(ext), "%s:%zu", hid, i);
		kt_rec_begin(&x, jr_api, job, "changelogs");
		kt_rec_str(&x, "external_id", ext);
		kt_rec_str(&x, "work_item_external_id", issue_id);
		kt_rec_str(&x, "author", author);
		kt_rec_str(&x, "field", field);
		kt_rec_str(&x, "from_value", item_text(it, "from", b1, sizeof(b1)));
		kt_rec_str(&x, "to_value", item_text(it, "to", b2, sizeof(b2)));
		kt_rec_str(&x, "from_string", pj_str(it, "fromString"));
		kt_rec_str(&x, "to_string", pj_str(it, "toString"));
		kt_rec_time(&x, "changed_at", created);
		rc = kt_rec_end(&x);
	}
	return rc;
}

static int32_t emit_histories(pulse_job *job, const char *issue_id,
			      struct json_object *hs)
{
	size_t i;
	int32_t rc = PULSE_OK;

	for (i = 0; rc == PULSE_OK && hs && i < json_object_array_length(hs); i++)
		rc = emit_history(job, issue_id, json_object_array_get_idx(hs, i));
	return rc;
}

/* Sprint ids of the sprint field (objects with an id; old sites sent
 * strings "com.atlassian...Sprint@..[id=12,...]"). */
static struct json_object *sprint_ids(struct json_object *v)
{
	struct json_object *out;
	size_t i;

	if (!v || !json_object_is_type(v, json_type_array))
		return NULL;
	out = json_object_new_array();
	for (i = 0; out && i < json_object_array_length(v); i++) {
		struct json_object *e = json_object_array_get_idx(v, i);
		char b[32];
		const char *id = jr_idstr(e, "id", b, sizeof(b));
		const char *s, *p;

		if (!id && json_object_is_type(e, json_type_string) &&
		    (s = json_object_get_string(e)) && (p = strstr(s, "[id=")) != NULL) {
			snprintf(b, sizeof(b), "%lld", strtoll(p + 4, NULL, 10));
			id = b;
		}
		if (id)
			json_object_array_add(out, json_object_new_string(id));
	}
	return out;
}

static int32_t emit_issue(pulse_job *job, struct json_object *iss,
			  const char *sprint_field, const char *points_field)
{
	struct json_object *f = pj_obj(iss, "fields");
	struct json_object *sprints = NULL, *labels = pj_arr(f, "labels");
	struct json_object *pts = points_field && *points_field ?
		pj_obj(f, points_field) : NULL;
	char idb[32], pb[32], parb[32];
	const char *id = jr_idstr(iss, "id", idb, sizeof(idb));
	struct kt_rec x;
	int32_t rc;

	if (!id || !f)
		return PULSE_OK;
	if (sprint_field && *sprint_field)
		sprints = sprint_ids(pj_obj(f, sprint_field));
	kt_rec_begin(&x, jr_api, job, "work_items");
	kt_rec_str(&x, "external_id", id);
	kt_rec_str(&x, "key", pj_str(iss, "key"));
	kt_rec_str(&x, "project_external_id", jr_idstr(pj_obj(f, "project"), "id", pb, sizeof(pb)));
	kt_rec_str(&x, "wit_name", pj_str(pj_obj(f, "issuetype"), "name"));
	kt_rec_str(&x, "status_name", pj_str(pj_obj(f, "status"), "name"));
	kt_rec_str(&x, "summary", pj_str(f, "summary"));
	kt_rec_str(&x, "priority", pj_str(pj_obj(f, "priority"), "name"));
	kt_rec_str(&x, "assignee", pj_str(pj_obj(f, "assignee"), "accountId"));
	kt_rec_str(&x, "reporter", pj_str(pj_obj(f, "reporter"), "accountId"));
	kt_rec_str(&x, "parent_external_id", jr_idstr(pj_obj(f, "parent"), "id", parb, sizeof(parb)));
	if (sprints)
		kt_rec_json(&x, "sprint_external_ids", sprints);
	else
		kt_rec_str(&x, "sprint_external_ids", NULL);
	if (labels)
		kt_rec_json(&x, "labels", labels);
	else
		kt_rec_str(&x, "labels", NULL);
	if (pts && (json_object_is_type(pts, json_type_double) ||
		    json_object_is_type(pts, json_type_int))) {
		if (x.rc == PULSE_OK)
			x.rc = jr_api->record_float(x.r, "story_points",
						    json_object_get_double(pts));
	} else {
		kt_rec_str(&x, "story_points", NULL);
	}
	kt_rec_time(&x, "created_at", pj_str(f, "created"));
	kt_rec_time(&x, "updated_at", pj_str(f, "updated"));
	kt_rec_time(&x, "resolved_at", pj_str(f, "resolutiondate"));
	rc = kt_rec_end(&x);
	json_object_put(sprints);
	if (rc != PULSE_OK)
		return rc;
	/* the newest histories, embedded by expand=changelog */
	return emit_histories(job, id, pj_arr(pj_obj(iss, "changelog"), "histories"));
}

static int32_t t_issues(pulse_job *job, const pulse_raw_page *page,
			struct json_object *body)
{
	struct json_object *params = page_params(page);
	struct json_object *arr = pj_arr(body, "issues");
	const char *sf = pj_str(params, "sprint_field"), *pf = pj_str(params, "points_field");
	size_t i;
	int32_t rc = PULSE_OK;

	for (i = 0; rc == PULSE_OK && arr && i < json_object_array_length(arr); i++)
		rc = emit_issue(job, json_object_array_get_idx(arr, i), sf, pf);
	json_object_put(params);
	return rc;
}

/* POST /changelog/bulkfetch: {issueChangeLogs:[{issueId, changeHistories}]} */
static int32_t t_changelogs(pulse_job *job, struct json_object *body)
{
	struct json_object *arr = pj_arr(body, "issueChangeLogs");
	size_t i;
	int32_t rc = PULSE_OK;

	for (i = 0; rc == PULSE_OK && arr && i < json_object_array_length(arr); i++) {
		struct json_object *e = json_object_array_get_idx(arr, i);
		char b[32];

		rc = emit_histories(job, jr_idstr(e, "issueId", b, sizeof(b)),
				    pj_arr(e, "changeHistories"));
	}
	return rc;
}

/* GET /issue/{id}/changelog: a PageBean of histories; the id is context. */
static int32_t t_issue_changelog(pulse_job *job, const pulse_raw_page *page,
				 struct json_object *body)
{
	struct json_object *params = page_params(page);
	const char *id = pj_str(params, "issue_id");
	int32_t rc = PULSE_OK;

	if (!id)
		rc = jr_api->fail(job, PULSE_ERR_PERMANENT, "changelog page without "
				  "its issue id in the request parameters");
	else
		rc = emit_histories(job, id, pj_arr(body, "values"));
	json_object_put(params);
	return rc;
}

/* "#12" or ".../pull/12" -> 12; -1 if neither. */
static int64_t pr_number(struct json_object *pr)
{
	const char *id = pj_str(pr, "id"), *url = pj_str(pr, "url"), *p;

	if (id && id[0] == '#' && id[1])
		return strtoll(id + 1, NULL, 10);
	if (url && (p = strstr(url, "/pull/")) != NULL)
		return strtoll(p + 6, NULL, 10);
	return -1;
}

static int32_t t_dev_status(pulse_job *job, const pulse_raw_page *page,
			    struct json_object *body)
{
	struct json_object *params = page_params(page);
	struct json_object *detail = pj_arr(body, "detail");
	const char *issue = pj_str(params, "issue_id");
	size_t i, k;
	int32_t rc = PULSE_OK;

	for (i = 0; issue && rc == PULSE_OK && detail &&
	     i < json_object_array_length(detail); i++) {
		struct json_object *prs = pj_arr(json_object_array_get_idx(detail, i),
						 "pullRequests");

		for (k = 0; rc == PULSE_OK && prs && k < json_object_array_length(prs); k++) {
			struct json_object *pr = json_object_array_get_idx(prs, k);
			const char *url = pj_str(pr, "url");
			int64_t num = pr_number(pr);
			char ext[600];
			struct kt_rec x;

			if (!url)
				continue;
			snprintf(ext, sizeof(ext), "%s:%s", issue, url);
			kt_rec_begin(&x, jr_api, job, "wits_prs_links");
			kt_rec_str(&x, "external_id", ext);
			kt_rec_str(&x, "work_item_external_id", issue);
			kt_rec_str(&x, "repository_full_name", pj_str(pr, "repositoryName"));
			if (num >= 0)
				kt_rec_int(&x, "pr_number", num);
			else
				kt_rec_str(&x, "pr_number", NULL);
			kt_rec_str(&x, "pr_url", url);
			kt_rec_str(&x, "pr_status", pj_str(pr, "status"));
			rc = kt_rec_end(&x);
		}
	}
	json_object_put(params);
	return rc;
}

/* The last page of a reconciliation names the issues deleted in Jira. */
static int32_t t_issue_ids(pulse_job *job, const pulse_raw_page *page)
{
	struct json_object *params = page_params(page);
	struct json_object *del = pj_arr(params, "deleted");
	size_t i;
	int32_t rc = PULSE_OK;

	for (i = 0; rc == PULSE_OK && del && i < json_object_array_length(del); i++) {
		const char *id = json_object_get_string(json_object_array_get_idx(del, i));

		if (id && *id)
			rc = jr_api->record_delete(job, "work_items", id);
	}
	json_object_put(params);
	return rc;
}

int32_t jr_transform(void *state, pulse_job *job, const pulse_raw_page *page)
{
	struct json_object *body;
	const char *e = page->entity ? page->entity : "";
	int32_t rc;

	(void)state;
	if (page->http_status != 200)
		return PULSE_OK; /* never stored, but be safe */
	body = page->body ? json_tokener_parse(page->body) : NULL;
	if (!body)
		return jr_api->fail(job, PULSE_ERR_PERMANENT, "raw page (%s) is "
				    "not JSON", e);
	if (strcmp(e, JR_RAW_ISSUES) == 0)
		rc = t_issues(job, page, body);
	else if (strcmp(e, JR_RAW_CHANGELOGS) == 0)
		rc = t_changelogs(job, body);
	else if (strcmp(e, JR_RAW_ISSUE_CHANGELOG) == 0)
		rc = t_issue_changelog(job, page, body);
	else if (strcmp(e, JR_RAW_DEV_STATUS) == 0)
		rc = t_dev_status(job, page, body);
	else if (strcmp(e, JR_RAW_PROJECTS) == 0)
		rc = t_projects(job, body);
	else if (strcmp(e, JR_RAW_STATUSES) == 0)
		rc = t_statuses(job, body);
	else if (strcmp(e, JR_RAW_TYPES) == 0)
		rc = t_types(job, body);
	else if (strcmp(e, JR_RAW_WORKFLOWS) == 0)
		rc = t_workflows(job, body);
	else if (strcmp(e, JR_RAW_SPRINTS) == 0)
		rc = t_sprints(job, page, body);
	else if (strcmp(e, JR_RAW_ISSUE_IDS) == 0)
		rc = t_issue_ids(job, page);
	else
		rc = jr_api->fail(job, PULSE_ERR_PERMANENT, "unknown raw page "
				  "entity \"%s\"", e);
	json_object_put(body);
	return rc;
}
