/*
 * test-qdrant-wire: the qdrant plugin's wire logic (plugins/provider-qdrant
 * wire.c) without a server: the error policy row by row (Qdrant's JSON
 * envelope and plain-text 401/403), the tenant condition a filter must
 * carry, has_id on deletes by id, payloads without a tenant refused, the
 * collection body, query replies and collection info, scroll bodies and
 * pages (ABI 1.4); and the host's
 * epoch parser of updated_at / --since (host/ai/vstore_time.c).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include <pulse-host/plugin.h>

#include "../../plugins/provider-qdrant/qd.h"
#include "ai/vstore_time.h"

#define T(s) (s), strlen(s)

static void test_classify(void **st)
{
	uint32_t wait, want, got;
	char msg[512];
	const char *env_dim = "{\"status\":{\"error\":\"Wrong input: Vector "
			      "dimension error: expected dim: 384, got 3\"},"
			      "\"time\":0.001}";

	(void)st;
	assert_int_equal(qd_classify(429, T("{\"status\":{\"error\":\"Too many "
		"requests\"},\"time\":0}"), "2", &wait, &want, &got, msg,
		sizeof(msg)), QD_RETRY);
	assert_int_equal(wait, 2000);
	assert_non_null(strstr(msg, "HTTP 429: Too many requests"));
	assert_int_equal(qd_classify(429, T("{}"), NULL, &wait, &want, &got, msg,
				     sizeof(msg)), QD_RETRY);
	assert_int_equal(wait, 0);
	assert_int_equal(qd_classify(503, T("{\"status\":{\"error\":\"x\"}}"),
				     NULL, &wait, &want, &got, msg, sizeof(msg)),
			 QD_RETRY);
	assert_int_equal(qd_classify(500, T(""), NULL, &wait, &want, &got, msg,
				     sizeof(msg)), QD_RETRY);
	assert_int_equal(qd_classify(404, T("{\"status\":{\"error\":\"Not found: "
		"Collection `c` doesn't exist!\"}}"), NULL, &wait, &want, &got,
		msg, sizeof(msg)), QD_NOT_FOUND);
	assert_non_null(strstr(msg, "doesn't exist"));
	assert_int_equal(qd_classify(400, T(env_dim), NULL, &wait, &want, &got,
				     msg, sizeof(msg)), QD_DIMENSION);
	assert_int_equal(want, 384);
	assert_int_equal(got, 3);
	assert_int_equal(qd_classify(400, T("{\"status\":{\"error\":\"Format "
		"error in JSON body\"}}"), NULL, &wait, &want, &got, msg,
		sizeof(msg)), QD_PERMANENT);
	/* plain text, passed on as it is */
	assert_int_equal(qd_classify(401, T("Invalid API key or JWT"), NULL, &wait,
				     &want, &got, msg, sizeof(msg)), QD_PERMANENT);
	assert_string_equal(msg, "HTTP 401: Invalid API key or JWT");
	assert_int_equal(qd_classify(403, T("Forbidden"), NULL, &wait, &want,
				     &got, msg, sizeof(msg)), QD_PERMANENT);
	assert_int_equal(qd_classify(422, T("{\"status\":{\"error\":\"Validation "
		"error in JSON body\"}}"), NULL, &wait, &want, &got, msg,
		sizeof(msg)), QD_PERMANENT);
	assert_non_null(strstr(msg, "422: Validation error"));
}

static void test_filter(void **st)
{
	const char *ids[] = {"5c56c793-69f3-4fbf-87e6-c4bf54c28c26"};
	char *f = NULL, err[256];
	float thr = 0;
	int has;
	struct json_object *o, *m, *c;

	(void)st;
	/* no filter, no tenant, an empty tenant, a tenant under "should" */
	assert_int_equal(qd_filter(NULL, NULL, 0, &f, &thr, &has, err,
				   sizeof(err)), -1);
	assert_int_equal(qd_filter("{\"must\":[{\"key\":\"table\",\"match\":"
		"{\"value\":\"prs\"}}]}", NULL, 0, &f, &thr, &has, err,
		sizeof(err)), -1);
	assert_non_null(strstr(err, "tenant_id"));
	assert_int_equal(qd_filter("{\"must\":[{\"key\":\"tenant_id\",\"match\":"
		"{\"value\":\"\"}}]}", NULL, 0, &f, &thr, &has, err,
		sizeof(err)), -1);
	assert_int_equal(qd_filter("{\"should\":[{\"key\":\"tenant_id\",\"match\":"
		"{\"value\":\"7\"}}]}", NULL, 0, &f, &thr, &has, err,
		sizeof(err)), -1);
	/* a tenant AND an except: the except cannot widen the condition */
	assert_int_equal(qd_filter("{\"must\":[{\"key\":\"tenant_id\",\"match\":"
		"{\"any\":[\"7\",\"8\"]}}]}", NULL, 0, &f, &thr, &has, err,
		sizeof(err)), -1);
	assert_null(f);
	/* the host's shape: passes, threshold lifted out, has_id added */
	assert_int_equal(qd_filter("{\"must\":[{\"key\":\"tenant_id\",\"match\":"
		"{\"value\":\"7\"}},{\"key\":\"table\",\"match\":{\"any\":[\"prs\"]}}],"
		"\"score_threshold\":0.25}", ids, 1, &f, &thr, &has, err,
		sizeof(err)), 0);
	assert_int_equal(has, 1);
	assert_true(thr > 0.2499f && thr < 0.2501f);
	o = json_tokener_parse(f);
	assert_non_null(o);
	assert_false(json_object_object_get_ex(o, "score_threshold", NULL));
	assert_true(json_object_object_get_ex(o, "must", &m));
	assert_int_equal(json_object_array_length(m), 3);
	c = json_object_array_get_idx(m, 2);
	assert_true(json_object_object_get_ex(c, "has_id", &c));
	assert_string_equal(json_object_get_string(json_object_array_get_idx(c, 0)),
			    ids[0]);
	json_object_put(o);
	free(f);
}

