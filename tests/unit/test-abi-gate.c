/*
 * test-abi-gate: the ABI gate on every call, through the real job path.
 * Fake plugins (tests/fixtures/plugins/fake/fake.c) are loaded with the
 * loader and their extract runs against a job backend that records what
 * the host services hand on. A 1.0 plugin's short structs must arrive
 * full-size with the 1.1 fields zero (never read from past its struct);
 * an unknown non-zero tail must be refused with the plugin and struct
 * named; 1.1 plugins' new fields and calls must arrive.
 */
#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http/http.h"
#include "plugin/abi.h"
#include "plugin/job.h"
#include "plugin/loader.h"

static char fake_dir[4096];

/* What the backend saw. Strings are copied: the plugin's die with the call. */
static struct seen {
	int https, pages, state_sets;
	uint32_t req_size, page_size;
	int req_content_type_set, page_clear_set;
	char url[128], headers[4][128], entity[32], ck[32], cv[32], clear[32];
	size_t nheaders;
	char state_key[32];
	int state_value_null;
	char body[256];
} seen;

static void copy(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "(null)");
}

static int32_t be_http(struct pulse_job *job, const pulse_http_request *req,
		       pulse_http_response **resp)
{
	size_t i;

	(void)job;
	seen.https++;
	seen.req_size = req->struct_size;
	seen.req_content_type_set = req->content_type != NULL;
	copy(seen.url, sizeof(seen.url), req->url);
	for (i = 0; req->headers && req->headers[i] && i < 4; i++)
		copy(seen.headers[i], sizeof(seen.headers[i]), req->headers[i]);
	seen.nheaders = i;
	if (req->body)
		copy(seen.body, sizeof(seen.body), req->body);
	*resp = calloc(1, sizeof(**resp));
	if (!*resp)
		return PULSE_ERR_TRANSIENT;
	(*resp)->status = 200;
	/* The token service's POST gets a token (1.3). */
	if (req->url && strstr(req->url, "/oauth2/v2.0/token")) {
		(*resp)->body = strdup("{\"token_type\":\"Bearer\","
				       "\"expires_in\":3599,"
				       "\"access_token\":\"tok-fake\"}");
		(*resp)->body_len = strlen((*resp)->body);
	}
	return PULSE_OK;
}

static char *be_secret_get(struct pulse_job *job, const char *key,
			   uint32_t index)
{
	(void)job;
	return strcmp(key, "secret") == 0 && index == 0 ? strdup("p+q/r=") : NULL;
}

static int32_t be_raw_store(struct pulse_job *job, const pulse_raw_page *pg)
{
	(void)job;
	seen.pages++;
	seen.page_size = pg->struct_size;
	seen.page_clear_set = pg->checkpoint_clear_key != NULL;
	copy(seen.entity, sizeof(seen.entity), pg->entity);
	copy(seen.ck, sizeof(seen.ck), pg->checkpoint_key);
	copy(seen.cv, sizeof(seen.cv), pg->checkpoint_value);
	copy(seen.clear, sizeof(seen.clear), pg->checkpoint_clear_key);
	return PULSE_OK;
}

static int32_t be_state_set(struct pulse_job *job, const char *key,
			    const char *value)
{
	(void)job;
	seen.state_sets++;
	copy(seen.state_key, sizeof(seen.state_key), key);
	seen.state_value_null = value == NULL;
	return PULSE_OK;
}

static const struct job_backend backend = {
	.raw_store = be_raw_store,
	.state_set = be_state_set,
	.http = be_http,
	.secret_get = be_secret_get,
};

/* Load fake-NAME.so and run its extract as the runner would; returns the
 * extract's status, with job filled (the caller frees ld). */
static int32_t run_extract(struct loader *ld, const char *name,
			   struct pulse_job *job)
{
	char path[4200];
	struct plugin *p;

	memset(&seen, 0, sizeof(seen));
	snprintf(path, sizeof(path), "%s/fake-%s.so", fake_dir, name);
	assert_int_equal(loader_load_file(ld, path), 0);
	p = ld->v[ld->n - 1];
	assert_int_equal(p->info.kind, PULSE_KIND_SOURCE);
	memset(job, 0, sizeof(*job));
	job->plugin = p;
	job->mode = JOB_EXTRACT;
	job->tenant_id = 1;
	job->integration_id = 2;
	job->run_id = 3;
	job->be = &backend;
	return p->source.extract(p->state, job);
}

