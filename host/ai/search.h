/*
 * search: semantic search over what a tenant synced. The query text is
 * embedded by the tenant's "search" route with the model pinned for its
 * vectors, and the tenant's vector store is asked for the nearest points.
 * The tenant condition is added here, never taken from the caller.
 */
#ifndef PULSE_AI_SEARCH_H
#define PULSE_AI_SEARCH_H

#include <stddef.h>
#include <stdint.h>

struct ai_ctx;
struct json_object;

struct ai_search_opts {
	const char *const *tables; /* entity tables to search, NULL: all */
	size_t n_tables;
	int64_t integration_id;    /* 0: all of the tenant's */
	const char *since;         /* ISO-8601 lower bound on updated_at, or NULL */
	uint32_t limit;            /* 0: 10 */
	float min_score;           /* hits below are dropped; 0: keep all */
};

struct ai_hit {
	char *table;        /* owned: "prs", "work_items", ... */
	char *external_id;  /* owned: as people know it: owner/repo#123, KEY-1 */
	char *title;        /* owned: title or snippet */
	char *url;          /* owned, may be NULL */
	int64_t integration_id;
	float score;        /* cosine similarity, higher is closer */
};

/*
 * Search tenant's vectors for query. *hits (owned by the caller, free with
 * ai_hits_free) receives *n hits, best first. 0, or -1 with err.
 */
int ai_search(struct ai_ctx *ctx, int64_t tenant, const char *query,
	      const struct ai_search_opts *opts, struct ai_hit **hits,
	      size_t *n, char *err, size_t errlen);
void ai_hits_free(struct ai_hit *hits, size_t n);

/*
 * {"query", "hits": [{table, external_id, title, url, integration_id,
 * score}]}: a new object owned by the caller (json_object_put).
 */
struct json_object *ai_hits_json(const char *query, const struct ai_hit *h,
				 size_t n);

#endif
