/*
 * test-http-policy: host/http/http_policy.c, the decision after each HTTP
 * attempt and the ranges of internal addresses, without any server.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "http/http_policy.h"

/* An ordinary first attempt of a JSON request that got `status`. */
static struct http_outcome outcome(long status)
{
	struct http_outcome o;

	memset(&o, 0, sizeof(o));
	o.status = status;
	o.want_json = 1;
	o.body_json = 1;
	o.attempt = 1;
	o.max_retries = 5;
	return o;
}

static struct http_verdict decide(const struct http_outcome *o)
{
	struct http_verdict v;

	http_policy_decide(o, &v);
	return v;
}

static void test_success_and_plain_errors(void **state)
{
	struct http_outcome o = outcome(200);
	struct http_verdict v;
	static const long handed_over[] = {200, 201, 204, 304, 404, 410, 422};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(handed_over) / sizeof(*handed_over); i++) {
		o = outcome(handed_over[i]);
		o.body_json = handed_over[i] == 200 || handed_over[i] == 201;
		v = decide(&o);
		assert_int_equal(v.act, HTTP_ACT_DONE);
		assert_int_equal(v.why, HTTP_WHY_OK);
	}
	/* A non-JSON body is the plugin's business when it did not ask. */
	o = outcome(200);
	o.want_json = 0;
	assert_int_equal(decide(&o).act, HTTP_ACT_DONE);
}

static void test_retries_back_off_then_give_up(void **state)
{
	static const long transient[] = {500, 502, 503, 504, 408};
	struct http_outcome o;
	struct http_verdict v;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(transient) / sizeof(*transient); i++) {
		o = outcome(transient[i]);
		v = decide(&o);
		assert_int_equal(v.act, HTTP_ACT_RETRY);
		assert_int_equal(v.why, HTTP_WHY_SERVER);
		/* First retry: jitter within [250, 500] ms. */
		assert_in_range(v.wait_ms, 250, 500);
	}
	o = outcome(502);
	o.attempt = 4;
	v = decide(&o);
	assert_int_equal(v.act, HTTP_ACT_RETRY);
	assert_in_range(v.wait_ms, 2000, 4000);
	o.attempt = 20;
	o.max_retries = 30;
	assert_in_range(decide(&o).wait_ms, 15000, 30000); /* capped */
	/* Out of retries: a transient failure (the job is retried). */
	o = outcome(503);
	o.attempt = 6;
	v = decide(&o);
	assert_int_equal(v.act, HTTP_ACT_FAIL_TRANSIENT);
	assert_int_equal(v.why, HTTP_WHY_SERVER);
	o = outcome(503);
	o.no_retry = 1;
	assert_int_equal(decide(&o).act, HTTP_ACT_FAIL_TRANSIENT);
	o = outcome(500);
	o.max_retries = 0;
	assert_int_equal(decide(&o).act, HTTP_ACT_FAIL_TRANSIENT);
}

static void test_truncated_json_retried(void **state)
{
	struct http_outcome o = outcome(200);
	struct http_verdict v;

	(void)state;
	o.body_json = 0;
	v = decide(&o);
	assert_int_equal(v.act, HTTP_ACT_RETRY);
	assert_int_equal(v.why, HTTP_WHY_BAD_JSON);
	o.attempt = 6;
	assert_int_equal(decide(&o).act, HTTP_ACT_FAIL_TRANSIENT);
	/* 204 has no body to check. */
	o = outcome(204);
	o.body_json = 0;
	assert_int_equal(decide(&o).act, HTTP_ACT_DONE);
}

static void test_transport_errors(void **state)
{
	struct http_outcome o = outcome(0);
	struct http_verdict v;

	(void)state;
	o.transport_error = 1;
	o.transport_transient = 1;
	v = decide(&o);
	assert_int_equal(v.act, HTTP_ACT_RETRY);
	assert_int_equal(v.why, HTTP_WHY_TRANSPORT);
	o.transport_transient = 0; /* e.g. a bad certificate */
	v = decide(&o);
	assert_int_equal(v.act, HTTP_ACT_FAIL_PERMANENT);
	assert_int_equal(v.why, HTTP_WHY_TRANSPORT);
}

static void test_auth_and_denied(void **state)
{
	struct http_outcome o = outcome(401);
	struct http_verdict v;

	(void)state;
	v = decide(&o);
	assert_int_equal(v.act, HTTP_ACT_FAIL_PERMANENT);
	assert_int_equal(v.why, HTTP_WHY_AUTH);
	/* A 403 with budget left and no rate-limit wording: access denied. */
	o = outcome(403);
	o.remaining = "4000";
	v = decide(&o);
	assert_int_equal(v.act, HTTP_ACT_FAIL_PERMANENT);
	assert_int_equal(v.why, HTTP_WHY_DENIED);
}

