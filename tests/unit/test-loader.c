/*
 * test-loader: every refusal case of the plugin loader, against real
 * modules built from tests/fixtures/plugins/fake/fake.c. Each refused plugin must
 * carry a reason that says what is wrong, and loading goes on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "plugin/hostapi.h"
#include "plugin/job.h"
#include "plugin/loader.h"
#include "plugin/settings.h"
#include "base/log.h"

static char fake_dir[4096];

static const char *fake(const char *name)
{
	static char path[4200];

	snprintf(path, sizeof(path), "%s/fake-%s.so", fake_dir, name);
	return path;
}

/* Load one module into a fresh loader and return it (caller frees). */
static struct plugin *load_one(struct loader *ld, const char *name, int want_rc)
{
	int rc = loader_load_file(ld, fake(name));

	assert_int_equal(rc, want_rc);
	assert_int_equal(ld->n, 1);
	return ld->v[0];
}

static void assert_refused(const char *name, const char *reason_part)
{
	struct loader ld = {0};
	struct plugin *p = load_one(&ld, name, -1);

	assert_int_equal(p->status, PLUGIN_REFUSED);
	assert_non_null(p->reason);
	if (!strstr(p->reason, reason_part))
		fail_msg("reason for %s is '%s', expected it to mention '%s'",
			 name, p->reason, reason_part);
	/* A refused plugin is closed: nothing may point into it. */
	assert_null(p->dl);
	loader_free(&ld);
}

static void test_good_loads_with_fields(void **state)
{
	struct loader ld = {0};
	struct plugin *p;

	(void)state;
	p = load_one(&ld, "good", 0);
	assert_int_equal(p->status, PLUGIN_LOADED);
	assert_string_equal(p->name, "fake-good");
	assert_int_equal(p->nfields, 5);
	assert_string_equal(p->fields[0].name, "endpoint");
	assert_int_equal(p->fields[0].type, PULSE_CFG_URL);
	assert_string_equal(p->fields[1].default_json, "3");
	/* 1.1 range fields survive the copy */
	assert_int_equal(p->fields[1].flags, PULSE_CFG_HAS_MIN | PULSE_CFG_HAS_MAX);
	assert_int_equal(p->fields[1].int_max, 10);
	assert_int_equal(p->fields[2].int_min, -5);
	assert_non_null(p->state); /* init ran */
	assert_ptr_equal(loader_find(&ld, "fake-good"), p);
	loader_free(&ld);
}

static void test_older_minor_loads_with_defaults(void **state)
{
	struct loader ld = {0};
	struct plugin *p;

	(void)state;
	p = load_one(&ld, "old-minor", 0);
	assert_int_equal(p->status, PLUGIN_LOADED);
	/* The fields past its struct_size were not read: defaults apply, even
	 * though the module's memory holds values there. */
	assert_string_equal(p->description, "");
	assert_int_equal(p->nfields, 0);
	assert_null(p->info.init);
	assert_null(p->state);
	loader_free(&ld);
}

static void test_newer_struct_zero_tail_loads(void **state)
{
	struct loader ld = {0};
	struct plugin *p;

	(void)state;
	p = load_one(&ld, "newer-tail-zero", 0);
	assert_int_equal(p->status, PLUGIN_LOADED);
	assert_int_equal(p->abi_minor, 5);
	loader_free(&ld);
}

static void test_newer_struct_nonzero_tail_refused(void **state)
{
	(void)state;
	assert_refused("newer-tail-set", "does not know; upgrade pulse-host");
}

static void test_wrong_major_field_refused(void **state)
{
	(void)state;
	assert_refused("major-field", "built for ABI 2.");
}

static void test_wrong_major_symbol_refused(void **state)
{
	(void)state;
	assert_refused("major-symbol", "built for ABI major 2");
}

static void test_missing_entry_refused(void **state)
{
	(void)state;
	assert_refused("no-entry", "no pulse_plugin_entry_v1 symbol");
}

static void test_init_failure_refused_with_text(void **state)
{
	(void)state;
	assert_refused("init-fails",
		       "init failed: cannot open license file /nonexistent/license.key");
}

static void test_ops_of_other_major_refused(void **state)
{
	(void)state;
	assert_refused("ops-major", "pulse_source_ops was built for ABI 2.");
}

static void test_duplicate_name_refused(void **state)
{
	struct loader ld = {0};

	(void)state;
	assert_int_equal(loader_load_file(&ld, fake("dup-a")), 0);
	assert_int_equal(loader_load_file(&ld, fake("dup-b")), -1);
	assert_int_equal(ld.v[0]->status, PLUGIN_LOADED);
	assert_int_equal(ld.v[1]->status, PLUGIN_REFUSED);
	assert_non_null(strstr(ld.v[1]->reason, "already taken by"));
	assert_non_null(strstr(ld.v[1]->reason, "fake-dup-a.so"));
	loader_free(&ld);
}

