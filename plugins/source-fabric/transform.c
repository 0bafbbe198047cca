/*
 * source-fabric transform: one raw page into the tables of 097_fabric.sql
 * and `deployments`.
 *
 *  - workspace: the Git connection page, with the workspace in the
 *    params: one fabric_workspaces row, linked to owner/name when the
 *    workspace is connected to GitHub;
 *  - items: fabric_items;
 *  - runs: fabric_job_runs (runs started before `since` are skipped);
 *  - deploys: one `deployments` row per deploy operation; environment is
 *    the target stage's name, production the pipeline's last stage, and
 *    the "repository" is fabric/<pipeline name> (map it to a project with
 *    `pulse-host dora map`, docs/fabric.md);
 *  - gql: fabric_records, external_id entity|key.
 */
#include <ctype.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fabric.h"

static int32_t bad(pulse_job *job, const pulse_raw_page *page, const char *why)
{
	return fb_api->fail(job, PULSE_ERR_PERMANENT, "fabric: a %s page %s (%s)",
			    page->entity, why,
			    page->request_url ? page->request_url : "");
}

static int32_t workspace(pulse_job *job, struct json_object *o,
			 struct json_object *p, uint32_t status)
{
	struct json_object *ws = pj_obj(p, "workspace");
	struct json_object *git = status == 200 ? pj_obj(o, "gitProviderDetails") : NULL;
	const char *state = status == 200 ? pj_str(o, "gitConnectionState") : NULL;
	char *repo = NULL;
	struct kt_rec x;
	int32_t rc;

	if (!pj_str(ws, "id"))
		return PULSE_OK;
	if (git && state && strcmp(state, "NotConnected") != 0 &&
	    pj_str(git, "repositoryName")) {
		const char *owner = pj_str(git, "ownerName");

		/* Azure DevOps: organization/project/repository; GitHub:
		 * owner/repository (our repositories' external_id, lower). */
		repo = owner ? kt_asprintf("%s/%s", owner, pj_str(git, "repositoryName")) :
			kt_asprintf("%s/%s/%s", pj_str(git, "organizationName") ?
				    pj_str(git, "organizationName") : "",
				    pj_str(git, "projectName") ? pj_str(git, "projectName") : "",
				    pj_str(git, "repositoryName"));
		if (!repo)
			return fb_api->fail(job, PULSE_ERR_TRANSIENT, "fabric: out of memory");
		for (char *c = repo; *c; c++)
			*c = (char)tolower((unsigned char)*c);
	}
	kt_rec_begin(&x, fb_api, job, "fabric_workspaces");
	kt_rec_str(&x, "external_id", pj_str(ws, "id"));
	kt_rec_str(&x, "name", pj_str(ws, "displayName"));
	kt_rec_str(&x, "description", pj_str(ws, "description"));
	kt_rec_str(&x, "capacity_id", pj_str(ws, "capacityId"));
	kt_rec_str(&x, "git_provider", repo ? pj_str(git, "gitProviderType") : NULL);
	kt_rec_str(&x, "repository_external_id", repo);
	kt_rec_str(&x, "git_branch", repo ? pj_str(git, "branchName") : NULL);
	kt_rec_str(&x, "git_directory", repo ? pj_str(git, "directoryName") : NULL);
	rc = kt_rec_end(&x);
	free(repo);
	return rc;
}

static int32_t item(pulse_job *job, struct json_object *it, const char *ws)
{
	struct kt_rec x;

	if (!pj_str(it, "id"))
		return PULSE_OK;
	kt_rec_begin(&x, fb_api, job, "fabric_items");
	kt_rec_str(&x, "external_id", pj_str(it, "id"));
	kt_rec_str(&x, "workspace_external_id", pj_str(it, "workspaceId") ?
		   pj_str(it, "workspaceId") : ws);
	kt_rec_str(&x, "item_type", pj_str(it, "type") ? pj_str(it, "type") : "Unknown");
	kt_rec_str(&x, "name", pj_str(it, "displayName"));
	kt_rec_str(&x, "description", pj_str(it, "description"));
	return kt_rec_end(&x);
}

