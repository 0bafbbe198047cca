/* cmd_auth: `pulse-host auth oidc set|show|remove` (issue 18 item 4,
 * docs/auth.md "Single sign-on"): a tenant's OpenID Connect provider.
 * The client secret is read from stdin or a file, never from the
 * command line, sealed with key_file and never printed. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "base/crypto.h"
#include "cli/cli.h"
#include "cli/cli_audit.h"
#include "db/db.h"
#include "model/audit.h"
#include "model/oidc.h"
#include "model/tenant.h"

#define CALLBACK_PATH "/api/v1/auth/oidc/callback"

static const char usage_text[] =
	"usage: pulse-host auth oidc set --tenant T [--issuer URL] [--client-id ID]\n"
	"              [--client-secret-stdin | --client-secret-file PATH]\n"
	"              [--auth-method basic|post] [--scopes \"openid email profile\"]\n"
	"              [--role-claim CLAIM] [--role-map VALUE=ROLE,...]\n"
	"              [--default-role admin|user|view|none]\n"
	"              [--redirect-base URL] [--json]\n"
	"       pulse-host auth oidc show --tenant T [--json]\n"
	"       pulse-host auth oidc remove --tenant T [--json]\n"
	"\n"
	"Single sign-on over OpenID Connect, one provider per tenant (Okta,\n"
	"Entra ID, any certified provider): people sign in at\n"
	"  /api/v1/auth/oidc/login?tenant=T\n"
	"and are created or updated at each sign-in. Register this redirect\n"
	"URI at the provider (`show` prints it):\n"
	"  REDIRECT_BASE" CALLBACK_PATH "\n"
	"\n"
	"--issuer is the provider's issuer exactly as its discovery document\n"
	"(/.well-known/openid-configuration) states it. The client secret is\n"
	"read from stdin (one line) or a file, never from the command line,\n"
	"and stored sealed with key_file. The role comes from the claim\n"
	"--role-claim (e.g. groups): each value is looked up in --role-map\n"
	"(\"eng-admins=admin,engineers=user\", or a JSON object), the\n"
	"strongest wins; no match gives --default-role, or, with none, the\n"
	"sign-in is refused. `set` on a configured tenant changes only the\n"
	"options given. A loopback or private issuer also needs\n"
	"http.allow_hosts (docs/http.md).\n";

struct aargs {
	const char *tenant, *issuer, *client_id, *secret_file, *method, *scopes;
	const char *role_claim, *role_map, *default_role, *redirect_base;
	int json, secret_stdin;
};

static int parse(const char *cmd, int argc, char **argv, struct aargs *a)
{
	int i, r;

	memset(a, 0, sizeof(*a));
	for (i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			fputs(usage_text, stdout);
			return 1;
		}
		if (strcmp(argv[i], "--json") == 0) {
			a->json = 1;
			continue;
		}
		if (strcmp(argv[i], "--client-secret-stdin") == 0) {
			a->secret_stdin = 1;
			continue;
		}
		if (strncmp(argv[i], "--client-secret", 15) == 0 &&
		    (argv[i][15] == '\0' || argv[i][15] == '=')) {
			fprintf(stderr, "%s: the client secret is never taken from "
				"the command line (other users can see it in ps); "
				"use --client-secret-stdin or --client-secret-file\n",
				cmd);
			return EXIT_USAGE;
		}
		if ((r = cli_opt_value(cmd, argc, argv, &i, "--tenant", &a->tenant)) ||
		    (r = cli_opt_value(cmd, argc, argv, &i, "--issuer", &a->issuer)) ||
		    (r = cli_opt_value(cmd, argc, argv, &i, "--client-id", &a->client_id)) ||
		    (r = cli_opt_value(cmd, argc, argv, &i, "--client-secret-file",
				       &a->secret_file)) ||
		    (r = cli_opt_value(cmd, argc, argv, &i, "--auth-method", &a->method)) ||
		    (r = cli_opt_value(cmd, argc, argv, &i, "--scopes", &a->scopes)) ||
		    (r = cli_opt_value(cmd, argc, argv, &i, "--role-claim", &a->role_claim)) ||
		    (r = cli_opt_value(cmd, argc, argv, &i, "--role-map", &a->role_map)) ||
		    (r = cli_opt_value(cmd, argc, argv, &i, "--default-role",
				       &a->default_role)) ||
		    (r = cli_opt_value(cmd, argc, argv, &i, "--redirect-base",
				       &a->redirect_base))) {
			if (r < 0)
				return EXIT_USAGE;
			continue;
		}
		fprintf(stderr, "%s: unknown argument '%s'\n%s", cmd, argv[i],
			usage_text);
		return EXIT_USAGE;
	}
	if (!a->tenant) {
		fprintf(stderr, "%s: --tenant is required\n", cmd);
		return EXIT_USAGE;
	}
	return 0;
}

static int is_role(const char *r)
{
	return strcmp(r, "admin") == 0 || strcmp(r, "user") == 0 ||
		strcmp(r, "view") == 0;
}

/* "v=role,v2=role" or a JSON object into a new JSON object; NULL with
 * err. */
