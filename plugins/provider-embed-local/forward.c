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
 * started per call), OpenBLAS single-threaded inside each. A pass goes
 * one of two ways:
 *   - row-wise (fw_run_rows): each thread works on its own rows through
 *     every projection, attention by query rows, and the team meets once
 *     a layer (after Q, K and V, which attention reads for every row).
 *     The rows are re-shared at each meeting by how fast each thread
 *     went. On packed weights (AVX-512) whenever there are 8 rows or
 *     more a thread: each thread then streams all of the weights, but
 *     meets its team 7 times a pass instead of 30, which was faster at
 *     16 to 128 tokens (docs/embeddings.md). On OpenBLAS, which packs
 *     the weights on every call, only when every projection has fewer
 *     outputs than the batch has rows;
 *   - by columns otherwise (fw_layer): each projection with fewer outputs
 *     than rows is split by output columns, each thread multiplying all
 *     rows by its share of the weights, between barriers; the others by
 *     rows. LayerNorm and residuals go by rows (all rows in every
 *     thread, on its own copy of x, when all projections go by columns:
 *     see own_x); the intermediate projection's bias and GELU go with
 *     whichever slice the thread computed. Attention's (text, head)
 *     pairs are split by cost between two barriers.
 * Q, K and V come from one product over the stacked weight made at load.
 * On CPUs with AVX-512 the projections and attention's two products run
 * on weights packed at load, and K and V packed per pass (pack.c): no
 * per-call packing of the weights, column splits in whole panels, and
 * each output is one chain of multiply-adds in a fixed order, so a
 * text's vector is the same whatever the batch or the split.
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
	/* a row-wise pass (fw_rowwise, fw_run_rows): Q, K and V in two
	 * buffers qkvstride floats apart, packed K and V kvstride apart */
	int rowwise;
	size_t qkvstride;
	/* rows per second each thread went in the last phase, two slots
	 * (fw_run_rows) */
	double rate[2][EMB_MAX_THREADS];
	const int *len, *start;		/* per text */
	const int32_t *tok;		/* per row: token id */
	const int *pos;			/* per row: position in its text */
	float *x, *qkv, *ctx, *tmp, *mid, *out;
	/* attention's scores, scorestride floats per thread */
	float *score;
	size_t scorestride;
	/* packed weights: attention's K and V packed too, text t's from
	 * kv + kvoff[t] (fw_kv) */
	int packed;
	float *kv;
	size_t *kvoff, kvstride;
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

/* Floats of scratch rounded up to whole 64-byte lines. */
static size_t fw_round(size_t n)
{
	return (n + 15) & ~(size_t)15;
}

/* Where text t's head hd keeps its packed K and V in kv (p->kv, or its
 * second buffer; packed weights only). */
static float *fw_kv(const fw_pass *p, float *kv, int t, int hd, float **vp)
{
	int dh = p->m->cfg.hidden / p->m->cfg.heads, L = p->len[t];
	size_t kf = fw_round(emb_pack_floats(L, dh));
	size_t vf = fw_round(emb_pack_floats(dh, L));
	float *kp = kv + p->kvoff[t] + (size_t)hd * (kf + vf);
	*vp = kp + kf;
	return kp;
}

/* Packs rows [j0, j1) of text t's K and V for head hd into kv: the
 * score product takes K as its weights, the context product V. */
static void fw_pack_head(const fw_pass *p, const float *qkv, float *kv, int t,
			 int hd, int j0, int j1)
{
	int h = p->m->cfg.hidden, dh = h / p->m->cfg.heads, L = p->len[t];
	float *vp, *kp = fw_kv(p, kv, t, hd, &vp);
	const float *k = qkv + (size_t)p->start[t] * 3 * h + h + (size_t)hd * dh;
	emb_pack_part(kp, k, (size_t)3 * h, L, dh, j0, j1);
	emb_pack_t_part(vp, k + h, (size_t)3 * h, dh, L, j0, j1);
}

/* Self-attention of text t's head hd for its nq query rows from q0 (an
 * absolute row): Q, K and V from qkv (leading dimension 3h), the context
 * into p->ctx; score is the thread's scratch (nq x L floats). On packed
 * weights both products run on that kernel, with K and V packed by
 * fw_pack_head: every score and context element is one chain in a fixed
 * order, so a row's result does not depend on how many query rows come
 * with it (the split of rows between threads). */