static int32_t run(pulse_job *job, struct json_object *r, const char *ws,
		   const char *itemid, int64_t since)
{
	struct json_object *fr = pj_obj(r, "failureReason");
	int64_t t = kt_time_parse_ms(pj_str(r, "startTimeUtc"));
	struct kt_rec x;

	if (!pj_str(r, "id"))
		return PULSE_OK;
	if (since != KT_NO_TIME && t != KT_NO_TIME && t < since)
		return PULSE_OK;
	kt_rec_begin(&x, fb_api, job, "fabric_job_runs");
	kt_rec_str(&x, "external_id", pj_str(r, "id"));
	kt_rec_str(&x, "item_external_id", pj_str(r, "itemId") ? pj_str(r, "itemId") : itemid);
	kt_rec_str(&x, "workspace_external_id", ws);
	kt_rec_str(&x, "job_type", pj_str(r, "jobType"));
	kt_rec_str(&x, "invoke_type", pj_str(r, "invokeType"));
	kt_rec_str(&x, "status", pj_str(r, "status"));
	kt_rec_time(&x, "started_at", pj_str(r, "startTimeUtc"));
	kt_rec_time(&x, "ended_at", pj_str(r, "endTimeUtc"));
	kt_rec_str(&x, "failure_code", pj_str(fr, "errorCode"));
	kt_rec_str(&x, "failure_message", pj_str(fr, "message"));
	return kt_rec_end(&x);
}

/* The stage with this id in the params' stages[]; *last: is it the
 * pipeline's last (highest order) stage. */
static struct json_object *stage(struct json_object *stages, const char *id,
				 int *last)
{
	struct json_object *found = NULL;
	int64_t max = -1;
	size_t i;

	for (i = 0; stages && i < json_object_array_length(stages); i++) {
		struct json_object *s = json_object_array_get_idx(stages, i);
		int64_t ord = pj_int(s, "order", 0);

		if (ord > max)
			max = ord;
		if (id && pj_str(s, "id") && strcmp(pj_str(s, "id"), id) == 0)
			found = s;
	}
	*last = found && pj_int(found, "order", -2) == max;
	return found;
}

static const char *deploy_status(const char *s)
{
	if (!s)
		return NULL;
	if (strcmp(s, "Succeeded") == 0)
		return "success";
	if (strcmp(s, "Failed") == 0)
		return "failure";
	if (strcmp(s, "NotStarted") == 0)
		return "pending";
	return "in_progress"; /* Executing */
}

static int32_t deploy(pulse_job *job, struct json_object *op,
		      struct json_object *p)
{
	struct json_object *pipe = pj_obj(p, "pipeline");
	struct json_object *tgt;
	char *ext = NULL, *repo = NULL;
	const char *type = pj_str(op, "type");
	struct kt_rec x;
	int32_t rc;
	int last = 0;

	if (!pj_str(op, "id") || (type && strcmp(type, "Deploy") != 0))
		return PULSE_OK;
	tgt = stage(pj_arr(p, "stages"), pj_str(op, "targetStageId"), &last);
	ext = kt_asprintf("fabric:%s", pj_str(op, "id"));
	repo = kt_asprintf("fabric/%s", pj_str(pipe, "displayName") ?
			   pj_str(pipe, "displayName") : pj_str(pipe, "id"));
	if (!ext || !repo) {
		rc = fb_api->fail(job, PULSE_ERR_TRANSIENT, "fabric: out of memory");
		goto out;
	}
	for (char *c = repo; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	kt_rec_begin(&x, fb_api, job, "deployments");
	kt_rec_str(&x, "external_id", ext);
	kt_rec_str(&x, "repository_external_id", repo);
	kt_rec_str(&x, "source", "deployment");
	kt_rec_str(&x, "environment", tgt ? pj_str(tgt, "displayName") :
		   pj_str(op, "targetStageId"));
	kt_rec_bool(&x, "is_production", last);
	kt_rec_str(&x, "status", deploy_status(pj_str(op, "status")));
	/* A failed deploy to the last stage is a failed change in production:
	 * Fabric has no retry row that replaces it (105, docs/dora.md). */
	kt_rec_bool(&x, "failed_change", last && pj_str(op, "status") &&
		    strcmp(pj_str(op, "status"), "Failed") == 0);
	kt_rec_time(&x, "created_at", pj_str(op, "executionStartTime"));
	kt_rec_time(&x, "finished_at", pj_str(op, "executionEndTime") ?
		    pj_str(op, "executionEndTime") : pj_str(op, "lastUpdatedTime"));
	rc = kt_rec_end(&x);
out:
	free(ext);
	free(repo);
	return rc;
}

/* A key or updated value as text: strings as they are, numbers and the
 * rest in JSON. */
static const char *as_text(struct json_object *v)
{
	return json_object_is_type(v, json_type_string) ? json_object_get_string(v) :
		json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
}

static int32_t record(pulse_job *job, struct json_object *row,
		      struct json_object *p)
{
	const char *ent = pj_str(p, "entity"), *key = pj_str(p, "key");
	const char *upd = pj_str(p, "updated");
	struct json_object *kv = NULL, *uv = NULL;
	char *ext, *kt;
	struct kt_rec x;
	int32_t rc;

