/*
 * source-github deployments: the deployments of a repository (newest
 * first, down to the last known id), each with its statuses, and for each
 * successful production deployment the commits it shipped since the one
 * before (REST compare). Then releases, when they count as deployments.
 * State keys (per repository id): dep_known:R, dep_updated:R, dep_regex:R,
 * prod_last:R; rel_known:R, rel_next:R (checkpoint), rel_mode:R.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extract.h"

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

/* The latest status of a page of statuses, into the deployment. */
struct latest {
	struct dep *d;
	int64_t t, id;
};

static void note_statuses(struct json_object *arr, void *arg)
{
	struct latest *l = arg;
	size_t i;

	for (i = 0; arr && json_object_is_type(arr, json_type_array) &&
	     i < json_object_array_length(arr); i++) {
		struct json_object *s = json_object_array_get_idx(arr, i);
		int64_t t = kt_time_parse_s(pj_str(s, "created_at"));
		int64_t id = pj_int(s, "id", 0);
		const char *st = pj_str(s, "state");

		if (st && (t > l->t || (t == l->t && id > l->id))) {
			l->t = t;
			l->id = id;
			snprintf(l->d->latest, sizeof(l->d->latest), "%s", st);
		}
	}
}

/* Fetch a deployment's statuses (all pages) and store each page with the
 * deployment as context, so the transform can write a complete row.
 * Statuses come newest first: page 1 makes the row; later pages are kept
 * as raw data only. */
static int32_t fetch_statuses(struct gh *g, struct repo *repo, struct dep *d)
{
	struct latest l = {d, -1, -1};
	char cont[320], what[64];

	snprintf(cont, sizeof(cont), "{\"repository\":\"%s\",\"deployment_id\":%lld,"
		 "\"continuation\":true}", repo->id, (long long)d->id);
	snprintf(what, sizeof(what), "deployment=%lld statuses", (long long)d->id);
	return gh_rest_pages(g, kt_asprintf("%s/repos/%s/deployments/%lld/statuses"
					    "?per_page=100", g->rest, repo->full,
					    (long long)d->id),
			     GH_RAW_STATUSES, d->json, cont, repo->full, what,
			     note_statuses, &l);
}

/* The commits production deployment d shipped since the previous one. A
 * failed compare (e.g. a force-pushed SHA) is skipped: the time-based
 * fallback applies. */
static int32_t fetch_compare(struct gh *g, struct repo *repo, const char *base,
			     const struct dep *d)
{
	char *url = kt_asprintf("%s/repos/%s/compare/%s...%s?per_page=100",
				g->rest, repo->full, base, d->sha);
	char *ctx = kt_asprintf("{\"repository\":\"%s\",\"deployment\":"
				"\"deployment:%lld\",\"base\":\"%s\",\"head\":\"%s\"}",
				repo->id, (long long)d->id, base, d->sha);
	char what[64];
	int32_t rc;

	snprintf(what, sizeof(what), "deployment=%lld compare", (long long)d->id);
	if (!url || !ctx) {
		free(url);
		rc = gh_oom(g);
	} else {
		rc = gh_rest_pages(g, url, GH_RAW_COMPARE, ctx, NULL, repo->full,
				   what, NULL, NULL);
	}
	free(ctx);
	return rc;
}

/* The deployments listing of one sync. */
struct deplist {
	struct gh *g;
	struct repo *repo;
	int64_t known, upd;       /* from state: newest id, updated_at */
	int64_t max_id, max_upd;  /* seen now */
	int incremental;
	struct dep *v;
	size_t n;
};

static void deps_free(struct deplist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].json);
		free(l->v[i].sha);
		free(l->v[i].env);
	}
	free(l->v);
}

