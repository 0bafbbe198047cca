/* cmd_integration: `pulse-host integration add|list|show|set-secret`. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cli_audit.h"
#include "base/crypto.h"
#include "db/db.h"
#include "model/integration.h"
#include "plugin/job.h"
#include "plugin/loader.h"
#include "plugin/settings.h"
#include "model/tenant.h"
#include "ai/route_guard.h"

/* A loaded plugin by name, or NULL with a message naming what exists. */
static struct plugin *find_plugin(struct cli *cli, const char *name,
				  char *err, size_t errlen)
{
	struct plugin *p;
	size_t i, used = 0;
	char names[512] = "";

	cli_load_plugins(cli);
	p = loader_find(&cli->ld, name);
	if (p && p->status == PLUGIN_LOADED)
		return p;
	for (i = 0; i < cli->ld.n && used < sizeof(names); i++) {
		int n;

		if (cli->ld.v[i]->status != PLUGIN_LOADED)
			continue;
		n = snprintf(names + used, sizeof(names) - used, "%s%s",
			     used ? ", " : "", cli->ld.v[i]->name);
		if (n > 0)
			used += (size_t)n;
	}
	snprintf(err, errlen, "plugin '%s' is not loaded%s%s; see `pulse-host "
		 "plugins` (and plugin_dirs / --plugin-dir)", name,
		 used ? "; loaded: " : "", names);
	return NULL;
}

/* Whole file into a NUL-terminated string; caller frees. */
static char *read_file(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL, *nb;
	size_t len = 0, cap = 0, n;

	if (!f) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	do {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			if (!(nb = realloc(buf, cap))) {
				snprintf(err, errlen, "%s: out of memory", path);
				goto fail;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
	} while (n > 0);
	if (ferror(f)) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		goto fail;
	}
	buf[len] = '\0';
	if (strlen(buf) != len) {
		snprintf(err, errlen, "%s: contains a NUL byte; not a JSON file", path);
		goto fail;
	}
	fclose(f);
	return buf;
fail:
	if (buf)
		crypto_wipe(buf, len);
	free(buf);
	fclose(f);
	return NULL;
}

/* The plugin's own validate() op over settings + defaults. */
static int plugin_validate(struct plugin *p, struct json_object *settings,
			   struct json_object *secrets, char *err, size_t errlen)
{
	struct pulse_job job;
	struct json_object *full, *tmp;
	char why[512] = "";
	int32_t rc;

	if (!p->source.validate)
		return 0;
	if (!(full = settings_with_defaults(p, settings, err, errlen)))
		return -1;
	/* validate sees which secrets are set, as "<set>" */
	json_object_object_foreach(secrets, k, v) {
		(void)v;
		tmp = json_object_new_string("<set>");
		json_object_object_add(full, k, tmp);
	}
	memset(&job, 0, sizeof(job));
	job.plugin = p;
	job.mode = JOB_EXTRACT;
	job.settings = full;
	rc = p->source.validate(p->state, &job, why, sizeof(why));
	json_object_put(full);
	if (rc != PULSE_OK) {
		snprintf(err, errlen, "plugin '%s' rejects these settings: %.900s",
			 p->name, why[0] ? why : job.err[0] ? job.err : "no reason given");
		return -1;
	}
	return 0;
}

/* `integration add --json`: the new integration on one line, so scripts
 * read its id without scraping the human sentence. */
static void print_added_json(int64_t id, int64_t tid, const char *plugin,
			     const char *name, const char *type, int secrets)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_int64(id));
	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "plugin", json_object_new_string(plugin));
	json_object_object_add(o, "tenant_id", json_object_new_int64(tid));
	json_object_object_add(o, "type", json_object_new_string(type));
	json_object_object_add(o, "secrets_encrypted",
			       json_object_new_boolean(secrets));
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	       JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

static void add_usage(FILE *f)
{
	fprintf(f, "usage: pulse-host integration add --tenant T --plugin NAME "
		"--config FILE.json [--name N] [--type Data|AI|Embedding] "
		"[--json]\n"
		"\nThe JSON file holds the plugin's settings (see `pulse-host "
		"plugins show NAME`).\nSecret fields in it are encrypted with "
		"key_file and never stored in plain text.\n"
		"\n--json prints the new integration as one line of JSON for "
		"scripts:\n  {\"id\":7,\"name\":\"N\",\"plugin\":\"NAME\","
		"\"tenant_id\":1,\"type\":\"Data\",\"secrets_encrypted\":false}\n");
}

