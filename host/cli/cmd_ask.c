/* cmd_ask: `pulse-host ask` (questions in plain language, guarded SQL). */
#include "config.h"

#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ai/askexec.h"
#include "ai/query.h"
#include "ai/route.h"
#include "ai/schemacard.h"
#include "ai/sqlguard.h"
#include "base/crypto.h"
#include "cli/cli.h"
#include "db/db.h"
#include "db/dbread.h"
#include "model/tenant.h"

static const char ask_usage[] =
	"usage: pulse-host ask --tenant T \"QUESTION\" [--json] [--explain]\n"
	"       pulse-host ask --tenant T --sql \"SELECT ...\" [--json]\n"
	"       pulse-host ask --tenant T --card\n"
	"       pulse-host ask --guard \"SQL\" [--json]\n"
	"       pulse-host ask --tenant T --feedback ID good|bad\n"
	"       pulse-host ask feedback list --tenant T [--json]\n"
	"\n"
	"Answers a question about the tenant's data. The tenant's \"query\" LLM\n"
	"route picks the intent (structured: SQL; semantic: search; hybrid)\n"
	"and writes SQL over the q_* views from the schema card; the SQL guard\n"
	"proves it reads only those views before it runs read-only, as the\n"
	"query role, under row-level security, within ask.timeout_ms,\n"
	"ask.max_rows, ask.max_bytes and ask.max_cost. A failed query is sent\n"
	"back with its error for up to 2 corrections. See docs/ask.md.\n"
	"\n"
	"  --tenant T       tenant name or id\n"
	"  --json           the answer as JSON (as POST /api/v1/ai/query)\n"
	"  --explain        also every attempt's SQL and error, and stage times\n"
	"  --sql SQL        run this SQL through the guard and the limits (no LLM)\n"
	"  --card           print the schema card the LLM is given\n"
	"  --guard SQL      only check SQL with the guard (no database): prints\n"
	"                   the rule that refuses it, or ok; exit 1 if refused\n"
	"  --feedback ID good|bad\n"
	"                   rate answer ID (printed after each answer); good\n"
	"                   answers become examples for later questions\n"
	"\n"
	"Example:\n"
	"  pulse-host ask --tenant acme \"which PRs waited longest for review last month?\"\n"
	"  pulse-host ask --tenant acme --sql \"SELECT state, count(*) FROM q_pull_requests GROUP BY 1\"\n";

struct ask_args {
	const char *tenant, *question, *sql, *guard, *feedback_id, *verdict;
	int json, explain, card;
};

static int parse_args(int argc, char **argv, struct ask_args *a)
{
	int i;

	memset(a, 0, sizeof(*a));
	for (i = 1; i < argc; i++) {
		const char *o = argv[i];
		const char **dst = NULL;

		if (cli_is_help(o)) {
			printf("%s", ask_usage);
			return 1;
		}
		if (strcmp(o, "--json") == 0) {
			a->json = 1;
			continue;
		}
		if (strcmp(o, "--explain") == 0) {
			a->explain = 1;
			continue;
		}
		if (strcmp(o, "--card") == 0) {
			a->card = 1;
			continue;
		}
		if (strcmp(o, "--tenant") == 0)
			dst = &a->tenant;
		else if (strcmp(o, "--sql") == 0)
			dst = &a->sql;
		else if (strcmp(o, "--guard") == 0)
			dst = &a->guard;
		else if (strcmp(o, "--feedback") == 0)
			dst = &a->feedback_id;
		if (dst) {
			if (i + 1 >= argc) {
				fprintf(stderr, "ask: %s needs a value (try --help)\n", o);
				return -1;
			}
			*dst = argv[++i];
			if (dst == &a->feedback_id) {
				if (i + 1 >= argc) {
					fprintf(stderr, "ask: --feedback ID needs good "
						"or bad after it\n");
					return -1;
				}
				a->verdict = argv[++i];
			}
			continue;
		}
		if (o[0] == '-' && o[1]) {
			fprintf(stderr, "ask: unknown option '%s' (try --help)\n", o);
			return -1;
		}
		if (a->question) {
			fprintf(stderr, "ask: one question only; quote it (try --help)\n");
			return -1;
		}
		a->question = o;
	}
	if (!a->guard && !a->tenant) {
		fprintf(stderr, "ask: --tenant is required (try --help)\n");
		return -1;
	}
	if (!a->guard && !a->sql && !a->card && !a->feedback_id && !a->question) {
		fprintf(stderr, "ask: no question; e.g. pulse-host ask --tenant T "
			"\"how many PRs were merged last week?\"\n");
		return -1;
	}
	return 0;
}