static void fw_attend(const fw_pass *p, const float *qkv, float *kv, int t,
		      int hd, int q0, int nq, float *score, emb_prof *pr,
		      double *t0)
{
	const emb_config *c = &p->m->cfg;
	int h = c->hidden, dh = h / c->heads, ld = 3 * h, L = p->len[t];
	float scale = 1.0f / sqrtf((float)dh);
	const float *q = qkv + (size_t)q0 * ld + (size_t)hd * dh;
	const float *k = qkv + (size_t)p->start[t] * ld + h + (size_t)hd * dh;
	float *ctx = p->ctx + (size_t)q0 * h + (size_t)hd * dh;
	float *kp = NULL, *vp = NULL;

	if (p->packed) {
		kp = fw_kv(p, kv, t, hd, &vp);
		emb_pack_gemm(q, nq, ld, dh, kp, L, 0, L, NULL, score, L);
	} else {
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nq, L, dh,
			    1.0f, q, ld, k, ld, 0.0f, score, L);
	}
	fw_lap(pr, pr ? &pr->attention : NULL, t0);
	for (int i = 0; i < nq; i++)
		emb_softmax(score + (size_t)i * L, L, scale);
	fw_lap(pr, pr ? &pr->softmax : NULL, t0);
	if (p->packed)
		emb_pack_gemm(score, nq, L, L, vp, dh, 0, dh, NULL, ctx, h);
	else
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, nq, dh, L,
			    1.0f, score, L, k + h, ld, 0.0f, ctx, h);
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
	double total = 0, cum = 0;
	for (int t = 0; t < p->n; t++)
		total += (double)c->heads * ((double)p->len[t] * p->len[t] + p->len[t]);
	float *score = p->score + (size_t)tid * p->scorestride;
	emb_prof *pr = tid == 0 ? p->prof : NULL;
	for (int t = 0; t < p->n; t++) {
		double cost = (double)p->len[t] * p->len[t] + p->len[t];
		for (int hd = 0; hd < c->heads; hd++, cum += cost) {
			int owner = (int)((cum + cost / 2) * p->nthreads / total);
			if ((owner < p->nthreads ? owner : p->nthreads - 1) != tid)
				continue;
			if (p->packed)	/* this head is ours alone */
				fw_pack_head(p, p->qkv, p->kv, t, hd, 0, p->len[t]);
			fw_attend(p, p->qkv, p->kv, t, hd, p->start[t], p->len[t],
				  score, pr, &p->t0);
		}
	}
}

/* Attention for this thread's query rows [r0, r1), every head, against
 * all the rows of their texts (row-wise passes: see fw_run_rows; K and
 * V are packed already). */
static void fw_attention_rows(fw_pass *p, int tid, const float *qkv,
			      float *kv, int r0, int r1)
{
	const emb_config *c = &p->m->cfg;
	float *score = p->score + (size_t)tid * p->scorestride;
	emb_prof *pr = tid == 0 ? p->prof : NULL;
	for (int t = 0; t < p->n; t++) {
		int s = p->start[t], e = s + p->len[t];
		int q0 = s > r0 ? s : r0, q1 = e < r1 ? e : r1;
		if (q0 >= q1)
			continue;
		for (int hd = 0; hd < c->heads; hd++)
			fw_attend(p, qkv, kv, t, hd, q0, q1 - q0, score, pr,
				  &p->t0);
	}
}

/* Packs K and V of this thread's rows [r0, r1), every text they touch. */
static void fw_pack_kv_rows(const fw_pass *p, const float *qkv, float *kv,
			    int r0, int r1)
{
	for (int t = 0; t < p->n; t++) {
		int s = p->start[t], e = s + p->len[t];
		int j0 = s > r0 ? s : r0, j1 = e < r1 ? e : r1;
		for (int hd = 0; j0 < j1 && hd < p->m->cfg.heads; hd++)
			fw_pack_head(p, qkv, kv, t, hd, j0 - s, j1 - s);
	}
}

/* The block of a projection's output one thread computes. */
typedef struct fw_block {
	int r0, r1, c0, c1;
	int cols;		/* split by columns: a barrier before row-wise use */
} fw_block;

/* y += bias over block b of y (leading dimension ld). */
static void fw_bias(float *y, int ld, fw_block b, const float *bias)
{
	for (int r = b.r0; r < b.r1; r++) {
		float *row = y + (size_t)r * ld;
		for (int i = b.c0; i < b.c1; i++)
			row[i] += bias[i];
	}
}

