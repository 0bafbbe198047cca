/* cmd_ai: `pulse-host ai route|test|usage`: what serves each AI context
 * of a tenant and why, a probe of one provider, and what AI calls cost
 * (docs/ai.md). */
#include "config.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ai/provider.h"
#include "ai/route_int.h"
#include "ai/route_report.h"
#include "cli/cli_ai.h"
#include "base/crypto.h"
#include "cli/cli.h"
#include "db/db.h"
#include "http/http.h"
#include "model/integration.h"
#include "model/tenant.h"

static const char *AI_USAGE =
	"usage: pulse-host ai route --tenant T [--context C] [--json]\n"
	"       pulse-host ai test INTEGRATION [--json]\n"
	"       pulse-host ai usage --tenant T [--since D] [--json]\n"
	"       pulse-host ai health --tenant T [--json]\n"
	"\n"
	"route  which integrations serve each context (etl, search, query), in\n"
	"       order, and where that comes from (ai_model_config or defaults)\n"
	"test   send a tiny probe through one AI/Embedding integration: latency,\n"
	"       model, dimension\n"
	"usage  per provider/model/context: calls, tokens, cost, error rate,\n"
	"       p50/p95 latency, and the share of calls served locally;\n"
	"       --since 7d | 24h | 30m | 2026-12-01; open anomalies follow\n"
	"health per provider: recent error rate, p95, cooldown, anomalies\n"
	"\n"
	"Example: pulse-host ai route --tenant acme --context query\n";

/* The options every subcommand shares. */
struct ai_opts {
	const char *tenant, *context, *since, *arg;
	int json;
};

static int parse(int argc, char **argv, struct ai_opts *o)
{
	memset(o, 0, sizeof(*o));
	for (int i = 1; i < argc; i++) {
		const char **slot = !strcmp(argv[i], "--tenant") ? &o->tenant :
				    !strcmp(argv[i], "--context") ? &o->context :
				    !strcmp(argv[i], "--since") ? &o->since : NULL;

		if (slot) {
			if (i + 1 >= argc) {
				fprintf(stderr, "ai: %s needs a value\n", argv[i]);
				return -1;
			}
			*slot = argv[++i];
		} else if (cli_is_help(argv[i])) {
			fputs(AI_USAGE, stdout);
			return 1;
		} else if (!strcmp(argv[i], "--json")) {
			o->json = 1;
		} else if (argv[i][0] != '-' && !o->arg) {
			o->arg = argv[i];
		} else {
			fprintf(stderr, "ai: unknown argument '%s'\n%s", argv[i],
				AI_USAGE);
			return -1;
		}
	}
	return 0;
}

/* The router's context for the CLI: database, plugins, key. */
struct ai_env {
	struct ai_ctx ctx;
	struct crypto_key key;
	PGconn *db;
};

static int env_open(struct cli *cli, struct ai_env *e, int need_key)
{
	char err[1024];

	memset(e, 0, sizeof(*e));
	if (!cli->conf.database_url || !*cli->conf.database_url) {
		fprintf(stderr, "ai: no database configured; set database_url in "
			"%s or PULSE_HOST_DATABASE_URL\n",
			cli->conf.path ? cli->conf.path : conf_default_path());
		return -1;
	}
	if (!(e->db = db_connect_tenant(cli->conf.database_url, err, sizeof(err)))) {
		fprintf(stderr, "ai: %s\n", err);
		return -1;
	}
	if (need_key && crypto_key_load(cli->conf.key_file, 0, &e->key, err,
					sizeof(err)) < 0) {
		fprintf(stderr, "ai: %s\n", err);
		return -1;
	}
	cli_load_plugins(cli);
	e->ctx.db = e->db;
	e->ctx.ld = &cli->ld;
	e->ctx.key = need_key ? &e->key : NULL;
	e->ctx.conf = &cli->conf;
	return 0;
}

static void env_close(struct ai_env *e)
{
	crypto_wipe(&e->key, sizeof(e->key));
	PQfinish(e->db);
}

