/* cmd_vectorize: `pulse-host vectorize run|status|rebuild`, the
 * vectorization stage from the command line (host/ai/vectorize.c;
 * docs/vectors.md). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "ai/vectorize.h"
#include "cli/cli.h"
#include "cli/cli_ai.h"
#include "cli/termprogress.h"
#include "db/db.h"

static const char vz_usage[] =
	"usage: pulse-host vectorize run --tenant T [--batch N] [--follow] [--json]\n"
	"       pulse-host vectorize status --tenant T [--json]\n"
	"       pulse-host vectorize rebuild --tenant T [--table X]\n"
	"       pulse-host vectorize move --tenant T --to INTEGRATION_ID [--dry-run] [--json]\n"
	"\n"
	"run      drains the tenant's vectorization queue (filled by every sync):\n"
	"         builds each changed row's text, embeds it through the tenant's\n"
	"         \"etl\" route and stores the vector; unchanged texts are not\n"
	"         embedded again. --follow draws a progress bar on a terminal,\n"
	"         elsewhere a line every 5 s. A failed batch is\n"
	"         retried later with backoff; see `status` for failed rows.\n"
	"status   pending/processing/completed/failed rows, by operation and by\n"
	"         table, and the number of stored vectors.\n"
	"rebuild  queues every row again (or those of table X) and forgets the\n"
	"         text hashes, so the next run re-embeds them: after a model change.\n"
	"         Without --table it also clears the pinned embedding model, so\n"
	"         the next run pins the model the route serves now.\n"
	"move     copies the tenant's vectors from pgvectors to a vector-store\n"
	"         integration without re-embedding, then switches to it (see\n"
	"         `pulse-host vectorize move --help`).\n"
	"\n"
	"Example: pulse-host vectorize run --tenant acme --follow\n";

struct vz_args {
	const char *tenant, *table;
	uint32_t batch;
	int follow, json;
};

/* Parse argv[1..] of a subcommand. 0, 1 (help printed) or EXIT_USAGE. */
static int vz_parse(int argc, char **argv, struct vz_args *a)
{
	const char *val;
	char *end;
	int i, k;

	memset(a, 0, sizeof(*a));
	for (i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			printf("%s", vz_usage);
			return 1;
		}
		if (strcmp(argv[i], "--json") == 0) {
			a->json = 1;
		} else if (strcmp(argv[i], "--follow") == 0) {
			a->follow = 1;
		} else if ((k = cli_opt_value("vectorize", argc, argv, &i, "--tenant", &val)) != 0) {
			if (k < 0)
				return EXIT_USAGE;
			a->tenant = val;
		} else if ((k = cli_opt_value("vectorize", argc, argv, &i, "--table", &val)) != 0) {
			if (k < 0)
				return EXIT_USAGE;
			a->table = val;
		} else if ((k = cli_opt_value("vectorize", argc, argv, &i, "--batch", &val)) != 0) {
			long b;

			if (k < 0)
				return EXIT_USAGE;
			b = strtol(val, &end, 10);
			if (*end || b < 1 || b > 2048) {
				fprintf(stderr, "vectorize: --batch '%s': give 1 to 2048\n",
					val);
				return EXIT_USAGE;
			}
			a->batch = (uint32_t)b;
		} else {
			fprintf(stderr, "vectorize %s: unknown argument '%s' (try "
				"--help)\n", argv[0], argv[i]);
			return EXIT_USAGE;
		}
	}
	if (!a->tenant) {
		fprintf(stderr, "vectorize %s: --tenant is required (try --help)\n",
			argv[0]);
		return EXIT_USAGE;
	}
	return 0;
}

struct vz_follow {
	struct termprogress tp;
	uint64_t total;
	double start;
};

/* Draw the bar (on a tty, every batch) or a line (off a tty, at most
 * one per VZ_LINE_SECONDS, so a log is not flooded per batch); last:
 * the final state, always shown. */
