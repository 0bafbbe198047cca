/* cmd_stats: `pulse-host stats --tenant T [--json]`, a tenant's storage
 * figures (host/model/stats.h). */
#include "config.h"

#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>

#include "cli/cli.h"
#include "db/db.h"
#include "model/stats.h"
#include "model/tenant.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: pulse-host stats --tenant T [--json]\n"
		"\nStorage figures of tenant T (a name or id):\n"
		"  per table: the tenant's rows, the bytes of those rows (as "
		"stored, without\n  indexes) and the whole table on disk (all "
		"tenants, with indexes);\n"
		"  the raw ledger per month partition: the tenant's rows and "
		"bytes, the\n  partition on disk;\n"
		"  growth: raw ledger rows and bytes the tenant added in the "
		"last 30 days,\n  and per day.\n"
		"The same as GET /api/v1/stats. It counts every row: on a "
		"large ledger it takes\na while.\n");
}

int cmd_stats(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"tenant", required_argument, NULL, 't'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *tenant = NULL;
	char err[1024];
	PGconn *c = NULL;
	json_object *o = NULL;
	int64_t tid;
	int ch, json = 0, rc = 1;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 't': tenant = optarg; break;
		case 'j': json = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (!tenant || optind != argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!(c = db_connect_tenant(cli->conf.database_url, err, sizeof(err))) ||
	    tenant_resolve(c, tenant, &tid, err, sizeof(err)) < 0 ||
	    !(o = stats_json(c, tid, err, sizeof(err)))) {
		fprintf(stderr, "stats: %s\n", err);
		goto out;
	}
	if (json)
		printf("%s\n", json_object_to_json_string_ext(o,
		       JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	else
		stats_print(o, stdout);
	rc = 0;
out:
	json_object_put(o);
	PQfinish(c);
	return rc;
}