	if (!ent || !key || !json_object_object_get_ex(row, key, &kv) || !kv)
		return fb_api->fail(job, PULSE_ERR_PERMANENT, "fabric: a row of "
				    "GraphQL entity '%s' without its key field "
				    "'%s'", ent ? ent : "?", key ? key : "?");
	if (!(kt = strdup(as_text(kv))) || !(ext = kt_asprintf("%s|%s", ent, kt))) {
		free(kt);
		return fb_api->fail(job, PULSE_ERR_TRANSIENT, "fabric: out of memory");
	}
	kt_rec_begin(&x, fb_api, job, "fabric_records");
	kt_rec_str(&x, "external_id", ext);
	kt_rec_str(&x, "entity", ent);
	kt_rec_str(&x, "record_key", kt);
	kt_rec_json(&x, "data", row);
	if (upd && json_object_object_get_ex(row, upd, &uv) &&
	    json_object_is_type(uv, json_type_string))
		kt_rec_time(&x, "updated_at", json_object_get_string(uv));
	rc = kt_rec_end(&x);
	free(ext);
	free(kt);
	return rc;
}

int32_t fb_transform(void *state, pulse_job *job, const pulse_raw_page *page)
{
	struct json_object *o = NULL, *p = NULL, *vals = NULL;
	const char *e = page->entity ? page->entity : "";
	const char *since;
	int64_t since_ms = KT_NO_TIME;
	int32_t rc = PULSE_OK;
	size_t i;

	(void)state;
	o = page->body ? json_tokener_parse(page->body) : NULL;
	p = page->request_params ? json_tokener_parse(page->request_params) : NULL;
	if (strcmp(e, FB_RAW_WORKSPACE) == 0) {
		rc = workspace(job, o, p, page->http_status);
		goto out;
	}
	if (strcmp(e, FB_RAW_GQL) == 0) {
		vals = pj_arr(pj_obj(pj_obj(o, "data"), pj_str(p, "entity")), "items");
		if (!vals || pj_arr(o, "errors"))
			rc = bad(job, page, "has no items or has errors");
		for (i = 0; rc == PULSE_OK && vals && i < json_object_array_length(vals); i++)
			rc = record(job, json_object_array_get_idx(vals, i), p);
		goto out;
	}
	vals = pj_arr(o, "value");
	if (!vals && (strcmp(e, FB_RAW_ITEMS) == 0 || strcmp(e, FB_RAW_RUNS) == 0 ||
		      strcmp(e, FB_RAW_DEPLOYS) == 0)) {
		rc = bad(job, page, "without a value array");
		goto out;
	}
	if (strcmp(e, FB_RAW_RUNS) == 0) {
		since = fb_api->config_string(job, "since");
		since_ms = since ? kt_time_parse_ms(since) : KT_NO_TIME;
	}
	for (i = 0; rc == PULSE_OK && vals && i < json_object_array_length(vals); i++) {
		struct json_object *v = json_object_array_get_idx(vals, i);

		if (strcmp(e, FB_RAW_ITEMS) == 0)
			rc = item(job, v, pj_str(p, "workspace"));
		else if (strcmp(e, FB_RAW_RUNS) == 0)
			rc = run(job, v, pj_str(p, "workspace"), pj_str(p, "item"), since_ms);
		else if (strcmp(e, FB_RAW_DEPLOYS) == 0)
			rc = deploy(job, v, p);
	}
out:
	json_object_put(o);
	json_object_put(p);
	return rc;
}
