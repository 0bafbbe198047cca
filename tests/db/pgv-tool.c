/*
 * pgv-tool: drives the embedded vector store (host/ai/pgvectors*.c) for
 * tests/db/pgvectors.sh and tests/bench/vectors-bench.sh.
 *
 *   pgv-tool check URL TENANT_A INTEG_A TENANT_B INTEG_B
 *       exact results equal a brute-force reference (double precision):
 *       the same points in the same order, ties by storage order, a
 *       score floor, clustered vectors (many near the k-th score);
 *       filters, deletes, cache invalidation by writes, and tenant
 *       isolation (B's points never come back to A). Exit 0 = pass.
 *   pgv-tool bench URL TENANT INTEG N DIM QUERIES MATRIX_OUT
 *       store N random vectors (unless the tenant has N), time QUERIES top-10 queries, print
 *       "p50_ms p99_ms first_query_ms cache_mb after_write_ms" (the last:
 *       the first query after a write of 100 points), and write the vectors
 *       (N * DIM float32) then the queries (QUERIES * DIM) to MATRIX_OUT
 *       for the numpy baseline.
 *   pgv-tool membw N DIM
 *       this machine's streaming read bandwidth (best of 20 reads of an
 *       N * DIM float32 matrix, one thread) by the wall clock and by CPU
 *       time, and the floor of one scan of the float32 matrix and of its
 *       int8 copy at the CPU-time rate:
 *       "wall_gb_s cpu_gb_s float32_ms int8_ms 0|1".
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ai/vstore.h"
#include "ai/vstore_int.h"
#include "base/crypto.h"
#include "db/db.h"
#include "pgv-check.h"

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static float frand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (float)((rng >> 11) * (1.0 / 9007199254740992.0)) * 2.0f - 1.0f;
}

static void rand_vec(float *v, uint32_t dim)
{
	uint32_t i;

	for (i = 0; i < dim; i++)
		v[i] = frand();
}

static double cosine(const float *a, const float *b, uint32_t dim)
{
	double d = 0, na = 0, nb = 0;
	uint32_t i;

	for (i = 0; i < dim; i++) {
		d += (double)a[i] * b[i];
		na += (double)a[i] * a[i];
		nb += (double)b[i] * b[i];
	}
	return (na > 0 && nb > 0) ? d / sqrt(na * nb) : 0;
}

/* Store n points ext-<base+i> of table tbl for tenant; vectors in vecs. */
static int put(struct vstore *s, int64_t tenant, int64_t integ,
	       const char *coll, uint32_t dim, const float *vecs, size_t n,
	       size_t base, const char *tbl)
{
	struct vstore_point *pts = calloc(n, sizeof(*pts));
	char (*ids)[VSTORE_ID_LEN] = calloc(n, VSTORE_ID_LEN);
	char (*ext)[32] = calloc(n, 32);
	char err[512];
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		snprintf(ext[i], 32, "ext-%zu", base + i);
		vstore_point_id(tenant, tbl, ext[i], ids[i]);
		pts[i].point_id = ids[i];
		pts[i].vec = vecs + i * dim;
		pts[i].integration_id = integ;
		pts[i].table = tbl;
		pts[i].external_id = ext[i];
		pts[i].title = ext[i];
		pts[i].updated_at = "2026-01-01T00:00:00Z";
	}
	rc = vstore_upsert(s, coll, dim, pts, n, err, sizeof(err));
	if (rc < 0)
		fprintf(stderr, "upsert: %s\n", err);
	free(pts);
	free(ids);
	free(ext);
	return rc;
}

/* The brute-force top k of q over vecs (n rows): indices best first,
 * ties by index (storage order), scores >= floor; returns how many. */
