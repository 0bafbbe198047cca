/* cmd_embed: `pulse-host embed` embeds texts with an embedder plugin and
 * prints the vectors as JSON, or with --stats how fast it went. The
 * embedder comes from an integration (--integration ID, its plugin and
 * settings from the database), or from a plugin and inline settings
 * (--plugin NAME --settings JSON), which needs no database: the way to
 * check a model directory before adding the integration. */
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "blascore.h"
#include "cli/cli.h"
#include "db/db.h"
#include "model/integration.h"
#include "plugin/job.h"
#include "plugin/settings.h"

#define EMBED_MAX_TEXTS 1000000	/* from stdin: a sanity bound */

struct embed_texts {
	char **v;		/* owned (stdin) or borrowed (argv) */
	size_t n;
	int owned;
};

static void usage(FILE *f)
{
	fprintf(f, "usage: pulse-host embed (--integration ID | --plugin NAME "
		"--settings JSON) [--stats] [TEXT ...]\n"
		"\nEmbeds each TEXT, or each line of stdin when there is none, and "
		"prints\n{\"model\", \"dimension\", \"embeddings\": [[...], ...]} "
		"(one vector per text, in order).\n--stats prints texts, tokens, "
		"seconds, texts/s and tokens/s instead.\n"
		"Example: pulse-host embed --plugin embed-local --settings "
		"'{\"model_dir\": \"/srv/models/all-MiniLM-L6-v2\"}' \"hello\"\n");
}

static void texts_free(struct embed_texts *t)
{
	if (t->owned)
		for (size_t i = 0; i < t->n; i++)
			free(t->v[i]);
	free(t->v);
}

/* One text per line of stdin (newline stripped). 0 or -1. */
static int texts_stdin(struct embed_texts *t)
{
	char *line = NULL;
	size_t cap = 0, vcap = 0;
	ssize_t got;
	int rc = -1;

	t->owned = 1;
	while ((got = getline(&line, &cap, stdin)) >= 0) {
		if (got > 0 && line[got - 1] == '\n')
			line[got - 1] = '\0';
		if (t->n == EMBED_MAX_TEXTS) {
			fprintf(stderr, "embed: more than %d lines on stdin; split "
				"the input\n", EMBED_MAX_TEXTS);
			goto out;
		}
		if (t->n == vcap) {
			char **nv = realloc(t->v, (vcap ? vcap * 2 : 64) * sizeof(*nv));
			if (!nv)
				goto oom;
			t->v = nv;
			vcap = vcap ? vcap * 2 : 64;
		}
		if (!(t->v[t->n] = strdup(line)))
			goto oom;
		t->n++;
	}
	rc = 0;
	goto out;
oom:
	fprintf(stderr, "embed: out of memory reading stdin\n");
out:
	free(line);
	return rc;
}

/* The plugin and validated settings (with defaults) to embed with. On
 * success *settings is a new reference the caller puts. */
static struct plugin *pick(struct cli *cli, const char *integ, const char *name,
			   const char *inline_json, struct json_object **settings,
			   int64_t *tenant, int64_t *id)
{
	struct integration in;
	struct json_object *given = NULL, *secrets = NULL;
	struct plugin *p = NULL;
	PGconn *c = NULL;
	char err[1024];
	int got = 0;

	memset(&in, 0, sizeof(in));
	if (integ) {
		char *end;
		*id = strtoll(integ, &end, 10);
		if (*end || *id <= 0) {
			fprintf(stderr, "embed: --integration wants a number, got '%s'\n", integ);
			return NULL;
		}
		if (!(c = db_connect_tenant(cli->conf.database_url, err, sizeof(err))) ||
		    integration_get(c, *id, &in, err, sizeof(err)) != 0)
			goto fail;
		got = 1;
		name = in.plugin;
		*tenant = in.tenant_id;
		given = json_object_get(in.settings);
	}
	cli_load_plugins(cli);
	p = loader_find(&cli->ld, name);
	if (!p || p->status != PLUGIN_LOADED || p->kind != PULSE_KIND_EMBEDDER) {
		snprintf(err, sizeof(err), "plugin '%s' is %s; see `pulse-host plugins`",
			 name, !p || p->status != PLUGIN_LOADED ? "not loaded" :
			 "not an embedder");
		p = NULL;
		goto fail;
	}
	if (!integ && settings_parse(p, "--settings", inline_json, 1, &given,
				     &secrets, err, sizeof(err)) < 0) {
		p = NULL;
		goto fail;
	}
	if (!(*settings = settings_with_defaults(p, given, err, sizeof(err))))
		p = NULL;
fail:
	if (!p)
		fprintf(stderr, "embed: %s\n", err);
	json_object_put(given);
	json_object_put(secrets);
	if (got)
		integration_free(&in);
	if (c)
		PQfinish(c);
	return p;
}

