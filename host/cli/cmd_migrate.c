/* cmd_migrate: `pulse-host migrate [--admin-url URL] [--app-role NAME
 * [--app-password PW|-]] [--status]`. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "base/crypto.h"
#include "db/db.h"
#include "db/migrate.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: pulse-host migrate [--admin-url URL] [--app-role NAME "
		"[--app-password PW|-]] [--status]\n"
		"\nApplies the schema migrations built into this binary, each once, "
		"in order.\nRuns as the admin URL (default: database_url), which must "
		"own the schema and be\na superuser or have BYPASSRLS. --app-role "
		"creates the login role the daemon uses\n(no superuser, no BYPASSRLS) "
		"and grants it what it needs; --app-password -\nreads the password "
		"from standard input. --status lists the migrations.\n");
}

int cmd_migrate(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"admin-url", required_argument, NULL, 'a'},
		{"app-role", required_argument, NULL, 'r'},
		{"app-password", required_argument, NULL, 'p'},
		{"status", no_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *admin = NULL, *role = NULL, *pw = NULL;
	char err[1024], *line = NULL;
	size_t cap = 0;
	PGconn *c = NULL;
	int o, status = 0, applied, rc = 1;

	optind = 0;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 'a': admin = optarg; break;
		case 'r': role = optarg; break;
		case 'p': pw = optarg; break;
		case 's': status = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc || (pw && !role)) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (pw && strcmp(pw, "-") == 0) {
		ssize_t n = getline(&line, &cap, stdin);

		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (n <= 0) {
			fprintf(stderr, "migrate: --app-password - read no "
				"password from standard input\n");
			goto out;
		}
		pw = line;
	}
	if (!(c = db_connect(admin ? admin : cli->conf.database_url, err,
			     sizeof(err))))
		goto fail;
	if (status) {
		if (migrate_status(c, stdout, err, sizeof(err)) < 0)
			goto fail;
		rc = 0;
		goto out;
	}
	/* A migration may copy the whole raw ledger (080: minutes per
	 * million rows); the sessions' statement_timeout is for the daemon's
	 * calls, not for an operator's upgrade. */
	if (db_exec(c, "SET statement_timeout = 0", err, sizeof(err)) < 0 ||
	    migrate_apply(c, stdout, &applied, err, sizeof(err)) < 0)
		goto fail;
	if (applied == 0)
		printf("schema is up to date\n");
	if (role && migrate_app_role(c, role, pw, stdout, err, sizeof(err)) < 0)
		goto fail;
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "migrate: %s\n", err);
out:
	if (line) {
		crypto_wipe(line, cap);
		free(line);
	}
	PQfinish(c);
	return rc;
}
