/*
 * test-route: the AI router (host/ai) against a private PostgreSQL
 * (PULSE_TEST_PG_ADMIN_URL) and two OpenAI sandboxes (tests/sandbox/openai,
 * Node), with the gateway plugins and a test-only local embedder loaded
 * from the build tree. Waits go through a test clock: the asserts see
 * exactly how long the router would have slept, and nothing sleeps.
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
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ai/route.h"
#include "ai/route_int.h"
#include "base/conf.h"
#include "base/crypto.h"
#include "base/log.h"
#include "db/db.h"
#include "db/migrate.h"
#include "http/http.h"
#include "model/integration.h"
#include "plugin/loader.h"

static char tmpdir[] = "/tmp/pulse-test-ai.XXXXXX";
static char dbname[64], role[80], admin_db_url[512];
static PGconn *admin, *app;
static struct loader ld;
static struct conf conf;
static struct crypto_key key;
static pid_t sb_pid[2];
static char sb_url[2][64];
static int64_t tenant_a, tenant_b;

/* ---- the test clock ---- */
static uint64_t clk_now = 1000000;
static uint64_t waits[64];
static size_t nwaits;

static void clk_sleep(void *arg, uint64_t ms)
{
	(void)arg;
	if (nwaits < 64)
		waits[nwaits++] = ms;
	clk_now += ms;
}

static uint64_t clk_read(void *arg)
{
	(void)arg;
	return clk_now;
}

static struct ai_ctx actx;

static void reset_state(void)
{
	nwaits = 0;
	ai_cooldown_reset();
}

/* ---- helpers ---- */

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

/* Run a command and return its stdout (caller frees). */
static char *run(const char *fmt, ...)
{
	char cmd[4096], *buf = NULL;
	size_t len = 0;
	va_list ap;
	FILE *f, *m = open_memstream(&buf, &len);
	int c;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	f = popen(cmd, "r");
	assert_non_null(f);
	while ((c = fgetc(f)) != EOF)
		fputc(c, m);
	pclose(f);
	fclose(m);
	return buf;
}

/* POST json to sandbox s's control path. */
static void sb_post(int s, const char *path, const char *json)
{
	free(run("curl -sS -f -X POST -H 'Content-Type: application/json' "
		 "--data '%s' %s%s >/dev/null", json, sb_url[s], path));
}

static void sb_reset(int s)
{
	sb_post(s, "/_sandbox/reset", "{}");
}

/* A number from the sandbox's stats, by a JS expression over d. */
static long sb_stat(int s, const char *expr)
{
	char *out = run("curl -sS %s/_sandbox/stats | node -e 'let t=\"\";"
			"process.stdin.on(\"data\",c=>t+=c).on(\"end\",()=>{"
			"const d=JSON.parse(t);console.log(JSON.stringify(%s))})'",
			sb_url[s], expr);
	long v = atol(out);

	free(out);
	return v;
}

static char *sb_stat_text(int s, const char *expr)
{
	return run("curl -sS %s/_sandbox/stats | node -e 'let t=\"\";"
		   "process.stdin.on(\"data\",c=>t+=c).on(\"end\",()=>{"
		   "const d=JSON.parse(t);console.log(JSON.stringify(%s))})'",
		   sb_url[s], expr);
}

static int64_t add_integration(int64_t tenant, const char *name,
			       const char *type, const char *plugin,
			       const char *settings, const char *secrets)
{
	struct json_object *set = json_tokener_parse(settings);
	struct json_object *sec = secrets ? json_tokener_parse(secrets) : NULL;
	char err[1024];
	int64_t id = 0;

	assert_non_null(set);
	if (integration_add(app, &key, tenant, name, type, plugin, set, sec, &id,
			    err, sizeof(err)) < 0)
		fail_msg("integration_add %s: %s", name, err);
	json_object_put(set);
	json_object_put(sec);
	return id;
}

static void drop_integrations(void)
{
	char err[256];

	db_exec(admin, "DELETE FROM ai_model_pins; DELETE FROM ai_usage;"
		" DELETE FROM integrations", err, sizeof(err));
}

/* "outcome,outcome,..." of tenant's usage rows, oldest first. */
static char *outcomes(int64_t tenant)
{
	char sql[256];

	snprintf(sql, sizeof(sql), "SELECT coalesce(string_agg(outcome, ','"
		 " ORDER BY id), '') FROM ai_usage WHERE tenant_id = %lld",
		 (long long)tenant);
	return sql1(admin, sql);
}

static void clear_usage(void)
{
	char err[256];

	db_exec(admin, "DELETE FROM ai_usage", err, sizeof(err));
}

