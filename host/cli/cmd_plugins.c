/* cmd_plugins: `pulse-host plugins [--json]` and `plugins show NAME`. */
#include "config.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const char *status_name(const struct plugin *p)
{
	return p->status == PLUGIN_LOADED ? "loaded" : "refused";
}

static int list_json(struct cli *cli)
{
	struct json_object *arr = json_object_new_array();
	size_t i;

	for (i = 0; i < cli->ld.n; i++) {
		struct plugin *p = cli->ld.v[i];
		struct json_object *o = json_object_new_object();
		char abi[32];

		snprintf(abi, sizeof(abi), "%u.%u", p->abi_major, p->abi_minor);
		json_object_object_add(o, "name",
				       p->name ? json_object_new_string(p->name) : NULL);
		json_object_object_add(o, "kind", p->kind ?
				       json_object_new_string(loader_kind_name(p->kind)) : NULL);
		json_object_object_add(o, "version", p->version ?
				       json_object_new_string(p->version) : NULL);
		json_object_object_add(o, "abi", p->abi_major ?
				       json_object_new_string(abi) : NULL);
		json_object_object_add(o, "path", json_object_new_string(p->path));
		json_object_object_add(o, "status",
				       json_object_new_string(status_name(p)));
		if (p->reason)
			json_object_object_add(o, "reason",
					       json_object_new_string(p->reason));
		json_object_array_add(arr, o);
	}
	printf("%s\n", json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY |
						      JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(arr);
	return 0;
}

static int list_text(struct cli *cli)
{
	size_t i;

	if (cli->ld.n == 0) {
		size_t d;

		printf("no plugins found; searched:");
		for (d = 0; cli->conf.plugin_dirs && cli->conf.plugin_dirs[d]; d++)
			printf(" %s", cli->conf.plugin_dirs[d]);
		printf("\n(add directories with --plugin-dir or plugin_dirs in the config)\n");
		return 0;
	}
	printf("%-16s %-12s %-9s %-5s %-8s %s\n", "NAME", "KIND", "VERSION",
	       "ABI", "STATUS", "PATH");
	for (i = 0; i < cli->ld.n; i++) {
		struct plugin *p = cli->ld.v[i];
		char abi[32] = "-";

		if (p->abi_major)
			snprintf(abi, sizeof(abi), "%u.%u", p->abi_major, p->abi_minor);
		printf("%-16s %-12s %-9s %-5s %-8s %s\n", p->name ? p->name : "-",
		       p->kind ? loader_kind_name(p->kind) : "-",
		       p->version ? p->version : "-", abi, status_name(p), p->path);
		if (p->reason)
			printf("  reason: %s\n", p->reason);
	}
	return 0;
}

static int plugins_list(struct cli *cli, int argc, char **argv)
{
	int i, json = 0;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			json = 1;
		} else if (cli_is_help(argv[i])) {
			printf("usage: pulse-host plugins [list] [--json]\n\n"
			       "Lists every plugin file found in the plugin directories\n"
			       "with name, kind, version, ABI version, path and status.\n"
			       "Refused plugins are listed with the reason.\n");
			return 0;
		} else {
			fprintf(stderr, "plugins: unknown option '%s' (try --help)\n",
				argv[i]);
			return EXIT_USAGE;
		}
	}
	cli_load_plugins(cli);
	return json ? list_json(cli) : list_text(cli);
}

/* The declared range of an int field (1.1), under its description. */
static void print_range(const pulse_config_field *f)
{
	int lo = !!(f->flags & PULSE_CFG_HAS_MIN);
	int hi = !!(f->flags & PULSE_CFG_HAS_MAX);

	if (lo && hi)
		printf("      range: %lld to %lld\n", (long long)f->int_min,
		       (long long)f->int_max);
	else if (lo)
		printf("      range: at least %lld\n", (long long)f->int_min);
	else if (hi)
		printf("      range: at most %lld\n", (long long)f->int_max);
}

static int plugins_show(struct cli *cli, int argc, char **argv)
{
	struct plugin *p;
	size_t i;

	if (argc != 2 || cli_is_help(argv[1])) {
		printf("usage: pulse-host plugins show NAME\n\n"
		       "Prints a plugin's description and the configuration fields\n"
		       "its integration JSON accepts: name, type, default, whether\n"
		       "required, and what it means.\n");
		return argc == 2 ? 0 : EXIT_USAGE;
	}
	cli_load_plugins(cli);
	p = loader_find(&cli->ld, argv[1]);
	if (!p) {
		fprintf(stderr, "plugins show: no loaded plugin named '%s'; "
			"'pulse-host plugins' lists what is installed\n", argv[1]);
		return 1;
	}
	printf("%s %s (%s plugin, ABI %u.%u)\n", p->name, p->version,
	       loader_kind_name(p->kind), p->abi_major, p->abi_minor);
	if (p->description[0])
		printf("%s\n", p->description);
	printf("file: %s\n\n", p->path);
	if (!p->nfields) {
		printf("This plugin takes no configuration fields.\n");
		return 0;
	}
	printf("Configuration fields (integration JSON settings):\n");
	printf("  %-26s %-12s %-9s %s\n", "NAME", "TYPE", "REQUIRED", "DEFAULT");
	for (i = 0; i < p->nfields; i++) {
		const pulse_config_field *f = &p->fields[i];

		printf("  %-26s %-12s %-9s %s\n", f->name,
		       loader_field_type_name(f->type), f->required ? "yes" : "no",
		       f->default_json ? f->default_json : "-");
		if (f->description)
			printf("      %s\n", f->description);
		print_range(f);
	}
	return 0;
}

int cmd_plugins(struct cli *cli, int argc, char **argv)
{
	static const struct cli_cmd sub[] = {
		{"list", plugins_list, "list plugins (the default)"},
		{"show", plugins_show, "show a plugin's configuration fields"},
		{NULL, NULL, NULL},
	};

	if (argc < 2 || argv[1][0] == '-')
		return plugins_list(cli, argc, argv);
	return cli_dispatch(cli, sub, "pulse-host plugins",
			    "usage: pulse-host plugins [list [--json] | show NAME]\n",
			    argc - 1, argv + 1);
}
