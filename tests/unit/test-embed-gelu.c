/*
 * test-embed-gelu: the embed-local provider's fast erf and GELU stay
 * within their stated error of the exact functions (libm's double erf),
 * on a dense grid, through both the vector path and the scalar tail;
 * and they behave at the edges (0, huge, infinite, odd symmetry). Also
 * its fast exp and softmax against libm's double exp.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "embed.h"

#define ERF_BOUND 2e-6	/* as embed.h states for emb_erf */
#define GELU_BOUND 1e-6	/* as gelu.c states; libm's erff gives 4.5e-7 */

static double gelu_exact(double x)
{
	return 0.5 * x * (1.0 + erf(x / sqrt(2.0)));
}

static void test_erf_bound(void **state)
{
	double worst = 0;
	(void)state;
	for (double x = -10; x <= 10; x += 1e-5) {
		float xf = (float)x;
		double e = fabs((double)emb_erf(xf) - erf((double)xf));
		if (e > worst)
			worst = e;
		assert_true(emb_erf(-xf) == -emb_erf(xf));
	}
	print_message("emb_erf: max |error| %.3g on [-10, 10]\n", worst);
	assert_true(worst <= ERF_BOUND);
	/* and the bound is not vacuous: the approximation is not libm's */
	assert_true(worst > 1e-8);
}

/* n is odd so the last lanes take the scalar path */
static void test_gelu_bound(void **state)
{
	size_t n = 2400001;
	float *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
	double worst = 0, worst_tail = 0;
	(void)state;
	assert_non_null(x);
	assert_non_null(y);
	for (size_t i = 0; i < n; i++)
		x[i] = y[i] = (float)(-12.0 + 24.0 * (double)i / (double)(n - 1));
	emb_gelu(y, n);
	for (size_t i = 0; i < n; i++) {
		double e = fabs((double)y[i] - gelu_exact(x[i]));
		if (e > worst)
			worst = e;
		if (i >= n - n % 8 && e > worst_tail)
			worst_tail = e;
	}
	print_message("emb_gelu: max |error| %.3g on [-12, 12] (scalar tail %.3g)\n",
		      worst, worst_tail);
	assert_true(worst <= GELU_BOUND);
	free(x);
	free(y);
}

static void test_gelu_edges(void **state)
{
	float v[11] = { 0.0f, -0.0f, 1e30f, -1e30f, 1e-30f, -1e-30f,
			INFINITY, 3.0f, -3.0f, 1.0f, -1.0f };
	(void)state;
	emb_gelu(v, 11);
	assert_true(v[0] == 0.0f && v[1] == 0.0f);
	assert_true(v[2] == 1e30f);		/* x for large x */
	assert_true(v[3] == 0.0f);		/* 0 for very negative x */
	assert_true(fabsf(v[4] - 0.5e-30f) < 1e-36f);
	assert_true(isinf(v[6]) && v[6] > 0);
	assert_true(fabs(v[7] - gelu_exact(3)) <= GELU_BOUND);
	assert_true(fabs(v[8] - gelu_exact(-3)) <= GELU_BOUND);
	/* GELU(x) - GELU(-x) = x */
	assert_true(fabsf(v[9] - v[10] - 1.0f) <= 2e-6f);
}

#define EXP_BOUND 3e-7	/* relative, as embed.h states for emb_exp */

static void test_exp_bound(void **state)
{
	double worst = 0;
	(void)state;
	for (double x = -87; x <= 88; x += 1e-4) {
		float xf = (float)x;
		double want = exp((double)xf);
		double e = fabs((double)emb_exp(xf) - want) / want;
		if (e > worst)
			worst = e;
	}
	print_message("emb_exp: max relative error %.3g on [-87, 88]\n", worst);
	assert_true(worst <= EXP_BOUND);
	assert_true(emb_exp(-1000.0f) > 0.0f && emb_exp(-1000.0f) < 1e-37f);
	assert_true(emb_exp(0.0f) == 1.0f);
}

/* Rows of every length from 1 to 300 (vector lanes and scalar tail),
 * spread of up to 120 between the largest and smallest score, unscaled
 * and with attention's 1/sqrt(32). */
static void test_softmax(void **state)
{
	static const float scales[] = { 1.0f, 0.17677669f };
	float s[300];
	double want[300], worst = 0;
	(void)state;
	for (int si = 0; si < 2; si++) {
		float sc = scales[si];
		for (int n = 1; n <= 300; n++) {
			double mx = -1e30, sum = 0, got = 0;
			for (int j = 0; j < n; j++) {
				s[j] = (float)(60.0 * sin(0.37 * j * n + 1.1) + 0.01 * n);
				if ((double)sc * s[j] > mx)
					mx = (double)sc * s[j];
			}
			for (int j = 0; j < n; j++)
				sum += want[j] = exp((double)sc * s[j] - mx);
			emb_softmax(s, n, sc);
			for (int j = 0; j < n; j++) {
				double e = fabs(s[j] - want[j] / sum);
				if (e > worst)
					worst = e;
				got += s[j];
			}
			assert_true(fabs(got - 1.0) <= 1e-5);
		}
	}
	print_message("emb_softmax: max |error| %.3g\n", worst);
	assert_true(worst <= 1e-6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_erf_bound),
		cmocka_unit_test(test_gelu_bound),
		cmocka_unit_test(test_gelu_edges),
		cmocka_unit_test(test_exp_bound),
		cmocka_unit_test(test_softmax),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
