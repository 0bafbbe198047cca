/* cmd_job_ctl: `pulse-host job depend ...` and `job force ID STATE
 * --reason TEXT`: an operator's edits of jobs (host/jobs/jobdeps.h,
 * jobstate_force in host/jobs/jobstate.h). */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cli_audit.h"
#include "db/db.h"
#include "jobs/jobdeps.h"
#include "jobs/jobstate.h"
#include "model/audit.h"
#include "model/tenant.h"

#define MAX_EDGES 32

/* A job id argument, or 0 with a message naming what. */
int64_t cmd_job_parse_id(const char *cmd, const char *s)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v <= 0) {
		fprintf(stderr, "%s: '%s' is not a job id; see `pulse-host job "
			"depend --tenant T` or GET /api/v1/jobs\n", cmd, s);
		return 0;
	}
	return v;
}

/* The tenant of job (orch_job_tenant, 020), or 0 with err. */
int64_t cmd_job_tenant(PGconn *c, int64_t job, char *err, size_t errlen)
{
	char js[24];
	const char *p[1] = {db_i64(js, job)};
	PGresult *r = db_query(c, err, errlen, "SELECT orch_job_tenant($1)", 1, p);
	int64_t t = 0;

	if (r && !PQgetisnull(r, 0, 0))
		t = db_int64(r, 0, 0);
	else if (r)
		snprintf(err, errlen, "job %" PRId64 " not found", job);
	PQclear(r);
	return t;
}

static void depend_usage(FILE *f)
{
	fprintf(f, "usage: pulse-host job depend JOB_ID [--on JOB_ID]... "
		"[--remove JOB_ID]... [--clear]\n"
		"                [--on-failure skip|run] [--json]\n"
		"       pulse-host job depend --tenant T [--json]\n"
		"\nA job with dependencies starts a new cycle (its interval is "
		"due) only once every\njob it depends on has FINISHED since its "
		"own last start; retries after an\nerror, resumes and an "
		"operator's start do not wait. A cycle is refused.\n"
		"--on-failure: when a prerequisite failed in the cycle, skip "
		"(the default: the\ncycle is skipped and the reason recorded) "
		"or run (run anyway); applies to the\n--on edges given, or to "
		"every edge of the job.\n"
		"With no change asked, shows the job's dependencies (or the "
		"tenant's, with --tenant).\n"
		"\nExample: housekeeping-like job 7 after GitHub job 3 and Jira "
		"job 4:\n  pulse-host job depend 7 --on 3 --on 4\n");
}