/* Keep deployment d (with the repository as context) for its statuses. */
static int dep_keep(struct deplist *l, struct json_object *d, int64_t id,
		    int64_t created)
{
	struct json_object *ctx = json_object_new_object();
	struct dep *nv = realloc(l->v, (l->n + 1) * sizeof(*nv)), *x;

	if (nv)
		l->v = nv;
	if (!nv || !ctx) {
		json_object_put(ctx);
		return -1;
	}
	x = &l->v[l->n++];
	memset(x, 0, sizeof(*x));
	json_object_object_add(ctx, "repository", json_object_new_string(l->repo->id));
	json_object_object_add(ctx, "deployment", json_object_get(d));
	x->id = id;
	x->created = created;
	x->json = strdup(json_object_to_json_string_ext(ctx, JSON_C_TO_STRING_PLAIN));
	x->sha = pj_str(d, "sha") ? strdup(pj_str(d, "sha")) : NULL;
	x->env = pj_str(d, "environment") ? strdup(pj_str(d, "environment")) : NULL;
	json_object_put(ctx);
	return x->json ? 0 : -1;
}

/* Note a page of deployments; *stop when older pages hold nothing new. */
static int dep_page(struct deplist *l, struct json_object *arr, int *stop)
{
	size_t i;

	for (i = 0; arr && json_object_is_type(arr, json_type_array) &&
	     i < json_object_array_length(arr); i++) {
		struct json_object *d = json_object_array_get_idx(arr, i);
		int64_t id = pj_int(d, "id", 0);
		int64_t created = kt_time_parse_s(pj_str(d, "created_at"));
		int64_t updated = kt_time_parse_s(pj_str(d, "updated_at"));

		if (l->g->since > 0 && created >= 0 && created < l->g->since) {
			*stop = 1;
			continue;
		}
		if (l->incremental && id <= l->known)
			*stop = 1; /* a known id: older pages hold nothing new */
		if (id > l->max_id)
			l->max_id = id;
		if (updated > l->max_upd)
			l->max_upd = updated;
		if (l->incremental && id <= l->known &&
		    !(l->upd >= 0 && updated > l->upd))
			continue;
		if (dep_keep(l, d, id, created) < 0)
			return -1;
	}
	return 0;
}

/* List the new and changed deployments (page 1 conditional when the
 * regex is unchanged or nothing is known yet). */
static int32_t list_deployments(struct deplist *l, int conditional)
{
	struct gh *g = l->g;
	struct kt_links it;
	pulse_http_response *r = NULL;
	int32_t rc = PULSE_OK;

	kt_links_start(&it, kt_asprintf("%s/repos/%s/deployments?per_page=100",
					g->rest, l->repo->full));
	while (it.url) {
		struct json_object *arr;
		int stop = 0;

		if ((rc = gh_rest_get(g, it.url, conditional && it.page == 0, &r)) != PULSE_OK)
			goto out;
		if (gh_api->http_status(r) == 304)
			break;
		if (gh_api->http_status(r) != 200) {
			char msg[200];

			gh_body_msg(r, msg, sizeof(msg));
			if (l->repo->configured || gh_api->http_status(r) != 404)
				rc = gh_api->fail(g->job, PULSE_ERR_PERMANENT, "deployments "
						  "of %s could not be listed (%u %s)",
						  l->repo->full, gh_api->http_status(r), msg);
			goto out;
		}
		arr = kt_page_json(gh_api, r);
		if (dep_page(l, arr, &stop) < 0) {
			json_object_put(arr);
			rc = gh_oom(g);
			goto out;
		}
		json_object_put(arr);
		if ((rc = kt_page_store(&g->pages, GH_RAW_DEPLOYMENTS, "GET", it.url,
					NULL, r, NULL, NULL)) != PULSE_OK)
			goto out;
		kt_links_step(&it, stop ? NULL : gh_next_url(r));
		gh_api->http_release(r);
		r = NULL;
	}
out:
	gh_api->http_release(r);
	kt_links_free(&it);
	return rc;
}

/* The last production deployment chained so far (state prod_last:R). */
struct prod {
	int64_t id, created;
	char *sha;
};

/* Chain successful production deployments oldest first: each one
 * shipped the commits since the one before. */
