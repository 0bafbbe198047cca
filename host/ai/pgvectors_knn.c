/*
 * pgvectors_knn: exact cosine k-NN over one tenant's vectors of one
 * collection, held in memory as a row-major matrix of unit vectors plus
 * its int8 copy (pgvectors_q8.c). A query scans the int8 copy, which
 * bounds every row's score; only the rows whose upper bound reaches the
 * k-th best lower bound get their exact float32 score (BLAS sdot), so the
 * answer is the exact one while the scan streams a quarter of the bytes.
 * A cached set is keyed by (tenant, collection) and tagged with the
 * collection's generation; every query reads the current generation (one
 * indexed row, one round trip) and, when it moved, reads the rows changed
 * since (pgvectors_load.c), so a write anywhere is seen by the next query.
 *
 * The set is loaded inside a tenant transaction: row-level security, not
 * this code, decides which rows it holds.
 */
#include "config.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "ai/pgvectors_q8.h"
#include "ai/pgvectors_set.h"
#include "ai/vstore.h"
#include "ai/vstore_int.h"
#include "base/strbuf.h"
#include "db/db.h"

#define PGV_CACHE_SETS 8 /* (tenant, collection) sets kept; LRU beyond */
/* and at most this many bytes, LRU beyond (a set of 100k x 384 takes
 * about 220 MB); the set a query just loaded always stays */
#define PGV_CACHE_BYTES ((size_t)1 << 30)


static pthread_mutex_t pgv_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pgv_set *pgv_cache[PGV_CACHE_SETS];
static uint64_t pgv_tick, pgv_loads, pgv_partial, pgv_hits;
static size_t pgv_bytes; /* of the sets in pgv_cache */

/* Drop a reference (under pgv_lock). */
static void pgv_release_locked(struct pgv_set *s)
{
	if (--s->refs == 0 && s->evicted)
		pgv_set_free(s);
}

/* Take slot i out of the cache (under pgv_lock). */
static void pgv_evict_locked(int i)
{
	pgv_bytes -= pgv_cache[i]->bytes;
	pgv_cache[i]->evicted = 1;
	pgv_release_locked(pgv_cache[i]);
	pgv_cache[i] = NULL;
}

void pgv_knn_flush(void)
{
	int i;

	pthread_mutex_lock(&pgv_lock);
	for (i = 0; i < PGV_CACHE_SETS; i++)
		if (pgv_cache[i])
			pgv_evict_locked(i);
	pthread_mutex_unlock(&pgv_lock);
}

size_t pgv_knn_cached_bytes(void)
{
	size_t b;

	pthread_mutex_lock(&pgv_lock);
	b = pgv_bytes;
	pthread_mutex_unlock(&pgv_lock);
	return b;
}

void pgv_knn_stats(uint64_t *loads, uint64_t *hits)
{
	pthread_mutex_lock(&pgv_lock);
	*loads = pgv_loads;
	*hits = pgv_hits;
	pthread_mutex_unlock(&pgv_lock);
}

uint64_t pgv_knn_partial_loads(void)
{
	uint64_t n;

	pthread_mutex_lock(&pgv_lock);
	n = pgv_partial;
	pthread_mutex_unlock(&pgv_lock);
	return n;
}

/* The cached set of (tenant, collection), referenced, or NULL: the one
 * at generation gen, else (when older is given) one at an older
 * generation into *older, for a load of the changes since. */
static struct pgv_set *pgv_lookup(int64_t tenant, const char *collection,
				  int64_t gen, struct pgv_set **older)
{
	struct pgv_set *s = NULL;
	int i;

	if (older)
		*older = NULL;
	pthread_mutex_lock(&pgv_lock);
	for (i = 0; i < PGV_CACHE_SETS; i++) {
		struct pgv_set *c = pgv_cache[i];

		if (!c || c->tenant != tenant ||
		    strcmp(c->collection, collection) != 0)
			continue;
		if (c->generation == gen) {
			c->refs++;
			c->used = ++pgv_tick;
			pgv_hits++;
			s = c;
		} else if (older && c->generation < gen) {
			c->refs++;
			*older = c;
		}
		break;
	}
	pthread_mutex_unlock(&pgv_lock);
	return s;
}

