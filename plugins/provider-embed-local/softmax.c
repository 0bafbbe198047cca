/*
 * softmax.c: attention's softmax, sixteen lanes at a time.
 *
 * libm's expf is scalar; at 128 tokens a pass takes 128 x 128 x 12 x 6
 * of them per text and they were 3 to 4% of the time. exp here is the
 * usual range reduction x = n ln2 + r, |r| <= ln2 / 2 (ln2 split in two
 * so that n ln2 is exact), then a degree-6 Taylor polynomial for e^r
 * (truncation r^7 / 7! <= 1.2e-7 relative; 2.5e-7 with float rounding,
 * tests/unit/test-embed-gelu checks 3e-7) and 2^n put straight into
 * the exponent bits. Inputs are clamped to [-87, 88] so that 2^n stays a
 * normal float; softmax feeds it s - max(s) <= 0, where a clamp at -87
 * gives 1.6e-38 instead of 0 against a sum of at least 1.
 */
#include "embed.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#define LOG2E 1.44269504088896341f
#define LN2_HI 0.693359375f		/* exact in 9 bits */
#define LN2_LO -2.12194440e-4f
#define ROUND_MAGIC 12582912.0f		/* 1.5 * 2^23: adds round to integer */
#define X_MIN -87.0f
#define X_MAX 88.0f

typedef float v16f __attribute__((vector_size(64)));
typedef int32_t v16i __attribute__((vector_size(64)));

#define POLY(r) (1.0f + (r) * (1.0f + (r) * (0.5f + (r) * (1.0f / 6 + (r) * \
		 (1.0f / 24 + (r) * (1.0f / 120 + (r) * (1.0f / 720)))))))

float emb_exp(float x)
{
	x = x < X_MIN ? X_MIN : x > X_MAX ? X_MAX : x;
	float n = (x * LOG2E + ROUND_MAGIC) - ROUND_MAGIC;
	float r = (x - n * LN2_HI) - n * LN2_LO;
	int32_t bits = ((int32_t)n + 127) << 23;
	float scale;
	memcpy(&scale, &bits, sizeof scale);
	return POLY(r) * scale;
}

/* AVX-512 and AVX2 + FMA copies, picked at load. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define SOFTMAX_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define SOFTMAX_CLONES
#endif

/* a where m is all ones, else b (lane-wise) */
#define SELECT(m, a, b) ((v16f)(((v16i)(a) & (m)) | ((v16i)(b) & ~(m))))

/* The largest of the lanes of v. */
static inline float sm_hmax(v16f v)
{
	float mx = v[0];
	for (int k = 1; k < 16; k++)
		mx = v[k] > mx ? v[k] : mx;
	return mx;
}

/* All three passes (max, exp and sum, scale) sixteen lanes at a time;
 * the scalar max and scale loops cost as much as the exps. */
SOFTMAX_CLONES
void emb_softmax(float *s, int n, float scale)
{
	int i, nv = n & ~15;
	float mx = s[0], sum = 0, mxs;
	v16f v, vsum = { 0 };

	if (nv) {
		v16f vmx;
		memcpy(&vmx, s, sizeof vmx);
		for (i = 16; i < nv; i += 16) {
			memcpy(&v, s + i, sizeof v);
			vmx = SELECT(v > vmx, v, vmx);
		}
		mx = sm_hmax(vmx);
	}
	for (i = nv; i < n; i++)
		if (s[i] > mx)
			mx = s[i];
	mxs = mx * scale;	/* max(scale * s), scale > 0 */
	for (i = 0; i < nv; i += 16) {
		/* emb_exp, sixteen lanes at once */
		v16f x, nf, r, sc;
		memcpy(&x, s + i, sizeof x);
		x = x * scale - mxs;
		x = SELECT(x < X_MIN, (v16f){ 0 } + X_MIN, x);
		nf = (x * LOG2E + ROUND_MAGIC) - ROUND_MAGIC;
		r = (x - nf * LN2_HI) - nf * LN2_LO;
		v16i bits = (__builtin_convertvector(nf, v16i) + 127) << 23;
		sc = (v16f)bits;
		x = POLY(r) * sc;
		memcpy(s + i, &x, sizeof x);
		vsum += x;
	}
	for (int k = 0; k < 16; k++)
		sum += vsum[k];
	for (; i < n; i++) {
		s[i] = emb_exp(s[i] * scale - mxs);
		sum += s[i];
	}
	float inv = 1.0f / sum;
	for (i = 0; i < nv; i += 16) {
		memcpy(&v, s + i, sizeof v);
		v *= inv;
		memcpy(s + i, &v, sizeof v);
	}
	for (; i < n; i++)
		s[i] *= inv;
}
