/*
 * pgvectors_q8: the int8 pre-filter of pgvectors_knn.c. A row x (unit,
 * float32) is stored as q = round(x / s), s = max|x_i| / 127, plus
 * E = |x - s q| computed in double and rounded up. The query gets the
 * same treatment, so one scan is an int8 x int8 dot product per row:
 * a quarter of the bytes of the float32 matrix, which is what bounds
 * the scan (it streams the whole set for every query).
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define PGV_Q8_X86 1
#endif

#include "ai/pgvectors_q8.h"

/* Quantize v (dim floats) into out (stride bytes, zero padded); *scale
 * and *err as in the header. */
static void pgv_q8_row(const float *v, uint32_t dim, uint32_t stride,
		       int8_t *out, float *scale, float *err)
{
	float mx = 0, s;
	double e2 = 0;
	uint32_t i;

	for (i = 0; i < dim; i++)
		if (fabsf(v[i]) > mx)
			mx = fabsf(v[i]);
	s = mx > 0 ? mx / 127.0f : 0;
	memset(out, 0, stride);
	for (i = 0; i < dim; i++) {
		long r = s > 0 ? lrintf(v[i] / s) : 0;
		double d;

		if (r > 127) /* v[i] / s may round past 127 */
			r = 127;
		if (r < -127)
			r = -127;
		out[i] = (int8_t)r;
		d = (double)v[i] - (double)s * (double)r;
		e2 += d * d;
	}
	*scale = s;
	/* round up: the bound must hold, not just be close */
	*err = (float)(sqrt(e2) * (1 + 1e-6)) + 1e-7f;
}

int pgv_q8_build(struct pgv_q8 *z, const float *mat, size_t n, uint32_t dim)
{
	size_t i;

	memset(z, 0, sizeof(*z));
	z->dim = dim;
	z->stride = (dim + 31u) & ~31u;
	z->n = n;
	z->q = aligned_alloc(32, (n ? n : 1) * z->stride);
	z->scale = malloc((n ? n : 1) * sizeof(float));
	z->err = malloc((n ? n : 1) * sizeof(float));
	if (!z->q || !z->scale || !z->err) {
		pgv_q8_free(z);
		return -1;
	}
	for (i = 0; i < n; i++)
		pgv_q8_row(mat + i * dim, dim, z->stride, z->q + i * z->stride,
			   &z->scale[i], &z->err[i]);
	return 0;
}

void pgv_q8_free(struct pgv_q8 *z)
{
	free(z->q);
	free(z->scale);
	free(z->err);
	memset(z, 0, sizeof(*z));
}

size_t pgv_q8_bytes(const struct pgv_q8 *z)
{
	return z->n * (z->stride + 2 * sizeof(float));
}

int pgv_q8_query_init(struct pgv_q8_query *qq, const struct pgv_q8 *z,
		      const float *y)
{
	int8_t *p;
	float e;
	double n2 = 0;
	uint32_t i;

	memset(qq, 0, sizeof(*qq));
	p = aligned_alloc(32, z->stride);
	qq->mag = aligned_alloc(32, z->stride);
	qq->sign = aligned_alloc(32, z->stride);
	if (!p || !qq->mag || !qq->sign) {
		free(p);
		pgv_q8_query_free(qq);
		return -1;
	}
	pgv_q8_row(y, z->dim, z->stride, p, &qq->scale, &e);
	for (i = 0; i < z->stride; i++) {
		qq->mag[i] = (uint8_t)(p[i] < 0 ? -p[i] : p[i]);
		qq->sign[i] = (int8_t)((p[i] > 0) - (p[i] < 0));
	}
	for (i = 0; i < z->dim; i++)
		n2 += (double)y[i] * y[i];
	qq->norm = (float)(sqrt(n2) * (1 + 1e-6));
	qq->err = e;
	free(p);
	return 0;
}

void pgv_q8_query_free(struct pgv_q8_query *qq)
{
	free(qq->mag);
	free(qq->sign);
	memset(qq, 0, sizeof(*qq));
}

static void pgv_q8_scan_c(const struct pgv_q8 *z,
			  const struct pgv_q8_query *qq, float *approx)
{
	size_t i;
	uint32_t j;

	for (i = 0; i < z->n; i++) {
		const int8_t *r = z->q + i * z->stride;
		int32_t acc = 0;

		for (j = 0; j < z->dim; j++)
			acc += (int32_t)r[j] * qq->sign[j] * qq->mag[j];
		approx[i] = z->scale[i] * qq->scale * (float)acc;
	}
}

#ifdef PGV_Q8_X86
/* |p| (unsigned) times q * sign(p) (signed) pairs, summed to int32:
 * |q|, |p| <= 127, so a pair is at most 32258 and never saturates. */
__attribute__((target("avx2")))
static void pgv_q8_scan_avx2(const struct pgv_q8 *z,
			     const struct pgv_q8_query *qq, float *approx)
{
	const __m256i ones = _mm256_set1_epi16(1);
	const uint32_t chunks = z->stride / 32;
	size_t i;
	uint32_t c;

	for (i = 0; i < z->n; i++) {
		const __m256i *r = (const __m256i *)(const void *)(z->q + i * z->stride);
		__m256i acc = _mm256_setzero_si256();
		__m128i h;

		for (c = 0; c < chunks; c++) {
			__m256i m = _mm256_load_si256((const __m256i *)(const void *)qq->mag + c);
			__m256i sg = _mm256_load_si256((const __m256i *)(const void *)qq->sign + c);
			__m256i x = _mm256_sign_epi8(_mm256_load_si256(r + c), sg);

			acc = _mm256_add_epi32(acc, _mm256_madd_epi16(
				_mm256_maddubs_epi16(m, x), ones));
		}
		h = _mm_add_epi32(_mm256_castsi256_si128(acc),
				  _mm256_extracti128_si256(acc, 1));
		h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0x4e));
		h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0xb1));
		approx[i] = z->scale[i] * qq->scale * (float)_mm_cvtsi128_si32(h);
	}
}
#endif

void pgv_q8_scan(const struct pgv_q8 *z, const struct pgv_q8_query *qq,
		 float *approx)
{
#ifdef PGV_Q8_X86
	if (__builtin_cpu_supports("avx2")) {
		pgv_q8_scan_avx2(z, qq, approx);
		return;
	}
#endif
	pgv_q8_scan_c(z, qq, approx);
}
