/* test-worker: what a worker does with each pipeline outcome. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "pipeline/pipeline.h"
#include "queue/worker.h"

static int decide(int outcome, int permanent, int attempts, int max)
{
	struct pipeline_result r;

	memset(&r, 0, sizeof(r));
	r.outcome = outcome;
	r.permanent = permanent;
	r.attempts = attempts;
	return worker_decide(&r, max);
}

static void test_success_acks(void **state)
{
	(void)state;
	assert_int_equal(decide(PIPE_DONE, 0, 1, 5), WORKER_ACK);
	/* Completed already, claimed elsewhere, dead-lettered: a duplicate. */
	assert_int_equal(decide(PIPE_NOOP, 0, 0, 5), WORKER_ACK);
}

static void test_transient_failure_retries_until_max(void **state)
{
	(void)state;
	assert_int_equal(decide(PIPE_FAILED, 0, 1, 3), WORKER_RETRY);
	assert_int_equal(decide(PIPE_FAILED, 0, 2, 3), WORKER_RETRY);
	assert_int_equal(decide(PIPE_FAILED, 0, 3, 3), WORKER_DEAD);
	assert_int_equal(decide(PIPE_FAILED, 0, 9, 3), WORKER_DEAD);
}

static void test_permanent_failure_dead_letters_at_once(void **state)
{
	(void)state;
	assert_int_equal(decide(PIPE_FAILED, 1, 1, 5), WORKER_DEAD);
}

static void test_infrastructure_never_dead_letters(void **state)
{
	(void)state;
	/* The database was away: no attempt was counted, try again. */
	assert_int_equal(decide(PIPE_RETRY, 0, 0, 3), WORKER_RETRY);
	assert_int_equal(decide(PIPE_RETRY, 0, 7, 3), WORKER_RETRY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_success_acks),
		cmocka_unit_test(test_transient_failure_retries_until_max),
		cmocka_unit_test(test_permanent_failure_dead_letters_at_once),
		cmocka_unit_test(test_infrastructure_never_dead_letters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