/* The audit row of a change to integration id: action with one detail
 * key = value (never a secret). 0 or -1 (said on stderr). */
static int audit_change(PGconn *c, int64_t tenant, const char *cmd,
			const char *action, int64_t id, const char *key,
			const char *value)
{
	json_object *d = json_object_new_object();
	int rc;

	json_object_object_add(d, key, json_object_new_string(value));
	rc = cli_audit(c, tenant, cmd, action, "integration", id, d);
	json_object_put(d);
	return rc;
}

static int integ_add(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"tenant", required_argument, NULL, 't'},
		{"plugin", required_argument, NULL, 'p'},
		{"config", required_argument, NULL, 'c'},
		{"name", required_argument, NULL, 'n'},
		{"type", required_argument, NULL, 'y'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *tenant = NULL, *plugin = NULL, *file = NULL, *name = NULL;
	const char *type = "Data";
	struct json_object *settings = NULL, *secrets = NULL;
	struct crypto_key key;
	struct plugin *p;
	char err[1024], *text = NULL;
	PGconn *c = NULL;
	int64_t tid, id;
	int o, json = 0, rc = 1;

	optind = 0;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 't': tenant = optarg; break;
		case 'p': plugin = optarg; break;
		case 'c': file = optarg; break;
		case 'n': name = optarg; break;
		case 'y': type = optarg; break;
		case 'j': json = 1; break;
		case 'h': add_usage(stdout); return 0;
		default: add_usage(stderr); return EXIT_USAGE;
		}
	}
	if (!tenant || !plugin || !file || optind != argc) {
		add_usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(type, "Data") && strcmp(type, "AI") && strcmp(type, "Embedding")) {
		fprintf(stderr, "integration add: --type must be Data, AI or "
			"Embedding, got '%s'\n", type);
		return EXIT_USAGE;
	}
	memset(&key, 0, sizeof(key));
	if (!(p = find_plugin(cli, plugin, err, sizeof(err))) ||
	    !(text = read_file(file, err, sizeof(err))) ||
	    settings_parse(p, file, text, 1, &settings, &secrets, err,
			   sizeof(err)) < 0 ||
	    plugin_validate(p, settings, secrets, err, sizeof(err)) < 0)
		goto fail;
	if (json_object_object_length(secrets) > 0 &&
	    crypto_key_load(cli->conf.key_file, 1, &key, err, sizeof(err)) < 0)
		goto fail;
	if (!(c = db_connect_tenant(cli->conf.database_url, err, sizeof(err))) ||
	    tenant_resolve(c, tenant, &tid, err, sizeof(err)) < 0 ||
	    ai_settings_guard(c, &cli->ld, tid, settings, name ? name : plugin,
			      plugin, 0, NULL, 0, err, sizeof(err)) < 0 ||
	    integration_add(c, &key, tid, name ? name : plugin, type, plugin,
			    settings, secrets, &id, err, sizeof(err)) < 0)
		goto fail;
	if (audit_change(c, tid, "integration add", "integration.create", id,
			 "plugin", plugin) < 0)
		goto out;
	if (json)
		print_added_json(id, tid, plugin, name ? name : plugin, type,
				 json_object_object_length(secrets) > 0);
	else
		printf("integration %" PRId64 " added: tenant %" PRId64 ", plugin "
		       "%s, name %s, type %s%s\n", id, tid, plugin,
		       name ? name : plugin, type,
		       json_object_object_length(secrets) ?
		       ", secrets encrypted" : "");
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "integration add: %s\n", err);
out:
	crypto_wipe(&key, sizeof(key));
	if (text)
		crypto_wipe(text, strlen(text));
	free(text);
	json_object_put(settings);
	integration_secrets_free(secrets);
	PQfinish(c);
	return rc;
}