#define VZ_LINE_SECONDS 5.0
static void vz_progress_line(struct vz_follow *f, const struct vz_counts *c,
			     int last)
{
	char line[256];
	double now = termprogress_now(), el = now - f->start;
	long eta = -1;

	if (!last && !f->tp.tty && f->tp.last_shown > 0 &&
	    now - f->tp.last_shown < VZ_LINE_SECONDS)
		return;
	if (c->claimed && el > 0 && f->total > c->claimed)
		eta = (long)((double)(f->total - c->claimed) * el / (double)c->claimed);
	if (f->tp.tty)
		termprogress_bar(line, sizeof(line), "vectorize", c->claimed,
				 f->total > c->claimed ? f->total : c->claimed,
				 -1, eta);
	else
		termprogress_line(line, sizeof(line), "vectorize", c->claimed,
				  f->total > c->claimed ? f->total : c->claimed,
				  -1, eta);
	termprogress_show(&f->tp, line);
}

static int vz_progress(void *arg, int64_t tenant, const struct vz_counts *c)
{
	(void)tenant;
	vz_progress_line(arg, c, 0);
	return 0;
}

/* Pending rows now (the bar's total). */
static uint64_t vz_pending(PGconn *db, int64_t tenant)
{
	char err[256], *s = vz_summary_json(db, tenant, err, sizeof(err));
	json_object *o, *p;
	uint64_t n = 0;

	if (!s)
		return 0;
	o = json_tokener_parse(s);
	if (o && json_object_object_get_ex(o, "pending", &p))
		n = (uint64_t)json_object_get_int64(p);
	json_object_put(o);
	free(s);
	return n;
}

static int vz_cmd_run(struct cli *cli, int argc, char **argv)
{
	struct vz_args a;
	struct vz_opts o = {0};
	struct vz_counts c = {0};
	struct vz_follow f;
	struct cli_ai ai;
	struct vz_stage *st = NULL;
	double t0, te = 0, ts = 0, td = 0;
	char err[2048];
	int rc;

	rc = vz_parse(argc, argv, &a);
	if (rc)
		return rc == 1 ? 0 : rc;
	cli_load_plugins(cli);
	if (cli_ai_open(&cli->conf, &cli->ld, "vectorize", a.tenant, &ai) < 0)
		return 1;
	o.batch = a.batch;
	o.max_attempts = 5;
	if (a.follow) {
		termprogress_init(&f.tp, stderr, isatty(STDERR_FILENO));
		f.total = vz_pending(ai.db, ai.tenant);
		f.start = termprogress_now();
		o.progress = vz_progress;
		o.arg = &f;
	}
	t0 = termprogress_now();
	/* sweep first: a stage that cannot open still frees stale claims */
	rc = vz_sweep(ai.db, ai.tenant, 0, NULL, err, sizeof(err));
	if (rc == 0)
		rc = vz_stage_open(&ai.ctx, ai.tenant, &st, err, sizeof(err));
	if (rc == 0)
		rc = vz_stage_run(st, &o, &c, err, sizeof(err));
	if (st)
		vz_stage_times(st, &te, &ts, &td);
	vz_stage_close(st);
	if (a.follow) {
		vz_progress_line(&f, &c, 1);
		termprogress_end_line(&f.tp);
	}
	if (rc < 0) {
		fprintf(stderr, "vectorize: %s\n", err);
		cli_ai_close(&ai);
		return 1;
	}
	if (a.json)
		printf("{\"claimed\":%llu,\"embedded\":%llu,\"unchanged\":%llu,"
		       "\"upserted\":%llu,\"deleted\":%llu,\"skipped\":%llu,"
		       "\"retried\":%llu,\"failed\":%llu,\"batches\":%llu,"
		       "\"seconds\":{\"total\":%.3f,\"embed\":%.3f,\"store\":%.3f,"
		       "\"database\":%.3f}}\n",
		       (unsigned long long)c.claimed, (unsigned long long)c.embedded,
		       (unsigned long long)c.unchanged, (unsigned long long)c.upserted,
		       (unsigned long long)c.deleted, (unsigned long long)c.skipped,
		       (unsigned long long)c.retried, (unsigned long long)c.failed,
		       (unsigned long long)c.batches, termprogress_now() - t0, te, ts,
		       td);
	else
		printf("vectorized %llu queued rows: %llu embedded, %llu unchanged, "
		       "%llu deleted, %llu without text, %llu to retry, %llu failed\n",
		       (unsigned long long)c.claimed, (unsigned long long)c.embedded,
		       (unsigned long long)c.unchanged, (unsigned long long)c.deleted,
		       (unsigned long long)c.skipped, (unsigned long long)c.retried,
		       (unsigned long long)c.failed);
	cli_ai_close(&ai);
	return c.retried || c.failed ? 3 : 0;
}

