/*
 * source-github transform: one stored page -> canonical records.
 * Pure function of the page (and the integration's settings), so pages
 * can be transformed in any order, concurrently, and replayed.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "github.h"

/* A record being built; the first failing call wins and later calls do
 * nothing, so emitters read as a list of fields. */
struct rec {
	pulse_record *r;
	int32_t rc;
};

static void rbegin(struct rec *x, pulse_job *job, const char *entity)
{
	x->r = gh_api->record_begin(job, entity);
	x->rc = x->r ? PULSE_OK : PULSE_ERR_PERMANENT;
}

static void rstr(struct rec *x, const char *f, const char *v)
{
	if (x->rc == PULSE_OK)
		x->rc = gh_api->record_str(x->r, f, v);
}

static void rtime(struct rec *x, const char *f, const char *v)
{
	if (x->rc == PULSE_OK)
		x->rc = gh_api->record_time(x->r, f, v && *v ? v : NULL);
}

static void rinteger(struct rec *x, const char *f, int64_t v)
{
	if (x->rc == PULSE_OK)
		x->rc = gh_api->record_int(x->r, f, v);
}

static void rbool(struct rec *x, const char *f, int v)
{
	if (x->rc == PULSE_OK)
		x->rc = gh_api->record_bool(x->r, f, v);
}

static int32_t rend(struct rec *x)
{
	if (!x->r)
		return x->rc;
	if (x->rc != PULSE_OK) {
		gh_api->record_abort(x->r);
		return x->rc;
	}
	return gh_api->record_end(x->r);
}

static const char *login(struct json_object *o, const char *key)
{
	return pj_str(pj_obj(o, key), "login");
}

/* ------------------------------------------------------------ repositories */

static int32_t emit_repo(pulse_job *job, struct json_object *o)
{
	const char *full = pj_str(o, "full_name");
	char id[256];
	struct rec x;

	if (!full || gh_repo_id(full, id, sizeof(id)) < 0)
		return PULSE_OK;
	rbegin(&x, job, "repositories");
	rstr(&x, "external_id", id);
	rstr(&x, "full_name", full);
	rstr(&x, "owner", login(o, "owner"));
	rstr(&x, "name", pj_str(o, "name"));
	rstr(&x, "default_branch", pj_str(o, "default_branch"));
	rstr(&x, "url", pj_str(o, "html_url"));
	rbool(&x, "is_private", pj_bool(o, "private", 0));
	rtime(&x, "created_at", pj_str(o, "created_at"));
	rtime(&x, "updated_at", pj_str(o, "updated_at"));
	rtime(&x, "pushed_at", pj_str(o, "pushed_at"));
	return rend(&x);
}

static int32_t t_repos(pulse_job *job, struct json_object *body)
{
	size_t i;
	int32_t rc = PULSE_OK;

	if (json_object_is_type(body, json_type_object))
		return emit_repo(job, body);
	for (i = 0; rc == PULSE_OK && json_object_is_type(body, json_type_array) &&
	     i < json_object_array_length(body); i++)
		rc = emit_repo(job, json_object_array_get_idx(body, i));
	return rc;
}

/* ------------------------------------------------------------ pull requests */

static int32_t emit_commits(pulse_job *job, const char *pr_id,
			    struct json_object *conn)
{
	struct json_object *nodes = pj_obj(conn, "nodes");
	size_t i;
	int32_t rc = PULSE_OK;

	for (i = 0; rc == PULSE_OK && nodes && i < json_object_array_length(nodes); i++) {
		struct json_object *c = pj_obj(json_object_array_get_idx(nodes, i), "commit");
		struct json_object *a = pj_obj(c, "author");
		const char *sha = pj_str(c, "oid"), *who = login(a, "user");
		char ext[512];
		struct rec x;

		if (!sha)
			continue;
		snprintf(ext, sizeof(ext), "%s:%s", pr_id, sha);
		rbegin(&x, job, "prs_commits");
		rstr(&x, "external_id", ext);
		rstr(&x, "pr_external_id", pr_id);
		rstr(&x, "sha", sha);
		rstr(&x, "author", who ? who : pj_str(a, "name"));
		rstr(&x, "message", pj_str(c, "messageHeadline"));
		rtime(&x, "authored_at", pj_str(c, "authoredDate"));
		rtime(&x, "committed_at", pj_str(c, "committedDate"));
		rc = rend(&x);
	}
	return rc;
}

static int32_t emit_reviews(pulse_job *job, const char *pr_id,
			    struct json_object *conn)
{
	struct json_object *nodes = pj_obj(conn, "nodes");
	size_t i;
	int32_t rc = PULSE_OK;

