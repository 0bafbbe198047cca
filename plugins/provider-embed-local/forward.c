/*
 * forward.c: the BERT encoder for sentence embeddings.
 *
 * The texts of a batch are packed row after row (no padding rows at all,
 * which is what padding to the longest text plus the attention mask
 * computes, without the wasted work). Attention runs per text and head
 * over that text's own rows, so padding never enters a softmax. Then mean
 * pooling over each text's tokens ([CLS] and [SEP] included) and L2 norm.
 *
 * Threads: a pass runs on a team of m->threads (the caller plus helpers
 * started per call), OpenBLAS single-threaded inside each. Each
 * projection is split one of two ways, whichever makes each thread pack
 * less (OpenBLAS packs both operands on every call, and packing the
 * weights, read cold from memory, is what small batches spend most on):
 *   - by rows (rows >= the projection's outputs): each thread multiplies
 *     its own slice of rows by all of the weights; row-local, no barrier;
 *   - by output columns (fewer rows than outputs, e.g. one short text):
 *     each thread multiplies all rows by its half of the weights; a
 *     barrier before (all rows ready) and after (before row-wise steps).
 * LayerNorm and residuals go by rows (all rows in every thread, on its
 * own copy of x, when all projections go by columns: see own_x); the
 * intermediate projection's bias
 * and GELU go with whichever slice the thread computed. Attention's
 * (text, head) pairs are split by cost between two barriers. Q, K and V
 * come from one sgemm over the stacked weight made at load. On CPUs with
 * AVX-512 the projections run on weights packed at load instead (pack.c):
 * no per-call packing, column splits in whole panels.
 *
 * Scratch comes from the model's pool, one block per call: the model is
 * read-only, so several callers may embed with one model at once.
 */
#include "embed.h"

#include <cblas.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct fw_pass {
	const emb_model *m;
	int n, rows, maxlen, nthreads;
	/* fewer rows than hidden (one short text): every projection is split
	 * by columns, so each thread keeps its own full copy of x (thread t's
	 * at x + t * xstride) and runs embeddings and LayerNorm over all
	 * rows itself: the next projection then needs no barrier first (5
	 * a layer instead of 7); the duplicated LayerNorm is a few rows */
	int own_x;
	size_t xstride;
	const int *len, *start;		/* per text */
	const int32_t *tok;		/* per row: token id */
	const int *pos;			/* per row: position in its text */
	float *x, *qkv, *ctx, *tmp, *mid, *score, *out;
	emb_prof *prof;			/* filled by thread 0 only */
	double t0;			/* thread 0's lap start (profiling) */
	/* helpers wait at the gate until the team's size is final */
	pthread_mutex_t lock;
	pthread_cond_t go;
	int open;
	pthread_barrier_t bar;
} fw_pass;

typedef struct fw_arg {
	fw_pass *p;
	int tid;
} fw_arg;

/* y[rows, c0..c1) = x[rows, in] * W[c0..c1)^T, W in PyTorch's [out, in]
 * order, y with leading dimension ldy (the bias is added by the step
 * after, in the same pass as LayerNorm or GELU). */
static void fw_gemm(const float *x, int rows, int in, const float *w,
		    int c0, int c1, float *y, int ldy)
{
	if (rows <= 0 || c1 <= c0)
		return;
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, c1 - c0, in,
		    1.0f, x, in, w + (size_t)c0 * in, in, 0.0f, y + c0, ldy);
}

/* x = LayerNorm(x + add + bias) row by row; add and bias may be NULL. */
static void fw_add_norm(float *x, const float *add, const float *bias,
			int rows, int h, const float *g, const float *b, float eps)
{
	for (int r = 0; r < rows; r++) {
		float *row = x + (size_t)r * h;
		const float *a = add ? add + (size_t)r * h : NULL;
		double sum = 0, sq = 0;
		if (a && bias)
			for (int i = 0; i < h; i++)
				row[i] += a[i] + bias[i];
		else if (a)
			for (int i = 0; i < h; i++)
				row[i] += a[i];
		for (int i = 0; i < h; i++)
			sum += row[i];
		double mean = sum / h;
		for (int i = 0; i < h; i++) {
			double d = row[i] - mean;
			sq += d * d;
		}
		float inv = (float)(1.0 / sqrt(sq / h + eps));
		for (int i = 0; i < h; i++)
			row[i] = ((float)(row[i] - mean)) * inv * g[i] + b[i];
	}
}


