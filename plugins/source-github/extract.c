/*
 * source-github extract: fetch what changed since the last sync and store
 * every response as a raw page. The order per repository is pull requests
 * (GraphQL), deployments with their statuses and the commits each
 * production deployment shipped (REST compare), then releases (when they
 * count as deployments). State keys (per repository id "owner/name"):
 *
 *   repo_list                        the org's repositories (304 path)
 *   pr_watermark:R                   newest PR updatedAt of the last sync
 *   pr_cursor:R                      checkpoint while paging (resume)
 *   open_prs:R                       PR numbers OPEN at the last sync
 *   dep_known:R, dep_updated:R       newest deployment id / updated_at
 *   dep_regex:R                      regex of the last sync
 *
 * Page 1 of each list is a conditional GET. The host saves ETags only when
 * the whole extract succeeded, so a 304 always means "processed before".
 *   prod_last:R                      last successful production deployment
 *   rel_known:R, rel_next:R, rel_mode:R   releases: newest id, checkpoint
 */
#define _GNU_SOURCE 1 /* vasprintf, memmem, open_memstream */

#include <errno.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "github.h"

#define MAX_LIGHT_CHECKS 100 /* open-PR checks riding on the first page */
#define REFETCH_BATCH 20     /* PRs per re-fetch query */
#define CHILD_BATCH 10       /* nested connections per follow-up query */
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

/* The fields of a pull request, shared by the paging and re-fetch
 * queries (GraphQL fragment). The reference query plus what the warehouse
 * needs: ids of reviews/comments, authored dates, the merge commit. */
#define PR_FRAGMENT \
	"fragment pr on PullRequest{id number title state isDraft createdAt " \
	"updatedAt mergedAt closedAt author{login} baseRefName headRefName " \
	"mergeCommit{oid} " \
	"commits(first:100){totalCount pageInfo{hasNextPage endCursor} " \
	"nodes{commit{oid committedDate authoredDate messageHeadline " \
	"author{name user{login}}}}} " \
	"reviews(first:50){totalCount pageInfo{hasNextPage endCursor} " \
	"nodes{id state submittedAt author{login}}} " \
	"comments(first:50){totalCount pageInfo{hasNextPage endCursor} " \
	"nodes{id createdAt author{login}}}}"

#define RATE_FIELDS "rateLimit{cost limit remaining resetAt}"

/* Nested connections paged with node(id:) follow-ups. */
static const char *const child_conn[] = {"commits", "reviews", "comments"};
static const char *const child_fields[] = {
	"totalCount pageInfo{hasNextPage endCursor} nodes{commit{oid "
	"committedDate authoredDate messageHeadline author{name user{login}}}}",
	"totalCount pageInfo{hasNextPage endCursor} nodes{id state submittedAt "
	"author{login}}",
	"totalCount pageInfo{hasNextPage endCursor} nodes{id createdAt "
	"author{login}}",
};

struct gh {
	pulse_job *job;
	char *rest;
	char *graphql;
	const char *env_re;
	int64_t since;          /* -1: none */
	int releases;
	uint64_t stored;
	int64_t last_reset;     /* GraphQL resetAt from the last rateLimit */
};

struct repo {
	char *full;             /* as GitHub spells it */
	char id[256];           /* lower case */
	char *owner, *name;
	int configured;         /* named in `repos`: missing is an error */
};

struct nums {
	int64_t *v;
	size_t n, cap;
};

struct child {
	char *id;
	int kind;
	char *after;
};

struct children {
	struct child *v;
	size_t n, cap;
};

/* ------------------------------------------------------------ helpers */

static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

static int oom(struct gh *g)
{
	return gh_api->fail(g->job, PULSE_ERR_TRANSIENT, "github: out of memory");
}

static int nums_has(const struct nums *s, int64_t x)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->v[i] == x)
			return 1;
	return 0;
}

static int nums_add(struct nums *s, int64_t x)
{
	if (nums_has(s, x))
		return 0;
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 32;
		int64_t *v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -1;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = x;
	return 0;
}

static void nums_del(struct nums *s, int64_t x)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->v[i] == x) {
			s->v[i] = s->v[--s->n];
			return;
		}
}

/* State value, with "" meaning absent (state keys are cleared that way).
 * Caller frees with gh_api->free. */
static char *state(struct gh *g, const char *prefix, const char *repo)
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

static int32_t state_put(struct gh *g, const char *prefix, const char *repo,
			 const char *value)
{
	char key[400];

	snprintf(key, sizeof(key), "%s%s", prefix, repo);
	return gh_api->state_set(g->job, key, value ? value : "");
}