/* Put s (referenced by the caller) in the cache, replacing an older set
 * of the same key or the least recently used one; partial: s was loaded
 * as the changes since an older set. */
static void pgv_insert(struct pgv_set *s, int partial)
{
	int i, slot = -1;

	pthread_mutex_lock(&pgv_lock);
	pgv_loads++;
	if (partial)
		pgv_partial++;
	for (i = 0; i < PGV_CACHE_SETS; i++) {
		struct pgv_set *c = pgv_cache[i];

		if (c && c->tenant == s->tenant &&
		    strcmp(c->collection, s->collection) == 0) {
			slot = i;
			break;
		}
		if (!c && slot < 0)
			slot = i;
	}
	if (slot < 0) {
		slot = 0;
		for (i = 1; i < PGV_CACHE_SETS; i++)
			if (pgv_cache[i]->used < pgv_cache[slot]->used)
				slot = i;
	}
	if (pgv_cache[slot])
		pgv_evict_locked(slot);
	s->refs++; /* the cache's own reference */
	s->used = ++pgv_tick;
	pgv_cache[slot] = s;
	pgv_bytes += s->bytes;
	/* over budget: drop the least recently used others */
	while (pgv_bytes > PGV_CACHE_BYTES) {
		int lru = -1;

		for (i = 0; i < PGV_CACHE_SETS; i++)
			if (pgv_cache[i] && pgv_cache[i] != s &&
			    (lru < 0 || pgv_cache[i]->used < pgv_cache[lru]->used))
				lru = i;
		if (lru < 0)
			break;
		pgv_evict_locked(lru);
	}
	pthread_mutex_unlock(&pgv_lock);
}

static void pgv_release(struct pgv_set *s)
{
	pthread_mutex_lock(&pgv_lock);
	pgv_release_locked(s);
	pthread_mutex_unlock(&pgv_lock);
}

/* Does row i of s pass f? */
static int pgv_keep(const struct pgv_set *s, size_t i,
		    const struct vstore_filter *f, double since)
{
	size_t t;

	if (!f)
		return 1;
	if (f->integration_id > 0 && s->integration[i] != f->integration_id)
		return 0;
	if (f->since && s->updated[i] < since)
		return 0;
	if (f->tables && f->n_tables) {
		for (t = 0; t < f->n_tables; t++)
			if (strcmp(s->table[i], f->tables[t]) == 0)
				return 1;
		return 0;
	}
	return 1;
}

/* The generation, dim and tombstone horizon of (tenant, collection), in
 * the open tenant transaction that loads the set. *gen 0: no such
 * collection. */
static int pgv_state_tx(PGconn *db, int64_t tenant, const char *collection,
			int64_t *gen, uint32_t *dim, int64_t *tomb_from,
			char *err, size_t errlen)
{
	const char *p[2];
	char t[24];
	PGresult *r;

	p[0] = db_i64(t, tenant);
	p[1] = collection;
	r = db_query(db, err, errlen,
		     "SELECT generation, dim, tombstones_from"
		     " FROM pgvectors_generation"
		     " WHERE tenant_id = $1::bigint AND collection = $2", 2, p);
	if (!r)
		return -1;
	*gen = PQntuples(r) ? db_int64(r, 0, 0) : 0;
	*dim = PQntuples(r) ? (uint32_t)db_int64(r, 0, 1) : 0;
	*tomb_from = PQntuples(r) ? db_int64(r, 0, 2) : 0;
	PQclear(r);
	return 0;
}

/* The generation and dim of (tenant, collection) and, for since_txt, its
 * epoch, in one round trip: the tenant transaction, the read and its end
 * travel as one simple-protocol message (a cache hit needs nothing else
 * from the database). Literals are escaped by libpq; the tenant is an
 * integer we format. *gen 0: no such collection. 0 or -1. */