	for (i = 0; rc == PULSE_OK && nodes && i < json_object_array_length(nodes); i++) {
		struct json_object *v = json_object_array_get_idx(nodes, i);
		struct rec x;

		if (!pj_str(v, "id"))
			continue;
		rbegin(&x, job, "prs_reviews");
		rstr(&x, "external_id", pj_str(v, "id"));
		rstr(&x, "pr_external_id", pr_id);
		rstr(&x, "state", pj_str(v, "state"));
		rstr(&x, "author", login(v, "author"));
		rtime(&x, "submitted_at", pj_str(v, "submittedAt"));
		rc = rend(&x);
	}
	return rc;
}

static int32_t emit_comments(pulse_job *job, const char *pr_id,
			     struct json_object *conn)
{
	struct json_object *nodes = pj_obj(conn, "nodes");
	size_t i;
	int32_t rc = PULSE_OK;

	for (i = 0; rc == PULSE_OK && nodes && i < json_object_array_length(nodes); i++) {
		struct json_object *v = json_object_array_get_idx(nodes, i);
		struct rec x;

		if (!pj_str(v, "id"))
			continue;
		rbegin(&x, job, "prs_comments");
		rstr(&x, "external_id", pj_str(v, "id"));
		rstr(&x, "pr_external_id", pr_id);
		rstr(&x, "author", login(v, "author"));
		rtime(&x, "created_at", pj_str(v, "createdAt"));
		rc = rend(&x);
	}
	return rc;
}

/* The earliest authored date among the commits on the PR's first commits
 * page (GitHub lists them oldest first). */
static const char *first_authored(struct json_object *commits)
{
	struct json_object *nodes = pj_obj(commits, "nodes");
	const char *best = NULL;
	int64_t bt = -1;
	size_t i;

	for (i = 0; nodes && i < json_object_array_length(nodes); i++) {
		struct json_object *c = pj_obj(json_object_array_get_idx(nodes, i), "commit");
		const char *a = pj_str(c, "authoredDate");
		int64_t t = gh_parse_time(a);

		if (t >= 0 && (bt < 0 || t < bt)) {
			bt = t;
			best = a;
		}
	}
	return best;
}

static int32_t emit_pr(pulse_job *job, const char *repo_id, struct json_object *pr)
{
	const char *id = pj_str(pr, "id");
	struct json_object *commits = pj_obj(pr, "commits");
	struct json_object *reviews = pj_obj(pr, "reviews");
	struct json_object *comments = pj_obj(pr, "comments");
	struct rec x;
	int32_t rc;

	if (!id || pj_int(pr, "number", -1) < 0)
		return PULSE_OK;
	rbegin(&x, job, "prs");
	rstr(&x, "external_id", id);
	rstr(&x, "repository_external_id", repo_id);
	rinteger(&x, "number", pj_int(pr, "number", 0));
	rstr(&x, "title", pj_str(pr, "title"));
	rstr(&x, "state", pj_str(pr, "state"));
	rbool(&x, "is_draft", pj_bool(pr, "isDraft", 0));
	rstr(&x, "author", login(pr, "author"));
	rstr(&x, "base_ref", pj_str(pr, "baseRefName"));
	rstr(&x, "head_ref", pj_str(pr, "headRefName"));
	rstr(&x, "merge_commit_sha", pj_str(pj_obj(pr, "mergeCommit"), "oid"));
	rinteger(&x, "commits_count", pj_int(commits, "totalCount", 0));
	rinteger(&x, "reviews_count", pj_int(reviews, "totalCount", 0));
	rinteger(&x, "comments_count", pj_int(comments, "totalCount", 0));
	rtime(&x, "first_commit_at", first_authored(commits));
	rtime(&x, "created_at", pj_str(pr, "createdAt"));
	rtime(&x, "updated_at", pj_str(pr, "updatedAt"));
	rtime(&x, "merged_at", pj_str(pr, "mergedAt"));
	rtime(&x, "closed_at", pj_str(pr, "closedAt"));
	if ((rc = rend(&x)) != PULSE_OK)
		return rc;
	if ((rc = emit_commits(job, id, commits)) != PULSE_OK ||
	    (rc = emit_reviews(job, id, reviews)) != PULSE_OK)
		return rc;
	return emit_comments(job, id, comments);
}

/* A PR page, or a re-fetch page whose aliases p0.. are PRs. Light checks
 * (o0..: number/state only) carry no full data and are skipped. */