static void test_rate_limits(void **state)
{
	struct http_outcome o = outcome(403);
	struct http_verdict v;

	(void)state;
	/* Retry-After in seconds wins. */
	o.retry_after = "17";
	v = decide(&o);
	assert_int_equal(v.act, HTTP_ACT_WAIT);
	assert_int_equal(v.why, HTTP_WHY_RETRY_AFTER);
	assert_int_equal(v.wait_ms, 17000);
	/* An HTTP-date is not a delay in seconds. */
	o.retry_after = "Wed, 21 Oct 2026 07:28:00 GMT";
	o.status = 429;
	v = decide(&o);
	assert_int_equal(v.why, HTTP_WHY_SECONDARY);
	/* Primary: the token's budget is at 0 until a reset. */
	o = outcome(403);
	o.remaining = "0";
	o.bucket_empty = 1;
	v = decide(&o);
	assert_int_equal(v.act, HTTP_ACT_WAIT_RESET);
	assert_int_equal(v.why, HTTP_WHY_PRIMARY);
	/* remaining 0 but no reset known: treated as secondary. */
	o.bucket_empty = 0;
	v = decide(&o);
	assert_int_equal(v.act, HTTP_ACT_WAIT);
	assert_int_equal(v.why, HTTP_WHY_SECONDARY);
	/* Secondary without a hint: 1 min, doubling, capped at 15 min. */
	o = outcome(403);
	o.says_rate_limit = 1;
	v = decide(&o);
	assert_int_equal(v.wait_ms, 60000);
	o.secondary = 2;
	assert_int_equal(decide(&o).wait_ms, 240000);
	o.secondary = 10;
	assert_int_equal(decide(&o).wait_ms, 900000);
	o = outcome(429);
	assert_int_equal(decide(&o).act, HTTP_ACT_WAIT);
}

static const char *range4(const char *ip)
{
	struct sockaddr_in a;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, ip, &a.sin_addr), 1);
	return http_policy_blocked_range((const struct sockaddr *)&a);
}

static const char *range6(const char *ip)
{
	struct sockaddr_in6 a;

	memset(&a, 0, sizeof(a));
	a.sin6_family = AF_INET6;
	assert_int_equal(inet_pton(AF_INET6, ip, &a.sin6_addr), 1);
	return http_policy_blocked_range((const struct sockaddr *)&a);
}

static void test_blocked_ranges(void **state)
{
	static const char *const blocked4[] = {
		"127.0.0.1", "127.255.255.254", "10.0.0.1", "10.255.255.255",
		"172.16.0.1", "172.31.255.255", "192.168.0.1", "192.168.255.255",
		"169.254.169.254", "0.0.0.0", "0.1.2.3", NULL,
	};
	static const char *const public4[] = {
		"8.8.8.8", "140.82.112.3", "172.15.255.255", "172.32.0.0",
		"192.167.255.255", "192.169.0.0", "169.253.255.255", "11.0.0.1",
		"126.255.255.255", "128.0.0.0", "1.0.0.0", NULL,
	};
	static const char *const blocked6[] = {
		"::1", "::", "fc00::1", "fd12:3456::1", "fe80::1", "febf::1",
		"::ffff:127.0.0.1", "::ffff:10.1.2.3", "::ffff:169.254.169.254",
		"::ffff:0.0.0.0", "::127.0.0.1", NULL,
	};
	static const char *const public6[] = {
		"2606:4700::1111", "2001:db8::1", "fe00::1", "fec0::1",
		"::ffff:8.8.8.8", NULL,
	};
	size_t i;

	(void)state;
	for (i = 0; blocked4[i]; i++)
		if (!range4(blocked4[i]))
			fail_msg("%s should be blocked", blocked4[i]);
	for (i = 0; public4[i]; i++)
		if (range4(public4[i]))
			fail_msg("%s should be public", public4[i]);
	for (i = 0; blocked6[i]; i++)
		if (!range6(blocked6[i]))
			fail_msg("%s should be blocked", blocked6[i]);
	for (i = 0; public6[i]; i++)
		if (range6(public6[i]))
			fail_msg("%s should be public", public6[i]);
	assert_string_equal(range4("127.0.0.1"), "a loopback address");
	assert_string_equal(range6("::ffff:127.0.0.1"), "a loopback address");
	assert_non_null(strstr(range4("169.254.169.254"), "metadata"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_success_and_plain_errors),
		cmocka_unit_test(test_retries_back_off_then_give_up),
		cmocka_unit_test(test_truncated_json_retried),
		cmocka_unit_test(test_transport_errors),
		cmocka_unit_test(test_auth_and_denied),
		cmocka_unit_test(test_rate_limits),
		cmocka_unit_test(test_blocked_ranges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
