/* cmd_user: `pulse-host user add|list|disable|enable|set-role|
 * reset-password` (issue 18, docs/auth.md). Passwords are read from
 * stdin, never from the command line. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "base/crypto.h"
#include "cli/cli.h"
#include "db/db.h"
#include "cli/cli_audit.h"
#include "model/audit.h"
#include "model/tenant.h"
#include "model/users.h"
#include "server/auth.h"
#include "server/auth_passwd.h"

static const char usage_text[] =
	"usage: pulse-host user add --tenant T --email E --role R [--name N]\n"
	"                           [--password-stdin] [--json]\n"
	"       pulse-host user list --tenant T [--json]\n"
	"       pulse-host user disable|enable --tenant T --email E [--json]\n"
	"       pulse-host user set-role --tenant T --email E --role R [--json]\n"
	"       pulse-host user reset-password --tenant T --email E [--json]\n"
	"\n"
	"People who sign in to the API and console with a password\n"
	"(POST /api/v1/auth/login). Roles per tenant: view reads, user also\n"
	"controls jobs, admin does everything (and manages users).\n"
	"Passwords are read from stdin (one line; never from the command\n"
	"line): `--password-stdin` for add, always for reset-password. They\n"
	"need auth.min_password_length characters and must not be a common\n"
	"password. Disabling a user revokes all of their sessions at once;\n"
	"a daemon closes their live viewers within\n"
	"auth.viewer_recheck_seconds. Every change is in the audit log\n"
	"(`pulse-host audit`).\n";

struct uargs {
	const char *tenant, *email, *role, *name;
	int json, pw_stdin;
};

/* Parse the options every subcommand shares. 0, 1 (help printed) or
 * EXIT_USAGE. */
static int parse(const char *cmd, int argc, char **argv, struct uargs *a)
{
	int i;

	memset(a, 0, sizeof(*a));
	for (i = 1; i < argc; i++) {
		const char *v;
		int r;

		if (cli_is_help(argv[i])) {
			fputs(usage_text, stdout);
			return 1;
		}
		if (strcmp(argv[i], "--json") == 0) {
			a->json = 1;
			continue;
		}
		if (strcmp(argv[i], "--password-stdin") == 0) {
			a->pw_stdin = 1;
			continue;
		}
		if (strcmp(argv[i], "--password") == 0 ||
		    strncmp(argv[i], "--password=", 11) == 0) {
			fprintf(stderr, "%s: passwords are never taken from the "
				"command line (other users can see it in ps); "
				"use --password-stdin\n", cmd);
			return EXIT_USAGE;
		}
		if ((r = cli_opt_value(cmd, argc, argv, &i, "--tenant", &a->tenant)) ||
		    (r = cli_opt_value(cmd, argc, argv, &i, "--email", &a->email)) ||
		    (r = cli_opt_value(cmd, argc, argv, &i, "--role", &a->role)) ||
		    (r = cli_opt_value(cmd, argc, argv, &i, "--name", &a->name))) {
			if (r < 0)
				return EXIT_USAGE;
			continue;
		}
		(void)v;
		fprintf(stderr, "%s: unknown argument '%s'\n%s", cmd, argv[i],
			usage_text);
		return EXIT_USAGE;
	}
	if (!a->tenant) {
		fprintf(stderr, "%s: --tenant is required\n", cmd);
		return EXIT_USAGE;
	}
	if (a->role && auth_role_parse(a->role) < 0) {
		fprintf(stderr, "%s: --role '%s' is not admin, user or view\n",
			cmd, a->role);
		return EXIT_USAGE;
	}
	return 0;
}

/* One line of stdin, without its newline: malloc'd (caller wipes and
 * frees), or NULL (said on stderr). */
static char *read_password(const char *cmd)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (isatty(STDIN_FILENO))
		fprintf(stderr, "password (one line, not echoed by a pipe; end "
			"with Enter): ");
	n = getline(&line, &cap, stdin);
	if (n <= 0) {
		fprintf(stderr, "%s: no password on stdin (send it as one line, "
			"e.g. from a password manager's pipe)\n", cmd);
		free(line);
		return NULL;
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	return line;
}

static void wipe_free(char *s)
{
	if (s) {
		crypto_wipe(s, strlen(s));
		free(s);
	}
}

