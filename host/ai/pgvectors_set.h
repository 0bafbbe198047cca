/*
 * pgvectors_set: one tenant's vectors of one collection as held in memory
 * by the k-NN cache (pgvectors_knn.c), and their loading from the
 * pgvectors table (pgvectors_load.c): whole, or as the rows changed since
 * an older copy (102_pgvectors_changes.sql).
 */
#ifndef PULSE_AI_PGVECTORS_SET_H
#define PULSE_AI_PGVECTORS_SET_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "ai/pgvectors_q8.h"

struct pgv_set {
	int64_t tenant;
	char collection[160];
	int64_t generation;
	uint32_t dim;
	size_t n;
	int64_t *id;           /* n, ascending: the table's row order */
	float *mat;            /* n * dim unit vectors */
	int64_t *integration;  /* n */
	double *updated;       /* n, epoch seconds */
	char **point_id, **table, **display, **title, **url; /* n each */
	struct pgv_q8 q8;      /* the int8 copy of mat */
	size_t bytes;          /* heap held, for the cache budget */
	unsigned refs;         /* queries using it + 1 while cached; freed at 0 once evicted */
	int evicted;
	uint64_t used;         /* LRU tick */
};

/* Load the tenant's points of collection at generation gen, inside the
 * caller's open tenant transaction that read gen. With base (a copy of
 * the same tenant and collection at an older generation, which
 * 102_pgvectors_changes.sql still has the tombstones for), only the rows
 * written and deleted since base are read; base is not changed. *out gets
 * a new set with one reference; the caller owns it. 0 or -1. */
int pgv_set_load(PGconn *db, int64_t tenant, const char *collection,
		 int64_t gen, uint32_t dim, const struct pgv_set *base,
		 struct pgv_set **out, char *err, size_t errlen);
/* Free s and everything it holds; NULL is fine. */
void pgv_set_free(struct pgv_set *s);

#endif