static void print_deps(PGresult *r, int json)
{
	int i;

	if (json) {
		struct json_object *a = json_object_new_array();

		for (i = 0; i < PQntuples(r); i++) {
			struct json_object *o = json_object_new_object();

			json_object_object_add(o, "job_id", json_object_new_int64(db_int64(r, i, 0)));
			json_object_object_add(o, "integration", json_object_new_string(PQgetvalue(r, i, 1)));
			json_object_object_add(o, "depends_on", json_object_new_int64(db_int64(r, i, 2)));
			json_object_object_add(o, "depends_on_integration", json_object_new_string(PQgetvalue(r, i, 3)));
			json_object_object_add(o, "depends_on_state", json_object_new_string(PQgetvalue(r, i, 4)));
			json_object_object_add(o, "satisfied", json_object_new_boolean(PQgetvalue(r, i, 5)[0] == 't'));
			json_object_object_add(o, "on_failure", json_object_new_string(PQgetvalue(r, i, 6)));
			json_object_array_add(a, o);
		}
		printf("%s\n", json_object_to_json_string_ext(a,
		       JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(a);
		return;
	}
	if (!PQntuples(r))
		printf("no dependencies\n");
	for (i = 0; i < PQntuples(r); i++)
		printf("job %s (%s) after job %s (%s, %s)%s; on failure: %s\n",
		       PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
		       PQgetvalue(r, i, 2), PQgetvalue(r, i, 3),
		       PQgetvalue(r, i, 4), PQgetvalue(r, i, 5)[0] == 't' ?
		       ": finished since" : ": waiting", PQgetvalue(r, i, 6));
}

/* The audit row of a `job depend` change, in its transaction. 0 or -1. */
static int depend_audit(PGconn *c, int64_t tid, int64_t job, const int64_t *on,
			int n_on, const int64_t *off, int n_off, int clear,
			const char *on_failure, char *err, size_t errlen)
{
	json_object *d = json_object_new_object(), *a = json_object_new_array();
	json_object *b = json_object_new_array();
	char who[128], target[48];
	int i, rc;

	for (i = 0; i < n_on; i++)
		json_object_array_add(a, json_object_new_int64(on[i]));
	for (i = 0; i < n_off; i++)
		json_object_array_add(b, json_object_new_int64(off[i]));
	json_object_object_add(d, "on", a);
	json_object_object_add(d, "remove", b);
	json_object_object_add(d, "clear", json_object_new_boolean(clear));
	if (on_failure)
		json_object_object_add(d, "on_failure",
				       json_object_new_string(on_failure));
	snprintf(target, sizeof(target), "job:%" PRId64, job);
	rc = audit_record(c, tid, cli_actor(who, sizeof(who)), "job.depend",
			  target, NULL, NULL, d, err, errlen);
	json_object_put(d);
	return rc;
}

int cmd_job_depend(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"on", required_argument, NULL, 'o'},
		{"remove", required_argument, NULL, 'r'},
		{"clear", no_argument, NULL, 'x'},
		{"on-failure", required_argument, NULL, 'f'},
		{"tenant", required_argument, NULL, 't'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int64_t on[MAX_EDGES], off[MAX_EDGES], job = 0, tid = 0;
	int n_on = 0, n_off = 0, clear = 0, json = 0, ch, i, rc = 1, x;
	const char *tenant = NULL, *on_failure = NULL;
	char err[1024];
	PGconn *c = NULL;
	PGresult *r = NULL;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'o': case 'r':
			if ((ch == 'o' ? n_on : n_off) == MAX_EDGES) {
				fprintf(stderr, "job depend: at most %d --on/--remove "
					"at once\n", MAX_EDGES);
				return EXIT_USAGE;
			}
			if (!(ch == 'o' ? (on[n_on++] = cmd_job_parse_id("job depend", optarg)) :
			      (off[n_off++] = cmd_job_parse_id("job depend", optarg))))
				return EXIT_USAGE;
			break;
		case 'x': clear = 1; break;
		case 'f': on_failure = optarg; break;
		case 't': tenant = optarg; break;
		case 'j': json = 1; break;
		case 'h': depend_usage(stdout); return 0;
		default: depend_usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind == argc - 1 && !tenant) {
		if (!(job = cmd_job_parse_id("job depend", argv[optind])))
			return EXIT_USAGE;
	} else if (!(optind == argc && tenant && !n_on && !n_off && !clear &&
		     !on_failure)) {
		depend_usage(stderr);
		return EXIT_USAGE;
	}
	if (!(c = db_connect_tenant(cli->conf.database_url, err, sizeof(err))))
		goto fail;
	if (tenant ? tenant_resolve(c, tenant, &tid, err, sizeof(err)) < 0 :
	    !(tid = cmd_job_tenant(c, job, err, sizeof(err))))
		goto fail;
	if (db_tenant_begin(c, tid, err, sizeof(err)) < 0)
		goto fail;
	/* All edits in one transaction: a refused edge leaves nothing. */
	if (clear && jobdeps_remove(c, job, 0, NULL, err, sizeof(err)) < 0)
		goto fail;
	for (i = 0; i < n_off; i++)
		if (jobdeps_remove(c, job, off[i], NULL, err, sizeof(err)) < 0)
			goto fail;
	for (i = 0; i < n_on; i++)
		if ((x = jobdeps_add(c, job, on[i], err, sizeof(err))) < 0 ||
		    (on_failure && jobdeps_on_failure(c, job, on[i], on_failure,
						      err, sizeof(err)) < 0))
			goto fail;
	/* --on-failure alone: every edge of the job */
	if (on_failure && !n_on &&
	    jobdeps_on_failure(c, job, 0, on_failure, err, sizeof(err)) < 0)
		goto fail;
	if ((n_on || n_off || clear || on_failure) &&
	    depend_audit(c, tid, job, on, n_on, off, n_off, clear, on_failure,
			 err, sizeof(err)) < 0)
		goto fail;
	if (!(r = jobdeps_list(c, job, err, sizeof(err))) ||
	    db_commit(c, err, sizeof(err)) < 0)
		goto fail;
	print_deps(r, json);
	rc = 0;
	goto out;
fail:
	db_rollback(c);
	fprintf(stderr, "job depend: %s%s\n", err, n_on || n_off || clear ?
		" (nothing changed)" : "");
out:
	PQclear(r);
	PQfinish(c);
	return rc;
}

static void force_usage(FILE *f)
{
	fprintf(f, "usage: pulse-host job force JOB_ID STATE --reason TEXT "
		"[--json]\n"
		"\nAn operator's override of the state machine: puts the job in "
		"STATE whatever it\nis in now, recorded in job_transitions with "
		"the reason and who did it.\nSTATE: NOT_STARTED (due at once), "
		"PENDING (run at the next pick), FINISHED\n(wait the interval), "
		"ERROR, PAUSED (left alone). RUNNING cannot be forced:\nonly a "
		"job process runs a job. A job running now keeps its process; "
		"its end is\nthen ignored (the forced state stays).\n"
		"\nExample:\n  pulse-host job force 12 NOT_STARTED --reason "
		"\"stuck after the outage of 3 May\"\n");
}

int cmd_job_force_audit(PGconn *c, int64_t tid, int64_t job, const char *action,
			const char *from, const char *to, const char *reason,
			const char *actor, char *err, size_t errlen)
{
	json_object *d = json_object_new_object();
	char target[48];
	int rc;

	json_object_object_add(d, "from", json_object_new_string(from));
	json_object_object_add(d, "to", json_object_new_string(to));
	json_object_object_add(d, "reason", json_object_new_string(reason));
	snprintf(target, sizeof(target), "job:%" PRId64, job);
	rc = audit_record(c, tid, actor, action, target, NULL, NULL, d, err,
			  errlen);
	json_object_put(d);
	return rc;
}

int cmd_job_force(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"reason", required_argument, NULL, 'r'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *reason = NULL;
	char err[1024], actor[128];
	PGconn *c = NULL;
	int64_t job, tid;
	int ch, json = 0, to, prev = -1, rc = 1, x;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'r': reason = optarg; break;
		case 'j': json = 1; break;
		case 'h': force_usage(stdout); return 0;
		default: force_usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc - 2) {
		force_usage(stderr);
		return EXIT_USAGE;
	}
	if (!reason || !*reason) {
		fprintf(stderr, "job force: --reason TEXT is required: it is "
			"recorded with the transition\n");
		return EXIT_USAGE;
	}
	if (!(job = cmd_job_parse_id("job force", argv[optind])))
		return EXIT_USAGE;
	to = jobstate_parse(argv[optind + 1]);
	if (to < 0 || to == JS_RUNNING) {
		fprintf(stderr, "job force: '%s' is not a state a job can be "
			"forced into; use one of NOT_STARTED, PENDING, FINISHED, "
			"ERROR, PAUSED (RUNNING only comes from a job process)\n",
			argv[optind + 1]);
		return EXIT_USAGE;
	}
	cli_actor(actor, sizeof(actor));
	if (!(c = db_connect_tenant(cli->conf.database_url, err, sizeof(err))) ||
	    !(tid = cmd_job_tenant(c, job, err, sizeof(err))) ||
	    db_tenant_begin(c, tid, err, sizeof(err)) < 0)
		goto fail;
	if ((x = jobstate_force(c, job, to, reason, actor, &prev, err,
				sizeof(err))) < 0 ||
	    cmd_job_force_audit(c, tid, job, "job.force", jobstate_name(prev),
			jobstate_name(to), reason, actor, err, sizeof(err)) < 0 ||
	    db_commit(c, err, sizeof(err)) < 0)
		goto fail;
	if (json)
		printf("{\"job_id\":%" PRId64 ",\"from\":\"%s\",\"to\":\"%s\","
		       "\"actor\":\"%s\"}\n", job, jobstate_name(prev),
		       jobstate_name(to), actor);
	else
		printf("job %" PRId64 ": %s -> %s (forced by %s)\n", job,
		       jobstate_name(prev), jobstate_name(to), actor);
	rc = 0;
	goto out;
fail:
	db_rollback(c);
	fprintf(stderr, "job force: %s\n", err);
out:
	PQfinish(c);
	return rc;
}
