/* vectorize: the stage - embed, store and record each claimed batch
 * (see vectorize.h; the queue is in vectorize_queue.c, the texts in
 * vectorize_build.c, rebuild and summary in vectorize_admin.c). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ai/route.h"
#include "ai/vectorize.h"
#include "ai/vectorize_int.h"
#include "ai/vstore.h"
#include "base/failpoint.h"
#include "base/log.h"
#include "db/db.h"

/* What one tenant's batches share: the routed embedder, the store and
 * the collection of the pinned model. */
struct vz_stage {
	struct ai_ctx *ctx;
	int64_t tenant;
	struct ai_embedder *e;
	struct vstore *vs;
	char collection[160];
	char *grp;       /* vz_build's scratch, cap bytes */
	size_t cap;
	double embed_s, store_s, db_s;
	int embed_failed;  /* the last vz_apply failed in the embedder */
};

static double vz_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Embed the changed live items and write/remove points. 0, or -1 with
 * err (the batch is retried). */
static int vz_apply(struct vz_stage *s, struct vz_batch *b,
		    struct vz_counts *c, char *err, size_t errlen)
{
	struct ai_embedder *e = s->e;
	struct vstore *vs = s->vs;
	const char *collection = s->collection;
	uint32_t dim = ai_embedder_dim(e), k = 0;
	double t0 = vz_now();
	const char **texts = calloc(b->n ? b->n : 1, sizeof(char *));
	const char **gone = calloc(b->n ? b->n : 1, sizeof(char *));
	struct vstore_point *pts = calloc(b->n ? b->n : 1, sizeof(*pts));
	size_t *idx = calloc(b->n ? b->n : 1, sizeof(size_t));
	float *vecs = NULL;
	size_t i, ngone = 0;
	int rc = -1;

	if (!texts || !gone || !pts || !idx) {
		snprintf(err, errlen, "vectorize: out of memory");
		goto out;
	}
	for (i = 0; i < b->n; i++) {
		struct vz_item *x = &b->it[i];

		if (!vz_text_sql(x->entity))
			continue;
		if (!x->live) {
			gone[ngone++] = x->point_id;
		} else if (x->unchanged) {
			c->unchanged++;
		} else {
			/* two queue rows of one entity in a batch: embed once */
			size_t j;

			for (j = 0; j < k; j++)
				if (strcmp(b->it[idx[j]].point_id, x->point_id) == 0)
					break;
			if (j == k) {
				idx[k] = i;
				texts[k++] = x->text;
			}
		}
	}
	if (k) {
		vecs = malloc((size_t)k * dim * sizeof(float));
		if (!vecs) {
			snprintf(err, errlen, "vectorize: out of memory");
			goto out;
		}
		if (ai_embed(e, texts, k, vecs, NULL, err, errlen) < 0) {
			s->embed_failed = 1;
			goto out;
		}
		c->embedded += k;
		/* embedded, nothing stored yet */
		FAILPOINT("vectorize.after_embed");
		s->embed_s += vz_now() - t0;
		t0 = vz_now();
		for (i = 0; i < k; i++) {
			const struct vz_item *x = &b->it[idx[i]];

			pts[i].point_id = x->point_id;
			pts[i].vec = vecs + i * dim;
			pts[i].integration_id = x->integration;
			pts[i].table = x->entity;
			pts[i].external_id = x->external_id;
			pts[i].display_id = x->display;
			pts[i].title = x->title;
			pts[i].url = x->url;
			pts[i].updated_at = x->updated;
			pts[i].text_hash = x->hash;
		}
		if (vstore_upsert(vs, collection, dim, pts, k, err, errlen) < 0)
			goto out;
		c->upserted += k;
	}
	if (ngone) {
		if (vstore_remove_ids(vs, collection, gone, ngone, err, errlen) < 0)
			goto out;
		c->deleted += ngone;
	}
	rc = 0;
out:
	s->store_s += vz_now() - t0;
	free(texts);
	free(gone);
	free(pts);
	free(idx);
	free(vecs);
	return rc;
}