static void limits_from_conf(const struct conf *cf, struct askexec_limits *l)
{
	l->timeout_ms = cf->ask_timeout_ms;
	l->max_rows = (unsigned)cf->ask_max_rows;
	l->max_bytes = (size_t)cf->ask_max_bytes;
	l->max_cost = (double)cf->ask_max_cost;
}

static int run_guard(const struct ask_args *a)
{
	struct sqlguard_verdict v;
	int ok = sqlguard_check(a->guard, &v) == 0;

	if (a->json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "ok", json_object_new_boolean(ok));
		json_object_object_add(o, "rule", v.rule ? json_object_new_string(v.rule) : NULL);
		json_object_object_add(o, "detail", json_object_new_string(v.detail));
		json_object_object_add(o, "fingerprint", v.fingerprint[0] ?
				       json_object_new_string(v.fingerprint) : NULL);
		printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
	} else if (ok) {
		printf("ok (fingerprint %s)\n", v.fingerprint);
	} else {
		printf("refused: %s: %s\n", v.rule, v.detail);
	}
	return ok ? 0 : 1;
}

/* Rows JSON as tab-separated text with a header. */
static void print_rows(const char *columns, const char *rows)
{
	struct json_object *c = json_tokener_parse(columns ? columns : "[]");
	struct json_object *r = json_tokener_parse(rows ? rows : "[]");
	size_t i, j, nc = c ? json_object_array_length(c) : 0;
	size_t nr = r ? json_object_array_length(r) : 0;

	for (j = 0; j < nc; j++)
		printf("%s%s", j ? "\t" : "",
		       json_object_get_string(json_object_array_get_idx(c, j)));
	if (nc)
		printf("\n");
	for (i = 0; i < nr; i++) {
		struct json_object *row = json_object_array_get_idx(r, i);

		for (j = 0; j < nc; j++) {
			struct json_object *v = NULL;

			json_object_object_get_ex(row, json_object_get_string(
				json_object_array_get_idx(c, j)), &v);
			printf("%s%s", j ? "\t" : "", v ? json_object_get_string(v) : "");
		}
		printf("\n");
	}
	json_object_put(c);
	json_object_put(r);
}

/* Connect for reading: the replica if configured and up. */
static PGconn *read_conn(struct cli *cli, PGconn *primary)
{
	char err[1024];

	PGconn *c;
	int on_replica = 0;

	if (!cli->conf.analytics_database_url || !*cli->conf.analytics_database_url)
		return primary;
	c = db_connect_read(cli->conf.analytics_database_url,
			    cli->conf.database_url, &on_replica, err, sizeof(err));
	if (c && !on_replica) {
		/* fell back (WARN given): the primary connection we have */
		PQfinish(c);
		return primary;
	}
	return c;
}

