/* cmd_tenant: `pulse-host tenant add NAME [--json]` and `tenant list [--json]`. */
#include "config.h"

#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "db/db.h"
#include "model/branding.h"
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
	if (!(c = db_connect_tenant(cli->conf.database_url, err, sizeof(err))) ||
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
	if (!(c = db_connect_tenant(cli->conf.database_url, err, sizeof(err))) ||
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

static const char tenant_set_help[] =
	"usage: pulse-host tenant set T [--display-name NAME] [--brand-color '#rrggbb']\n"
	"                              [--json]\n"
	"\nThe console's look for tenant T (name or id): the name shown in its\n"
	"header and the accent colour of its buttons and charts. An empty value\n"
	"('') goes back to the default (the tenant's name, the built-in blue).\n"
	"--json prints the tenant's branding afterwards as JSON.\n";

/* `tenant set T --brand-color C --display-name N` (issue 19). */
static int tenant_set_cmd(struct cli *cli, int argc, char **argv)
{
	const char *tenant = NULL, *name = NULL, *color = NULL;
	char err[1024], norm[8];
	json_object *o = NULL;
	PGconn *c = NULL;
	int64_t id;
	int i, k, json = 0, rc = 1;

	for (i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			fputs(tenant_set_help, stdout);
			return 0;
		}
		if (strcmp(argv[i], "--json") == 0) {
			json = 1;
			continue;
		}
		if ((k = cli_opt_value("tenant set", argc, argv, &i, "--brand-color", &color)) ||
		    (k = cli_opt_value("tenant set", argc, argv, &i, "--display-name", &name))) {
			if (k < 0)
				return EXIT_USAGE;
			continue;
		}
		if (argv[i][0] == '-' || tenant) {
			fprintf(stderr, "tenant set: unexpected argument '%s'\n%s",
				argv[i], tenant_set_help);
			return EXIT_USAGE;
		}
		tenant = argv[i];
	}
	if (!tenant || (!name && !color)) {
		fprintf(stderr, "tenant set: give the tenant and --brand-color or "
			"--display-name\n%s", tenant_set_help);
		return EXIT_USAGE;
	}
	if (color && *color) {
		if (!branding_color_ok(color, norm)) {
			fprintf(stderr, "tenant set: --brand-color '%s' is not a colour "
				"'#rrggbb' (six hexadecimal digits, e.g. '#1d4ed8')\n",
				color);
			return EXIT_USAGE;
		}
		color = norm;
	}
	if (name && strlen(name) > 80) {
		fprintf(stderr, "tenant set: --display-name is longer than 80 "
			"characters\n");
		return EXIT_USAGE;
	}
	if (!(c = db_connect_tenant(cli->conf.database_url, err, sizeof(err))) ||
	    tenant_resolve(c, tenant, &id, err, sizeof(err)) < 0 ||
	    branding_set(c, id, name, color, err, sizeof(err)) < 0 ||
	    !(o = branding_get(c, id, err, sizeof(err)))) {
		fprintf(stderr, "tenant set: %s\n", err);
		goto out;
	}
	if (json)
		printf("%s\n", json_object_to_json_string_ext(o,
		       JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	else
		printf("tenant %s: display name %s, brand colour %s\n", tenant,
		       json_object_get_string(json_object_object_get(o, "display_name")) ?
		       json_object_get_string(json_object_object_get(o, "display_name")) :
		       "(default)",
		       json_object_get_string(json_object_object_get(o, "brand_color")) ?
		       json_object_get_string(json_object_object_get(o, "brand_color")) :
		       "(default)");
	rc = 0;
out:
	json_object_put(o);
	PQfinish(c);
	return rc;
}

int cmd_tenant(struct cli *cli, int argc, char **argv)
{
	static const struct cli_cmd cmds[] = {
		{"add", tenant_add_cmd, "add a tenant (--json for scripts)"},
		{"list", tenant_list_cmd, "list tenants (--json for scripts)"},
		{"set", tenant_set_cmd, "set the console's display name and brand colour"},
		{NULL, NULL, NULL},
	};

	return cli_dispatch(cli, cmds, "pulse-host tenant",
			    "usage: pulse-host tenant COMMAND [ARGS]\n",
			    argc - 1, argv + 1);
}
