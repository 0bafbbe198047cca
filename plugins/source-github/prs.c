/*
 * source-github pull requests: paged with GraphQL, newest updatedAt
 * first, down to the watermark minus GH_OVERLAP_S. Nested connections
 * (commits, reviews, comments) longer than the first page are fetched
 * with node(id:) follow-ups; PRs OPEN at the last sync are checked on the
 * first page and re-fetched when they changed. State keys (per
 * repository id): pr_watermark:R, pr_cursor:R (checkpoint while paging),
 * open_prs:R.
 */
#define _GNU_SOURCE 1 /* open_memstream */

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extract.h"

#define MAX_LIGHT_CHECKS 100 /* open-PR checks riding on the first page */
#define REFETCH_BATCH 20     /* PRs per re-fetch query */
#define CHILD_BATCH 10       /* nested connections per follow-up query */

/* The fields of a pull request, shared by the paging and re-fetch
 * queries (GraphQL fragment). The reference query plus what the warehouse
 * needs: ids of reviews/comments, authored dates, the merge commit. */
#define PR_FRAGMENT \
	"fragment pr on PullRequest{id number title state isDraft createdAt " \
	"updatedAt mergedAt closedAt author{login} baseRefName headRefName " \
	"mergeCommit{oid} " \
	"commits(first:100){totalCount pageInfo{hasNextPage endCursor} " \
	"nodes{commit{oid committedDate authoredDate messageHeadline " \
	"author{name email user{login}}}}} " \
	"reviews(first:50){totalCount pageInfo{hasNextPage endCursor} " \
	"nodes{id state submittedAt author{login}}} " \
	"comments(first:50){totalCount pageInfo{hasNextPage endCursor} " \
	"nodes{id createdAt author{login}}}}"

#define RATE_FIELDS "rateLimit{cost limit remaining resetAt}"

