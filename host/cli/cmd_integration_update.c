/*
 * cmd_integration_update: `pulse-host integration update ID --config FILE`
 * replaces an integration's settings, checked as `add` checks them (the
 * plugin's fields, and for AI/Embedding integrations ai_model_config and
 * the pinned embedding model, host/ai/route_guard.h). Secret fields in the
 * file replace those secrets; secrets not in it are kept.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ai/route_guard.h"
#include "ai/vectorize.h"
#include "base/crypto.h"
#include "cli/cli.h"
#include "cli/cli_audit.h"
#include "db/db.h"
#include "model/integration.h"
#include "plugin/loader.h"
#include "plugin/settings.h"

static const char upd_usage[] =
	"usage: pulse-host integration update ID --config FILE.json "
	"[--re-vectorize] [--json]\n"
	"\nReplaces the settings of integration ID with those of the JSON file\n"
	"(all of them, checked as `integration add` checks them). Secret fields\n"
	"in the file replace those secrets; the others are kept.\n"
	"\n--re-vectorize  allow changing the embedding model behind vectors that\n"
	"                exist: clears the pinned model and queues every row of\n"
	"                the tenant to be embedded again (`vectorize rebuild`)\n"
	"--json          print {\"id\":ID,\"updated\":true,\"requeued\":N}\n";

/* Whole file into a NUL-terminated string (caller wipes and frees). */
static char *slurp(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0;
	FILE *m;

	if (!f) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	if (!(m = open_memstream(&buf, &len))) {
		fclose(f);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (int ch; (ch = fgetc(f)) != EOF;)
		fputc(ch, m);
	fclose(m);
	if (ferror(f) || !buf || strlen(buf) != len) {
		snprintf(err, errlen, "cannot read %s as a JSON text file", path);
		if (buf)
			crypto_wipe(buf, len);
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* Merge secrets into in's sealed credentials. 0 or -1. */
static int merge_secrets(struct cli *cli, PGconn *c, struct integration *in,
			 struct json_object *secrets, char *err, size_t errlen)
{
	struct json_object *old = NULL;
	struct crypto_key key;
	int rc = -1;

	if (crypto_key_load(cli->conf.key_file, 1, &key, err, errlen) < 0)
		return -1;
	if (in->credentials &&
	    integration_secrets(in, &key, &old, err, errlen) < 0)
		goto out;
	if (old) {
		json_object_object_foreach(secrets, k, v)
			json_object_object_add(old, k, json_object_get(v));
	}
	rc = integration_set_credentials(c, &key, in, old ? old : secrets, err,
					 errlen);
out:
	if (old)
		integration_secrets_free(old);
	crypto_wipe(&key, sizeof(key));
	return rc;
}

/* The audit row of the update: which secret fields changed (names only)
 * and whether the vectors were requeued. 0 or -1 (said on stderr). */
static int update_audit(PGconn *c, int64_t tenant, int64_t id,
			json_object *secrets, int requeue)
{
	json_object *d = json_object_new_object(), *f = json_object_new_array();
	int rc;

	if (secrets) {
		json_object_object_foreach(secrets, k, v) {
			(void)v;
			json_object_array_add(f, json_object_new_string(k));
		}
	}
	json_object_object_add(d, "secret_fields", f);
	json_object_object_add(d, "re_vectorize", json_object_new_boolean(requeue));
	rc = cli_audit(c, tenant, "integration update", "integration.update",
		       "integration", id, d);
	json_object_put(d);
	return rc;
}

int cmd_integration_update(struct cli *cli, int argc, char **argv)
{
	const char *file = NULL, *ids = NULL;
	struct json_object *settings = NULL, *secrets = NULL;
	struct integration in;
	const struct plugin *p;
	char err[1536], *text = NULL, *end;
	int json = 0, rev = 0, rc = 1, have_in = 0;
	uint64_t requeued = 0;
	PGconn *c = NULL;
	int64_t id;

	for (int i = 1; i < argc; i++) {
		int o = cli_opt_value("integration update", argc, argv, &i,
				      "--config", &file);

		if (o < 0)
			return EXIT_USAGE;
		if (o)
			continue;
		if (cli_is_help(argv[i])) {
			fputs(upd_usage, stdout);
			return 0;
		} else if (!strcmp(argv[i], "--json")) {
			json = 1;
		} else if (!strcmp(argv[i], "--re-vectorize")) {
			rev = 1;
		} else if (!ids && argv[i][0] != '-') {
			ids = argv[i];
		} else {
			fprintf(stderr, "integration update: unknown argument '%s'\n%s",
				argv[i], upd_usage);
			return EXIT_USAGE;
		}
	}
	id = ids ? strtoll(ids, &end, 10) : 0;
	if (!ids || *end || id <= 0 || !file) {
		fputs(upd_usage, stderr);
		return EXIT_USAGE;
	}
	cli_load_plugins(cli);
	if (!(c = db_connect_tenant(cli->conf.database_url, err, sizeof(err))) ||
	    integration_get(c, id, &in, err, sizeof(err)) != 0)
		goto fail;
	have_in = 1;
	if (!(p = loader_find(&cli->ld, in.plugin)) || p->status != PLUGIN_LOADED) {
		snprintf(err, sizeof(err), "plugin '%s' of integration %" PRId64
			 " is not loaded; see `pulse-host plugins`", in.plugin, id);
		goto fail;
	}
	if (!(text = slurp(file, err, sizeof(err))) ||
	    settings_parse(p, file, text, 1, &settings, &secrets, err,
			   sizeof(err)) < 0 ||
	    ai_settings_guard(c, &cli->ld, in.tenant_id, settings, in.name,
			      in.plugin, id, in.settings, rev, err,
			      sizeof(err)) < 0 ||
	    integration_update(c, in.tenant_id, id,
			       json_object_to_json_string_ext(settings,
							      JSON_C_TO_STRING_PLAIN),
			       -1, NULL, err, sizeof(err)) < 0)
		goto fail;
	if (json_object_object_length(secrets) > 0 &&
	    merge_secrets(cli, c, &in, secrets, err, sizeof(err)) < 0)
		goto fail;
	if (rev && vz_rebuild(c, in.tenant_id, NULL, &requeued, err,
			      sizeof(err)) < 0)
		goto fail;
	if (update_audit(c, in.tenant_id, id, secrets, rev) < 0)
		goto out;
	if (json)
		printf("{\"id\":%" PRId64 ",\"updated\":true,\"requeued\":%llu}\n",
		       id, (unsigned long long)requeued);
	else
		printf("integration %" PRId64 " (%s) updated%s\n", id, in.name,
		       rev ? "; the embedding model pin is cleared and every row "
		       "is queued: run `pulse-host vectorize run`" : "");
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "integration update: %s\n", err);
out:
	if (text) {
		crypto_wipe(text, strlen(text));
		free(text);
	}
	json_object_put(settings);
	if (secrets)
		integration_secrets_free(secrets);
	if (have_in)
		integration_free(&in);
	PQfinish(c);
	return rc;
}
