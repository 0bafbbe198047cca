/*
 * bench-gateway: figures for tests/bench/gateway-bench.sh (not a test).
 *
 *   bench-gateway CONF T1 GWE LOC T2 LEX
 *
 * CONF: a pulse-host config (database, key file, plugin dirs). T1 routes
 * etl to the gateway-embed integration GWE (the OpenAI sandbox) and
 * search to the embed-local integration LOC (a MiniLM-shaped model); T2
 * has only LEX, a lexical-local embedder whose calls cost almost nothing.
 *
 * 1. Gateway throughput: texts/s through the router (ai_embed, etl) at
 *    batch sizes 1..2048, beside the same provider called directly
 *    (ai_provider_embed, no router) in the same run.
 * 2. Routing overhead per call: router minus direct on LEX (the router's
 *    own cost: route, cooldown check, one ai_usage row), as a share of a
 *    local embed call (LOC, batch 32, direct) measured here too; and LOC
 *    routed vs direct.
 */
#define _GNU_SOURCE
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ai/provider.h"
#include "ai/route.h"
#include "ai/route_int.h"
#include "base/conf.h"
#include "base/crypto.h"
#include "base/log.h"
#include "db/db.h"
#include "http/http.h"
#include "plugin/loader.h"
#include "plugin/trust.h"

#define NTEXTS 4096

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_d);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void die(const char *what, const char *err)
{
	fprintf(stderr, "bench-gateway: %s: %s\n", what, err);
	exit(1);
}

/* Texts of 8..19 words from a small vocabulary (deterministic). */
static char **make_texts(void)
{
	static const char *w[] = {"pull", "request", "merged", "review",
		"deploy", "failed", "login", "test", "flaky", "sprint", "bug",
		"release", "branch", "commit", "latency", "search", "index"};
	char **t = calloc(NTEXTS, sizeof(*t));
	unsigned s = 7;

	for (int i = 0; i < NTEXTS; i++) {
		char buf[256] = "";
		int n = 8 + i % 12;

		for (int k = 0; k < n; k++) {
			s = s * 1103515245u + 12345u;
			strcat(buf, w[(s >> 16) % 17]);
			strcat(buf, k + 1 < n ? " " : "");
		}
		t[i] = strdup(buf);
	}
	return t;
}

struct env {
	struct conf conf;
	struct loader ld;
	struct crypto_key key;
	PGconn *db;
	struct ai_ctx ctx;
};

static void env_open(struct env *e, const char *conf)
{
	char err[1024];

	memset(e, 0, sizeof(*e));
	if (conf_load(conf, &e->conf, err, sizeof(err)) < 0)
		die("config", err);
	if (crypto_init(err, sizeof(err)) < 0 ||
	    crypto_key_load(e->conf.key_file, 1, &e->key, err, sizeof(err)) < 0)
		die("key", err);
	if (!(e->db = db_connect(e->conf.database_url, err, sizeof(err))))
		die("database", err);
	http_global_init();
	plugin_trust_set(1);
	loader_scan(&e->ld, e->conf.plugin_dirs);
	e->ctx.db = e->db;
	e->ctx.ld = &e->ld;
	e->ctx.key = &e->key;
	e->ctx.conf = &e->conf;
}

static struct ai_provider *direct(struct env *e, int64_t tenant, int64_t id,
				  uint32_t *dim)
{
	struct ai_provider *p = NULL;
	const char *model;
	uint32_t batch;
	char err[1024];

	if (ai_provider_open(&(struct ai_env_ref){e->db, &e->ld, &e->key, &e->conf},
			     tenant, id, PULSE_KIND_EMBEDDER, &p, err, sizeof(err)) < 0)
		die("provider", err);
	if (ai_provider_embed_info(p, &model, dim, &batch, err, sizeof(err)) != PULSE_OK)
		die("provider info", err);
	return p;
}

static struct ai_embedder *routed(struct env *e, int64_t tenant,
				  const char *context)
{
	struct ai_embedder *r = NULL;
	char err[2048];

	if (ai_embedder_open(&e->ctx, tenant, context, &r, err, sizeof(err)) < 0)
		die("route", err);
	return r;
}

/* One timed call of batch b at texts[off]: seconds. */
static double call(struct ai_embedder *r, struct ai_provider *p,
		   char **texts, int off, uint32_t b, uint32_t dim, float *out)
{
	char err[2048];
	pulse_usage u;
	double t0 = now_s();

	if (r ? ai_embed(r, (const char *const *)texts + off, b, out, NULL, err,
			 sizeof(err)) < 0 :
	    ai_provider_embed(p, (const char *const *)texts + off, b, out, dim,
			      &u, err, sizeof(err)) != PULSE_OK)
		die("embed", err);
	return now_s() - t0;
}

