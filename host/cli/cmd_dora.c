/* cmd_dora: `pulse-host dora` (the four keys of a tenant) and
 * `dora map` / `dora unmap` (project -> repository mapping). */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cli/cli.h"
#include "db/db.h"
#include "db/dbread.h"
#include "analytics/dora.h"
#include "analytics/dora_weekly.h"
#include "model/tenant.h"

static const char dora_usage[] =
	"usage: pulse-host dora --tenant T [--project KEY | --repo OWNER/NAME]\n"
	"                       [--from DATE] [--to DATE] [--team GROUP]\n"
	"                       [--org-unit OU] [--json] [--weekly [--weeks N]]\n"
	"       pulse-host dora map --tenant T [PROJECT OWNER/NAME]\n"
	"       pulse-host dora unmap --tenant T PROJECT OWNER/NAME\n"
	"\n"
	"Prints the four DORA keys of a tenant (deployment frequency, lead time\n"
	"for changes, change failure rate, failed deployment recovery time)\n"
	"with their 2023 band, sample size and method; an empty figure says why.\n"
	"\n"
	"  --tenant T          tenant name or id (required)\n"
	"  --project KEY       only the repositories mapped to project KEY and\n"
	"                      its incidents (see `dora map`)\n"
	"  --repo OWNER/NAME   only this repository\n"
	"  --from DATE         window start, YYYY-MM-DD or ISO-8601 (UTC unless a\n"
	"                      zone is given); default: --to minus 90 days\n"
	"  --to DATE           window end, exclusive; default: now\n"
	"  --team GROUP        cut by the people of this directory group (nested\n"
	"                      groups too): lead time over their changes, the\n"
	"                      other keys over the deployments that shipped one\n"
	"                      of their changes (docs/people.md)\n"
	"  --org-unit OU       likewise for the users of an org unit (DN or name)\n"
	"                      and the OUs below it\n"
	"  --json              the report as JSON (as GET /api/v1/metrics/dora)\n"
	"  --weekly            the trend instead: each key per 7-day week ending\n"
	"                      with --to (default today), a table and a sparkline\n"
	"                      per key; with --json as GET\n"
	"                      /api/v1/metrics/dora/weekly (--from is ignored)\n"
	"  --weeks N           how many weeks --weekly shows (1-104, default 13)\n"
	"\n"
	"`dora map` attributes a project's incidents to deployments of the\n"
	"given repository (repeat for several); without arguments it lists the\n"
	"mapping. Projects without a mapping use any repository of the tenant.\n"
	"See docs/dora.md.\n";

/* Connect and resolve the tenant; a report (read) prefers the analytics
 * replica (db/dbread.h). Returns the connection (caller PQfinish()es) or
 * NULL after printing why. */
static PGconn *connect_tenant(struct cli *cli, const char *tenant, int64_t *id,
			      int read)
{
	char err[1024];
	PGconn *c;

	if (!cli->conf.database_url || !*cli->conf.database_url) {
		fprintf(stderr, "dora: no database configured; set database_url in "
			"%s or PULSE_HOST_DATABASE_URL\n",
			cli->conf.path ? cli->conf.path : conf_default_path());
		return NULL;
	}
	c = read ? db_connect_read(cli->conf.analytics_database_url,
				   cli->conf.database_url, NULL, err, sizeof(err)) :
		db_connect_tenant(cli->conf.database_url, err, sizeof(err));
	if (!c) {
		fprintf(stderr, "dora: %s\n", err);
		return NULL;
	}
	if (tenant_resolve(c, tenant, id, err, sizeof(err)) < 0) {
		fprintf(stderr, "dora: %s\n", err);
		PQfinish(c);
		return NULL;
	}
	return c;
}

static int is_number(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

/* dora map / unmap: argv[0] is the subcommand. */
static int dora_map(struct cli *cli, int argc, char **argv)
{
	const char *tenant = NULL, *args[2] = {NULL, NULL}, *val;
	int remove = strcmp(argv[0], "unmap") == 0, nargs = 0, i, rc = 1, k;
	char err[1024];
	int64_t id;
	PGconn *c = NULL;
	PGresult *r = NULL;

	for (i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			printf("%s", dora_usage);
			return 0;
		}
		k = cli_opt_value("dora", argc, argv, &i, "--tenant", &val);
		if (k < 0)
			return EXIT_USAGE;
		if (k) {
			tenant = val;
		} else if (argv[i][0] == '-') {
			fprintf(stderr, "dora %s: unknown option '%s' (try --help)\n",
				argv[0], argv[i]);
			return EXIT_USAGE;
		} else if (nargs < 2) {
			args[nargs++] = argv[i];
		} else {
			fprintf(stderr, "dora %s: too many arguments (try --help)\n",
				argv[0]);
			return EXIT_USAGE;
		}
	}
	if (!tenant || (nargs != 0 && nargs != 2) || (remove && nargs != 2)) {
		fprintf(stderr, "usage: pulse-host dora %s --tenant T %s\n", argv[0],
			remove ? "PROJECT OWNER/NAME" : "[PROJECT OWNER/NAME]");
		return EXIT_USAGE;
	}
	if (nargs == 2 && !strchr(args[1], '/')) {
		fprintf(stderr, "dora %s: '%s' is not OWNER/NAME\n", argv[0], args[1]);
		return EXIT_USAGE;
	}
	c = connect_tenant(cli, tenant, &id, 0);
	if (!c)
		return 1;
	if (nargs == 0) {
		r = dora_map_list(c, id, err, sizeof(err));
		if (!r)
			goto fail;
		if (PQntuples(r) == 0)
			printf("no project is mapped to a repository; incidents are "
			       "attributed to deployments of any repository\n");
		else
			printf("%-16s %-40s %s\n", "PROJECT", "REPOSITORY", "LOADED");
		for (k = 0; k < PQntuples(r); k++)
			printf("%-16s %-40s %s\n", PQgetvalue(r, k, 0),
			       PQgetvalue(r, k, 1),
			       PQgetvalue(r, k, 2)[0] == 't' ? "yes" : "not yet");
		rc = 0;
	} else if (remove) {
		int n = 0;

		if (dora_map_remove(c, id, args[0], args[1], &n, err, sizeof(err)) < 0)
			goto fail;
		if (n == 0)
			fprintf(stderr, "dora unmap: project '%s' was not mapped to "
				"'%s'; `pulse-host dora map --tenant %s` lists the "
				"mapping\n", args[0], args[1], tenant);
		else
			printf("project %s no longer mapped to %s\n", args[0], args[1]);
		rc = n == 0;
	} else {
		if (dora_map_add(c, id, args[0], args[1], err, sizeof(err)) < 0)
			goto fail;
		printf("project %s mapped to %s\n", args[0], args[1]);
		rc = 0;
	}
	goto out;
fail:
	fprintf(stderr, "%s\n", err);
out:
	PQclear(r);
	PQfinish(c);
	return rc;
}

