/*
 * gelu.c: exact (erf) GELU, fast.
 *
 * libm's erff is scalar and was the largest cost after sgemm (about a
 * sixth of a batch's time). erf here is Abramowitz & Stegun 7.1.28,
 * erf(a) = 1 - (1 + a1 a + ... + a6 a^6)^-16 for a >= 0 (|error| <= 3e-7
 * in exact arithmetic), odd in a. It needs no exp and no branch, so sixteen
 * lanes go at once through GCC's vector extensions. In float the
 * 16th power amplifies rounding: GELU's absolute error is under 1e-6
 * against the exact function (libm's erff: 4.5e-7), which
 * tests/unit/test-embed-gelu checks on a dense grid. The forward pass
 * feeds it into a 1536-wide sum and LayerNorm; the PyTorch parity tests
 * hold to 1e-4.
 */
#include "embed.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#define A1 0.0705230784f
#define A2 0.0422820123f
#define A3 0.0092705272f
#define A4 0.0001520143f
#define A5 0.0002765672f
#define A6 0.0000430638f
#define SQRT1_2 0.70710678118654752f

typedef float v16f __attribute__((vector_size(64)));
typedef int32_t v16i __attribute__((vector_size(64)));

float emb_erf(float x)
{
	float a = fabsf(x);
	float p = 1.0f + a * (A1 + a * (A2 + a * (A3 + a * (A4 + a * (A5 + a * A6)))));
	p *= p;
	p *= p;
	p *= p;
	p *= p;
	/* p overflows to inf for large a: 1/inf = 0, erf = +-1 */
	return copysignf(1.0f - 1.0f / p, x);
}

/* Built for AVX-512 and AVX2 + FMA too, picked at load on CPUs that
 * have them. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define GELU_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define GELU_CLONES
#endif

GELU_CLONES
void emb_gelu_bias(float *x, const float *b, size_t n)
{
	size_t i = 0;
	for (; i + 16 <= n; i += 16) {
		/* the scalar formula below, sixteen lanes at once (inline: a
		 * function taking v16f would change the ABI with AVX) */
		v16f v, z, a, p, r;
		memcpy(&v, x + i, sizeof v);	/* unaligned load */
		if (b) {
			v16f bb;
			memcpy(&bb, b + i, sizeof bb);
			v += bb;
		}
		z = v * SQRT1_2;
		v16i sign = (v16i)z & INT32_MIN;
		a = (v16f)((v16i)z ^ sign);
		p = 1.0f + a * (A1 + a * (A2 + a * (A3 + a * (A4 + a * (A5 + a * A6)))));
		p *= p;
		p *= p;
		p *= p;
		p *= p;
		r = (v16f)((v16i)(1.0f - 1.0f / p) | sign);
		v = 0.5f * v * (1.0f + r);
		memcpy(x + i, &v, sizeof v);
	}
	for (; i < n; i++) {
		float v = b ? x[i] + b[i] : x[i];
		x[i] = 0.5f * v * (1.0f + emb_erf(v * SQRT1_2));
	}
}

void emb_gelu(float *x, size_t n)
{
	emb_gelu_bias(x, NULL, n);
}
