/*
 * test-queue: host/queue/queue.c against real RabbitMQ brokers.
 *
 * Run by tests/broker/queue.sh, which provides:
 *   QUEUE_TEST_URL          a private vhost on the suite's broker
 *   QUEUE_TEST_PRIVATE_URL  a broker node of this test alone (it is
 *                           stopped, restarted and frozen here)
 *   QUEUE_TEST_RMQ_DIR      that node's directory, for tests/harness/lib.sh
 *   QUEUE_TEST_LIB          path of tests/harness/lib.sh
 * Measured numbers are printed as "measure: ..." lines.
 */
#include "config.h"

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/log.h"
#include "queue/queue.h"

static const char *url_shared, *url_private;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char *env_or_die(const char *name)
{
	const char *v = getenv(name);

	if (!v || !*v) {
		fprintf(stderr, "test-queue: %s is not set; run this test "
			"through tests/broker/queue.sh\n", name);
		exit(99);
	}
	return v;
}

/* Run a tests/harness/lib.sh function on the private node. */
static int harness(const char *fn)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "bash -c '. \"$QUEUE_TEST_LIB\" && %s "
		 "\"$QUEUE_TEST_RMQ_DIR\"' >&2", fn);
	return system(cmd);
}

static struct queue *open_q(const char *url, const struct queue_opts *o)
{
	struct queue *q = NULL;
	char err[512];

	if (queue_open(url, o, &q, err, sizeof(err)) != QUEUE_OK)
		fail_msg("queue_open: %s", err);
	return q;
}

/* Drain `name` of everything ready (ack), returning how many. */
static unsigned drain(struct queue *q, const char *name)
{
	uint32_t n = 0;

	assert_int_equal(queue_purge(q, name, &n), QUEUE_OK);
	return n;
}

static void test_mask_url(void **state)
{
	char out[256];

	(void)state;
	queue_mask_url("amqp://guest:s3cret@127.0.0.1:5672/%2f", out, sizeof(out));
	assert_string_equal(out, "amqp://guest:***@127.0.0.1:5672/%2f");
	queue_mask_url("amqp://u:p@ss@h/v", out, sizeof(out));
	assert_string_equal(out, "amqp://u:***@h/v");
	queue_mask_url("amqp://guest@h:1/v", out, sizeof(out));
	assert_string_equal(out, "amqp://guest@h:1/v");
	queue_mask_url("amqp://h/a@b:c", out, sizeof(out));
	assert_string_equal(out, "amqp://h/a@b:c");
	assert_int_equal(queue_mask_url("amqp://a:b@c/d", out, 8), 7);
	assert_string_equal(out, "amqp://");
}

