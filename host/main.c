/* pulse-host: one binary, git-style subcommands. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pulse-host/plugin.h>

#include "blascore.h"
#include "cli/cli.h"
#include "base/log.h"
#include "db/db.h"
#include "queue/queue.h"

static const struct cli_cmd commands[] = {
	{"plugins", cmd_plugins, "list loaded plugins, or show one's config fields"},
	{"config", cmd_config, "check a configuration file, or print the effective one"},
	{"migrate", cmd_migrate, "create or upgrade the database schema (and the app role)"},
	{"tenant", cmd_tenant, "add or list tenants"},
	{"integration", cmd_integration, "add, list, show integrations; set secrets"},
	{"job", cmd_job, "run an integration's job now"},
	{"worker", cmd_worker, "consume the transform queue (scale-out with a broker)"},
	{"queue", cmd_queue, "show the broker's pulse queues"},
	{"dora", cmd_dora, "DORA metrics of a tenant (deployment frequency, lead time, ...)"},
	{"run", cmd_run, "run the daemon: REST API, live progress, job orchestrator"},
	{"token", cmd_token, "issue API tokens (JWT) for a tenant and role"},
	{"mapping", cmd_mapping, "work item type/status mappings of an integration"},
	{"housekeeping", cmd_housekeeping, "raw ledger partitions and retention (run, per-tenant windows)"},
	{"ai", cmd_ai, "AI routing, provider probes and usage/cost reports (docs/ai.md)"},
	{"embed", cmd_embed, "embed texts with an embedder plugin; print vectors as JSON"},
	{"doctor", cmd_doctor, "check the install: keys, database, migrations, plugins, models"},
	{"ask", cmd_ask, "answer a question about a tenant's data (guarded SQL)"},
	{"vectorize", cmd_vectorize, "embed synced rows into the vector store (run, status, rebuild)"},
	{"search", cmd_search, "semantic search over what a tenant synced"},
	{"stats", cmd_stats, "storage figures of a tenant: rows, bytes, raw ledger by month, growth"},
	{"people", cmd_people, "who is who: directory users linked to GitHub and Jira accounts"},
	{"user", cmd_user, "people who sign in: add, list, disable, set-role, reset-password"},
	{"audit", cmd_audit, "the audit log of a tenant: who changed what"},
	{"auth", cmd_auth, "single sign-on (OpenID Connect) of a tenant: auth oidc set|show|remove"},
	{NULL, NULL, NULL},
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f,
		"usage: pulse-host [--config FILE] [--plugin-dir DIR]... "
		"[--log-level LEVEL] COMMAND [ARGS]\n"
		"\n"
		"pulse-host loads source and AI plugins and keeps a multi-tenant\n"
		"PostgreSQL warehouse of engineering data.\n"
		"\n"
		"Global options:\n"
		"  -c, --config FILE     configuration file (default %s)\n"
		"  -p, --plugin-dir DIR  also load plugins from DIR (repeatable)\n"
		"  -l, --log-level LVL   error, warn, info or debug (overrides the file)\n"
		"  -h, --help            this help; COMMAND --help for a command's\n"
		"  -V, --version         print version and ABI version\n"
		"\n"
		"Commands:\n",
		conf_default_path());
	for (i = 0; commands[i].name; i++)
		fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nEnvironment: PULSE_HOST_DATABASE_URL and PULSE_HOST_BROKER_URL "
		   "override the file's URLs.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"plugin-dir", required_argument, NULL, 'p'},
		{"log-level", required_argument, NULL, 'l'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	struct cli cli;
	char **extra = NULL;
	const char *level = NULL;
	size_t nextra = 0, i;
	char err[1024];
	int c, rc = 1;

	/* before anything else: this may exec again (blascore.h) */
	blascore_reexec(argv);
	memset(&cli, 0, sizeof(cli));
	/* "+": stop at the first non-option, which is the command. */
	while ((c = getopt_long(argc, argv, "+c:p:l:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			cli.conf_path = optarg;
			break;
		case 'p': {
			char **n = realloc(extra, (nextra + 1) * sizeof(*n));

			if (!n)
				goto out;
			extra = n;
			extra[nextra++] = optarg;
			break;
		}
		case 'l':
			level = optarg;
			break;
		case 'h':
			usage(stdout);
			rc = 0;
			goto out;
		case 'V':
			printf("pulse-host %s (plugin ABI %d.%d)\n", PACKAGE_VERSION,
			       PULSE_ABI_MAJOR, PULSE_ABI_MINOR);
			rc = 0;
			goto out;
		default:
			usage(stderr);
			rc = EXIT_USAGE;
			goto out;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		rc = EXIT_USAGE;
		goto out;
	}
	if (level && log_parse_level(level) < 0) {
		fprintf(stderr, "pulse-host: --log-level '%s' is not one of "
			"error, warn, info, debug\n", level);
		rc = EXIT_USAGE;
		goto out;
	}
	/* "config check FILE" validates a file of its own; a broken default
	 * file must not stop it from running. */
	if (strcmp(argv[optind], "config") != 0 &&
	    conf_load(cli.conf_path, &cli.conf, err, sizeof(err)) < 0) {
		fprintf(stderr, "pulse-host: configuration error: %s\n", err);
		goto out;
	}
	db_set_timeouts(cli.conf.db_statement_timeout_ms,
			cli.conf.db_lock_timeout_ms);
	log_set_level(log_parse_level(level ? level :
				     cli.conf.log_level ? cli.conf.log_level : "info"));
	for (i = 0; i < nextra; i++)
		conf_add_plugin_dir(&cli.conf, extra[i]);
	queue_register(); /* job run publishes raw ids when broker_url is set */
	rc = cli_dispatch(&cli, commands, "pulse-host", NULL, argc - optind,
			  argv + optind);
out:
	loader_free(&cli.ld);
	conf_free(&cli.conf);
	free(extra);
	return rc;
}