static void test_v1_0_structs_arrive_full_size(void **state)
{
	struct loader ld = {0};
	struct pulse_job job;

	(void)state;
	assert_int_equal(run_extract(&ld, "call-v1-0", &job), PULSE_OK);
	assert_int_equal(job.err_class, 0);
	/* Its 1.0 config table (40-byte stride) loads, ranges absent. */
	assert_int_equal(ld.v[0]->nfields, 2);
	assert_string_equal(ld.v[0]->fields[1].name, "ids");
	assert_int_equal(ld.v[0]->fields[0].flags, 0);
	assert_int_equal(ld.v[0]->fields[0].int_max, 0);
	assert_int_equal(seen.https, 1);
	assert_int_equal(seen.req_size, sizeof(pulse_http_request));
	assert_string_equal(seen.url, "https://fake.invalid/v1");
	/* The plugin's memory past its 88 bytes holds a pointer where 1.1 has
	 * content_type: the host must not have read it. */
	assert_false(seen.req_content_type_set);
	assert_int_equal(seen.nheaders, 1);
	assert_string_equal(seen.headers[0], "Accept: application/json");
	assert_int_equal(seen.pages, 1);
	assert_int_equal(seen.page_size, sizeof(pulse_raw_page));
	assert_false(seen.page_clear_set);
	assert_string_equal(seen.entity, "items");
	assert_string_equal(seen.ck, "fake.next");
	assert_string_equal(seen.cv, "2");
	loader_free(&ld);
}

static void test_nonzero_tail_refused_with_message(void **state)
{
	struct loader ld = {0};
	struct pulse_job job;

	(void)state;
	assert_int_equal(run_extract(&ld, "call-tail-set", &job),
			 PULSE_ERR_PERMANENT);
	/* The request's unknown tail is zero: accepted and handed on. */
	assert_int_equal(seen.https, 1);
	assert_int_equal(seen.req_size, sizeof(pulse_http_request));
	/* The page's is not: refused before the store saw it. */
	assert_int_equal(seen.pages, 0);
	assert_int_equal(job.err_class, PULSE_ERR_PERMANENT);
	if (!strstr(job.err, "plugin 'fake-call-tail-set' passed a bad "
		    "pulse_raw_page") ||
	    !strstr(job.err, "sets fields this host") ||
	    !strstr(job.err, "upgrade pulse-host"))
		fail_msg("unexpected refusal text: %s", job.err);
	loader_free(&ld);
}

static void test_v1_1_fields_and_calls_arrive(void **state)
{
	struct loader ld = {0};
	struct pulse_job job;

	(void)state;
	assert_int_equal(run_extract(&ld, "good", &job), PULSE_OK);
	assert_int_equal(seen.https, 1);
	/* content_type became a header; the backend needs to know nothing. */
	assert_int_equal(seen.nheaders, 1);
	assert_string_equal(seen.headers[0], "Content-Type: application/json");
	assert_int_equal(seen.pages, 1);
	assert_string_equal(seen.clear, "fake.cursor");
	/* state_delete reaches the backend as state_set(key, NULL). */
	assert_int_equal(seen.state_sets, 1);
	assert_string_equal(seen.state_key, "fake.old");
	assert_true(seen.state_value_null);
	loader_free(&ld);
}

/* 1.3: oauth2_http fetches a token (secret URL-encoded, never handed
 * to the plugin), sends the request with it, and refuses a client
 * struct shorter than its 1.3 size. */
static void test_v1_3_oauth2_http(void **state)
{
	struct loader ld = {0};
	struct pulse_job job;

	(void)state;
	assert_int_equal(run_extract(&ld, "call-oauth2", &job),
			 PULSE_ERR_PERMANENT);
	/* token POST, then the request with the bearer token */
	assert_int_equal(seen.https, 2);
	assert_string_equal(seen.url, "https://graph.fake.invalid/v1.0/me");
	assert_int_equal(seen.nheaders, 2);
	assert_string_equal(seen.headers[0], "Accept: application/json");
	assert_string_equal(seen.headers[1], "Authorization: Bearer tok-fake");
	assert_non_null(strstr(seen.body, "client_secret=p%2Bq%2Fr%3D&"));
	if (!strstr(job.err, "plugin 'fake-call-oauth2' passed a bad "
		    "pulse_oauth2_client") || !strstr(job.err, "smaller than"))
		fail_msg("unexpected refusal text: %s", job.err);
	loader_free(&ld);
}

/* Load fake-NAME.so, a vector store; returns its plugin (ld owns it). */
static struct plugin *load_store(struct loader *ld, const char *name)
{
	char path[4200];
	struct plugin *p;

	snprintf(path, sizeof(path), "%s/fake-%s.so", fake_dir, name);
	assert_int_equal(loader_load_file(ld, path), 0);
	p = ld->v[ld->n - 1];
	assert_int_equal(p->status, PLUGIN_LOADED);
	assert_int_equal(p->info.kind, PULSE_KIND_VECTOR_STORE);
	return p;
}

/* 1.4: a vector store built against 1.3 (its table ends after query)
 * still loads, and its scroll reads as absent; a 1.4 store's scroll
 * arrives and pages through its points. */