static int32_t rest_get(struct gh *g, const char *url, int conditional,
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

static int32_t store(struct gh *g, const char *entity, const char *method,
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
	p.http_status = gh_api->http_status(resp);
	p.body = gh_api->http_body(resp, &len);
	p.body_len = len;
	p.checkpoint_key = ckey;
	p.checkpoint_value = cval;
	rc = gh_api->raw_store(g->job, &p);
	if (rc == PULSE_OK)
		g->stored++;
	return rc;
}

/* The rel="next" URL of a Link header, or NULL. Caller frees. */
static char *link_next(const pulse_http_response *r)
{
	const char *h = gh_api->http_header(r, "link"), *p, *lt, *gt;

	for (p = h; p && (lt = strchr(p, '<')) != NULL; p = gt + 1) {
		const char *end;

		gt = strchr(lt, '>');
		if (!gt)
			break;
		end = strchr(gt, ',');
		if (!end)
			end = gt + strlen(gt);
		if (memmem(gt, (size_t)(end - gt), "rel=\"next\"", 10))
			return strndup(lt + 1, (size_t)(gt - lt - 1));
	}
	return NULL;
}

static struct json_object *parse_body(const pulse_http_response *r)
{
	uint64_t len = 0;
	const char *b = gh_api->http_body(r, &len);

	return len ? json_tokener_parse(b) : NULL;
}

/* The "message" of an error body, for error texts. */
static void body_msg(const pulse_http_response *r, char *out, size_t n)
{
	struct json_object *o = parse_body(r);
	const char *m = pj_str(o, "message");

	snprintf(out, n, "%s", m ? m : "");
	json_object_put(o);
}

/* ------------------------------------------------------------ GraphQL */

/* Find an error of one of the given types (NULL-terminated). */
static struct json_object *gql_error(struct json_object *doc,
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
	reset = gh_parse_time(pj_str(rl, "resetAt"));
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
static int32_t gql(struct gh *g, const char *query, struct json_object *vars,
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
		return oom(g);
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
			body_msg(*resp, msg, sizeof(msg));
			rc = gh_api->fail(g->job, status >= 500 ? PULSE_ERR_TRANSIENT :
					  PULSE_ERR_PERMANENT,
					  "GitHub GraphQL request failed (HTTP %u%s%s)",
					  status, msg[0] ? ": " : "", msg);
			goto out;
		}
		*doc = parse_body(*resp);
		if ((e = gql_error(*doc, limited)) != NULL) {
			const char *h = gh_api->http_header(*resp, "x-ratelimit-reset");
			int64_t reset = h ? strtoll(h, NULL, 10) : g->last_reset;
			char why[128], at[32];

			if (reset <= 0)
				reset = g->last_reset;
			gh_format_time(reset, at, sizeof(at));
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

/* ------------------------------------------------------------ repositories */

static void repo_free(struct repo *r)
{
	free(r->full);
	free(r->owner);
	free(r->name);
}

static int repo_add(struct repo **v, size_t *n, const char *full, int configured)
{
	struct repo *nv, *r;
	char id[256];
	const char *slash;
	size_t i;

	if (gh_repo_id(full, id, sizeof(id)) < 0)
		return 0; /* not owner/name: ignore */
	for (i = 0; i < *n; i++)
		if (strcmp((*v)[i].id, id) == 0) {
			(*v)[i].configured |= configured;
			return 0;
		}
	nv = realloc(*v, (*n + 1) * sizeof(*nv));
	if (!nv)
		return -1;
	*v = nv;
	r = &nv[*n];
	memset(r, 0, sizeof(*r));
	slash = strchr(full, '/');
	r->full = strdup(full);
	r->owner = strndup(full, (size_t)(slash - full));
	r->name = strdup(slash + 1);
	memcpy(r->id, id, sizeof(id));
	r->configured = configured;
	if (!r->full || !r->owner || !r->name) {
		repo_free(r);
		return -1;
	}
	(*n)++;
	return 0;
}

/* Collect "full_name"s of a JSON array (a repos page or a stored list). */
static int repo_add_all(struct repo **v, size_t *n, struct json_object *arr,
			struct json_object *names)
{
	size_t i;

	for (i = 0; arr && json_object_is_type(arr, json_type_array) &&
	     i < json_object_array_length(arr); i++) {
		struct json_object *e = json_object_array_get_idx(arr, i);
		const char *f = json_object_is_type(e, json_type_string) ?
			json_object_get_string(e) : pj_str(e, "full_name");

		if (!f)
			continue;
		if (repo_add(v, n, f, 0) < 0)
			return -1;
		if (names)
			json_object_array_add(names, json_object_new_string(f));
	}
	return 0;
}

/* The org's repositories: page 1 conditionally; on 304 the list saved by
 * the last complete listing. */
static int32_t list_org(struct gh *g, const char *org, struct repo **v, size_t *n)
{
	char *url = NULL, *saved = state(g, "repo_list", "");
	struct json_object *names = json_object_new_array(), *stored;
	pulse_http_response *r = NULL;
	int cond = 1, page = 0;
	int32_t rc = PULSE_ERR;

	url = xasprintf("%s/orgs/%s/repos?type=all&sort=pushed&direction=desc"
			"&per_page=100", g->rest, org);
	if (!url || !names) {
		rc = oom(g);
		goto out;
	}
	while (url) {
		struct json_object *arr;
		char *next;

		rc = rest_get(g, url, cond && page == 0, &r);
		if (rc != PULSE_OK)
			goto out;
		if (gh_api->http_status(r) == 304) {
			gh_api->http_release(r);
			r = NULL;
			if (!saved) {
				cond = 0; /* the list is gone from state: fetch it */
				continue;
			}
			stored = json_tokener_parse(saved);
			rc = repo_add_all(v, n, stored, NULL) < 0 ? oom(g) : PULSE_OK;
			json_object_put(stored);
			json_object_put(names);
			names = NULL; /* keep the saved list */
			gh_api->log(gh_host, PULSE_LOG_DEBUG, "org=%s repos=not_modified", org);
			break;
		}
		if (gh_api->http_status(r) != 200) {
			char msg[200];

			body_msg(r, msg, sizeof(msg));
			rc = gh_api->fail(g->job, PULSE_ERR_PERMANENT,
					  "organization \"%s\" could not be listed (%u %s); "
					  "check `org` and the token's access", org,
					  gh_api->http_status(r), msg);
			goto out;
		}
		if ((rc = store(g, GH_RAW_REPOS, "GET", url, NULL, r, NULL, NULL)) != PULSE_OK)
			goto out;
		arr = parse_body(r);
		if (repo_add_all(v, n, arr, names) < 0) {
			json_object_put(arr);
			rc = oom(g);
			goto out;
		}
		json_object_put(arr);
		next = link_next(r);
		gh_api->http_release(r);
		r = NULL;
		free(url);
		url = next;
		page++;
	}
	if (names)
		rc = state_put(g, "repo_list", "", json_object_to_json_string_ext(
				       names, JSON_C_TO_STRING_PLAIN));
out:
	gh_api->http_release(r);
	json_object_put(names);
	gh_api->free(saved);
	free(url);
	return rc;
}

/* A repository named in `repos`: it must exist. */
static int32_t get_repo(struct gh *g, const char *full)
{
	char *url = xasprintf("%s/repos/%s", g->rest, full);
	pulse_http_response *r = NULL;
	int32_t rc;
	uint32_t st;

	if (!url)
		return oom(g);
	rc = rest_get(g, url, 1, &r);
	if (rc != PULSE_OK)
		goto out;
	st = gh_api->http_status(r);
	if (st == 404) {
		rc = gh_api->fail(g->job, PULSE_ERR_PERMANENT,
				  "repository %s not found (404); check `repos` and "
				  "that the token can read it", full);
	} else if (st == 200) {
		rc = store(g, GH_RAW_REPOS, "GET", url, NULL, r, NULL, NULL);
	} else if (st != 304) {
		char msg[200];

		body_msg(r, msg, sizeof(msg));
		rc = gh_api->fail(g->job, PULSE_ERR_PERMANENT, "repository %s: "
				  "GitHub answered %u %s", full, st, msg);
	}
out:
	gh_api->http_release(r);
	free(url);
	return rc;
}

/* ------------------------------------------------------------ pull requests */

struct prsync {
	struct gh *g;
	struct repo *repo;
	int64_t threshold;     /* stop paging below this updatedAt (-1: never) */
	int64_t wm;            /* watermark of the last sync (-1: none) */
	int64_t max;           /* newest updatedAt seen (-1: none) */
	struct nums seen;      /* numbers seen with full data this run */
	struct nums open;      /* ... of those, OPEN */
	struct nums closed;    /* ... of those, not OPEN */
	struct nums gone;      /* previously open, now not found */
	struct children ch;
};

static int child_add(struct children *c, const char *id, int kind,
		     const char *after)
{
	struct child *nv;

	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 16;

		nv = realloc(c->v, cap * sizeof(*nv));
		if (!nv)
			return -1;
		c->v = nv;
		c->cap = cap;
	}
	c->v[c->n].id = strdup(id);
	c->v[c->n].after = strdup(after);
	c->v[c->n].kind = kind;
	if (!c->v[c->n].id || !c->v[c->n].after) {
		free(c->v[c->n].id);
		free(c->v[c->n].after);
		return -1;
	}
	c->n++;
	return 0;
}

static void children_free(struct children *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		free(c->v[i].id);
		free(c->v[i].after);
	}
	free(c->v);
	memset(c, 0, sizeof(*c));
}

/* Queue the follow-up page of connection `kind` of node `o` (a PR or a
 * follow-up answer) if it has one. */
static int queue_next(struct children *c, struct json_object *o,
		      const char *pr_id, int kind)
{
	struct json_object *pi = gh_path(o, child_conn[kind], "pageInfo", NULL);
	const char *end = pj_str(pi, "endCursor");

	if (!pj_bool(pi, "hasNextPage", 0) || !end)
		return 0;
	return child_add(c, pr_id, kind, end);
}

/* Note one pull request with full data. */
static int note_pr(struct prsync *s, struct json_object *pr)
{
	int64_t num = pj_int(pr, "number", -1), up;
	const char *st = pj_str(pr, "state"), *id = pj_str(pr, "id");
	int k;

	if (num < 0 || !st || !id)
		return 0;
	up = gh_parse_time(pj_str(pr, "updatedAt"));
	if (up > s->max)
		s->max = up;
	if (nums_add(&s->seen, num) < 0)
		return -1;
	if (strcmp(st, "OPEN") == 0) {
		nums_del(&s->closed, num);
		if (nums_add(&s->open, num) < 0)
			return -1;
	} else {
		nums_del(&s->open, num);
		if (nums_add(&s->closed, num) < 0)
			return -1;
	}
	/* Nested pages only for PRs changed since the last sync: one inside
	 * the overlap window was complete then. */
	for (k = 0; s->wm < 0 || up > s->wm ? k < 3 : 0; k++)
		if (queue_next(&s->ch, pr, id, k) < 0)
			return -1;
	return 0;
}

/* Fetch the queued nested-connection pages, several PRs per query, until
 * none is left. Each answer is stored as one raw page. */
static int32_t fetch_children(struct prsync *s)
{
	struct gh *g = s->g;
	int32_t rc = PULSE_OK;

	while (s->ch.n > 0 && rc == PULSE_OK) {
		size_t take = s->ch.n < CHILD_BATCH ? s->ch.n : CHILD_BATCH, i;
		struct child batch[CHILD_BATCH];
		struct json_object *vars = json_object_new_object(), *doc = NULL;
		pulse_http_response *r = NULL;
		char *q = NULL, *decl = NULL, *sel = NULL;
		size_t ql = 0, dl = 0, sl = 0;
		FILE *fq, *fd, *fs;

		/* Take the batch off the queue first: answers queue more. */
		memcpy(batch, s->ch.v, take * sizeof(batch[0]));
		memmove(s->ch.v, s->ch.v + take, (s->ch.n - take) * sizeof(batch[0]));
		s->ch.n -= take;
		fq = open_memstream(&q, &ql);
		fd = open_memstream(&decl, &dl);
		fs = open_memstream(&sel, &sl);
		if (!vars || !fq || !fd || !fs)
			rc = oom(g);
		for (i = 0; rc == PULSE_OK && i < take; i++) {
			char k[16];

			fprintf(fd, "%s$i%zu:ID!,$a%zu:String", i ? "," : "", i, i);
			fprintf(fs, "n%zu:node(id:$i%zu){... on PullRequest{id "
				"%s(first:100,after:$a%zu){%s}}} ", i, i,
				child_conn[batch[i].kind], i, child_fields[batch[i].kind]);
			snprintf(k, sizeof(k), "i%zu", i);
			json_object_object_add(vars, k, json_object_new_string(batch[i].id));
			snprintf(k, sizeof(k), "a%zu", i);
			json_object_object_add(vars, k, json_object_new_string(batch[i].after));
		}
		if (fd)
			fclose(fd);
		if (fs)
			fclose(fs);
		if (fq) {
			if (rc == PULSE_OK)
				fprintf(fq, "query(%s){" RATE_FIELDS " %s}", decl, sel);
			fclose(fq);
		}
		if (rc == PULSE_OK)
			rc = gql(g, q, vars, &r, &doc);
		for (i = 0; rc == PULSE_OK && i < take; i++) {
			char k[16];
			struct json_object *n;

			snprintf(k, sizeof(k), "n%zu", i);
			n = gh_path(doc, "data", k, NULL);
			if (n && queue_next(&s->ch, n, batch[i].id, batch[i].kind) < 0)
				rc = oom(g);
		}
		if (rc == PULSE_OK)
			rc = store(g, GH_RAW_PR_CHILDREN, "POST", g->graphql,
				   json_object_to_json_string_ext(vars, JSON_C_TO_STRING_PLAIN),
				   r, NULL, NULL);
		for (i = 0; i < take; i++) {
			free(batch[i].id);
			free(batch[i].after);
		}
		json_object_put(doc);
		json_object_put(vars);
		gh_api->http_release(r);
		free(q);
		free(decl);
		free(sel);
	}
	return rc;
}

/* Is the repository missing (NOT_FOUND)? Fails the job for a configured
 * one; for one discovered through the org it is only logged. Returns 1
 * (skip it) with *rc set, or 0. */
static int repo_missing(struct prsync *s, struct json_object *doc, int32_t *rc)
{
	static const char *const nf[] = {"NOT_FOUND", NULL};
	struct json_object *e;

	if (gh_path(doc, "data", "repository", NULL))
		return 0;
	e = gql_error(doc, nf);
	if (s->repo->configured) {
		*rc = gh_api->fail(s->g->job, PULSE_ERR_PERMANENT,
				   "repository %s not found (GraphQL %s%s%s); check "
				   "`repos` and that the token can read it",
				   s->repo->full, e ? "NOT_FOUND" : "returned no repository",
				   e ? ": " : "", e ? pj_str(e, "message") : "");
	} else {
		gh_api->log(gh_host, PULSE_LOG_WARN, "repo=%s skipped: not found "
			    "(deleted or renamed since it was listed)", s->repo->full);
		*rc = PULSE_OK;
	}
	return 1;
}

/* Checkpoint value for the PR paging of one repository. */
static char *pr_checkpoint(const char *after, int64_t max, int done)
{
	struct json_object *o = json_object_new_object();
	char at[32];
	char *s;

	if (!o)
		return NULL;
	if (after)
		json_object_object_add(o, "after", json_object_new_string(after));
	if (max > 0) {
		gh_format_time(max, at, sizeof(at));
		json_object_object_add(o, "max", json_object_new_string(at));
	}
	json_object_object_add(o, "done", json_object_new_boolean(done));
	s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return s;
}

/* Re-fetch pull requests by number (previously OPEN, not seen while
 * paging), REFETCH_BATCH per query. */
static int32_t refetch(struct prsync *s, const int64_t *num, size_t n)
{
	struct gh *g = s->g;
	size_t off, i;
	int32_t rc = PULSE_OK;

	for (off = 0; off < n && rc == PULSE_OK; off += REFETCH_BATCH) {
		size_t take = n - off < REFETCH_BATCH ? n - off : REFETCH_BATCH;
		struct json_object *vars = json_object_new_object(), *doc = NULL;
		struct json_object *nl = json_object_new_array();
		pulse_http_response *r = NULL;
		char *q = NULL;
		size_t ql = 0;
		FILE *f = open_memstream(&q, &ql);

		if (!vars || !nl || !f) {
			if (f)
				fclose(f);
			json_object_put(vars);
			json_object_put(nl);
			free(q);
			return oom(g);
		}
		json_object_object_add(vars, "o", json_object_new_string(s->repo->owner));
		json_object_object_add(vars, "n", json_object_new_string(s->repo->name));
		fprintf(f, "query($o:String!,$n:String!){" RATE_FIELDS
			" repository(owner:$o,name:$n){");
		for (i = 0; i < take; i++) {
			fprintf(f, "p%zu:pullRequest(number:%lld){...pr} ", i,
				(long long)num[off + i]);
			json_object_array_add(nl, json_object_new_int64(num[off + i]));
		}
		fprintf(f, "}} " PR_FRAGMENT);
		fclose(f);
		json_object_object_add(vars, "numbers", nl);
		rc = gql(g, q, vars, &r, &doc);
		if (rc == PULSE_OK && repo_missing(s, doc, &rc))
			take = 0; /* the repository itself is gone: nothing to note */
		for (i = 0; rc == PULSE_OK && i < take; i++) {
			char k[16];
			struct json_object *pr;

			snprintf(k, sizeof(k), "p%zu", i);
			pr = gh_path(doc, "data", "repository", k, NULL);
			if (!pr) {
				/* Deleted (or transferred): no longer ours to track. */
				nums_del(&s->open, num[off + i]);
				if (nums_add(&s->gone, num[off + i]) < 0)
					rc = oom(g);
				continue;
			}
			if (note_pr(s, pr) < 0)
				rc = oom(g);
		}
		if (rc == PULSE_OK)
			rc = fetch_children(s);
		if (rc == PULSE_OK && gh_path(doc, "data", "repository", NULL))
			rc = store(g, GH_RAW_PRS, "POST", g->graphql,
				   json_object_to_json_string_ext(vars, JSON_C_TO_STRING_PLAIN),
				   r, NULL, NULL);
		json_object_put(doc);
		json_object_put(vars);
		gh_api->http_release(r);
		free(q);
	}
	return rc;
}

static int32_t sync_prs(struct gh *g, struct repo *repo)
{
	struct prsync s;
	char *wm = state(g, "pr_watermark:", repo->id);
	char *ck = state(g, "pr_cursor:", repo->id);
	char *open_txt = state(g, "open_prs:", repo->id);
	struct json_object *ckj = ck ? json_tokener_parse(ck) : NULL;
	struct json_object *openj = open_txt ? json_tokener_parse(open_txt) : NULL;
	struct nums prev = {0}, light_changed = {0}, light_ok = {0}, todo = {0};
	char *after = NULL, *cval = NULL, at[32];
	int done = 0, first = 1, pages = 0;
	int32_t rc = PULSE_OK;
	size_t i;

	memset(&s, 0, sizeof(s));
	s.g = g;
	s.repo = repo;
	s.max = -1;
	s.wm = wm ? gh_parse_time(wm) : -1;
	s.threshold = wm ? s.wm - GH_OVERLAP_S : g->since;
	if (ckj) {
		const char *a = pj_str(ckj, "after"), *m = pj_str(ckj, "max");

		after = a ? strdup(a) : NULL;
		if (m)
			s.max = gh_parse_time(m);
		done = pj_bool(ckj, "done", 0);
	}
	for (i = 0; openj && json_object_is_type(openj, json_type_array) &&
	     i < json_object_array_length(openj); i++)
		if (nums_add(&prev, json_object_get_int64(
				json_object_array_get_idx(openj, i))) < 0) {
			rc = oom(g);
			goto out;
		}

	while (!done) {
		struct json_object *vars = json_object_new_object(), *doc = NULL;
		struct json_object *conn, *nodes;
		pulse_http_response *r = NULL;
		char *q = NULL;
		size_t ql = 0, nlight = 0;
		FILE *f;
		int stop = 0;

		if (gh_api->cancelled(g->job)) {
			json_object_put(vars);
			rc = gh_api->fail(g->job, PULSE_ERR_CANCELLED, "stopped while "
					  "syncing pull requests of %s", repo->full);
			goto out;
		}
		f = open_memstream(&q, &ql);
		if (!vars || !f) {
			if (f)
				fclose(f);
			json_object_put(vars);
			rc = oom(g);
			goto out;
		}
		json_object_object_add(vars, "o", json_object_new_string(repo->owner));
		json_object_object_add(vars, "n", json_object_new_string(repo->name));
		json_object_object_add(vars, "after", after ?
				       json_object_new_string(after) : NULL);
		/* Nothing changed is the common case of an incremental sync:
		 * ask for a small first page. */
		json_object_object_add(vars, "first", json_object_new_int(
					       first && wm && !after ? 10 : 50));
		fprintf(f, "query($o:String!,$n:String!,$after:String,$first:Int!){"
			RATE_FIELDS " repository(owner:$o,name:$n){"
			"pullRequests(first:$first,after:$after,"
			"orderBy:{field:UPDATED_AT,direction:DESC}){"
			"pageInfo{hasNextPage endCursor} nodes{...pr}}");
		/* PRs OPEN at the last sync, checked on the same request so
		 * one merged without a newer updatedAt never stays OPEN. */
		for (i = 0; first && i < prev.n && nlight < MAX_LIGHT_CHECKS; i++, nlight++)
			fprintf(f, " o%zu:pullRequest(number:%lld){number state updatedAt}",
				i, (long long)prev.v[i]);
		fprintf(f, "}} " PR_FRAGMENT);
		fclose(f);
		rc = gql(g, q, vars, &r, &doc);
		free(q);
		if (rc != PULSE_OK) {
			json_object_put(vars);
			goto out;
		}
		if (repo_missing(&s, doc, &rc)) {
			json_object_put(doc);
			json_object_put(vars);
			gh_api->http_release(r);
			goto out_skip;
		}
		conn = gh_path(doc, "data", "repository", "pullRequests", NULL);
		nodes = pj_obj(conn, "nodes");
		for (i = 0; nodes && i < json_object_array_length(nodes); i++) {
			struct json_object *pr = json_object_array_get_idx(nodes, i);
			int64_t up = gh_parse_time(pj_str(pr, "updatedAt"));

			if (note_pr(&s, pr) < 0)
				rc = oom(g);
			if (s.threshold > 0 && up >= 0 && up < s.threshold)
				stop = 1;
		}
		for (i = 0; i < nlight; i++) {
			char k[16];
			struct json_object *o;
			const char *st;
			int64_t up;

			snprintf(k, sizeof(k), "o%zu", i);
			o = gh_path(doc, "data", "repository", k, NULL);
			st = pj_str(o, "state");
			up = gh_parse_time(pj_str(o, "updatedAt"));
			if (!o) {
				nums_add(&s.gone, prev.v[i]);
			} else if (!st || strcmp(st, "OPEN") != 0 ||
				   (s.threshold > 0 && up >= s.threshold)) {
				if (nums_add(&light_changed, prev.v[i]) < 0)
					rc = oom(g);
			} else if (nums_add(&light_ok, prev.v[i]) < 0) {
				rc = oom(g);
			}
		}
		if (!pj_bool(pj_obj(conn, "pageInfo"), "hasNextPage", 0))
			stop = 1;
		free(after);
		after = pj_str(pj_obj(conn, "pageInfo"), "endCursor") ?
			strdup(pj_str(pj_obj(conn, "pageInfo"), "endCursor")) : NULL;
		if (rc == PULSE_OK)
			rc = fetch_children(&s);
		/* The page and the cursor move together: a killed job resumes
		 * after the last page stored. */
		free(cval);
		cval = pr_checkpoint(after, s.max, stop || !after);
		if (rc == PULSE_OK) {
			char key[300];

			snprintf(key, sizeof(key), "pr_cursor:%s", repo->id);
			rc = cval ? store(g, GH_RAW_PRS, "POST", g->graphql,
					  json_object_to_json_string_ext(vars, JSON_C_TO_STRING_PLAIN),
					  r, key, cval) : oom(g);
		}
		json_object_put(doc);
		json_object_put(vars);
		gh_api->http_release(r);
		if (rc != PULSE_OK)
			goto out;
		pages++;
		first = 0;
		done = stop || !after;
	}

	/* Previously OPEN PRs not seen while paging: re-fetch those whose
	 * light check showed a change, or that could not be checked. */
	for (i = 0; i < prev.n; i++) {
		int64_t num = prev.v[i];

		if (nums_has(&s.seen, num) || nums_has(&s.gone, num) ||
		    nums_has(&light_ok, num))
			continue;
		if (nums_add(&todo, num) < 0) {
			rc = oom(g);
			goto out;
		}
	}
	if (todo.n && (rc = refetch(&s, todo.v, todo.n)) != PULSE_OK)
		goto out;

	/* Finish: the new OPEN set, the watermark, and no cursor. */
	{
		struct json_object *arr = json_object_new_array();

		for (i = 0; i < prev.n; i++)
			if (!nums_has(&s.closed, prev.v[i]) && !nums_has(&s.gone, prev.v[i]))
				nums_add(&s.open, prev.v[i]);
		for (i = 0; arr && i < s.open.n; i++)
			json_object_array_add(arr, json_object_new_int64(s.open.v[i]));
		rc = arr ? state_put(g, "open_prs:", repo->id,
				     json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN)) :
			oom(g);
		json_object_put(arr);
	}
	if (rc == PULSE_OK && s.max > 0 && (!wm || s.max > gh_parse_time(wm))) {
		gh_format_time(s.max, at, sizeof(at));
		rc = state_put(g, "pr_watermark:", repo->id, at);
	}
	if (rc == PULSE_OK)
		rc = state_put(g, "pr_cursor:", repo->id, "");
	gh_api->log(gh_host, PULSE_LOG_INFO, "repo=%s prs_pages=%d prs_seen=%zu "
		    "open=%zu refetched=%zu", repo->full, pages, s.seen.n, s.open.n,
		    todo.n);
	goto out;
out_skip:
	rc = rc == PULSE_OK ? 1 : rc; /* 1: skip the repository */
out:
	children_free(&s.ch);
	free(s.seen.v);
	free(s.open.v);
	free(s.closed.v);
	free(s.gone.v);
	free(prev.v);
	free(light_changed.v);
	free(light_ok.v);
	free(todo.v);
	free(after);
	free(cval);
	json_object_put(ckj);
	json_object_put(openj);
	gh_api->free(wm);
	gh_api->free(ck);
	gh_api->free(open_txt);
	return rc;
}