static int pgv_state(PGconn *db, int64_t tenant, const char *collection,
		     const char *since_txt, int64_t *gen, uint32_t *dim,
		     double *since, char *err, size_t errlen)
{
	struct strbuf sql = STRBUF_INIT;
	char *lc = NULL, *ls = NULL;
	PGresult *r, *row = NULL;
	int rc = -1, failed = 0;

	if (tenant <= 0) {
		snprintf(err, errlen, "internal error: tenant id %lld is not valid",
			 (long long)tenant);
		return -1;
	}
	lc = PQescapeLiteral(db, collection, strlen(collection));
	if (since_txt)
		ls = PQescapeLiteral(db, since_txt, strlen(since_txt));
	if (!lc || (since_txt && !ls)) {
		snprintf(err, errlen, "pgvectors: %s", PQerrorMessage(db));
		goto out;
	}
	sb_addf(&sql, "BEGIN; SET LOCAL app.tenant_id = '%lld';"
		" SELECT g.generation, g.dim, extract(epoch FROM %s::timestamptz)"
		" FROM (SELECT 1) one LEFT JOIN pgvectors_generation g"
		" ON g.tenant_id = %lld AND g.collection = %s; COMMIT",
		(long long)tenant, ls ? ls : "NULL", (long long)tenant, lc);
	if (!sql.buf) {
		snprintf(err, errlen, "pgvectors: out of memory");
		goto out;
	}
	if (!PQsendQuery(db, sql.buf)) {
		snprintf(err, errlen, "pgvectors: %s", PQerrorMessage(db));
		goto out;
	}
	/* read every result, keeping the row and the first error */
	while ((r = PQgetResult(db))) {
		ExecStatusType st = PQresultStatus(r);

		if (st == PGRES_TUPLES_OK && !row) {
			row = r;
			continue;
		}
		if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK && !failed) {
			failed = 1;
			if (since_txt && strstr(PQresultErrorMessage(r), "timestamp"))
				snprintf(err, errlen, "search: '%s' is not a date; "
					 "give YYYY-MM-DD or an ISO-8601 time",
					 since_txt);
			else
				snprintf(err, errlen, "pgvectors: reading the "
					 "generation of %s failed: %s", collection,
					 PQresultErrorMessage(r));
		}
		PQclear(r);
	}
	if (failed || !row || PQntuples(row) != 1) {
		if (!failed)
			snprintf(err, errlen, "pgvectors: reading the generation "
				 "of %s gave no row", collection);
		goto out;
	}
	*gen = PQgetisnull(row, 0, 0) ? 0 : db_int64(row, 0, 0);
	*dim = PQgetisnull(row, 0, 1) ? 0 : (uint32_t)db_int64(row, 0, 1);
	*since = PQgetisnull(row, 0, 2) ? 0 : strtod(PQgetvalue(row, 0, 2), NULL);
	rc = 0;
out:
	db_rollback(db); /* only if an error left the transaction open */
	PQclear(row);
	PQfreemem(lc);
	PQfreemem(ls);
	sb_free(&sql);
	return rc;
}

/* The cached set of (tenant, collection) at generation gen, loaded if
 * needed (only the changes, when an older copy is cached and the
 * tombstones since it are kept); referenced, the caller releases it.
 * 0 or -1. */