static void test_v1_4_scroll_optional(void **state)
{
	struct loader ld = {0};
	struct plugin *p;
	pulse_vector_page pg;
	const char *off = NULL;
	char ids[32] = "", next[8];
	int pages = 0;
	void *inst = NULL;

	(void)state;
	p = load_store(&ld, "vector-v1-3");
	assert_null(p->vector_store.scroll);
	assert_non_null(p->vector_store.query);
	p = load_store(&ld, "vector-store");
	assert_non_null(p->vector_store.scroll);
	assert_int_equal(p->vector_store.open(p->state, NULL, &inst), PULSE_OK);
	do {
		memset(&pg, 0, sizeof(pg));
		pg.struct_size = sizeof(pg);
		assert_int_equal(p->vector_store.scroll(inst, NULL, "c", NULL,
							off, 10, 0, &pg),
				 PULSE_OK);
		assert_int_equal(pg.dim, 4);
		assert_int_equal(pg.vectors[0], (float)atoi(pg.ids[0]));
		for (uint32_t i = 0; i < pg.n; i++)
			strcat(ids, pg.ids[i]);
		if (pg.next_offset)
			snprintf(next, sizeof(next), "%s", pg.next_offset);
		off = pg.next_offset ? next : NULL;
	} while (off && ++pages < 10);
	assert_string_equal(ids, "12345");
	/* ids only */
	memset(&pg, 0, sizeof(pg));
	pg.struct_size = sizeof(pg);
	assert_int_equal(p->vector_store.scroll(inst, NULL, "c", NULL, NULL, 10,
						PULSE_SCROLL_NO_VECTORS, &pg),
			 PULSE_OK);
	assert_null(pg.vectors);
	assert_int_equal(pg.n, 2);
	p->vector_store.close(inst);
	loader_free(&ld);
}

/* 1.4: the qdrant plugin hands a 1.1-1.3 host its table without scroll
 * (a non-zero scroll would make such a host refuse the plugin), and a
 * 1.4 host the whole table. */
static void test_v1_4_qdrant_table_by_host_minor(void **state)
{
	const char *top = getenv("abs_top_builddir");
	const pulse_vector_store_ops *o;
	const pulse_plugin_info *in;
	pulse_plugin_entry_fn entry;
	char path[4200];
	void *h;

	(void)state;
	snprintf(path, sizeof(path), "%s/plugins/provider-qdrant/.libs/qdrant.so",
		 top ? top : ".");
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		fail_msg("cannot load %s: %s", path, dlerror());
	*(void **)&entry = dlsym(h, PULSE_ENTRY_SYMBOL);
	assert_non_null(entry);
	in = entry(3);
	assert_non_null(in);
	o = in->ops;
	assert_int_equal(o->struct_size, offsetof(pulse_vector_store_ops, scroll));
	assert_non_null(o->query);
	in = entry(4);
	o = in->ops;
	assert_int_equal(o->struct_size, sizeof(pulse_vector_store_ops));
	assert_non_null(o->scroll);
	assert_null(entry(0));
	dlclose(h);
}

/* The gate itself, on the edges a plugin cannot easily build. */
static void test_gate_edges(void **state)
{
	pulse_raw_page src, dst;
	char why[512];

	(void)state;
	memset(&src, 0, sizeof(src));
	src.struct_size = (uint32_t)ABI_V1_0_RAW_PAGE - 8;
	src.abi_major = PULSE_ABI_MAJOR;
	assert_int_equal(abi_gate("p", &dst, sizeof(dst), &src,
				  ABI_V1_0_RAW_PAGE, "pulse_raw_page", why,
				  sizeof(why)), -1);
	assert_non_null(strstr(why, "plugin 'p' passed a bad pulse_raw_page"));
	assert_non_null(strstr(why, "smaller than"));
	src.struct_size = (uint32_t)sizeof(src);
	src.abi_major = PULSE_ABI_MAJOR + 1;
	assert_int_equal(abi_gate("p", &dst, sizeof(dst), &src,
				  ABI_V1_0_RAW_PAGE, "pulse_raw_page", why,
				  sizeof(why)), -1);
	assert_non_null(strstr(why, "rebuild the plugin"));
	assert_int_equal(abi_gate("p", &dst, sizeof(dst), NULL,
				  ABI_V1_0_RAW_PAGE, "pulse_raw_page", why,
				  sizeof(why)), -1);
	assert_non_null(strstr(why, "is NULL"));
	/* The 1.0 sizes are the frozen ones (sdk/abi/v1.0.layout, lp64). */
	if (sizeof(void *) == 8) {
		assert_int_equal(ABI_V1_0_RAW_PAGE, 80);
		assert_int_equal(ABI_V1_0_HTTP_REQUEST, 88);
		assert_int_equal(ABI_V1_0_CONFIG_FIELD, 40);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v1_0_structs_arrive_full_size),
		cmocka_unit_test(test_nonzero_tail_refused_with_message),
		cmocka_unit_test(test_v1_1_fields_and_calls_arrive),
		cmocka_unit_test(test_v1_3_oauth2_http),
		cmocka_unit_test(test_v1_4_scroll_optional),
		cmocka_unit_test(test_v1_4_qdrant_table_by_host_minor),
		cmocka_unit_test(test_gate_edges),
	};
	const char *top = getenv("abs_top_builddir");

	snprintf(fake_dir, sizeof(fake_dir),
		 "%s/tests/fixtures/plugins/fake/.libs", top ? top : ".");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