static json_object *parse_role_map(const char *s, char *err, size_t errlen)
{
	json_object *o = NULL;
	char *copy = NULL, *tok, *save = NULL;

	if (*s == '{') {
		json_object_iter it;

		if (!(o = json_tokener_parse(s)) ||
		    !json_object_is_type(o, json_type_object)) {
			snprintf(err, errlen, "--role-map is not a JSON object");
			goto fail;
		}
		json_object_object_foreachC(o, it) {
			if (!json_object_is_type(it.val, json_type_string) ||
			    !is_role(json_object_get_string(it.val))) {
				snprintf(err, errlen, "--role-map: '%s' maps to %s, "
					 "not admin, user or view", it.key,
					 json_object_to_json_string(it.val));
				goto fail;
			}
		}
		return o;
	}
	o = json_object_new_object();
	if (!(copy = strdup(s)))
		goto fail;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strrchr(tok, '=');

		if (!eq || eq == tok || !is_role(eq + 1)) {
			snprintf(err, errlen, "--role-map: '%s' is not VALUE=ROLE "
				 "with ROLE admin, user or view", tok);
			goto fail;
		}
		*eq = '\0';
		json_object_object_add(o, tok, json_object_new_string(eq + 1));
	}
	free(copy);
	return o;
fail:
	free(copy);
	json_object_put(o);
	return NULL;
}

static int url_ok(const char *u)
{
	return strncmp(u, "https://", 8) == 0 || strncmp(u, "http://", 7) == 0;
}

/* The secret from stdin or a file (malloc'd; caller wipes), NULL with
 * a message. */
