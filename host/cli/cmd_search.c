/* cmd_search: `pulse-host search`, semantic search over what a tenant
 * synced (host/ai/search.c; docs/search.md). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "ai/search.h"
#include "ai/search_people.h"
#include "cli/cli.h"
#include "cli/cli_ai.h"
#include "db/dbread.h"

#define SEARCH_MAX_TABLES 16

static const char search_usage[] =
	"usage: pulse-host search --tenant T [--table prs,work_items]\n"
	"                         [--integration N] [--since DATE] [--limit 10]\n"
	"                         [--min-score S] [--team GROUP] [--org-unit OU]\n"
	"                         [--json] TEXT\n"
	"\n"
	"Finds what a tenant synced by meaning: the text is embedded with the\n"
	"model that built the tenant's vectors (its \"search\" route) and the\n"
	"nearest pull requests, issues, comments, commits... are printed with\n"
	"their table, id (owner/repo#123, KEY-1), title, score and URL. Run\n"
	"`pulse-host vectorize run` first.\n"
	"\n"
	"  --tenant T          tenant name or id (required)\n"
	"  --table LIST        only these tables, comma-separated: work_items,\n"
	"                      changelogs, prs, prs_reviews, prs_comments,\n"
	"                      prs_commits, repositories, projects, wits,\n"
	"                      statuses, workflows, sprints, wits_prs_links\n"
	"  --integration N     only rows of integration N\n"
	"  --since DATE        only rows updated since DATE (YYYY-MM-DD or ISO-8601)\n"
	"  --limit N           at most N hits (default 10, at most 200)\n"
	"  --min-score S       drop hits below cosine similarity S (0..1)\n"
	"  --team GROUP        only hits authored by the people of this directory\n"
	"                      group (PRs and their reviews, comments, commits: the\n"
	"                      PR's author; issues and changes: assignee or\n"
	"                      reporter; docs/people.md)\n"
	"  --org-unit OU       likewise for an org unit (DN or name) and below\n"
	"  --json              {\"query\", \"hits\": [{table, external_id, title,\n"
	"                      url, integration_id, score}]} (as GET /api/v1/ai/search)\n"
	"\n"
	"Example: pulse-host search --tenant acme --table prs \"flaky login test\"\n";

/* "--name VALUE" / "--name=VALUE"; 1 taken, 0 not this option, -1 no value. */
/* Split list at commas into tables (pointers into buf). -1 if too many. */
static int split_tables(char *buf, const char **tables, size_t *n)
{
	char *save = NULL, *tok;

	*n = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!*tok)
			continue;
		if (*n == SEARCH_MAX_TABLES)
			return -1;
		tables[(*n)++] = tok;
	}
	return 0;
}

static void print_json(const char *q, const struct ai_hit *h, size_t n)
{
	json_object *o = ai_hits_json(q, h, n);

	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
}

static void print_text(const struct ai_hit *h, size_t n)
{
	size_t i;

	if (n == 0) {
		printf("no match; has the tenant been vectorized? (pulse-host "
		       "vectorize status --tenant T)\n");
		return;
	}
	printf("%-6s %-14s %-22s %s\n", "score", "table", "id", "title");
	for (i = 0; i < n; i++) {
		printf("%-6.3f %-14s %-22s %.70s\n", h[i].score, h[i].table,
		       h[i].external_id, h[i].title);
		if (h[i].url)
			printf("%-6s %-14s %-22s %s\n", "", "", "", h[i].url);
	}
}

