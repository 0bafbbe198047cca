/*
 * test-warehouse: crypto, settings validation, record validation and the
 * load path (staging COPY + upsert + vectorization_queue) against a real
 * PostgreSQL database of its own (PULSE_TEST_PG_ADMIN_URL, set by the
 * harness under `make check`).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/crypto.h"
#include "db/db.h"
#include "pipeline/entity.h"
#include "plugin/job.h"
#include "pipeline/load.h"
#include "plugin/loader.h"
#include "base/log.h"
#include "db/migrate.h"
#include "pipeline/record.h"
#include "plugin/settings.h"

/* ---- crypto --------------------------------------------------------- */

static char tmpdir[] = "/tmp/pulse-test-wh.XXXXXX";

static void test_crypto_roundtrip(void **state)
{
	struct crypto_key k, k2;
	unsigned char *blob = NULL;
	char *plain = NULL, err[512], path[256];
	size_t len, n;
	struct stat st;

	(void)state;
	snprintf(path, sizeof(path), "%s/key", tmpdir);
	assert_int_equal(crypto_key_load(path, 0, &k, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot open key file"));
	assert_int_equal(crypto_key_load(path, 1, &k, err, sizeof(err)), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, 32);
	assert_int_equal(crypto_key_load(path, 0, &k2, err, sizeof(err)), 0);
	assert_memory_equal(k.k, k2.k, 32);

	assert_int_equal(crypto_seal(&k, 3, 7, "{\"token\":\"s3cret\"}", 18, &blob,
				     &len, err, sizeof(err)), 0);
	assert_int_equal(len, 1 + 12 + 16 + 18);
	assert_null(memmem(blob, len, "s3cret", 6));
	assert_int_equal(crypto_open(&k, 3, 7, blob, len, &plain, &n, err,
				     sizeof(err)), 0);
	assert_string_equal(plain, "{\"token\":\"s3cret\"}");
	crypto_free_secret(plain);
	/* bound to its integration and tenant */
	assert_int_equal(crypto_open(&k, 3, 8, blob, len, &plain, &n, err,
				     sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot decrypt the credentials of integration 8"));
	assert_int_equal(crypto_open(&k, 4, 7, blob, len, &plain, &n, err,
				     sizeof(err)), -1);
	/* another key, a flipped bit */
	k2.k[0] ^= 1;
	assert_int_equal(crypto_open(&k2, 3, 7, blob, len, &plain, &n, err,
				     sizeof(err)), -1);
	blob[len - 1] ^= 0x80;
	assert_int_equal(crypto_open(&k, 3, 7, blob, len, &plain, &n, err,
				     sizeof(err)), -1);
	assert_int_equal(crypto_open(&k, 3, 7, blob, 5, &plain, &n, err,
				     sizeof(err)), -1);
	assert_non_null(strstr(err, "not a pulse-host v1 blob"));
	free(blob);

	/* group-readable or wrong-sized key files are refused */
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(crypto_key_load(path, 0, &k2, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "chmod 600"));
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(truncate(path, 31), 0);
	assert_int_equal(crypto_key_load(path, 0, &k2, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "has 31 bytes, not 32"));
	unlink(path);
}

/* ---- settings ------------------------------------------------------- */

static pulse_config_field fake_fields[] = {
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = "org",
	 .type = PULSE_CFG_STRING, .required = 1, .description = "the org"},
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = "token",
	 .type = PULSE_CFG_SECRET, .required = 1, .description = "API token"},
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = "tokens",
	 .type = PULSE_CFG_SECRET_LIST, .description = "more"},
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = "page",
	 .type = PULSE_CFG_INT, .default_json = "50",
	 .description = "page size"},
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = "repos",
	 .type = PULSE_CFG_STRING_LIST, .default_json = "[]",
	 .description = "repos"},
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = "since",
	 .type = PULSE_CFG_DATE, .description = "since"},
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = "url",
	 .type = PULSE_CFG_URL, .description = "url"},
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = "match",
	 .type = PULSE_CFG_REGEX, .description = "re"},
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = "x",
	 .type = PULSE_CFG_JSON, .description = "any"},
};

static void fake_plugin(struct plugin *p)
{
	memset(p, 0, sizeof(*p));
	p->name = "fake";
	p->fields = fake_fields;
	p->nfields = sizeof(fake_fields) / sizeof(fake_fields[0]);
}

