/*
 * test-route: the AI router (host/ai) - local embedding and its pin, chat
 * usage and cost, dimension checks, big batches, routing validation,
 * response formats and usage isolation - on route_fixture's database,
 * OpenAI sandboxes and test clock. The error policy table, cooldown and
 * fallbacks are in test-route-policy.c.
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

/* ---- tests ---- */

/* Only a local embedder: etl opens, embeds, and pins the model. */
static void test_local_only(void **state)
{
	struct ai_embedder *e = NULL;
	const char *texts[2] = {"open pull requests", "merged pull requests"};
	float out[2 * 16];
	uint64_t tok = 0;
	char err[2048], *v;

	(void)state;
	rt_add_integration(rt_tenant_a, "local", "Embedding", "lexical-local",
			"{\"dimension\": 16}", NULL);
	assert_int_equal(ai_embedder_open(&rt_actx, rt_tenant_a, AI_CTX_ETL, &e, err,
					  sizeof(err)), 0);
	assert_string_equal(ai_embedder_model(e), "lexical");
	assert_int_equal(ai_embedder_dim(e), 16);
	assert_int_equal(ai_embed(e, texts, 2, out, &tok, err, sizeof(err)), 0);
	assert_int_equal(tok, 6);
	ai_embedder_close(e);
	v = rt_sql1(rt_admin, "SELECT model || '/' || dimension FROM ai_model_pins");
	assert_string_equal(v, "lexical/16");
	free(v);
	v = rt_outcomes(rt_tenant_a);
	assert_string_equal(v, "ok");
	free(v);
	/* a query route does not exist: ai_chat says so with 1 */
	{
		struct ai_chat_reply r;

		assert_int_equal(rt_chat1(rt_tenant_a, "hi", &r, err, sizeof(err)), 1);
		assert_non_null(strstr(err, "no chat provider"));
	}
}

/* Chat against the sandbox: echo and script, exact usage and cost. */
static void test_chat_usage_cost(void **state)
{
	struct ai_chat_reply r;
	char err[2048], buf[512], *v;

	(void)state;
	rt_add_integration(rt_tenant_a, "gw", "AI", "gateway",
			rt_gw(0, "\"chat_model\": \"gpt-test\", \"price_input_per_1m\": "
			   "\"0.15\", \"price_output_per_1m\": \"0.60\"", buf,
			   sizeof(buf)), KEY);
	assert_int_equal(rt_chat1(rt_tenant_a, "how many open pull requests", &r, err,
			       sizeof(err)), 0);
	assert_string_equal(r.text, "how many open pull requests");
	assert_string_equal(r.model, "gpt-test");
	/* sandbox tokens are words: "be brief" + 5 words in, 5 out */
	assert_int_equal(r.prompt_tokens, 7);
	assert_int_equal(r.completion_tokens, 5);
	assert_int_equal(r.attempts, 1);
	ai_chat_reply_free(&r);
	v = rt_sql1(rt_admin, "SELECT input_tokens || ' ' || output_tokens || ' ' ||"
		 " outcome || ' ' || cost_usd || ' ' || operation || ' ' || context"
		 " || ' ' || model || ' ' || local FROM ai_usage");
	/* 7 x 0.15 / 1e6 + 5 x 0.60 / 1e6 = 0.00000405 */
	assert_string_equal(v, "7 5 ok 0.0000040500 test query gpt-test false");
	free(v);
	rt_sb_post(0, "/_sandbox/script", "{\"match\": \"pull\", \"reply\": \"SELECT 1\", \"times\": 1}");
	assert_int_equal(rt_chat1(rt_tenant_a, "open pull requests", &r, err, sizeof(err)), 0);
	assert_string_equal(r.text, "SELECT 1");
	ai_chat_reply_free(&r);
	assert_int_equal(rt_chat1(rt_tenant_a, "open pull requests", &r, err, sizeof(err)), 0);
	assert_string_equal(r.text, "open pull requests"); /* times ran out */
	ai_chat_reply_free(&r);
	/* the key went out as a Bearer token, and the sandbox masks it */
	v = rt_sb_stat_text(0, "d.last_headers.authorization");
	assert_string_equal(v, "\"Bearer ***\"\n");
	free(v);
	/* without prices, no cost */
	rt_drop_integrations();
	rt_add_integration(rt_tenant_a, "gw", "AI", "gateway", rt_gw(0, NULL, buf, sizeof(buf)), KEY);
	assert_int_equal(rt_chat1(rt_tenant_a, "x", &r, err, sizeof(err)), 0);
	ai_chat_reply_free(&r);
	assert_int_equal(rt_count("SELECT count(*) FROM ai_usage WHERE cost_usd IS NULL"), 1);
}