int cmd_search(struct cli *cli, int argc, char **argv)
{
	const char *tenant = NULL, *val, *query = NULL, *team = NULL, *ou = NULL;
	const char *tables[SEARCH_MAX_TABLES];
	struct ai_search_opts so = {0};
	struct ai_hit *hits = NULL;
	struct cli_ai a;
	PGconn *rd = NULL;
	char err[2048], *tbuf = NULL, *end;
	size_t n = 0;
	int i, k, json = 0, rc = 1, usage = 0;
	uint32_t want;

	for (i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			printf("%s", search_usage);
			return 0;
		}
		if (strcmp(argv[i], "--json") == 0) {
			json = 1;
			continue;
		}
		if ((k = cli_opt_value("search", argc, argv, &i, "--tenant", &val)) != 0) {
			if (k < 0)
				goto usage;
			tenant = val;
		} else if ((k = cli_opt_value("search", argc, argv, &i, "--table", &val)) != 0) {
			if (k < 0)
				goto usage;
			free(tbuf);
			tbuf = strdup(val);
			if (!tbuf || split_tables(tbuf, tables, &so.n_tables) < 0) {
				fprintf(stderr, "search: --table lists more than %d "
					"tables\n", SEARCH_MAX_TABLES);
				goto usage;
			}
			so.tables = so.n_tables ? tables : NULL;
		} else if ((k = cli_opt_value("search", argc, argv, &i, "--integration", &val)) != 0) {
			if (k < 0)
				goto usage;
			so.integration_id = strtoll(val, &end, 10);
			if (*end || so.integration_id <= 0) {
				fprintf(stderr, "search: --integration '%s' is not an "
					"integration id (a positive number)\n", val);
				goto usage;
			}
		} else if ((k = cli_opt_value("search", argc, argv, &i, "--since", &val)) != 0) {
			if (k < 0)
				goto usage;
			so.since = val;
		} else if ((k = cli_opt_value("search", argc, argv, &i, "--limit", &val)) != 0) {
			long l;

			if (k < 0)
				goto usage;
			l = strtol(val, &end, 10);
			if (*end || l < 1 || l > 200) {
				fprintf(stderr, "search: --limit '%s': give 1 to 200\n", val);
				goto usage;
			}
			so.limit = (uint32_t)l;
		} else if ((k = cli_opt_value("search", argc, argv, &i, "--min-score", &val)) != 0) {
			if (k < 0)
				goto usage;
			so.min_score = strtof(val, &end);
			if (*end || so.min_score < 0 || so.min_score > 1) {
				fprintf(stderr, "search: --min-score '%s': give 0 to 1\n", val);
				goto usage;
			}
		} else if ((k = cli_opt_value("search", argc, argv, &i, "--team", &team)) != 0 ||
			   (k = cli_opt_value("search", argc, argv, &i, "--org-unit", &ou)) != 0) {
			if (k < 0)
				goto usage;
		} else if (argv[i][0] == '-') {
			fprintf(stderr, "search: unknown option '%s' (try --help)\n",
				argv[i]);
			goto usage;
		} else if (!query) {
			query = argv[i];
		} else {
			fprintf(stderr, "search: one TEXT only; quote it: "
				"pulse-host search --tenant T \"%s %s\"\n", query,
				argv[i]);
			goto usage;
		}
	}
	if (!tenant || !query) {
		fprintf(stderr, "search: %s is required (try --help)\n",
			!tenant ? "--tenant" : "the TEXT to look for");
		goto usage;
	}
	cli_load_plugins(cli);
	if (cli_ai_open(&cli->conf, &cli->ld, "search", tenant, &a) < 0)
		goto out;
	/* the vectors are read from the replica when one is set and up */
	if (cli->conf.analytics_database_url && *cli->conf.analytics_database_url) {
		int on_replica = 0;

		rd = db_connect_read(cli->conf.analytics_database_url,
				     cli->conf.database_url, &on_replica, err,
				     sizeof(err));
		if (!rd) {
			fprintf(stderr, "search: %s\n", err);
			cli_ai_close(&a);
			goto out;
		}
		a.ctx.read_db = rd;
	}
	want = so.limit ? so.limit : 10;
	if (team || ou)
		so.limit = ai_search_people_fetch(want);
	if (ai_search(&a.ctx, a.tenant, query, &so, &hits, &n, err,
		      sizeof(err)) < 0) {
		fprintf(stderr, "search: %s\n", err);
	} else if ((team || ou) &&
		   ai_search_people_filter(a.db, a.tenant, team, ou, want, hits,
					   &n, &usage, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		rc = usage ? EXIT_USAGE : 1;
	} else {
		if (json)
			print_json(query, hits, n);
		else
			print_text(hits, n);
		rc = 0;
	}
	ai_hits_free(hits, n);
	cli_ai_close(&a);
	if (rd)
		PQfinish(rd);
out:
	free(tbuf);
	return rc;
usage:
	free(tbuf);
	return EXIT_USAGE;
}