static int run_sql(struct cli *cli, PGconn **rd, PGconn *primary, int64_t tenant,
		   const struct ask_args *a)
{
	struct askexec_limits lim;
	struct askexec_result res;
	char err[2048];
	int rc;

	limits_from_conf(&cli->conf, &lim);
	rc = askexec_run(*rd, tenant, a->sql, &lim, &res, err, sizeof(err));
	if (rc < 0 && res.failure && strcmp(res.failure, "connection") == 0 &&
	    *rd != primary) {
		fprintf(stderr, "ask: WARN: the analytics replica was lost; "
			"running on the primary\n");
		PQfinish(*rd);
		*rd = primary;
		askexec_result_free(&res);
		rc = askexec_run(*rd, tenant, a->sql, &lim, &res, err, sizeof(err));
	}
	if (a->json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "sql", res.sql_run ?
				       json_object_new_string(res.sql_run) : NULL);
		json_object_object_add(o, "columns", res.columns_json ?
				       json_tokener_parse(res.columns_json) : NULL);
		json_object_object_add(o, "rows", res.rows_json ?
				       json_tokener_parse(res.rows_json) : NULL);
		json_object_object_add(o, "row_count", json_object_new_int((int)res.n_rows));
		json_object_object_add(o, "row_limit_reached",
				       json_object_new_boolean(res.row_cap_hit));
		json_object_object_add(o, "cost", json_object_new_double(res.cost));
		json_object_object_add(o, "fingerprint", res.verdict.fingerprint[0] ?
				       json_object_new_string(res.verdict.fingerprint) : NULL);
		json_object_object_add(o, "failure", res.failure ?
				       json_object_new_string(res.failure) : NULL);
		json_object_object_add(o, "rule", res.verdict.rule ?
				       json_object_new_string(res.verdict.rule) : NULL);
		json_object_object_add(o, "error", rc < 0 ? json_object_new_string(err) : NULL);
		printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
	} else if (rc == 0) {
		print_rows(res.columns_json, res.rows_json);
		printf("(%u row%s%s)\n", res.n_rows, res.n_rows == 1 ? "" : "s",
		       res.row_cap_hit ? "; the row limit ask.max_rows was "
		       "reached, there may be more" : "");
	}
	if (rc < 0)
		fprintf(stderr, "ask: %s\n", err);
	askexec_result_free(&res);
	return rc < 0 ? 1 : 0;
}

/* Semantic hits as lines: score, id, title; then why they were found. */
static void print_hits(const char *hits_json)
{
	struct json_object *a = json_tokener_parse(hits_json), *h, *x;
	const char *reason = NULL;
	size_t i, n;

	if (!a || !json_object_is_type(a, json_type_array)) {
		json_object_put(a);
		return;
	}
	n = json_object_array_length(a);
	printf("found by semantic search:\n");
	for (i = 0; i < n; i++) {
		h = json_object_array_get_idx(a, i);
		printf("  %.3f  %-24s %s\n",
		       json_object_object_get_ex(h, "score", &x) ? json_object_get_double(x) : 0.0,
		       json_object_object_get_ex(h, "id", &x) ? json_object_get_string(x) : "?",
		       json_object_object_get_ex(h, "title", &x) && x ? json_object_get_string(x) : "");
		if (!reason && json_object_object_get_ex(h, "reason", &x))
			reason = json_object_get_string(x);
	}
	if (reason)
		printf("  (why: %s)\n", reason);
	json_object_put(a);
}