static int parse(const char *text, char *err, size_t errlen,
		 struct json_object **set, struct json_object **sec)
{
	struct plugin p;

	fake_plugin(&p);
	return settings_parse(&p, "f.json", text, 1, set, sec, err, errlen);
}

static void expect_error(const char *text, const char *want)
{
	struct json_object *set = NULL, *sec = NULL;
	char err[1024] = "";

	assert_int_equal(parse(text, err, sizeof(err), &set, &sec), -1);
	assert_null(set);
	if (!strstr(err, want))
		fail_msg("error \"%s\" lacks \"%s\"", err, want);
}

static void test_settings(void **state)
{
	struct json_object *set = NULL, *sec = NULL, *full, *v;
	struct plugin p;
	char err[1024];

	(void)state;
	assert_int_equal(parse("{\"org\":\"acme\",\"token\":\"t1\",\"tokens\":[\"a\",\"b\"],"
			       "\"since\":\"2025-01-31T10:00:00+02:00\",\"url\":\"https://x.example/a\","
			       "\"match\":\"^a.*$\",\"x\":{\"k\":[1]}}",
			       err, sizeof(err), &set, &sec), 0);
	/* secrets split out of the settings */
	assert_false(json_object_object_get_ex(set, "token", NULL));
	assert_false(json_object_object_get_ex(set, "tokens", NULL));
	assert_true(json_object_object_get_ex(sec, "token", NULL));
	assert_true(json_object_object_get_ex(sec, "tokens", NULL));
	/* defaults are applied at run time, not stored */
	assert_false(json_object_object_get_ex(set, "page", NULL));
	fake_plugin(&p);
	full = settings_with_defaults(&p, set, err, sizeof(err));
	assert_non_null(full);
	assert_true(json_object_object_get_ex(full, "page", &v));
	assert_int_equal(json_object_get_int(v), 50);
	assert_false(json_object_object_get_ex(set, "page", NULL));
	json_object_put(full);
	json_object_put(set);
	json_object_put(sec);

	expect_error("{\"token\":\"t\"}", "f.json: required field 'org' for plugin 'fake' is missing");
	expect_error("{\"org\":\"a\"}", "required field 'token'");
	expect_error("{\"org\":\"a\",\"token\":\"t\",\"zz\":1}",
		     "f.json: unknown field 'zz' for plugin 'fake'; valid fields: org, token, tokens, page");
	expect_error("{\"org\":1,\"token\":\"t\"}", "field 'org' must be a string, got number");
	expect_error("{\"org\":\"a\",\"token\":\"\"}", "field 'token' must be a non-empty string");
	expect_error("{\"org\":\"a\",\"token\":\"t\",\"page\":1.5}", "field 'page' must be an integer, got number");
	/* Lists of ids take integers (issue 11 item 16); other element types
	 * are named with their index. */
	expect_error("{\"org\":\"a\",\"token\":\"t\",\"repos\":[\"a\",{}]}",
		     "field 'repos': repos[1] is an object; expected a string or an integer");
	expect_error("{\"org\":\"a\",\"token\":\"t\",\"repos\":{}}",
		     "field 'repos' must be an array of strings or integers, got object");
	expect_error("{\"org\":\"a\",\"token\":\"t\",\"tokens\":[7]}",
		     "field 'tokens': tokens[0] is an integer; expected a string");
	expect_error("{\"org\":\"a\",\"token\":\"t\",\"since\":\"2025-13-01\"}", "field 'since' must be a date");
	expect_error("{\"org\":\"a\",\"token\":\"t\",\"since\":true}",
		     "field 'since' must be a date (ISO-8601, e.g. 2025-01-31), got boolean");
	expect_error("{\"org\":\"a\",\"token\":\"t\",\"url\":\"file:///etc\"}", "field 'url' must be an http(s) URL");
	expect_error("{\"org\":\"a\",\"token\":\"t\",\"match\":\"(\"}", "field 'match' is not a valid POSIX");
	expect_error("{\"org\":\"a\",\n\"token\":}", "f.json:2:9: not valid JSON: unexpected character");
	expect_error("", "f.json:1:1: not valid JSON");
}