static int integ_list(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"tenant", required_argument, NULL, 't'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *tenant = NULL;
	struct json_object *arr = NULL;
	PGresult *tl = NULL, *r = NULL;
	PGconn *c = NULL;
	char err[1024];
	int o, json = 0, rc = 1, t, i;

	optind = 0;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 't': tenant = optarg; break;
		case 'j': json = 1; break;
		case 'h':
			printf("usage: pulse-host integration list [--tenant T] [--json]\n");
			return 0;
		default:
			fprintf(stderr, "usage: pulse-host integration list "
				"[--tenant T] [--json]\n");
			return EXIT_USAGE;
		}
	}
	if (!(c = db_connect_tenant(cli->conf.database_url, err, sizeof(err))))
		goto fail;
	if (tenant) {
		int64_t tid;
		char ids[24];
		const char *p[1];

		if (tenant_resolve(c, tenant, &tid, err, sizeof(err)) < 0)
			goto fail;
		p[0] = db_i64(ids, tid);
		tl = db_query(c, err, sizeof(err), "SELECT id, name FROM tenants "
			      "WHERE id = $1", 1, p);
	} else {
		tl = tenant_list(c, err, sizeof(err));
	}
	if (!tl)
		goto fail;
	arr = json_object_new_array();
	if (!json)
		printf("%-6s %-12s %-24s %-16s %-9s %-7s %s\n", "ID", "TENANT",
		       "NAME", "PLUGIN", "TYPE", "ENABLED", "SECRETS");
	/* RLS shows one tenant per transaction: walk them. */
	for (t = 0; t < PQntuples(tl); t++) {
		if (db_tenant_begin(c, db_int64(tl, t, 0), err, sizeof(err)) < 0)
			goto fail;
		r = db_query(c, err, sizeof(err),
			     "SELECT id, name, plugin, type, enabled, credentials IS NOT NULL"
			     " FROM integrations ORDER BY id", 0, NULL);
		db_commit(c, err, sizeof(err));
		if (!r)
			goto fail;
		for (i = 0; i < PQntuples(r); i++) {
			if (json) {
				struct json_object *x = json_object_new_object();

				json_object_object_add(x, "id", json_object_new_int64(db_int64(r, i, 0)));
				json_object_object_add(x, "tenant_id", json_object_new_int64(db_int64(tl, t, 0)));
				json_object_object_add(x, "tenant", json_object_new_string(PQgetvalue(tl, t, 1)));
				json_object_object_add(x, "name", json_object_new_string(PQgetvalue(r, i, 1)));
				json_object_object_add(x, "plugin", json_object_new_string(PQgetvalue(r, i, 2)));
				json_object_object_add(x, "type", json_object_new_string(PQgetvalue(r, i, 3)));
				json_object_object_add(x, "enabled", json_object_new_boolean(PQgetvalue(r, i, 4)[0] == 't'));
				json_object_object_add(x, "has_credentials", json_object_new_boolean(PQgetvalue(r, i, 5)[0] == 't'));
				json_object_array_add(arr, x);
			} else {
				printf("%-6s %-12s %-24s %-16s %-9s %-7s %s\n",
				       PQgetvalue(r, i, 0), PQgetvalue(tl, t, 1),
				       PQgetvalue(r, i, 1), PQgetvalue(r, i, 2),
				       PQgetvalue(r, i, 3),
				       PQgetvalue(r, i, 4)[0] == 't' ? "yes" : "no",
				       PQgetvalue(r, i, 5)[0] == 't' ? "<set>" : "<unset>");
			}
		}
		PQclear(r);
		r = NULL;
	}
	if (json)
		printf("%s\n", json_object_to_json_string_ext(arr,
		       JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "integration list: %s\n", err);
out:
	json_object_put(arr);
	PQclear(r);
	PQclear(tl);
	PQfinish(c);
	return rc;
}

static int parse_id(const char *s, int64_t *id)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v <= 0)
		return -1;
	*id = v;
	return 0;
}

