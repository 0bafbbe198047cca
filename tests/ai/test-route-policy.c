/*
 * test-route-policy: the AI router's error policy table (rate limits,
 * quotas, permanent and transient errors, timeouts), cooldown and its
 * recovery, fallbacks and reordering, on route_fixture's database, OpenAI
 * sandboxes and test clock; the waits are the test clock's.
 */
#define _GNU_SOURCE
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ai/route.h"
#include "ai/route_int.h"
#include "base/log.h"
#include "route_fixture.h"

static void test_policy_rate_limit(void **state)
{
	struct ai_chat_reply r;
	char err[2048];

	(void)state;
	rt_two_gateways(NULL);
	/* Retry-After: 2 -> one retry on A after exactly 2 s */
	rt_fault(0, "{\"kind\": \"rate_limit\", \"count\": 1, \"retry_after\": 2}");
	assert_int_equal(rt_chat1(rt_tenant_a, "q", &r, err, sizeof(err)), 0);
	assert_int_equal(r.integration_id, rt_count("SELECT id FROM integrations WHERE name = 'gw-a'"));
	assert_int_equal(r.attempts, 2);
	ai_chat_reply_free(&r);
	assert_int_equal(rt_nwaits, 1);
	assert_int_equal(rt_waits[0], 2000);
	rt_assert_outcomes("retried,ok");
	/* no Retry-After: x-ratelimit-reset-requests 12ms, then 1.5s */
	rt_clear_usage();
	rt_nwaits = 0;
	rt_fault(0, "{\"kind\": \"rate_limit\", \"count\": 1, \"reset_requests\": \"12ms\"}");
	rt_fault(0, "{\"kind\": \"rate_limit\", \"count\": 1, \"reset_requests\": \"1.5s\", \"reset_tokens\": \"250ms\"}");
	assert_int_equal(rt_chat1(rt_tenant_a, "q", &r, err, sizeof(err)), 0);
	ai_chat_reply_free(&r);
	assert_int_equal(rt_nwaits, 2);
	assert_int_equal(rt_waits[0], 12);
	assert_int_equal(rt_waits[1], 1500);
	rt_assert_outcomes("retried,retried,ok");
	/* a reset of 6m0s is longer than max_wait_s (60): fall back at once,
	 * and A cools down for the 6 minutes */
	rt_clear_usage();
	rt_nwaits = 0;
	rt_fault(0, "{\"kind\": \"rate_limit\", \"count\": 1, \"reset_tokens\": \"6m0s\", \"reset_requests\": \"1s\"}");
	assert_int_equal(rt_chat1(rt_tenant_a, "q", &r, err, sizeof(err)), 0);
	assert_int_equal(r.integration_id, rt_count("SELECT id FROM integrations WHERE name = 'gw-b'"));
	ai_chat_reply_free(&r);
	assert_int_equal(rt_nwaits, 0);
	rt_assert_outcomes("fell_back,ok");
	assert_int_equal(ai_cooldown_left(rt_count("SELECT id FROM integrations WHERE name = 'gw-a'"),
					  rt_clk_now, NULL, 0), 360000);
}

static void test_policy_no_retry(void **state)
{
	static const struct {
		const char *kind;
		int cools; /* the provider cools down afterwards */
	} k[] = {
		{"insufficient_quota", 1},
		{"tpm_too_large", 0},
		{"context_length", 0},
		{"unauthorized", 1},
	};
	struct ai_chat_reply r;
	char err[2048], json[128];

	(void)state;
	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		int64_t a;

		rt_drop_integrations();
		rt_reset_state();
		rt_sb_reset(0);
		rt_two_gateways(NULL);
		a = rt_count("SELECT id FROM integrations WHERE name = 'gw-a'");
		snprintf(json, sizeof(json), "{\"kind\": \"%s\", \"count\": 1}", k[i].kind);
		rt_fault(0, json);
		assert_int_equal(rt_chat1(rt_tenant_a, "q", &r, err, sizeof(err)), 0);
		/* never retried: B answered at the second call */
		assert_int_equal(r.attempts, 2);
		assert_int_not_equal(r.integration_id, a);
		ai_chat_reply_free(&r);
		assert_int_equal(rt_nwaits, 0);
		assert_int_equal(rt_sb_stat(0, "d.calls.chat"), 1);
		rt_assert_outcomes("fell_back,ok");
		assert_int_equal(ai_cooldown_left(a, rt_clk_now, NULL, 0) > 0, k[i].cools);
	}
	/* 401 names the integration's remedy in the usage row */
	assert_int_equal(rt_count("SELECT count(*) FROM ai_usage WHERE error LIKE"
			       "'%set-secret%api_key%' AND error LIKE '%401%'"), 1);
}