static double fw_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Adds the time since *t0 to *acc and restarts *t0 (when profiling). */
static void fw_lap(emb_prof *p, double *acc, double *t0)
{
	if (!p)
		return;
	double t = fw_now();
	*acc += t - *t0;
	*t0 = t;
}

/* Self-attention of one head over one text's L rows: q, k, v with
 * leading dimension ld (the QKV block), ctx with leading dimension h. */
static void fw_attend(int ld, int h, int dh, const float *q, const float *k,
		      const float *v, float *ctx, int L, float *score,
		      emb_prof *pr, double *t0)
{
	float scale = 1.0f / sqrtf((float)dh);
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, L, L, dh,
		    scale, q, ld, k, ld, 0.0f, score, L);
	fw_lap(pr, pr ? &pr->attention : NULL, t0);
	for (int i = 0; i < L; i++)
		emb_softmax(score + (size_t)i * L, L);
	fw_lap(pr, pr ? &pr->softmax : NULL, t0);
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, L, dh, L,
		    1.0f, score, L, v, ld, 0.0f, ctx, h);
	fw_lap(pr, pr ? &pr->attention : NULL, t0);
}

/* Waits for the whole team; thread 0 books the wait as sync time. */
static void fw_sync(fw_pass *p, int tid)
{
	if (p->nthreads <= 1)
		return;
	emb_prof *pr = tid == 0 ? p->prof : NULL;
	fw_lap(pr, pr ? &pr->other : NULL, &p->t0);
	pthread_barrier_wait(&p->bar);
	fw_lap(pr, pr ? &pr->sync : NULL, &p->t0);
}

/* The x this thread reads and writes. */
static float *fw_x(const fw_pass *p, int tid)
{
	return p->x + (p->own_x ? (size_t)tid * p->xstride : 0);
}

/* This thread's share [*lo, *hi) of n equal items. */
static void fw_share(int n, int tid, int nt, int *lo, int *hi)
{
	*lo = (int)((long)n * tid / nt);
	*hi = (int)((long)n * (tid + 1) / nt);
}

/* This thread's attention pairs (text t, head hd as unit t * heads + hd):
 * split so that each thread gets about the same sum of L^2 + L. */
static void fw_attention(fw_pass *p, int tid)
{
	const emb_config *c = &p->m->cfg;
	int h = c->hidden, dh = h / c->heads;
	double total = 0, cum = 0;
	for (int t = 0; t < p->n; t++)
		total += (double)c->heads * ((double)p->len[t] * p->len[t] + p->len[t]);
	float *score = p->score + (size_t)tid * p->maxlen * p->maxlen;
	emb_prof *pr = tid == 0 ? p->prof : NULL;
	for (int t = 0; t < p->n; t++) {
		double cost = (double)p->len[t] * p->len[t] + p->len[t];
		for (int hd = 0; hd < c->heads; hd++, cum += cost) {
			int owner = (int)((cum + cost / 2) * p->nthreads / total);
			if ((owner < p->nthreads ? owner : p->nthreads - 1) != tid)
				continue;
			const float *q = p->qkv + (size_t)p->start[t] * 3 * h +
					 (size_t)hd * dh;
			fw_attend(3 * h, h, dh, q, q + h, q + 2 * h,
				  p->ctx + (size_t)p->start[t] * h + (size_t)hd * dh,
				  p->len[t], score, pr, &p->t0);
		}
	}
}

/* The block of a projection's output one thread computes. */
typedef struct fw_block {
	int r0, r1, c0, c1;
	int cols;		/* split by columns: a barrier before row-wise use */
} fw_block;

/* One projection, y = x W^T (no bias), split by rows or by output
 * columns (see the top); returns this thread's block of y. *synced says
 * whether the team has met since x was last written by rows; a split by
 * columns reads every row, so it meets first when not. */
