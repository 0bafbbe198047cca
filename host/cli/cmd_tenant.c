/* cmd_tenant: `pulse-host tenant add NAME [--json]` and `tenant list [--json]`. */
#include "config.h"

#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "db/db.h"
#include "model/tenant.h"

static void tenant_add_usage(FILE *f)
{
	fprintf(f, "usage: pulse-host tenant add NAME [--json]\n"
		"\n--json prints the new tenant as one line of JSON for scripts:\n"
		"  {\"id\":1,\"name\":\"NAME\"}\n");
}

static int tenant_add_cmd(struct cli *cli, int argc, char **argv)
{
	const char *name = NULL;
	char err[1024];
	PGconn *c = NULL;
	int64_t id;
	int i, json = 0, rc = 1;

	for (i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			tenant_add_usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--json") == 0) {
			json = 1;
		} else if (argv[i][0] == '-' || name) {
			tenant_add_usage(stderr);
			return EXIT_USAGE;
		} else {
			name = argv[i];
		}
	}
	if (!name) {
		tenant_add_usage(stderr);
		return EXIT_USAGE;
	}
	if (!(c = db_connect(cli->conf.database_url, err, sizeof(err))) ||
	    tenant_add(c, name, &id, err, sizeof(err)) < 0) {
		fprintf(stderr, "tenant add: %s\n", err);
		goto out;
	}
	if (json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "id", json_object_new_int64(id));
		json_object_object_add(o, "name", json_object_new_string(name));
		printf("%s\n", json_object_to_json_string_ext(o,
		       JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	} else {
		printf("tenant %" PRId64 " added: %s\n", id, name);
	}
	rc = 0;
out:
	PQfinish(c);
	return rc;
}

static int tenant_list_cmd(struct cli *cli, int argc, char **argv)
{
	char err[1024];
	PGconn *c = NULL;
	PGresult *r = NULL;
	int i, json = 0, rc = 1;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			json = 1;
		} else {
			fprintf(cli_is_help(argv[i]) ? stdout : stderr,
				"usage: pulse-host tenant list [--json]\n");
			return cli_is_help(argv[i]) ? 0 : EXIT_USAGE;
		}
	}
	if (!(c = db_connect(cli->conf.database_url, err, sizeof(err))) ||
	    !(r = tenant_list(c, err, sizeof(err)))) {
		fprintf(stderr, "tenant list: %s\n", err);
		goto out;
	}
	if (json) {
		struct json_object *a = json_object_new_array();

		for (i = 0; i < PQntuples(r); i++) {
			struct json_object *o = json_object_new_object();

			json_object_object_add(o, "id",
					       json_object_new_int64(db_int64(r, i, 0)));
			json_object_object_add(o, "name",
					       json_object_new_string(PQgetvalue(r, i, 1)));
			json_object_object_add(o, "created_at",
					       json_object_new_string(PQgetvalue(r, i, 2)));
			json_object_array_add(a, o);
		}
		printf("%s\n", json_object_to_json_string_ext(a,
		       JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(a);
	} else {
		printf("%-6s %-32s %s\n", "ID", "NAME", "CREATED");
		for (i = 0; i < PQntuples(r); i++)
			printf("%-6s %-32s %s\n", PQgetvalue(r, i, 0),
			       PQgetvalue(r, i, 1), PQgetvalue(r, i, 2));
	}
	rc = 0;
out:
	PQclear(r);
	PQfinish(c);
	return rc;
}

int cmd_tenant(struct cli *cli, int argc, char **argv)
{
	static const struct cli_cmd cmds[] = {
		{"add", tenant_add_cmd, "add a tenant (--json for scripts)"},
		{"list", tenant_list_cmd, "list tenants (--json for scripts)"},
		{NULL, NULL, NULL},
	};

	return cli_dispatch(cli, cmds, "pulse-host tenant",
			    "usage: pulse-host tenant COMMAND [ARGS]\n",
			    argc - 1, argv + 1);
}
