/* cmd_job_ops: `pulse-host job force-stop|force-start|reset ID --reason
 * TEXT`, `job deps --tenant T` and `job list`: an operator's view and
 * overrides of jobs (host/jobs/jobforce.h, host/jobs/sysjob.h). */
#include "config.h"

#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_audit.h"
#include "db/db.h"
#include "jobs/jobdeps.h"
#include "jobs/jobforce.h"
#include "jobs/jobstate.h"
#include "jobs/sysjob.h"
#include "model/job.h"
#include "model/audit.h"
#include "model/tenant.h"
#include "server/api_int.h"

static void force_op_usage(FILE *f, const char *op)
{
	fprintf(f, "usage: pulse-host job %s ID --reason TEXT%s [--json]\n"
		"\nID: a job id (`pulse-host job list`), or `housekeeping` "
		"for the system job.\n\n", op,
		strcmp(op, "reset") == 0 ? " [--clear-checkpoint]" : "");
	if (strcmp(op, "force-stop") == 0)
		fprintf(f, "Kills the job's process now (SIGKILL: also a plugin "
			"that hangs and never\nchecks for cancellation) and "
			"marks the job ERROR \"stopped by operator: TEXT\".\nIt "
			"is not retried: the next run is one interval away, or "
			"force-start it.\nThe process must run on this host "
			"(else use that host's CLI or API).\n");
	else if (strcmp(op, "force-start") == 0)
		fprintf(f, "Starts the job now (PENDING: the daemon picks it "
			"at its next tick), ignoring\nits schedule and the jobs "
			"it depends on.\n");
	else
		fprintf(f, "Puts the job back to NOT_STARTED (due at once; its "
			"dependencies apply again).\n--clear-checkpoint also "
			"removes its integration's saved cursors, so the next\nrun "
			"syncs from the start; without it the next run continues "
			"from the checkpoint.\nA RUNNING job is refused: "
			"force-stop it first.\n");
	fprintf(f, "\nEach is a move of the job state machine, recorded in "
		"job_transitions with who\ndid it (cli:USER) and the reason. "
		"Example:\n  pulse-host job %s 12 --reason \"hung since the "
		"outage of 3 May\"\n", op);
}

/* The system job's force (sysjob_force). */
static int force_system(PGconn *c, const char *op, const char *action,
			const char *reason, const char *actor, int json)
{
	char err[1024], prev[32];
	int x = sysjob_force(c, SYSJOB_HOUSEKEEPING, action, reason, actor,
			     prev, sizeof(prev), err, sizeof(err));

	if (x != 0) {
		fprintf(stderr, "job %s: %s\n", op, x > 0 ? "no system job "
			"housekeeping (run `pulse-host migrate`)" : err);
		return 1;
	}
	if (json)
		printf("{\"job\":\"housekeeping\",\"action\":\"%s\",\"from\":\"%s\","
		       "\"actor\":\"%s\"}\n", op, prev, actor);
	else
		printf("job housekeeping: %s from %s by %s%s\n", op, prev, actor,
		       strcmp(action, "stop") == 0 && strcmp(prev, "RUNNING") == 0 ?
		       " (its daemon kills the process at its next heartbeat)" :
		       strcmp(action, "start") == 0 ? " (runs at the daemon's "
		       "next claim)" : "");
	return 0;
}