static void vz_print_counts(const char *label, json_object *o)
{
	static const char *const st[] = {"pending", "processing", "completed",
					 "failed"};
	json_object *v;
	size_t i;

	printf("  %-16s", label);
	for (i = 0; i < 4; i++)
		printf(" %s %-7lld", st[i], json_object_object_get_ex(o, st[i], &v) ?
		       (long long)json_object_get_int64(v) : 0LL);
	printf("\n");
}

/* Pending removals of points a move back left in a store. */
static void vz_print_cleanup(json_object *a)
{
	json_object *e, *v;
	size_t i;

	for (i = 0; i < json_object_array_length(a); i++) {
		e = json_object_array_get_idx(a, i);
		printf("store cleanup pending: integration %lld still holds the "
		       "tenant's points of %s",
		       json_object_object_get_ex(e, "integration_id", &v) ?
		       (long long)json_object_get_int64(v) : 0LL,
		       json_object_object_get_ex(e, "collection", &v) ?
		       json_object_get_string(v) : "?");
		if (json_object_object_get_ex(e, "error", &v) &&
		    json_object_get_string(v))
			printf(" (last attempt failed: %s)", json_object_get_string(v));
		printf("; `pulse-host vectorize move --tenant T --to pgvectors` "
		       "removes them\n");
	}
}

static int vz_cmd_status(struct cli *cli, int argc, char **argv)
{
	struct vz_args a;
	struct cli_ai ai;
	char err[1024], *s;
	json_object *o, *x;
	int rc;

	rc = vz_parse(argc, argv, &a);
	if (rc)
		return rc == 1 ? 0 : rc;
	if (cli_ai_open(&cli->conf, &cli->ld, "vectorize", a.tenant, &ai) < 0)
		return 1;
	s = vz_summary_json(ai.db, ai.tenant, err, sizeof(err));
	cli_ai_close(&ai);
	if (!s) {
		fprintf(stderr, "vectorize status: %s\n", err);
		return 1;
	}
	if (a.json) {
		printf("%s\n", s);
		free(s);
		return 0;
	}
	o = json_tokener_parse(s);
	free(s);
	if (!o)
		return 1;
	vz_print_counts("all", o);
	if (json_object_object_get_ex(o, "by_operation", &x)) {
		printf("by operation:\n");
		json_object_object_foreach(x, k, v)
			vz_print_counts(k, v);
	}
	if (json_object_object_get_ex(o, "by_table", &x)) {
		printf("by table:\n");
		json_object_object_foreach(x, k2, v2)
			vz_print_counts(k2, v2);
	}
	if (json_object_object_get_ex(o, "vectors", &x))
		printf("vectors stored: %lld\n", (long long)json_object_get_int64(x));
	if (json_object_object_get_ex(o, "store_cleanup", &x))
		vz_print_cleanup(x);
	json_object_put(o);
	return 0;
}

static int vz_cmd_rebuild(struct cli *cli, int argc, char **argv)
{
	struct vz_args a;
	struct cli_ai ai;
	char err[1024];
	uint64_t n;
	int rc;

	rc = vz_parse(argc, argv, &a);
	if (rc)
		return rc == 1 ? 0 : rc;
	if (cli_ai_open(&cli->conf, &cli->ld, "vectorize", a.tenant, &ai) < 0)
		return 1;
	rc = vz_rebuild(ai.db, ai.tenant, a.table, &n, err, sizeof(err));
	cli_ai_close(&ai);
	if (rc < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (a.json)
		printf("{\"queued\":%llu}\n", (unsigned long long)n);
	else
		printf("queued %llu rows for re-embedding; run `pulse-host vectorize "
		       "run --tenant %s`\n", (unsigned long long)n, a.tenant);
	return 0;
}

int cmd_vectorize(struct cli *cli, int argc, char **argv)
{
	static const struct cli_cmd cmds[] = {
		{"run", vz_cmd_run, "drain the vectorization queue of a tenant"},
		{"status", vz_cmd_status, "queue counts by operation and table"},
		{"rebuild", vz_cmd_rebuild, "re-embed everything (a model change)"},
		{"move", cmd_vectorize_move, "copy the vectors to another store"},
		{NULL, NULL, NULL},
	};

	return cli_dispatch(cli, cmds, "pulse-host vectorize", vz_usage,
			    argc - 1, argv + 1);
}
