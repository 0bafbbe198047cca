/* cmd_housekeeping: `pulse-host housekeeping run [--dry-run] [--json]
 * [--quiet]` and `housekeeping retention --tenant T [...] [--json]`. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/conf.h"
#include "cli/cli.h"
#include "db/db.h"
#include "housekeeping/hk.h"
#include "model/tenant.h"

static void run_usage(FILE *f)
{
	fprintf(f, "usage: pulse-host housekeeping run [--dry-run] [--json] "
		"[--quiet]\n"
		"\nCreates the raw ledger's partitions ahead (this month and "
		"housekeeping.months_ahead\nmore) and applies retention: months "
		"of the raw ledger whose rows are all past\ntheir window are "
		"dropped as partitions; a tenant's rows past its window in a\n"
		"month that stays are deleted in batches; old job_runs and "
		"job_transitions go too.\nPending and processing rows are never "
		"removed. Windows: the housekeeping group\nof pulse-host.conf, "
		"overridden per tenant by `housekeeping retention`.\n"
		"\n  --dry-run  report what would be removed; change nothing\n"
		"  --json     print the report as one JSON object\n"
		"  --quiet    no progress lines on stderr\n"
		"\nExample:\n  pulse-host housekeeping run --dry-run\n"
		"  partition raw_extraction_data_y2026m01 would be dropped: "
		"81234 rows, 96468992 bytes\n");
}

static int hk_run_cmd(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"dry-run", no_argument, NULL, 'n'},
		{"json", no_argument, NULL, 'j'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct hk_opts o = {0};
	struct hk_report rep = {0};
	char err[1024] = "";
	PGconn *c = NULL;
	int ch, json = 0, quiet = 0, rc = 1;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "hq", opts, NULL)) != -1) {
		switch (ch) {
		case 'n': o.dry_run = 1; break;
		case 'j': json = 1; break;
		case 'q': quiet = 1; break;
		case 'h': run_usage(stdout); return 0;
		default: run_usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		run_usage(stderr);
		return EXIT_USAGE;
	}
	o.progress = quiet ? NULL : stderr;
	if (!(c = db_connect(cli->conf.database_url, err, sizeof(err))) ||
	    db_check_rls_role(c, "housekeeping run", err, sizeof(err)) < 0) {
		fprintf(stderr, "housekeeping run: %s\n", err);
		goto out;
	}
	if (hk_run(c, &cli->conf, &o, &rep, err, sizeof(err)) < 0) {
		fprintf(stderr, "housekeeping run: %s (what is listed below was "
			"done and committed; run it again to go on)\n", err);
		hk_report_print(&rep, stderr, 0);
		goto out;
	}
	hk_report_print(&rep, stdout, json);
	rc = rep.skipped ? 3 : 0;
out:
	hk_report_free(&rep);
	PQfinish(c);
	return rc;
}

static void retention_usage(FILE *f)
{
	fprintf(f, "usage: pulse-host housekeeping retention --tenant T "
		"[--completed-days N]\n       [--failed-days N] [--history-days N] "
		"[--usage-days N] [--clear] [--json]\n"
		"\nShows (and with a --*-days option or --clear, sets) a tenant's "
		"retention windows.\nA window not set is the global one of "
		"pulse-host.conf (housekeeping group).\n"
		"  --completed-days  completed raw rows\n"
		"  --failed-days     failed and dead-lettered raw rows\n"
		"  --history-days    job_runs and job_transitions\n"
		"  --usage-days      ai_usage (AI calls, their tokens and cost)\n"
		"  --clear           back to the global windows\n"
		"\nExample:\n  pulse-host housekeeping retention --tenant acme "
		"--completed-days 7\n");
}

/* "N" as days in 1..36500 into *v, or a message. */
static int parse_days(const char *opt, const char *s, int *v)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (errno || *end || n < 1 || n > 36500) {
		fprintf(stderr, "housekeeping retention: %s '%s' is not a number "
			"of days between 1 and 36500\n", opt, s);
		return -1;
	}
	*v = (int)n;
	return 0;
}