static char *read_secret(const char *cmd, const struct aargs *a)
{
	FILE *f = a->secret_stdin ? stdin : fopen(a->secret_file, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (!f) {
		fprintf(stderr, "%s: cannot read --client-secret-file %s\n", cmd,
			a->secret_file);
		return NULL;
	}
	n = getline(&line, &cap, f);
	if (f != stdin)
		fclose(f);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	if (n <= 0) {
		fprintf(stderr, "%s: no client secret on %s (one line)\n", cmd,
			a->secret_stdin ? "stdin" : a->secret_file);
		if (line)
			crypto_wipe(line, cap);
		free(line);
		return NULL;
	}
	return line;
}

/* The provider as JSON (never the secret). */
static json_object *provider_json(const struct oidc_provider *p)
{
	json_object *o = json_object_new_object();
	char ruri[640];
	size_t l = strlen(p->redirect_base);

	while (l && p->redirect_base[l - 1] == '/')
		l--;
	snprintf(ruri, sizeof(ruri), "%.*s%s", (int)l, p->redirect_base,
		 CALLBACK_PATH);
	json_object_object_add(o, "tenant", json_object_new_int64(p->tenant));
	json_object_object_add(o, "issuer", json_object_new_string(p->issuer));
	json_object_object_add(o, "client_id", json_object_new_string(p->client_id));
	json_object_object_add(o, "client_secret", json_object_new_string(
		p->has_secret ? "<set>" : "<unset>"));
	json_object_object_add(o, "auth_method", json_object_new_string(p->auth_method));
	json_object_object_add(o, "scopes", json_object_new_string(p->scopes));
	json_object_object_add(o, "role_claim", p->role_claim[0] ?
			       json_object_new_string(p->role_claim) : NULL);
	json_object_object_add(o, "role_map", json_object_get(p->role_map));
	json_object_object_add(o, "default_role", p->default_role[0] ?
			       json_object_new_string(p->default_role) : NULL);
	json_object_object_add(o, "redirect_base", json_object_new_string(p->redirect_base));
	json_object_object_add(o, "redirect_uri", json_object_new_string(ruri));
	json_object_object_add(o, "updated_at", json_object_new_string(p->updated_at));
	return o;
}

static void print_provider(const struct oidc_provider *p, int json)
{
	json_object *o = provider_json(p), *v;
	json_object_iter it;

	if (json) {
		printf("%s\n", json_object_to_json_string_ext(o,
		       JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	} else {
		json_object_object_foreachC(o, it) {
			v = it.val;
			printf("%-14s %s\n", it.key, !v ? "-" :
			       json_object_is_type(v, json_type_string) ?
			       json_object_get_string(v) :
			       json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
			       JSON_C_TO_STRING_NOSLASHESCAPE));
		}
	}
	json_object_put(o);
}

/* Overlay the options on p; -1 (said on stderr) when one is bad. */
static int overlay(const char *cmd, const struct aargs *a,
		   struct oidc_provider *p)
{
	char err[512];
	json_object *m;

#define SET(field, val) snprintf(p->field, sizeof(p->field), "%s", (val))
	if (a->issuer) {
		if (!url_ok(a->issuer) || strlen(a->issuer) >= sizeof(p->issuer)) {
			fprintf(stderr, "%s: --issuer must be an https:// (or, for a "
				"test server, http://) URL\n", cmd);
			return -1;
		}
		SET(issuer, a->issuer);
	}
	if (a->redirect_base) {
		if (!url_ok(a->redirect_base) ||
		    strlen(a->redirect_base) >= sizeof(p->redirect_base)) {
			fprintf(stderr, "%s: --redirect-base must be the https:// "
				"URL people reach pulse-host at, e.g. "
				"https://pulse.example.com\n", cmd);
			return -1;
		}
		SET(redirect_base, a->redirect_base);
	}
	if (a->client_id)
		SET(client_id, a->client_id);
	if (a->scopes) {
		if (!strstr(a->scopes, "openid")) {
			fprintf(stderr, "%s: --scopes must include openid\n", cmd);
			return -1;
		}
		SET(scopes, a->scopes);
	}
	if (a->method) {
		if (strcmp(a->method, "basic") != 0 && strcmp(a->method, "post") != 0) {
			fprintf(stderr, "%s: --auth-method is basic "
				"(client_secret_basic) or post (client_secret_post)\n",
				cmd);
			return -1;
		}
		SET(auth_method, a->method[0] == 'b' ? "client_secret_basic" :
		    "client_secret_post");
	}
	if (a->role_claim)
		SET(role_claim, a->role_claim);
	if (a->default_role) {
		if (strcmp(a->default_role, "none") != 0 && !is_role(a->default_role)) {
			fprintf(stderr, "%s: --default-role is admin, user, view or "
				"none (refuse people whose claim maps to no role)\n",
				cmd);
			return -1;
		}
		SET(default_role, strcmp(a->default_role, "none") == 0 ? "" :
		    a->default_role);
	}
	if (a->role_map) {
		if (!(m = parse_role_map(a->role_map, err, sizeof(err)))) {
			fprintf(stderr, "%s: %s\n", cmd, err);
			return -1;
		}
		json_object_put(p->role_map);
		p->role_map = m;
	}
#undef SET
	if (!p->issuer[0] || !p->client_id[0] || !p->redirect_base[0]) {
		fprintf(stderr, "%s: a new provider needs --issuer, --client-id "
			"and --redirect-base\n", cmd);
		return -1;
	}
	if (!p->auth_method[0])
		snprintf(p->auth_method, sizeof(p->auth_method), "client_secret_basic");
	if (!p->scopes[0])
		snprintf(p->scopes, sizeof(p->scopes), "openid email profile");
	return 0;
}

/* The shared frame of set, show and remove. */
static int oidc_cmd(struct cli *cli, int argc, char **argv, const char *op)
{
	char cmd[48], err[1024], who[160];
	struct aargs a;
	struct oidc_provider p;
	struct crypto_key key;
	PGconn *db = NULL;
	json_object *d = NULL;
	char *secret = NULL;
	int64_t tenant;
	int rc, ret = 1, have = 0, keyed = 0;

	memset(&p, 0, sizeof(p));
	snprintf(cmd, sizeof(cmd), "auth oidc %s", op);
	if ((rc = parse(cmd, argc, argv, &a)) != 0)
		return rc == 1 ? 0 : rc;
	if (strcmp(op, "set") != 0 && (a.issuer || a.client_id || a.secret_stdin ||
	    a.secret_file || a.role_map || a.redirect_base)) {
		fprintf(stderr, "%s: takes only --tenant and --json\n", cmd);
		return EXIT_USAGE;
	}
	if (a.secret_stdin && a.secret_file) {
		fprintf(stderr, "%s: --client-secret-stdin or --client-secret-file, "
			"not both\n", cmd);
		return EXIT_USAGE;
	}
	if ((a.secret_stdin || a.secret_file) && !(secret = read_secret(cmd, &a)))
		return 1;
	if (!(db = db_connect_tenant(cli->conf.database_url, err, sizeof(err))) ||
	    tenant_resolve(db, a.tenant, &tenant, err, sizeof(err)) < 0 ||
	    db_tenant_begin(db, tenant, err, sizeof(err)) < 0 ||
	    (rc = oidc_provider_get(db, tenant, NULL, &p, err, sizeof(err))) < 0) {
		fprintf(stderr, "%s: %s\n", cmd, err);
		goto out;
	}
	have = 1;
	if (strcmp(op, "show") == 0) {
		if (rc == OIDC_NOTFOUND) {
			fprintf(stderr, "%s: %s\n", cmd, err);
			goto out;
		}
		print_provider(&p, a.json);
		ret = 0;
		goto out;
	}
	cli_actor(who, sizeof(who));
	d = json_object_new_object();
	if (strcmp(op, "remove") == 0) {
		if ((rc = oidc_provider_remove(db, tenant, err, sizeof(err))) != 0)
			goto fail;
		json_object_object_add(d, "issuer", json_object_new_string(p.issuer));
	} else {
		p.tenant = tenant;
		if (overlay(cmd, &a, &p) < 0) {
			ret = EXIT_USAGE;
			goto out;
		}
		if (secret) {
			if (crypto_init(err, sizeof(err)) < 0 ||
			    crypto_key_load(cli->conf.key_file, 1, &key, err,
					    sizeof(err)) < 0)
				goto fail;
			keyed = 1;
		}
		if (oidc_provider_set(db, &p, &key, secret, err, sizeof(err)) < 0)
			goto fail;
		json_object_object_add(d, "issuer", json_object_new_string(p.issuer));
		json_object_object_add(d, "client_id", json_object_new_string(p.client_id));
		json_object_object_add(d, "secret_changed", json_object_new_boolean(
			secret != NULL));
	}
	if (audit_record(db, tenant, who, strcmp(op, "remove") == 0 ?
			 "sso.remove" : "sso.set", "oidc", NULL, NULL, d, err,
			 sizeof(err)) < 0 || db_commit(db, err, sizeof(err)) < 0)
		goto fail;
	if (strcmp(op, "remove") == 0) {
		if (a.json)
			printf("{\"tenant\":%" PRId64 ",\"removed\":true}\n", tenant);
		else
			printf("single sign-on of tenant %" PRId64 " removed\n", tenant);
	} else {
		oidc_provider_free(&p);
		if (db_tenant_begin(db, tenant, err, sizeof(err)) < 0 ||
		    oidc_provider_get(db, tenant, NULL, &p, err, sizeof(err)) != 0)
			goto fail;
		print_provider(&p, a.json);
	}
	ret = 0;
	goto out;
fail:
	fprintf(stderr, "%s: %s\n", cmd, err);
out:
	if (db) {
		db_rollback(db);
		PQfinish(db);
	}
	if (have)
		oidc_provider_free(&p);
	if (keyed)
		crypto_wipe(&key, sizeof(key));
	crypto_free_secret(secret);
	json_object_put(d);
	return ret;
}

static int oidc_set(struct cli *cli, int argc, char **argv)
{
	return oidc_cmd(cli, argc, argv, "set");
}

static int oidc_show(struct cli *cli, int argc, char **argv)
{
	return oidc_cmd(cli, argc, argv, "show");
}

static int oidc_remove(struct cli *cli, int argc, char **argv)
{
	return oidc_cmd(cli, argc, argv, "remove");
}

static int cmd_oidc(struct cli *cli, int argc, char **argv)
{
	static const struct cli_cmd cmds[] = {
		{"set", oidc_set, "configure the tenant's provider (or change it)"},
		{"show", oidc_show, "the provider and the redirect URI to register"},
		{"remove", oidc_remove, "turn single sign-on off for the tenant"},
		{NULL, NULL, NULL},
	};

	return cli_dispatch(cli, cmds, "pulse-host auth oidc", usage_text,
			    argc - 1, argv + 1);
}

int cmd_auth(struct cli *cli, int argc, char **argv)
{
	static const struct cli_cmd cmds[] = {
		{"oidc", cmd_oidc, "single sign-on over OpenID Connect"},
		{NULL, NULL, NULL},
	};

	return cli_dispatch(cli, cmds, "pulse-host auth", usage_text, argc - 1,
			    argv + 1);
}