static fw_block fw_project(fw_pass *p, int tid, const float *x, int in,
			   const float *w, const float *packed, int out,
			   float *y, int *synced)
{
	fw_block b = { 0, p->rows, 0, out, 0 };
	emb_prof *pr = tid == 0 ? p->prof : NULL;
	if (p->nthreads > 1 && p->rows < out) {
		if (!*synced)
			fw_sync(p, tid);
		if (packed) {	/* whole panels */
			int np = (out + EMB_PANEL - 1) / EMB_PANEL;
			fw_share(np, tid, p->nthreads, &b.c0, &b.c1);
			b.c0 *= EMB_PANEL;
			b.c1 = b.c1 * EMB_PANEL < out ? b.c1 * EMB_PANEL : out;
		} else {
			fw_share(out, tid, p->nthreads, &b.c0, &b.c1);
		}
		b.cols = 1;
	} else {
		fw_share(p->rows, tid, p->nthreads, &b.r0, &b.r1);
	}
	if (packed && b.r1 > b.r0 && b.c1 > b.c0)
		emb_pack_gemm(x + (size_t)b.r0 * in, b.r1 - b.r0, in, in, packed,
			      out, b.c0, b.c1, y + (size_t)b.r0 * out, out);
	else if (!packed)
		fw_gemm(x + (size_t)b.r0 * in, b.r1 - b.r0, in, w, b.c0, b.c1,
			y + (size_t)b.r0 * out, out);
	*synced = 0;
	fw_lap(pr, pr ? &pr->linear : NULL, &p->t0);
	return b;
}

/* y += bias over block b of y (leading dimension ld). */
static void fw_bias(float *y, int ld, fw_block b, const float *bias)
{
	for (int r = b.r0; r < b.r1; r++) {
		float *row = y + (size_t)r * ld;
		for (int i = b.c0; i < b.c1; i++)
			row[i] += bias[i];
	}
}

static void fw_layer(fw_pass *p, const emb_layer *w, int tid, int r0, int nr)
{
	const emb_config *c = &p->m->cfg;
	int h = c->hidden, synced = p->own_x;
	float *x = fw_x(p, tid);
	emb_prof *pr = tid == 0 ? p->prof : NULL;
	fw_block b;
	size_t o;

	if (p->own_x) {		/* LayerNorm over all rows, into own x */
		r0 = 0;
		nr = p->rows;
	}
	o = (size_t)r0 * h;

	/* Q, K, V and their bias over this thread's block; attention reads
	 * every row of a text */
	b = fw_project(p, tid, x, h, w->qkv_w, w->qkv_p, 3 * h, p->qkv, &synced);
	fw_bias(p->qkv, 3 * h, b, w->qkv_b);
	fw_lap(pr, pr ? &pr->other : NULL, &p->t0);
	fw_sync(p, tid);
	fw_attention(p, tid);
	fw_sync(p, tid);
	synced = 1;
	/* output projection, then bias + residual + LayerNorm by rows */
	b = fw_project(p, tid, p->ctx, h, w->ao_w, w->ao_p, h, p->tmp, &synced);
	if (b.cols)
		fw_sync(p, tid);
	fw_add_norm(x + o, p->tmp + o, w->ao_b, nr, h, w->aln_g, w->aln_b,
		    c->ln_eps);
	synced = p->own_x;
	fw_lap(pr, pr ? &pr->other : NULL, &p->t0);
	/* intermediate projection, bias + GELU over the same block */
	b = fw_project(p, tid, x, h, w->i_w, w->i_p, c->inter, p->mid, &synced);
	for (int r = b.r0; r < b.r1; r++)
		emb_gelu_bias(p->mid + (size_t)r * c->inter + b.c0, w->i_b + b.c0,
			      (size_t)(b.c1 - b.c0));
	fw_lap(pr, pr ? &pr->other : NULL, &p->t0);
	if (b.cols) {
		fw_sync(p, tid);
		synced = 1;
	}
	/* output projection, then bias + residual + LayerNorm by rows */
	b = fw_project(p, tid, p->mid, c->inter, w->o_w, w->o_p, h, p->tmp, &synced);
	if (b.cols)
		fw_sync(p, tid);
	fw_add_norm(x + o, p->tmp + o, w->o_b, nr, h, w->oln_g, w->oln_b,
		    c->ln_eps);
	fw_lap(pr, pr ? &pr->other : NULL, &p->t0);
}

