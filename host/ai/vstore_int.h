/* vstore_int: what a vstore backend implements (vstore.c dispatches). */
#ifndef PULSE_AI_VSTORE_INT_H
#define PULSE_AI_VSTORE_INT_H

#include "ai/vstore.h"

struct vstore_ops {
	const char *name;
	int (*ensure)(struct vstore *s, const char *collection, uint32_t dim,
		      char *err, size_t errlen);
	int (*upsert)(struct vstore *s, const char *collection, uint32_t dim,
		      const struct vstore_point *pts, size_t n, char *err,
		      size_t errlen);
	/* ids (n > 0) or else every point of integration_id */
	int (*remove)(struct vstore *s, const char *collection,
		      const char *const *ids, size_t n, int64_t integration_id,
		      char *err, size_t errlen);
	int (*query)(struct vstore *s, const char *collection, const float *vec,
		     uint32_t dim, uint32_t k, const struct vstore_filter *f,
		     float min_score, struct vstore_hit **hits, size_t *n,
		     char *err, size_t errlen);
	/* NULL: the store cannot read points back (a 1.1-1.3 plugin) */
	int (*scroll)(struct vstore *s, const char *collection,
		      const char *offset, uint32_t limit, int with_vectors,
		      struct vstore_page *pg, char *err, size_t errlen);
	void (*close)(struct vstore *s);
};

struct vstore {
	const struct vstore_ops *ops;
	int64_t tenant;  /* every call is scoped to it */
	PGconn *db;      /* borrowed */
	void *impl;
};

/* pgvectors_scroll.c: keyset pages by point id. */
int pgv_scroll(struct vstore *s, const char *collection, const char *offset,
	       uint32_t limit, int with_vectors, struct vstore_page *pg,
	       char *err, size_t errlen);

/* pgvectors_knn.c: the in-memory exact k-NN over a tenant's vectors. */
int pgv_knn_query(PGconn *db, int64_t tenant, const char *collection,
		  const float *vec, uint32_t dim, uint32_t k,
		  const struct vstore_filter *f, float min_score,
		  struct vstore_hit **hits, size_t *n, char *err,
		  size_t errlen);
/* Drop every cached set (tests, and memory pressure). */
void pgv_knn_flush(void);
/* Cache statistics since start: loads and hits (tests). */
void pgv_knn_stats(uint64_t *loads, uint64_t *hits);
/* Of those loads, the ones that read only the changes since an older
 * cached copy (tests). */
uint64_t pgv_knn_partial_loads(void);
/* Bytes held by the cached sets (tests, benchmarks). */
size_t pgv_knn_cached_bytes(void);

#endif
