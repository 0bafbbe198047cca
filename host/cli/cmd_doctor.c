/* cmd_doctor: `pulse-host doctor [--json]` checks the whole install the
 * way an operator would, one line per check: the configuration, the key
 * files (present, private, 32 bytes), the database (reachable, every
 * migration applied and unchanged), the plugins (each loaded, or why
 * not), and every embedder: each Embedding integration, and each embedder
 * plugin no integration uses (with its defaults), is opened the way a job
 * opens it (the plugin loads and checks its model files, and verifies
 * their sha256 when the settings give one), then embeds a probe text. It
 * changes nothing. Exit status 1 when a check fails; warnings do not. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "blascore.h"
#include "base/crypto.h"
#include "cli/cli.h"
#include "db/db.h"
#include "db/migrate.h"
#include "model/tenant.h"
#include "plugin/job.h"
#include "plugin/settings.h"

#define PROBE_TEXT "pulse-host doctor: can this model embed a sentence?"

struct doctor {
	struct json_object *checks; /* array of {check, status, detail, ...} */
	int failed, warned, json;
};

/* Records one check (status "ok", "warn", "fail" or "skip"); extra, when
 * not NULL, is merged into its JSON object (taken over). */
static void report(struct doctor *d, const char *check, const char *status,
		   struct json_object *extra, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void report(struct doctor *d, const char *check, const char *status,
		   struct json_object *extra, const char *fmt, ...)
{
	char detail[1536];
	va_list ap;
	struct json_object *o = json_object_new_object();

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	/* one line per check (libpq's messages span lines) */
	for (char *q = detail; *q; q++)
		if (*q == '\n' || *q == '\t')
			*q = ' ';
	d->failed += strcmp(status, "fail") == 0;
	d->warned += strcmp(status, "warn") == 0;
	json_object_object_add(o, "check", json_object_new_string(check));
	json_object_object_add(o, "status", json_object_new_string(status));
	json_object_object_add(o, "detail", json_object_new_string(detail));
	if (extra) {
		json_object_object_foreach(extra, k, v)
			json_object_object_add(o, k, json_object_get(v));
		json_object_put(extra);
	}
	json_object_array_add(d->checks, o);
	if (!d->json)
		printf("%-5s %-28s %s\n", status, check, detail);
}

static void check_config(struct doctor *d, struct cli *cli)
{
	report(d, "config", "ok", NULL, "%s", cli->conf.path ? cli->conf.path :
	       "no file: built-in defaults and PULSE_HOST_* variables");
}

/* A key file: a missing one is made on first use (a warning); otherwise
 * it must pass crypto_key_file_check and hold exactly 32 bytes. */
static void check_key(struct doctor *d, const char *what, const char *path)
{
	char err[1024];
	struct stat st;

	if (!path || !*path) {
		report(d, what, "fail", NULL, "not set in the configuration");
		return;
	}
	if (stat(path, &st) != 0) {
		if (errno == ENOENT)
			report(d, what, "warn", NULL, "%s: missing; it is created "
			       "(0600) on first use", path);
		else
			report(d, what, "fail", NULL, "%s: %s", path, strerror(errno));
		return;
	}
	if (crypto_key_file_check(path, err, sizeof(err)) < 0) {
		report(d, what, "fail", NULL, "%s", err);
		return;
	}
	if (st.st_size != CRYPTO_KEY_LEN) {
		report(d, what, "fail", NULL, "%s: %lld bytes, a key has %d: restore "
		       "it from the backup", path, (long long)st.st_size,
		       CRYPTO_KEY_LEN);
		return;
	}
	report(d, what, "ok", NULL, "%s: mode %04o, %d bytes", path,
	       (unsigned)(st.st_mode & 07777), CRYPTO_KEY_LEN);
}

/* Returns a connection (caller PQfinishes) or NULL after a failed check. */
static PGconn *check_database(struct doctor *d, struct cli *cli)
{
	char err[1024], masked[512];
	PGconn *c;

	conf_mask_url(cli->conf.database_url ? cli->conf.database_url : "",
		      masked, sizeof(masked));
	c = db_connect(cli->conf.database_url, err, sizeof(err));
	if (!c) {
		report(d, "database", "fail", NULL, "%s", err);	/* names the URL, masked */
		return NULL;
	}
	report(d, "database", "ok", NULL, "%s: connected (server %d)", masked,
	       PQserverVersion(c));
	return c;
}

/* The role must be one RLS binds (db_check_rls_role); doctor reports it
 * instead of refusing, so it stays usable to diagnose a wrong URL. */
static void check_role(struct doctor *d, PGconn *c)
{
	char err[1024];

	if (!c) {
		report(d, "database role", "skip", NULL, "no database connection");
		return;
	}
	if (db_check_rls_role(c, NULL, err, sizeof(err)) < 0)
		report(d, "database role", "fail", NULL, "%s", err);
	else
		report(d, "database role", "ok", NULL, "'%s': row-level security "
		       "applies to it", PQuser(c));
}

static void check_migrations(struct doctor *d, PGconn *c)
{
	struct migrate_summary s;
	char err[1024];

	if (!c) {
		report(d, "migrations", "skip", NULL, "no database connection");
		return;
	}
	if (migrate_summary(c, &s, err, sizeof(err)) < 0) {
		report(d, "migrations", "fail", NULL, "%s", err);
		return;
	}
	if (s.changed)
		report(d, "migrations", "fail", NULL, "%d applied migration(s) "
		       "changed since: this binary and the database disagree; "
		       "`pulse-host migrate --status` lists them", s.changed);
	else if (s.pending)
		report(d, "migrations", "fail", NULL, "%d of %d pending: run "
		       "`pulse-host migrate` (as the database owner)", s.pending,
		       s.known);
	else if (s.unknown)
		report(d, "migrations", "warn", NULL, "all %d applied, and %d newer "
		       "one(s) this binary does not know (latest %s): upgrade "
		       "pulse-host", s.known, s.unknown, s.latest);
	else
		report(d, "migrations", "ok", NULL, "all %d applied (latest %s)",
		       s.known, s.latest);
}

static void check_plugins(struct doctor *d, struct cli *cli)
{
	cli_load_plugins(cli);
	if (cli->ld.n == 0) {
		report(d, "plugins", "warn", NULL, "no plugin found in the plugin "
		       "directories (plugin_dirs, --plugin-dir)");
		return;
	}
	for (size_t i = 0; i < cli->ld.n; i++) {
		struct plugin *p = cli->ld.v[i];
		char check[96];

		snprintf(check, sizeof(check), "plugin %s", p->name ? p->name : "?");
		if (p->status == PLUGIN_LOADED)
			report(d, check, "ok", NULL, "%s %s, ABI %u.%u (%s)",
			       loader_kind_name(p->kind), p->version, p->abi_major,
			       p->abi_minor, p->path);
		else
			report(d, check, "fail", NULL, "%s: refused: %s", p->path,
			       p->reason ? p->reason : "no reason given");
	}
}

/* OpenBLAS's kernels against the CPU (plugins/common/blascore.h): a
 * warning with the remedy when embed-local is loaded on kernels narrower
 * than the CPU's. */
static void check_blas(struct doctor *d, struct cli *cli)
{
	struct blascore_info bi;
	struct json_object *extra = json_object_new_object();
	int embeds = 0;

	for (size_t i = 0; i < cli->ld.n; i++)
		embeds |= cli->ld.v[i]->status == PLUGIN_LOADED && cli->ld.v[i]->name &&
			  strcmp(cli->ld.v[i]->name, "embed-local") == 0;
	blascore_info(&bi);
	json_object_object_add(extra, "core", json_object_new_string(bi.core));
	json_object_object_add(extra, "source", json_object_new_string(bi.source));
	json_object_object_add(extra, "cpu", json_object_new_string(
			       blascore_isa_name(bi.cpu_isa)));
	if (bi.advice[0] && embeds)
		report(d, "openblas", "warn", extra, "%s", bi.advice);
	else
		report(d, "openblas", "ok", extra, "core %s (%s, %s kernels) on a "
		       "CPU with %s", bi.core, bi.source,
		       blascore_isa_name(bi.core_isa), blascore_isa_name(bi.cpu_isa));
}

/* True when settings give a non-empty "sha256" the plugin declares: then
 * opening the instance has verified the weights. */
static int verifies(const struct plugin *p, struct json_object *settings)
{
	struct json_object *v;
	int declared = 0;

	for (size_t i = 0; i < p->nfields; i++)
		declared |= strcmp(p->fields[i].name, "sha256") == 0;
	return declared && json_object_object_get_ex(settings, "sha256", &v) &&
	       json_object_is_type(v, json_type_string) &&
	       json_object_get_string_len(v) > 0;
}

/* Opens embedder p with given settings (NULL: the defaults), embeds the
 * probe text, and reports. strict: a failure fails (an integration) or
 * only warns (a plugin no integration uses). */
static void check_embedder(struct doctor *d, const char *check,
			   struct plugin *p, struct json_object *given,
			   int64_t tenant, int64_t id, int strict)
{
	pulse_embed_info info = {PULSE_STRUCT_HEADER(pulse_embed_info)};
	pulse_usage usage = {PULSE_STRUCT_HEADER(pulse_usage)};
	const char *probe[1] = {PROBE_TEXT};
	struct json_object *settings, *extra = json_object_new_object();
	struct pulse_job job;
	char err[1024];
	void *inst = NULL;
	float *v = NULL;
	const char *bad = strict ? "fail" : "warn";

	json_object_object_add(extra, "plugin", json_object_new_string(p->name));
	if (id)
		json_object_object_add(extra, "integration", json_object_new_int64(id));
	if (!(settings = settings_with_defaults(p, given, err, sizeof(err)))) {
		report(d, check, bad, extra, "settings: %s", err);
		return;
	}
	memset(&job, 0, sizeof(job));
	job.plugin = p;
	job.tenant_id = tenant;
	job.integration_id = id;
	job.settings = settings;
	if (p->embedder.open(p->state, &job, &inst) != PULSE_OK ||
	    p->embedder.info(inst, &job, &info) != PULSE_OK) {
		report(d, check, bad, extra, "%s", job.err[0] ? job.err :
		       "the plugin failed without saying why");
		goto out;
	}
	json_object_object_add(extra, "model", json_object_new_string(
			       info.model ? info.model : ""));
	json_object_object_add(extra, "dimension", json_object_new_int64(info.dimension));
	if (!info.dimension || !(v = calloc(info.dimension, sizeof(*v)))) {
		report(d, check, bad, extra, "model %s: dimension %u",
		       info.model ? info.model : "?", info.dimension);
		goto out;
	}
	if (p->embedder.embed(inst, &job, probe, 1, v, info.dimension, &usage) != PULSE_OK) {
		report(d, check, bad, extra, "the model loads but embedding a "
		       "probe text failed: %s", job.err[0] ? job.err : "no reason given");
		goto out;
	}
	double nn = 0;
	for (uint32_t i = 0; i < info.dimension; i++)
		nn += (double)v[i] * v[i];
	if (!isfinite(nn) || nn == 0) {
		report(d, check, bad, extra, "model %s gives a %s vector for a "
		       "probe text: the weights are damaged", info.model ? info.model : "?",
		       nn == 0 ? "zero" : "non-finite");
		goto out;
	}
	int verified = verifies(p, settings);
	json_object_object_add(extra, "verified", json_object_new_boolean(verified));
	if (verified)
		report(d, check, "ok", extra, "model %s, %u dimensions: files present, "
		       "sha256 verified, probe text embedded",
		       info.model ? info.model : "?", info.dimension);
	else
		report(d, check, "warn", extra, "model %s, %u dimensions: files "
		       "present and well-formed, probe text embedded, but not "
		       "verified: set \"sha256\" in the settings "
		       "(docs/embeddings.md)", info.model ? info.model : "?",
		       info.dimension);
out:
	if (inst)
		p->embedder.close(inst);
	free(v);
	json_object_put(settings);
}

/* Each enabled Embedding integration (walking the tenants: RLS shows one
 * per transaction); marks the plugins they use in used[]. */
static void check_integrations(struct doctor *d, struct cli *cli, PGconn *c,
			       char *used)
{
	char err[1024];
	PGresult *tl = c ? tenant_list(c, err, sizeof(err)) : NULL;
	int n = 0;

	if (!c) {
		report(d, "embedding integrations", "skip", NULL, "no database connection");
		return;
	}
	if (!tl) {
		report(d, "embedding integrations", "fail", NULL, "%s", err);
		return;
	}
	for (int t = 0; t < PQntuples(tl); t++) {
		int64_t tenant = db_int64(tl, t, 0);
		PGresult *r;

		if (db_tenant_begin(c, tenant, err, sizeof(err)) < 0) {
			report(d, "embedding integrations", "fail", NULL, "%s", err);
			break;
		}
		r = db_query(c, err, sizeof(err), "SELECT id, name, plugin, settings::text,"
			     " enabled FROM integrations WHERE type = 'Embedding'"
			     " ORDER BY id", 0, NULL);
		db_commit(c, err, sizeof(err));
		if (!r) {
			report(d, "embedding integrations", "fail", NULL, "%s", err);
			break;
		}
		for (int i = 0; i < PQntuples(r); i++, n++) {
			char check[160];
			const char *name = PQgetvalue(r, i, 2);
			struct plugin *p = loader_find(&cli->ld, name);
			int64_t id = db_int64(r, i, 0);

			snprintf(check, sizeof(check), "embedder integration %lld (%.64s)",
				 (long long)id, PQgetvalue(r, i, 1));
			if (p)
				for (size_t k = 0; k < cli->ld.n; k++)
					used[k] |= cli->ld.v[k] == p;
			if (PQgetvalue(r, i, 4)[0] != 't') {
				report(d, check, "skip", NULL, "disabled");
			} else if (!p || p->status != PLUGIN_LOADED ||
				   p->kind != PULSE_KIND_EMBEDDER) {
				report(d, check, "fail", NULL, "plugin '%s' is %s", name,
				       !p || p->status != PLUGIN_LOADED ? "not loaded" :
				       "not an embedder");
			} else {
				struct json_object *given =
					json_tokener_parse(PQgetvalue(r, i, 3));
				check_embedder(d, check, p, given, tenant, id, 1);
				json_object_put(given);
			}
		}
		PQclear(r);
	}
	PQclear(tl);
	if (n == 0)
		report(d, "embedding integrations", "ok", NULL, "none configured");
}

static void usage(FILE *f)
{
	fprintf(f, "usage: pulse-host doctor [--json]\n\n"
		"Checks the install and prints one line per check (ok, warn, fail,\n"
		"skip): the configuration; key_file and jwt_key_file (present, mode,\n"
		"owner, 32 bytes); the database (reachable; every migration applied\n"
		"and unchanged); each plugin (loaded, or why it was refused); each\n"
		"Embedding integration, and each embedder plugin no integration uses\n"
		"(with its default settings): the model files load, their sha256 is\n"
		"verified when the settings give one, and a probe text embeds.\n"
		"Changes nothing. Exit status 1 when a check fails.\n"
		"--json prints {\"ok\", \"failed\", \"warnings\", \"checks\": [{\"check\",\n"
		"\"status\", \"detail\", ...}]}.\n\n"
		"Example: pulse-host doctor --json | jq '.checks[] | select(.status != \"ok\")'\n");
}

int cmd_doctor(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct doctor d = {json_object_new_array(), 0, 0, 0};
	char *used = NULL;
	PGconn *c;
	int o;

	optind = 0;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 'j': d.json = 1; break;
		case 'h': usage(stdout); json_object_put(d.checks); return 0;
		default: usage(stderr); json_object_put(d.checks); return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "doctor: unexpected argument '%s' (try --help)\n", argv[optind]);
		json_object_put(d.checks);
		return EXIT_USAGE;
	}
	check_config(&d, cli);
	check_key(&d, "key_file", cli->conf.key_file);
	check_key(&d, "jwt_key_file", cli->conf.jwt_key_file);
	c = check_database(&d, cli);
	check_role(&d, c);
	check_migrations(&d, c);
	check_plugins(&d, cli);
	check_blas(&d, cli);
	used = calloc(cli->ld.n + 1, 1);
	if (used) {
		check_integrations(&d, cli, c, used);
		/* embedders no integration uses: their defaults, as a warning */
		for (size_t i = 0; i < cli->ld.n; i++) {
			struct plugin *p = cli->ld.v[i];
			char check[96];

			if (used[i] || p->status != PLUGIN_LOADED ||
			    p->kind != PULSE_KIND_EMBEDDER)
				continue;
			snprintf(check, sizeof(check), "embedder %s (defaults)", p->name);
			check_embedder(&d, check, p, NULL, 0, 0, 0);
		}
	} else {
		report(&d, "embedders", "fail", NULL, "out of memory");
	}
	if (d.json) {
		struct json_object *top = json_object_new_object();

		json_object_object_add(top, "ok", json_object_new_boolean(d.failed == 0));
		json_object_object_add(top, "failed", json_object_new_int(d.failed));
		json_object_object_add(top, "warnings", json_object_new_int(d.warned));
		json_object_object_add(top, "checks", json_object_get(d.checks));
		printf("%s\n", json_object_to_json_string_ext(top, JSON_C_TO_STRING_PRETTY |
			       JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(top);
	} else {
		printf("doctor: %d failed, %d warning(s), %zu checks\n", d.failed,
		       d.warned, json_object_array_length(d.checks));
	}
	if (c)
		PQfinish(c);
	free(used);
	json_object_put(d.checks);
	return d.failed ? 1 : 0;
}
