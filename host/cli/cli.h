/* cli: what every subcommand receives, and helpers they share. */
#ifndef PULSE_CLI_H
#define PULSE_CLI_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

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

/*
 * "--name VALUE" or "--name=VALUE" at argv[*i]: *val gets the value
 * (borrowed from argv) and *i moves past it. 1 if argv[*i] is that
 * option, 0 if not, -1 if its value is missing (said on stderr, after
 * "cmd: ").
 */
int cli_opt_value(const char *cmd, int argc, char **argv, int *i,
		  const char *name, const char **val);
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
int cmd_housekeeping(struct cli *cli, int argc, char **argv);
int cmd_user(struct cli *cli, int argc, char **argv);   /* cmd_user.c */
int cmd_audit(struct cli *cli, int argc, char **argv);  /* cmd_audit.c */
/* cmd_job_ctl.c: `job depend`, `job force` */
int cmd_job_depend(struct cli *cli, int argc, char **argv);
int cmd_job_force(struct cli *cli, int argc, char **argv);
int64_t cmd_job_parse_id(const char *cmd, const char *s);
int64_t cmd_job_tenant(PGconn *c, int64_t job, char *err, size_t errlen);
/* cmd_job_ops.c: force-stop, force-start, reset, deps, list */
int cmd_job_force_op(struct cli *cli, int argc, char **argv);
/* The audit row of a forced job change (cmd_job_ctl.c), in the caller's
 * tenant transaction. 0 or -1 with err. */
int cmd_job_force_audit(PGconn *c, int64_t tid, int64_t job, const char *action,
			const char *from, const char *to, const char *reason,
			const char *actor, char *err, size_t errlen);
int cmd_job_deps(struct cli *cli, int argc, char **argv);
int cmd_job_list(struct cli *cli, int argc, char **argv);
/* cmd_stats.c */
int cmd_stats(struct cli *cli, int argc, char **argv);
int cmd_run(struct cli *cli, int argc, char **argv);
int cmd_token(struct cli *cli, int argc, char **argv);
int cmd_mapping(struct cli *cli, int argc, char **argv);
int cmd_embed(struct cli *cli, int argc, char **argv);
int cmd_doctor(struct cli *cli, int argc, char **argv);
int cmd_ai(struct cli *cli, int argc, char **argv);
int cmd_ask(struct cli *cli, int argc, char **argv);
/* cmd_ask_feedback.c: `ask feedback list` (argv[0] is "feedback") */
int cmd_ask_feedback(struct cli *cli, int argc, char **argv);
int cmd_vectorize(struct cli *cli, int argc, char **argv);
/* cmd_vectorize_move.c: `vectorize move` (argv[0] is "move") */
int cmd_vectorize_move(struct cli *cli, int argc, char **argv);
int cmd_search(struct cli *cli, int argc, char **argv);
/* `ai health` (cmd_ai_health.c), `integration update`
 * (cmd_integration_update.c) */
int cmd_ai_health(struct cli *cli, int argc, char **argv);
int cmd_integration_update(struct cli *cli, int argc, char **argv);
/* cmd_people.c */
int cmd_people(struct cli *cli, int argc, char **argv);
/* cmd_auth.c: `auth oidc set|show|remove` */
int cmd_auth(struct cli *cli, int argc, char **argv);

#endif