static int32_t chain_production(struct deplist *l, const char *pattern,
				struct prod *last, int *compares)
{
	size_t i;
	int32_t rc;

	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), dep_cmp);
	for (i = 0; i < l->n; i++) {
		struct dep *d = &l->v[i];

		if (!d->sha || strcmp(d->latest, "success") != 0 ||
		    !gh_env_is_production(pattern, d->env) || d->id == last->id ||
		    (last->created >= 0 && d->created < last->created))
			continue;
		if (last->sha && strcmp(last->sha, d->sha) != 0) {
			if ((rc = fetch_compare(l->g, l->repo, last->sha, d)) != PULSE_OK)
				return rc;
			(*compares)++;
		}
		free(last->sha);
		last->sha = strdup(d->sha);
		last->id = d->id;
		last->created = d->created;
	}
	return PULSE_OK;
}

/* Save where this sync got to. */
static int32_t save_deployments(struct deplist *l, const char *pattern,
				const struct prod *last)
{
	struct gh *g = l->g;
	char idbuf[32], at[32];
	int32_t rc = PULSE_OK;

	if (last->sha) {
		char *v;

		kt_time_format_ms(last->created * 1000, 0, at, sizeof(at));
		v = kt_asprintf("{\"id\":%lld,\"sha\":\"%s\",\"created_at\":\"%s\"}",
				(long long)last->id, last->sha, at);
		rc = v ? gh_state_put(g, "prod_last:", l->repo->id, v) : gh_oom(g);
		free(v);
		if (rc != PULSE_OK)
			return rc;
	}
	snprintf(idbuf, sizeof(idbuf), "%lld", (long long)l->max_id);
	if ((rc = gh_state_put(g, "dep_known:", l->repo->id, idbuf)) != PULSE_OK)
		return rc;
	if (l->max_upd > 0) {
		kt_time_format_ms(l->max_upd * 1000, 0, at, sizeof(at));
		if ((rc = gh_state_put(g, "dep_updated:", l->repo->id, at)) != PULSE_OK)
			return rc;
	}
	return gh_state_put(g, "dep_regex:", l->repo->id, pattern);
}

int32_t gh_sync_deployments(struct gh *g, struct repo *repo)
{
	char *known_s = gh_state(g, "dep_known:", repo->id);
	char *upd_s = gh_state(g, "dep_updated:", repo->id);
	char *re_s = gh_state(g, "dep_regex:", repo->id);
	char *last_s = gh_state(g, "prod_last:", repo->id);
	struct json_object *lastj = last_s ? json_tokener_parse(last_s) : NULL;
	const char *pattern = g->env_re ? g->env_re : GH_DEFAULT_ENV_REGEX;
	/* A changed regex re-reads every deployment (is_production). */
	int same_re = re_s && strcmp(re_s, pattern) == 0, compares = 0;
	struct deplist l;
	struct prod last;
	size_t i;
	int32_t rc;

	memset(&l, 0, sizeof(l));
	l.g = g;
	l.repo = repo;
	l.known = known_s ? strtoll(known_s, NULL, 10) : 0;
	l.upd = kt_time_parse_s(upd_s);
	l.max_id = l.known;
	l.max_upd = l.upd;
	l.incremental = l.known > 0 && same_re;
	last.created = kt_time_parse_s(pj_str(lastj, "created_at"));
	last.sha = pj_str(lastj, "sha") ? strdup(pj_str(lastj, "sha")) : NULL;
	last.id = pj_int(lastj, "id", 0);
	if ((rc = list_deployments(&l, same_re || !l.known)) != PULSE_OK)
		goto out;
	for (i = 0; i < l.n; i++) {
		if (gh_api->cancelled(g->job)) {
			rc = gh_api->fail(g->job, PULSE_ERR_CANCELLED, "stopped while "
					  "syncing deployments of %s", repo->full);
			goto out;
		}
		if ((rc = fetch_statuses(g, repo, &l.v[i])) != PULSE_OK)
			goto out;
	}
	if ((rc = chain_production(&l, pattern, &last, &compares)) != PULSE_OK ||
	    (rc = save_deployments(&l, pattern, &last)) != PULSE_OK)
		goto out;
	gh_api->log(gh_host, PULSE_LOG_INFO, "repo=%s deployments_new=%zu "
		    "compares=%d incremental=%d", repo->full, l.n, compares,
		    l.incremental);
out:
	deps_free(&l);
	free(last.sha);
	json_object_put(lastj);
	gh_api->free(known_s);
	gh_api->free(upd_s);
	gh_api->free(re_s);
	gh_api->free(last_s);
	return rc;
}