/* Block b of y = x W^T (+ bias when not NULL). */
static void fw_project_block(fw_pass *p, int tid, const float *x, int in,
			     const float *w, const float *packed, int out,
			     const float *bias, float *y, fw_block b)
{
	emb_prof *pr = tid == 0 ? p->prof : NULL;
	if (packed && b.r1 > b.r0 && b.c1 > b.c0)
		emb_pack_gemm(x + (size_t)b.r0 * in, b.r1 - b.r0, in, in, packed,
			      out, b.c0, b.c1, bias, y + (size_t)b.r0 * out, out);
	else if (!packed) {
		fw_gemm(x + (size_t)b.r0 * in, b.r1 - b.r0, in, w, b.c0, b.c1,
			y + (size_t)b.r0 * out, out);
		if (bias)
			fw_bias(y, out, b, bias);
	}
	fw_lap(pr, pr ? &pr->linear : NULL, &p->t0);
}

/* One projection, y = x W^T (+ bias when not NULL), split by rows or by
 * output columns (see the top); returns this thread's block of y.
 * *synced says whether the team has met since x was last written by
 * rows; a split by columns reads every row, so it meets first when not. */
static fw_block fw_project(fw_pass *p, int tid, const float *x, int in,
			   const float *w, const float *packed, int out,
			   const float *bias, float *y, int *synced)
{
	fw_block b = { 0, p->rows, 0, out, 0 };
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
	fw_project_block(p, tid, x, in, w, packed, out, bias, y, b);
	*synced = 0;
	return b;
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
	fw_project(p, tid, x, h, w->qkv_w, w->qkv_p, 3 * h, w->qkv_b, p->qkv,
		   &synced);
	fw_sync(p, tid);
	fw_attention(p, tid);
	fw_sync(p, tid);
	synced = 1;
	/* output projection, then bias + residual + LayerNorm by rows */
	b = fw_project(p, tid, p->ctx, h, w->ao_w, w->ao_p, h, NULL, p->tmp,
		       &synced);
	if (b.cols)
		fw_sync(p, tid);
	emb_add_norm(x + o, p->tmp + o, w->ao_b, nr, h, w->aln_g, w->aln_b,
		     c->ln_eps);
	synced = p->own_x;
	fw_lap(pr, pr ? &pr->other : NULL, &p->t0);
	/* intermediate projection, bias + GELU over the same block */
	b = fw_project(p, tid, x, h, w->i_w, w->i_p, c->inter, NULL,
		       p->mid, &synced);
	for (int r = b.r0; r < b.r1; r++)
		emb_gelu_bias(p->mid + (size_t)r * c->inter + b.c0, w->i_b + b.c0,
			      (size_t)(b.c1 - b.c0));
	fw_lap(pr, pr ? &pr->other : NULL, &p->t0);
	if (b.cols) {
		fw_sync(p, tid);
		synced = 1;
	}
	/* output projection, then bias + residual + LayerNorm by rows */
	b = fw_project(p, tid, p->mid, c->inter, w->o_w, w->o_p, h, NULL, p->tmp,
		       &synced);
	if (b.cols)
		fw_sync(p, tid);
	emb_add_norm(x + o, p->tmp + o, w->o_b, nr, h, w->oln_g, w->oln_b,
		     c->ln_eps);
	fw_lap(pr, pr ? &pr->other : NULL, &p->t0);
}

/* Row-wise passes (every projection split by rows): a thread works on
 * its own rows only, attention by query rows too, so the team meets once
 * a layer, after Q, K and V (attention reads every row's K and V). A
 * phase runs from one meeting to the next: layer l's attention to its
 * last LayerNorm, then layer l + 1's Q, K and V (packed too) for the same
 * rows. Q, K and V, and their packed copies, alternate between two
 * buffers by layer: the next layer's may be written while another
 * thread still reads this one's.
 *
 * The rows of a phase are shared in proportion to how fast each thread
 * went in the last one: the two cores of a virtual machine often run at
 * different speeds (here, two copies of one kernel ran at 128 and 86
 * GFLOP/s side by side), and an equal split waits for the slower one.
 * A row's result does not depend on the thread that computes it. */

