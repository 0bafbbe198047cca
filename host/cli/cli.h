/* cli: what every subcommand receives, and helpers they share. */
#ifndef PULSE_CLI_H
#define PULSE_CLI_H

#include "base/conf.h"
#include "plugin/loader.h"

#define EXIT_USAGE 2

struct cli {
	const char *conf_path; /* --config, or NULL for the default */
	struct conf conf;
	struct loader ld;
	int plugins_scanned;
	int json;              /* a command's --json, for shared printers */
};

struct cli_cmd {
	const char *name;
	int (*run)(struct cli *cli, int argc, char **argv);
	const char *summary;
};

/* Scan plugin dirs once (later calls are free). */
void cli_load_plugins(struct cli *cli);
/* True if argv[i] is -h or --help. */
int cli_is_help(const char *arg);
/*
 * Dispatch argv[0] among cmds (NULL-name terminated); prints `usage` and
 * the table for help or an unknown name. Used for nested commands such as
 * "plugins show" and "config check".
 */
int cli_dispatch(struct cli *cli, const struct cli_cmd *cmds,
		 const char *prefix, const char *usage, int argc, char **argv);

int cmd_plugins(struct cli *cli, int argc, char **argv);
int cmd_config(struct cli *cli, int argc, char **argv);
int cmd_migrate(struct cli *cli, int argc, char **argv);
int cmd_tenant(struct cli *cli, int argc, char **argv);
int cmd_integration(struct cli *cli, int argc, char **argv);
int cmd_job(struct cli *cli, int argc, char **argv);
int cmd_worker(struct cli *cli, int argc, char **argv);
int cmd_queue(struct cli *cli, int argc, char **argv);
int cmd_dora(struct cli *cli, int argc, char **argv);
int cmd_run(struct cli *cli, int argc, char **argv);
int cmd_token(struct cli *cli, int argc, char **argv);
int cmd_mapping(struct cli *cli, int argc, char **argv);
int cmd_embed(struct cli *cli, int argc, char **argv);

#endif