/* Mean over text t's rows of xa, then L2 norm, into out[t]. */
static void fw_pool(const fw_pass *p, const float *xa, int t)
{
	int h = p->m->cfg.hidden, L = p->len[t];
	const float *x = xa + (size_t)p->start[t] * h;
	float *out = p->out + (size_t)t * h;
	double nn = 0;
	for (int i = 0; i < h; i++) {
		double acc = 0;
		for (int r = 0; r < L; r++)
			acc += x[(size_t)r * h + i];
		out[i] = (float)(acc / L);
		nn += (double)out[i] * out[i];
	}
	/* sentence-transformers' normalize: x / max(|x|, 1e-12) */
	double norm = sqrt(nn) > 1e-12 ? sqrt(nn) : 1e-12;
	for (int i = 0; i < h; i++)
		out[i] = (float)(out[i] / norm);
}

/* One thread's part of the whole pass. */
static void fw_run(fw_pass *p, int tid)
{
	const emb_model *m = p->m;
	const emb_config *c = &m->cfg;
	int h = c->hidden, r0 = 0, r1 = p->rows, t0i, t1i;
	emb_prof *pr = tid == 0 ? p->prof : NULL;
	float *xa = fw_x(p, tid);

	if (pr)
		p->t0 = fw_now();
	if (!p->own_x)
		fw_share(p->rows, tid, p->nthreads, &r0, &r1);
	/* word + position + token type 0 embeddings, then LayerNorm */
	for (int r = r0; r < r1; r++) {
		const float *we = m->word + (size_t)p->tok[r] * h;
		const float *pe = m->pos + (size_t)p->pos[r] * h;
		float *x = xa + (size_t)r * h;
		for (int i = 0; i < h; i++)
			x[i] = we[i] + pe[i] + m->type[i];
	}
	fw_add_norm(xa + (size_t)r0 * h, NULL, NULL, r1 - r0, h, m->eln_g,
		    m->eln_b, c->ln_eps);
	fw_lap(pr, pr ? &pr->other : NULL, &p->t0);
	for (int l = 0; l < c->layers; l++)
		fw_layer(p, &m->layer[l], tid, r0, r1 - r0);
	if (!p->own_x)
		fw_sync(p, tid);	/* pooling reads every row of a text */
	fw_share(p->n, tid, p->nthreads, &t0i, &t1i);
	for (int t = t0i; t < t1i; t++)
		fw_pool(p, xa, t);
	fw_lap(pr, pr ? &pr->other : NULL, &p->t0);
}

static void *fw_helper(void *arg)
{
	fw_arg *a = arg;
	fw_pass *p = a->p;
	pthread_mutex_lock(&p->lock);
	while (!p->open)
		pthread_cond_wait(&p->go, &p->lock);
	pthread_mutex_unlock(&p->lock);
	if (a->tid < p->nthreads)
		fw_run(p, a->tid);
	return NULL;
}

/* Runs the pass on up to want threads, the caller included. Helpers wait
 * at the gate until the team's size is known, so a helper that fails to
 * start only shrinks the team (the barrier never waits for it). */