static int pgv_get(PGconn *db, int64_t tenant, const char *collection,
		   int64_t gen, uint32_t dim, struct pgv_set **out, char *err,
		   size_t errlen)
{
	struct pgv_set *older = NULL;
	int64_t tomb_from;
	uint32_t have;
	int rc = -1;

	*out = pgv_lookup(tenant, collection, gen, &older);
	if (*out)
		return 0;
	if (db_tenant_begin(db, tenant, err, errlen) < 0) {
		if (older)
			pgv_release(older);
		return -1;
	}
	/* the set is tagged with the generation read in its own
	 * transaction: a write since the first read only makes the
	 * next query load again */
	if (pgv_state_tx(db, tenant, collection, &gen, &have, &tomb_from, err,
			 errlen) < 0)
		goto out;
	if (have != dim) {
		snprintf(err, errlen, "pgvectors: collection %s holds %u-dim "
			 "vectors, the query has %u", collection, have, dim);
		goto out;
	}
	if (older && (older->generation < tomb_from || older->dim != dim ||
		      older->generation > gen)) {
		pgv_release(older); /* too old for the tombstones: load whole */
		older = NULL;
	}
	if (pgv_set_load(db, tenant, collection, gen, dim, older, out, err,
			 errlen) < 0)
		goto out;
	pgv_insert(*out, older != NULL);
	rc = 0;
out:
	db_rollback(db); /* read-only */
	if (older)
		pgv_release(older);
	return rc;
}

struct pgv_top {
	size_t idx;
	float score;
};

/* Best first; equal scores by row order (the rows are loaded ORDER BY
 * id), so ties resolve the same way on every query. */
static int pgv_top_cmp(const void *a, const void *b)
{
	const struct pgv_top *x = a, *y = b;

	if (x->score != y->score)
		return x->score < y->score ? 1 : -1;
	return (x->idx > y->idx) - (x->idx < y->idx);
}

/* Min-heap of the k largest lower bounds seen (heap[0] the smallest). */
static void pgv_heap_push(float *heap, size_t *m, uint32_t k, float v)
{
	size_t i, c;

	if (*m < k) {
		i = (*m)++;
		while (i > 0 && heap[(i - 1) / 2] > v) {
			heap[i] = heap[(i - 1) / 2];
			i = (i - 1) / 2;
		}
		heap[i] = v;
		return;
	}
	if (v <= heap[0])
		return;
	i = 0; /* replace the root and sift down */
	for (;;) {
		c = 2 * i + 1;
		if (c >= k)
			break;
		if (c + 1 < k && heap[c + 1] < heap[c])
			c++;
		if (heap[c] >= v)
			break;
		heap[i] = heap[c];
		i = c;
	}
	heap[i] = v;
}

/* The exact top k of s for the unit query q: rows passing f with a
 * score >= min_score, best first, into top (k entries); *m found.
 * 0 or -1 (out of memory). */
static int pgv_select(const struct pgv_set *s, const float *q, uint32_t k,
		      const struct vstore_filter *f, double since,
		      float min_score, struct pgv_top *top, size_t *m)
{
	struct pgv_q8_query qq;
	float *approx = NULL, *heap = NULL, tau = -INFINITY;
	struct pgv_top *cand = NULL;
	size_t i, nh = 0, nc = 0, cap = 0;
	int rc = -1;

	*m = 0;
	if (s->n == 0)
		return 0;
	if (pgv_q8_query_init(&qq, &s->q8, q) < 0)
		return -1;
	approx = malloc(s->n * sizeof(float));
	heap = malloc(k * sizeof(float));
	if (!approx || !heap)
		goto out;
	pgv_q8_scan(&s->q8, &qq, approx);
	/* tau: the k-th largest lower bound among rows surely in the
	 * answer (passing f, lower bound >= min_score); the exact k-th
	 * score is >= tau, so rows whose upper bound is below tau can go */
	for (i = 0; i < s->n; i++) {
		float lo = approx[i] - pgv_q8_bound(&s->q8, &qq, i);

		if (lo < min_score || (nh == k && lo <= heap[0]))
			continue;
		if (!pgv_keep(s, i, f, since))
			continue;
		pgv_heap_push(heap, &nh, k, lo);
	}
	if (nh == k)
		tau = heap[0];
	for (i = 0; i < s->n; i++) {
		float hi = approx[i] + pgv_q8_bound(&s->q8, &qq, i);

		if (hi < tau || hi < min_score || !pgv_keep(s, i, f, since))
			continue;
		if (nc == cap) {
			struct pgv_top *c;

			cap = cap ? 2 * cap : 64;
			c = realloc(cand, cap * sizeof(*cand));
			if (!c)
				goto out;
			cand = c;
		}
		/* the exact score, as the plain scan would give it */
		cand[nc].idx = i;
		cand[nc].score = cblas_sdot((blasint)s->dim, s->mat + i * s->dim,
					    1, q, 1);
		if (cand[nc].score >= min_score)
			nc++;
	}
	if (nc)
		qsort(cand, nc, sizeof(*cand), pgv_top_cmp);
	*m = nc < k ? nc : k;
	if (*m)
		memcpy(top, cand, *m * sizeof(*top));
	rc = 0;
out:
	pgv_q8_query_free(&qq);
	free(approx);
	free(heap);
	free(cand);
	return rc;
}