static size_t brute(const float *vecs, size_t n, uint32_t dim, const float *q,
		    size_t k, double floor, size_t *idx, double *sc)
{
	size_t i, m = 0, x;

	for (i = 0; i < n; i++) {
		double c = cosine(vecs + i * dim, q, dim);

		if (c < floor || (m == k && c <= sc[k - 1]))
			continue;
		x = m < k ? m++ : k - 1;
		while (x > 0 && sc[x - 1] < c) {
			sc[x] = sc[x - 1];
			idx[x] = idx[x - 1];
			x--;
		}
		sc[x] = c;
		idx[x] = i;
	}
	return m;
}

/* Tenant-local checks on a collection of its own: clustered vectors
 * (many scores close to the k-th, where a pre-filter would show its
 * mistakes), exact duplicates (ties) and a score floor; every answer
 * is compared point by point with the brute-force one. */
static int check_exact(struct vstore *a, int64_t ta, int64_t ia)
{
	enum { DIM = 96, N = 3000, K = 20, NC = 15 };
	static float v[N * DIM], c[NC * DIM], q[DIM];
	struct vstore_hit *h = NULL;
	size_t n = 0, i, j, m, idx[K];
	double sc[K];
	char coll[96], err[512], want[32];
	uint32_t d;

	vstore_collection("exact", DIM, coll, sizeof(coll));
	CHECK(vstore_ensure(a, coll, DIM, err, sizeof(err)) == 0, "%s", err);
	for (i = 0; i < NC * DIM; i++)
		c[i] = frand();
	/* rows: a cluster centre plus small noise; every 10th row repeats
	 * the row before it exactly (a tie the order must break) */
	for (i = 0; i < N; i++)
		for (d = 0; d < DIM; d++)
			v[i * DIM + d] = i % 10 == 9 ? v[(i - 1) * DIM + d] :
				c[(i % NC) * DIM + d] + 0.05f * frand();
	if (put(a, ta, ia, coll, DIM, v, N, 0, "prs") < 0)
		return 1;
	for (j = 0; j < 30; j++) {
		/* a query near a centre, or a random one */
		for (d = 0; d < DIM; d++)
			q[d] = j % 3 ? c[(j % NC) * DIM + d] + 0.05f * frand() : frand();
		double floor = j % 5 == 4 ? 0.9 : -2;

		if (vstore_query(a, coll, q, DIM, K, NULL, (float)floor, &h, &n,
				 err, sizeof(err)) < 0) {
			fprintf(stderr, "query: %s\n", err);
			return 1;
		}
		m = brute(v, N, DIM, q, K, floor, idx, sc);
		CHECK(n == m, "exact query %zu: %zu hits, brute force %zu", j, n, m);
		for (i = 0; i < n && i < m; i++) {
			/* the same point unless the scores tie within float
			 * rounding (then either order is exact) */
			snprintf(want, sizeof(want), "ext-%zu", idx[i]);
			CHECK(fabs(h[i].score - sc[i]) < 1e-4 &&
			      (strcmp(h[i].display_id, want) == 0 ||
			       (i + 1 < m && fabs(sc[i] - sc[i + 1]) < 1e-6) ||
			       (i > 0 && fabs(sc[i] - sc[i - 1]) < 1e-6)),
			      "exact query %zu hit %zu: %s %f, brute force %s %f",
			      j, i, h[i].display_id, h[i].score, want, sc[i]);
		}
		/* exact duplicates score the same: the earlier stored row
		 * comes first */
		for (i = 0; i + 1 < n; i++) {
			size_t e0 = strtoul(h[i].display_id + 4, NULL, 10);
			size_t e1 = strtoul(h[i + 1].display_id + 4, NULL, 10);

			if (h[i].score == h[i + 1].score && e1 == e0 - 1)
				CHECK(0, "exact query %zu: tie %s before %s", j,
				      h[i].display_id, h[i + 1].display_id);
		}
		vstore_hits_free(h, n);
		h = NULL;
	}
	return 0;
}