static const char *gw(int s, const char *extra, char *buf, size_t len)
{
	snprintf(buf, len, "{\"base_url\": \"%s/v1\", \"max_retries\": 3%s%s}",
		 sb_url[s], extra ? ", " : "", extra ? extra : "");
	return buf;
}

static int chat1(int64_t tenant, const char *text, struct ai_chat_reply *out,
		 char *err, size_t errlen)
{
	struct ai_chat_msg m[2] = {{"system", "be brief"}, {"user", text}};
	struct ai_chat_req req = {.messages = m, .n_messages = 2,
				  .temperature_milli = -1, .operation = "test"};

	return ai_chat(&actx, tenant, AI_CTX_QUERY, &req, out, err, errlen);
}

/* ---- set-up ---- */

static pid_t start_sandbox(int s)
{
	char port_file[300], script[600], port[32] = "";
	pid_t pid;
	FILE *f;

	snprintf(port_file, sizeof(port_file), "%s/sb%d.port", tmpdir, s);
	snprintf(script, sizeof(script), "%s/tests/sandbox/openai/server.js",
		 getenv("abs_top_srcdir"));
	pid = fork();
	if (pid == 0) {
		char log[320];

		snprintf(log, sizeof(log), "%s/sb%d.log", tmpdir, s);
		if (!freopen(log, "w", stderr))
			_exit(99);
		execlp("node", "node", script, "--port", "0", "--port-file",
		       port_file, "--key", "sk-test-SECRET-0123456789", NULL);
		_exit(99);
	}
	for (int i = 0; i < 200 && !port[0]; i++) {
		usleep(50000);
		if ((f = fopen(port_file, "r"))) {
			if (!fgets(port, sizeof(port), f))
				port[0] = '\0';
			fclose(f);
		}
	}
	if (!port[0])
		return -1;
	port[strcspn(port, "\n")] = '\0';
	snprintf(sb_url[s], sizeof(sb_url[s]), "http://127.0.0.1:%s", port);
	return pid;
}

static int setup(void **state)
{
	const char *url = getenv("PULSE_TEST_PG_ADMIN_URL");
	const char *build = getenv("abs_top_builddir");
	char err[1024], sql[512], path[600], *base, *app_url, *hostport, *v;
	PGconn *server;
	FILE *f;
	int applied;

	(void)state;
	if (!url || !*url || !build) {
		fprintf(stderr, "PULSE_TEST_PG_ADMIN_URL / abs_top_builddir not "
			"set; run under make check\n");
		return -1;
	}
	if (!mkdtemp(tmpdir))
		return -1;
	for (int s = 0; s < 2; s++)
		if ((sb_pid[s] = start_sandbox(s)) < 0)
			return fprintf(stderr, "the OpenAI sandbox did not start "
				       "(is node installed?)\n"), -1;
	snprintf(dbname, sizeof(dbname), "tai_%ld_%ld", (long)getpid(), (long)time(NULL));
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
	v = sql1(admin, "INSERT INTO tenants (name) VALUES ('a') RETURNING id");
	tenant_a = atoll(v);
	free(v);
	v = sql1(admin, "INSERT INTO tenants (name) VALUES ('b') RETURNING id");
	tenant_b = atoll(v);
	free(v);
	snprintf(path, sizeof(path), "%s/key", tmpdir);
	if (crypto_key_load(path, 1, &key, err, sizeof(err)) < 0)
		return fprintf(stderr, "%s\n", err), -1;
	snprintf(path, sizeof(path), "%s/pulse-host.conf", tmpdir);
	if (!(f = fopen(path, "w")))
		return -1;
	fprintf(f, "http = { allow_hosts = [\"127.0.0.1\"]; };\n");
	fclose(f);
	if (conf_load(path, &conf, err, sizeof(err)) < 0)
		return fprintf(stderr, "%s\n", err), -1;
	http_global_init();
	snprintf(path, sizeof(path), "%s/plugins/provider-gateway/.libs/gateway.so", build);
	loader_load_file(&ld, path);
	snprintf(path, sizeof(path), "%s/plugins/provider-gateway/.libs/gateway-embed.so", build);
	loader_load_file(&ld, path);
	snprintf(path, sizeof(path), "%s/tests/ai/.libs/lexical-local.so", build);
	loader_load_file(&ld, path);
	if (!loader_find(&ld, "gateway") || !loader_find(&ld, "gateway-embed") ||
	    !loader_find(&ld, "lexical-local"))
		return fprintf(stderr, "plugins not loaded from %s\n", build), -1;
	actx.db = app;
	actx.ld = &ld;
	actx.key = &key;
	actx.conf = &conf;
	actx.sleep_ms = clk_sleep;
	actx.now_ms = clk_read;
	return 0;
}