void vz_stage_close(struct vz_stage *s)
{
	if (!s)
		return;
	vstore_close(s->vs);
	ai_embedder_close(s->e);
	free(s->grp);
	free(s);
}

int vz_stage_open(struct ai_ctx *ctx, int64_t tenant, struct vz_stage **out,
		  char *err, size_t errlen)
{
	struct vz_stage *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (!s) {
		snprintf(err, errlen, "vectorize: out of memory");
		return -1;
	}
	s->ctx = ctx;
	s->tenant = tenant;
	if (ai_embedder_open(ctx, tenant, AI_CTX_ETL, &s->e, err, errlen) < 0)
		goto fail;
	vstore_collection(ai_embedder_model(s->e), ai_embedder_dim(s->e),
			  s->collection, sizeof(s->collection));
	if (vstore_open_tenant(ctx, tenant, &s->vs, err, errlen) < 0 ||
	    vstore_ensure(s->vs, s->collection, ai_embedder_dim(s->e), err,
			  errlen) < 0)
		goto fail;
	*out = s;
	return 0;
fail:
	vz_stage_close(s);
	return -1;
}

int64_t vz_stage_tenant(const struct vz_stage *s)
{
	return s->tenant;
}

void vz_stage_times(const struct vz_stage *s, double *embed_s,
		    double *store_s, double *db_s)
{
	*embed_s = s->embed_s;
	*store_s = s->store_s;
	*db_s = s->db_s;
}

/* After a failed embed: does the embedder fail a harmless probe text
 * too? Then it is down (an outage: the batch's attempt is not counted),
 * else something in the batch is poison (counted). */
static int vz_embedder_down(struct vz_stage *s)
{
	static const char *const probe[1] = {"vectorize probe"};
	float *v = malloc((size_t)ai_embedder_dim(s->e) * sizeof(float));
	char err[512];
	int down;

	if (!v)
		return 0;
	down = ai_embed(s->e, probe, 1, v, NULL, err, sizeof(err)) < 0;
	free(v);
	return down;
}

/* Build, embed, store and record one claimed batch (b). 0 when stored,
 * 1 when the batch failed (recorded on its rows: retry or failed), -1
 * with err when the outcome could not be recorded (the claims stay; the
 * sweep repairs them). */
static int vz_process(struct vz_stage *s, struct vz_batch *b, uint32_t max,
		      struct vz_counts *c, const int64_t *ids,
		      unsigned char *dead, size_t nids, char *err,
		      size_t errlen)
{
	char why[1024];
	double t0, t1;
	size_t i;
	int ok, outage = 0;

	c->batches++;
	c->claimed += b->n;
	for (i = 0; i < b->n; i++)
		if (!vz_text_sql(b->it[i].entity))
			c->skipped++;
	if (b->n > s->cap) {
		char *g = realloc(s->grp, b->n);

		if (!g) {
			snprintf(err, errlen, "vectorize: out of memory");
			return -1;
		}
		s->grp = g;
		s->cap = b->n;
	}
	why[0] = '\0';
	t0 = vz_now();
	ok = vz_build(s->ctx->db, s->tenant, b, s->collection, s->grp, why,
		      sizeof(why)) == 0;
	t1 = vz_now();
	s->db_s += t1 - t0;
	s->embed_failed = 0;
	ok = ok && vz_apply(s, b, c, why, sizeof(why)) == 0;
	/* stored in the vector store; the queue rows not yet completed */
	if (ok)
		FAILPOINT("vectorize.after_store");
	if (!ok && s->embed_failed)
		outage = vz_embedder_down(s);
	if (!ok)
		log_warn("vectorize", "tenant %lld: a batch of %zu failed%s, "
			 "will retry: %s", (long long)s->tenant, b->n,
			 outage ? " (the embedder is down: not counted as an "
			 "attempt)" : "", why);
	t0 = vz_now();
	if (vz_finish(s->ctx->db, s->tenant, b, ok, outage, why,
		      vstore_name(s->vs), s->collection,
		      ai_embedder_model(s->e), max, c, ids, dead, nids, err,
		      errlen) < 0)
		return -1;
	s->db_s += vz_now() - t0;
	return ok ? 0 : 1;
}

