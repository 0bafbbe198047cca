/*
 * forward.c: the BERT encoder for sentence embeddings.
 *
 * The texts of a batch are packed row after row (no padding rows at all,
 * which is what padding to the longest text plus the attention mask
 * computes, without the wasted work). Linear layers run as one
 * cblas_sgemm over all rows; attention runs per text and head over that
 * text's own rows, so padding never enters a softmax. Then mean pooling
 * over each text's tokens ([CLS] and [SEP] included) and L2 norm.
 *
 * All scratch is allocated per call: the model is read-only, so several
 * threads may embed with one model at once.
 */
#include "embed.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct fw_buf {
	float *x, *q, *k, *v, *ctx, *tmp, *mid, *score;
} fw_buf;

/* y[rows, out] = x[rows, in] * W^T + b, W in PyTorch's [out, in] order. */
static void fw_linear(const float *x, int rows, int in, const float *w,
		      const float *b, int out, float *y)
{
	for (int r = 0; r < rows; r++)
		memcpy(y + (size_t)r * out, b, (size_t)out * sizeof *y);
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, out, in,
		    1.0f, x, in, w, in, 1.0f, y, out);
}

/* x = LayerNorm(x + add) row by row; add may be NULL. */
static void fw_add_norm(float *x, const float *add, int rows, int h,
			const float *g, const float *b, float eps)
{
	for (int r = 0; r < rows; r++) {
		float *row = x + (size_t)r * h;
		const float *a = add ? add + (size_t)r * h : NULL;
		double sum = 0, sq = 0;
		for (int i = 0; i < h; i++) {
			if (a)
				row[i] += a[i];
			sum += row[i];
		}
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

static void fw_gelu(float *x, size_t n)
{
	for (size_t i = 0; i < n; i++)
		x[i] = 0.5f * x[i] * (1.0f + erff(x[i] * (float)M_SQRT1_2));
}

static void fw_softmax(float *s, int n)
{
	float mx = s[0], sum = 0;
	for (int j = 1; j < n; j++)
		if (s[j] > mx)
			mx = s[j];
	for (int j = 0; j < n; j++) {
		s[j] = expf(s[j] - mx);
		sum += s[j];
	}
	float inv = 1.0f / sum;
	for (int j = 0; j < n; j++)
		s[j] *= inv;
}

/* Self-attention for one text (rows [0, L) of q, k, v; leading dim h). */
static void fw_attend(const emb_config *c, const float *q, const float *k,
		      const float *v, float *ctx, int L, float *score)
{
	int h = c->hidden, dh = h / c->heads;
	float scale = 1.0f / sqrtf((float)dh);
	for (int hd = 0; hd < c->heads; hd++) {
		size_t o = (size_t)hd * dh;
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, L, L, dh,
			    scale, q + o, h, k + o, h, 0.0f, score, L);
		for (int i = 0; i < L; i++)
			fw_softmax(score + (size_t)i * L, L);
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, L, dh, L,
			    1.0f, score, L, v + o, h, 0.0f, ctx + o, h);
	}
}

static double fw_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Adds the time since *t0 to *acc and restarts *t0 (only when profiling). */
static void fw_lap(emb_prof *p, double *acc, double *t0)
{
	if (!p)
		return;
	double t = fw_now();
	*acc += t - *t0;
	*t0 = t;
}

static void fw_layer(const emb_config *c, const emb_layer *w, fw_buf *b,
		     int rows, const int *start, const int *len, int n,
		     emb_prof *p)
{
	int h = c->hidden;
	double t0 = p ? fw_now() : 0;
	fw_linear(b->x, rows, h, w->q_w, w->q_b, h, b->q);
	fw_linear(b->x, rows, h, w->k_w, w->k_b, h, b->k);
	fw_linear(b->x, rows, h, w->v_w, w->v_b, h, b->v);
	fw_lap(p, p ? &p->linear : NULL, &t0);
	for (int t = 0; t < n; t++) {
		size_t o = (size_t)start[t] * h;
		fw_attend(c, b->q + o, b->k + o, b->v + o, b->ctx + o, len[t],
			  b->score);
	}
	fw_lap(p, p ? &p->attention : NULL, &t0);
	fw_linear(b->ctx, rows, h, w->ao_w, w->ao_b, h, b->tmp);
	fw_lap(p, p ? &p->linear : NULL, &t0);
	fw_add_norm(b->x, b->tmp, rows, h, w->aln_g, w->aln_b, c->ln_eps);
	fw_lap(p, p ? &p->other : NULL, &t0);
	fw_linear(b->x, rows, h, w->i_w, w->i_b, c->inter, b->mid);
	fw_lap(p, p ? &p->linear : NULL, &t0);
	fw_gelu(b->mid, (size_t)rows * c->inter);
	fw_lap(p, p ? &p->other : NULL, &t0);
	fw_linear(b->mid, rows, c->inter, w->o_w, w->o_b, h, b->tmp);
	fw_lap(p, p ? &p->linear : NULL, &t0);
	fw_add_norm(b->x, b->tmp, rows, h, w->oln_g, w->oln_b, c->ln_eps);
	fw_lap(p, p ? &p->other : NULL, &t0);
}