int cmd_dora(struct cli *cli, int argc, char **argv)
{
	struct dora_query q;
	struct json_object *report = NULL;
	const char *tenant = NULL, *weeks_s = NULL;
	int i, k, json = 0, usage = 0, rc = 1, weekly = 0, weeks = 13;
	char err[1024];
	PGconn *c = NULL;

	if (argc > 1 && (strcmp(argv[1], "map") == 0 || strcmp(argv[1], "unmap") == 0))
		return dora_map(cli, argc - 1, argv + 1);
	memset(&q, 0, sizeof(q));
	for (i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			printf("%s", dora_usage);
			return 0;
		}
		if (strcmp(argv[i], "--json") == 0) {
			json = 1;
			continue;
		}
		if (strcmp(argv[i], "--weekly") == 0) {
			weekly = 1;
			continue;
		}
		if ((k = cli_opt_value("dora", argc, argv, &i, "--tenant", &tenant)) ||
		    (k = cli_opt_value("dora", argc, argv, &i, "--weeks", &weeks_s)) ||
		    (k = cli_opt_value("dora", argc, argv, &i, "--project", &q.project)) ||
		    (k = cli_opt_value("dora", argc, argv, &i, "--repo", &q.repo)) ||
		    (k = cli_opt_value("dora", argc, argv, &i, "--from", &q.from)) ||
		    (k = cli_opt_value("dora", argc, argv, &i, "--to", &q.to)) ||
		    (k = cli_opt_value("dora", argc, argv, &i, "--team", &q.team)) ||
		    (k = cli_opt_value("dora", argc, argv, &i, "--org-unit", &q.org_unit))) {
			if (k < 0)
				return EXIT_USAGE;
			continue;
		}
		fprintf(stderr, "dora: unknown argument '%s' (try --help)\n", argv[i]);
		return EXIT_USAGE;
	}
	if (!tenant) {
		fprintf(stderr, "dora: --tenant is required (try --help)\n");
		return EXIT_USAGE;
	}
	if (q.project && q.repo) {
		fprintf(stderr, "dora: give --project or --repo, not both\n");
		return EXIT_USAGE;
	}
	if ((q.from && !dora_date_valid(q.from)) || (q.to && !dora_date_valid(q.to))) {
		fprintf(stderr, "dora: --%s '%s' is not a date; use YYYY-MM-DD or "
			"YYYY-MM-DDTHH:MM:SSZ\n", q.from && !dora_date_valid(q.from) ?
			"from" : "to", q.from && !dora_date_valid(q.from) ? q.from : q.to);
		return EXIT_USAGE;
	}
	if (weeks_s && (!is_number(weeks_s) || (weeks = atoi(weeks_s)) < 1 ||
			weeks > 104)) {
		fprintf(stderr, "dora: --weeks '%s' is not a number of weeks from "
			"1 to 104\n", weeks_s);
		return EXIT_USAGE;
	}
	c = connect_tenant(cli, tenant, &q.tenant_id, 1);
	if (!c)
		return 1;
	q.tenant_name = is_number(tenant) ? NULL : tenant;
	if (weekly) {
		report = dora_weekly_json(c, &q, weeks, &usage, err, sizeof(err));
		if (!report) {
			fprintf(stderr, "%s\n", err);
			rc = usage ? EXIT_USAGE : 1;
			goto out;
		}
		if (json)
			printf("%s\n", json_object_to_json_string_ext(report,
				JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		else
			dora_weekly_print(stdout, report);
		rc = 0;
		goto out;
	}
	report = dora_report_json(c, &q, &usage, err, sizeof(err));
	if (!report) {
		fprintf(stderr, "%s\n", err);
		rc = usage ? EXIT_USAGE : 1;
		goto out;
	}
	if (json)
		printf("%s\n", json_object_to_json_string_ext(report,
			JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	else
		dora_report_print(stdout, report);
	rc = 0;
out:
	json_object_put(report);
	PQfinish(c);
	return rc;
}