/* Nested connections paged with node(id:) follow-ups. */
static const char *const child_conn[] = {"commits", "reviews", "comments"};
static const char *const child_fields[] = {
	"totalCount pageInfo{hasNextPage endCursor} nodes{commit{oid "
	"committedDate authoredDate messageHeadline author{name email user{login}}}}",
	"totalCount pageInfo{hasNextPage endCursor} nodes{id state submittedAt "
	"author{login}}",
	"totalCount pageInfo{hasNextPage endCursor} nodes{id createdAt "
	"author{login}}",
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

struct prsync {
	struct gh *g;
	struct repo *repo;
	int64_t threshold;     /* stop paging below this updatedAt (-1: never) */
	int64_t wm;            /* watermark of the last sync (-1: none) */
	int64_t max;           /* newest updatedAt seen (-1: none) */
	struct kt_ids seen;    /* numbers seen with full data this run */
	struct kt_ids open;    /* ... of those, OPEN */
	struct kt_ids closed;  /* ... of those, not OPEN */
	struct kt_ids gone;    /* previously open, now not found */
	struct kt_ids prev;    /* OPEN at the last sync */
	struct kt_ids light_ok; /* ... and unchanged by the light check */
	struct kt_ids light_changed;
	struct kt_cursor cur;  /* the PR connection's paging */
	struct children ch;
	int first;             /* the first page of this run is next */
	int pages;
	int has_wm;            /* a watermark exists (an incremental sync) */
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
	up = kt_time_parse_s(pj_str(pr, "updatedAt"));
	if (up > s->max)
		s->max = up;
	if (kt_ids_put(&s->seen, num) < 0)
		return -1;
	if (strcmp(st, "OPEN") == 0) {
		kt_ids_del(&s->closed, num);
		if (kt_ids_put(&s->open, num) < 0)
			return -1;
	} else {
		kt_ids_del(&s->open, num);
		if (kt_ids_put(&s->closed, num) < 0)
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
			rc = gh_oom(g);
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
			rc = gh_gql(g, q, vars, &r, &doc);
		for (i = 0; rc == PULSE_OK && i < take; i++) {
			char k[16];
			struct json_object *n;

			snprintf(k, sizeof(k), "n%zu", i);
			n = gh_path(doc, "data", k, NULL);
			if (n && queue_next(&s->ch, n, batch[i].id, batch[i].kind) < 0)
				rc = gh_oom(g);
		}
		if (rc == PULSE_OK)
			rc = kt_page_store(&g->pages, GH_RAW_PR_CHILDREN, "POST", g->graphql,
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
	e = gh_gql_error(doc, nf);
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
		kt_time_format_ms(max * 1000, 0, at, sizeof(at));
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
			return gh_oom(g);
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
		rc = gh_gql(g, q, vars, &r, &doc);
		if (rc == PULSE_OK && repo_missing(s, doc, &rc))
			take = 0; /* the repository itself is gone: nothing to note */
		for (i = 0; rc == PULSE_OK && i < take; i++) {
			char k[16];
			struct json_object *pr;

			snprintf(k, sizeof(k), "p%zu", i);
			pr = gh_path(doc, "data", "repository", k, NULL);
			if (!pr) {
				/* Deleted (or transferred): no longer ours to track. */
				kt_ids_del(&s->open, num[off + i]);
				if (kt_ids_put(&s->gone, num[off + i]) < 0)
					rc = gh_oom(g);
				continue;
			}
			if (note_pr(s, pr) < 0)
				rc = gh_oom(g);
		}
		if (rc == PULSE_OK)
			rc = fetch_children(s);
		if (rc == PULSE_OK && gh_path(doc, "data", "repository", NULL))
			rc = kt_page_store(&g->pages, GH_RAW_PRS, "POST", g->graphql,
				   json_object_to_json_string_ext(vars, JSON_C_TO_STRING_PLAIN),
				   r, NULL, NULL);
		json_object_put(doc);
		json_object_put(vars);
		gh_api->http_release(r);
		free(q);
	}
	return rc;
}

/* The query of one page of the PR connection, into a malloc'ed text
 * (NULL when out of memory). The first page also carries a light check
 * of each PR OPEN at the last sync (at most MAX_LIGHT_CHECKS; *nlight
 * says how many), so one merged without a newer updatedAt never stays
 * OPEN. */
static char *page_query(const struct prsync *s, size_t *nlight)
{
	char *q = NULL;
	size_t ql = 0, i;
	FILE *f = open_memstream(&q, &ql);

	*nlight = 0;
	if (!f)
		return NULL;
	fprintf(f, "query($o:String!,$n:String!,$after:String,$first:Int!){"
		RATE_FIELDS " repository(owner:$o,name:$n){"
		"pullRequests(first:$first,after:$after,"
		"orderBy:{field:UPDATED_AT,direction:DESC}){"
		"pageInfo{hasNextPage endCursor} nodes{...pr}}");
	for (i = 0; s->first && i < s->prev.n && *nlight < MAX_LIGHT_CHECKS;
	     i++, (*nlight)++)
		fprintf(f, " o%zu:pullRequest(number:%lld){number state updatedAt}",
			i, (long long)s->prev.v[i]);
	fprintf(f, "}} " PR_FRAGMENT);
	fclose(f);
	return q;
}

/* Sort the light checks of the first page: gone, changed (re-fetch) or
 * unchanged. */
static int note_light(struct prsync *s, struct json_object *doc, size_t nlight)
{
	size_t i;

	for (i = 0; i < nlight; i++) {
		char k[16];
		struct json_object *o;
		const char *st;
		int64_t up;

		snprintf(k, sizeof(k), "o%zu", i);
		o = gh_path(doc, "data", "repository", k, NULL);
		st = pj_str(o, "state");
		up = kt_time_parse_s(pj_str(o, "updatedAt"));
		if (!o) {
			kt_ids_put(&s->gone, s->prev.v[i]);
		} else if (!st || strcmp(st, "OPEN") != 0 ||
			   (s->threshold > 0 && up >= s->threshold)) {
			if (kt_ids_put(&s->light_changed, s->prev.v[i]) < 0)
				return -1;
		} else if (kt_ids_put(&s->light_ok, s->prev.v[i]) < 0) {
			return -1;
		}
	}
	return 0;
}

/* Fetch, note and store one page of the PR connection. Returns 1 (with
 * *rc set) when the repository is missing. */
static int32_t pr_page(struct prsync *s, int32_t *rc_skip)
{
	struct gh *g = s->g;
	struct json_object *vars = json_object_new_object(), *doc = NULL;
	struct json_object *conn, *nodes, *pi;
	pulse_http_response *r = NULL;
	char *q = NULL, *cval = NULL, key[300];
	size_t nlight = 0, i;
	int stop = 0;
	int32_t rc;

	if (!vars || !(q = page_query(s, &nlight))) {
		rc = gh_oom(g);
		goto out;
	}
	json_object_object_add(vars, "o", json_object_new_string(s->repo->owner));
	json_object_object_add(vars, "n", json_object_new_string(s->repo->name));
	json_object_object_add(vars, "after", s->cur.after ?
			       json_object_new_string(s->cur.after) : NULL);
	/* Nothing changed is the common case of an incremental sync: ask
	 * for a small first page. */
	json_object_object_add(vars, "first", json_object_new_int(
				       s->first && s->has_wm && !s->cur.after ? 10 : 50));
	if ((rc = gh_gql(g, q, vars, &r, &doc)) != PULSE_OK)
		goto out;
	if (repo_missing(s, doc, rc_skip)) {
		rc = 1;
		goto out;
	}
	conn = gh_path(doc, "data", "repository", "pullRequests", NULL);
	nodes = pj_obj(conn, "nodes");
	for (i = 0; nodes && i < json_object_array_length(nodes); i++) {
		struct json_object *pr = json_object_array_get_idx(nodes, i);
		int64_t up = kt_time_parse_s(pj_str(pr, "updatedAt"));

		if (note_pr(s, pr) < 0)
			rc = gh_oom(g);
		if (s->threshold > 0 && up >= 0 && up < s->threshold)
			stop = 1;
	}
	if (note_light(s, doc, nlight) < 0)
		rc = gh_oom(g);
	pi = pj_obj(conn, "pageInfo");
	if (kt_cursor_step(&s->cur, pj_bool(pi, "hasNextPage", 0) && !stop,
			   pj_str(pi, "endCursor")) < 0)
		rc = gh_oom(g);
	if (rc == PULSE_OK)
		rc = fetch_children(s);
	/* The page and the cursor move together: a killed job resumes after
	 * the last page stored. */
	cval = pr_checkpoint(s->cur.after, s->max, s->cur.done);
	if (rc == PULSE_OK) {
		snprintf(key, sizeof(key), "pr_cursor:%s", s->repo->id);
		rc = cval ? kt_page_store(&g->pages, GH_RAW_PRS, "POST", g->graphql,
					  json_object_to_json_string_ext(vars,
						JSON_C_TO_STRING_PLAIN),
					  r, key, cval) : gh_oom(g);
	}
	s->pages++;
	s->first = 0;
out:
	json_object_put(doc);
	json_object_put(vars);
	gh_api->http_release(r);
	free(q);
	free(cval);
	return rc;
}

/* After paging: re-fetch what the light check could not clear, then save
 * the new OPEN set, the watermark, and no cursor. */
static int32_t pr_finish(struct prsync *s, const char *wm)
{
	struct gh *g = s->g;
	struct kt_ids todo = {0};
	struct json_object *arr = NULL;
	char at[32];
	size_t i;
	int32_t rc = PULSE_OK;

	/* Previously OPEN PRs not seen while paging: re-fetch those whose
	 * light check showed a change, or that could not be checked. */
	for (i = 0; i < s->prev.n; i++) {
		int64_t num = s->prev.v[i];

		if (kt_ids_find(&s->seen, num) || kt_ids_find(&s->gone, num) ||
		    kt_ids_find(&s->light_ok, num))
			continue;
		if (kt_ids_put(&todo, num) < 0) {
			rc = gh_oom(g);
			goto out;
		}
	}
	if (todo.n && (rc = refetch(s, todo.v, todo.n)) != PULSE_OK)
		goto out;
	for (i = 0; i < s->prev.n; i++)
		if (!kt_ids_find(&s->closed, s->prev.v[i]) &&
		    !kt_ids_find(&s->gone, s->prev.v[i]))
			kt_ids_put(&s->open, s->prev.v[i]);
	arr = json_object_new_array();
	for (i = 0; arr && i < s->open.n; i++)
		json_object_array_add(arr, json_object_new_int64(s->open.v[i]));
	rc = arr ? gh_state_put(g, "open_prs:", s->repo->id,
				json_object_to_json_string_ext(arr,
					JSON_C_TO_STRING_PLAIN)) : gh_oom(g);
	if (rc == PULSE_OK && s->max > 0 && (!wm || s->max > kt_time_parse_s(wm))) {
		kt_time_format_ms(s->max * 1000, 0, at, sizeof(at));
		rc = gh_state_put(g, "pr_watermark:", s->repo->id, at);
	}
	if (rc == PULSE_OK)
		rc = gh_state_put(g, "pr_cursor:", s->repo->id, "");
	gh_api->log(gh_host, PULSE_LOG_INFO, "repo=%s prs_pages=%d prs_seen=%zu "
		    "open=%zu refetched=%zu", s->repo->full, s->pages, s->seen.n,
		    s->open.n, todo.n);
out:
	json_object_put(arr);
	kt_ids_free(&todo);
	return rc;
}

int32_t gh_sync_prs(struct gh *g, struct repo *repo)
{
	struct prsync s;
	char *wm = gh_state(g, "pr_watermark:", repo->id);
	char *ck = gh_state(g, "pr_cursor:", repo->id);
	char *open_txt = gh_state(g, "open_prs:", repo->id);
	struct json_object *ckj = ck ? json_tokener_parse(ck) : NULL;
	struct json_object *openj = open_txt ? json_tokener_parse(open_txt) : NULL;
	int32_t rc = PULSE_OK, skip = PULSE_OK;
	size_t i;

	memset(&s, 0, sizeof(s));
	s.g = g;
	s.repo = repo;
	s.max = -1;
	s.first = 1;
	s.has_wm = wm != NULL;
	s.wm = wm ? kt_time_parse_s(wm) : -1;
	s.threshold = wm ? s.wm - GH_OVERLAP_S : g->since;
	if (ckj) {
		const char *a = pj_str(ckj, "after"), *m = pj_str(ckj, "max");

		s.cur.after = a ? strdup(a) : NULL;
		if (m)
			s.max = kt_time_parse_s(m);
		s.cur.done = pj_bool(ckj, "done", 0);
	}
	for (i = 0; openj && json_object_is_type(openj, json_type_array) &&
	     i < json_object_array_length(openj); i++)
		if (kt_ids_put(&s.prev, json_object_get_int64(
				json_object_array_get_idx(openj, i))) < 0) {
			rc = gh_oom(g);
			goto out;
		}
	while (!s.cur.done) {
		if (gh_api->cancelled(g->job)) {
			rc = gh_api->fail(g->job, PULSE_ERR_CANCELLED, "stopped while "
					  "syncing pull requests of %s", repo->full);
			goto out;
		}
		rc = pr_page(&s, &skip);
		if (rc == 1) {
			/* missing: skip the repository (1), or the job failed */
			rc = skip == PULSE_OK ? 1 : skip;
			goto out;
		}
		if (rc != PULSE_OK)
			goto out;
	}
	rc = pr_finish(&s, wm);
out:
	children_free(&s.ch);
	kt_ids_free(&s.seen);
	kt_ids_free(&s.open);
	kt_ids_free(&s.closed);
	kt_ids_free(&s.gone);
	kt_ids_free(&s.prev);
	kt_ids_free(&s.light_changed);
	kt_ids_free(&s.light_ok);
	kt_cursor_free(&s.cur);
	json_object_put(ckj);
	json_object_put(openj);
	gh_api->free(wm);
	gh_api->free(ck);
	gh_api->free(open_txt);
	return rc;
}