static void test_msg_codec(void **state)
{
	static const char *const bad[] = {
		"", "{}", "[1,2]", "{\"tenant_id\":1}", "{\"raw_id\":1}",
		"{\"tenant_id\":\"1\",\"raw_id\":2}", "{\"tenant_id\":0,\"raw_id\":2}",
		"{\"tenant_id\":1,\"raw_id\":-2}", "{\"tenant_id\":1,\"raw_id\":2}x",
		"{\"tenant_id\":1,\"raw_id\":2.5}", "not json",
		/* created_at is optional, but well-formed when present */
		"{\"tenant_id\":1,\"raw_id\":2,\"created_at\":5}",
		"{\"tenant_id\":1,\"raw_id\":2,\"created_at\":\"yesterday\"}",
		"{\"tenant_id\":1,\"raw_id\":2,\"created_at\":\"2026-01-31 10:00:00+00\"}",
		"{\"tenant_id\":1,\"raw_id\":2,\"created_at\":\"2026-01-31T10:00:00Z'\"}",
		NULL,
	};
	struct queue_msg m = {7, 9000000000LL, ""}, back;
	char buf[128];
	int n, i;

	(void)state;
	n = queue_msg_encode(&m, buf, sizeof(buf));
	assert_true(n > 0);
	assert_string_equal(buf, "{\"tenant_id\":7,\"raw_id\":9000000000}");
	assert_int_equal(queue_msg_decode(buf, (size_t)n, &back), 0);
	assert_int_equal(back.tenant_id, 7);
	assert_int_equal(back.raw_id, 9000000000LL);
	assert_int_equal(queue_msg_decode(" {\"raw_id\":3, \"tenant_id\":2} ",
					  29, &back), 0);
	assert_int_equal(back.raw_id, 3);
	for (i = 0; bad[i]; i++)
		assert_int_equal(queue_msg_decode(bad[i], strlen(bad[i]), &back), -1);
	assert_int_equal(queue_msg_encode(&m, buf, 10), -1);
	/* with the partition key: it goes out and comes back as given */
	snprintf(m.created_at, sizeof(m.created_at), "2026-01-31T23:59:59.123456Z");
	n = queue_msg_encode(&m, buf, sizeof(buf));
	assert_true(n > 0);
	assert_string_equal(buf, "{\"tenant_id\":7,\"raw_id\":9000000000,"
			    "\"created_at\":\"2026-01-31T23:59:59.123456Z\"}");
	assert_int_equal(queue_msg_decode(buf, (size_t)n, &back), 0);
	assert_string_equal(back.created_at, "2026-01-31T23:59:59.123456Z");
	/* an old message has none: the claim falls back to the id alone */
	assert_int_equal(queue_msg_decode("{\"tenant_id\":1,\"raw_id\":2}",
					  strlen("{\"tenant_id\":1,\"raw_id\":2}"),
					  &back), 0);
	assert_string_equal(back.created_at, "");
}

static void test_bad_url(void **state)
{
	struct queue *q = NULL;
	char err[512];

	(void)state;
	assert_int_equal(queue_open("http://x:secretpw@h/", NULL, &q, err,
				    sizeof(err)), QUEUE_EPERM);
	assert_null(q);
	assert_non_null(strstr(err, "amqp://user:password@host:port/vhost"));
	assert_null(strstr(err, "secretpw"));
}

static void test_login_refused(void **state)
{
	char url[512], *at;
	struct queue *q;

	(void)state;
	/* Same broker, wrong password. */
	at = strchr(url_shared + 7, '@');
	assert_non_null(at);
	snprintf(url, sizeof(url), "amqp://guest:wrongpw%s", at);
	q = open_q(url, NULL);
	assert_int_equal(queue_connect(q), QUEUE_EPERM);
	assert_non_null(strstr(queue_error(q), "403"));
	assert_non_null(strstr(queue_error(q), "broker_url"));
	assert_null(strstr(queue_error(q), "wrongpw"));
	assert_null(strstr(queue_url_masked(q), "wrongpw"));
	/* A consumer that never connected gives up on a refusal. */
	assert_int_equal(queue_consume(q, QUEUE_TRANSFORM, 4), QUEUE_EPERM);
	queue_close(q);
}

