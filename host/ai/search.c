/*
 * search: ai_search (search.h). The query is embedded by the tenant's
 * "search" route, whose model the router pins to the one that built the
 * vectors; the store is opened for the tenant given here, so the tenant
 * condition never comes from the caller's options.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ai/route.h"
#include "ai/search.h"
#include "ai/vectorize.h"
#include "ai/vstore.h"

#define SEARCH_MAX_LIMIT 200

/* Refuse table names that have no vectors, saying which ones do: a
 * crafted name is an error, never passed on. */
static int search_check_tables(const struct ai_search_opts *o, char *err,
			       size_t errlen)
{
	size_t i;

	for (i = 0; o && o->tables && i < o->n_tables; i++) {
		if (!o->tables[i] || !vz_text_sql(o->tables[i])) {
			snprintf(err, errlen, "search: '%s' is not a searchable "
				 "table; use work_items, changelogs, prs, "
				 "prs_reviews, prs_comments, prs_commits, "
				 "repositories, projects, wits, statuses, "
				 "workflows, sprints or wits_prs_links",
				 o->tables[i] ? o->tables[i] : "(null)");
			return -1;
		}
	}
	return 0;
}

int ai_search(struct ai_ctx *ctx, int64_t tenant, const char *query,
	      const struct ai_search_opts *opts, struct ai_hit **hits,
	      size_t *n, char *err, size_t errlen)
{
	struct ai_embedder *e = NULL;
	struct vstore *vs = NULL;
	struct vstore_hit *vh = NULL;
	struct vstore_filter f = {0};
	struct ai_hit *out = NULL;
	char collection[160];
	const char *texts[1];
	float *vec = NULL;
	uint32_t dim, limit;
	size_t nh = 0, i;
	int rc = -1;

	*hits = NULL;
	*n = 0;
	if (!query || !*query) {
		snprintf(err, errlen, "search: the query text is empty; say "
			 "what to look for, e.g. \"flaky login test\"");
		return -1;
	}
	if (search_check_tables(opts, err, errlen) < 0)
		return -1;
	limit = opts && opts->limit ? opts->limit : 10;
	if (limit > SEARCH_MAX_LIMIT)
		limit = SEARCH_MAX_LIMIT;
	if (ai_embedder_open(ctx, tenant, AI_CTX_SEARCH, &e, err, errlen) < 0)
		return -1;
	dim = ai_embedder_dim(e);
	vstore_collection(ai_embedder_model(e), dim, collection,
			  sizeof(collection));
	vec = malloc(dim * sizeof(float));
	if (!vec) {
		snprintf(err, errlen, "search: out of memory");
		goto out;
	}
	texts[0] = query;
	if (ai_embed(e, texts, 1, vec, NULL, err, errlen) < 0)
		goto out;
	if (opts) {
		f.tables = opts->tables;
		f.n_tables = opts->n_tables;
		f.integration_id = opts->integration_id;
		f.since = opts->since;
	}
	if (vstore_open_tenant(ctx, tenant, &vs, err, errlen) < 0 ||
	    vstore_query(vs, collection, vec, dim, limit, &f,
			 opts && opts->min_score > 0 ? opts->min_score : -2.0f,
			 &vh, &nh, err, errlen) < 0)
		goto out;
	out = calloc(nh ? nh : 1, sizeof(*out));
	if (!out) {
		snprintf(err, errlen, "search: out of memory");
		goto out;
	}
	for (i = 0; i < nh; i++) {
		/* hand the strings over */
		out[i].table = vh[i].table;
		out[i].external_id = vh[i].display_id;
		out[i].title = vh[i].title;
		out[i].url = vh[i].url;
		out[i].integration_id = vh[i].integration_id;
		out[i].score = vh[i].score;
		vh[i].table = vh[i].display_id = vh[i].title = vh[i].url = NULL;
	}
	*hits = out;
	*n = nh;
	rc = 0;
out:
	vstore_hits_free(vh, nh);
	vstore_close(vs);
	ai_embedder_close(e);
	free(vec);
	return rc;
}

void ai_hits_free(struct ai_hit *hits, size_t n)
{
	size_t i;

	for (i = 0; hits && i < n; i++) {
		free(hits[i].table);
		free(hits[i].external_id);
		free(hits[i].title);
		free(hits[i].url);
	}
	free(hits);
}
