/* route_fixture: the set-up test-route and test-route-policy share (see
 * route_fixture.h). */
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
#include "route_fixture.h"

static char tmpdir[] = "/tmp/pulse-test-ai.XXXXXX";
static char dbname[64], role[80], admin_db_url[512];
PGconn *rt_admin, *rt_app;
struct loader rt_ld;
static struct conf conf;
struct crypto_key rt_key;
static pid_t sb_pid[2];
char rt_sb_url[2][64];
int64_t rt_tenant_a, rt_tenant_b;

/* ---- the test clock ---- */
uint64_t rt_clk_now = 1000000;
uint64_t rt_waits[64];
size_t rt_nwaits;

static void rt_clk_sleep(void *arg, uint64_t ms)
{
	(void)arg;
	if (rt_nwaits < 64)
		rt_waits[rt_nwaits++] = ms;
	rt_clk_now += ms;
}

static uint64_t rt_clk_read(void *arg)
{
	(void)arg;
	return rt_clk_now;
}

struct ai_ctx rt_actx;

void rt_reset_state(void)
{
	rt_nwaits = 0;
	ai_cooldown_reset();
}

/* ---- helpers ---- */

char *rt_sql1(PGconn *c, const char *sql)
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

long rt_count(const char *sql)
{
	char *v = rt_sql1(rt_admin, sql);
	long n = atol(v);

	free(v);
	return n;
}

/* Run a command and return its stdout (caller frees). */
char *rt_run(const char *fmt, ...)
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
void rt_sb_post(int s, const char *path, const char *json)
{
	free(rt_run("curl -sS -f -X POST -H 'Content-Type: application/json' "
		 "--data '%s' %s%s >/dev/null", json, rt_sb_url[s], path));
}

void rt_sb_reset(int s)
{
	rt_sb_post(s, "/_sandbox/reset", "{}");
}

/* A number from the sandbox's stats, by a JS expression over d. */
long rt_sb_stat(int s, const char *expr)
{
	char *out = rt_run("curl -sS %s/_sandbox/stats | node -e 'let t=\"\";"
			"process.stdin.on(\"data\",c=>t+=c).on(\"end\",()=>{"
			"const d=JSON.parse(t);console.log(JSON.stringify(%s))})'",
			rt_sb_url[s], expr);
	long v = atol(out);

	free(out);
	return v;
}

char *rt_sb_stat_text(int s, const char *expr)
{
	return rt_run("curl -sS %s/_sandbox/stats | node -e 'let t=\"\";"
		   "process.stdin.on(\"data\",c=>t+=c).on(\"end\",()=>{"
		   "const d=JSON.parse(t);console.log(JSON.stringify(%s))})'",
		   rt_sb_url[s], expr);
}

int64_t rt_add_integration(int64_t tenant, const char *name,
			       const char *type, const char *plugin,
			       const char *settings, const char *secrets)
{
	struct json_object *set = json_tokener_parse(settings);
	struct json_object *sec = secrets ? json_tokener_parse(secrets) : NULL;
	char err[1024];
	int64_t id = 0;

	assert_non_null(set);
	if (integration_add(rt_app, &rt_key, tenant, name, type, plugin, set, sec, &id,
			    err, sizeof(err)) < 0)
		fail_msg("integration_add %s: %s", name, err);
	json_object_put(set);
	json_object_put(sec);
	return id;
}

void rt_drop_integrations(void)
{
	char err[256];

	db_exec(rt_admin, "DELETE FROM ai_model_pins; DELETE FROM ai_usage;"
		" DELETE FROM integrations", err, sizeof(err));
}

/* "outcome,outcome,..." of tenant's usage rows, oldest first. */
char *rt_outcomes(int64_t tenant)
{
	char sql[256];

	snprintf(sql, sizeof(sql), "SELECT coalesce(string_agg(outcome, ','"
		 " ORDER BY id), '') FROM ai_usage WHERE tenant_id = %lld",
		 (long long)tenant);
	return rt_sql1(rt_admin, sql);
}

void rt_clear_usage(void)
{
	char err[256];

	db_exec(rt_admin, "DELETE FROM ai_usage", err, sizeof(err));
}

const char *rt_gw(int s, const char *extra, char *buf, size_t len)
{
	snprintf(buf, len, "{\"base_url\": \"%s/v1\", \"max_retries\": 3%s%s}",
		 rt_sb_url[s], extra ? ", " : "", extra ? extra : "");
	return buf;
}

int rt_chat1(int64_t tenant, const char *text, struct ai_chat_reply *out,
		 char *err, size_t errlen)
{
	struct ai_chat_msg m[2] = {{"system", "be brief"}, {"user", text}};
	struct ai_chat_req req = {.messages = m, .n_messages = 2,
				  .temperature_milli = -1, .operation = "test"};

	return ai_chat(&rt_actx, tenant, AI_CTX_QUERY, &req, out, err, errlen);
}

