/* `pulse-host token issue`: API tokens for the REST API and viewers. */
#include "config.h"

#include <getopt.h>
#include <inttypes.h>

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/auth.h"
#include "cli/cli.h"
#include "base/crypto.h"
#include "db/db.h"
#include "model/apitoken.h"
#include "model/audit.h"
#include "model/tenant.h"

static void issue_usage(FILE *f)
{
	fprintf(f,
		"usage: pulse-host token issue --tenant T --role admin|user|view\n"
		"                             [--ttl 8h] [--sub NAME] [--link]\n"
		"\n"
		"Print a signed API token (JWT, HS256) for tenant T (name or id).\n"
		"  view   read jobs, integrations, raw data, queue, metrics\n"
		"  user   view + start/stop/pause/resume jobs\n"
		"  admin  everything, including integrations\n"
		"--ttl is seconds or a number with s, m, h or d (default 8h).\n"
		"The key is jwt_key_file (created 0600 on first use); replacing\n"
		"it revokes every token issued so far. Each token is recorded\n"
		"with an id: `token list` shows them, `token revoke` ends one.\n"
		"--link prints a sign-in link to the web console instead:\n"
		"  http://LISTEN/#token=TOKEN (LISTEN from the configuration; the\n"
		"  token is in the fragment, which a browser never sends, so it\n"
		"  reaches no server log; the page keeps it for the tab only).\n");
}