static int tenant_of(struct ai_env *e, const char *name, int64_t *id)
{
	char err[512];

	if (!name) {
		fprintf(stderr, "ai: --tenant is required\n%s", AI_USAGE);
		return -1;
	}
	if (tenant_resolve(e->db, name, id, err, sizeof(err)) < 0) {
		fprintf(stderr, "ai: %s\n", err);
		return -1;
	}
	return 0;
}

/* ---- route ---- */

static struct json_object *route_json(struct ai_env *e, int64_t tenant,
				      const char *context, int *failed)
{
	struct json_object *o = json_object_new_object(), *hops;
	struct ai_route r;
	char err[1024], model[256];
	uint32_t dim = 0;
	int rc = ai_route_resolve(e->db, e->ctx.ld, tenant, context, &r, err,
				  sizeof(err));

	json_object_object_add(o, "context", json_object_new_string(context));
	json_object_object_add(o, "kind", json_object_new_string(
		ai_context_kind(context) == PULSE_KIND_EMBEDDER ? "embedder" : "llm"));
	if (rc != 0) {
		json_object_object_add(o, "error", json_object_new_string(err));
		*failed |= rc < 0;
		return o;
	}
	json_object_object_add(o, "why", json_object_new_string(r.why));
	if (r.source[0])
		json_object_object_add(o, "source", json_object_new_string(r.source));
	if (r.gateway_route[0])
		json_object_object_add(o, "gateway_route",
				       json_object_new_string(r.gateway_route));
	json_object_object_add(o, "cooldown_s", json_object_new_int64(r.cooldown_s));
	hops = json_object_new_array();
	for (size_t i = 0; i < r.n; i++) {
		struct json_object *h = json_object_new_object();

		json_object_object_add(h, "integration_id", json_object_new_int64(r.hop[i].id));
		json_object_object_add(h, "name", json_object_new_string(r.hop[i].name));
		json_object_object_add(h, "plugin", json_object_new_string(r.hop[i].plugin));
		json_object_object_add(h, "local", json_object_new_boolean(r.hop[i].local));
		json_object_array_add(hops, h);
	}
	json_object_object_add(o, "providers", hops);
	if (ai_context_kind(context) == PULSE_KIND_EMBEDDER &&
	    ai_pin_get(e->db, tenant, context, model, sizeof(model), &dim, err,
		       sizeof(err)) == 1) {
		json_object_object_add(o, "pinned_model", json_object_new_string(model));
		json_object_object_add(o, "pinned_dimension", json_object_new_int64(dim));
	}
	return o;
}

static void route_print(struct json_object *o)
{
	struct json_object *v, *hops;

	printf("%s (%s):\n", json_object_get_string(
		json_object_object_get(o, "context")), json_object_get_string(
		json_object_object_get(o, "kind")));
	if (json_object_object_get_ex(o, "error", &v)) {
		printf("  %s\n", json_object_get_string(v));
		return;
	}
	printf("  from: %s\n", json_object_get_string(json_object_object_get(o, "why")));
	if (json_object_object_get_ex(o, "gateway_route", &v))
		printf("  gateway_route: %s\n", json_object_get_string(v));
	hops = json_object_object_get(o, "providers");
	for (size_t i = 0; i < json_object_array_length(hops); i++) {
		struct json_object *h = json_object_array_get_idx(hops, i);

		printf("  %zu. %s (integration %s, plugin %s, %s)%s\n", i + 1,
		       json_object_get_string(json_object_object_get(h, "name")),
		       json_object_get_string(json_object_object_get(h, "integration_id")),
		       json_object_get_string(json_object_object_get(h, "plugin")),
		       json_object_get_boolean(json_object_object_get(h, "local")) ?
		       "local" : "external", i ? "  (fallback)" : "");
	}
	if (json_object_object_get_ex(o, "pinned_model", &v))
		printf("  pinned: %s, %s dimensions (vectors exist; changing it "
		       "means re-vectorizing)\n", json_object_get_string(v),
		       json_object_get_string(json_object_object_get(o, "pinned_dimension")));
}