static void test_bodies(void **st)
{
	float v[3] = {0.5f, -0.25f, 1.0f};
	struct qd_point p[2] = {
		{"5c56c793-69f3-4fbf-87e6-c4bf54c28c26", v, 3,
		 "{\"tenant_id\":\"7\",\"table\":\"prs\"}"},
		{"6c56c793-69f3-4fbf-87e6-c4bf54c28c26", v, 3, "{\"table\":\"prs\"}"},
	};
	struct json_object *o, *x;
	char err[256], *b;
	int bad;

	(void)st;
	b = qd_collection_body(384, PULSE_DISTANCE_COSINE);
	assert_string_equal(b, "{\"vectors\":{\"size\":384,\"distance\":\"Cosine\"},"
			    "\"hnsw_config\":{\"m\":0,\"payload_m\":16}}");
	free(b);
	assert_null(qd_collection_body(384, 99));
	b = qd_tenant_index_body();
	o = json_tokener_parse(b);
	assert_true(json_object_object_get_ex(o, "field_schema", &x));
	assert_true(json_object_get_boolean(json_object_object_get(x, "is_tenant")));
	assert_string_equal(json_object_get_string(json_object_object_get(x, "type")),
			    "keyword");
	json_object_put(o);
	free(b);
	/* one point: fine; a point without a tenant: refused */
	b = qd_upsert_body(p, 1, &bad, err, sizeof(err));
	assert_non_null(b);
	o = json_tokener_parse(b);
	assert_true(json_object_object_get_ex(o, "points", &x));
	x = json_object_array_get_idx(x, 0);
	assert_int_equal(json_object_array_length(json_object_object_get(x, "vector")), 3);
	json_object_put(o);
	free(b);
	assert_null(qd_upsert_body(p, 2, &bad, err, sizeof(err)));
	assert_int_equal(bad, 1);
	assert_non_null(strstr(err, "point 1"));
	b = qd_query_body(v, 3, "{\"must\":[]}", 5, 1, 0.5f);
	o = json_tokener_parse(b);
	assert_int_equal(json_object_get_int(json_object_object_get(o, "limit")), 5);
	assert_true(json_object_get_boolean(json_object_object_get(o, "with_payload")));
	assert_true(json_object_object_get_ex(o, "score_threshold", NULL));
	assert_true(json_object_object_get_ex(o, "filter", NULL));
	json_object_put(o);
	free(b);
}

static void test_replies(void **st)
{
	const char *q = "{\"result\":{\"points\":[{\"id\":\"a\",\"version\":3,"
			"\"score\":0.75,\"payload\":{\"tenant_id\":\"7\"}},{\"id\":42,"
			"\"version\":1,\"score\":0.5}]},\"status\":\"ok\",\"time\":0.002}";
	const char *info = "{\"result\":{\"status\":\"green\",\"config\":{\"params\":"
			   "{\"vectors\":{\"size\":3,\"distance\":\"Dot\"}}}},"
			   "\"status\":\"ok\",\"time\":0}";
	struct qd_hits h;
	char err[256], dist[16];
	uint32_t size = 0;

	(void)st;
	assert_int_equal(qd_hits_parse(T(q), &h, err, sizeof(err)), 0);
	assert_int_equal(h.n, 2);
	assert_string_equal(h.ids[0], "a");
	assert_string_equal(h.ids[1], "42");
	assert_true(h.scores[0] > 0.749f && h.scores[0] < 0.751f);
	assert_non_null(strstr(h.payloads[0], "\"tenant_id\":\"7\""));
	assert_null(h.payloads[1]);
	qd_hits_free(&h);
	assert_int_equal(qd_hits_parse(T("{\"result\":[]}"), &h, err,
				       sizeof(err)), -1);
	assert_int_equal(qd_hits_parse(T("{\"result\":{\"points\":[{\"id\":1}]}}"),
				       &h, err, sizeof(err)), -1);
	assert_int_equal(qd_collection_params(T(info), &size, dist, sizeof(dist),
					      err, sizeof(err)), 0);
	assert_int_equal(size, 3);
	assert_string_equal(dist, "Dot");
	assert_int_equal(qd_collection_params(T("{\"result\":{\"config\":{\"params\":"
		"{\"vectors\":{\"a\":{\"size\":3}}}}}}"), &size, dist, sizeof(dist),
		err, sizeof(err)), -1);
}