static void fw_team(fw_pass *p, int want)
{
	pthread_t tids[EMB_MAX_THREADS];
	fw_arg args[EMB_MAX_THREADS];
	int started = 0;

	p->nthreads = 1;
	p->open = 0;
	if (want > 1 && pthread_mutex_init(&p->lock, NULL) != 0)
		want = 1;
	if (want > 1 && pthread_cond_init(&p->go, NULL) != 0) {
		pthread_mutex_destroy(&p->lock);
		want = 1;
	}
	for (int i = 1; i < want; i++) {
		args[started] = (fw_arg){ p, started + 1 };
		if (pthread_create(&tids[started], NULL, fw_helper, &args[started]) != 0)
			break;
		started++;
	}
	if (started && pthread_barrier_init(&p->bar, NULL, (unsigned)started + 1) == 0)
		p->nthreads = started + 1;
	if (want > 1) {
		pthread_mutex_lock(&p->lock);
		p->open = 1;
		pthread_cond_broadcast(&p->go);
		pthread_mutex_unlock(&p->lock);
	}
	fw_run(p, 0);
	for (int i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	if (p->nthreads > 1)
		pthread_barrier_destroy(&p->bar);
	if (want > 1) {
		pthread_cond_destroy(&p->go);
		pthread_mutex_destroy(&p->lock);
	}
}

void emb_model_set_threads(emb_model *m, int threads)
{
	m->threads = threads < 1 ? 1 : threads > EMB_MAX_THREADS ?
		     EMB_MAX_THREADS : threads;
	openblas_set_num_threads(1);
}

/* Floats of scratch rounded up to whole 64-byte lines. */
static size_t fw_round(size_t n)
{
	return (n + 15) & ~(size_t)15;
}

int emb_forward(const emb_model *m, const int32_t *const *ids,
		const int *len, int n, float *out, char *err, size_t errlen)
{
	return emb_forward_prof(m, ids, len, n, out, NULL, err, errlen);
}

int emb_forward_prof(const emb_model *m, const int32_t *const *ids,
		     const int *len, int n, float *out, emb_prof *prof,
		     char *err, size_t errlen)
{
	const emb_config *c = &m->cfg;
	int rc = -1, rows = 0, maxlen = 0;
	size_t h = (size_t)c->hidden, cap = 0;
	int *start = calloc((size_t)(n > 0 ? n : 1), sizeof *start);
	int32_t *tok = NULL;
	int *pos = NULL;
	float *blk = NULL;
	fw_pass p = { .m = m, .n = n, .len = len, .start = start, .out = out,
		      .prof = prof };

	if (!start)
		goto oom;
	for (int t = 0; t < n; t++) {
		if (len[t] < 1 || len[t] > c->max_pos) {
			snprintf(err, errlen, "text %d has %d tokens; the model "
				 "takes 1 to %d", t, len[t], c->max_pos);
			goto out;
		}
		start[t] = rows;
		rows += len[t];
		if (len[t] > maxlen)
			maxlen = len[t];
	}
	if (n <= 0) {
		rc = 0;
		goto out;
	}
	tok = malloc((size_t)rows * sizeof *tok);
	pos = malloc((size_t)rows * sizeof *pos);
	if (!tok || !pos)
		goto oom;
	for (int t = 0, r = 0; t < n; t++) {
		for (int i = 0; i < len[t]; i++, r++) {
			int32_t id = ids[t][i];
			if (id < 0 || id >= c->vocab) {
				snprintf(err, errlen, "text %d: token id %d is "
					 "outside the vocabulary (%d)", t, id, c->vocab);
				goto out;
			}
			tok[r] = id;
			pos[r] = i;
		}
	}
	/* a handful of rows is not worth a thread's start-up and barriers,
	 * even split by columns */
	int want = m->threads < 1 ? 1 : m->threads;
	if (want > 1 && rows < 8)
		want = 1;
	size_t rh = fw_round((size_t)rows * h);
	p.own_x = want > 1 && rows < c->hidden;
	p.xstride = rh;
	size_t need = (p.own_x ? (size_t)want + 5 : 6) * rh +
		      fw_round((size_t)rows * (size_t)c->inter) +
		      (size_t)want * (size_t)maxlen * (size_t)maxlen;
	blk = emb_pool_get(m->pool, need, &cap);
	if (!blk)
		goto oom;
	p.rows = rows;
	p.maxlen = maxlen;
	p.tok = tok;
	p.pos = pos;
	p.x = blk;
	p.qkv = p.x + (p.own_x ? (size_t)want : 1) * rh;
	p.ctx = p.qkv + 3 * rh;
	p.tmp = p.ctx + rh;
	p.mid = p.tmp + rh;
	p.score = p.mid + fw_round((size_t)rows * (size_t)c->inter);
	fw_team(&p, want);
	rc = 0;
	goto out;
oom:
	snprintf(err, errlen, "embedding %d texts: out of memory", n);
out:
	emb_pool_put(m->pool, blk, cap);
	free(tok);
	free(pos);
	free(start);
	return rc;
}

double emb_forward_flops(const emb_config *c, int len)
{
	double h = c->hidden, i = c->inter, L = len;
	/* per layer: Q, K, V, output (4 h^2), FFN (2 h i) per token, and
	 * the two attention products (2 L^2 h) per text; 2 flops per MAC */
	return c->layers * (2.0 * L * (4.0 * h * h + 2.0 * h * i) + 4.0 * L * L * h);
}