static int teardown(void **state)
{
	const char *url = getenv("PULSE_TEST_PG_ADMIN_URL");
	char err[512], sql[256];
	PGconn *server;

	(void)state;
	for (int s = 0; s < 2; s++)
		if (sb_pid[s] > 0) {
			kill(sb_pid[s], SIGTERM);
			waitpid(sb_pid[s], NULL, 0);
		}
	loader_free(&ld);
	conf_free(&conf);
	PQfinish(app);
	PQfinish(admin);
	if (url && dbname[0] && (server = db_connect(url, err, sizeof(err)))) {
		snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", dbname);
		db_exec(server, sql, err, sizeof(err));
		snprintf(sql, sizeof(sql), "DROP ROLE IF EXISTS %s", role);
		db_exec(server, sql, err, sizeof(err));
		PQfinish(server);
	}
	free(run("rm -rf %s", tmpdir));
	return 0;
}

static int each(void **state)
{
	(void)state;
	drop_integrations();
	reset_state();
	sb_reset(0);
	sb_reset(1);
	return 0;
}

#define KEY "{\"api_key\": \"sk-test-SECRET-0123456789\"}"

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
	add_integration(tenant_a, "local", "Embedding", "lexical-local",
			"{\"dimension\": 16}", NULL);
	assert_int_equal(ai_embedder_open(&actx, tenant_a, AI_CTX_ETL, &e, err,
					  sizeof(err)), 0);
	assert_string_equal(ai_embedder_model(e), "lexical");
	assert_int_equal(ai_embedder_dim(e), 16);
	assert_int_equal(ai_embed(e, texts, 2, out, &tok, err, sizeof(err)), 0);
	assert_int_equal(tok, 6);
	ai_embedder_close(e);
	v = sql1(admin, "SELECT model || '/' || dimension FROM ai_model_pins");
	assert_string_equal(v, "lexical/16");
	free(v);
	v = outcomes(tenant_a);
	assert_string_equal(v, "ok");
	free(v);
	/* a query route does not exist: ai_chat says so with 1 */
	{
		struct ai_chat_reply r;

		assert_int_equal(chat1(tenant_a, "hi", &r, err, sizeof(err)), 1);
		assert_non_null(strstr(err, "no chat provider"));
	}
}

/* Chat against the sandbox: echo and script, exact usage and cost. */
static void test_chat_usage_cost(void **state)
{
	struct ai_chat_reply r;
	char err[2048], buf[512], *v;

	(void)state;
	add_integration(tenant_a, "gw", "AI", "gateway",
			gw(0, "\"chat_model\": \"gpt-test\", \"price_input_per_1m\": "
			   "\"0.15\", \"price_output_per_1m\": \"0.60\"", buf,
			   sizeof(buf)), KEY);
	assert_int_equal(chat1(tenant_a, "how many open pull requests", &r, err,
			       sizeof(err)), 0);
	assert_string_equal(r.text, "how many open pull requests");
	assert_string_equal(r.model, "gpt-test");
	/* sandbox tokens are words: "be brief" + 5 words in, 5 out */
	assert_int_equal(r.prompt_tokens, 7);
	assert_int_equal(r.completion_tokens, 5);
	assert_int_equal(r.attempts, 1);
	ai_chat_reply_free(&r);
	v = sql1(admin, "SELECT input_tokens || ' ' || output_tokens || ' ' ||"
		 " outcome || ' ' || cost_usd || ' ' || operation || ' ' || context"
		 " || ' ' || model || ' ' || local FROM ai_usage");
	/* 7 x 0.15 / 1e6 + 5 x 0.60 / 1e6 = 0.00000405 */
	assert_string_equal(v, "7 5 ok 0.0000040500 test query gpt-test false");
	free(v);
	sb_post(0, "/_sandbox/script", "{\"match\": \"pull\", \"reply\": \"SELECT 1\", \"times\": 1}");
	assert_int_equal(chat1(tenant_a, "open pull requests", &r, err, sizeof(err)), 0);
	assert_string_equal(r.text, "SELECT 1");
	ai_chat_reply_free(&r);
	assert_int_equal(chat1(tenant_a, "open pull requests", &r, err, sizeof(err)), 0);
	assert_string_equal(r.text, "open pull requests"); /* times ran out */
	ai_chat_reply_free(&r);
	/* the key went out as a Bearer token, and the sandbox masks it */
	v = sb_stat_text(0, "d.last_headers.authorization");
	assert_string_equal(v, "\"Bearer ***\"\n");
	free(v);
	/* without prices, no cost */
	drop_integrations();
	add_integration(tenant_a, "gw", "AI", "gateway", gw(0, NULL, buf, sizeof(buf)), KEY);
	assert_int_equal(chat1(tenant_a, "x", &r, err, sizeof(err)), 0);
	ai_chat_reply_free(&r);
	assert_int_equal(count("SELECT count(*) FROM ai_usage WHERE cost_usd IS NULL"), 1);
}