/* Two gateways A -> B for chat, with faults on A. */
static void test_dimension_mismatch(void **state)
{
	struct ai_embedder *e = NULL;
	const char *texts[1] = {"x"};
	float out[16];
	char err[2048], buf[512];

	(void)state;
	rt_gw_embed_pair(NULL, "[\"gwe\"]");
	assert_int_equal(ai_embedder_open(&rt_actx, rt_tenant_a, AI_CTX_ETL, &e, err,
					  sizeof(err)), 0);
	rt_fault(0, "{\"kind\": \"wrong_dim\", \"count\": 1}");
	assert_int_equal(ai_embed(e, texts, 1, out, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "returned 15 dimensions but 16 are declared"));
	ai_embedder_close(e);
	/* pinned to lexical/16; a gateway of 32 dimensions cannot serve */
	assert_int_equal(rt_count("SELECT count(*) FROM ai_model_pins"), 0);
	{
		char e2[256];

		assert_int_equal(ai_pin_set(rt_app, rt_tenant_a, "search", "lexical", 16,
					    0, e2, sizeof(e2)), 0);
	}
	rt_drop_integrations();
	rt_add_integration(rt_tenant_a, "gwe32", "Embedding", "gateway-embed",
			rt_gw(0, "\"embedding_model\": \"lexical\", \"embedding_dimensions\": 32",
			   buf, sizeof(buf)), KEY);
	{
		char e2[256];

		assert_int_equal(ai_pin_set(rt_app, rt_tenant_a, "search", "lexical", 16,
					    0, e2, sizeof(e2)), 0);
	}
	assert_int_equal(ai_embedder_open(&rt_actx, rt_tenant_a, AI_CTX_SEARCH, &e, err,
					  sizeof(err)), 0);
	assert_int_equal(ai_embed(e, texts, 1, out, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "serves model lexical with 32 dimensions"));
	assert_non_null(strstr(err, "lexical with 16"));
	ai_embedder_close(e);
}

/* More than 2048 texts: split into requests of at most 2048. */
static void test_big_batch(void **state)
{
	struct ai_embedder *e = NULL;
	enum { N = 2100 };
	const char **texts = calloc(N, sizeof(*texts));
	float *out = calloc((size_t)N * 16, sizeof(float));
	char err[2048], *v;
	uint64_t tok = 0;

	(void)state;
	for (int i = 0; i < N; i++)
		texts[i] = i % 2 ? "alpha beta" : "gamma";
	rt_gw_embed_pair(NULL, "[\"gwe\"]");
	assert_int_equal(ai_embedder_open(&rt_actx, rt_tenant_a, AI_CTX_ETL, &e, err,
					  sizeof(err)), 0);
	assert_int_equal(ai_embed(e, texts, N, out, &tok, err, sizeof(err)), 0);
	assert_int_equal(tok, 3150);
	v = rt_sb_stat_text(0, "d.requests.map(r => r.n)");
	assert_string_equal(v, "[2048,52]\n");
	free(v);
	/* row 2099 is "alpha beta", row 2098 "gamma": placed right */
	assert_memory_equal(out + 1 * 16, out + 2099 * 16, 16 * sizeof(float));
	assert_memory_equal(out, out + 2098 * 16, 16 * sizeof(float));
	v = rt_sql1(rt_admin, "SELECT items || ' ' || input_tokens FROM ai_usage");
	assert_string_equal(v, "2100 3150");
	free(v);
	ai_embedder_close(e);
	free(texts);
	free(out);
}