/* Run sql in tenant t's transaction on db. 0 or -1. */
static int tenant_sql(PGconn *db, int64_t t, const char *sql)
{
	char err[512];
	PGresult *r;

	if (db_tenant_begin(db, t, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	r = PQexec(db, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK &&
	    PQresultStatus(r) != PGRES_TUPLES_OK) {
		fprintf(stderr, "%s: %s", sql, PQresultErrorMessage(r));
		PQclear(r);
		db_rollback(db);
		return -1;
	}
	PQclear(r);
	return db_commit(db, err, sizeof(err));
}

/* Queries over the reference rows (live[i] set, in storage order ord[])
 * equal the store's answers, point by point. */
static void check_ref(struct vstore *a, const char *coll, uint32_t dim,
		      const float *v, const size_t *ord, size_t n_ord,
		      const char *live, const char *what)
{
	enum { K = 10, NQ = 20, MAXN = 4000 };
	static float rows[MAXN * 64];
	size_t map[MAXN], m = 0, i, j, n = 0, k, idx[K];
	struct vstore_hit *h = NULL;
	double sc[K];
	float q[64];
	char err[512], want[32];

	for (i = 0; i < n_ord; i++)
		if (live[ord[i]]) {
			memcpy(rows + m * dim, v + ord[i] * dim, dim * sizeof(float));
			map[m++] = ord[i];
		}
	for (j = 0; j < NQ; j++) {
		rand_vec(q, dim);
		if (vstore_query(a, coll, q, dim, K, NULL, -2, &h, &n, err,
				 sizeof(err)) < 0) {
			CHECK(0, "%s: query: %s", what, err);
			return;
		}
		k = brute(rows, m, dim, q, K, -2, idx, sc);
		CHECK(n == k, "%s: query %zu: %zu hits, brute force %zu", what, j,
		      n, k);
		for (i = 0; i < n && i < k; i++) {
			snprintf(want, sizeof(want), "ext-%zu", map[idx[i]]);
			CHECK(fabs(h[i].score - sc[i]) < 1e-4 &&
			      (strcmp(h[i].display_id, want) == 0 ||
			       (i + 1 < k && fabs(sc[i] - sc[i + 1]) < 1e-6) ||
			       (i > 0 && fabs(sc[i] - sc[i - 1]) < 1e-6)),
			      "%s: query %zu hit %zu: %s %f, brute force %s %f",
			      what, j, i, h[i].display_id, h[i].score, want, sc[i]);
		}
		vstore_hits_free(h, n);
		h = NULL;
	}
}

/* After a write, a cached set reads only the changes (102): upserts of
 * new and existing points, deletes by id and an integration's deletion
 * cascading from SQL; the answers equal a brute force over the rows that
 * remain, and so do those of a whole load. A copy older than the
 * tombstone horizon is loaded whole. */
static int check_incremental(PGconn *db, struct vstore *a, int64_t ta,
			     int64_t ia)
{
	enum { DIM = 64, NB = 2000, NX = 20, NN = 100, NU = 100, ND = 50 };
	static float v[3100 * DIM], w[NU * DIM];
	static char live[3100];
	size_t ord[3100], n_ord = 0, i;
	uint64_t l0, h0, l1, h1, p0;
	char coll[96], err[512], sql[256], id[VSTORE_ID_LEN];
	const char *ids[ND];
	static char idbuf[ND][VSTORE_ID_LEN];
	PGresult *r;
	int64_t ic;

	vstore_collection("incr", DIM, coll, sizeof(coll));
	CHECK(vstore_ensure(a, coll, DIM, err, sizeof(err)) == 0, "%s", err);
	snprintf(sql, sizeof(sql), "INSERT INTO integrations (tenant_id, name,"
		 " type, plugin) VALUES (%lld, 'incr-x', 'Data', 'sandbox')",
		 (long long)ta);
	if (tenant_sql(db, ta, sql) < 0)
		return 1;
	if (db_tenant_begin(db, ta, err, sizeof(err)) < 0)
		return 1;
	r = PQexec(db, "SELECT id FROM integrations WHERE name = 'incr-x'");
	ic = PQntuples(r) == 1 ? atoll(PQgetvalue(r, 0, 0)) : 0;
	PQclear(r);
	db_rollback(db);
	CHECK(ic > 0, "the extra integration was not created");
	/* ext-0..1999 of A's integration, then ext-3000..3019 of the extra */
	for (i = 0; i < NB * DIM; i++)
		v[i] = frand();
	for (i = 3000 * DIM; i < (3000 + NX) * DIM; i++)
		v[i] = frand();
	if (put(a, ta, ia, coll, DIM, v, NB, 0, "prs") < 0 ||
	    put(a, ta, ic, coll, DIM, v + 3000 * DIM, NX, 3000, "prs") < 0)
		return 1;
	for (i = 0; i < NB; i++) {
		ord[n_ord++] = i;
		live[i] = 1;
	}
	for (i = 3000; i < 3000 + NX; i++) {
		ord[n_ord++] = i;
		live[i] = 1;
	}
	check_ref(a, coll, DIM, v, ord, n_ord, live, "whole load");
	/* the changes */
	for (i = NB * DIM; i < (NB + NN) * DIM; i++)
		v[i] = frand();
	if (put(a, ta, ia, coll, DIM, v + NB * DIM, NN, NB, "prs") < 0)
		return 1;
	for (i = NB; i < NB + NN; i++) {
		ord[n_ord++] = i;
		live[i] = 1;
	}
	for (i = 0; i < NU * DIM; i++)
		w[i] = frand();
	if (put(a, ta, ia, coll, DIM, w, NU, 100, "prs") < 0)
		return 1;
	memcpy(v + 100 * DIM, w, sizeof(w));
	for (i = 0; i < ND; i++) {
		snprintf(sql, sizeof(sql), "ext-%zu", 500 + i);
		vstore_point_id(ta, "prs", sql, idbuf[i]);
		ids[i] = idbuf[i];
		live[500 + i] = 0;
	}
	CHECK(vstore_remove_ids(a, coll, ids, ND, err, sizeof(err)) == 0, "%s",
	      err);
	snprintf(sql, sizeof(sql), "DELETE FROM integrations WHERE id = %lld",
		 (long long)ic);
	if (tenant_sql(db, ta, sql) < 0)
		return 1;
	for (i = 3000; i < 3000 + NX; i++)
		live[i] = 0;
	pgv_knn_stats(&l0, &h0);
	p0 = pgv_knn_partial_loads();
	check_ref(a, coll, DIM, v, ord, n_ord, live, "changes since the copy");
	pgv_knn_stats(&l1, &h1);
	CHECK(l1 == l0 + 1 && pgv_knn_partial_loads() == p0 + 1,
	      "the changes were not loaded alone (loads %llu->%llu, partial "
	      "%llu->%llu)", (unsigned long long)l0, (unsigned long long)l1,
	      (unsigned long long)p0,
	      (unsigned long long)pgv_knn_partial_loads());
	pgv_knn_flush();
	check_ref(a, coll, DIM, v, ord, n_ord, live, "whole load after changes");
	/* past the tombstone horizon: a whole load */
	vstore_point_id(ta, "prs", "ext-0", id);
	ids[0] = id;
	CHECK(vstore_remove_ids(a, coll, ids, 1, err, sizeof(err)) == 0, "%s",
	      err);
	live[0] = 0;
	snprintf(sql, sizeof(sql), "UPDATE pgvectors_generation SET"
		 " tombstones_from = generation WHERE tenant_id = %lld",
		 (long long)ta);
	if (tenant_sql(db, ta, sql) < 0)
		return 1;
	p0 = pgv_knn_partial_loads();
	check_ref(a, coll, DIM, v, ord, n_ord, live, "past the horizon");
	CHECK(pgv_knn_partial_loads() == p0,
	      "a copy older than the tombstone horizon was patched");
	return 0;
}

static int check(PGconn *db, int64_t ta, int64_t ia, int64_t tb, int64_t ib)
{
	enum { DIM = 64, NA = 500, NB = 300, K = 10 };
	static float va[NA * DIM], vb[NB * DIM], q[DIM];
	struct vstore *a = NULL, *b = NULL;
	struct vstore_hit *h = NULL;
	size_t n = 0, i, j, bad;
	char coll[96], err[512];
	uint64_t loads0, hits0, loads1, hits1;
	const char *tables[1] = {"work_items"};
	struct vstore_filter f = {0};
	char id0[VSTORE_ID_LEN];

	vstore_collection("Test-Model/v1", DIM, coll, sizeof(coll));
	CHECK(strcmp(coll, "pulse_test_model_v1_64") == 0, "collection %s", coll);
	if (vstore_open_pg(db, ta, &a, err, sizeof(err)) < 0 ||
	    vstore_open_pg(db, tb, &b, err, sizeof(err)) < 0) {
		fprintf(stderr, "open: %s\n", err);
		return 1;
	}
	CHECK(vstore_ensure(a, coll, DIM, err, sizeof(err)) == 0, "%s", err);
	CHECK(vstore_ensure(a, coll, DIM + 1, err, sizeof(err)) < 0 &&
	      strstr(err, "64-dim"), "a dim change is refused: %s", err);
	CHECK(vstore_ensure(b, coll, DIM, err, sizeof(err)) == 0, "%s", err);
	for (i = 0; i < NA * DIM; i++)
		va[i] = frand();
	/* B's vectors: copies of A's (overlapping texts), so any leak
	 * would score as high as A's own */
	for (i = 0; i < NB * DIM; i++)
		vb[i] = va[i];
	if (put(a, ta, ia, coll, DIM, va, NA / 2, 0, "prs") < 0 ||
	    put(a, ta, ia, coll, DIM, va + (NA / 2) * DIM, NA - NA / 2, NA / 2,
		"work_items") < 0 ||
	    put(b, tb, ib, coll, DIM, vb, NB, 0, "prs") < 0)
		return 1;

	/* exact: 20 random queries vs a brute-force reference */
	for (j = 0; j < 20; j++) {
		double ref[K];
		size_t m = 0, x;

		rand_vec(q, DIM);
		if (vstore_query(a, coll, q, DIM, K, NULL, -2, &h, &n, err,
				 sizeof(err)) < 0) {
			fprintf(stderr, "query: %s\n", err);
			return 1;
		}
		/* reference: the K best cosines over A's vectors */
		for (i = 0; i < NA; i++) {
			double c = cosine(va + i * DIM, q, DIM);

			if (m < K || c > ref[m - 1]) {
				x = m < K ? m++ : K - 1;
				while (x > 0 && ref[x - 1] < c) {
					ref[x] = ref[x - 1];
					x--;
				}
				ref[x] = c;
			}
		}
		CHECK(n == K, "query %zu: %zu hits", j, n);
		for (i = 0; i < n && i < K; i++)
			CHECK(fabs(h[i].score - ref[i]) < 1e-4,
			      "query %zu hit %zu: %f vs brute force %f", j, i,
			      h[i].score, ref[i]);
		vstore_hits_free(h, n);
		h = NULL;
	}

	/* isolation: A asks with B's exact vectors; only A's points back */
	for (j = 0; j < NB; j += 37) {
		if (vstore_query(a, coll, vb + j * DIM, DIM, 50, NULL, -2, &h,
				 &n, err, sizeof(err)) < 0)
			return 1;
		for (i = 0; i < n; i++) {
			char own[VSTORE_ID_LEN];
			size_t e = (size_t)strtoul(h[i].display_id + 4, NULL, 10);

			vstore_point_id(ta, h[i].table, h[i].display_id, own);
			CHECK(strcmp(own, h[i].point_id) == 0 && e < NA &&
			      h[i].integration_id == ia,
			      "A's query returned a point that is not A's: %s %s",
			      h[i].point_id, h[i].display_id);
		}
		vstore_hits_free(h, n);
		h = NULL;
	}

	/* filters: table and integration */
	f.tables = tables;
	f.n_tables = 1;
	rand_vec(q, DIM);
	CHECK(vstore_query(a, coll, q, DIM, 1000, &f, -2, &h, &n, err,
			   sizeof(err)) == 0, "%s", err);
	CHECK(n == NA - NA / 2, "table filter: %zu hits, want %d", n, NA - NA / 2);
	for (i = 0, bad = 0; i < n; i++)
		bad += strcmp(h[i].table, "work_items") != 0;
	CHECK(bad == 0, "table filter let %zu other rows through", bad);
	vstore_hits_free(h, n);
	f.tables = NULL;
	f.n_tables = 0;
	f.integration_id = ib; /* B's integration asked through A: nothing */
	CHECK(vstore_query(a, coll, q, DIM, 10, &f, -2, &h, &n, err,
			   sizeof(err)) == 0 && n == 0,
	      "B's integration id through A gave %zu hits", n);
	vstore_hits_free(h, n);

	/* cache: a second query is a hit; a write invalidates */
	pgv_knn_stats(&loads0, &hits0);
	CHECK(vstore_query(a, coll, q, DIM, 1, NULL, -2, &h, &n, err,
			   sizeof(err)) == 0, "%s", err);
	vstore_hits_free(h, n);
	pgv_knn_stats(&loads1, &hits1);
	CHECK(loads1 == loads0 && hits1 == hits0 + 1,
	      "no write: expected a cache hit (loads %llu->%llu hits %llu->%llu)",
	      (unsigned long long)loads0, (unsigned long long)loads1,
	      (unsigned long long)hits0, (unsigned long long)hits1);
	/* write q itself: the next query must find it with score 1 */
	if (put(a, ta, ia, coll, DIM, q, 1, 100000, "prs") < 0)
		return 1;
	CHECK(vstore_query(a, coll, q, DIM, 1, NULL, -2, &h, &n, err,
			   sizeof(err)) == 0 && n == 1, "%s", err);
	CHECK(n == 1 && strcmp(h[0].display_id, "ext-100000") == 0 &&
	      fabsf(h[0].score - 1.0f) < 1e-5,
	      "a fresh point is not seen after the write: %s %f",
	      n ? h[0].display_id : "-", n ? h[0].score : 0);
	vstore_hits_free(h, n);
	pgv_knn_stats(&loads0, &hits0);
	CHECK(loads0 == loads1 + 1, "the write did not reload the set");
	/* remove by id: gone at once */
	vstore_point_id(ta, "prs", "ext-100000", id0);
	{
		const char *ids[1] = {id0};

		CHECK(vstore_remove_ids(a, coll, ids, 1, err, sizeof(err)) == 0,
		      "%s", err);
	}
	CHECK(vstore_query(a, coll, q, DIM, 1, NULL, -2, &h, &n, err,
			   sizeof(err)) == 0, "%s", err);
	CHECK(n == 1 && strcmp(h[0].display_id, "ext-100000") != 0,
	      "a removed point came back");
	vstore_hits_free(h, n);
	/* B removing A's point ids touches nothing of A */
	{
		char aid[VSTORE_ID_LEN];
		const char *ids[1] = {aid};

		vstore_point_id(ta, "prs", "ext-0", aid);
		CHECK(vstore_remove_ids(b, coll, ids, 1, err, sizeof(err)) == 0,
		      "%s", err);
		CHECK(vstore_query(a, coll, va, DIM, 1, NULL, -2, &h, &n, err,
				   sizeof(err)) == 0 && n == 1 &&
		      strcmp(h[0].point_id, aid) == 0,
		      "B's delete reached A's point");
		vstore_hits_free(h, n);
	}
	/* remove a whole integration: B keeps its points */
	CHECK(vstore_remove_integration(a, coll, ia, err, sizeof(err)) == 0,
	      "%s", err);
	CHECK(vstore_query(a, coll, q, DIM, 10, NULL, -2, &h, &n, err,
			   sizeof(err)) == 0 && n == 0, "after remove: %zu", n);
	vstore_hits_free(h, n);
	CHECK(vstore_query(b, coll, q, DIM, 1000, NULL, -2, &h, &n, err,
			   sizeof(err)) == 0 && n == NB, "B lost points: %zu", n);
	vstore_hits_free(h, n);
	if (check_exact(a, ta, ia) != 0)
		return 1;
	CHECK(pgv_knn_cached_bytes() > 3000 * 96 * 5,
	      "the cache counts %zu bytes for 3000 x 96 vectors",
	      pgv_knn_cached_bytes());
	if (check_incremental(db, a, ta, ia) != 0)
		return 1;
	vstore_close(a);
	vstore_close(b);
	pgv_knn_flush();
	CHECK(pgv_knn_cached_bytes() == 0, "flushed cache still counts %zu bytes",
	      pgv_knn_cached_bytes());
	return failures ? 1 : 0;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* How many points the tenant has in coll (-1 on error): a second
 * round of the benchmark reuses the stored vectors. */
static long have_n(PGconn *db, int64_t t, const char *coll)
{
	char tb[24], err[512];
	const char *p[2];
	PGresult *r;
	long n = -1;

	if (db_tenant_begin(db, t, err, sizeof(err)) < 0)
		return -1;
	p[0] = db_i64(tb, t);
	p[1] = coll;
	r = db_query(db, err, sizeof(err), "SELECT count(*) FROM pgvectors"
		     " WHERE tenant_id = $1::bigint AND collection = $2", 2, p);
	if (r) {
		n = (long)db_int64(r, 0, 0);
		PQclear(r);
	}
	db_rollback(db);
	return n;
}

static int bench(PGconn *db, int64_t t, int64_t ig, size_t n, uint32_t dim,
		 size_t nq, const char *out)
{
	struct vstore *s = NULL;
	struct vstore_hit *h = NULL;
	float *v = malloc(n * dim * sizeof(float)), *q = malloc(nq * dim * sizeof(float));
	double *lat = malloc(nq * sizeof(double)), t0, load_ms;
	char coll[96], err[512];
	size_t i, nh;
	FILE *fp;

	vstore_collection("bench", dim, coll, sizeof(coll));
	if (!v || !q || !lat || vstore_open_pg(db, t, &s, err, sizeof(err)) < 0 ||
	    vstore_ensure(s, coll, dim, err, sizeof(err)) < 0)
		return 1;
	for (i = 0; i < n * dim; i++)
		v[i] = frand();
	for (i = 0; i < nq * dim; i++)
		q[i] = frand();
	t0 = now_ms();
	for (i = have_n(db, t, coll) == (long)n ? n : 0; i < n; i += 5000)
		if (put(s, t, ig, coll, dim, v + i * dim, n - i < 5000 ? n - i : 5000,
			i, "prs") < 0)
			return 1;
	fprintf(stderr, "stored %zu vectors in %.1f s\n", n, (now_ms() - t0) / 1e3);
	t0 = now_ms();
	if (vstore_query(s, coll, q, dim, 10, NULL, -2, &h, &nh, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	load_ms = now_ms() - t0;
	vstore_hits_free(h, nh);
	for (i = 0; i < nq; i++) {
		t0 = now_ms();
		if (vstore_query(s, coll, q + i * dim, dim, 10, NULL, -2, &h, &nh,
				 err, sizeof(err)) < 0) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
		lat[i] = now_ms() - t0;
		vstore_hits_free(h, nh);
	}
	qsort(lat, nq, sizeof(double), cmp_d);
	/* a write of 100 points (new vectors for ext-0..99), then the first
	 * query: it reads the changes only; load_ms is the whole load */
	for (i = 0; i < 100 * dim && i < n * dim; i++)
		v[i] = frand();
	if (put(s, t, ig, coll, dim, v, n < 100 ? n : 100, 0, "prs") < 0)
		return 1;
	t0 = now_ms();
	if (vstore_query(s, coll, q, dim, 10, NULL, -2, &h, &nh, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	vstore_hits_free(h, nh);
	printf("%.2f %.2f %.0f %.0f %.0f\n", lat[nq / 2], lat[(nq * 99) / 100],
	       load_ms, pgv_knn_cached_bytes() / 1e6, now_ms() - t0);
	fp = fopen(out, "wb");
	if (!fp || fwrite(v, sizeof(float), n * dim, fp) != n * dim ||
	    fwrite(q, sizeof(float), nq * dim, fp) != nq * dim || fclose(fp) != 0)
		return 1;
	vstore_close(s);
	free(v);
	free(q);
	free(lat);
	return 0;
}

static double cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Best-of-20 streaming read of n * dim floats on one thread, by the
 * wall clock and by this thread's CPU time (the machine is shared: the
 * CPU time shows the memory system without the waits for a core). */
static int membw(size_t n, uint32_t dim)
{
	size_t words = n * dim / 2, i, r;
	uint64_t *a = malloc(words * sizeof(uint64_t)), s0 = 0, s1 = 0, s2 = 0, s3 = 0;
	double best = 1e30, cbest = 1e30, t0, c0, gb, cgb;

	if (!a)
		return 1;
	for (i = 0; i < words; i++)
		a[i] = i;
	for (r = 0; r < 20; r++) {
		t0 = now_ms();
		c0 = cpu_ms();
		for (i = 0; i + 4 <= words; i += 4) {
			s0 += a[i];
			s1 += a[i + 1];
			s2 += a[i + 2];
			s3 += a[i + 3];
		}
		c0 = cpu_ms() - c0;
		t0 = now_ms() - t0;
		if (t0 < best)
			best = t0;
		if (c0 < cbest)
			cbest = c0;
	}
	gb = words * 8.0 / best / 1e6;
	cgb = words * 8.0 / cbest / 1e6;
	/* the sum is printed so that the reads are not optimised away */
	printf("%.1f %.1f %.2f %.2f %llu\n", gb, cgb, n * dim * 4.0 / cgb / 1e6,
	       n * dim * 1.0 / cgb / 1e6,
	       (unsigned long long)((s0 + s1 + s2 + s3) & 1));
	free(a);
	return 0;
}

int main(int argc, char **argv)
{
	char err[512];
	PGconn *db;
	int rc;

	if (argc == 4 && strcmp(argv[1], "membw") == 0)
		return membw((size_t)atoll(argv[2]), (uint32_t)atoi(argv[3]));
	if (crypto_init(err, sizeof(err)) < 0 || argc < 3) {
		fprintf(stderr, "usage: pgv-tool check|bench URL ... | membw N DIM\n");
		return 2;
	}
	db = db_connect(argv[2], err, sizeof(err));
	if (!db) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (strcmp(argv[1], "check") == 0 && argc == 7)
		rc = check(db, atoll(argv[3]), atoll(argv[4]), atoll(argv[5]),
			   atoll(argv[6]));
	else if (strcmp(argv[1], "bench") == 0 && argc == 9)
		rc = bench(db, atoll(argv[3]), atoll(argv[4]),
			   (size_t)atoll(argv[5]), (uint32_t)atoi(argv[6]),
			   (size_t)atoll(argv[7]), argv[8]);
	else
		rc = 2;
	PQfinish(db);
	return rc;
}