static void test_policy_transient(void **state)
{
	static const char *kinds[] = {"server_error", "unavailable", "truncated",
				      "invalid_json"};
	struct ai_chat_reply r;
	char err[2048], json[128];

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		rt_drop_integrations();
		rt_reset_state();
		rt_clear_usage();
		rt_sb_reset(0);
		rt_two_gateways(NULL);
		snprintf(json, sizeof(json), "{\"kind\": \"%s\", \"count\": 2, "
			 "\"path\": \"chat\"}", kinds[i]);
		rt_fault(0, json);
		assert_int_equal(rt_chat1(rt_tenant_a, "q", &r, err, sizeof(err)), 0);
		assert_int_equal(r.attempts, 3);
		ai_chat_reply_free(&r);
		rt_assert_outcomes("retried,retried,ok");
		/* jittered exponential backoff: [250, 500], [500, 1000] ms */
		assert_int_equal(rt_nwaits, 2);
		assert_in_range(rt_waits[0], 250, 500);
		assert_in_range(rt_waits[1], 500, 1000);
	}
	/* more failures than max_retries (3): 4 attempts, then B; A cools */
	rt_drop_integrations();
	rt_reset_state();
	rt_clear_usage();
	rt_sb_reset(0);
	rt_two_gateways(NULL);
	rt_fault(0, "{\"kind\": \"server_error\", \"count\": 10}");
	assert_int_equal(rt_chat1(rt_tenant_a, "q", &r, err, sizeof(err)), 0);
	assert_int_equal(r.attempts, 5);
	ai_chat_reply_free(&r);
	rt_assert_outcomes("retried,retried,retried,fell_back,ok");
	assert_int_equal(rt_nwaits, 3);
	assert_in_range(rt_waits[2], 1000, 2000);
}

/* The rows of the policy table the tests above leave out: 403 is
 * permanent (falls back, cools), 404 falls back without a cooldown, 408 is
 * transient (retried with backoff), another 400 stops the route (our
 * request is wrong: B is never called). */
static void test_policy_other_status(void **state)
{
	static const struct {
		const char *kind, *outcomes;
		int ok, cools, waits, b_calls;
	} k[] = {
		{"forbidden", "fell_back,ok", 0, 1, 0, 1},
		{"model_not_found", "fell_back,ok", 0, 0, 0, 1},
		{"request_timeout", "retried,ok", 1, 0, 1, 0},
		{"bad_request", "failed", -1, 0, 0, 0},
	};
	struct ai_chat_reply r;
	char err[2048], json[128];

	(void)state;
	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		int64_t a;
		int rc;

		rt_drop_integrations();
		rt_reset_state();
		rt_sb_reset(0);
		rt_sb_reset(1);
		rt_two_gateways(NULL);
		a = rt_count("SELECT id FROM integrations WHERE name = 'gw-a'");
		snprintf(json, sizeof(json), "{\"kind\": \"%s\", \"count\": 1}", k[i].kind);
		rt_fault(0, json);
		rc = rt_chat1(rt_tenant_a, "q", &r, err, sizeof(err));
		if (k[i].ok < 0) {
			assert_int_equal(rc, -1);
			assert_non_null(strstr(err, "invalid"));
		} else {
			assert_int_equal(rc, 0);
			assert_int_equal(r.integration_id == a, k[i].ok);
			ai_chat_reply_free(&r);
		}
		rt_assert_outcomes(k[i].outcomes);
		assert_int_equal(rt_nwaits, k[i].waits);
		if (k[i].waits)
			assert_in_range(rt_waits[0], 250, 500);
		assert_int_equal(ai_cooldown_left(a, rt_clk_now, NULL, 0) > 0, k[i].cools);
		assert_int_equal(rt_sb_stat(1, "d.calls.chat"), k[i].b_calls);
	}
}

/* A timeout (a slow reply) is transient: retried, then served. */
static void test_policy_timeout(void **state)
{
	struct ai_chat_reply r;
	char err[2048];

	(void)state;
	rt_two_gateways("\"timeout_s\": 1");
	rt_fault(0, "{\"kind\": \"slow\", \"count\": 1, \"delay_ms\": 2500}");
	assert_int_equal(rt_chat1(rt_tenant_a, "q", &r, err, sizeof(err)), 0);
	assert_int_equal(r.attempts, 2);
	ai_chat_reply_free(&r);
	rt_assert_outcomes("retried,ok");
}

/* Cooldown: A is skipped while cooling, used again afterwards. */
static void test_cooldown_recovery(void **state)
{
	struct ai_chat_reply r;
	char err[2048];
	int64_t a;

	(void)state;
	rt_two_gateways(NULL);
	a = rt_count("SELECT id FROM integrations WHERE name = 'gw-a'");
	rt_fault(0, "{\"kind\": \"insufficient_quota\", \"count\": 1}");
	assert_int_equal(rt_chat1(rt_tenant_a, "q", &r, err, sizeof(err)), 0);
	ai_chat_reply_free(&r);
	assert_int_equal(ai_cooldown_left(a, rt_clk_now, NULL, 0), 30000);
	/* while cooling: A is not even called */
	rt_clk_now += 10000;
	assert_int_equal(rt_chat1(rt_tenant_a, "q", &r, err, sizeof(err)), 0);
	assert_int_not_equal(r.integration_id, a);
	assert_int_equal(r.attempts, 1);
	ai_chat_reply_free(&r);
	assert_int_equal(rt_sb_stat(0, "d.calls.chat"), 1);
	/* after it: A serves again */
	rt_clk_now += 20001;
	assert_int_equal(rt_chat1(rt_tenant_a, "q", &r, err, sizeof(err)), 0);
	assert_int_equal(r.integration_id, a);
	ai_chat_reply_free(&r);
	assert_int_equal(rt_sb_stat(0, "d.calls.chat"), 2);
}