/* ------------------------------------------------------------ deployments */

struct dep {
	int64_t id;
	int64_t created;
	char *json;       /* the context the statuses page is stored with */
	char *sha;
	char *env;
	char latest[24];  /* latest status state */
};

static int dep_cmp(const void *a, const void *b)
{
	const struct dep *x = a, *y = b;

	if (x->created != y->created)
		return x->created < y->created ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* Fetch a deployment's statuses (all pages) and store each page with the
 * deployment as context, so the transform can write a complete row. */
static int32_t fetch_statuses(struct gh *g, struct repo *repo, struct dep *d)
{
	char *url = xasprintf("%s/repos/%s/deployments/%lld/statuses?per_page=100",
			      g->rest, repo->full, (long long)d->id);
	pulse_http_response *r = NULL;
	int64_t best_t = -1, best_id = -1;
	int32_t rc = PULSE_OK;
	int page = 0;
	char cont[320];

	/* Statuses come newest first: page 1 makes the row; later pages are
	 * kept as raw data only. */
	snprintf(cont, sizeof(cont), "{\"repository\":\"%s\",\"deployment_id\":%lld,"
		 "\"continuation\":true}", repo->id, (long long)d->id);
	while (url && rc == PULSE_OK) {
		struct json_object *arr;
		size_t i;
		char *next;

		if ((rc = rest_get(g, url, 0, &r)) != PULSE_OK)
			break;
		if (gh_api->http_status(r) != 200) {
			gh_api->log(gh_host, PULSE_LOG_WARN, "repo=%s deployment=%lld "
				    "statuses status=%u skipped", repo->full,
				    (long long)d->id, gh_api->http_status(r));
			break;
		}
		arr = parse_body(r);
		for (i = 0; arr && json_object_is_type(arr, json_type_array) &&
		     i < json_object_array_length(arr); i++) {
			struct json_object *s = json_object_array_get_idx(arr, i);
			int64_t t = gh_parse_time(pj_str(s, "created_at"));
			int64_t id = pj_int(s, "id", 0);
			const char *st = pj_str(s, "state");

			if (st && (t > best_t || (t == best_t && id > best_id))) {
				best_t = t;
				best_id = id;
				snprintf(d->latest, sizeof(d->latest), "%s", st);
			}
		}
		json_object_put(arr);
		rc = store(g, GH_RAW_STATUSES, "GET", url, page ? cont : d->json,
			   r, NULL, NULL);
		page++;
		next = link_next(r);
		gh_api->http_release(r);
		r = NULL;
		free(url);
		url = next;
	}
	gh_api->http_release(r);
	free(url);
	return rc;
}

/* The commits production deployment d shipped since the previous one. */
static int32_t fetch_compare(struct gh *g, struct repo *repo, const char *base,
			     const struct dep *d)
{
	char *url = xasprintf("%s/repos/%s/compare/%s...%s?per_page=100",
			      g->rest, repo->full, base, d->sha);
	char *ctx = xasprintf("{\"repository\":\"%s\",\"deployment\":"
			      "\"deployment:%lld\",\"base\":\"%s\",\"head\":\"%s\"}",
			      repo->id, (long long)d->id, base, d->sha);
	pulse_http_response *r = NULL;
	int32_t rc = PULSE_OK;

	if (!url || !ctx)
		rc = oom(g);
	while (url && rc == PULSE_OK) {
		char *next;

		if ((rc = rest_get(g, url, 0, &r)) != PULSE_OK)
			break;
		if (gh_api->http_status(r) != 200) {
			/* e.g. a force-pushed SHA: the time-based fallback applies */
			gh_api->log(gh_host, PULSE_LOG_WARN, "repo=%s deployment=%lld "
				    "compare status=%u skipped", repo->full,
				    (long long)d->id, gh_api->http_status(r));
			break;
		}
		rc = store(g, GH_RAW_COMPARE, "GET", url, ctx, r, NULL, NULL);
		next = link_next(r);
		gh_api->http_release(r);
		r = NULL;
		free(url);
		url = next;
	}
	gh_api->http_release(r);
	free(url);
	free(ctx);
	return rc;
}

static int32_t sync_deployments(struct gh *g, struct repo *repo)
{
	char *known_s = state(g, "dep_known:", repo->id);
	char *upd_s = state(g, "dep_updated:", repo->id);
	char *re_s = state(g, "dep_regex:", repo->id);
	char *last_s = state(g, "prod_last:", repo->id);
	struct json_object *lastj = last_s ? json_tokener_parse(last_s) : NULL;
	const char *pattern = g->env_re ? g->env_re : GH_DEFAULT_ENV_REGEX;
	int64_t known = known_s ? strtoll(known_s, NULL, 10) : 0;
	int64_t upd = gh_parse_time(upd_s), max_id = known, max_upd = upd;
	int64_t last_created = gh_parse_time(pj_str(lastj, "created_at"));
	char *last_sha = pj_str(lastj, "sha") ? strdup(pj_str(lastj, "sha")) : NULL;
	int64_t last_id = pj_int(lastj, "id", 0);
	/* A changed regex re-reads every deployment (is_production). */
	int same_re = re_s && strcmp(re_s, pattern) == 0;
	int incremental = known > 0 && same_re;
	struct dep *deps = NULL;
	size_t nd = 0, i;
	char *url = NULL;
	pulse_http_response *r = NULL;
	int page = 0, compares = 0;
	int32_t rc;

	url = xasprintf("%s/repos/%s/deployments?per_page=100", g->rest, repo->full);
	while (url) {
		struct json_object *arr;
		int stop = 0;
		char *next;

		if ((rc = rest_get(g, url, (same_re || !known) && page == 0, &r)) != PULSE_OK)
			goto out;
		if (gh_api->http_status(r) == 304)
			break;
		if (gh_api->http_status(r) != 200) {
			char msg[200];

			body_msg(r, msg, sizeof(msg));
			if (repo->configured || gh_api->http_status(r) != 404) {
				rc = gh_api->fail(g->job, PULSE_ERR_PERMANENT, "deployments "
						  "of %s could not be listed (%u %s)", repo->full,
						  gh_api->http_status(r), msg);
				goto out;
			}
			break;
		}
		arr = parse_body(r);
		for (i = 0; arr && json_object_is_type(arr, json_type_array) &&
		     i < json_object_array_length(arr); i++) {
			struct json_object *d = json_object_array_get_idx(arr, i);
			int64_t id = pj_int(d, "id", 0);
			int64_t created = gh_parse_time(pj_str(d, "created_at"));
			int64_t updated = gh_parse_time(pj_str(d, "updated_at"));
			struct json_object *ctx;
			struct dep *nv;

			if (g->since > 0 && created >= 0 && created < g->since) {
				stop = 1;
				continue;
			}
			if (incremental && id <= known)
				stop = 1; /* a known id: older pages hold nothing new */
			if (id > max_id)
				max_id = id;
			if (updated > max_upd)
				max_upd = updated;
			if (incremental && id <= known && !(upd >= 0 && updated > upd))
				continue;
			nv = realloc(deps, (nd + 1) * sizeof(*nv));
			ctx = json_object_new_object();
			if (nv)
				deps = nv;
			if (!nv || !ctx) {
				json_object_put(ctx);
				json_object_put(arr);
				rc = oom(g);
				goto out;
			}
			deps = nv;
			memset(&deps[nd], 0, sizeof(deps[nd]));
			json_object_object_add(ctx, "repository", json_object_new_string(repo->id));
			json_object_object_add(ctx, "deployment", json_object_get(d));
			deps[nd].id = id;
			deps[nd].created = created;
			deps[nd].json = strdup(json_object_to_json_string_ext(ctx, JSON_C_TO_STRING_PLAIN));
			deps[nd].sha = pj_str(d, "sha") ? strdup(pj_str(d, "sha")) : NULL;
			deps[nd].env = pj_str(d, "environment") ? strdup(pj_str(d, "environment")) : NULL;
			json_object_put(ctx);
			nd++;
			if (!deps[nd - 1].json) {
				json_object_put(arr);
				rc = oom(g);
				goto out;
			}
		}
		json_object_put(arr);
		if ((rc = store(g, GH_RAW_DEPLOYMENTS, "GET", url, NULL, r, NULL, NULL)) != PULSE_OK)
			goto out;
		next = stop ? NULL : link_next(r);
		gh_api->http_release(r);
		r = NULL;
		free(url);
		url = next;
		page++;
	}
	for (i = 0; i < nd; i++) {
		if (gh_api->cancelled(g->job)) {
			rc = gh_api->fail(g->job, PULSE_ERR_CANCELLED, "stopped while "
					  "syncing deployments of %s", repo->full);
			goto out;
		}
		if ((rc = fetch_statuses(g, repo, &deps[i])) != PULSE_OK)
			goto out;
	}
	/* Chain successful production deployments oldest first: each one
	 * shipped the commits since the one before. */
	if (nd > 1)
		qsort(deps, nd, sizeof(*deps), dep_cmp);
	for (i = 0; i < nd; i++) {
		struct dep *d = &deps[i];

		if (!d->sha || strcmp(d->latest, "success") != 0 ||
		    !gh_env_is_production(pattern, d->env) || d->id == last_id ||
		    (last_created >= 0 && d->created < last_created))
			continue;
		if (last_sha && strcmp(last_sha, d->sha) != 0) {
			if ((rc = fetch_compare(g, repo, last_sha, d)) != PULSE_OK)
				goto out;
			compares++;
		}
		free(last_sha);
		last_sha = strdup(d->sha);
		last_id = d->id;
		last_created = d->created;
	}
	if (last_sha) {
		char at[32];
		char *v;

		gh_format_time(last_created, at, sizeof(at));
		v = xasprintf("{\"id\":%lld,\"sha\":\"%s\",\"created_at\":\"%s\"}",
			      (long long)last_id, last_sha, at);
		rc = v ? state_put(g, "prod_last:", repo->id, v) : oom(g);
		free(v);
		if (rc != PULSE_OK)
			goto out;
	}
	{
		char idbuf[32], at[32];

		snprintf(idbuf, sizeof(idbuf), "%lld", (long long)max_id);
		if ((rc = state_put(g, "dep_known:", repo->id, idbuf)) != PULSE_OK)
			goto out;
		if (max_upd > 0) {
			gh_format_time(max_upd, at, sizeof(at));
			if ((rc = state_put(g, "dep_updated:", repo->id, at)) != PULSE_OK)
				goto out;
		}
		if ((rc = state_put(g, "dep_regex:", repo->id, pattern)) != PULSE_OK)
			goto out;
	}
	gh_api->log(gh_host, PULSE_LOG_INFO, "repo=%s deployments_new=%zu "
		    "compares=%d incremental=%d", repo->full, nd, compares, incremental);
out:
	gh_api->http_release(r);
	for (i = 0; i < nd; i++) {
		free(deps[i].json);
		free(deps[i].sha);
		free(deps[i].env);
	}
	free(deps);
	free(url);
	free(last_sha);
	json_object_put(lastj);
	gh_api->free(known_s);
	gh_api->free(upd_s);
	gh_api->free(re_s);
	gh_api->free(last_s);
	return rc;
}

/* ------------------------------------------------------------ releases */

static int32_t sync_releases(struct gh *g, struct repo *repo)
{
	char *known_s = state(g, "rel_known:", repo->id);
	char *next_s = state(g, "rel_next:", repo->id);
	char *mode_s = state(g, "rel_mode:", repo->id);
	int64_t known = known_s ? strtoll(known_s, NULL, 10) : 0, max_id = known;
	int same_mode = mode_s && strcmp(mode_s, "1") == 0;
	int incremental = known > 0 && same_mode;
	char *url, key[300], *ctx = xasprintf("{\"repository\":\"%s\"}", repo->id);
	pulse_http_response *r = NULL;
	int page = 0;
	int32_t rc = PULSE_OK;

	snprintf(key, sizeof(key), "rel_next:%s", repo->id);
	/* A run killed half-way resumes at the page after the last stored. */
	url = next_s ? strdup(next_s) :
		xasprintf("%s/repos/%s/releases?per_page=100", g->rest, repo->full);
	if (!url || !ctx) {
		rc = oom(g);
		goto out;
	}
	while (url) {
		struct json_object *arr;
		size_t i;
		int stop = 0;
		char *next;

		rc = rest_get(g, url, (same_mode || !known) && !next_s && page == 0, &r);
		if (rc != PULSE_OK)
			goto out;
		if (gh_api->http_status(r) == 304)
			break;
		if (gh_api->http_status(r) != 200) {
			gh_api->log(gh_host, PULSE_LOG_WARN, "repo=%s releases status=%u "
				    "skipped", repo->full, gh_api->http_status(r));
			break;
		}
		arr = parse_body(r);
		for (i = 0; arr && json_object_is_type(arr, json_type_array) &&
		     i < json_object_array_length(arr); i++) {
			struct json_object *e = json_object_array_get_idx(arr, i);
			int64_t id = pj_int(e, "id", 0);

			if (id > max_id)
				max_id = id;
			if (incremental && id <= known)
				stop = 1;
			if (g->since > 0 && gh_parse_time(pj_str(e, "created_at")) >= 0 &&
			    gh_parse_time(pj_str(e, "created_at")) < g->since)
				stop = 1;
		}
		json_object_put(arr);
		next = stop ? NULL : link_next(r);
		rc = store(g, GH_RAW_RELEASES, "GET", url, ctx, r, key, next ? next : "");
		gh_api->http_release(r);
		r = NULL;
		free(url);
		url = next;
		if (rc != PULSE_OK)
			goto out;
		page++;
	}
	{
		char idbuf[32];

		snprintf(idbuf, sizeof(idbuf), "%lld", (long long)max_id);
		if ((rc = state_put(g, "rel_known:", repo->id, idbuf)) != PULSE_OK ||
		    (rc = state_put(g, "rel_mode:", repo->id, "1")) != PULSE_OK ||
		    (rc = state_put(g, "rel_next:", repo->id, "")) != PULSE_OK)
			goto out;
	}
out:
	gh_api->http_release(r);
	free(url);
	free(ctx);
	gh_api->free(known_s);
	gh_api->free(next_s);
	gh_api->free(mode_s);
	return rc;
}

/* ------------------------------------------------------------ extract */

int32_t gh_extract(void *state_, pulse_job *job)
{
	struct gh g;
	struct repo *repos = NULL;
	size_t nrepos = 0, i;
	const char *org, *since;
	uint32_t k, nconf;
	int32_t rc = PULSE_OK;

	(void)state_;
	memset(&g, 0, sizeof(g));
	g.job = job;
	g.since = -1;
	if (gh_endpoints(gh_api->config_string(job, "base_url"), &g.rest,
			 &g.graphql) < 0)
		return oom(&g);
	g.env_re = gh_api->config_string(job, "deployment_environment");
	g.releases = gh_api->config_bool(job, "releases_as_deployments", 0);
	since = gh_api->config_string(job, "since");
	if (since && *since)
		g.since = gh_parse_time(since);
	org = gh_api->config_string(job, "org");

	gh_api->progress(job, "listing repositories", 0, 0);
	if (org && *org && (rc = list_org(&g, org, &repos, &nrepos)) != PULSE_OK)
		goto out;
	nconf = gh_api->config_list_count(job, "repos");
	for (k = 0; k < nconf; k++) {
		const char *full = gh_api->config_list_item(job, "repos", k);

		if ((rc = get_repo(&g, full)) != PULSE_OK)
			goto out;
		if (repo_add(&repos, &nrepos, full, 1) < 0) {
			rc = oom(&g);
			goto out;
		}
	}
	for (i = 0; i < nrepos; i++) {
		struct repo *r = &repos[i];
		char step[400];

		if (gh_api->cancelled(job)) {
			rc = gh_api->fail(job, PULSE_ERR_CANCELLED, "stopped before %s",
					  r->full);
			goto out;
		}
		snprintf(step, sizeof(step), "%s: pull requests", r->full);
		gh_api->progress(job, step, i, nrepos);
		rc = sync_prs(&g, r);
		if (rc == 1) {
			rc = PULSE_OK; /* vanished since listed: skip it */
			continue;
		}
		if (rc != PULSE_OK)
			goto out;
		snprintf(step, sizeof(step), "%s: deployments", r->full);
		gh_api->progress(job, step, i, nrepos);
		if ((rc = sync_deployments(&g, r)) != PULSE_OK)
			goto out;
		if (g.releases) {
			snprintf(step, sizeof(step), "%s: releases", r->full);
			gh_api->progress(job, step, i, nrepos);
			if ((rc = sync_releases(&g, r)) != PULSE_OK)
				goto out;
		}
	}
	gh_api->progress(job, "done", nrepos, nrepos);
	gh_api->log(gh_host, PULSE_LOG_INFO, "sync repos=%zu pages_stored=%llu",
		    nrepos, (unsigned long long)g.stored);
out:
	for (i = 0; i < nrepos; i++)
		repo_free(&repos[i]);
	free(repos);
	free(g.rest);
	free(g.graphql);
	return rc;
}
