/*
 * qdrant-tool: the qdrant store's search latency through the host's own
 * path (vstore_open_tenant -> vstore_plugin -> the qdrant plugin -> HTTP),
 * for tests/bench/qdrant-bench.sh.
 *
 *   qdrant-tool bench CONF TENANT INTEG N DIM QUERIES
 *
 * CONF is a pulse-host.conf (plugin_dirs with the qdrant plugin, key_file,
 * http.allow_hosts); the database is PULSE_HOST_DATABASE_URL. TENANT must
 * have a qdrant integration. Stores N random points (integration INTEG),
 * then runs QUERIES top-10 queries; prints "p50_ms p99_ms first_ms store_s".
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ai/route.h"
#include "ai/vstore.h"
#include "base/conf.h"
#include "base/crypto.h"
#include "db/db.h"
#include "http/http.h"
#include "plugin/loader.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static float frand(void)
{
	return (float)rand() / (float)RAND_MAX - 0.5f;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* n points from i0 on, ids and payloads made as vectorize makes them. */
static int put(struct vstore *s, int64_t t, int64_t ig, const char *coll,
	       uint32_t dim, const float *v, size_t n, size_t i0)
{
	struct vstore_point *p = calloc(n, sizeof(*p));
	char (*ext)[24] = calloc(n, sizeof(*ext));
	char (*ids)[VSTORE_ID_LEN] = calloc(n, sizeof(*ids));
	char err[1024];
	int rc = -1;

	if (!p || !ext || !ids)
		goto out;
	for (size_t i = 0; i < n; i++) {
		snprintf(ext[i], sizeof(ext[i]), "B%zu", i0 + i);
		vstore_point_id(t, "prs", ext[i], ids[i]);
		p[i].point_id = ids[i];
		p[i].vec = v + i * dim;
		p[i].integration_id = ig;
		p[i].table = "prs";
		p[i].external_id = ext[i];
		p[i].title = ext[i];
		p[i].updated_at = "2024-05-01T10:00:00Z";
	}
	rc = vstore_upsert(s, coll, dim, p, n, err, sizeof(err));
	if (rc < 0)
		fprintf(stderr, "%s\n", err);
out:
	free(p);
	free(ext);
	free(ids);
	return rc;
}

static int bench(struct ai_ctx *ctx, int64_t t, int64_t ig, size_t n,
		 uint32_t dim, size_t nq)
{
	struct vstore *s = NULL;
	struct vstore_hit *h = NULL;
	float *v = malloc(n * dim * sizeof(float)), *q = malloc(nq * dim * sizeof(float));
	double *lat = malloc(nq * sizeof(double)), t0, first, store_s;
	char coll[96], err[1024];
	size_t i, nh;
	int rc = 1;

	vstore_collection("bench", dim, coll, sizeof(coll));
	if (!v || !q || !lat)
		goto out;
	if (vstore_open_tenant(ctx, t, &s, err, sizeof(err)) < 0 ||
	    vstore_ensure(s, coll, dim, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		goto out;
	}
	if (strcmp(vstore_name(s), "qdrant") != 0) {
		fprintf(stderr, "tenant %lld's store is %s, not qdrant\n",
			(long long)t, vstore_name(s));
		goto out;
	}
	for (i = 0; i < n * dim; i++)
		v[i] = frand();
	for (i = 0; i < nq * dim; i++)
		q[i] = frand();
	t0 = now_ms();
	for (i = 0; i < n; i += 1000)
		if (put(s, t, ig, coll, dim, v + i * dim, n - i < 1000 ? n - i : 1000,
			i) < 0)
			goto out;
	store_s = (now_ms() - t0) / 1e3;
	t0 = now_ms();
	if (vstore_query(s, coll, q, dim, 10, NULL, -2, &h, &nh, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		goto out;
	}
	first = now_ms() - t0;
	vstore_hits_free(h, nh);
	for (i = 0; i < nq; i++) {
		t0 = now_ms();
		if (vstore_query(s, coll, q + i * dim, dim, 10, NULL, -2, &h, &nh,
				 err, sizeof(err)) < 0) {
			fprintf(stderr, "%s\n", err);
			goto out;
		}
		lat[i] = now_ms() - t0;
		if (nh != 10) {
			fprintf(stderr, "query %zu: %zu hits, want 10\n", i, nh);
			vstore_hits_free(h, nh);
			goto out;
		}
		vstore_hits_free(h, nh);
	}
	qsort(lat, nq, sizeof(double), cmp_d);
	printf("%.2f %.2f %.1f %.1f\n", lat[nq / 2], lat[(nq * 99) / 100], first,
	       store_s);
	rc = 0;
out:
	vstore_close(s);
	free(v);
	free(q);
	free(lat);
	return rc;
}

int main(int argc, char **argv)
{
	struct conf conf;
	struct crypto_key key;
	struct loader ld = {0};
	struct ai_ctx ctx = {0};
	const char *url = getenv("PULSE_HOST_DATABASE_URL");
	char err[1024];
	PGconn *db = NULL;
	int rc = 1;

	memset(&conf, 0, sizeof(conf));
	memset(&key, 0, sizeof(key));
	if (argc != 8 || strcmp(argv[1], "bench") != 0 || !url) {
		fprintf(stderr, "usage: PULSE_HOST_DATABASE_URL=... qdrant-tool bench "
			"CONF TENANT INTEG N DIM QUERIES\n");
		return 2;
	}
	srand(42);
	if (conf_load(argv[2], &conf, err, sizeof(err)) < 0 ||
	    crypto_key_load(conf.key_file, 0, &key, err, sizeof(err)) < 0 ||
	    !(db = db_connect(url, err, sizeof(err)))) {
		fprintf(stderr, "%s\n", err);
		goto out;
	}
	http_global_init();
	loader_scan(&ld, conf.plugin_dirs);
	ctx.db = db;
	ctx.ld = &ld;
	ctx.key = &key;
	ctx.conf = &conf;
	rc = bench(&ctx, atoll(argv[3]), atoll(argv[4]), strtoul(argv[5], NULL, 10),
		   (uint32_t)strtoul(argv[6], NULL, 10), strtoul(argv[7], NULL, 10));
out:
	loader_free(&ld);
	crypto_wipe(&key, sizeof(key));
	conf_free(&conf);
	PQfinish(db);
	return rc;
}