/* Two gateways A -> B for chat, with faults on A. */
static void two_gateways(const char *a_extra)
{
	char buf[512], cfg[256];

	add_integration(tenant_a, "gw-a", "AI", "gateway", gw(0, a_extra, buf, sizeof(buf)), KEY);
	snprintf(cfg, sizeof(cfg), "\"ai_model_config\": {\"query\": "
		 "{\"providers\": [\"gw-a\", \"gw-b\"], \"cooldown_s\": 30}}");
	add_integration(tenant_a, "gw-b", "AI", "gateway", gw(1, cfg, buf, sizeof(buf)), KEY);
}

static void fault(int s, const char *json)
{
	sb_post(s, "/_sandbox/fault", json);
}

static void assert_outcomes(const char *want)
{
	char *v = outcomes(tenant_a);

	assert_string_equal(v, want);
	free(v);
}

static void test_policy_rate_limit(void **state)
{
	struct ai_chat_reply r;
	char err[2048];

	(void)state;
	two_gateways(NULL);
	/* Retry-After: 2 -> one retry on A after exactly 2 s */
	fault(0, "{\"kind\": \"rate_limit\", \"count\": 1, \"retry_after\": 2}");
	assert_int_equal(chat1(tenant_a, "q", &r, err, sizeof(err)), 0);
	assert_int_equal(r.integration_id, count("SELECT id FROM integrations WHERE name = 'gw-a'"));
	assert_int_equal(r.attempts, 2);
	ai_chat_reply_free(&r);
	assert_int_equal(nwaits, 1);
	assert_int_equal(waits[0], 2000);
	assert_outcomes("retried,ok");
	/* no Retry-After: x-ratelimit-reset-requests 12ms, then 1.5s */
	clear_usage();
	nwaits = 0;
	fault(0, "{\"kind\": \"rate_limit\", \"count\": 1, \"reset_requests\": \"12ms\"}");
	fault(0, "{\"kind\": \"rate_limit\", \"count\": 1, \"reset_requests\": \"1.5s\", \"reset_tokens\": \"250ms\"}");
	assert_int_equal(chat1(tenant_a, "q", &r, err, sizeof(err)), 0);
	ai_chat_reply_free(&r);
	assert_int_equal(nwaits, 2);
	assert_int_equal(waits[0], 12);
	assert_int_equal(waits[1], 1500);
	assert_outcomes("retried,retried,ok");
	/* a reset of 6m0s is longer than max_wait_s (60): fall back at once,
	 * and A cools down for the 6 minutes */
	clear_usage();
	nwaits = 0;
	fault(0, "{\"kind\": \"rate_limit\", \"count\": 1, \"reset_tokens\": \"6m0s\", \"reset_requests\": \"1s\"}");
	assert_int_equal(chat1(tenant_a, "q", &r, err, sizeof(err)), 0);
	assert_int_equal(r.integration_id, count("SELECT id FROM integrations WHERE name = 'gw-b'"));
	ai_chat_reply_free(&r);
	assert_int_equal(nwaits, 0);
	assert_outcomes("fell_back,ok");
	assert_int_equal(ai_cooldown_left(count("SELECT id FROM integrations WHERE name = 'gw-a'"),
					  clk_now, NULL, 0), 360000);
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

		drop_integrations();
		reset_state();
		sb_reset(0);
		two_gateways(NULL);
		a = count("SELECT id FROM integrations WHERE name = 'gw-a'");
		snprintf(json, sizeof(json), "{\"kind\": \"%s\", \"count\": 1}", k[i].kind);
		fault(0, json);
		assert_int_equal(chat1(tenant_a, "q", &r, err, sizeof(err)), 0);
		/* never retried: B answered at the second call */
		assert_int_equal(r.attempts, 2);
		assert_int_not_equal(r.integration_id, a);
		ai_chat_reply_free(&r);
		assert_int_equal(nwaits, 0);
		assert_int_equal(sb_stat(0, "d.calls.chat"), 1);
		assert_outcomes("fell_back,ok");
		assert_int_equal(ai_cooldown_left(a, clk_now, NULL, 0) > 0, k[i].cools);
	}
	/* 401 names the integration's remedy in the usage row */
	assert_int_equal(count("SELECT count(*) FROM ai_usage WHERE error LIKE"
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
		drop_integrations();
		reset_state();
		clear_usage();
		sb_reset(0);
		two_gateways(NULL);
		snprintf(json, sizeof(json), "{\"kind\": \"%s\", \"count\": 2, "
			 "\"path\": \"chat\"}", kinds[i]);
		fault(0, json);
		assert_int_equal(chat1(tenant_a, "q", &r, err, sizeof(err)), 0);
		assert_int_equal(r.attempts, 3);
		ai_chat_reply_free(&r);
		assert_outcomes("retried,retried,ok");
		/* jittered exponential backoff: [250, 500], [500, 1000] ms */
		assert_int_equal(nwaits, 2);
		assert_in_range(waits[0], 250, 500);
		assert_in_range(waits[1], 500, 1000);
	}
	/* more failures than max_retries (3): 4 attempts, then B; A cools */
	drop_integrations();
	reset_state();
	clear_usage();
	sb_reset(0);
	two_gateways(NULL);
	fault(0, "{\"kind\": \"server_error\", \"count\": 10}");
	assert_int_equal(chat1(tenant_a, "q", &r, err, sizeof(err)), 0);
	assert_int_equal(r.attempts, 5);
	ai_chat_reply_free(&r);
	assert_outcomes("retried,retried,retried,fell_back,ok");
	assert_int_equal(nwaits, 3);
	assert_in_range(waits[2], 1000, 2000);
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

		drop_integrations();
		reset_state();
		sb_reset(0);
		sb_reset(1);
		two_gateways(NULL);
		a = count("SELECT id FROM integrations WHERE name = 'gw-a'");
		snprintf(json, sizeof(json), "{\"kind\": \"%s\", \"count\": 1}", k[i].kind);
		fault(0, json);
		rc = chat1(tenant_a, "q", &r, err, sizeof(err));
		if (k[i].ok < 0) {
			assert_int_equal(rc, -1);
			assert_non_null(strstr(err, "invalid"));
		} else {
			assert_int_equal(rc, 0);
			assert_int_equal(r.integration_id == a, k[i].ok);
			ai_chat_reply_free(&r);
		}
		assert_outcomes(k[i].outcomes);
		assert_int_equal(nwaits, k[i].waits);
		if (k[i].waits)
			assert_in_range(waits[0], 250, 500);
		assert_int_equal(ai_cooldown_left(a, clk_now, NULL, 0) > 0, k[i].cools);
		assert_int_equal(sb_stat(1, "d.calls.chat"), k[i].b_calls);
	}
}