static int ai_route(struct cli *cli, int argc, char **argv)
{
	static const char *all[] = {AI_CTX_ETL, AI_CTX_SEARCH, AI_CTX_QUERY};
	struct ai_opts o;
	struct ai_env e;
	struct json_object *arr;
	int64_t tenant;
	int failed = 0, rc = 1;

	if ((rc = parse(argc, argv, &o)) != 0)
		return rc < 0 ? EXIT_USAGE : 0;
	rc = 1;
	if (o.context && !ai_context_kind(o.context)) {
		fprintf(stderr, "ai route: unknown context '%s'; valid contexts: "
			"etl, search, query\n", o.context);
		return EXIT_USAGE;
	}
	if (env_open(cli, &e, 0) < 0 || tenant_of(&e, o.tenant, &tenant) < 0)
		goto out;
	arr = json_object_new_array();
	for (size_t i = 0; i < 3; i++)
		if (!o.context || !strcmp(o.context, all[i]))
			json_object_array_add(arr, route_json(&e, tenant, all[i], &failed));
	if (o.json)
		printf("%s\n", json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY));
	else
		for (size_t i = 0; i < json_object_array_length(arr); i++)
			route_print(json_object_array_get_idx(arr, i));
	json_object_put(arr);
	rc = failed;
out:
	env_close(&e);
	return rc;
}

/* ---- test ---- */

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Probe p as kind; fills o with model, dimension or reply, latency. */
static int probe(struct ai_provider *p, unsigned kind, struct json_object *o,
		 char *err, size_t errlen)
{
	pulse_usage u;
	uint64_t t0 = mono_ms();
	int32_t rc;

	if (kind == PULSE_KIND_EMBEDDER) {
		const char *model, *texts[1] = {"pulse-host probe"};
		uint32_t dim = 0, batch;
		float *v;

		if ((rc = ai_provider_embed_info(p, &model, &dim, &batch, err,
						 errlen)) != PULSE_OK)
			return -1;
		json_object_object_add(o, "model", json_object_new_string(model));
		json_object_object_add(o, "dimension", json_object_new_int64(dim));
		if (!(v = calloc(dim, sizeof(*v))))
			return -1;
		t0 = mono_ms();
		rc = ai_provider_embed(p, texts, 1, v, dim, &u, err, errlen);
		free(v);
	} else {
		pulse_chat_message m = {PULSE_STRUCT_HEADER(pulse_chat_message),
					.role = "user", .content = "Reply with one word: pong"};
		pulse_chat_request q = {PULSE_STRUCT_HEADER(pulse_chat_request),
					.messages = &m, .n_messages = 1,
					.max_tokens = 16, .temperature_milli = 0};
		pulse_chat_result res;

		rc = ai_provider_chat(p, &q, &res, &u, err, errlen);
		if (rc == PULSE_OK) {
			json_object_object_add(o, "model", json_object_new_string(
				res.model ? res.model : ""));
			json_object_object_add(o, "reply", json_object_new_string_len(
				res.text ? res.text : "", res.text ? (int)res.text_len : 0));
		}
	}
	if (rc != PULSE_OK)
		return -1;
	json_object_object_add(o, "latency_ms", json_object_new_int64(
		(int64_t)(mono_ms() - t0)));
	json_object_object_add(o, "input_tokens", json_object_new_int64(
		(int64_t)u.prompt_tokens));
	return 0;
}