/* ---- set-up ---- */

static pid_t rt_start_sandbox(int s)
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
	snprintf(rt_sb_url[s], sizeof(rt_sb_url[s]), "http://127.0.0.1:%s", port);
	return pid;
}

int rt_setup(void **state)
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
		if ((sb_pid[s] = rt_start_sandbox(s)) < 0)
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
	if (!(rt_admin = db_connect(admin_db_url, err, sizeof(err))) ||
	    migrate_apply(rt_admin, NULL, &applied, err, sizeof(err)) < 0 ||
	    migrate_app_role(rt_admin, role, "pw-test", NULL, err, sizeof(err)) < 0)
		return fprintf(stderr, "%s\n", err), -1;
	hostport = strchr(base, '@') + 1;
	if (asprintf(&app_url, "postgresql://%s:pw-test@%s/%s", role, hostport, dbname) < 0)
		return -1;
	rt_app = db_connect(app_url, err, sizeof(err));
	free(app_url);
	free(base);
	if (!rt_app)
		return fprintf(stderr, "%s\n", err), -1;
	v = rt_sql1(rt_admin, "INSERT INTO tenants (name) VALUES ('a') RETURNING id");
	rt_tenant_a = atoll(v);
	free(v);
	v = rt_sql1(rt_admin, "INSERT INTO tenants (name) VALUES ('b') RETURNING id");
	rt_tenant_b = atoll(v);
	free(v);
	snprintf(path, sizeof(path), "%s/key", tmpdir);
	if (crypto_key_load(path, 1, &rt_key, err, sizeof(err)) < 0)
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
	loader_load_file(&rt_ld, path);
	snprintf(path, sizeof(path), "%s/plugins/provider-gateway/.libs/gateway-embed.so", build);
	loader_load_file(&rt_ld, path);
	snprintf(path, sizeof(path), "%s/tests/ai/.libs/lexical-local.so", build);
	loader_load_file(&rt_ld, path);
	if (!loader_find(&rt_ld, "gateway") || !loader_find(&rt_ld, "gateway-embed") ||
	    !loader_find(&rt_ld, "lexical-local"))
		return fprintf(stderr, "plugins not loaded from %s\n", build), -1;
	rt_actx.db = rt_app;
	rt_actx.ld = &rt_ld;
	rt_actx.key = &rt_key;
	rt_actx.conf = &conf;
	rt_actx.sleep_ms = rt_clk_sleep;
	rt_actx.now_ms = rt_clk_read;
	return 0;
}

int rt_teardown(void **state)
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
	loader_free(&rt_ld);
	conf_free(&conf);
	PQfinish(rt_app);
	PQfinish(rt_admin);
	if (url && dbname[0] && (server = db_connect(url, err, sizeof(err)))) {
		snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", dbname);
		db_exec(server, sql, err, sizeof(err));
		snprintf(sql, sizeof(sql), "DROP ROLE IF EXISTS %s", role);
		db_exec(server, sql, err, sizeof(err));
		PQfinish(server);
	}
	free(rt_run("rm -rf %s", tmpdir));
	return 0;
}

int rt_each(void **state)
{
	(void)state;
	rt_drop_integrations();
	rt_reset_state();
	rt_sb_reset(0);
	rt_sb_reset(1);
	return 0;
}

void rt_two_gateways(const char *a_extra)
{
	char buf[512], cfg[256];

	rt_add_integration(rt_tenant_a, "gw-a", "AI", "gateway", rt_gw(0, a_extra, buf, sizeof(buf)), KEY);
	snprintf(cfg, sizeof(cfg), "\"ai_model_config\": {\"query\": "
		 "{\"providers\": [\"gw-a\", \"gw-b\"], \"cooldown_s\": 30}}");
	rt_add_integration(rt_tenant_a, "gw-b", "AI", "gateway", rt_gw(1, cfg, buf, sizeof(buf)), KEY);
}

void rt_fault(int s, const char *json)
{
	rt_sb_post(s, "/_sandbox/fault", json);
}

void rt_assert_outcomes(const char *want)
{
	char *v = rt_outcomes(rt_tenant_a);

	assert_string_equal(v, want);
	free(v);
}

void rt_gw_embed_pair(const char *a_extra, const char *route)
{
	char buf[1024], extra[400];

	snprintf(extra, sizeof(extra), "\"embedding_model\": \"lexical\", "
		 "\"embedding_dimensions\": 16%s%s", a_extra ? ", " : "",
		 a_extra ? a_extra : "");
	rt_add_integration(rt_tenant_a, "gwe", "Embedding", "gateway-embed",
			rt_gw(0, extra, buf, sizeof(buf)), KEY);
	snprintf(extra, sizeof(extra), "{\"dimension\": 16, \"ai_model_config\": "
		 "{\"etl\": %s}}", route);
	rt_add_integration(rt_tenant_a, "local", "Embedding", "lexical-local", extra, NULL);
}