/* A timeout (a slow reply) is transient: retried, then served. */
static void test_policy_timeout(void **state)
{
	struct ai_chat_reply r;
	char err[2048];

	(void)state;
	two_gateways("\"timeout_s\": 1");
	fault(0, "{\"kind\": \"slow\", \"count\": 1, \"delay_ms\": 2500}");
	assert_int_equal(chat1(tenant_a, "q", &r, err, sizeof(err)), 0);
	assert_int_equal(r.attempts, 2);
	ai_chat_reply_free(&r);
	assert_outcomes("retried,ok");
}

/* Cooldown: A is skipped while cooling, used again afterwards. */
static void test_cooldown_recovery(void **state)
{
	struct ai_chat_reply r;
	char err[2048];
	int64_t a;

	(void)state;
	two_gateways(NULL);
	a = count("SELECT id FROM integrations WHERE name = 'gw-a'");
	fault(0, "{\"kind\": \"insufficient_quota\", \"count\": 1}");
	assert_int_equal(chat1(tenant_a, "q", &r, err, sizeof(err)), 0);
	ai_chat_reply_free(&r);
	assert_int_equal(ai_cooldown_left(a, clk_now, NULL, 0), 30000);
	/* while cooling: A is not even called */
	clk_now += 10000;
	assert_int_equal(chat1(tenant_a, "q", &r, err, sizeof(err)), 0);
	assert_int_not_equal(r.integration_id, a);
	assert_int_equal(r.attempts, 1);
	ai_chat_reply_free(&r);
	assert_int_equal(sb_stat(0, "d.calls.chat"), 1);
	/* after it: A serves again */
	clk_now += 20001;
	assert_int_equal(chat1(tenant_a, "q", &r, err, sizeof(err)), 0);
	assert_int_equal(r.integration_id, a);
	ai_chat_reply_free(&r);
	assert_int_equal(sb_stat(0, "d.calls.chat"), 2);
}