/* Hash after the policy; NULL (said on stderr) when refused. */
static char *hash_new(struct cli *cli, const char *cmd, const char *pw)
{
	struct passwd_params pp = {(unsigned long)cli->conf.auth_argon2_t,
		(unsigned long)cli->conf.auth_argon2_m_kib, 1};
	char err[512], *h;

	if (passwd_policy_check(pw, cli->conf.auth_min_password_length, err,
				sizeof(err)) < 0) {
		fprintf(stderr, "%s: %s\n", cmd, err);
		return NULL;
	}
	if (crypto_init(err, sizeof(err)) < 0 ||
	    !(h = passwd_hash(pw, &pp, err, sizeof(err)))) {
		fprintf(stderr, "%s: %s\n", cmd, err);
		return NULL;
	}
	return h;
}

static void print_result(int json, const char *what, const struct user_row *u,
			 int revoked)
{
	if (json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "id", json_object_new_int64(u->id));
		json_object_object_add(o, "email", json_object_new_string(u->email));
		json_object_object_add(o, "done", json_object_new_string(what));
		json_object_object_add(o, "sessions_revoked", json_object_new_int(revoked));
		printf("%s\n", json_object_to_json_string_ext(o,
		       JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	} else {
		printf("user %" PRId64 " (%s): %s", u->id, u->email, what);
		if (revoked)
			printf("; %d session(s) revoked", revoked);
		printf("\n");
	}
}

/* The shared body of every subcommand but list. */
static int user_change(struct cli *cli, int argc, char **argv, const char *op)
{
	char cmd[48], err[1024], email[128], actor[160], target[48];
	struct uargs a;
	struct user_row u;
	PGconn *db = NULL;
	char *pw = NULL, *phc = NULL;
	json_object *d = json_object_new_object();
	int64_t tenant, id = 0;
	int rc, revoked = 0, ret = 1;
	const char *action = NULL;

	snprintf(cmd, sizeof(cmd), "user %s", op);
	if ((rc = parse(cmd, argc, argv, &a)) != 0) {
		ret = rc == 1 ? 0 : rc;
		goto out;
	}
	if (!a.email || (strcmp(op, "set-role") == 0 && !a.role) ||
	    (strcmp(op, "add") == 0 && !a.role)) {
		fprintf(stderr, "%s: --email%s are required\n", cmd,
			strcmp(op, "add") == 0 || strcmp(op, "set-role") == 0 ?
			" and --role" : "");
		ret = EXIT_USAGE;
		goto out;
	}
	if (users_email_valid(a.email, email, sizeof(email), err,
			      sizeof(err)) < 0) {
		fprintf(stderr, "%s: --email: %s\n", cmd, err);
		ret = EXIT_USAGE;
		goto out;
	}
	if ((strcmp(op, "reset-password") == 0 ||
	     (strcmp(op, "add") == 0 && a.pw_stdin))) {
		if (!(pw = read_password(cmd)) || !(phc = hash_new(cli, cmd, pw)))
			goto out;
	}
	if (!(db = db_connect_tenant(cli->conf.database_url, err, sizeof(err))) ||
	    tenant_resolve(db, a.tenant, &tenant, err, sizeof(err)) < 0 ||
	    db_tenant_begin(db, tenant, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s: %s\n", cmd, err);
		goto out;
	}
	cli_actor(actor, sizeof(actor));
	if (strcmp(op, "add") == 0) {
		rc = users_add(db, tenant, email, a.name, a.role, phc, &id, err,
			       sizeof(err));
		action = "user.add";
		json_object_object_add(d, "role", json_object_new_string(a.role));
		json_object_object_add(d, "password_set", json_object_new_boolean(phc != NULL));
		if (rc == 0)
			rc = users_get(db, tenant, NULL, id, &u, err, sizeof(err));
	} else {
		rc = users_get(db, tenant, email, 0, &u, err, sizeof(err));
		if (rc == 0 && strcmp(op, "disable") == 0) {
			action = "user.disable";
			rc = users_set_disabled(db, tenant, u.id, 1, &revoked, err,
						sizeof(err));
		} else if (rc == 0 && strcmp(op, "enable") == 0) {
			action = "user.enable";
			rc = users_set_disabled(db, tenant, u.id, 0, &revoked, err,
						sizeof(err));
		} else if (rc == 0 && strcmp(op, "set-role") == 0) {
			action = "user.set_role";
			json_object_object_add(d, "from", json_object_new_string(u.role));
			json_object_object_add(d, "to", json_object_new_string(a.role));
			rc = users_set_role(db, tenant, u.id, a.role, err,
					    sizeof(err));
		} else if (rc == 0) {
			action = "user.reset_password";
			rc = users_set_password(db, tenant, u.id, phc, &revoked,
						err, sizeof(err));
		}
	}
	if (rc) {
		fprintf(stderr, "%s: %s\n", cmd, err);
		goto out;
	}
	snprintf(target, sizeof(target), "user:%" PRId64, u.id);
	if (audit_record(db, tenant, actor, action, target, NULL, NULL, d, err,
			 sizeof(err)) < 0 || db_commit(db, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s: %s\n", cmd, err);
		goto out;
	}
	print_result(a.json, strcmp(op, "add") == 0 ? "added" :
		     strcmp(op, "disable") == 0 ? "disabled" :
		     strcmp(op, "enable") == 0 ? "enabled" :
		     strcmp(op, "set-role") == 0 ? "role set" : "password reset",
		     &u, revoked);
	ret = 0;
out:
	if (db) {
		db_rollback(db);
		PQfinish(db);
	}
	wipe_free(pw);
	free(phc);
	json_object_put(d);
	return ret;
}

static int user_add(struct cli *cli, int argc, char **argv)
{
	return user_change(cli, argc, argv, "add");
}

static int user_disable(struct cli *cli, int argc, char **argv)
{
	return user_change(cli, argc, argv, "disable");
}

static int user_enable(struct cli *cli, int argc, char **argv)
{
	return user_change(cli, argc, argv, "enable");
}

static int user_set_role(struct cli *cli, int argc, char **argv)
{
	return user_change(cli, argc, argv, "set-role");
}

static int user_reset_password(struct cli *cli, int argc, char **argv)
{
	return user_change(cli, argc, argv, "reset-password");
}

static int user_list(struct cli *cli, int argc, char **argv)
{
	char err[1024];
	struct uargs a;
	PGconn *db = NULL;
	json_object *arr = NULL;
	int64_t tenant;
	int rc, ret = 1;
	size_t i;

	if ((rc = parse("user list", argc, argv, &a)) != 0)
		return rc == 1 ? 0 : rc;
	if (!(db = db_connect_tenant(cli->conf.database_url, err, sizeof(err))) ||
	    tenant_resolve(db, a.tenant, &tenant, err, sizeof(err)) < 0 ||
	    db_tenant_begin(db, tenant, err, sizeof(err)) < 0 ||
	    !(arr = users_list_json(db, tenant, err, sizeof(err)))) {
		fprintf(stderr, "user list: %s\n", err);
		goto out;
	}
	if (a.json) {
		printf("%s\n", json_object_to_json_string_ext(arr,
		       JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	} else {
		printf("%-6s %-32s %-6s %-9s %-9s %s\n", "ID", "EMAIL", "ROLE",
		       "STATUS", "SOURCE", "PASSWORD");
		for (i = 0; i < json_object_array_length(arr); i++) {
			json_object *o = json_object_array_get_idx(arr, i), *v;
			const char *role = "-";

			if (json_object_object_get_ex(o, "role", &v) && v)
				role = json_object_get_string(v);
			json_object_object_get_ex(o, "id", &v);
			printf("%-6" PRId64 " ", json_object_get_int64(v));
			json_object_object_get_ex(o, "email", &v);
			printf("%-32s %-6s ", json_object_get_string(v), role);
			json_object_object_get_ex(o, "status", &v);
			printf("%-9s ", json_object_get_string(v));
			json_object_object_get_ex(o, "source", &v);
			printf("%-9s ", json_object_get_string(v));
			json_object_object_get_ex(o, "has_password", &v);
			printf("%s\n", json_object_get_boolean(v) ? "set" : "-");
		}
	}
	ret = 0;
out:
	json_object_put(arr);
	if (db) {
		db_rollback(db);
		PQfinish(db);
	}
	return ret;
}

int cmd_user(struct cli *cli, int argc, char **argv)
{
	static const struct cli_cmd cmds[] = {
		{"add", user_add, "add a person to a tenant with a role"},
		{"list", user_list, "list a tenant's users"},
		{"disable", user_disable, "disable a user and revoke their sessions"},
		{"enable", user_enable, "enable a disabled user again"},
		{"set-role", user_set_role, "set a user's role (admin, user, view)"},
		{"reset-password", user_reset_password, "set a new password (from stdin)"},
		{NULL, NULL, NULL},
	};

	return cli_dispatch(cli, cmds, "pulse-host user", usage_text, argc - 1,
			    argv + 1);
}