/* Routing defaults and validation errors that name the field. */
static void test_routing(void **state)
{
	struct ai_route r;
	struct json_object *cfg;
	char err[1024], buf[512];

	(void)state;
	rt_add_integration(rt_tenant_a, "gwe", "Embedding", "gateway-embed",
			rt_gw(0, NULL, buf, sizeof(buf)), KEY);
	rt_add_integration(rt_tenant_a, "local", "Embedding", "lexical-local", "{}", NULL);
	rt_add_integration(rt_tenant_a, "gw", "AI", "gateway", rt_gw(0, NULL, buf, sizeof(buf)), KEY);
	assert_int_equal(ai_route_resolve(rt_app, &rt_ld, rt_tenant_a, "etl", &r, err, sizeof(err)), 0);
	assert_int_equal(r.n, 2);
	assert_string_equal(r.hop[0].name, "local"); /* local first */
	assert_string_equal(r.hop[1].name, "gwe");
	assert_int_equal(ai_route_resolve(rt_app, &rt_ld, rt_tenant_a, "query", &r, err, sizeof(err)), 0);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.hop[0].name, "gw");
	/* tenant B sees none of A's integrations */
	assert_int_equal(ai_route_resolve(rt_app, &rt_ld, rt_tenant_b, "etl", &r, err, sizeof(err)), 1);
	assert_int_equal(ai_route_resolve(rt_app, &rt_ld, rt_tenant_a, "bulk", &r, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "unknown AI context 'bulk'"));

#define BAD(json, want)                                                        \
	do {                                                                   \
		cfg = json_tokener_parse(json);                                \
		assert_non_null(cfg);                                          \
		assert_int_equal(ai_config_validate(rt_app, &rt_ld, rt_tenant_a, cfg,   \
						    NULL, NULL, err,           \
						    sizeof(err)), -1);         \
		if (!strstr(err, want))                                        \
			fail_msg("got: %s; want: %s", err, want);              \
		json_object_put(cfg);                                          \
	} while (0)
	BAD("{\"bulk\": []}", "ai_model_config.bulk: unknown context");
	BAD("{\"etl\": [\"nope\"]}", "ai_model_config.etl[0]: no enabled AI or Embedding integration 'nope'");
	BAD("{\"etl\": [\"gw\"]}", "ai_model_config.etl[0]: integration 'gw' (plugin 'gateway') does not serve embeddings");
	BAD("{\"query\": {\"providers\": [\"gw\", \"local\"]}}", "ai_model_config.query.providers[1]");
	BAD("{\"query\": {\"source\": \"cloud\"}}", "ai_model_config.query.source: must be \"local\" or \"external\"");
	BAD("{\"etl\": {\"providers\": [\"local\"], \"gateway_route\": \"m\"}}", "ai_model_config.etl.gateway_route: no provider");
	BAD("{\"etl\": {\"retries\": 2}}", "ai_model_config.etl.retries: unknown field");
	BAD("{\"etl\": {\"cooldown_s\": -1}}", "ai_model_config.etl.cooldown_s: must be a whole number");
	cfg = json_tokener_parse("{\"etl\": {\"providers\": [\"gwe\", \"local\"], "
				 "\"source\": \"local\"}, \"query\": {\"providers\": "
				 "[\"gw\"], \"gateway_route\": \"gpt-4o\"}}");
	assert_int_equal(ai_config_validate(rt_app, &rt_ld, rt_tenant_a, cfg, NULL, NULL,
					    err, sizeof(err)), 0);
	json_object_put(cfg);
	/* a bad stored config is reported at resolve time with the integration */
	rt_drop_integrations();
	rt_add_integration(rt_tenant_a, "gw", "AI", "gateway",
			rt_gw(0, "\"ai_model_config\": {\"query\": [\"ghost\"]}", buf,
			   sizeof(buf)), KEY);
	assert_int_equal(ai_route_resolve(rt_app, &rt_ld, rt_tenant_a, "query", &r, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "ai_model_config.query[0]: no enabled"));
	assert_non_null(strstr(err, "(gw)"));
}