/* Every provider failing: one error naming each. */
static void test_all_failing(void **state)
{
	struct ai_chat_reply r;
	char err[4096];

	(void)state;
	two_gateways(NULL);
	fault(0, "{\"kind\": \"unauthorized\", \"count\": 5}");
	fault(1, "{\"kind\": \"context_length\", \"count\": 5}");
	assert_int_equal(chat1(tenant_a, "q", &r, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no provider could serve context 'query'"));
	assert_non_null(strstr(err, "gw-a ("));
	assert_non_null(strstr(err, "HTTP 401 invalid_api_key"));
	assert_non_null(strstr(err, "gw-b ("));
	assert_non_null(strstr(err, "context_length_exceeded"));
	assert_null(strstr(err, "SECRET"));
	assert_outcomes("fell_back,failed");
	/* again: A is cooling, B is tried and fails */
	assert_int_equal(chat1(tenant_a, "q", &r, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cooling down"));
}

static void gw_embed_pair(const char *a_extra, const char *route)
{
	char buf[1024], extra[400];

	snprintf(extra, sizeof(extra), "\"embedding_model\": \"lexical\", "
		 "\"embedding_dimensions\": 16%s%s", a_extra ? ", " : "",
		 a_extra ? a_extra : "");
	add_integration(tenant_a, "gwe", "Embedding", "gateway-embed",
			gw(0, extra, buf, sizeof(buf)), KEY);
	snprintf(extra, sizeof(extra), "{\"dimension\": 16, \"ai_model_config\": "
		 "{\"etl\": %s}}", route);
	add_integration(tenant_a, "local", "Embedding", "lexical-local", extra, NULL);
}

/* gateway -> local embedder, same model and dimension. */
static void test_fallback_gateway_local(void **state)
{
	struct ai_embedder *e = NULL;
	const char *texts[3] = {"a b", "c d e", "f"};
	float out[3 * 16];
	char err[2048];

	(void)state;
	gw_embed_pair(NULL, "[\"gwe\", \"local\"]");
	assert_int_equal(ai_embedder_open(&actx, tenant_a, AI_CTX_ETL, &e, err,
					  sizeof(err)), 0);
	assert_string_equal(ai_embedder_model(e), "lexical");
	fault(0, "{\"kind\": \"insufficient_quota\", \"count\": 1, \"path\": \"embeddings\"}");
	assert_int_equal(ai_embed(e, texts, 3, out, NULL, err, sizeof(err)), 0);
	assert_outcomes("fell_back,ok");
	assert_int_equal(count("SELECT count(*) FROM ai_usage WHERE outcome = 'ok' AND local"), 1);
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
	gw_embed_pair(NULL, "[\"gwe\"]");
	assert_int_equal(ai_embedder_open(&actx, tenant_a, AI_CTX_ETL, &e, err,
					  sizeof(err)), 0);
	assert_int_equal(ai_embed(e, texts, 5, a, NULL, err, sizeof(err)), 0);
	fault(0, "{\"kind\": \"shuffle\", \"count\": 1}");
	assert_int_equal(ai_embed(e, texts, 5, b, NULL, err, sizeof(err)), 0);
	assert_int_equal(sb_stat(0, "d.faults_served.shuffle"), 1);
	assert_memory_equal(a, b, sizeof(a));
	/* and they differ from each other, so the check means something */
	assert_memory_not_equal(a, a + 16, 16 * sizeof(float));
	ai_embedder_close(e);
}

/* A vector of another size is refused naming both numbers; a pinned
 * model of another dimension keeps a provider out of the route. */
static void test_dimension_mismatch(void **state)
{
	struct ai_embedder *e = NULL;
	const char *texts[1] = {"x"};
	float out[16];
	char err[2048], buf[512];

	(void)state;
	gw_embed_pair(NULL, "[\"gwe\"]");
	assert_int_equal(ai_embedder_open(&actx, tenant_a, AI_CTX_ETL, &e, err,
					  sizeof(err)), 0);
	fault(0, "{\"kind\": \"wrong_dim\", \"count\": 1}");
	assert_int_equal(ai_embed(e, texts, 1, out, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "returned 15 dimensions but 16 are declared"));
	ai_embedder_close(e);
	/* pinned to lexical/16; a gateway of 32 dimensions cannot serve */
	assert_int_equal(count("SELECT count(*) FROM ai_model_pins"), 0);
	{
		char e2[256];

		assert_int_equal(ai_pin_set(app, tenant_a, "search", "lexical", 16,
					    0, e2, sizeof(e2)), 0);
	}
	drop_integrations();
	add_integration(tenant_a, "gwe32", "Embedding", "gateway-embed",
			gw(0, "\"embedding_model\": \"lexical\", \"embedding_dimensions\": 32",
			   buf, sizeof(buf)), KEY);
	{
		char e2[256];

		assert_int_equal(ai_pin_set(app, tenant_a, "search", "lexical", 16,
					    0, e2, sizeof(e2)), 0);
	}
	assert_int_equal(ai_embedder_open(&actx, tenant_a, AI_CTX_SEARCH, &e, err,
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
	gw_embed_pair(NULL, "[\"gwe\"]");
	assert_int_equal(ai_embedder_open(&actx, tenant_a, AI_CTX_ETL, &e, err,
					  sizeof(err)), 0);
	assert_int_equal(ai_embed(e, texts, N, out, &tok, err, sizeof(err)), 0);
	assert_int_equal(tok, 3150);
	v = sb_stat_text(0, "d.requests.map(r => r.n)");
	assert_string_equal(v, "[2048,52]\n");
	free(v);
	/* row 2099 is "alpha beta", row 2098 "gamma": placed right */
	assert_memory_equal(out + 1 * 16, out + 2099 * 16, 16 * sizeof(float));
	assert_memory_equal(out, out + 2098 * 16, 16 * sizeof(float));
	v = sql1(admin, "SELECT items || ' ' || input_tokens FROM ai_usage");
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
	add_integration(tenant_a, "gwe", "Embedding", "gateway-embed",
			gw(0, NULL, buf, sizeof(buf)), KEY);
	add_integration(tenant_a, "local", "Embedding", "lexical-local", "{}", NULL);
	add_integration(tenant_a, "gw", "AI", "gateway", gw(0, NULL, buf, sizeof(buf)), KEY);
	assert_int_equal(ai_route_resolve(app, &ld, tenant_a, "etl", &r, err, sizeof(err)), 0);
	assert_int_equal(r.n, 2);
	assert_string_equal(r.hop[0].name, "local"); /* local first */
	assert_string_equal(r.hop[1].name, "gwe");
	assert_int_equal(ai_route_resolve(app, &ld, tenant_a, "query", &r, err, sizeof(err)), 0);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.hop[0].name, "gw");
	/* tenant B sees none of A's integrations */
	assert_int_equal(ai_route_resolve(app, &ld, tenant_b, "etl", &r, err, sizeof(err)), 1);
	assert_int_equal(ai_route_resolve(app, &ld, tenant_a, "bulk", &r, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "unknown AI context 'bulk'"));

#define BAD(json, want)                                                        \
	do {                                                                   \
		cfg = json_tokener_parse(json);                                \
		assert_non_null(cfg);                                          \
		assert_int_equal(ai_config_validate(app, &ld, tenant_a, cfg,   \
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
	assert_int_equal(ai_config_validate(app, &ld, tenant_a, cfg, NULL, NULL,
					    err, sizeof(err)), 0);
	json_object_put(cfg);
	/* a bad stored config is reported at resolve time with the integration */
	drop_integrations();
	add_integration(tenant_a, "gw", "AI", "gateway",
			gw(0, "\"ai_model_config\": {\"query\": [\"ghost\"]}", buf,
			   sizeof(buf)), KEY);
	assert_int_equal(ai_route_resolve(app, &ld, tenant_a, "query", &r, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "ai_model_config.query[0]: no enabled"));
	assert_non_null(strstr(err, "(gw)"));
}

/* gateway_route: the model asked of the gateway. */
static void test_gateway_route(void **state)
{
	struct ai_chat_reply r;
	char err[2048], buf[512], *v;

	(void)state;
	add_integration(tenant_a, "gw", "AI", "gateway",
			gw(0, "\"ai_model_config\": {\"query\": {\"providers\": [\"gw\"],"
			   " \"gateway_route\": \"team-fast\"}}", buf, sizeof(buf)), KEY);
	assert_int_equal(chat1(tenant_a, "q", &r, err, sizeof(err)), 0);
	assert_string_equal(r.model, "team-fast");
	ai_chat_reply_free(&r);
	v = sb_stat_text(0, "d.requests[0].model");
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
	add_integration(tenant_a, "gw", "AI", "gateway", gw(0, NULL, buf, sizeof(buf)), KEY);
	assert_int_equal(ai_chat(&actx, tenant_a, AI_CTX_QUERY, &req, &r, err,
				 sizeof(err)), 0);
	ai_chat_reply_free(&r);
	v = sb_stat_text(0, "d.last_chat_body.response_format");
	assert_string_equal(v, "{\"type\":\"json_schema\",\"json_schema\":{\"name\":"
			    "\"sql_reply\",\"schema\":{\"type\":\"object\",\"properties\":"
			    "{\"sql\":{\"type\":\"string\"}},\"required\":[\"sql\"],"
			    "\"additionalProperties\":false},\"strict\":true}}\n");
	free(v);
	v = sb_stat_text(0, "[d.last_chat_body.max_completion_tokens, "
			 "d.last_chat_body.temperature, d.last_chat_body.messages]");
	assert_string_equal(v, "[64,0,[{\"role\":\"user\",\"content\":"
			    "\"open pull requests\"}]]\n");
	free(v);
	/* strict off, no name: the default name, strict false */
	req.json_schema_strict = 0;
	req.json_schema_name = NULL;
	assert_int_equal(ai_chat(&actx, tenant_a, AI_CTX_QUERY, &req, &r, err,
				 sizeof(err)), 0);
	ai_chat_reply_free(&r);
	v = sb_stat_text(0, "[d.last_chat_body.response_format.json_schema.name, "
			 "d.last_chat_body.response_format.json_schema.strict]");
	assert_string_equal(v, "[\"reply\",false]\n");
	free(v);
	/* json_object */
	req.json_schema = NULL;
	req.json = 1;
	assert_int_equal(ai_chat(&actx, tenant_a, AI_CTX_QUERY, &req, &r, err,
				 sizeof(err)), 0);
	ai_chat_reply_free(&r);
	v = sb_stat_text(0, "d.last_chat_body.response_format");
	assert_string_equal(v, "{\"type\":\"json_object\"}\n");
	free(v);
	/* plain text: no response_format at all */
	req.json = 0;
	assert_int_equal(ai_chat(&actx, tenant_a, AI_CTX_QUERY, &req, &r, err,
				 sizeof(err)), 0);
	ai_chat_reply_free(&r);
	v = sb_stat_text(0, "d.last_chat_body.response_format === undefined");
	assert_string_equal(v, "true\n");
	free(v);
	/* a schema that is not an object: refused here, nothing sent */
	req.json_schema = "[1, 2";
	assert_int_equal(ai_chat(&actx, tenant_a, AI_CTX_QUERY, &req, &r, err,
				 sizeof(err)), -1);
	assert_non_null(strstr(err, "schema asked for is not a JSON object"));
	assert_int_equal(sb_stat(0, "d.calls.chat"), 4);
}

/* Usage rows are tenant-scoped: B never sees A's. */
static void test_usage_isolation(void **state)
{
	struct ai_chat_reply r;
	char err[2048], buf[512];
	PGresult *res;

	(void)state;
	add_integration(tenant_a, "gw", "AI", "gateway", gw(0, NULL, buf, sizeof(buf)), KEY);
	assert_int_equal(chat1(tenant_a, "q", &r, err, sizeof(err)), 0);
	ai_chat_reply_free(&r);
	assert_int_equal(count("SELECT count(*) FROM ai_usage"), 1);
	assert_int_equal(db_tenant_begin(app, tenant_b, err, sizeof(err)), 0);
	res = db_query(app, err, sizeof(err), "SELECT count(*) FROM ai_usage", 0, NULL);
	assert_non_null(res);
	assert_string_equal(PQgetvalue(res, 0, 0), "0");
	PQclear(res);
	db_rollback(app);
	assert_int_equal(db_tenant_begin(app, tenant_a, err, sizeof(err)), 0);
	res = db_query(app, err, sizeof(err), "SELECT count(*) FROM ai_usage", 0, NULL);
	assert_string_equal(PQgetvalue(res, 0, 0), "1");
	PQclear(res);
	db_rollback(app);
	/* without a tenant: nothing */
	res = db_query(app, err, sizeof(err), "SELECT count(*) FROM ai_usage", 0, NULL);
	assert_string_equal(PQgetvalue(res, 0, 0), "0");
	PQclear(res);
	/* the key is nowhere in the database as text */
	assert_int_equal(count("SELECT count(*) FROM ai_usage WHERE"
			       " ai_usage::text LIKE '%SECRET%'"), 0);
	assert_int_equal(count("SELECT count(*) FROM integrations WHERE"
			       " integrations::text LIKE '%SECRET%'"
			       " OR encode(credentials, 'escape') LIKE '%SECRET%'"), 0);
}

int main(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test_setup(test_local_only, each),
		cmocka_unit_test_setup(test_chat_usage_cost, each),
		cmocka_unit_test_setup(test_policy_rate_limit, each),
		cmocka_unit_test_setup(test_policy_no_retry, each),
		cmocka_unit_test_setup(test_policy_transient, each),
		cmocka_unit_test_setup(test_policy_timeout, each),
		cmocka_unit_test_setup(test_policy_other_status, each),
		cmocka_unit_test_setup(test_cooldown_recovery, each),
		cmocka_unit_test_setup(test_all_failing, each),
		cmocka_unit_test_setup(test_fallback_gateway_local, each),
		cmocka_unit_test_setup(test_reorder, each),
		cmocka_unit_test_setup(test_dimension_mismatch, each),
		cmocka_unit_test_setup(test_big_batch, each),
		cmocka_unit_test_setup(test_routing, each),
		cmocka_unit_test_setup(test_gateway_route, each),
		cmocka_unit_test_setup(test_usage_isolation, each),
		cmocka_unit_test_setup(test_response_format, each),
	};

	log_set_level(getenv("AI_TEST_DEBUG") ? LOG_DEBUG : LOG_ERROR);
	return cmocka_run_group_tests_name("ai-route", t, setup, teardown);
}
