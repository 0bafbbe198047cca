/* cli: shared plumbing for subcommands. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "plugin/trust.h"

void cli_load_plugins(struct cli *cli)
{
	if (cli->plugins_scanned)
		return;
	cli->plugins_scanned = 1;
	plugin_trust_set(cli->conf.trust_plugin_dirs);
	loader_scan(&cli->ld, cli->conf.plugin_dirs);
}

int cli_is_help(const char *arg)
{
	return arg && (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0 ||
		       strcmp(arg, "help") == 0);
}

static void list_cmds(FILE *f, const struct cli_cmd *cmds, const char *prefix,
		      const char *usage)
{
	size_t i;

	if (usage)
		fprintf(f, "%s", usage);
	fprintf(f, "\nCommands of '%s':\n", prefix);
	for (i = 0; cmds[i].name; i++)
		fprintf(f, "  %-12s %s\n", cmds[i].name, cmds[i].summary);
	fprintf(f, "\nRun '%s COMMAND --help' for a command's options.\n", prefix);
}

int cli_dispatch(struct cli *cli, const struct cli_cmd *cmds,
		 const char *prefix, const char *usage, int argc, char **argv)
{
	size_t i;

	if (argc < 1 || cli_is_help(argv[0])) {
		list_cmds(argc < 1 ? stderr : stdout, cmds, prefix, usage);
		return argc < 1 ? EXIT_USAGE : 0;
	}
	for (i = 0; cmds[i].name; i++)
		if (strcmp(cmds[i].name, argv[0]) == 0)
			return cmds[i].run(cli, argc, argv);
	fprintf(stderr, "%s: unknown command '%s'\n", prefix, argv[0]);
	list_cmds(stderr, cmds, prefix, usage);
	return EXIT_USAGE;
}

int cli_opt_value(const char *cmd, int argc, char **argv, int *i,
		  const char *name, const char **val)
{
	size_t n = strlen(name);

	if (strncmp(argv[*i], name, n) != 0)
		return 0;
	if (argv[*i][n] == '=') {
		*val = argv[*i] + n + 1;
		return 1;
	}
	if (argv[*i][n] != '\0')
		return 0;
	if (*i + 1 >= argc) {
		fprintf(stderr, "%s: %s needs a value (try --help)\n", cmd, name);
		return -1;
	}
	*val = argv[++*i];
	return 1;
}