/* Word + position + token type 0 embeddings, then LayerNorm. */
static int fw_embed(const emb_model *m, const int32_t *const *ids,
		    const int *len, int n, float *x, char *err, size_t errlen)
{
	const emb_config *c = &m->cfg;
	int h = c->hidden;
	for (int t = 0; t < n; t++) {
		if (len[t] < 1 || len[t] > c->max_pos) {
			snprintf(err, errlen, "text %d has %d tokens; the model "
				 "takes 1 to %d", t, len[t], c->max_pos);
			return -1;
		}
		for (int p = 0; p < len[t]; p++, x += h) {
			int32_t id = ids[t][p];
			if (id < 0 || id >= c->vocab) {
				snprintf(err, errlen, "text %d: token id %d is "
					 "outside the vocabulary (%d)", t, id, c->vocab);
				return -1;
			}
			const float *we = m->word + (size_t)id * h;
			const float *pe = m->pos + (size_t)p * h;
			for (int i = 0; i < h; i++)
				x[i] = we[i] + pe[i] + m->type[i];
		}
	}
	return 0;
}

/* Mean over each text's rows, then L2 norm, into out[n, h]. */
static void fw_pool(const float *x, int h, const int *len, int n, float *out)
{
	for (int t = 0; t < n; t++, out += h, x += (size_t)len[t - 1] * h) {
		double nn = 0;
		for (int i = 0; i < h; i++) {
			double acc = 0;
			for (int p = 0; p < len[t]; p++)
				acc += x[(size_t)p * h + i];
			out[i] = (float)(acc / len[t]);
			nn += (double)out[i] * out[i];
		}
		/* sentence-transformers' normalize: x / max(|x|, 1e-12) */
		double norm = sqrt(nn) > 1e-12 ? sqrt(nn) : 1e-12;
		for (int i = 0; i < h; i++)
			out[i] = (float)(out[i] / norm);
	}
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
	size_t h = (size_t)c->hidden;
	int *start = calloc((size_t)(n > 0 ? n : 1), sizeof *start);
	fw_buf b = { 0 };

	if (!start)
		goto oom;
	for (int t = 0; t < n; t++) {
		start[t] = rows;
		rows += len[t] > 0 ? len[t] : 0;
		if (len[t] > maxlen)
			maxlen = len[t];
	}
	if (n == 0) {
		rc = 0;
		goto out;
	}
	size_t r = (size_t)(rows > 0 ? rows : 1);
	b.x = malloc(r * h * sizeof(float));
	b.q = malloc(r * h * sizeof(float));
	b.k = malloc(r * h * sizeof(float));
	b.v = malloc(r * h * sizeof(float));
	b.ctx = malloc(r * h * sizeof(float));
	b.tmp = malloc(r * h * sizeof(float));
	b.mid = malloc(r * (size_t)c->inter * sizeof(float));
	b.score = malloc((size_t)(maxlen > 0 ? maxlen : 1) * (size_t)maxlen * sizeof(float) + sizeof(float));
	if (!b.x || !b.q || !b.k || !b.v || !b.ctx || !b.tmp || !b.mid || !b.score)
		goto oom;
	double t0 = prof ? fw_now() : 0;
	if (fw_embed(m, ids, len, n, b.x, err, errlen) < 0)
		goto out;
	fw_add_norm(b.x, NULL, rows, c->hidden, m->eln_g, m->eln_b, c->ln_eps);
	fw_lap(prof, prof ? &prof->other : NULL, &t0);
	for (int l = 0; l < c->layers; l++)
		fw_layer(c, &m->layer[l], &b, rows, start, len, n, prof);
	t0 = prof ? fw_now() : 0;
	fw_pool(b.x, c->hidden, len, n, out);
	fw_lap(prof, prof ? &prof->other : NULL, &t0);
	rc = 0;
	goto out;
oom:
	snprintf(err, errlen, "embedding %d texts: out of memory", n);
out:
	free(b.x);
	free(b.q);
	free(b.k);
	free(b.v);
	free(b.ctx);
	free(b.tmp);
	free(b.mid);
	free(b.score);
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
