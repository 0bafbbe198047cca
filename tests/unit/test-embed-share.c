/*
 * test-embed-share: how a row-wise forward pass shares rows between its
 * threads (emb_share_rows): every row exactly once, cuts on the tile,
 * shares in proportion to the measured rates, a floor for a thread that
 * stalled, and equal shares when there is no rate yet.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "embed.h"

/* The cuts of every thread: contiguous, covering [0, rows). */
static void share_all(const double *rate, int nt, int rows, int *lo, int *hi)
{
	for (int t = 0; t < nt; t++) {
		emb_share_rows(rate, nt, rows, t, &lo[t], &hi[t]);
		assert_true(lo[t] <= hi[t]);
		assert_int_equal(lo[t], t == 0 ? 0 : hi[t - 1]);
		if (t < nt - 1)
			assert_int_equal(hi[t] % EMB_SHARE_STEP, 0);
	}
	assert_int_equal(hi[nt - 1], rows);
}

static void test_equal_without_rates(void **state)
{
	double rate[4] = { 0, 0, 0, 0 };
	int lo[4], hi[4];
	(void)state;
	share_all(rate, 2, 128, lo, hi);
	assert_int_equal(hi[0], 64);
	share_all(rate, 4, 128, lo, hi);
	for (int t = 0; t < 4; t++)
		assert_int_equal(hi[t] - lo[t], 32);
}

static void test_proportional(void **state)
{
	/* the measured case: one core at 128, the other at 86 */
	double rate[2] = { 128.0, 86.0 }, rate3[3] = { 3000, 1000, 2000 };
	int lo[3], hi[3];
	(void)state;
	share_all(rate, 2, 128, lo, hi);
	/* 128 * 128 / 214 = 76.6: 80 on the tile */
	assert_int_equal(hi[0], 80);
	share_all(rate3, 3, 600, lo, hi);
	/* cuts at 300 -> 304 (37.5 tiles, rounded up) and 400 */
	assert_int_equal(hi[0] - lo[0], 304);
	assert_int_equal(hi[1] - lo[1], 96);
	assert_int_equal(hi[2] - lo[2], 200);
}

static void test_floor_for_a_stalled_thread(void **state)
{
	double rate[2] = { 1000.0, 0.001 }, zero[2] = { 500.0, 0.0 };
	int lo[2], hi[2];
	(void)state;
	/* a quarter of an equal share (16 of 128), so it is measured again */
	share_all(rate, 2, 128, lo, hi);
	assert_true(hi[1] - lo[1] >= 16);
	share_all(zero, 2, 128, lo, hi);
	assert_true(hi[1] - lo[1] >= 16);
	assert_true(hi[0] - lo[0] >= 96);
}

static void test_small_and_odd(void **state)
{
	double rate[3] = { 1.0, 2.0, 3.0 };
	int lo[3], hi[3];
	(void)state;
	for (int rows = 0; rows <= 300; rows++) {
		share_all(rate, 3, rows, lo, hi);
		share_all(rate, 1, rows, lo, hi);
		assert_int_equal(hi[0], rows);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_equal_without_rates),
		cmocka_unit_test(test_proportional),
		cmocka_unit_test(test_floor_for_a_stalled_thread),
		cmocka_unit_test(test_small_and_odd),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