int cmd_job_force_op(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"reason", required_argument, NULL, 'r'},
		{"clear-checkpoint", no_argument, NULL, 'x'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *op = argv[0], *reason = NULL, *action;
	char err[1024], actor[128], what[48];
	struct jobforce_result res;
	PGconn *c = NULL;
	int64_t job = 0, tid;
	int ch, json = 0, clear = 0, rc = 1;

	action = strcmp(op, "force-stop") == 0 ? "stop" :
		 strcmp(op, "force-start") == 0 ? "start" : "reset";
	optind = 0;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'r': reason = optarg; break;
		case 'x': clear = 1; break;
		case 'j': json = 1; break;
		case 'h': force_op_usage(stdout, op); return 0;
		default: force_op_usage(stderr, op); return EXIT_USAGE;
		}
	}
	if (optind != argc - 1 || (clear && strcmp(action, "reset") != 0)) {
		force_op_usage(stderr, op);
		return EXIT_USAGE;
	}
	if (!reason || !*reason) {
		fprintf(stderr, "job %s: --reason TEXT is required: it is "
			"recorded with the transition\n", op);
		return EXIT_USAGE;
	}
	cli_actor(actor, sizeof(actor));
	if (strcmp(argv[optind], SYSJOB_HOUSEKEEPING) == 0) {
		if (clear) {
			fprintf(stderr, "job %s: the housekeeping job has no "
				"checkpoint\n", op);
			return EXIT_USAGE;
		}
		if (!(c = db_connect_tenant(cli->conf.database_url, err, sizeof(err)))) {
			fprintf(stderr, "job %s: %s\n", op, err);
			return 1;
		}
		rc = force_system(c, op, action, reason, actor, json);
		PQfinish(c);
		return rc;
	}
	if (!(job = cmd_job_parse_id(op, argv[optind])))
		return EXIT_USAGE;
	if (!(c = db_connect_tenant(cli->conf.database_url, err, sizeof(err))) ||
	    !(tid = cmd_job_tenant(c, job, err, sizeof(err))) ||
	    db_tenant_begin(c, tid, err, sizeof(err)) < 0)
		goto fail;
	snprintf(what, sizeof(what), "job.%s", op);
	if (jobforce(c, job, action, reason, actor, clear, &res, err,
		     sizeof(err)) != 0 ||
	    cmd_job_force_audit(c, tid, job, what, jobstate_name(res.prev),
				jobstate_name(res.now), reason, actor, err,
				sizeof(err)) < 0 ||
	    db_commit(c, err, sizeof(err)) < 0)
		goto fail;
	if (json)
		printf("{\"job_id\":%" PRId64 ",\"action\":\"%s\",\"from\":\"%s\","
		       "\"to\":\"%s\",\"actor\":\"%s\",\"killed_pid\":%ld,"
		       "\"checkpoint_cleared\":%" PRId64 "}\n", job, op,
		       jobstate_name(res.prev), jobstate_name(res.now), actor,
		       res.killed_pid, res.cleared);
	else {
		printf("job %" PRId64 ": %s -> %s (%s by %s)", job,
		       jobstate_name(res.prev), jobstate_name(res.now), op, actor);
		if (res.killed_pid)
			printf("; process %ld killed", res.killed_pid);
		if (clear)
			printf("; checkpoint cleared (%" PRId64 " entries)",
			       res.cleared);
		printf("\n");
	}
	rc = 0;
	goto out;
fail:
	db_rollback(c);
	fprintf(stderr, "job %s: %s\n", op, err);
out:
	PQfinish(c);
	return rc;
}

/* ---- job deps ---------------------------------------------------------- */

static void deps_usage(FILE *f)
{
	fprintf(f, "usage: pulse-host job deps --tenant T [--json]\n"
		"\nThe tenant's dependency graph: each job with the jobs it "
		"runs after, whether\neach is met in the current cycle and "
		"what a failure does (skip or run), and\nthe system job "
		"housekeeping with what it waits for. Edit edges with\n"
		"`pulse-host job depend`.\n");
}

/* The system jobs as graph nodes: housekeeping waits while a data job of
 * after_plugins ('*' = any) is RUNNING or PENDING, in any tenant. */
static void print_system_text(PGresult *s)
{
	int i;

	for (i = 0; i < PQntuples(s); i++) {
		int any = strcmp(PQgetvalue(s, i, 10), "*") == 0;

		printf("system job %s (%s, every %s s): after %s%s data jobs of "
		       "every tenant (waits while one is running, pending or due)\n",
		       PQgetvalue(s, i, 0), PQgetvalue(s, i, 2),
		       PQgetvalue(s, i, 3), any ? "the" : "the ",
		       any ? "" : PQgetvalue(s, i, 10));
	}
}