static int ai_test(struct cli *cli, int argc, char **argv)
{
	struct ai_opts o;
	struct ai_env e;
	struct integration in;
	struct json_object *out = NULL, *kinds;
	char err[1024], *end;
	int64_t id;
	int rc = 1, bad = 0;

	memset(&in, 0, sizeof(in));
	if ((rc = parse(argc, argv, &o)) != 0)
		return rc < 0 ? EXIT_USAGE : 0;
	rc = 1;
	if (!o.arg || (id = strtoll(o.arg, &end, 10)) <= 0 || *end) {
		fprintf(stderr, "ai test: give an integration id, e.g. `pulse-host "
			"ai test 7`\n");
		return EXIT_USAGE;
	}
	if (env_open(cli, &e, 1) < 0)
		goto out;
	http_global_init();
	if (integration_get(e.db, id, &in, err, sizeof(err)) != 0) {
		fprintf(stderr, "ai test: %s\n", err);
		goto out;
	}
	out = json_object_new_object();
	json_object_object_add(out, "integration_id", json_object_new_int64(id));
	json_object_object_add(out, "name", json_object_new_string(in.name));
	json_object_object_add(out, "plugin", json_object_new_string(in.plugin));
	kinds = json_object_new_array();
	json_object_object_add(out, "probes", kinds);
	for (unsigned kind = PULSE_KIND_LLM; kind <= PULSE_KIND_EMBEDDER; kind++) {
		struct json_object *k;
		struct ai_provider *p = NULL;

		if (!ai_plugin_serves(loader_find(&cli->ld, in.plugin), kind))
			continue;
		k = json_object_new_object();
		json_object_array_add(kinds, k);
		json_object_object_add(k, "kind", json_object_new_string(
			kind == PULSE_KIND_LLM ? "llm" : "embedder"));
		if (ai_provider_open(&(struct ai_env_ref){e.ctx.db, e.ctx.ld, e.ctx.key, e.ctx.conf}, in.tenant_id, id, kind, &p, err,
				     sizeof(err)) < 0 ||
		    probe(p, kind, k, err, sizeof(err)) < 0) {
			json_object_object_add(k, "error", json_object_new_string(err));
			bad = 1;
		}
		ai_provider_close(p);
	}
	if (!json_object_array_length(kinds)) {
		fprintf(stderr, "ai test: integration %lld (%s): plugin '%s' is not "
			"loaded as an LLM or embedder; see `pulse-host plugins`\n",
			(long long)id, in.name, in.plugin);
		goto out;
	}
	if (o.json) {
		printf("%s\n", json_object_to_json_string_ext(out, JSON_C_TO_STRING_PRETTY));
	} else {
		for (size_t i = 0; i < json_object_array_length(kinds); i++) {
			struct json_object *k = json_object_array_get_idx(kinds, i), *v;

			if (json_object_object_get_ex(k, "error", &v)) {
				printf("%s (%s) %s: FAILED: %s\n", in.name, in.plugin,
				       json_object_get_string(json_object_object_get(k, "kind")),
				       json_object_get_string(v));
				continue;
			}
			printf("%s (%s) %s: ok, %s ms, model %s",
			       in.name, in.plugin,
			       json_object_get_string(json_object_object_get(k, "kind")),
			       json_object_get_string(json_object_object_get(k, "latency_ms")),
			       json_object_get_string(json_object_object_get(k, "model")));
			if (json_object_object_get_ex(k, "dimension", &v))
				printf(", %s dimensions", json_object_get_string(v));
			printf("\n");
		}
	}
	rc = bad;
out:
	json_object_put(out);
	integration_free(&in);
	env_close(&e);
	return rc;
}

/* ---- usage ---- */

static struct json_object *cell(PGresult *r, int row, int col, int number)
{
	const char *v;

	if (PQgetisnull(r, row, col))
		return NULL;
	v = PQgetvalue(r, row, col);
	return number ? json_object_new_double_s(atof(v), v) :
	       json_object_new_string(v);
}

/* Open anomalies under the usage table (`ai health` has the details). */
static void print_anomalies(PGconn *db, int64_t tenant)
{
	char err[512];
	struct json_object *a = ai_anomalies_json(db, tenant, err, sizeof(err));

	for (size_t i = 0; a && i < json_object_array_length(a); i++) {
		struct json_object *x = json_object_array_get_idx(a, i);

		printf("anomaly: integration %s (%s): %s jumped from %s to %s "
		       "at %s; see `pulse-host ai health`\n",
		       json_object_get_string(json_object_object_get(x, "integration_id")),
		       json_object_get_string(json_object_object_get(x, "model")),
		       json_object_get_string(json_object_object_get(x, "metric")),
		       json_object_get_string(json_object_object_get(x, "baseline")),
		       json_object_get_string(json_object_object_get(x, "observed")),
		       json_object_get_string(json_object_object_get(x, "detected_at")));
	}
	json_object_put(a);
}