/* Layer l's Q, K and V (with bias) for rows [r0, r1), packed too. */
static void fw_qkv_rows(fw_pass *p, int l, int tid, int r0, int r1)
{
	const emb_layer *w = &p->m->layer[l];
	int h = p->m->cfg.hidden;
	float *qkv = p->qkv + (size_t)(l & 1) * p->qkvstride;
	emb_prof *pr = tid == 0 ? p->prof : NULL;
	fw_block b = { r0, r1, 0, 3 * h, 0 };

	fw_project_block(p, tid, p->x, h, w->qkv_w, w->qkv_p, 3 * h, w->qkv_b,
			 qkv, b);
	if (p->packed) {
		fw_pack_kv_rows(p, qkv, p->kv + (size_t)(l & 1) * p->kvstride,
				r0, r1);
		fw_lap(pr, pr ? &pr->attention : NULL, &p->t0);
	}
}

/* The rest of layer l for rows [r0, r1): attention, output projection,
 * LayerNorm, feed-forward, LayerNorm. */
static void fw_tail_rows(fw_pass *p, int l, int tid, int r0, int r1)
{
	const emb_config *c = &p->m->cfg;
	const emb_layer *w = &p->m->layer[l];
	int h = c->hidden, nr = r1 - r0;
	float *x = p->x, *qkv = p->qkv + (size_t)(l & 1) * p->qkvstride;
	emb_prof *pr = tid == 0 ? p->prof : NULL;
	size_t o = (size_t)r0 * h;

	fw_attention_rows(p, tid, qkv, p->kv + (size_t)(l & 1) * p->kvstride,
			  r0, r1);
	fw_project_block(p, tid, p->ctx, h, w->ao_w, w->ao_p, h, NULL, p->tmp,
			 (fw_block){ r0, r1, 0, h, 0 });
	emb_add_norm(x + o, p->tmp + o, w->ao_b, nr, h, w->aln_g, w->aln_b,
		     c->ln_eps);
	fw_lap(pr, pr ? &pr->other : NULL, &p->t0);
	fw_project_block(p, tid, x, h, w->i_w, w->i_p, c->inter, NULL, p->mid,
			 (fw_block){ r0, r1, 0, c->inter, 0 });
	for (int r = r0; r < r1; r++)
		emb_gelu_bias(p->mid + (size_t)r * c->inter, w->i_b,
			      (size_t)c->inter);
	fw_lap(pr, pr ? &pr->other : NULL, &p->t0);
	fw_project_block(p, tid, p->mid, c->inter, w->o_w, w->o_p, h, NULL,
			 p->tmp, (fw_block){ r0, r1, 0, h, 0 });
	emb_add_norm(x + o, p->tmp + o, w->o_b, nr, h, w->oln_g, w->oln_b,
		     c->ln_eps);
	fw_lap(pr, pr ? &pr->other : NULL, &p->t0);
}

/* Word + position + token type 0 embeddings of rows [r0, r1) into xa,
 * then LayerNorm. */
static void fw_embed(const fw_pass *p, float *xa, int r0, int r1)
{
	const emb_model *m = p->m;
	int h = m->cfg.hidden;
	for (int r = r0; r < r1; r++) {
		const float *we = m->word + (size_t)p->tok[r] * h;
		const float *pe = m->pos + (size_t)p->pos[r] * h;
		float *x = xa + (size_t)r * h;
		for (int i = 0; i < h; i++)
			x[i] = we[i] + pe[i] + m->type[i];
	}
	emb_add_norm(xa + (size_t)r0 * h, NULL, NULL, r1 - r0, h, m->eln_g,
		     m->eln_b, m->cfg.ln_eps);
}

