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

static const char *login(struct json_object *o, const char *key)
{
	return pj_str(pj_obj(o, key), "login");
}

/* ------------------------------------------------------------ repositories */

static int32_t emit_repo(pulse_job *job, struct json_object *o)
{
	const char *full = pj_str(o, "full_name");
	char id[256];
	struct kt_rec x;

	if (!full || gh_repo_id(full, id, sizeof(id)) < 0)
		return PULSE_OK;
	kt_rec_begin(&x, gh_api, job, "repositories");
	kt_rec_str(&x, "external_id", id);
	kt_rec_str(&x, "full_name", full);
	kt_rec_str(&x, "owner", login(o, "owner"));
	kt_rec_str(&x, "name", pj_str(o, "name"));
	kt_rec_str(&x, "default_branch", pj_str(o, "default_branch"));
	kt_rec_str(&x, "url", pj_str(o, "html_url"));
	kt_rec_bool(&x, "is_private", pj_bool(o, "private", 0));
	kt_rec_time(&x, "created_at", pj_str(o, "created_at"));
	kt_rec_time(&x, "updated_at", pj_str(o, "updated_at"));
	kt_rec_time(&x, "pushed_at", pj_str(o, "pushed_at"));
	return kt_rec_end(&x);
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

/* One node of a PR's nested connection as a record (skipped without
 * its id: PULSE_OK). */
typedef int32_t (*node_fn)(pulse_job *job, const char *pr_id,
			   struct json_object *node);

static int32_t emit_commit(pulse_job *job, const char *pr_id,
			   struct json_object *node)
{
	struct json_object *c = pj_obj(node, "commit");
	struct json_object *a = pj_obj(c, "author");
	const char *sha = pj_str(c, "oid"), *who = login(a, "user");
	char ext[512];
	struct kt_rec x;

	if (!sha)
		return PULSE_OK;
	snprintf(ext, sizeof(ext), "%s:%s", pr_id, sha);
	kt_rec_begin(&x, gh_api, job, "prs_commits");
	kt_rec_str(&x, "external_id", ext);
	kt_rec_str(&x, "pr_external_id", pr_id);
	kt_rec_str(&x, "sha", sha);
	kt_rec_str(&x, "author", who ? who : pj_str(a, "name"));
	/* The (login, address) pair links directory people by e-mail
	 * (docs/people.md); the login is null where GitHub knows no account
	 * with that address. */
	kt_rec_str(&x, "author_login", who);
	kt_rec_str(&x, "author_email", pj_str(a, "email"));
	kt_rec_str(&x, "message", pj_str(c, "messageHeadline"));
	kt_rec_time(&x, "authored_at", pj_str(c, "authoredDate"));
	kt_rec_time(&x, "committed_at", pj_str(c, "committedDate"));
	return kt_rec_end(&x);
}

static int32_t emit_review(pulse_job *job, const char *pr_id,
			   struct json_object *v)
{
	struct kt_rec x;

	if (!pj_str(v, "id"))
		return PULSE_OK;
	kt_rec_begin(&x, gh_api, job, "prs_reviews");
	kt_rec_str(&x, "external_id", pj_str(v, "id"));
	kt_rec_str(&x, "pr_external_id", pr_id);
	kt_rec_str(&x, "state", pj_str(v, "state"));
	kt_rec_str(&x, "author", login(v, "author"));
	kt_rec_time(&x, "submitted_at", pj_str(v, "submittedAt"));
	return kt_rec_end(&x);
}

static int32_t emit_comment(pulse_job *job, const char *pr_id,
			    struct json_object *v)
{
	struct kt_rec x;

	if (!pj_str(v, "id"))
		return PULSE_OK;
	kt_rec_begin(&x, gh_api, job, "prs_comments");
	kt_rec_str(&x, "external_id", pj_str(v, "id"));
	kt_rec_str(&x, "pr_external_id", pr_id);
	kt_rec_str(&x, "author", login(v, "author"));
	kt_rec_time(&x, "created_at", pj_str(v, "createdAt"));
	return kt_rec_end(&x);
}

/* Every node of connection conn, through fn. */
static int32_t emit_nodes(pulse_job *job, const char *pr_id,
			  struct json_object *conn, node_fn fn)
{
	struct json_object *nodes = pj_obj(conn, "nodes");
	size_t i;
	int32_t rc = PULSE_OK;

	for (i = 0; rc == PULSE_OK && nodes && i < json_object_array_length(nodes); i++)
		rc = fn(job, pr_id, json_object_array_get_idx(nodes, i));
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
		int64_t t = kt_time_parse_s(a);

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
	struct kt_rec x;
	int32_t rc;

	if (!id || pj_int(pr, "number", -1) < 0)
		return PULSE_OK;
	kt_rec_begin(&x, gh_api, job, "prs");
	kt_rec_str(&x, "external_id", id);
	kt_rec_str(&x, "repository_external_id", repo_id);
	kt_rec_int(&x, "number", pj_int(pr, "number", 0));
	kt_rec_str(&x, "title", pj_str(pr, "title"));
	kt_rec_str(&x, "state", pj_str(pr, "state"));
	kt_rec_bool(&x, "is_draft", pj_bool(pr, "isDraft", 0));
	kt_rec_str(&x, "author", login(pr, "author"));
	kt_rec_str(&x, "base_ref", pj_str(pr, "baseRefName"));
	kt_rec_str(&x, "head_ref", pj_str(pr, "headRefName"));
	kt_rec_str(&x, "merge_commit_sha", pj_str(pj_obj(pr, "mergeCommit"), "oid"));
	kt_rec_int(&x, "commits_count", pj_int(commits, "totalCount", 0));
	kt_rec_int(&x, "reviews_count", pj_int(reviews, "totalCount", 0));
	kt_rec_int(&x, "comments_count", pj_int(comments, "totalCount", 0));
	kt_rec_time(&x, "first_commit_at", first_authored(commits));
	kt_rec_time(&x, "created_at", pj_str(pr, "createdAt"));
	kt_rec_time(&x, "updated_at", pj_str(pr, "updatedAt"));
	kt_rec_time(&x, "merged_at", pj_str(pr, "mergedAt"));
	kt_rec_time(&x, "closed_at", pj_str(pr, "closedAt"));
	if ((rc = kt_rec_end(&x)) != PULSE_OK)
		return rc;
	if ((rc = emit_nodes(job, id, commits, emit_commit)) != PULSE_OK ||
	    (rc = emit_nodes(job, id, reviews, emit_review)) != PULSE_OK)
		return rc;
	return emit_nodes(job, id, comments, emit_comment);
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
			rc = emit_nodes(job, id, pj_obj(val, "commits"), emit_commit);
		else if (pj_obj(val, "reviews"))
			rc = emit_nodes(job, id, pj_obj(val, "reviews"), emit_review);
		else if (pj_obj(val, "comments"))
			rc = emit_nodes(job, id, pj_obj(val, "comments"), emit_comment);
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
	struct kt_rec x;
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
		int64_t t = kt_time_parse_s(pj_str(s, "created_at"));
		int64_t id = pj_int(s, "id", 0);

		if (t > best_t || (t == best_t && id > best_id)) {
			best_t = t;
			best_id = id;
			latest = s;
		}
	}
	snprintf(ext, sizeof(ext), "deployment:%lld", (long long)pj_int(d, "id", 0));
	kt_rec_begin(&x, gh_api, job, "deployments");
	kt_rec_str(&x, "external_id", ext);
	kt_rec_str(&x, "repository_external_id", repo);
	kt_rec_str(&x, "source", "deployment");
	kt_rec_str(&x, "environment", pj_str(d, "environment"));
	kt_rec_bool(&x, "is_production", gh_env_is_production(pattern, pj_str(d, "environment")));
	kt_rec_str(&x, "sha", pj_str(d, "sha"));
	kt_rec_str(&x, "ref", pj_str(d, "ref"));
	kt_rec_str(&x, "status", latest ? pj_str(latest, "state") : NULL);
	kt_rec_time(&x, "created_at", pj_str(d, "created_at"));
	kt_rec_time(&x, "finished_at", latest ? pj_str(latest, "created_at") : NULL);
	rc = kt_rec_end(&x);
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
		struct kt_rec x;

		if (!sha)
			continue;
		snprintf(ext, sizeof(ext), "%s:%s", dep, sha);
		kt_rec_begin(&x, gh_api, job, "deployment_commits");
		kt_rec_str(&x, "external_id", ext);
		kt_rec_str(&x, "deployment_external_id", dep);
		kt_rec_str(&x, "sha", sha);
		rc = kt_rec_end(&x);
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
		struct kt_rec x;

		if (pj_bool(r, "draft", 0) || pj_bool(r, "prerelease", 0) ||
		    !pj_str(r, "published_at"))
			continue;
		snprintf(ext, sizeof(ext), "release:%lld", (long long)pj_int(r, "id", 0));
		kt_rec_begin(&x, gh_api, job, "deployments");
		kt_rec_str(&x, "external_id", ext);
		kt_rec_str(&x, "repository_external_id", repo);
		kt_rec_str(&x, "source", "release");
		kt_rec_str(&x, "environment", "release");
		kt_rec_bool(&x, "is_production", 1);
		kt_rec_str(&x, "sha", NULL); /* releases name a tag, not a commit */
		kt_rec_str(&x, "ref", pj_str(r, "tag_name"));
		kt_rec_str(&x, "status", "success");
		kt_rec_time(&x, "created_at", pj_str(r, "created_at"));
		kt_rec_time(&x, "finished_at", pj_str(r, "published_at"));
		rc = kt_rec_end(&x);
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