static void test_time_utf8(void **state)
{
	(void)state;
	assert_true(record_valid_time("2025-01-31"));
	assert_true(record_valid_time("2025-01-31T10:20:30Z"));
	assert_true(record_valid_time("2025-01-31T10:20:30.123456+05:30"));
	assert_true(record_valid_time("2025-01-31 10:20"));
	assert_true(record_valid_time("2025-01-31T10:20:30-0800"));
	assert_false(record_valid_time("2025-1-31"));
	assert_false(record_valid_time("2025-01-31T"));
	assert_false(record_valid_time("2025-01-31T25:00:00Z"));
	assert_false(record_valid_time("2025-01-31T10:20:30Zjunk"));
	assert_false(record_valid_time("yesterday"));
	assert_true(record_valid_utf8("plain \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
	assert_false(record_valid_utf8("bad \xc3"));
	assert_false(record_valid_utf8("overlong \xc0\xaf"));
	assert_false(record_valid_utf8("surrogate \xed\xa0\x80"));
}

/* ---- the database part ------------------------------------------------ */

static PGconn *admin, *app;
static char dbname[64], role[80], admin_db_url[512];
static struct entity_registry reg;
static int64_t tenant = 0, integ = 0;

static char *sql1(PGconn *c, const char *sql)
{
	char err[512];
	PGresult *r = db_query(c, err, sizeof(err), sql, 0, NULL);
	char *v;

	if (!r)
		fail_msg("%s: %s", sql, err);
	v = strdup(PQntuples(r) ? PQgetvalue(r, 0, 0) : "");
	PQclear(r);
	return v;
}

static long count(const char *sql)
{
	char *v = sql1(admin, sql);
	long n = atol(v);

	free(v);
	return n;
}

static int db_setup(void **state)
{
	const char *url = getenv("PULSE_TEST_PG_ADMIN_URL");
	char err[1024], sql[512], *base, *app_url, *hostport, *v;
	PGconn *server;
	int applied;

	(void)state;
	if (!url || !*url) {
		fprintf(stderr, "PULSE_TEST_PG_ADMIN_URL is not set; run under make check\n");
		return -1;
	}
	snprintf(dbname, sizeof(dbname), "twh_%ld_%ld", (long)getpid(), (long)time(NULL));
	snprintf(role, sizeof(role), "%s_app", dbname);
	if (!(server = db_connect(url, err, sizeof(err))))
		return fprintf(stderr, "%s\n", err), -1;
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", dbname);
	if (db_exec(server, sql, err, sizeof(err)) < 0)
		return fprintf(stderr, "%s\n", err), -1;
	PQfinish(server);
	base = strdup(url);
	*strrchr(base, '/') = '\0';
	snprintf(admin_db_url, sizeof(admin_db_url), "%s/%s", base, dbname);
	if (!(admin = db_connect(admin_db_url, err, sizeof(err))) ||
	    migrate_apply(admin, NULL, &applied, err, sizeof(err)) < 0 ||
	    migrate_app_role(admin, role, "pw-test", NULL, err, sizeof(err)) < 0)
		return fprintf(stderr, "%s\n", err), -1;
	hostport = strchr(base, '@') + 1;
	if (asprintf(&app_url, "postgresql://%s:pw-test@%s/%s", role, hostport, dbname) < 0)
		return -1;
	app = db_connect(app_url, err, sizeof(err));
	free(app_url);
	free(base);
	if (!app)
		return fprintf(stderr, "%s\n", err), -1;
	v = sql1(admin, "INSERT INTO tenants (name) VALUES ('t') RETURNING id");
	tenant = atoll(v);
	free(v);
	snprintf(sql, sizeof(sql), "INSERT INTO integrations (tenant_id, name, type, plugin)"
		 " VALUES (%lld, 'i', 'Data', 'x') RETURNING id", (long long)tenant);
	v = sql1(admin, sql);
	integ = atoll(v);
	free(v);
	if (entity_registry_load(app, &reg, err, sizeof(err)) < 0 ||
	    load_prepare(app, &reg, err, sizeof(err)) < 0)
		return fprintf(stderr, "%s\n", err), -1;
	return 0;
}

static int db_teardown(void **state)
{
	const char *url = getenv("PULSE_TEST_PG_ADMIN_URL");
	char err[512], sql[256];
	PGconn *server;

	(void)state;
	entity_registry_free(&reg);
	PQfinish(app);
	PQfinish(admin);
	if (url && dbname[0] && (server = db_connect(url, err, sizeof(err)))) {
		snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", dbname);
		db_exec(server, sql, err, sizeof(err));
		snprintf(sql, sizeof(sql), "DROP ROLE IF EXISTS %s", role);
		db_exec(server, sql, err, sizeof(err));
		PQfinish(server);
	}
	return 0;
}

/* A transform-shaped context: a job whose record set is rs. */
struct tctx {
	struct recset *rs;
	struct pulse_job job;
	struct job_backend be;
};

/* The record backend the tests call (record.c keeps its functions
 * static; tctx_init installs them here). */
static struct job_backend rb;

static void tctx_init(struct tctx *t)
{
	memset(t, 0, sizeof(*t));
	t->rs = recset_new(&reg);
	assert_non_null(t->rs);
	record_backend_install(&t->be);
	rb = t->be;
	t->job.mode = JOB_TRANSFORM;
	t->job.be = &t->be;
	t->job.records = t->rs;
	recset_begin_row(t->rs, 42, integ, "fake", "pull_requests");
}

static int32_t set_str(pulse_record *r, const char *f, const char *v)
{
	struct rec_value x = {v ? REC_STR : REC_NULL, v, 0, 0};

	return rb.record_set(r, f, &x);
}

static int32_t set_int(pulse_record *r, const char *f, int64_t v)
{
	struct rec_value x = {REC_INT, NULL, v, 0};

	return rb.record_set(r, f, &x);
}

static int32_t set_time(pulse_record *r, const char *f, const char *v)
{
	struct rec_value x = {REC_TIME, v, 0, 0};

	return rb.record_set(r, f, &x);
}

static void add_pr(struct tctx *t, const char *id, int64_t number,
		   const char *title)
{
	pulse_record *r = rb.record_begin(&t->job, "prs");

	assert_non_null(r);
	assert_int_equal(set_str(r, "external_id", id), PULSE_OK);
	assert_int_equal(set_str(r, "repository_external_id", "acme/x"), PULSE_OK);
	assert_int_equal(set_int(r, "number", number), PULSE_OK);
	assert_int_equal(set_str(r, "title", title), PULSE_OK);
	assert_int_equal(set_time(r, "created_at", "2025-01-02T03:04:05Z"), PULSE_OK);
	assert_int_equal(rb.record_end(r), PULSE_OK);
}

static void load(struct tctx *t, struct load_count *lc)
{
	char err[1024];
	int transient;

	memset(lc, 0, reg.n * sizeof(*lc));
	assert_int_equal(db_tenant_begin(app, tenant, err, sizeof(err)), 0);
	if (load_apply(app, t->rs, tenant, lc, &transient, err, sizeof(err)) < 0)
		fail_msg("load: %s", err);
	assert_int_equal(db_commit(app, err, sizeof(err)), 0);
	recset_reset(t->rs);
}

static void test_registry(void **state)
{
	const struct entity *e = entity_find(&reg, "prs");
	size_t listed = 0;
	int i;

	(void)state;
	assert_non_null(e);
	/* one entity per canonical table listed, each found in the catalog */
	while (entity_tables[listed]) {
		assert_non_null(entity_find(&reg, entity_tables[listed]));
		listed++;
	}
	assert_true(listed >= 19);
	assert_int_equal(reg.n, listed);
	assert_true(entity_field_index(e, "id") < 0);
	assert_true(entity_field_index(e, "tenant_id") < 0);
	assert_true(entity_field_index(e, "loaded_at") < 0);
	i = entity_field_index(e, "number");
	assert_true(i >= 0);
	assert_int_equal(e->fields[i].type, ENT_INT);
	assert_true(e->fields[i].required);
	assert_int_equal(e->fields[entity_field_index(e, "merged_at")].type, ENT_TIME);
	assert_int_equal(e->fields[entity_field_index(e, "is_draft")].type, ENT_BOOL);
	e = entity_find(&reg, "work_items");
	assert_int_equal(e->fields[entity_field_index(e, "story_points")].type, ENT_FLOAT);
	assert_int_equal(e->fields[entity_field_index(e, "labels")].type, ENT_JSON);
	assert_null(entity_find(&reg, "tenants"));
}

static void test_record_validation(void **state)
{
	struct tctx t;
	pulse_record *r;
	struct rec_value fl = {REC_FLOAT, NULL, 0, 1.5};

	(void)state;
	tctx_init(&t);
	assert_null(rb.record_begin(&t.job, "pull_requests"));
	assert_non_null(strstr(t.job.err, "transform of raw row 42 (fake/pull_requests): unknown entity 'pull_requests'"));
	t.job.err_class = 0;
	r = rb.record_begin(&t.job, "prs");
	assert_int_equal(set_str(r, "titel", "x"), PULSE_ERR_INVALID);
	assert_string_equal(t.job.err, "transform of raw row 42 (fake/pull_requests): entity 'prs' has no field 'titel'");
	rb.record_abort(r);
	t.job.err_class = 0;
	r = rb.record_begin(&t.job, "prs");
	assert_int_equal(set_str(r, "number", "12"), PULSE_ERR_INVALID);
	assert_non_null(strstr(t.job.err, "field 'number' of 'prs' is integer, got string"));
	rb.record_abort(r);
	t.job.err_class = 0;
	r = rb.record_begin(&t.job, "prs");
	assert_int_equal(set_int(r, "number", 3000000000LL), PULSE_ERR_INVALID);
	assert_non_null(strstr(t.job.err, "32-bit integer"));
	rb.record_abort(r);
	t.job.err_class = 0;
	r = rb.record_begin(&t.job, "prs");
	assert_int_equal(set_time(r, "created_at", "31/01/2025"), PULSE_ERR_INVALID);
	assert_non_null(strstr(t.job.err, "field 'created_at' of 'prs' must be an ISO-8601"));
	rb.record_abort(r);
	t.job.err_class = 0;
	r = rb.record_begin(&t.job, "prs");
	assert_int_equal(rb.record_set(r, "is_draft", &fl), PULSE_ERR_INVALID);
	assert_non_null(strstr(t.job.err, "field 'is_draft' of 'prs' is boolean, got float"));
	rb.record_abort(r);
	t.job.err_class = 0;
	r = rb.record_begin(&t.job, "prs");
	assert_int_equal(set_str(r, "title", "no id"), PULSE_OK);
	assert_int_equal(rb.record_end(r), PULSE_ERR_INVALID);
	assert_non_null(strstr(t.job.err, "a record of 'prs' has no external_id"));
	t.job.err_class = 0;
	r = rb.record_begin(&t.job, "prs");
	assert_int_equal(set_str(r, "external_id", "p1"), PULSE_OK);
	assert_int_equal(rb.record_end(r), PULSE_ERR_INVALID);
	assert_non_null(strstr(t.job.err, "record 'p1' of 'prs' lacks required field 'repository_external_id'"));
	t.job.err_class = 0;
	r = rb.record_begin(&t.job, "work_items");
	{
		struct rec_value js = {REC_JSON, "[1, 2", 0, 0};

		assert_int_equal(set_str(r, "external_id", "w"), PULSE_OK);
		assert_int_equal(rb.record_set(r, "labels", &js), PULSE_ERR_INVALID);
		assert_non_null(strstr(t.job.err, "field 'labels' of 'work_items' must be valid JSON"));
	}
	rb.record_abort(r);
	assert_int_equal(t.rs->nrecords, 0);
	recset_free(t.rs);
}

static void test_load(void **state)
{
	struct load_count *lc = calloc(reg.n, sizeof(*lc));
	size_t prs = (size_t)entity_find(&reg, "prs")->index;
	const char *weird = "tab\there\\N back\\slash \"q\" 'a'\nline2\r\n\xc3\xa9 \\.";
	struct tctx t;
	char *v;

	(void)state;
	tctx_init(&t);
	/* duplicates in one batch: the last one wins */
	add_pr(&t, "p1", 1, "first");
	add_pr(&t, "p2", 2, weird);
	add_pr(&t, "p1", 1, "second");
	load(&t, lc);
	assert_int_equal(lc[prs].inserted, 2);
	assert_int_equal(count("SELECT count(*) FROM prs"), 2);
	v = sql1(admin, "SELECT title FROM prs WHERE external_id = 'p1'");
	assert_string_equal(v, "second");
	free(v);
	v = sql1(admin, "SELECT title FROM prs WHERE external_id = 'p2'");
	assert_string_equal(v, weird);
	free(v);
	assert_int_equal(count("SELECT count(*) FROM vectorization_queue WHERE operation = 'insert'"), 2);

	/* a replay changes nothing and queues nothing */
	recset_begin_row(t.rs, 43, integ, "fake", "pull_requests");
	add_pr(&t, "p1", 1, "second");
	add_pr(&t, "p2", 2, weird);
	load(&t, lc);
	assert_int_equal(lc[prs].unchanged, 2);
	assert_int_equal(lc[prs].inserted + lc[prs].updated, 0);
	assert_int_equal(count("SELECT count(*) FROM vectorization_queue"), 2);

	/* a change is an update */
	add_pr(&t, "p1", 1, "third");
	load(&t, lc);
	assert_int_equal(lc[prs].updated, 1);
	assert_int_equal(count("SELECT count(*) FROM vectorization_queue WHERE operation = 'update' AND external_id = 'p1'"), 1);

	/* delete marks deleted_at and queues a delete; a second delete is a
	 * no-op; loading it again revives it */
	assert_int_equal(rb.record_delete(&t.job, "prs", "p2"), PULSE_OK);
	load(&t, lc);
	assert_int_equal(lc[prs].deleted, 1);
	assert_int_equal(count("SELECT count(*) FROM prs WHERE external_id = 'p2' AND deleted_at IS NOT NULL"), 1);
	assert_int_equal(count("SELECT count(*) FROM vectorization_queue WHERE operation = 'delete'"), 1);
	assert_int_equal(rb.record_delete(&t.job, "prs", "p2"), PULSE_OK);
	load(&t, lc);
	assert_int_equal(lc[prs].deleted, 0);
	add_pr(&t, "p2", 2, weird);
	load(&t, lc);
	assert_int_equal(lc[prs].updated, 1);
	assert_int_equal(count("SELECT count(*) FROM prs WHERE deleted_at IS NOT NULL"), 0);
	/* delete then re-add in one batch: the last operation wins */
	assert_int_equal(rb.record_delete(&t.job, "prs", "p1"), PULSE_OK);
	add_pr(&t, "p1", 1, "third");
	load(&t, lc);
	assert_int_equal(lc[prs].deleted + lc[prs].updated + lc[prs].inserted, 0);

	/* a dropped row's records are not loaded */
	recset_begin_row(t.rs, 44, integ, "fake", "pull_requests");
	add_pr(&t, "p9", 9, "dropped");
	recset_drop_row(t.rs);
	load(&t, lc);
	assert_int_equal(count("SELECT count(*) FROM prs WHERE external_id = 'p9'"), 0);

	/* fields no record of a batch sets keep their stored values */
	assert_int_equal(db_exec(admin, "UPDATE prs SET merge_commit_sha = 'abc' WHERE external_id = 'p1'", NULL, 0), 0);
	add_pr(&t, "p1", 1, "fourth");
	load(&t, lc);
	v = sql1(admin, "SELECT merge_commit_sha || ' ' || title FROM prs WHERE external_id = 'p1'");
	assert_string_equal(v, "abc fourth");
	free(v);
	/* all of it inside the tenant: nothing visible to another tenant */
	assert_int_equal(count("SELECT count(*) FROM prs WHERE tenant_id <> (SELECT min(id) FROM tenants)"), 0);
	recset_free(t.rs);
	free(lc);
}

int main(void)
{
	const struct CMUnitTest pure[] = {
		cmocka_unit_test(test_crypto_roundtrip),
		cmocka_unit_test(test_settings),
		cmocka_unit_test(test_time_utf8),
	};
	const struct CMUnitTest withdb[] = {
		cmocka_unit_test(test_registry),
		cmocka_unit_test(test_record_validation),
		cmocka_unit_test(test_load),
	};
	int rc;

	log_set_level(LOG_ERROR);
	if (!mkdtemp(tmpdir))
		return 99;
	rc = cmocka_run_group_tests_name("warehouse-pure", pure, NULL, NULL);
	rc |= cmocka_run_group_tests_name("warehouse-db", withdb, db_setup, db_teardown);
	rmdir(tmpdir);
	return rc;
}
