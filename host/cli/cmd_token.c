/* `pulse-host token issue`: API tokens for the REST API and viewers. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/auth.h"
#include "cli/cli.h"
#include "base/crypto.h"
#include "db/db.h"
#include "model/tenant.h"

static void issue_usage(FILE *f)
{
	fprintf(f,
		"usage: pulse-host token issue --tenant T --role admin|user|view\n"
		"                             [--ttl 8h] [--sub NAME]\n"
		"\n"
		"Print a signed API token (JWT, HS256) for tenant T (name or id).\n"
		"  view   read jobs, integrations, raw data, queue, metrics\n"
		"  user   view + start/stop/pause/resume jobs\n"
		"  admin  everything, including integrations\n"
		"--ttl is seconds or a number with s, m, h or d (default 8h).\n"
		"The key is jwt_key_file (created 0600 on first use); replacing\n"
		"it revokes every token issued so far.\n");
}

static int cmd_token_issue(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"tenant", required_argument, NULL, 't'},
		{"role", required_argument, NULL, 'r'},
		{"ttl", required_argument, NULL, 'T'},
		{"sub", required_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *tenant = NULL, *role = NULL, *ttl = "8h", *sub = "cli";
	struct auth_claims cl;
	struct crypto_key key;
	PGconn *db = NULL;
	char err[1024], *tok = NULL;
	int64_t secs;
	int c, rc = 1, have_key = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 't': tenant = optarg; break;
		case 'r': role = optarg; break;
		case 'T': ttl = optarg; break;
		case 's': sub = optarg; break;
		case 'h':
			issue_usage(stdout);
			return 0;
		default:
			issue_usage(stderr);
			return EXIT_USAGE;
		}
	}
	memset(&cl, 0, sizeof(cl));
	if (!tenant || !role) {
		fprintf(stderr, "token issue: --tenant and --role are required\n");
		issue_usage(stderr);
		return EXIT_USAGE;
	}
	if ((cl.role = auth_role_parse(role)) < 0) {
		fprintf(stderr, "token issue: --role '%s' is not admin, user or view\n",
			role);
		return EXIT_USAGE;
	}
	if ((secs = auth_parse_ttl(ttl)) < 0) {
		fprintf(stderr, "token issue: --ttl '%s' is not a duration such as "
			"3600, 30m, 8h or 7d\n", ttl);
		return EXIT_USAGE;
	}
	/* The daemon would cap it anyway: say so rather than mint a token
	 * that expires earlier than asked. */
	if (secs > cli->conf.jwt_max_lifetime_s) {
		fprintf(stderr, "token issue: --ttl '%s' is longer than "
			"jwt_max_lifetime_seconds (%d s) of the configuration\n",
			ttl, cli->conf.jwt_max_lifetime_s);
		return EXIT_USAGE;
	}
	/* The tenant must exist: a token for a typo would only ever 404. */
	db = db_connect(cli->conf.database_url, err, sizeof(err));
	if (!db || tenant_resolve(db, tenant, &cl.tenant, err, sizeof(err)) < 0) {
		fprintf(stderr, "token issue: %s\n", err);
		goto out;
	}
	if (crypto_init(err, sizeof(err)) < 0 ||
	    crypto_key_load(cli->conf.jwt_key_file, 1, &key, err, sizeof(err)) < 0) {
		fprintf(stderr, "token issue: jwt_key_file: %s\n", err);
		goto out;
	}
	have_key = 1;
	cl.iat = time(NULL);
	cl.exp = cl.iat + secs;
	snprintf(cl.sub, sizeof(cl.sub), "%s", sub);
	tok = auth_token_issue(key.k, sizeof(key.k), &cl);
	if (!tok) {
		fprintf(stderr, "token issue: out of memory\n");
		goto out;
	}
	printf("%s\n", tok);
	rc = 0;
out:
	if (have_key)
		crypto_wipe(&key, sizeof(key));
	free(tok);
	if (db)
		PQfinish(db);
	return rc;
}

int cmd_token(struct cli *cli, int argc, char **argv)
{
	static const struct cli_cmd cmds[] = {
		{"issue", cmd_token_issue, "print a signed API token for a tenant and role"},
		{NULL, NULL, NULL},
	};

	return cli_dispatch(cli, cmds, "pulse-host token",
			    "usage: pulse-host token issue --tenant T --role R [--ttl 8h]\n",
			    argc - 1, argv + 1);
}