static int ai_usage(struct cli *cli, int argc, char **argv)
{
	static const char *cols[] = {"integration_id", "plugin", "model",
		"context", "calls", "errors", "error_rate", "input_tokens",
		"output_tokens", "cost_usd", "p50_ms", "p95_ms", "local_share"};
	struct ai_opts o;
	struct ai_env e;
	struct json_object *rows = NULL;
	PGresult *r = NULL;
	char err[1024];
	int64_t tenant;
	int rc = 1;

	if ((rc = parse(argc, argv, &o)) != 0)
		return rc < 0 ? EXIT_USAGE : 0;
	rc = 1;
	if (env_open(cli, &e, 0) < 0 || tenant_of(&e, o.tenant, &tenant) < 0)
		goto out;
	if (!(r = ai_usage_report(e.db, tenant, o.since, err, sizeof(err)))) {
		fprintf(stderr, "ai usage: %s\n", err);
		goto out;
	}
	rows = json_object_new_array();
	for (int i = 0; i < PQntuples(r); i++) {
		struct json_object *row = json_object_new_object();

		for (int c = 0; c < 13; c++)
			json_object_object_add(row, cols[c], cell(r, i, c,
					       c == 0 || c >= 4));
		json_object_array_add(rows, row);
	}
	if (o.json) {
		printf("%s\n", json_object_to_json_string_ext(rows, JSON_C_TO_STRING_PRETTY));
	} else {
		printf("%-16s %-24s %-7s %7s %6s %10s %10s %12s %7s %7s\n",
		       "PLUGIN", "MODEL", "CONTEXT", "CALLS", "ERR%", "IN TOK",
		       "OUT TOK", "COST USD", "P50 MS", "P95 MS");
		for (int i = 0; i < PQntuples(r); i++) {
			int total = PQgetisnull(r, i, 1);

			printf("%-16s %-24.24s %-7s %7s %5.1f%% %10s %10s %12s %7s %7s\n",
			       total ? "TOTAL" : PQgetvalue(r, i, 1),
			       total ? "" : PQgetvalue(r, i, 2),
			       total ? "" : PQgetvalue(r, i, 3), PQgetvalue(r, i, 4),
			       100 * atof(PQgetvalue(r, i, 6)), PQgetvalue(r, i, 7),
			       PQgetvalue(r, i, 8),
			       PQgetisnull(r, i, 9) ? "-" : PQgetvalue(r, i, 9),
			       PQgetisnull(r, i, 10) ? "-" : PQgetvalue(r, i, 10),
			       PQgetisnull(r, i, 11) ? "-" : PQgetvalue(r, i, 11));
			if (total)
				printf("served locally: %.1f%% of successful calls\n",
				       100 * atof(PQgetvalue(r, i, 12)));
		}
		print_anomalies(e.db, tenant);
	}
	rc = 0;
out:
	json_object_put(rows);
	PQclear(r);
	env_close(&e);
	return rc;
}

int cmd_ai(struct cli *cli, int argc, char **argv)
{
	static const struct cli_cmd cmds[] = {
		{"route", ai_route, "what serves each AI context of a tenant, and why"},
		{"test", ai_test, "probe one AI/Embedding integration"},
		{"usage", ai_usage, "calls, tokens, cost, errors and latency of AI calls"},
		{"health", cmd_ai_health, "recent error rate, p95 and anomalies per provider"},
		{NULL, NULL, NULL},
	};

	return cli_dispatch(cli, cmds, "ai", AI_USAGE, argc - 1, argv + 1);
}