static void test_missing_file_refused(void **state)
{
	struct loader ld = {0};

	(void)state;
	assert_int_equal(loader_load_file(&ld, "/nonexistent/x.so"), -1);
	/* The trust check (plugin/trust.c) sees the missing file first. */
	assert_non_null(strstr(ld.v[0]->reason, "/nonexistent"));
	assert_non_null(strstr(ld.v[0]->reason, "No such file"));
	loader_free(&ld);
}

/* Scanning a directory with every case loads the good ones and goes on. */
static void test_scan_continues_past_refusals(void **state)
{
	struct loader ld = {0};
	char *dirs[] = {fake_dir, NULL};
	size_t i, refused = 0;
	int loaded;

	(void)state;
	loaded = loader_scan(&ld, dirs);
	for (i = 0; i < ld.n; i++)
		refused += ld.v[i]->status == PLUGIN_REFUSED;
	/* good, old-minor, newer-tail-zero, dup-a (dup-b is refused),
	 * call-v1-0, call-tail-set, call-oauth2 (they fail only when
	 * called), embedder, llm, vector-store, vector-v1-3; refused: the 7
	 * broken sources and the 3 broken providers. */
	assert_int_equal(loaded, 11);
	assert_int_equal(refused, 10);
	loader_free(&ld);
}

/* ---- provider kinds (1.1) ---------------------------------------- */

static void test_embedder_loads_and_embeds(void **state)
{
	struct loader ld = {0};
	struct plugin *p;
	pulse_embed_info info = {PULSE_STRUCT_HEADER(pulse_embed_info)};
	pulse_usage usage = {PULSE_STRUCT_HEADER(pulse_usage)};
	const char *texts[] = {"ab", "abc"};
	float out[8];
	void *inst = NULL;

	(void)state;
	p = load_one(&ld, "embedder", 0);
	assert_int_equal(p->kind, PULSE_KIND_EMBEDDER);
	assert_string_equal(loader_kind_name(p->kind), "embedder");
	assert_int_equal(p->embedder.open(p->state, NULL, &inst), PULSE_OK);
	assert_int_equal(p->embedder.info(inst, NULL, &info), PULSE_OK);
	assert_string_equal(info.model, "fake-embed");
	assert_int_equal(info.dimension, 4);
	assert_int_equal(p->embedder.embed(inst, NULL, texts, 2, out, 4, &usage),
			 PULSE_OK);
	/* the caller's array is filled row by row */
	assert_true(out[2] == 1.0f && out[4 + 3] == 1.0f && out[0] == 0.0f);
	assert_int_equal(usage.total_tokens, 2 + 2 + 3 + 2);
	assert_int_equal(p->embedder.embed(inst, NULL, texts, 2, out, 3, NULL),
			 PULSE_ERR_INVALID);
	p->embedder.close(inst);
	loader_free(&ld);
}

static void test_llm_loads_and_chats(void **state)
{
	struct loader ld = {0};
	struct plugin *p;
	pulse_chat_message msgs[] = {
		{PULSE_STRUCT_HEADER(pulse_chat_message), .role = "system",
		 .content = "be brief"},
		{PULSE_STRUCT_HEADER(pulse_chat_message), .role = "user",
		 .content = "hi"},
	};
	pulse_chat_request req = {PULSE_STRUCT_HEADER(pulse_chat_request),
				  .messages = msgs, .n_messages = 2,
				  .temperature_milli = -1};
	pulse_usage usage = {PULSE_STRUCT_HEADER(pulse_usage)};
	pulse_chat_result res = {PULSE_STRUCT_HEADER(pulse_chat_result),
				 .usage = &usage};
	void *inst = NULL;

	(void)state;
	p = load_one(&ld, "llm", 0);
	assert_int_equal(p->kind, PULSE_KIND_LLM);
	assert_int_equal(p->llm.flags, PULSE_PROVIDER_THREAD_SAFE);
	assert_int_equal(p->llm.open(p->state, NULL, &inst), PULSE_OK);
	assert_int_equal(p->llm.chat(inst, NULL, &req, &res), PULSE_OK);
	assert_string_equal(res.text, "user said: hi");
	assert_int_equal(res.finish, PULSE_FINISH_STOP);
	assert_int_equal(usage.total_tokens, 8);
	p->llm.close(inst);
	loader_free(&ld);
}

static void test_vector_store_loads_and_queries(void **state)
{
	struct loader ld = {0};
	struct plugin *p;
	pulse_vector_hits hits = {PULSE_STRUCT_HEADER(pulse_vector_hits)};
	const float v[4] = {1, 0, 0, 0};
	void *inst = NULL;

	(void)state;
	p = load_one(&ld, "vector-store", 0);
	assert_int_equal(p->kind, PULSE_KIND_VECTOR_STORE);
	assert_string_equal(loader_kind_name(p->kind), "vector-store");
	assert_int_equal(p->vector_store.open(p->state, NULL, &inst), PULSE_OK);
	assert_int_equal(p->vector_store.ensure_collection(inst, NULL, "c", 4,
							   PULSE_DISTANCE_COSINE),
			 PULSE_OK);
	assert_int_equal(p->vector_store.query(inst, NULL, "c", v, 4, 5, NULL,
					       &hits), PULSE_OK);
	assert_int_equal(hits.n, 2);
	assert_string_equal(hits.ids[0], "7");
	assert_true(hits.scores[0] > hits.scores[1]);
	p->vector_store.close(inst);
	loader_free(&ld);
}