static int run_question(struct cli *cli, PGconn *rd, PGconn *primary,
			int64_t tenant, const struct ask_args *a)
{
	struct askexec_limits lim;
	struct askq_answer ans;
	struct crypto_key key;
	struct ai_ctx ctx;
	char err[2048];
	int rc = 1, have_key;

	limits_from_conf(&cli->conf, &lim);
	cli_load_plugins(cli);
	have_key = crypto_key_load(cli->conf.key_file, 0, &key, err, sizeof(err)) == 0;
	memset(&ctx, 0, sizeof(ctx));
	ctx.db = primary;
	ctx.ld = &cli->ld;
	ctx.key = have_key ? &key : NULL;
	ctx.conf = &cli->conf;
	if (askq_run(&ctx, rd, tenant, a->question, &lim, &ans, err, sizeof(err)) < 0) {
		fprintf(stderr, "ask: %s\n", err);
		goto out;
	}
	if (a->json) {
		char *j = askq_answer_json(a->question, &ans, a->explain);

		printf("%s\n", j ? j : "null");
		free(j);
	} else {
		int i;

		if (ans.summary)
			printf("%s\n\n", ans.summary);
		if (ans.rows_json)
			print_rows(ans.columns_json, ans.rows_json);
		if (ans.hits_json && strcmp(ans.hits_json, "[]") != 0)
			print_hits(ans.hits_json);
		printf("\nintent: %s (%s, confidence %.2f)", ans.intent,
		       ans.intent_by, ans.confidence);
		if (ans.rounds)
			printf("; %d attempt%s", ans.rounds, ans.rounds == 1 ? "" : "s");
		printf("\n");
		if (ans.sql_run)
			printf("sql: %s\n", ans.sql_run);
		if (a->explain)
			for (i = 0; i < ans.rounds; i++)
				printf("attempt %d: %s\n  -> %s\n", i + 1,
				       ans.round[i].sql ? ans.round[i].sql : "(none)",
				       ans.round[i].error ? ans.round[i].error : "ran");
		if (ans.memory_id)
			printf("answer id %" PRId64 ": rate it with pulse-host ask "
			       "--tenant %s --feedback %" PRId64 " good|bad\n",
			       ans.memory_id, a->tenant, ans.memory_id);
	}
	if (ans.error)
		fprintf(stderr, "ask: %s\n", ans.error);
	rc = ans.error && !ans.rows_json && !ans.hits_json ? 1 : 0;
	askq_answer_free(&ans);
out:
	if (have_key)
		crypto_wipe(&key, sizeof(key));
	return rc;
}

int cmd_ask(struct cli *cli, int argc, char **argv)
{
	struct ask_args a;
	PGconn *c = NULL, *rd = NULL;
	char err[2048];
	int64_t tenant;
	int rc = 1, k;

	if (argc > 1 && strcmp(argv[1], "feedback") == 0)
		return cmd_ask_feedback(cli, argc - 1, argv + 1);
	if ((k = parse_args(argc, argv, &a)) != 0)
		return k > 0 ? 0 : EXIT_USAGE;
	if (a.guard)
		return run_guard(&a);
	if (!(c = db_connect(cli->conf.database_url, err, sizeof(err)))) {
		fprintf(stderr, "ask: %s\n", err);
		return 1;
	}
	if (db_check_rls_role(c, "ask", err, sizeof(err)) < 0 ||
	    tenant_resolve(c, a.tenant, &tenant, err, sizeof(err)) < 0) {
		fprintf(stderr, "ask: %s\n", err);
		goto out;
	}
	if (a.feedback_id) {
		char *end;
		long long id = strtoll(a.feedback_id, &end, 10);

		if (*end || id <= 0) {
			fprintf(stderr, "ask: --feedback needs an answer id (a "
				"number), got '%s'\n", a.feedback_id);
			rc = EXIT_USAGE;
			goto out;
		}
		if (askq_feedback(c, tenant, id, a.verdict, err, sizeof(err)) < 0) {
			fprintf(stderr, "ask: %s\n", err);
			goto out;
		}
		if (a.json)
			printf("{\"id\":%lld,\"feedback\":\"%s\"}\n", id, a.verdict);
		else
			printf("answer %lld rated %s\n", id, a.verdict);
		rc = 0;
		goto out;
	}
	if (!(rd = read_conn(cli, c))) {
		fprintf(stderr, "ask: cannot connect for reading\n");
		goto out;
	}
	if (a.card) {
		char *card = NULL;

		if (schemacard_build(rd, tenant, &card, err, sizeof(err)) < 0) {
			fprintf(stderr, "ask: %s\n", err);
			goto out;
		}
		printf("%s", card);
		free(card);
		rc = 0;
	} else if (a.sql) {
		rc = run_sql(cli, &rd, c, tenant, &a);
	} else {
		rc = run_question(cli, rd, c, tenant, &a);
	}
out:
	if (rd && rd != c)
		PQfinish(rd);
	PQfinish(c);
	return rc;
}