/* 1.4 scroll: the body (offset bare or quoted, never raw text), the page
 * with vectors and next_page_offset, and broken pages refused. */
static void test_scroll(void **st)
{
	const char *pg2 = "{\"result\":{\"points\":[{\"id\":7,\"payload\":"
			  "{\"tenant_id\":\"3\"},\"vector\":[0.5,0.25]},{\"id\":"
			  "\"6b2f0e51-9a43-4c7d-b158-3e920fc427a6\",\"vector\":[1,0]}],"
			  "\"next_page_offset\":\"7c2f0e51-9a43-4c7d-b158-3e920fc427a6\"},"
			  "\"status\":\"ok\",\"time\":0}";
	struct json_object *o;
	struct qd_page pg;
	char err[256], *b;

	(void)st;
	b = qd_scroll_body("{\"must\":[]}", "42", 100, 1, 1);
	assert_non_null(b);
	o = json_tokener_parse(b);
	assert_true(json_object_is_type(json_object_object_get(o, "offset"),
					json_type_int));
	assert_int_equal(json_object_get_int(json_object_object_get(o, "limit")), 100);
	assert_true(json_object_get_boolean(json_object_object_get(o, "with_vector")));
	assert_true(json_object_object_get_ex(o, "filter", NULL));
	json_object_put(o);
	free(b);
	b = qd_scroll_body("{}", "6b2f0e51-9a43-4c7d-b158-3e920fc427a6", 5, 0, 1);
	o = json_tokener_parse(b);
	assert_string_equal(json_object_get_string(json_object_object_get(o, "offset")),
			    "6b2f0e51-9a43-4c7d-b158-3e920fc427a6");
	assert_false(json_object_get_boolean(json_object_object_get(o, "with_vector")));
	json_object_put(o);
	free(b);
	b = qd_scroll_body("{}", NULL, 5, 0, 1);
	assert_null(strstr(b, "offset"));
	free(b);
	assert_null(qd_scroll_body("{}", "1\",\"x", 5, 0, 1));

	assert_int_equal(qd_page_parse(T(pg2), 1, &pg, err, sizeof(err)), 0);
	assert_int_equal(pg.n, 2);
	assert_int_equal(pg.dim, 2);
	assert_string_equal(pg.ids[0], "7");
	assert_true(pg.vecs[0] == 0.5f && pg.vecs[1] == 0.25f && pg.vecs[2] == 1.0f);
	assert_non_null(strstr(pg.payloads[0], "\"tenant_id\":\"3\""));
	assert_null(pg.payloads[1]);
	assert_string_equal(pg.next, "7c2f0e51-9a43-4c7d-b158-3e920fc427a6");
	qd_page_free(&pg);
	/* the last page: next_page_offset null */
	assert_int_equal(qd_page_parse(T("{\"result\":{\"points\":[{\"id\":1}],"
		"\"next_page_offset\":null}}"), 0, &pg, err, sizeof(err)), 0);
	assert_int_equal(pg.n, 1);
	assert_null(pg.next);
	assert_null(pg.vecs);
	qd_page_free(&pg);
	/* vectors asked for: a point without one, or of another size */
	assert_int_equal(qd_page_parse(T("{\"result\":{\"points\":[{\"id\":1}]}}"),
				       1, &pg, err, sizeof(err)), -1);
	assert_int_equal(qd_page_parse(T("{\"result\":{\"points\":[{\"id\":1,"
		"\"vector\":[1,2]},{\"id\":2,\"vector\":[1]}]}}"), 1, &pg, err,
		sizeof(err)), -1);
	assert_non_null(strstr(err, "not the page's"));
	assert_int_equal(qd_page_parse(T("{\"result\":[]}"), 0, &pg, err,
				       sizeof(err)), -1);
	assert_non_null(strstr(err, "not a scroll response"));
}

static void test_epoch(void **st)
{
	int64_t e;

	(void)st;
	assert_int_equal(vstore_epoch("2000-01-01", &e), 0);
	assert_int_equal(e, 946684800);
	assert_int_equal(vstore_epoch("2024-05-01 10:00:00+00", &e), 0);
	assert_int_equal(e, 1714557600);
	assert_int_equal(vstore_epoch("2024-05-01T12:30:00.123456+02:30", &e), 0);
	assert_int_equal(e, 1714557600);
	assert_int_equal(vstore_epoch("2024-05-01T10:00Z", &e), 0);
	assert_int_equal(e, 1714557600);
	assert_int_equal(vstore_epoch("yesterday", &e), -1);
	assert_int_equal(vstore_epoch("2024-13-01", &e), -1);
	assert_int_equal(vstore_epoch("2024-05-01T10:00:00 junk", &e), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_filter),
		cmocka_unit_test(test_bodies),
		cmocka_unit_test(test_replies),
		cmocka_unit_test(test_scroll),
		cmocka_unit_test(test_epoch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