static void test_short_provider_ops_refused(void **state)
{
	(void)state;
	assert_refused("embedder-short", "pulse_embedder_ops has struct_size");
}

static void test_missing_provider_op_refused(void **state)
{
	(void)state;
	assert_refused("vector-no-query",
		       "pulse_vector_store_ops lacks the mandatory op 'query'");
}

static void test_provider_ops_unknown_tail_refused(void **state)
{
	(void)state;
	assert_refused("llm-tail-set", "pulse_llm_ops (ABI 1.9");
}

/* ---- settings: declared ranges and id lists (1.1) ----------------- */

static void expect_setting(struct plugin *p, const char *field,
			 const char *json, const char *want_err)
{
	struct json_object *v = json_tokener_parse(json);
	char err[512] = "";
	int rc = settings_check_value(p, field, v, err, sizeof(err));

	json_object_put(v);
	if (!want_err) {
		if (rc != 0)
			fail_msg("%s=%s refused: %s", field, json, err);
		return;
	}
	if (rc == 0 || !strstr(err, want_err))
		fail_msg("%s=%s: got rc %d '%s', want '%s'", field, json, rc, err,
			 want_err);
}

static void test_settings_ranges_and_id_lists(void **state)
{
	struct loader ld = {0};
	struct plugin *p;

	(void)state;
	p = load_one(&ld, "good", 0);
	expect_setting(p, "retries", "0", NULL);
	expect_setting(p, "retries", "10", NULL);
	expect_setting(p, "retries", "-1",
		     "field 'retries' must be an integer between 0 and 10, got -1");
	expect_setting(p, "retries", "11", "between 0 and 10, got 11");
	expect_setting(p, "floor", "-5", NULL);
	expect_setting(p, "floor", "9000000000", NULL);
	expect_setting(p, "floor", "-6",
		     "field 'floor' must be an integer at least -5, got -6");
	expect_setting(p, "boards", "[7, \"x\", 12]", NULL);
	expect_setting(p, "boards", "[{}]",
		     "field 'boards': boards[0] is an object; expected a "
		     "string or an integer");
	expect_setting(p, "boards", "[\"a\", 1.5]",
		     "boards[1] is a fractional number");
	expect_setting(p, "tokens", "[\"t\", 7]",
		     "tokens[1] is an integer; expected a string");
	loader_free(&ld);
}

/* An integer list element reaches the plugin as text. */
static void test_list_item_integer_as_text(void **state)
{
	struct pulse_job job;
	const pulse_host_api *api = hostapi_table();

	(void)state;
	memset(&job, 0, sizeof(job));
	job.settings = json_tokener_parse("{\"boards\": [7, \"12\"]}");
	assert_non_null(job.settings);
	assert_int_equal(api->config_list_count(&job, "boards"), 2);
	assert_string_equal(api->config_list_item(&job, "boards", 0), "7");
	assert_string_equal(api->config_list_item(&job, "boards", 1), "12");
	assert_null(api->config_list_item(&job, "boards", 2));
	json_object_put(job.settings);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_loads_with_fields),
		cmocka_unit_test(test_older_minor_loads_with_defaults),
		cmocka_unit_test(test_newer_struct_zero_tail_loads),
		cmocka_unit_test(test_newer_struct_nonzero_tail_refused),
		cmocka_unit_test(test_wrong_major_field_refused),
		cmocka_unit_test(test_wrong_major_symbol_refused),
		cmocka_unit_test(test_missing_entry_refused),
		cmocka_unit_test(test_init_failure_refused_with_text),
		cmocka_unit_test(test_ops_of_other_major_refused),
		cmocka_unit_test(test_duplicate_name_refused),
		cmocka_unit_test(test_missing_file_refused),
		cmocka_unit_test(test_scan_continues_past_refusals),
		cmocka_unit_test(test_embedder_loads_and_embeds),
		cmocka_unit_test(test_llm_loads_and_chats),
		cmocka_unit_test(test_vector_store_loads_and_queries),
		cmocka_unit_test(test_short_provider_ops_refused),
		cmocka_unit_test(test_missing_provider_op_refused),
		cmocka_unit_test(test_provider_ops_unknown_tail_refused),
		cmocka_unit_test(test_settings_ranges_and_id_lists),
		cmocka_unit_test(test_list_item_integer_as_text),
	};
	const char *top = getenv("abs_top_builddir");

	snprintf(fake_dir, sizeof(fake_dir), "%s/tests/fixtures/plugins/fake/.libs",
		 top ? top : ".");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