static int integ_show(struct cli *cli, int argc, char **argv)
{
	struct integration in;
	struct json_object *o = NULL, *set, *secrets = NULL;
	struct crypto_key key;
	struct plugin *p;
	PGconn *c = NULL;
	char err[1024], why[1024] = "";
	int64_t id;
	size_t i;
	int rc = 1, unreadable = 0;

	memset(&in, 0, sizeof(in));
	memset(&key, 0, sizeof(key));
	if (argc != 2 || cli_is_help(argv[1]) || parse_id(argv[1], &id) < 0) {
		fprintf(argc == 2 && cli_is_help(argv[1]) ? stdout : stderr,
			"usage: pulse-host integration show ID\n");
		return argc == 2 && cli_is_help(argv[1]) ? 0 : EXIT_USAGE;
	}
	if (!(c = db_connect_tenant(cli->conf.database_url, err, sizeof(err))) ||
	    integration_get(c, id, &in, err, sizeof(err)) != 0)
		goto fail;
	if (in.credentials) {
		if (crypto_key_load(cli->conf.key_file, 0, &key, why, sizeof(why)) < 0 ||
		    integration_secrets(&in, &key, &secrets, why, sizeof(why)) < 0)
			unreadable = 1;
	}
	cli_load_plugins(cli);
	p = loader_find(&cli->ld, in.plugin);
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_int64(in.id));
	json_object_object_add(o, "tenant_id", json_object_new_int64(in.tenant_id));
	json_object_object_add(o, "name", json_object_new_string(in.name));
	json_object_object_add(o, "plugin", json_object_new_string(in.plugin));
	json_object_object_add(o, "type", json_object_new_string(in.type));
	json_object_object_add(o, "enabled", json_object_new_boolean(in.enabled));
	set = json_object_get(in.settings);
	json_object_object_add(o, "settings", set);
	/* Secrets: only whether they are set, never the value. */
	for (i = 0; p && p->status == PLUGIN_LOADED && i < p->nfields; i++) {
		unsigned t = p->fields[i].type;

		if (t != PULSE_CFG_SECRET && t != PULSE_CFG_SECRET_LIST)
			continue;
		json_object_object_add(set, p->fields[i].name,
			json_object_new_string(unreadable ? "<unreadable>" :
				secrets && json_object_object_get_ex(secrets,
					p->fields[i].name, NULL) ? "<set>" : "<unset>"));
	}
	if (secrets && (!p || p->status != PLUGIN_LOADED)) {
		json_object_object_foreach(secrets, k, v) {
			(void)v;
			json_object_object_add(set, k, json_object_new_string("<set>"));
		}
	}
	if (unreadable)
		json_object_object_add(o, "credentials_error", json_object_new_string(why));
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
						      JSON_C_TO_STRING_NOSLASHESCAPE));
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "integration show: %s\n", err);
out:
	crypto_wipe(&key, sizeof(key));
	integration_secrets_free(secrets);
	json_object_put(o);
	integration_free(&in);
	PQfinish(c);
	return rc;
}

/* Read secret lines from stdin (echo off on a terminal). Returns a JSON
 * value: a string (SECRET) or an array (SECRET_LIST); NULL with err. */
static struct json_object *read_secret(int list, const char *field, char *err,
				       size_t errlen)
{
	struct json_object *arr = NULL, *v = NULL;
	struct termios old, quiet;
	int tty = isatty(STDIN_FILENO), restore = 0;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (tty) {
		fprintf(stderr, "%s for '%s'%s: ", list ? "secrets, one per line,"
			: "secret", field, list ? " (end with Ctrl-D)" : "");
		if (tcgetattr(STDIN_FILENO, &old) == 0) {
			quiet = old;
			quiet.c_lflag &= ~(tcflag_t)ECHO;
			restore = tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
		}
	}
	arr = json_object_new_array();
	while ((n = getline(&line, &cap, stdin)) >= 0) {
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (n > 0)
			json_object_array_add(arr, json_object_new_string(line));
		crypto_wipe(line, cap);
		if (!list && json_object_array_length(arr) == 1 && tty)
			break;
	}
	if (restore) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fprintf(stderr, "\n");
	}
	if (line)
		crypto_wipe(line, cap);
	free(line);
	if (json_object_array_length(arr) == 0) {
		snprintf(err, errlen, "no secret read from standard input for "
			 "'%s' (pipe it in: printf '%%s\\n' \"$TOKEN\" | "
			 "pulse-host integration set-secret ID %s)", field, field);
		goto out;
	}
	if (!list) {
		if (json_object_array_length(arr) > 1) {
			snprintf(err, errlen, "'%s' holds one secret but %zu "
				 "lines were read", field,
				 json_object_array_length(arr));
			goto out;
		}
		v = json_object_get(json_object_array_get_idx(arr, 0));
	} else {
		v = json_object_get(arr);
	}
