/* cmd_job: `pulse-host job run [--follow] [OPTIONS] INTEGRATION_ID`;
 * depend and force are in cmd_job_ctl.c. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "base/crypto.h"
#include "db/db.h"
#include "cli/follow.h"
#include "jobs/runner.h"

static void run_usage(FILE *f)
{
	fprintf(f, "usage: pulse-host job run [--follow] [--in-process] "
		"[--extract-only]\n                       [--quiet] "
		"[--wait-timeout SECONDS] INTEGRATION_ID\n"
		"\nRuns the integration's extract now, then transforms and loads "
		"every stored page.\nWith broker_url set, the pages go to the "
		"workers and this waits for them;\n--in-process does all the work "
		"here instead;\n--extract-only stores the pages and leaves them "
		"for the next run or the workers.\n"
		"Exit status: 0 done, 1 the job failed, 3 some raw rows failed.\n"
		"\n--follow: when a daemon answers at `listen`, hand the job to it "
		"and\nfollow it (a bar with ETA on a terminal, a line per event "
		"otherwise);\na job already running there is joined. Ctrl-C stops "
		"watching, not the job.\nExit status: 0 completed, 1 the job failed "
		"(its error on stderr) or the\ndaemon refused it, 4 the connection "
		"dropped mid-job (the job keeps running),\n5 the job was paused or "
		"stopped before finishing, 130 interrupted.\nWith no daemon there it "
		"says so and runs in the foreground as above.\n");
}

static int job_run(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"follow", no_argument, NULL, 'f'},
		{"in-process", no_argument, NULL, 'i'},
		{"quiet", no_argument, NULL, 'q'},
		{"wait-timeout", required_argument, NULL, 'w'},
		{"extract-only", no_argument, NULL, 'x'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct runner_opts o;
	char err[2048], *end;
	long long id;
	int c, rc, follow = 0;

	memset(&o, 0, sizeof(o));
	o.out = stdout;
	o.tty = isatty(STDOUT_FILENO);
	optind = 0;
	while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		switch (c) {
		case 'f': follow = 1; break;
		case 'i': o.in_process = 1; break;
		case 'q': o.quiet = 1; break;
		case 'w': o.wait_timeout_s = atoi(optarg); break;
		case 'x': o.extract_only = 1; break;
		case 'h': run_usage(stdout); return 0;
		default: run_usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		run_usage(stderr);
		return EXIT_USAGE;
	}
	errno = 0;
	id = strtoll(argv[optind], &end, 10);
	if (errno || *end || id <= 0) {
		fprintf(stderr, "job run: '%s' is not an integration id; see "
			"`pulse-host integration list`\n", argv[optind]);
		return EXIT_USAGE;
	}
	if (follow) {
		rc = follow_job(&cli->conf, id, stdout, o.tty);
		if (rc != FOLLOW_NO_DAEMON)
			return rc;
		fprintf(stderr, "no daemon at %s; running in the foreground\n",
			cli->conf.listen ? cli->conf.listen : "(no listen address)");
	}
	crypto_harden_process();
	if (db_require_rls(cli->conf.database_url, "job run", err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	cli_load_plugins(cli);
	runner_install_signals();
	rc = runner_run(&cli->conf, &cli->ld, id, &o, err, sizeof(err));
	if (rc != RUNNER_OK)
		fprintf(stderr, "job run: %s\n", err);
	return rc;
}

int cmd_job(struct cli *cli, int argc, char **argv)
{
	static const struct cli_cmd cmds[] = {
		{"run", job_run, "run an integration's job now (extract, transform, load)"},
		{"depend", cmd_job_depend, "set or show the jobs a job waits for"},
		{"force", cmd_job_force, "force a job's state (operator; --reason recorded)"},
		{"force-stop", cmd_job_force_op, "kill a job's process now: ERROR \"stopped by operator\""},
		{"force-start", cmd_job_force_op, "start a job now, ignoring schedule and dependencies"},
		{"reset", cmd_job_force_op, "a job back to NOT_STARTED [--clear-checkpoint]"},
		{"deps", cmd_job_deps, "a tenant's dependency graph (text or --json)"},
		{"list", cmd_job_list, "every job with its state, and the system jobs"},
		{NULL, NULL, NULL},
	};

	return cli_dispatch(cli, cmds, "pulse-host job",
			    "usage: pulse-host job COMMAND [ARGS]\n",
			    argc - 1, argv + 1);
}