static int cmd_token_issue(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"tenant", required_argument, NULL, 't'},
		{"role", required_argument, NULL, 'r'},
		{"ttl", required_argument, NULL, 'T'},
		{"sub", required_argument, NULL, 's'},
		{"link", no_argument, NULL, 'L'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *tenant = NULL, *role = NULL, *ttl = "8h", *sub = "cli";
	struct auth_claims cl;
	struct crypto_key key;
	PGconn *db = NULL;
	char err[1024], *tok = NULL;
	int64_t secs;
	int c, rc = 1, have_key = 0, link = 0;
	char host[256];
	int port = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 't': tenant = optarg; break;
		case 'r': role = optarg; break;
		case 'T': ttl = optarg; break;
		case 's': sub = optarg; break;
		case 'L': link = 1; break;
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
	if (link && conf_parse_listen(cli->conf.listen, host, sizeof(host),
				      &port, err, sizeof(err)) < 0) {
		fprintf(stderr, "token issue --link: the listen address: %s\n", err);
		return 1;
	}
	/* The tenant must exist: a token for a typo would only ever 404. */
	db = db_connect_tenant(cli->conf.database_url, err, sizeof(err));
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
	/* Recorded (with the audit event) before it is printed. */
	apitoken_new_jti(cl.jti, sizeof(cl.jti));
	{
		json_object *d = json_object_new_object();
		char target[48];
		int64_t id;
		int bad;

		json_object_object_add(d, "role", json_object_new_string(role));
		json_object_object_add(d, "sub", json_object_new_string(sub));
		json_object_object_add(d, "ttl_seconds", json_object_new_int64(secs));
		bad = db_tenant_begin(db, cl.tenant, err, sizeof(err)) < 0 ||
		      apitoken_record(db, cl.tenant, cl.jti, role, sub, cl.exp,
				      &id, err, sizeof(err)) < 0;
		snprintf(target, sizeof(target), "token:%" PRId64, bad ? 0 : id);
		bad = bad || audit_record(db, cl.tenant, "cli", "token.issue",
					  target, NULL, NULL, d, err,
					  sizeof(err)) < 0 ||
		      db_commit(db, err, sizeof(err)) < 0;
		json_object_put(d);
		if (bad) {
			db_rollback(db);
			fprintf(stderr, "token issue: recording the token: %s\n", err);
			goto out;
		}
	}
	tok = auth_token_issue(key.k, sizeof(key.k), &cl);
	if (!tok) {
		fprintf(stderr, "token issue: out of memory\n");
		goto out;
	}
	if (link)
		/* "*" listens everywhere; loopback is one of them. */
		printf("http://%s:%d/#token=%s\n", strcmp(host, "*") == 0 ?
		       "127.0.0.1" : host, port, tok);
	else
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

/* `token list --tenant T [--json]` and `token revoke --tenant T ID`. */
static int token_list_or_revoke(struct cli *cli, int argc, char **argv,
				int revoke)
{
	const char *cmd = revoke ? "token revoke" : "token list";
	const char *tenant = NULL, *idarg = NULL;
	char err[1024], target[48];
	json_object *arr = NULL;
	PGconn *db = NULL;
	int64_t tid, id = 0;
	int i, r, json = 0, rc = 1;
	size_t k;

	for (i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			printf("usage: pulse-host token list --tenant T [--json]\n"
			       "       pulse-host token revoke --tenant T ID\n\n"
			       "Tokens of `token issue`, by id (never the token "
			       "itself). A revoked token is refused at once by\n"
			       "the API; a live viewer using it is closed within "
			       "auth.viewer_recheck_seconds.\n");
			return 0;
		}
		if (strcmp(argv[i], "--json") == 0) {
			json = 1;
			continue;
		}
		if ((r = cli_opt_value(cmd, argc, argv, &i, "--tenant", &tenant))) {
			if (r < 0)
				return EXIT_USAGE;
			continue;
		}
		if (revoke && !idarg && argv[i][0] != '-') {
			idarg = argv[i];
			continue;
		}
		fprintf(stderr, "%s: unknown argument '%s'\n", cmd, argv[i]);
		return EXIT_USAGE;
	}
	if (!tenant || (revoke && (!idarg || (id = strtoll(idarg, NULL, 10)) <= 0))) {
		fprintf(stderr, "%s: --tenant%s required\n", cmd, revoke ?
			" and a token ID (see `token list`) are" : " is");
		return EXIT_USAGE;
	}
	if (!(db = db_connect_tenant(cli->conf.database_url, err, sizeof(err))) ||
	    tenant_resolve(db, tenant, &tid, err, sizeof(err)) < 0 ||
	    db_tenant_begin(db, tid, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s: %s\n", cmd, err);
		goto out;
	}
	if (revoke) {
		r = apitoken_revoke(db, id, err, sizeof(err));
		snprintf(target, sizeof(target), "token:%" PRId64, id);
		if (r == 0 && (audit_record(db, tid, "cli", "token.revoke", target,
					    NULL, NULL, NULL, err, sizeof(err)) < 0 ||
			       db_commit(db, err, sizeof(err)) < 0))
			r = -1;
		if (r) {
			fprintf(stderr, "%s: %s\n", cmd, err);
			goto out;
		}
		if (json)
			printf("{\"id\":%" PRId64 ",\"revoked\":true}\n", id);
		else
			printf("token %" PRId64 " revoked\n", id);
		rc = 0;
		goto out;
	}
	if (!(arr = apitoken_list_json(db, err, sizeof(err)))) {
		fprintf(stderr, "%s: %s\n", cmd, err);
		goto out;
	}
	if (json) {
		printf("%s\n", json_object_to_json_string_ext(arr,
		       JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	} else {
		printf("%-6s %-6s %-20s %-21s %-21s %s\n", "ID", "ROLE", "SUB",
		       "ISSUED", "EXPIRES", "STATE");
		for (k = 0; k < json_object_array_length(arr); k++) {
			json_object *o = json_object_array_get_idx(arr, k), *v[6];
			static const char *const keys[] = {"id", "role", "sub",
				"issued_at", "expires_at", "state"};
			size_t j;

			for (j = 0; j < 6; j++)
				json_object_object_get_ex(o, keys[j], &v[j]);
			printf("%-6s %-6s %-20s %-21s %-21s %s\n",
			       json_object_get_string(v[0]), json_object_get_string(v[1]),
			       json_object_get_string(v[2]), json_object_get_string(v[3]),
			       json_object_get_string(v[4]), json_object_get_string(v[5]));
		}
	}
	rc = 0;
out:
	json_object_put(arr);
	if (db) {
		db_rollback(db);
		PQfinish(db);
	}
	return rc;
}

static int cmd_token_list(struct cli *cli, int argc, char **argv)
{
	return token_list_or_revoke(cli, argc, argv, 0);
}

static int cmd_token_revoke(struct cli *cli, int argc, char **argv)
{
	return token_list_or_revoke(cli, argc, argv, 1);
}

int cmd_token(struct cli *cli, int argc, char **argv)
{
	static const struct cli_cmd cmds[] = {
		{"issue", cmd_token_issue, "print a signed API token for a tenant and role"},
		{"list", cmd_token_list, "list the tenant's tokens by id"},
		{"revoke", cmd_token_revoke, "revoke one token by id"},
		{NULL, NULL, NULL},
	};

	return cli_dispatch(cli, cmds, "pulse-host token",
			    "usage: pulse-host token issue --tenant T --role R [--ttl 8h]\n",
			    argc - 1, argv + 1);
}