out:
	if (v) {
		json_object_put(arr); /* v holds its own reference */
	} else {
		struct json_object *w = json_object_new_object();

		json_object_object_add(w, "x", arr);
		integration_secrets_free(w); /* wipes the lines read */
	}
	return v;
}

static int integ_set_secret(struct cli *cli, int argc, char **argv)
{
	struct integration in;
	struct json_object *secrets = NULL, *v = NULL;
	struct crypto_key key;
	struct plugin *p;
	PGconn *c = NULL;
	char err[1024];
	unsigned t;
	int64_t id;
	int rc = 1;

	memset(&in, 0, sizeof(in));
	memset(&key, 0, sizeof(key));
	if (argc != 3 || parse_id(argv[1], &id) < 0) {
		int help = argc == 2 && cli_is_help(argv[1]);

		fprintf(help ? stdout : stderr, "usage: pulse-host integration "
			"set-secret ID FIELD < secret\n(the value is read from "
			"standard input, never from the command line; one "
			"secret per line for list fields)\n");
		return help ? 0 : EXIT_USAGE;
	}
	if (!(c = db_connect_tenant(cli->conf.database_url, err, sizeof(err))) ||
	    integration_get(c, id, &in, err, sizeof(err)) != 0 ||
	    !(p = find_plugin(cli, in.plugin, err, sizeof(err))))
		goto fail;
	t = settings_field_type(p, argv[2]);
	if (t != PULSE_CFG_SECRET && t != PULSE_CFG_SECRET_LIST) {
		char names[512];

		settings_field_names(p, names, sizeof(names));
		snprintf(err, sizeof(err), "'%s' is not a secret field of plugin "
			 "'%s' (%s); fields: %s", argv[2], p->name,
			 t ? "it is a plain setting" : "no such field", names);
		goto fail;
	}
	if (crypto_key_load(cli->conf.key_file, 1, &key, err, sizeof(err)) < 0 ||
	    integration_secrets(&in, &key, &secrets, err, sizeof(err)) < 0 ||
	    !(v = read_secret(t == PULSE_CFG_SECRET_LIST, argv[2], err, sizeof(err))))
		goto fail;
	{
		struct json_object *old, *w;

		/* wipe the value being replaced before json-c frees it */
		if (json_object_object_get_ex(secrets, argv[2], &old)) {
			w = json_object_new_object();
			json_object_object_add(w, "x", json_object_get(old));
			json_object_object_del(secrets, argv[2]);
			integration_secrets_free(w);
		}
	}
	json_object_object_add(secrets, argv[2], v);
	if (integration_set_credentials(c, &key, &in, secrets, err, sizeof(err)) < 0)
		goto fail;
	/* the field's name only, never its value */
	if (audit_change(c, in.tenant_id, "integration set-secret",
			 "integration.secret_set", id, "field", argv[2]) < 0)
		goto out;
	printf("integration %" PRId64 ": secret '%s' set (encrypted)\n", id, argv[2]);
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "integration set-secret: %s\n", err);
out:
	crypto_wipe(&key, sizeof(key));
	integration_secrets_free(secrets);
	integration_free(&in);
	PQfinish(c);
	return rc;
}

int cmd_integration(struct cli *cli, int argc, char **argv)
{
	static const struct cli_cmd cmds[] = {
		{"add", integ_add, "add an integration from a JSON settings file"},
		{"list", integ_list, "list integrations (--tenant T, --json)"},
		{"show", integ_show, "show one integration (secrets as <set>/<unset>)"},
		{"set-secret", integ_set_secret, "set a secret field from standard input"},
		{"update", cmd_integration_update, "replace an integration's settings from a JSON file"},
		{NULL, NULL, NULL},
	};

	return cli_dispatch(cli, cmds, "pulse-host integration",
			    "usage: pulse-host integration COMMAND [ARGS]\n",
			    argc - 1, argv + 1);
}