static void test_publish_consume(void **state)
{
	enum { N = 2000 };
	struct queue_msg *m = calloc(N, sizeof(*m));
	unsigned char *seen = calloc(N + 1, 1);
	struct queue *pub = open_q(url_shared, NULL), *con;
	struct queue_delivery d;
	uint32_t depth = 99, consumers = 99;
	double t0, dt;
	int i, got = 0, dups = 0, one;

	(void)state;
	assert_non_null(m);
	assert_non_null(seen);
	assert_int_equal(queue_connect(pub), QUEUE_OK);
	drain(pub, QUEUE_TRANSFORM);
	for (i = 0; i < N; i++) {
		m[i].tenant_id = 1 + i % 3;
		m[i].raw_id = i + 1;
	}
	/* One message at a time: a confirm round trip each. */
	t0 = now_s();
	for (i = 0; i < 200; i++)
		assert_int_equal(queue_publish_raw(pub, m[i].tenant_id,
						   m[i].raw_id), QUEUE_OK);
	dt = now_s() - t0;
	printf("measure: publish_confirmed_single msgs=200 seconds=%.3f "
	       "rate=%.0f msg/s\n", dt, 200 / dt);
	t0 = now_s();
	assert_int_equal(queue_publish_raw_batch(pub, m + 200, N - 200), QUEUE_OK);
	dt = now_s() - t0;
	printf("measure: publish_confirmed_batch msgs=%d seconds=%.3f "
	       "rate=%.0f msg/s\n", N - 200, dt, (N - 200) / dt);
	assert_int_equal(queue_depth(pub, QUEUE_TRANSFORM, &depth, &consumers),
			 QUEUE_OK);
	assert_int_equal(depth, N);
	assert_int_equal(consumers, 0);

	con = open_q(url_shared, NULL);
	assert_int_equal(queue_consume(con, QUEUE_TRANSFORM, 64), QUEUE_OK);
	t0 = now_s();
	while (got < N && (one = queue_next(con, &d, 2000)) == 1) {
		assert_true(d.valid);
		assert_true(d.msg.raw_id >= 1 && d.msg.raw_id <= N);
		assert_int_equal(d.msg.tenant_id, 1 + (d.msg.raw_id - 1) % 3);
		if (seen[d.msg.raw_id])
			dups++;
		seen[d.msg.raw_id] = 1;
		got++;
		assert_int_equal(queue_ack(con, &d), QUEUE_OK);
	}
	dt = now_s() - t0;
	printf("measure: consume_ack msgs=%d seconds=%.3f rate=%.0f msg/s\n",
	       got, dt, got / dt);
	assert_int_equal(got, N);
	assert_int_equal(dups, 0);
	for (i = 1; i <= N; i++)
		assert_true(seen[i]);
	/* Acks were taken: nothing is left and nothing comes back. */
	assert_int_equal(queue_next(con, &d, 300), 0);
	queue_close(con);
	assert_int_equal(queue_depth(pub, QUEUE_TRANSFORM, &depth, NULL), QUEUE_OK);
	assert_int_equal(depth, 0);
	queue_close(pub);
	free(m);
	free(seen);
}

static void test_unacked_redelivered(void **state)
{
	struct queue *pub = open_q(url_shared, NULL), *con;
	struct queue_delivery d;

	(void)state;
	drain(pub, QUEUE_TRANSFORM);
	assert_int_equal(queue_publish_raw(pub, 5, 55), QUEUE_OK);
	con = open_q(url_shared, NULL);
	assert_int_equal(queue_consume(con, QUEUE_TRANSFORM, 1), QUEUE_OK);
	assert_int_equal(queue_next(con, &d, 5000), 1);
	assert_int_equal(d.msg.raw_id, 55);
	assert_false(d.redelivered);
	queue_close(con); /* no ack: the broker must hand it out again */
	con = open_q(url_shared, NULL);
	assert_int_equal(queue_consume(con, QUEUE_TRANSFORM, 1), QUEUE_OK);
	assert_int_equal(queue_next(con, &d, 5000), 1);
	assert_int_equal(d.msg.raw_id, 55);
	assert_true(d.redelivered);
	assert_int_equal(queue_ack(con, &d), QUEUE_OK);
	queue_close(con);
	queue_close(pub);
}