int cmd_job_deps(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"tenant", required_argument, NULL, 't'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *tenant = NULL;
	char err[1024];
	PGconn *c = NULL;
	PGresult *jobs = NULL, *edges = NULL, *sys = NULL;
	int64_t tid = 0;
	int ch, json = 0, i, k, rc = 1;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 't': tenant = optarg; break;
		case 'j': json = 1; break;
		case 'h': deps_usage(stdout); return 0;
		default: deps_usage(stderr); return EXIT_USAGE;
		}
	}
	if (!tenant || optind != argc) {
		deps_usage(stderr);
		return EXIT_USAGE;
	}
	if (!(c = db_connect_tenant(cli->conf.database_url, err, sizeof(err))) ||
	    tenant_resolve(c, tenant, &tid, err, sizeof(err)) < 0 ||
	    !(jobs = job_rows(c, tid, 0, err, sizeof(err))) ||
	    !(sys = sysjob_rows(c, err, sizeof(err))) ||
	    db_tenant_begin(c, tid, err, sizeof(err)) < 0 ||
	    !(edges = jobdeps_list(c, 0, err, sizeof(err))) ||
	    db_commit(c, err, sizeof(err)) < 0)
		goto fail;
	if (json) {
		json_object *o = json_object_new_object(), *nodes, *e;

		json_object_object_add(o, "tenant_id", json_object_new_int64(tid));
		nodes = json_object_new_array();
		for (i = 0; i < PQntuples(jobs); i++) {
			json_object *n = json_object_new_object();

			json_object_object_add(n, "job_id", json_object_new_int64(db_int64(jobs, i, 0)));
			json_object_object_add(n, "integration", json_object_new_string(PQgetvalue(jobs, i, 2)));
			json_object_object_add(n, "plugin", json_object_new_string(PQgetvalue(jobs, i, 3)));
			json_object_object_add(n, "state", json_object_new_string(PQgetvalue(jobs, i, 4)));
			json_object_array_add(nodes, n);
		}
		json_object_object_add(o, "jobs", nodes);
		e = json_object_new_array();
		for (i = 0; i < PQntuples(edges); i++) {
			json_object *x = json_object_new_object();

			json_object_object_add(x, "job_id", json_object_new_int64(db_int64(edges, i, 0)));
			json_object_object_add(x, "after", json_object_new_int64(db_int64(edges, i, 2)));
			json_object_object_add(x, "after_state", json_object_new_string(PQgetvalue(edges, i, 4)));
			json_object_object_add(x, "satisfied", json_object_new_boolean(PQgetvalue(edges, i, 5)[0] == 't'));
			json_object_object_add(x, "on_failure", json_object_new_string(PQgetvalue(edges, i, 6)));
			json_object_array_add(e, x);
		}
		json_object_object_add(o, "edges", e);
		json_object_object_add(o, "system_jobs", api_rows_json(sys));
		printf("%s\n", json_object_to_json_string_ext(o,
		       JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	} else {
		printf("tenant %s (%" PRId64 "): %d job%s, %d edge%s\n", tenant,
		       tid, PQntuples(jobs), PQntuples(jobs) == 1 ? "" : "s",
		       PQntuples(edges), PQntuples(edges) == 1 ? "" : "s");
		for (i = 0; i < PQntuples(jobs); i++) {
			printf("job %s %s (%s, %s)\n", PQgetvalue(jobs, i, 0),
			       PQgetvalue(jobs, i, 2), PQgetvalue(jobs, i, 3),
			       PQgetvalue(jobs, i, 4));
			for (k = 0; k < PQntuples(edges); k++)
				if (strcmp(PQgetvalue(edges, k, 0),
					   PQgetvalue(jobs, i, 0)) == 0)
					printf("  after job %s %s (%s): %s; on "
					       "failure: %s\n",
					       PQgetvalue(edges, k, 2),
					       PQgetvalue(edges, k, 3),
					       PQgetvalue(edges, k, 4),
					       PQgetvalue(edges, k, 5)[0] != 't' ?
					       "waiting" :
					       strcmp(PQgetvalue(edges, k, 4),
						      "FINISHED") == 0 ?
					       "finished since" :
					       "failed, runs anyway",
					       PQgetvalue(edges, k, 6));
		}
		print_system_text(sys);
	}
	rc = 0;
	goto out;
fail:
	db_rollback(c);
	fprintf(stderr, "job deps: %s\n", err);
out:
	PQclear(jobs);
	PQclear(edges);
	PQclear(sys);
	PQfinish(c);
	return rc;
}

/* ---- job list ---------------------------------------------------------- */

static void list_usage(FILE *f)
{
	fprintf(f, "usage: pulse-host job list [--tenant T] [--json]\n"
		"\nEvery data job (of T, or of every tenant) with its state, "
		"next run and last\nerror, and the system jobs (housekeeping) "
		"with theirs.\n");
}

static int list_tenant(PGconn *c, int64_t tid, json_object *arr,
		       char *err, size_t errlen)
{
	PGresult *r = job_rows(c, tid, 0, err, errlen);
	int i;

	if (!r)
		return -1;
	for (i = 0; i < PQntuples(r); i++) {
		if (arr) {
			json_object *o = api_row_json(r, i);

			json_object_object_add(o, "tenant_id", json_object_new_int64(tid));
			json_object_array_add(arr, o);
			continue;
		}
		printf("%-6s %-7" PRId64 " %-20s %-12s %-11s %-25s %s\n",
		       PQgetvalue(r, i, 0), tid, PQgetvalue(r, i, 2),
		       PQgetvalue(r, i, 3), PQgetvalue(r, i, 4),
		       PQgetisnull(r, i, 9) ? "-" : PQgetvalue(r, i, 9),
		       PQgetvalue(r, i, 12));
	}
	PQclear(r);
	return 0;
}

int cmd_job_list(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"tenant", required_argument, NULL, 't'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *tenant = NULL;
	char err[1024];
	PGconn *c = NULL;
	PGresult *t = NULL, *sys = NULL;
	json_object *out = NULL, *arr = NULL;
	int64_t tid = 0;
	int ch, json = 0, i, rc = 1;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 't': tenant = optarg; break;
		case 'j': json = 1; break;
		case 'h': list_usage(stdout); return 0;
		default: list_usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		list_usage(stderr);
		return EXIT_USAGE;
	}
	if (!(c = db_connect_tenant(cli->conf.database_url, err, sizeof(err))))
		goto fail;
	if (json) {
		out = json_object_new_object();
		arr = json_object_new_array();
		json_object_object_add(out, "jobs", arr);
	} else {
		printf("%-6s %-7s %-20s %-12s %-11s %-25s %s\n", "JOB", "TENANT",
		       "INTEGRATION", "PLUGIN", "STATE", "NEXT RUN", "LAST ERROR");
	}
	if (tenant) {
		if (tenant_resolve(c, tenant, &tid, err, sizeof(err)) < 0 ||
		    list_tenant(c, tid, arr, err, sizeof(err)) < 0)
			goto fail;
	} else {
		if (!(t = db_query(c, err, sizeof(err), "SELECT id FROM tenants"
				   " ORDER BY id", 0, NULL)))
			goto fail;
		for (i = 0; i < PQntuples(t); i++)
			if (list_tenant(c, db_int64(t, i, 0), arr, err,
					sizeof(err)) < 0)
				goto fail;
	}
	if (!(sys = sysjob_rows(c, err, sizeof(err))))
		goto fail;
	if (json) {
		json_object_object_add(out, "system_jobs", api_rows_json(sys));
		printf("%s\n", json_object_to_json_string_ext(out,
		       JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	} else {
		for (i = 0; i < PQntuples(sys); i++)
			printf("%-6s %-7s %-20s %-12s %-11s %-25s %s\n",
			       PQgetvalue(sys, i, 0), "system", "-", "-",
			       PQgetvalue(sys, i, 2), PQgetisnull(sys, i, 4) ?
			       "-" : PQgetvalue(sys, i, 4), PQgetvalue(sys, i, 7));
	}
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "job list: %s\n", err);
out:
	json_object_put(out);
	PQclear(t);
	PQclear(sys);
	PQfinish(c);
	return rc;
}