int vz_stage_run(struct vz_stage *s, const struct vz_opts *o,
		 struct vz_counts *c, char *err, size_t errlen)
{
	struct vz_counts local = {0};
	struct vz_opts def = {0};
	struct vz_batch b = {0};
	uint32_t batch, max, nb = 0;
	int rc = -1, r;

	if (!o)
		o = &def;
	if (!c)
		c = &local;
	batch = o->batch ? o->batch : 64;
	max = o->max_attempts ? o->max_attempts : 5;
	if (vz_sweep(s->ctx->db, s->tenant, o->stale_seconds, NULL, err,
		     errlen) < 0)
		return -1;
	for (;;) {
		if (o->max_batches && nb >= o->max_batches) {
			rc = 1;
			break;
		}
		if (vz_claim(s->ctx->db, s->tenant, batch, NULL, 0, &b, err,
			     errlen) < 0)
			goto out;
		if (b.n == 0) {
			rc = 0;
			break;
		}
		nb++;
		r = vz_process(s, &b, max, c, NULL, NULL, 0, err, errlen);
		if (r < 0)
			goto out;
		vz_batch_free(&b);
		if (r == 1) {
			/* the embedder or store is failing: stop here rather
			 * than spend an attempt of every queued row on it */
			rc = 1;
			break;
		}
		if (o->progress && o->progress(o->arg, s->tenant, c)) {
			rc = 1;
			break;
		}
	}
out:
	vz_batch_free(&b);
	return rc;
}

int vz_stage_run_ids(struct vz_stage *s, const int64_t *ids, size_t n,
		     const struct vz_opts *o, struct vz_counts *c,
		     unsigned char *dead, char *err, size_t errlen)
{
	struct vz_counts local = {0};
	struct vz_batch b = {0};
	uint32_t max = o && o->max_attempts ? o->max_attempts : 5;
	size_t i, k;
	int rc = -1, r = 0;

	if (!c)
		c = &local;
	if (dead)
		memset(dead, 0, n);
	/* again until nothing is left: rows of a failed batch come one by
	 * one before the rest */
	for (;;) {
		if (vz_claim(s->ctx->db, s->tenant, (uint32_t)n, ids, n, &b, err,
			     errlen) < 0)
			goto out;
		if (b.n == 0)
			break; /* done, taken by another worker, or not due */
		for (i = 0; dead && i < b.n; i++)
			for (k = 0; k < n; k++)
				if (ids[k] == b.it[i].qid && dead[k] == VZ_ID_DONE)
					dead[k] = VZ_ID_CLAIMED;
		r = vz_process(s, &b, max, c, ids, dead, n, err, errlen);
		if (r < 0)
			goto out;
		vz_batch_free(&b);
		if (r == 1)
			break; /* failing: the rest is left for later */
	}
	for (k = 0; dead && k < n; k++) {
		if (dead[k] == VZ_ID_CLAIMED)
			dead[k] = VZ_ID_DONE;
		else if (dead[k] == VZ_ID_DONE && r == 1)
			dead[k] = VZ_ID_LATER;
	}
	rc = 0;
out:
	vz_batch_free(&b);
	return rc;
}

int vz_run_tenant(struct ai_ctx *ctx, int64_t tenant, const struct vz_opts *o,
		  struct vz_counts *c, char *err, size_t errlen)
{
	struct vz_stage *s = NULL;
	int rc;

	/* sweep first: a stage that cannot open still frees stale claims */
	if (vz_sweep(ctx->db, tenant, o ? o->stale_seconds : 0, NULL, err,
		     errlen) < 0)
		return -1;
	if (vz_stage_open(ctx, tenant, &s, err, errlen) < 0)
		return -1;
	rc = vz_stage_run(s, o, c, err, errlen);
	vz_stage_close(s);
	return rc;
}
