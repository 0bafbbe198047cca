/* cli_ai: database, key and plugins for the AI commands (cli_ai.h). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "base/conf.h"
#include "cli/cli_ai.h"
#include "db/db.h"
#include "model/tenant.h"

int cli_ai_open(const struct conf *conf, struct loader *ld, const char *cmd,
		const char *tenant, struct cli_ai *a)
{
	char err[1024];

	memset(a, 0, sizeof(*a));
	if (!conf->database_url || !*conf->database_url) {
		fprintf(stderr, "%s: no database configured; set database_url in "
			"%s or PULSE_HOST_DATABASE_URL\n", cmd,
			conf->path ? conf->path : conf_default_path());
		return -1;
	}
	a->db = db_connect_tenant(conf->database_url, err, sizeof(err));
	if (!a->db) {
		fprintf(stderr, "%s: %s\n", cmd, err);
		return -1;
	}
	if (tenant && tenant_resolve(a->db, tenant, &a->tenant, err,
				     sizeof(err)) < 0)
		goto fail;
	if (crypto_init(err, sizeof(err)) < 0 ||
	    crypto_key_load(conf->key_file, 1, &a->key, err, sizeof(err)) < 0)
		goto fail;
	a->ctx.db = a->db;
	a->ctx.ld = ld;
	a->ctx.key = &a->key;
	a->ctx.conf = conf;
	return 0;
fail:
	fprintf(stderr, "%s: %s\n", cmd, err);
	cli_ai_close(a);
	return -1;
}

void cli_ai_close(struct cli_ai *a)
{
	if (a->db)
		PQfinish(a->db);
	a->db = NULL;
	crypto_wipe(&a->key, sizeof(a->key));
}