/* ------------------------------------------------------------ releases */

int32_t gh_sync_releases(struct gh *g, struct repo *repo)
{
	char *known_s = gh_state(g, "rel_known:", repo->id);
	char *next_s = gh_state(g, "rel_next:", repo->id);
	char *mode_s = gh_state(g, "rel_mode:", repo->id);
	int64_t known = known_s ? strtoll(known_s, NULL, 10) : 0, max_id = known;
	int same_mode = mode_s && strcmp(mode_s, "1") == 0;
	int incremental = known > 0 && same_mode;
	char key[300], *ctx = kt_asprintf("{\"repository\":\"%s\"}", repo->id);
	pulse_http_response *r = NULL;
	struct kt_links it;
	int32_t rc = PULSE_OK;

	snprintf(key, sizeof(key), "rel_next:%s", repo->id);
	/* A run killed half-way resumes at the page after the last stored. */
	kt_links_start(&it, next_s ? strdup(next_s) :
		       kt_asprintf("%s/repos/%s/releases?per_page=100", g->rest,
				   repo->full));
	if (!it.url || !ctx) {
		rc = gh_oom(g);
		goto out;
	}
	while (it.url) {
		struct json_object *arr;
		size_t i;
		int stop = 0;
		char *next;

		rc = gh_rest_get(g, it.url, (same_mode || !known) && !next_s &&
				 it.page == 0, &r);
		if (rc != PULSE_OK)
			goto out;
		if (gh_api->http_status(r) == 304)
			break;
		if (gh_api->http_status(r) != 200) {
			gh_api->log(gh_host, PULSE_LOG_WARN, "repo=%s releases status=%u "
				    "skipped", repo->full, gh_api->http_status(r));
			break;
		}
		arr = kt_page_json(gh_api, r);
		for (i = 0; arr && json_object_is_type(arr, json_type_array) &&
		     i < json_object_array_length(arr); i++) {
			struct json_object *e = json_object_array_get_idx(arr, i);
			int64_t id = pj_int(e, "id", 0);

			if (id > max_id)
				max_id = id;
			if (incremental && id <= known)
				stop = 1;
			if (g->since > 0 && kt_time_parse_s(pj_str(e, "created_at")) >= 0 &&
			    kt_time_parse_s(pj_str(e, "created_at")) < g->since)
				stop = 1;
		}
		json_object_put(arr);
		next = stop ? NULL : gh_next_url(r);
		rc = kt_page_store(&g->pages, GH_RAW_RELEASES, "GET", it.url, ctx, r,
				   key, next ? next : "");
		gh_api->http_release(r);
		r = NULL;
		kt_links_step(&it, next);
		if (rc != PULSE_OK)
			goto out;
	}
	{
		char idbuf[32];

		snprintf(idbuf, sizeof(idbuf), "%lld", (long long)max_id);
		if ((rc = gh_state_put(g, "rel_known:", repo->id, idbuf)) != PULSE_OK ||
		    (rc = gh_state_put(g, "rel_mode:", repo->id, "1")) != PULSE_OK ||
		    (rc = gh_state_put(g, "rel_next:", repo->id, "")) != PULSE_OK)
			goto out;
	}
out:
	gh_api->http_release(r);
	kt_links_free(&it);
	free(ctx);
	gh_api->free(known_s);
	gh_api->free(next_s);
	gh_api->free(mode_s);
	return rc;
}