/* One thread's part of a row-wise pass up to pooling (see above). */
static void fw_run_rows(fw_pass *p, int tid)
{
	int layers = p->m->cfg.layers, r0, r1;
	emb_prof *pr = tid == 0 ? p->prof : NULL;
	double t;

	fw_share(p->rows, tid, p->nthreads, &r0, &r1);
	t = fw_now();
	fw_embed(p, p->x, r0, r1);
	fw_lap(pr, pr ? &pr->other : NULL, &p->t0);
	fw_qkv_rows(p, 0, tid, r0, r1);
	for (int l = 0; l < layers; l++) {
		/* slot l & 1: a thread may still read the other one, until
		 * it reaches the next meeting */
		p->rate[l & 1][tid] = r1 > r0 ? (r1 - r0) / (fw_now() - t + 1e-9) : 0;
		fw_sync(p, tid);
		emb_share_rows(p->rate[l & 1], p->nthreads, p->rows, tid, &r0, &r1);
		t = fw_now();
		fw_tail_rows(p, l, tid, r0, r1);
		if (l + 1 < layers)
			fw_qkv_rows(p, l + 1, tid, r0, r1);
	}
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
	int r0 = 0, r1 = p->rows, t0i, t1i;
	emb_prof *pr = tid == 0 ? p->prof : NULL;
	float *xa = fw_x(p, tid);

	if (pr)
		p->t0 = fw_now();
	if (p->rowwise) {
		fw_run_rows(p, tid);
	} else {
		if (!p->own_x)
			fw_share(p->rows, tid, p->nthreads, &r0, &r1);
		fw_embed(p, xa, r0, r1);
		fw_lap(pr, pr ? &pr->other : NULL, &p->t0);
		for (int l = 0; l < c->layers; l++)
			fw_layer(p, &m->layer[l], tid, r0, r1 - r0);
	}
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

/* Rows per thread from which a pass on packed weights goes row-wise
 * (fewer: 8 to 15 rows on two threads, both ways measured the same). */
#define FW_ROWS_MIN 8

/* 1 when a pass of rows on want threads goes by rows throughout. On
 * OpenBLAS, which packs the weights on every call, only when every
 * projection has fewer outputs than the batch has rows (see the top). */
static int fw_rowwise(const emb_model *m, int rows, int want)
{
	const emb_config *c = &m->cfg;
	if (want <= 1)
		return 0;
	if (m->layer[0].qkv_p)	/* packed */
		return rows >= want * FW_ROWS_MIN;
	return rows >= 3 * c->hidden && rows >= c->inter;
}

void emb_model_set_threads(emb_model *m, int threads)
{
	m->threads = threads < 1 ? 1 : threads > EMB_MAX_THREADS ?
		     EMB_MAX_THREADS : threads;
	openblas_set_num_threads(1);
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
	int rc = -1, rows = 0, maxlen = 0, dh = c->hidden / c->heads;
	size_t h = (size_t)c->hidden, cap = 0;
	int *start = calloc((size_t)(n > 0 ? n : 1), sizeof *start);
	int32_t *tok = NULL;
	int *pos = NULL;
	size_t *kvoff = NULL;
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
	p.rowwise = fw_rowwise(m, rows, want);
	p.own_x = want > 1 && !p.rowwise && rows < c->hidden;
	p.xstride = rh;
	p.qkvstride = 3 * rh;
	p.packed = m->layer[0].qkv_p != NULL;
	p.scorestride = fw_round((size_t)maxlen * (size_t)maxlen);
	size_t kvf = 0;
	if (p.packed) {
		kvoff = malloc((size_t)n * sizeof *kvoff);
		if (!kvoff)
			goto oom;
		for (int t = 0; t < n; t++) {
			kvoff[t] = kvf;
			kvf += (size_t)c->heads *
			       (fw_round(emb_pack_floats(len[t], dh)) +
				fw_round(emb_pack_floats(dh, len[t])));
		}
	}
	size_t need = (p.own_x ? (size_t)want + 5 : 6) * rh +
		      (p.rowwise ? 3 * rh : 0) +
		      fw_round((size_t)rows * (size_t)c->inter) +
		      (size_t)want * p.scorestride + (p.rowwise ? 2 : 1) * kvf;
	blk = emb_pool_get(m->pool, need, &cap);
	if (!blk)
		goto oom;
	p.rows = rows;
	p.maxlen = maxlen;
	p.tok = tok;
	p.pos = pos;
	p.x = blk;
	p.qkv = p.x + (p.own_x ? (size_t)want : 1) * rh;
	p.ctx = p.qkv + (p.rowwise ? 6 : 3) * rh;
	p.tmp = p.ctx + rh;
	p.mid = p.tmp + rh;
	p.score = p.mid + fw_round((size_t)rows * (size_t)c->inter);
	p.kv = p.score + (size_t)want * p.scorestride;
	p.kvoff = kvoff;
	p.kvstride = kvf;
	fw_team(&p, want);
	rc = 0;
	goto out;
oom:
	snprintf(err, errlen, "embedding %d texts: out of memory", n);
out:
	emb_pool_put(m->pool, blk, cap);
	free(kvoff);
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