static int hk_retention_cmd(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"tenant", required_argument, NULL, 't'},
		{"completed-days", required_argument, NULL, 'c'},
		{"failed-days", required_argument, NULL, 'f'},
		{"history-days", required_argument, NULL, 'y'},
		{"usage-days", required_argument, NULL, 'u'},
		{"clear", no_argument, NULL, 'x'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	static const char *const names[4] = {"completed_days", "failed_days",
					     "history_days", "usage_days"};
	const char *tenant = NULL;
	char err[1024], ten[24], v[4][16];
	const char *p[5];
	int days[4] = {0, 0, 0, 0}, glob[4], ch, i, json = 0, clear = 0, set = 0;
	int rc = 1;
	PGconn *c = NULL;
	PGresult *r = NULL;
	int64_t tid;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 't': tenant = optarg; break;
		case 'c': if (parse_days("--completed-days", optarg, &days[0]) < 0) return EXIT_USAGE; set = 1; break;
		case 'f': if (parse_days("--failed-days", optarg, &days[1]) < 0) return EXIT_USAGE; set = 1; break;
		case 'y': if (parse_days("--history-days", optarg, &days[2]) < 0) return EXIT_USAGE; set = 1; break;
		case 'u': if (parse_days("--usage-days", optarg, &days[3]) < 0) return EXIT_USAGE; set = 1; break;
		case 'x': clear = 1; break;
		case 'j': json = 1; break;
		case 'h': retention_usage(stdout); return 0;
		default: retention_usage(stderr); return EXIT_USAGE;
		}
	}
	if (!tenant || optind != argc || (clear && set)) {
		if (clear && set)
			fprintf(stderr, "housekeeping retention: --clear goes "
				"alone, without --*-days\n");
		retention_usage(stderr);
		return EXIT_USAGE;
	}
	if (!(c = db_connect(cli->conf.database_url, err, sizeof(err))) ||
	    tenant_resolve(c, tenant, &tid, err, sizeof(err)) < 0)
		goto fail;
	p[0] = db_i64(ten, tid);
	for (i = 0; i < 4; i++) {
		snprintf(v[i], sizeof(v[i]), "%d", days[i]);
		p[i + 1] = days[i] ? v[i] : NULL;
	}
	if (set || clear) {
		/* Only the windows given change; --clear removes them all. */
		r = tenant_query(c, tid, clear ?
			"DELETE FROM tenant_retention WHERE tenant_id = $1" :
			"INSERT INTO tenant_retention (tenant_id, completed_days,"
			" failed_days, history_days, usage_days)"
			" VALUES ($1, $2::int, $3::int, $4::int, $5::int)"
			" ON CONFLICT (tenant_id) DO UPDATE SET"
			" completed_days = coalesce($2::int, tenant_retention.completed_days),"
			" failed_days = coalesce($3::int, tenant_retention.failed_days),"
			" history_days = coalesce($4::int, tenant_retention.history_days),"
			" usage_days = coalesce($5::int, tenant_retention.usage_days),"
			" updated_at = now()", clear ? 1 : 5, p, err, sizeof(err));
		if (!r)
			goto fail;
		PQclear(r);
	}
	r = tenant_query(c, tid, "SELECT completed_days, failed_days, history_days,"
			 " usage_days FROM tenant_retention WHERE tenant_id = $1", 1, p, err,
			 sizeof(err));
	if (!r)
		goto fail;
	glob[0] = cli->conf.hk_completed_days;
	glob[1] = cli->conf.hk_failed_days;
	glob[2] = cli->conf.hk_history_days;
	glob[3] = cli->conf.hk_usage_days;
	if (json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "tenant_id", json_object_new_int64(tid));
		for (i = 0; i < 4; i++) {
			int own = PQntuples(r) == 1 && !PQgetisnull(r, 0, i);
			struct json_object *w = json_object_new_object();

			json_object_object_add(w, "days", json_object_new_int(
				own ? atoi(PQgetvalue(r, 0, i)) : glob[i]));
			json_object_object_add(w, "source", json_object_new_string(
				own ? "tenant" : "global"));
			json_object_object_add(o, names[i], w);
		}
		printf("%s\n", json_object_to_json_string_ext(o,
		       JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	} else {
		for (i = 0; i < 4; i++) {
			int own = PQntuples(r) == 1 && !PQgetisnull(r, 0, i);

			printf("%-15s %5d days (%s)\n", names[i],
			       own ? atoi(PQgetvalue(r, 0, i)) : glob[i],
			       own ? "tenant" : "global");
		}
	}
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "housekeeping retention: %s\n", err);
out:
	PQclear(r);
	PQfinish(c);
	return rc;
}

int cmd_housekeeping(struct cli *cli, int argc, char **argv)
{
	static const struct cli_cmd cmds[] = {
		{"run", hk_run_cmd, "create partitions ahead, apply retention"},
		{"retention", hk_retention_cmd, "show or set a tenant's retention windows"},
		{NULL, NULL, NULL},
	};

	return cli_dispatch(cli, cmds, "pulse-host housekeeping",
			    "usage: pulse-host housekeeping COMMAND [ARGS]\n",
			    argc - 1, argv + 1);
}