/* ', "openblas": {...}' for embed-local, which runs on the host's OpenBLAS:
 * its kernels, where they came from, the CPU's widest ISA and the advice
 * when they are narrower (plugins/common/blascore.h). Nothing for other
 * embedders. */
static void print_blas(const struct plugin *p)
{
	struct blascore_info bi;

	if (!p->name || strcmp(p->name, "embed-local") != 0)
		return;
	blascore_info(&bi);
	printf(", \"openblas\": {\"core\": \"%s\", \"source\": \"%s\", "
	       "\"kernels\": \"%s\", \"cpu\": \"%s\", \"advice\": \"%s\"}",
	       bi.core, bi.source, blascore_isa_name(bi.core_isa),
	       blascore_isa_name(bi.cpu_isa), bi.advice);
}

static void print_vectors(const struct plugin *p, const pulse_embed_info *info,
			  const float *v, size_t n)
{
	printf("{\"model\": \"%s\", \"dimension\": %u",
	       info->model ? info->model : "", info->dimension);
	print_blas(p);
	printf(", \"embeddings\": [");
	for (size_t i = 0; i < n; i++) {
		printf(i ? ",\n[" : "\n[");
		for (uint32_t j = 0; j < info->dimension; j++)
			printf(j ? ", %.9g" : "%.9g", v[i * info->dimension + j]);
		putchar(']');
	}
	printf("]}\n");
}

/* Opens the embedder, embeds t, prints. Returns the exit status. */
static int run(struct plugin *p, struct pulse_job *job, struct embed_texts *t,
	       int stats)
{
	pulse_embed_info info = {PULSE_STRUCT_HEADER(pulse_embed_info)};
	pulse_usage usage = {PULSE_STRUCT_HEADER(pulse_usage)};
	struct timespec t0, t1;
	void *inst = NULL;
	float *out = NULL;
	int rc = 1;

	if (p->embedder.open(p->state, job, &inst) != PULSE_OK ||
	    p->embedder.info(inst, job, &info) != PULSE_OK)
		goto fail;
	if (!info.dimension || !(out = malloc((t->n ? t->n : 1) * info.dimension * sizeof(*out)))) {
		fprintf(stderr, "embed: no room for %zu vectors of %u floats\n",
			t->n, info.dimension);
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (t->n && p->embedder.embed(inst, job, (const char *const *)t->v,
				      (uint32_t)t->n, out, info.dimension,
				      &usage) != PULSE_OK)
		goto fail;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (stats) {
		printf("{\"model\": \"%s\", \"texts\": %zu, \"tokens\": %llu, "
		       "\"seconds\": %.3f, \"texts_per_s\": %.1f, \"tokens_per_s\": %.0f",
		       info.model ? info.model : "", t->n,
		       (unsigned long long)usage.total_tokens, s,
		       s > 0 ? t->n / s : 0, s > 0 ? usage.total_tokens / s : 0);
		print_blas(p);
		printf("}\n");
	} else {
		print_vectors(p, &info, out, t->n);
	}
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "embed: %s\n", job->err[0] ? job->err :
		"the embedder failed without saying why");
out:
	if (inst)
		p->embedder.close(inst);
	free(out);
	return rc;
}

int cmd_embed(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"integration", required_argument, NULL, 'i'},
		{"plugin", required_argument, NULL, 'p'},
		{"settings", required_argument, NULL, 's'},
		{"stats", no_argument, NULL, 'S'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *integ = NULL, *name = NULL, *json = NULL;
	struct embed_texts t = {NULL, 0, 0};
	struct json_object *settings = NULL;
	struct pulse_job job;
	struct plugin *p;
	int64_t tenant = 0, id = 0;
	int o, stats = 0, rc = 1;

	optind = 0;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 'i': integ = optarg; break;
		case 'p': name = optarg; break;
		case 's': json = optarg; break;
		case 'S': stats = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (!integ == !(name && json) || (integ && (name || json))) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!(p = pick(cli, integ, name, json, &settings, &tenant, &id)))
		return 1;
	if (optind < argc) {
		t.v = calloc((size_t)(argc - optind), sizeof(*t.v));
		if (!t.v)
			goto out;
		for (int i = optind; i < argc; i++)
			t.v[t.n++] = argv[i];
	} else if (texts_stdin(&t) < 0) {
		goto out;
	}
	memset(&job, 0, sizeof(job));
	job.plugin = p;
	job.tenant_id = tenant;
	job.integration_id = id;
	job.settings = settings;
	rc = run(p, &job, &t, stats);
out:
	texts_free(&t);
	json_object_put(settings);
	return rc;
}