static void test_nack_dead_letters(void **state)
{
	struct queue *pub = open_q(url_shared, NULL), *con, *dead;
	struct queue_delivery d;
	uint32_t before = 0, after = 0, depth = 1;

	(void)state;
	drain(pub, QUEUE_TRANSFORM);
	drain(pub, QUEUE_DEAD);
	assert_int_equal(queue_depth(pub, QUEUE_DEAD, &before, NULL), QUEUE_OK);
	assert_int_equal(before, 0);
	assert_int_equal(queue_publish_raw(pub, 3, 333), QUEUE_OK);
	assert_int_equal(queue_publish_raw(pub, 3, 334), QUEUE_OK);
	con = open_q(url_shared, NULL);
	assert_int_equal(queue_consume(con, QUEUE_TRANSFORM, 4), QUEUE_OK);
	assert_int_equal(queue_next(con, &d, 5000), 1);
	assert_int_equal(d.msg.raw_id, 333);
	assert_int_equal(queue_nack(con, &d, 0), QUEUE_OK);
	assert_int_equal(queue_next(con, &d, 5000), 1);
	assert_int_equal(d.msg.raw_id, 334);
	assert_int_equal(queue_ack(con, &d), QUEUE_OK);
	queue_close(con);
	/* Dead-lettering is asynchronous inside the broker. */
	for (int i = 0; i < 50 && after == 0; i++) {
		assert_int_equal(queue_depth(pub, QUEUE_DEAD, &after, NULL), QUEUE_OK);
		if (!after)
			usleep(100000);
	}
	assert_int_equal(after, 1);
	assert_int_equal(queue_depth(pub, QUEUE_TRANSFORM, &depth, NULL), QUEUE_OK);
	assert_int_equal(depth, 0);
	dead = open_q(url_shared, NULL);
	assert_int_equal(queue_consume(dead, QUEUE_DEAD, 1), QUEUE_OK);
	assert_int_equal(queue_next(dead, &d, 5000), 1);
	assert_true(d.valid);
	assert_int_equal(d.msg.tenant_id, 3);
	assert_int_equal(d.msg.raw_id, 333);
	assert_int_equal(queue_ack(dead, &d), QUEUE_OK);
	queue_close(dead);
	queue_close(pub);
}

static void test_retry_later(void **state)
{
	struct queue_opts o = {.retry_delay_ms = 700};
	struct queue *pub = open_q(url_shared, &o), *con = open_q(url_shared, &o);
	struct queue_delivery d;
	double t0, dt;

	(void)state;
	drain(pub, QUEUE_TRANSFORM);
	assert_int_equal(queue_publish_raw(pub, 4, 44), QUEUE_OK);
	assert_int_equal(queue_consume(con, QUEUE_TRANSFORM, 4), QUEUE_OK);
	assert_int_equal(queue_next(con, &d, 5000), 1);
	t0 = now_s();
	assert_int_equal(queue_retry_later(con, pub, &d), QUEUE_OK);
	/* Parked, not lost and not back at once. */
	assert_int_equal(queue_next(con, &d, 300), 0);
	assert_int_equal(queue_next(con, &d, 5000), 1);
	dt = now_s() - t0;
	assert_int_equal(d.msg.raw_id, 44);
	assert_true(dt >= 0.6);
	assert_int_equal(queue_ack(con, &d), QUEUE_OK);
	queue_close(con);
	queue_close(pub);
}

/* A message that is not ours (bad body) is delivered as invalid. */
static void test_invalid_body(void **state)
{
	struct queue *pub = open_q(url_shared, NULL), *con;
	struct queue_delivery d;

	(void)state;
	drain(pub, QUEUE_TRANSFORM);
	/* Only the queue module publishes valid bodies; use a raw id of 0
	 * through the batch API, which the decoder refuses. */
	struct queue_msg bad = {0, 0, ""};
	assert_int_equal(queue_publish_raw_batch(pub, &bad, 1), QUEUE_OK);
	con = open_q(url_shared, NULL);
	assert_int_equal(queue_consume(con, QUEUE_TRANSFORM, 1), QUEUE_OK);
	assert_int_equal(queue_next(con, &d, 5000), 1);
	assert_false(d.valid);
	assert_string_equal(d.body, "{\"tenant_id\":0,\"raw_id\":0}");
	assert_int_equal(queue_nack(con, &d, 0), QUEUE_OK);
	queue_close(con);
	drain(pub, QUEUE_DEAD);
	queue_close(pub);
}

static volatile sig_atomic_t stop_flag;

