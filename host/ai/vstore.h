/*
 * vstore: the host-side door to a tenant's vector store, whichever it is
 * (the embedded pgvectors, or a vector-store plugin such as qdrant).
 *
 * Every query and delete is scoped to the tenant the store was opened
 * for: the condition is added here, from the tenant id, never taken from
 * the caller or left to a plugin. Points carry their payload fields as
 * separate values so that no caller builds the tenant field itself.
 */
#ifndef PULSE_AI_VSTORE_H
#define PULSE_AI_VSTORE_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#define VSTORE_ID_LEN 37 /* a hyphenated UUID and its NUL */

/* One point to write. All borrowed for the call. */
struct vstore_point {
	const char *point_id;    /* vstore_point_id() */
	const float *vec;        /* dim floats */
	int64_t integration_id;
	const char *table;       /* the warehouse table: "prs", ... */
	const char *external_id; /* the row's external_id */
	const char *display_id;  /* as people know it: owner/repo#12, KEY-1 */
	const char *title;       /* title or snippet, may be NULL */
	const char *url;         /* may be NULL */
	const char *updated_at;  /* ISO-8601, may be NULL */
	const char *text_hash;   /* may be NULL */
};

/* What a query keeps, besides the tenant (always). */
struct vstore_filter {
	const char *const *tables; /* NULL: any table */
	size_t n_tables;
	int64_t integration_id;    /* 0: any */
	const char *since;         /* ISO-8601 lower bound on updated_at */
};

/* One result; strings owned (vstore_hits_free). */
struct vstore_hit {
	char *point_id;
	char *table, *display_id, *title, *url;
	int64_t integration_id;
	float score;               /* cosine similarity */
};

struct vstore;

/*
 * The embedded store of tenant on db (borrowed; used only inside calls,
 * each in its own tenant transaction). *out owned by the caller
 * (vstore_close). 0 or -1 (err).
 */
int vstore_open_pg(PGconn *db, int64_t tenant, struct vstore **out,
		   char *err, size_t errlen);
void vstore_close(struct vstore *s);

struct ai_ctx;
struct ai_env_ref;
/*
 * The tenant's store (docs/vectors.md, "Which store"): its vector-store
 * integration (the lowest-id enabled AI/Embedding integration whose
 * plugin is a vector store, e.g. qdrant), else the embedded pgvectors.
 * A vector-store integration whose plugin is not loaded is an error, not
 * a silent switch to pgvectors. *out owned by the caller. 0 or -1 (err).
 */
int vstore_open_tenant(struct ai_ctx *ctx, int64_t tenant,
		       struct vstore **out, char *err, size_t errlen);
/* A vector-store plugin's store for integration_id of tenant. */
int vstore_open_plugin(const struct ai_env_ref *env, int64_t tenant,
		       int64_t integration_id, struct vstore **out, char *err,
		       size_t errlen);
/* The same for a disabled integration too: only `vectorize move`, which
 * fills the store before the tenant is switched to it (vmove.h). */
int vstore_open_move_target(const struct ai_env_ref *env, int64_t tenant,
			    int64_t integration_id, struct vstore **out,
			    char *err, size_t errlen);
/* Points of other tenants a plugin store returned and this host dropped
 * since open (0 for pgvectors). */
uint64_t vstore_dropped(const struct vstore *s);
/* "pgvectors" or the plugin's name. */
const char *vstore_name(const struct vstore *s);

/* "pulse_<model>_<dim>", the model lower-cased with anything outside
 * [a-z0-9] as '_' (one collection per model, never per tenant). */
void vstore_collection(const char *model, uint32_t dim, char *out,
		       size_t outlen);
/* UUIDv5 (hyphenated) of (tenant, table, external_id): a re-vectorized
 * row overwrites its point. out >= VSTORE_ID_LEN. */
void vstore_point_id(int64_t tenant, const char *table,
		     const char *external_id, char *out);
/* SHA-256 of text as 64 hex digits and a NUL into out (>= 65). */
void vstore_text_hash(const char *text, char *out);

/* Create collection if absent; an existing one must have dim. 0 or -1. */
int vstore_ensure(struct vstore *s, const char *collection, uint32_t dim,
		  char *err, size_t errlen);
/* Insert or replace n points of dim floats. 0 or -1. */
int vstore_upsert(struct vstore *s, const char *collection, uint32_t dim,
		  const struct vstore_point *pts, size_t n, char *err,
		  size_t errlen);
/* Remove points by id. 0 or -1. */
int vstore_remove_ids(struct vstore *s, const char *collection,
		      const char *const *ids, size_t n, char *err,
		      size_t errlen);
/* Remove every point of one integration. 0 or -1. */
int vstore_remove_integration(struct vstore *s, const char *collection,
			      int64_t integration_id, char *err,
			      size_t errlen);
/*
 * The k nearest points of the tenant to vec that pass f (NULL: all) and
 * score >= min_score. *hits (caller frees with vstore_hits_free) gets *n
 * hits, best first. 0 or -1.
 */
int vstore_query(struct vstore *s, const char *collection, const float *vec,
		 uint32_t dim, uint32_t k, const struct vstore_filter *f,
		 float min_score, struct vstore_hit **hits, size_t *n,
		 char *err, size_t errlen);
void vstore_hits_free(struct vstore_hit *hits, size_t n);

/*
 * A page of stored points read back by vstore_scroll (ABI 1.4 scroll for
 * a plugin store). Owned by the caller (vstore_page_free); pts[i] and
 * its strings point into the page. Only the store's tenant's points.
 */
struct vstore_page {
	struct vstore_point *pts;  /* n; vec NULL without vectors */
	size_t n;
	uint32_t dim;              /* 0 without vectors */
	char *next;                /* the next page's offset; NULL: last */
	/* backing storage */
	float *vecs;
	char **strs;
	size_t n_strs;
	void *res;                 /* pgvectors: the PGresult */
};

/* 1 if the store can read its points back: pgvectors always, a plugin
 * store when its plugin has the 1.4 scroll op. */
int vstore_can_scroll(const struct vstore *s);
/*
 * Up to limit points of the tenant in collection, in the store's id
 * order, from offset (NULL: the first page; else a previous pg->next).
 * with_vectors 0 reads ids and payload fields only. Every point of the
 * tenant is on exactly one page while nothing writes. 0 or -1 (err; a
 * store without scroll says so).
 */
int vstore_scroll(struct vstore *s, const char *collection,
		  const char *offset, uint32_t limit, int with_vectors,
		  struct vstore_page *pg, char *err, size_t errlen);
void vstore_page_free(struct vstore_page *pg);

#endif