static void throughput(struct env *e, int64_t t1, int64_t gwe, char **texts)
{
	static const uint32_t sizes[] = {1, 16, 128, 512, 2048};
	uint32_t dim;
	struct ai_provider *p = direct(e, t1, gwe, &dim);
	struct ai_embedder *r = routed(e, t1, AI_CTX_ETL);
	float *out = calloc((size_t)NTEXTS * dim, sizeof(float));

	printf("gateway embeddings (sandbox, %u dimensions), texts/s:\n", dim);
	printf("%8s %14s %14s %8s\n", "batch", "routed", "direct", "ratio");
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		uint32_t b = sizes[k];
		int calls = b == 1 ? 300 : b < 512 ? NTEXTS / (int)b : 4;
		double tr = 0, td = 0;

		call(r, NULL, texts, 0, b, dim, out); /* warm */
		for (int i = 0; i < calls; i++) {
			int off = (int)((i * b) % (NTEXTS - b + 1));

			/* alternate, so load drifts hit both sides alike */
			tr += call(r, NULL, texts, off, b, dim, out);
			td += call(NULL, p, texts, off, b, dim, out);
		}
		printf("%8u %14.0f %14.0f %8.3f\n", b, calls * b / tr,
		       calls * b / td, td / tr);
	}
	free(out);
	ai_embedder_close(r);
	ai_provider_close(p);
}

/* Median seconds per call, routed and direct, over n alternated calls. */
static void pair(struct env *e, int64_t tenant, int64_t id,
		 const char *context, char **texts, uint32_t b, int n,
		 double *mr, double *md)
{
	uint32_t dim;
	struct ai_provider *p = direct(e, tenant, id, &dim);
	struct ai_embedder *r = routed(e, tenant, context);
	float *out = calloc((size_t)b * dim, sizeof(float));
	double *vr = calloc((size_t)n, sizeof(double));
	double *vd = calloc((size_t)n, sizeof(double));

	call(r, NULL, texts, 0, b, dim, out);
	call(NULL, p, texts, 0, b, dim, out);
	for (int i = 0; i < n; i++) {
		int off = (i * 37) % (NTEXTS - (int)b);

		vr[i] = call(r, NULL, texts, off, b, dim, out);
		vd[i] = call(NULL, p, texts, off, b, dim, out);
	}
	*mr = median(vr, (size_t)n);
	*md = median(vd, (size_t)n);
	free(vr);
	free(vd);
	free(out);
	ai_embedder_close(r);
	ai_provider_close(p);
}

int main(int argc, char **argv)
{
	struct env e;
	char **texts;
	double lr, ld, mr, md;

	if (argc != 7) {
		fprintf(stderr, "usage: bench-gateway CONF T1 GWE LOC T2 LEX\n");
		return 2;
	}
	log_set_level(LOG_ERROR);
	setvbuf(stdout, NULL, _IOLBF, 0); /* each figure as soon as it is known */
	env_open(&e, argv[1]);
	texts = make_texts();
	throughput(&e, atoll(argv[2]), atoll(argv[3]), texts);
	/* the router's own cost, on a provider that costs ~nothing */
	pair(&e, atoll(argv[5]), atoll(argv[6]), AI_CTX_ETL, texts, 32, 400,
	     &lr, &ld);
	/* a local embed call: embed-local, batch 32 */
	pair(&e, atoll(argv[2]), atoll(argv[4]), AI_CTX_SEARCH, texts, 32, 40,
	     &mr, &md);
	printf("routing overhead per call (batch 32), median of alternated calls:\n");
	printf("  lexical-local: routed %.1f us, direct %.1f us: overhead %.1f us"
	       " (route, cooldown check, one ai_usage row)\n",
	       lr * 1e6, ld * 1e6, (lr - ld) * 1e6);
	printf("  embed-local (MiniLM shape): routed %.2f ms, direct %.2f ms "
	       "(baseline: the local embed call)\n", mr * 1e3, md * 1e3);
	printf("  overhead / local embed call: %.2f %% (target < 1 %%); "
	       "embed-local routed/direct: %+.2f %%\n", 100 * (lr - ld) / md,
	       100 * (mr - md) / md);
	for (int i = 0; i < NTEXTS; i++)
		free(texts[i]);
	free(texts);
	PQfinish(e.db);
	loader_free(&e.ld);
	conf_free(&e.conf);
	return 0;
}
