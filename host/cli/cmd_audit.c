/* cmd_audit: `pulse-host audit --tenant T [--since D] [--limit N]
 * [--json]`: the tenant's audit log (issue 18, docs/auth.md). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cli/cli.h"
#include "db/db.h"
#include "model/audit.h"
#include "model/tenant.h"

static const char usage_text[] =
	"usage: pulse-host audit --tenant T [--since DATE] [--limit N] [--json]\n"
	"\n"
	"Print the tenant's audit log, oldest first: sign-ins, failures and\n"
	"lock-outs, user and role changes, integration and job changes made\n"
	"through the API, token issue and revoke. DATE is a date or time\n"
	"(2026-12-01, 2026-12-01T10:00:00Z). --limit defaults to 1000.\n"
	"Events are kept housekeeping.audit_days (default 365) days.\n";

static const char *str_of(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) && v ?
	       json_object_get_string(v) : "-";
}

int cmd_audit(struct cli *cli, int argc, char **argv)
{
	const char *tenant = NULL, *since = NULL, *limit = "1000";
	char err[1024];
	PGconn *db = NULL;
	json_object *arr = NULL;
	int64_t tid;
	int i, json = 0, rc = 1, lim, r;
	size_t k;

	for (i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			fputs(usage_text, stdout);
			return 0;
		}
		if (strcmp(argv[i], "--json") == 0) {
			json = 1;
			continue;
		}
		if ((r = cli_opt_value("audit", argc, argv, &i, "--tenant", &tenant)) ||
		    (r = cli_opt_value("audit", argc, argv, &i, "--since", &since)) ||
		    (r = cli_opt_value("audit", argc, argv, &i, "--limit", &limit))) {
			if (r < 0)
				return EXIT_USAGE;
			continue;
		}
		fprintf(stderr, "audit: unknown argument '%s'\n%s", argv[i],
			usage_text);
		return EXIT_USAGE;
	}
	lim = atoi(limit);
	if (!tenant || lim < 1 || lim > 1000000) {
		fprintf(stderr, "audit: --tenant is required; --limit is 1-1000000\n");
		return EXIT_USAGE;
	}
	if (!(db = db_connect_tenant(cli->conf.database_url, err, sizeof(err))) ||
	    tenant_resolve(db, tenant, &tid, err, sizeof(err)) < 0) {
		fprintf(stderr, "audit: %s\n", err);
		goto out;
	}
	if (!(arr = audit_list_json(db, tid, since, lim, err, sizeof(err)))) {
		if (since && strncmp(db_last_sqlstate(), "2200", 4) == 0)
			fprintf(stderr, "audit: --since '%s' is not a date or time "
				"(2026-12-01 or 2026-12-01T10:00:00Z)\n", since);
		else
			fprintf(stderr, "audit: %s\n", err);
		goto out;
	}
	if (json) {
		printf("%s\n", json_object_to_json_string_ext(arr,
		       JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	} else {
		for (k = 0; k < json_object_array_length(arr); k++) {
			json_object *o = json_object_array_get_idx(arr, k), *d;

			json_object_object_get_ex(o, "detail", &d);
			printf("%s %-24s %-22s %-14s %-7s %s\n", str_of(o, "at"),
			       str_of(o, "actor"), str_of(o, "action"),
			       str_of(o, "target"), str_of(o, "result"),
			       d ? json_object_to_json_string_ext(d,
				   JSON_C_TO_STRING_PLAIN) : "{}");
		}
	}
	rc = 0;
out:
	json_object_put(arr);
	PQfinish(db);
	return rc;
}