static int pgv_hits_fill(const struct pgv_set *s, const struct pgv_top *top,
			 size_t m, struct vstore_hit **hits, size_t *n)
{
	struct vstore_hit *h;
	size_t i;

	h = calloc(m ? m : 1, sizeof(*h));
	if (!h)
		return -1;
	for (i = 0; i < m; i++) {
		size_t x = top[i].idx;

		h[i].point_id = strdup(s->point_id[x]);
		h[i].table = strdup(s->table[x]);
		h[i].display_id = strdup(s->display[x]);
		h[i].title = strdup(s->title[x]);
		h[i].url = s->url[x][0] ? strdup(s->url[x]) : NULL;
		h[i].integration_id = s->integration[x];
		h[i].score = top[i].score;
		if (!h[i].point_id || !h[i].table || !h[i].display_id ||
		    !h[i].title || (s->url[x][0] && !h[i].url)) {
			vstore_hits_free(h, i + 1);
			return -1;
		}
	}
	*hits = h;
	*n = m;
	return 0;
}

int pgv_knn_query(PGconn *db, int64_t tenant, const char *collection,
		  const float *vec, uint32_t dim, uint32_t k,
		  const struct vstore_filter *f, float min_score,
		  struct vstore_hit **hits, size_t *n, char *err,
		  size_t errlen)
{
	struct pgv_set *s = NULL;
	struct pgv_top *top = NULL;
	float *q = NULL, norm;
	int64_t gen;
	uint32_t have;
	double since;
	size_t m = 0;
	int rc = -1;

	if (pgv_state(db, tenant, collection, f ? f->since : NULL, &gen, &have,
		      &since, err, errlen) < 0)
		goto out;
	if (gen == 0 || k == 0) { /* nothing vectorized with this model yet */
		*hits = calloc(1, sizeof(**hits));
		*n = 0;
		rc = *hits ? 0 : -1;
		goto out;
	}
	if (have != dim) {
		snprintf(err, errlen, "pgvectors: collection %s holds %u-dim "
			 "vectors, the query has %u", collection, have, dim);
		goto out;
	}
	if (pgv_get(db, tenant, collection, gen, dim, &s, err, errlen) < 0)
		goto out;
	q = malloc(dim * sizeof(float));
	top = malloc(k * sizeof(*top));
	if (!q || !top) {
		snprintf(err, errlen, "pgvectors: out of memory");
		goto out;
	}
	memcpy(q, vec, dim * sizeof(float));
	norm = cblas_snrm2((blasint)dim, q, 1);
	if (norm > 0)
		cblas_sscal((blasint)dim, 1.0f / norm, q, 1);
	if (pgv_select(s, q, k, f, since, min_score, top, &m) < 0 ||
	    pgv_hits_fill(s, top, m, hits, n) < 0) {
		snprintf(err, errlen, "pgvectors: out of memory");
		goto out;
	}
	rc = 0;
out:
	if (s)
		pgv_release(s);
	free(q);
	free(top);
	return rc;
}
