/*
 * pgvectors_q8: int8 copies of a set's unit vectors, scanned first so
 * that the exact float32 scores are computed only for the few rows that
 * can reach the top k. Each row carries a bound on its quantization
 * error, so the pre-filter never drops a row of the exact answer.
 */
#ifndef PULSE_AI_PGVECTORS_Q8_H
#define PULSE_AI_PGVECTORS_Q8_H

#include <stddef.h>
#include <stdint.h>

struct pgv_q8 {
	uint32_t dim, stride; /* stride: dim rounded up to 32 bytes */
	size_t n;
	int8_t *q;            /* n * stride, 32-byte aligned, zero padded */
	float *scale;         /* n: row ~= scale * q */
	float *err;           /* n: upper bound of |row - scale * q| (L2) */
};

/* The query, quantized the same way (pgv_q8_query_init). */
struct pgv_q8_query {
	uint8_t *mag;         /* stride: |p| */
	int8_t *sign;         /* stride: sign of p as -1/0/1 */
	float scale;          /* y ~= scale * p */
	float norm, err;      /* |y| and |y - scale * p| (L2), rounded up */
};

/* Build z from n unit rows of mat (n * dim floats). z owns its arrays;
 * pgv_q8_free releases them. 0 or -1 (out of memory). */
int pgv_q8_build(struct pgv_q8 *z, const float *mat, size_t n, uint32_t dim);
void pgv_q8_free(struct pgv_q8 *z);
size_t pgv_q8_bytes(const struct pgv_q8 *z);

/* Quantize y (dim floats) into qq; the caller frees with
 * pgv_q8_query_free. 0 or -1. */
int pgv_q8_query_init(struct pgv_q8_query *qq, const struct pgv_q8 *z,
		      const float *y);
void pgv_q8_query_free(struct pgv_q8_query *qq);

/* approx[i] for every row: an estimate of row_i . y within
 * pgv_q8_bound(z, qq, i) of the float32 dot product. */
void pgv_q8_scan(const struct pgv_q8 *z, const struct pgv_q8_query *qq,
		 float *approx);

static inline float pgv_q8_bound(const struct pgv_q8 *z,
				 const struct pgv_q8_query *qq, size_t i)
{
	/* row.y - s t (q.p) = e.y + s q.f with |e.y| <= E |y| and
	 * |s q.f| <= (|row| + E) F; 1e-4 covers float rounding of both
	 * this estimate and the float32 score it is compared with */
	return z->err[i] * qq->norm + (1.0f + z->err[i]) * qq->err + 1e-4f;
}

#endif