/* gateway_route: the model asked of the gateway. */
static void test_gateway_route(void **state)
{
	struct ai_chat_reply r;
	char err[2048], buf[512], *v;

	(void)state;
	rt_add_integration(rt_tenant_a, "gw", "AI", "gateway",
			rt_gw(0, "\"ai_model_config\": {\"query\": {\"providers\": [\"gw\"],"
			   " \"gateway_route\": \"team-fast\"}}", buf, sizeof(buf)), KEY);
	assert_int_equal(rt_chat1(rt_tenant_a, "q", &r, err, sizeof(err)), 0);
	assert_string_equal(r.model, "team-fast");
	ai_chat_reply_free(&r);
	v = rt_sb_stat_text(0, "d.requests[0].model");
	assert_string_equal(v, "\"team-fast\"\n");
	free(v);
}

/* response_format as the sandbox received it: json_schema with strict
 * (the schema passed through as an object, not a string), json_object,
 * none; a schema that is not a JSON object is refused, never sent. */
static void test_response_format(void **state)
{
	static const char schema[] = "{\"type\": \"object\", \"properties\": "
		"{\"sql\": {\"type\": \"string\"}}, \"required\": [\"sql\"], "
		"\"additionalProperties\": false}";
	struct ai_chat_msg m[1] = {{"user", "open pull requests"}};
	struct ai_chat_req req = {.messages = m, .n_messages = 1,
				  .temperature_milli = 0, .max_tokens = 64,
				  .operation = "sql", .json_schema = schema,
				  .json_schema_name = "sql_reply",
				  .json_schema_strict = 1};
	struct ai_chat_reply r;
	char err[2048], buf[512], *v;

	(void)state;
	rt_add_integration(rt_tenant_a, "gw", "AI", "gateway", rt_gw(0, NULL, buf, sizeof(buf)), KEY);
	assert_int_equal(ai_chat(&rt_actx, rt_tenant_a, AI_CTX_QUERY, &req, &r, err,
				 sizeof(err)), 0);
	ai_chat_reply_free(&r);
	v = rt_sb_stat_text(0, "d.last_chat_body.response_format");
	assert_string_equal(v, "{\"type\":\"json_schema\",\"json_schema\":{\"name\":"
			    "\"sql_reply\",\"schema\":{\"type\":\"object\",\"properties\":"
			    "{\"sql\":{\"type\":\"string\"}},\"required\":[\"sql\"],"
			    "\"additionalProperties\":false},\"strict\":true}}\n");
	free(v);
	v = rt_sb_stat_text(0, "[d.last_chat_body.max_completion_tokens, "
			 "d.last_chat_body.temperature, d.last_chat_body.messages]");
	assert_string_equal(v, "[64,0,[{\"role\":\"user\",\"content\":"
			    "\"open pull requests\"}]]\n");
	free(v);
	/* strict off, no name: the default name, strict false */
	req.json_schema_strict = 0;
	req.json_schema_name = NULL;
	assert_int_equal(ai_chat(&rt_actx, rt_tenant_a, AI_CTX_QUERY, &req, &r, err,
				 sizeof(err)), 0);
	ai_chat_reply_free(&r);
	v = rt_sb_stat_text(0, "[d.last_chat_body.response_format.json_schema.name, "
			 "d.last_chat_body.response_format.json_schema.strict]");
	assert_string_equal(v, "[\"reply\",false]\n");
	free(v);
	/* json_object */
	req.json_schema = NULL;
	req.json = 1;
	assert_int_equal(ai_chat(&rt_actx, rt_tenant_a, AI_CTX_QUERY, &req, &r, err,
				 sizeof(err)), 0);
	ai_chat_reply_free(&r);
	v = rt_sb_stat_text(0, "d.last_chat_body.response_format");
	assert_string_equal(v, "{\"type\":\"json_object\"}\n");
	free(v);
	/* plain text: no response_format at all */
	req.json = 0;
	assert_int_equal(ai_chat(&rt_actx, rt_tenant_a, AI_CTX_QUERY, &req, &r, err,
				 sizeof(err)), 0);
	ai_chat_reply_free(&r);
	v = rt_sb_stat_text(0, "d.last_chat_body.response_format === undefined");
	assert_string_equal(v, "true\n");
	free(v);
	/* a schema that is not an object: refused here, nothing sent */
	req.json_schema = "[1, 2";
	assert_int_equal(ai_chat(&rt_actx, rt_tenant_a, AI_CTX_QUERY, &req, &r, err,
				 sizeof(err)), -1);
	assert_non_null(strstr(err, "schema asked for is not a JSON object"));
	assert_int_equal(rt_sb_stat(0, "d.calls.chat"), 4);
}