/*
 * The private node goes away and comes back: a publisher retries within
 * its budget, a consumer re-declares and re-consumes, unacked messages
 * come back, persistent ones survive the restart.
 */
static void test_broker_restart(void **state)
{
	struct queue_opts o = {.heartbeat_s = 2, .backoff_min_ms = 100,
			       .backoff_max_ms = 1000, .publish_budget_ms = 120000};
	struct queue_opts quick = {.publish_budget_ms = 1500,
				   .backoff_min_ms = 100, .backoff_max_ms = 400};
	struct queue *pub = open_q(url_private, &o), *con = open_q(url_private, &o);
	struct queue *q1 = open_q(url_private, &quick);
	struct queue_delivery d, held;
	unsigned char seen[64] = {0};
	char marker[600];
	uint64_t gen;
	double t0, dt;
	int i, got = 0;

	(void)state;
	assert_int_equal(queue_connect(pub), QUEUE_OK);
	drain(pub, QUEUE_TRANSFORM);
	for (i = 1; i <= 20; i++)
		assert_int_equal(queue_publish_raw(pub, 1, i), QUEUE_OK);
	assert_int_equal(queue_consume(con, QUEUE_TRANSFORM, 4), QUEUE_OK);
	gen = queue_generation(con);
	/* Hold one delivery unacked across the restart. */
	assert_int_equal(queue_next(con, &held, 5000), 1);
	assert_int_equal(held.msg.raw_id, 1);

	assert_int_equal(harness("rmq_stop"), 0);
	/* Broker down: a short-budget publish fails, and says why. */
	t0 = now_s();
	assert_int_equal(queue_publish_raw(q1, 1, 999), QUEUE_ERR);
	dt = now_s() - t0;
	assert_true(dt < 5.0);
	assert_non_null(strstr(queue_error(q1), "***"));
	queue_close(q1);
	/* The old delivery cannot be acked on a connection that is gone. */
	assert_int_equal(queue_ack(con, &held), QUEUE_ERR);

	/* Start it again in the background; the publisher must wait it out. */
	assert_int_equal(system("bash -c '. \"$QUEUE_TEST_LIB\" && sleep 1 && "
				"rmq_start \"$QUEUE_TEST_RMQ_DIR\" && "
				"touch \"$QUEUE_TEST_RMQ_DIR/../restarted\"' "
				">&2 &"), 0);
	t0 = now_s();
	for (i = 21; i <= 30; i++)
		assert_int_equal(queue_publish_raw(pub, 1, i), QUEUE_OK);
	dt = now_s() - t0;
	printf("measure: publisher_reconnect seconds=%.1f (includes the "
	       "broker's own start)\n", dt);

	/* The consumer finds its way back and gets everything: 1 (held,
	 * now redelivered) .. 30, the persistent messages having survived. */
	t0 = now_s();
	while (got < 30) {
		int r = queue_next(con, &d, 10000);

		assert_int_equal(r, 1);
		assert_true(d.msg.raw_id >= 1 && d.msg.raw_id <= 30);
		if (!seen[d.msg.raw_id])
			got++;
		seen[d.msg.raw_id] = 1;
		if (d.msg.raw_id == 1)
			assert_true(d.redelivered);
		assert_int_equal(queue_ack(con, &d), QUEUE_OK);
	}
	printf("measure: consumer_caught_up seconds=%.1f\n", now_s() - t0);
	assert_true(queue_generation(con) > gen);
	/* Let the background rmq_start finish before the next test. */
	snprintf(marker, sizeof(marker), "%s/../restarted",
		 getenv("QUEUE_TEST_RMQ_DIR"));
	for (i = 0; i < 600 && access(marker, F_OK) != 0; i++)
		usleep(100000);
	assert_int_equal(access(marker, F_OK), 0);
	queue_close(con);
	queue_close(pub);
}