/* Every provider failing: one error naming each. */
static void test_all_failing(void **state)
{
	struct ai_chat_reply r;
	char err[4096];

	(void)state;
	rt_two_gateways(NULL);
	rt_fault(0, "{\"kind\": \"unauthorized\", \"count\": 5}");
	rt_fault(1, "{\"kind\": \"context_length\", \"count\": 5}");
	assert_int_equal(rt_chat1(rt_tenant_a, "q", &r, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no provider could serve context 'query'"));
	assert_non_null(strstr(err, "gw-a ("));
	assert_non_null(strstr(err, "HTTP 401 invalid_api_key"));
	assert_non_null(strstr(err, "gw-b ("));
	assert_non_null(strstr(err, "context_length_exceeded"));
	assert_null(strstr(err, "SECRET"));
	rt_assert_outcomes("fell_back,failed");
	/* again: A is cooling, B is tried and fails */
	assert_int_equal(rt_chat1(rt_tenant_a, "q", &r, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cooling down"));
}

/* gateway -> local embedder, same model and dimension. */
static void test_fallback_gateway_local(void **state)
{
	struct ai_embedder *e = NULL;
	const char *texts[3] = {"a b", "c d e", "f"};
	float out[3 * 16];
	char err[2048];

	(void)state;
	rt_gw_embed_pair(NULL, "[\"gwe\", \"local\"]");
	assert_int_equal(ai_embedder_open(&rt_actx, rt_tenant_a, AI_CTX_ETL, &e, err,
					  sizeof(err)), 0);
	assert_string_equal(ai_embedder_model(e), "lexical");
	rt_fault(0, "{\"kind\": \"insufficient_quota\", \"count\": 1, \"path\": \"embeddings\"}");
	assert_int_equal(ai_embed(e, texts, 3, out, NULL, err, sizeof(err)), 0);
	rt_assert_outcomes("fell_back,ok");
	assert_int_equal(rt_count("SELECT count(*) FROM ai_usage WHERE outcome = 'ok' AND local"), 1);
	for (int i = 0; i < 3; i++) {
		float n = 0;

		for (int j = 0; j < 16; j++)
			n += out[i * 16 + j] * out[i * 16 + j];
		assert_true(fabsf(n - 1) < 1e-4);
	}
	ai_embedder_close(e);
}

/* data[] shuffled by the server: rows still land by index. */
static void test_reorder(void **state)
{
	struct ai_embedder *e = NULL;
	const char *texts[5] = {"one", "two words", "three more words", "four", "five five"};
	float a[5 * 16], b[5 * 16];
	char err[2048];

	(void)state;
	rt_gw_embed_pair(NULL, "[\"gwe\"]");
	assert_int_equal(ai_embedder_open(&rt_actx, rt_tenant_a, AI_CTX_ETL, &e, err,
					  sizeof(err)), 0);
	assert_int_equal(ai_embed(e, texts, 5, a, NULL, err, sizeof(err)), 0);
	rt_fault(0, "{\"kind\": \"shuffle\", \"count\": 1}");
	assert_int_equal(ai_embed(e, texts, 5, b, NULL, err, sizeof(err)), 0);
	assert_int_equal(rt_sb_stat(0, "d.faults_served.shuffle"), 1);
	assert_memory_equal(a, b, sizeof(a));
	/* and they differ from each other, so the check means something */
	assert_memory_not_equal(a, a + 16, 16 * sizeof(float));
	ai_embedder_close(e);
}

/* A vector of another size is refused naming both numbers; a pinned
 * model of another dimension keeps a provider out of the route. */

int main(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test_setup(test_policy_rate_limit, rt_each),
		cmocka_unit_test_setup(test_policy_no_retry, rt_each),
		cmocka_unit_test_setup(test_policy_transient, rt_each),
		cmocka_unit_test_setup(test_policy_timeout, rt_each),
		cmocka_unit_test_setup(test_policy_other_status, rt_each),
		cmocka_unit_test_setup(test_cooldown_recovery, rt_each),
		cmocka_unit_test_setup(test_all_failing, rt_each),
		cmocka_unit_test_setup(test_fallback_gateway_local, rt_each),
		cmocka_unit_test_setup(test_reorder, rt_each),
	};

	log_set_level(getenv("AI_TEST_DEBUG") ? LOG_DEBUG : LOG_ERROR);
	return cmocka_run_group_tests_name("ai-route-policy", t, rt_setup, rt_teardown);
}