/* Usage rows are tenant-scoped: B never sees A's. */
static void test_usage_isolation(void **state)
{
	struct ai_chat_reply r;
	char err[2048], buf[512];
	PGresult *res;

	(void)state;
	rt_add_integration(rt_tenant_a, "gw", "AI", "gateway", rt_gw(0, NULL, buf, sizeof(buf)), KEY);
	assert_int_equal(rt_chat1(rt_tenant_a, "q", &r, err, sizeof(err)), 0);
	ai_chat_reply_free(&r);
	assert_int_equal(rt_count("SELECT count(*) FROM ai_usage"), 1);
	assert_int_equal(db_tenant_begin(rt_app, rt_tenant_b, err, sizeof(err)), 0);
	res = db_query(rt_app, err, sizeof(err), "SELECT count(*) FROM ai_usage", 0, NULL);
	assert_non_null(res);
	assert_string_equal(PQgetvalue(res, 0, 0), "0");
	PQclear(res);
	db_rollback(rt_app);
	assert_int_equal(db_tenant_begin(rt_app, rt_tenant_a, err, sizeof(err)), 0);
	res = db_query(rt_app, err, sizeof(err), "SELECT count(*) FROM ai_usage", 0, NULL);
	assert_string_equal(PQgetvalue(res, 0, 0), "1");
	PQclear(res);
	db_rollback(rt_app);
	/* without a tenant: nothing */
	res = db_query(rt_app, err, sizeof(err), "SELECT count(*) FROM ai_usage", 0, NULL);
	assert_string_equal(PQgetvalue(res, 0, 0), "0");
	PQclear(res);
	/* the key is nowhere in the database as text */
	assert_int_equal(rt_count("SELECT count(*) FROM ai_usage WHERE"
			       " ai_usage::text LIKE '%SECRET%'"), 0);
	assert_int_equal(rt_count("SELECT count(*) FROM integrations WHERE"
			       " integrations::text LIKE '%SECRET%'"
			       " OR encode(credentials, 'escape') LIKE '%SECRET%'"), 0);
}

int main(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test_setup(test_local_only, rt_each),
		cmocka_unit_test_setup(test_chat_usage_cost, rt_each),
		cmocka_unit_test_setup(test_dimension_mismatch, rt_each),
		cmocka_unit_test_setup(test_big_batch, rt_each),
		cmocka_unit_test_setup(test_routing, rt_each),
		cmocka_unit_test_setup(test_gateway_route, rt_each),
		cmocka_unit_test_setup(test_usage_isolation, rt_each),
		cmocka_unit_test_setup(test_response_format, rt_each),
	};

	log_set_level(getenv("AI_TEST_DEBUG") ? LOG_DEBUG : LOG_ERROR);
	return cmocka_run_group_tests_name("ai-route", t, rt_setup, rt_teardown);
}