static int32_t t_prs(pulse_job *job, const pulse_raw_page *page,
		     struct json_object *body)
{
	struct json_object *params = page->request_params ?
		json_tokener_parse(page->request_params) : NULL;
	struct json_object *repo = gh_path(body, "data", "repository", NULL);
	const char *o = pj_str(params, "o"), *n = pj_str(params, "n");
	char full[300], id[300];
	int32_t rc = PULSE_OK;

	if (!o || !n) {
		rc = gh_api->fail(job, PULSE_ERR_PERMANENT, "pull request page "
				  "without owner/name in its request parameters");
		goto out;
	}
	snprintf(full, sizeof(full), "%s/%s", o, n);
	if (gh_repo_id(full, id, sizeof(id)) < 0)
		goto out;
	if (!repo || !json_object_is_type(repo, json_type_object))
		goto out;
	json_object_object_foreach(repo, key, val) {
		if (rc != PULSE_OK)
			break;
		if (strcmp(key, "pullRequests") == 0) {
			struct json_object *nodes = pj_obj(val, "nodes");
			size_t i;

			for (i = 0; rc == PULSE_OK && nodes &&
			     i < json_object_array_length(nodes); i++)
				rc = emit_pr(job, id, json_object_array_get_idx(nodes, i));
		} else if (pj_obj(val, "commits")) {
			rc = emit_pr(job, id, val);
		}
	}
out:
	json_object_put(params);
	return rc;
}

/* Follow-up pages of nested connections: data.nK = {id, <connection>}. */
static int32_t t_children(pulse_job *job, struct json_object *body)
{
	struct json_object *data = pj_obj(body, "data");
	int32_t rc = PULSE_OK;

	if (!data || !json_object_is_type(data, json_type_object))
		return PULSE_OK;
	json_object_object_foreach(data, key, val) {
		const char *id = pj_str(val, "id");

		if (rc != PULSE_OK)
			break;
		if (key[0] != 'n' || !id)
			continue;
		if (pj_obj(val, "commits"))
			rc = emit_commits(job, id, pj_obj(val, "commits"));
		else if (pj_obj(val, "reviews"))
			rc = emit_reviews(job, id, pj_obj(val, "reviews"));
		else if (pj_obj(val, "comments"))
			rc = emit_comments(job, id, pj_obj(val, "comments"));
	}
	return rc;
}

/* ------------------------------------------------------------ deployments */

/* A statuses page, stored with its deployment as context: one complete
 * deployments row with the latest status. */
static int32_t t_statuses(pulse_job *job, const pulse_raw_page *page,
			  struct json_object *body)
{
	struct json_object *params = page->request_params ?
		json_tokener_parse(page->request_params) : NULL;
	struct json_object *d = pj_obj(params, "deployment"), *latest = NULL;
	const char *repo = pj_str(params, "repository");
	const char *pattern = gh_api->config_string(job, "deployment_environment");
	int64_t best_t = -1, best_id = -1;
	char ext[64];
	size_t i;
	struct rec x;
	int32_t rc = PULSE_OK;

	/* Only the first page of statuses (newest first) names the latest;
	 * later pages of a long history are stored without the context. */
	if (pj_bool(params, "continuation", 0))
		goto out;
	if (!d || !repo) {
		rc = gh_api->fail(job, PULSE_ERR_PERMANENT, "deployment statuses "
				  "page without its deployment context");
		goto out;
	}
	for (i = 0; json_object_is_type(body, json_type_array) &&
	     i < json_object_array_length(body); i++) {
		struct json_object *s = json_object_array_get_idx(body, i);
		int64_t t = gh_parse_time(pj_str(s, "created_at"));
		int64_t id = pj_int(s, "id", 0);

		if (t > best_t || (t == best_t && id > best_id)) {
			best_t = t;
			best_id = id;
			latest = s;
		}
	}
	snprintf(ext, sizeof(ext), "deployment:%lld", (long long)pj_int(d, "id", 0));
	rbegin(&x, job, "deployments");
	rstr(&x, "external_id", ext);
	rstr(&x, "repository_external_id", repo);
	rstr(&x, "source", "deployment");
	rstr(&x, "environment", pj_str(d, "environment"));
	rbool(&x, "is_production", gh_env_is_production(pattern, pj_str(d, "environment")));
	rstr(&x, "sha", pj_str(d, "sha"));
	rstr(&x, "ref", pj_str(d, "ref"));
	rstr(&x, "status", latest ? pj_str(latest, "state") : NULL);
	rtime(&x, "created_at", pj_str(d, "created_at"));
	rtime(&x, "finished_at", latest ? pj_str(latest, "created_at") : NULL);
	rc = rend(&x);
out:
	json_object_put(params);
	return rc;
}

