/* cmd_ask_feedback: `pulse-host ask feedback list`, what people said of
 * ask's answers in the console (ask_feedback, migration 106). */
#include "config.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ai/askfeedback.h"
#include "cli/cli.h"
#include "db/db.h"
#include "model/tenant.h"

static const char fb_usage[] =
	"usage: pulse-host ask feedback list --tenant T [--limit N] [--json]\n"
	"\n"
	"Lists the verdicts people gave ask's answers with the console's\n"
	"\"helpful\" / \"not helpful\" buttons (POST /api/v1/ask/feedback),\n"
	"newest first: when, verdict, the answer's memory id, who, the question\n"
	"and the comment. A verdict also rates the answer's learning memory\n"
	"(not helpful = bad: no longer used as an example). See docs/ask.md.\n"
	"\n"
	"  --tenant T   tenant name or id\n"
	"  --limit N    at most N rows (default 50, up to 1000)\n"
	"  --json       the rows as a JSON array (with the SQL)\n"
	"\n"
	"Example:\n"
	"  pulse-host ask feedback list --tenant acme --limit 20\n";

static void print_text(json_object *arr)
{
	size_t i, n = json_object_array_length(arr);

	if (!n) {
		printf("no feedback yet\n");
		return;
	}
	printf("%-6s %-20s %-11s %-7s %-24s %s\n", "ID", "AT", "VERDICT",
	       "MEMORY", "WHO", "QUESTION / COMMENT");
	for (i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(arr, i), *v;
		const char *f[6] = {"id", "at", "verdict", "memory_id", "actor",
				    "question"};
		const char *s[6];
		int k;

		for (k = 0; k < 6; k++)
			s[k] = json_object_object_get_ex(o, f[k], &v) && v ?
			       json_object_get_string(v) : "-";
		printf("%-6s %-20s %-11s %-7s %-24.24s %s\n", s[0], s[1], s[2],
		       s[3], s[4], s[5]);
		if (json_object_object_get_ex(o, "comment", &v) && v)
			printf("%71s \"%s\"\n", "", json_object_get_string(v));
	}
}

int cmd_ask_feedback(struct cli *cli, int argc, char **argv)
{
	const char *tname = NULL, *lim = NULL;
	json_object *arr = NULL;
	PGconn *c = NULL;
	char err[1024], *end;
	int64_t tenant;
	long limit = 50;
	int i, json = 0, rc = 1;

	/* argv: "feedback" "list" options... */
	if (argc < 2 || cli_is_help(argv[1])) {
		printf("%s", fb_usage);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	if (strcmp(argv[1], "list") != 0) {
		fprintf(stderr, "ask feedback: unknown command '%s'; only 'list' "
			"(try --help)\n", argv[1]);
		return EXIT_USAGE;
	}
	for (i = 2; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			printf("%s", fb_usage);
			return 0;
		} else if (strcmp(argv[i], "--json") == 0) {
			json = 1;
		} else if ((strcmp(argv[i], "--tenant") == 0 ||
			    strcmp(argv[i], "--limit") == 0) && i + 1 < argc) {
			*(argv[i][2] == 't' ? &tname : &lim) = argv[i + 1];
			i++;
		} else {
			fprintf(stderr, "ask feedback list: unknown or incomplete "
				"option '%s' (try --help)\n", argv[i]);
			return EXIT_USAGE;
		}
	}
	if (!tname) {
		fprintf(stderr, "ask feedback list: --tenant is required (try --help)\n");
		return EXIT_USAGE;
	}
	if (lim) {
		limit = strtol(lim, &end, 10);
		if (*end || limit < 1 || limit > 1000) {
			fprintf(stderr, "ask feedback list: --limit %s: give a "
				"number from 1 to 1000\n", lim);
			return EXIT_USAGE;
		}
	}
	if (!(c = db_connect(cli->conf.database_url, err, sizeof(err)))) {
		fprintf(stderr, "ask feedback list: %s\n", err);
		return 1;
	}
	if (db_check_rls_role(c, "ask feedback", err, sizeof(err)) < 0 ||
	    tenant_resolve(c, tname, &tenant, err, sizeof(err)) < 0 ||
	    !(arr = askfb_list_json(c, tenant, (int)limit, err, sizeof(err)))) {
		fprintf(stderr, "ask feedback list: %s\n", err);
		goto out;
	}
	if (json)
		printf("%s\n", json_object_to_json_string_ext(arr,
		       JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	else
		print_text(arr);
	rc = 0;
out:
	json_object_put(arr);
	PQfinish(c);
	return rc;
}