/* A frozen broker (SIGSTOP) is noticed by the heartbeat, not by a hang. */
static void test_heartbeat(void **state)
{
	struct queue_opts o = {.heartbeat_s = 1, .backoff_min_ms = 200,
			       .backoff_max_ms = 1000, .connect_timeout_ms = 1000};
	struct queue *pub = open_q(url_private, NULL), *con = open_q(url_private, &o);
	struct queue_delivery d;
	char pidfile[600];
	FILE *f;
	long pid = 0;
	pid_t kid;
	uint64_t gen;
	double t0;
	int r;

	(void)state;
	snprintf(pidfile, sizeof(pidfile), "%s/rabbitmq.pid",
		 getenv("QUEUE_TEST_RMQ_DIR"));
	f = fopen(pidfile, "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%ld", &pid), 1);
	fclose(f);
	drain(pub, QUEUE_TRANSFORM);
	assert_int_equal(queue_consume(con, QUEUE_TRANSFORM, 4), QUEUE_OK);
	gen = queue_generation(con);
	assert_int_equal(kill((pid_t)pid, SIGSTOP), 0);
	kid = fork();
	assert_true(kid >= 0);
	if (kid == 0) {
		sleep(6);
		kill((pid_t)pid, SIGCONT);
		_exit(0);
	}
	/* With heartbeats of 1 s the loss is seen after about 2 s; the
	 * consumer then retries until the broker thaws. */
	t0 = now_s();
	r = queue_next(con, &d, 1000);
	while (r == 0 && queue_generation(con) == gen && now_s() - t0 < 30)
		r = queue_next(con, &d, 1000);
	waitpid(kid, NULL, 0);
	kill((pid_t)pid, SIGCONT);
	assert_int_equal(r, 0);
	assert_true(queue_generation(con) > gen);
	printf("measure: heartbeat_loss_to_reconnect seconds=%.1f (broker "
	       "frozen 6 s)\n", now_s() - t0);
	assert_int_equal(queue_publish_raw(pub, 2, 77), QUEUE_OK);
	assert_int_equal(queue_next(con, &d, 10000), 1);
	assert_int_equal(d.msg.raw_id, 77);
	assert_int_equal(queue_ack(con, &d), QUEUE_OK);
	queue_close(con);
	queue_close(pub);
}

static void on_alarm(int sig)
{
	(void)sig;
	stop_flag = 1;
}

/* A reconnect loop ends promptly when the stop flag is raised. */
static void test_stop_flag(void **state)
{
	struct queue_opts o = {.stop = &stop_flag, .backoff_min_ms = 5000};
	struct queue *con = open_q(url_private, &o);
	struct queue_delivery d;
	double t0;

	(void)state;
	assert_int_equal(queue_consume(con, QUEUE_TRANSFORM, 1), QUEUE_OK);
	assert_int_equal(harness("rmq_stop"), 0);
	signal(SIGALRM, on_alarm);
	alarm(2);
	t0 = now_s();
	assert_int_equal(queue_next(con, &d, 1000), QUEUE_STOPPED);
	assert_true(now_s() - t0 < 4.0);
	queue_close(con);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mask_url),
		cmocka_unit_test(test_msg_codec),
		cmocka_unit_test(test_bad_url),
		cmocka_unit_test(test_login_refused),
		cmocka_unit_test(test_publish_consume),
		cmocka_unit_test(test_unacked_redelivered),
		cmocka_unit_test(test_nack_dead_letters),
		cmocka_unit_test(test_retry_later),
		cmocka_unit_test(test_invalid_body),
		cmocka_unit_test(test_broker_restart),
		cmocka_unit_test(test_heartbeat),
		cmocka_unit_test(test_stop_flag),
	};

	url_shared = env_or_die("QUEUE_TEST_URL");
	url_private = env_or_die("QUEUE_TEST_PRIVATE_URL");
	env_or_die("QUEUE_TEST_RMQ_DIR");
	env_or_die("QUEUE_TEST_LIB");
	setvbuf(stdout, NULL, _IOLBF, 0);
	log_set_level(LOG_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