static int32_t t_compare(pulse_job *job, const pulse_raw_page *page,
			 struct json_object *body)
{
	struct json_object *params = page->request_params ?
		json_tokener_parse(page->request_params) : NULL;
	struct json_object *commits = pj_obj(body, "commits");
	const char *dep = pj_str(params, "deployment");
	size_t i;
	int32_t rc = PULSE_OK;

	if (!dep) {
		rc = gh_api->fail(job, PULSE_ERR_PERMANENT, "compare page without "
				  "its deployment context");
		goto out;
	}
	for (i = 0; rc == PULSE_OK && commits && i < json_object_array_length(commits); i++) {
		const char *sha = pj_str(json_object_array_get_idx(commits, i), "sha");
		char ext[160];
		struct rec x;

		if (!sha)
			continue;
		snprintf(ext, sizeof(ext), "%s:%s", dep, sha);
		rbegin(&x, job, "deployment_commits");
		rstr(&x, "external_id", ext);
		rstr(&x, "deployment_external_id", dep);
		rstr(&x, "sha", sha);
		rc = rend(&x);
	}
out:
	json_object_put(params);
	return rc;
}

/* Releases count as production deployments when the integration opts in:
 * published, not drafts, not prereleases. */
static int32_t t_releases(pulse_job *job, const pulse_raw_page *page,
			  struct json_object *body)
{
	struct json_object *params;
	const char *repo;
	size_t i;
	int32_t rc = PULSE_OK;

	if (!gh_api->config_bool(job, "releases_as_deployments", 0))
		return PULSE_OK;
	params = page->request_params ? json_tokener_parse(page->request_params) : NULL;
	repo = pj_str(params, "repository");
	for (i = 0; repo && rc == PULSE_OK && json_object_is_type(body, json_type_array) &&
	     i < json_object_array_length(body); i++) {
		struct json_object *r = json_object_array_get_idx(body, i);
		char ext[64];
		struct rec x;

		if (pj_bool(r, "draft", 0) || pj_bool(r, "prerelease", 0) ||
		    !pj_str(r, "published_at"))
			continue;
		snprintf(ext, sizeof(ext), "release:%lld", (long long)pj_int(r, "id", 0));
		rbegin(&x, job, "deployments");
		rstr(&x, "external_id", ext);
		rstr(&x, "repository_external_id", repo);
		rstr(&x, "source", "release");
		rstr(&x, "environment", "release");
		rbool(&x, "is_production", 1);
		rstr(&x, "sha", NULL); /* releases name a tag, not a commit */
		rstr(&x, "ref", pj_str(r, "tag_name"));
		rstr(&x, "status", "success");
		rtime(&x, "created_at", pj_str(r, "created_at"));
		rtime(&x, "finished_at", pj_str(r, "published_at"));
		rc = rend(&x);
	}
	json_object_put(params);
	return rc;
}

int32_t gh_transform(void *state, pulse_job *job, const pulse_raw_page *page)
{
	struct json_object *body;
	const char *e = page->entity ? page->entity : "";
	int32_t rc;

	(void)state;
	if (page->http_status != 200)
		return PULSE_OK; /* 304s and errors are never stored, but be safe */
	body = page->body ? json_tokener_parse(page->body) : NULL;
	if (!body)
		return gh_api->fail(job, PULSE_ERR_PERMANENT, "raw page (%s) is "
				    "not JSON", e);
	if (strcmp(e, GH_RAW_REPOS) == 0)
		rc = t_repos(job, body);
	else if (strcmp(e, GH_RAW_PRS) == 0)
		rc = t_prs(job, page, body);
	else if (strcmp(e, GH_RAW_PR_CHILDREN) == 0)
		rc = t_children(job, body);
	else if (strcmp(e, GH_RAW_STATUSES) == 0)
		rc = t_statuses(job, page, body);
	else if (strcmp(e, GH_RAW_COMPARE) == 0)
		rc = t_compare(job, page, body);
	else if (strcmp(e, GH_RAW_RELEASES) == 0)
		rc = t_releases(job, page, body);
	else if (strcmp(e, GH_RAW_DEPLOYMENTS) == 0)
		rc = PULSE_OK; /* rows come from the statuses pages */
	else
		rc = gh_api->fail(job, PULSE_ERR_PERMANENT, "unknown raw page "
				  "entity \"%s\"", e);
	json_object_put(body);
	return rc;
}
