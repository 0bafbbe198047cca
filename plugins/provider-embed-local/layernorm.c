/*
 * layernorm.c: residual add + bias + LayerNorm, sixteen lanes at a time.
 *
 * The scalar loops it replaces (double sums, which GCC at -O2 does not
 * vectorise) took 13% of a 128-token text's time on two threads, more
 * than attention and softmax together: when a batch has fewer rows than
 * the hidden size every thread normalises all rows itself (forward.c,
 * own_x). Sums are float, sixteen partial sums per row in a fixed order
 * added up in a fixed order, so a row's result depends only on the row:
 * a text's vector stays the same alone and in any batch. Mean first,
 * then the variance of the deviations (two passes, no cancellation).
 */
#include "embed.h"

#include <math.h>
#include <string.h>

typedef float v16f __attribute__((vector_size(64)));

/* AVX-512 and AVX2 + FMA copies, picked at load. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define LN_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define LN_CLONES
#endif

/* The lanes of v added up, in a fixed order. */
static inline float ln_hsum(v16f v)
{
	float s = 0;
	for (int k = 0; k < 16; k++)
		s += v[k];
	return s;
}

LN_CLONES
void emb_add_norm(float *x, const float *add, const float *bias, int rows,
		  int h, const float *g, const float *b, float eps)
{
	int hv = h & ~15;

	for (int r = 0; r < rows; r++) {
		float *row = x + (size_t)r * h;
		const float *a = add ? add + (size_t)r * h : NULL;
		v16f vs = { 0 }, vq = { 0 }, v, t;
		float sum = 0, sq = 0;
		int i;

		for (i = 0; i < hv; i += 16) {
			memcpy(&v, row + i, sizeof v);
			if (a) {
				memcpy(&t, a + i, sizeof t);
				if (bias) {
					v16f bb;
					memcpy(&bb, bias + i, sizeof bb);
					t += bb;
				}
				v += t;
				memcpy(row + i, &v, sizeof v);
			}
			vs += v;
		}
		for (; i < h; i++) {
			if (a)
				row[i] += a[i] + (bias ? bias[i] : 0.0f);
			sum += row[i];
		}
		float mean = (ln_hsum(vs) + sum) / (float)h;
		for (i = 0; i < hv; i += 16) {
			memcpy(&v, row + i, sizeof v);
			v -= mean;
			vq += v * v;
		}
		for (; i < h; i++)
			sq += (row[i] - mean) * (row[i] - mean);
		float inv = 1.0f / sqrtf((ln_hsum(vq) + sq) / (float)h + eps);
		for (i = 0; i < hv; i += 16) {
			v16f gg, bb;
			memcpy(&v, row + i, sizeof v);
			memcpy(&gg, g + i, sizeof gg);
			memcpy(&bb, b + i, sizeof bb);
			v = (v - mean) * inv * gg + bb;
			memcpy(row + i, &v, sizeof v);
		}
		for (; i < h; i++)
			row[i] = (row[i] - mean) * inv * g[i] + b[i];
	}
}
