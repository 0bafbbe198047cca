/* api_jobs: GET /jobs, GET /jobs/ID, POST /jobs/ID/{start,stop,pause,resume}. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "db/db.h"
#include "jobs/jobstate.h"
#include "jobs/sysjob.h"
#include "model/job.h"
#include "server/api_int.h"

void api_jobs_list(struct call *c)
{
	char err[1024];
	PGresult *r = job_rows(c->db, c->who.tenant, 0, err, sizeof(err));
	json_object *o;

	if (!r) {
		api_reply_db_error(c, err);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "jobs", api_rows_json(r));
	PQclear(r);
	/* the installation's jobs (housekeeping): no tenant data */
	if (!(r = sysjob_rows(c->db, err, sizeof(err)))) {
		json_object_put(o);
		api_reply_db_error(c, err);
		return;
	}
	json_object_object_add(o, "system_jobs", api_rows_json(r));
	api_reply_json(c->rs, 200, o);
	json_object_put(o);
	PQclear(r);
}

/* The job as JSON, with its latest runs and transitions when asked (a new
 * reference; NULL and the reply set when missing or on error). */
static json_object *job_json(struct call *c, int with_history)
{
	char err[1024];
	PGresult *r;
	json_object *o = NULL;

	r = job_rows(c->db, c->who.tenant, c->id, err, sizeof(err));
	if (!r)
		goto dberr;
	if (PQntuples(r) != 1) {
		api_reply_error(c->rs, 404, "not_found", "job %" PRId64 " not found",
				c->id);
		goto out;
	}
	o = api_row_json(r, 0);
	if (!with_history)
		goto out;
	PQclear(r);
	if (!(r = job_runs(c->db, c->who.tenant, c->id, err, sizeof(err))))
		goto dberr;
	json_object_object_add(o, "runs", api_rows_json(r));
	PQclear(r);
	r = job_transitions(c->db, c->who.tenant, c->id, err, sizeof(err));
	if (!r)
		goto dberr;
	json_object_object_add(o, "transitions", api_rows_json(r));
	goto out;
dberr:
	json_object_put(o);
	o = NULL;
	api_reply_db_error(c, err);
out:
	PQclear(r);
	return o;
}

void api_jobs_get(struct call *c)
{
	json_object *o = job_json(c, 1);

	if (o)
		api_reply_json(c->rs, 200, o);
	json_object_put(o);
}

/*
 * start/stop/pause/resume (see jobstate_control): 200 when the job moved
 * here, 202 when the orchestrator acts on it.
 */
void api_jobs_control(struct call *c)
{
	const char *act = c->action;
	char err[1024], reason[256];
	json_object *o;
	int rc, moved = 0;

	snprintf(reason, sizeof(reason), "%s requested by %s (role %s) via API",
		 act, c->who.sub[0] ? c->who.sub : "token",
		 auth_role_name(c->who.role));
	if (db_tenant_begin(c->db, c->who.tenant, err, sizeof(err)) < 0)
		goto dberr;
	rc = jobstate_control(c->db, c->id, act, reason, &moved, err,
			      sizeof(err));
	if (rc == JOBSTATE_NOTFOUND) {
		api_reply_error(c->rs, 404, "not_found", "job %" PRId64
				" not found", c->id);
		goto out;
	}
	if (rc == JOBSTATE_ILLEGAL || rc == JOBSTATE_CHANGED) {
		api_reply_error(c->rs, 409, "illegal_transition", "%s", err);
		goto out;
	}
	if (rc < 0 || db_commit(c->db, err, sizeof(err)) < 0)
		goto dberr;
	log_info("API", "job=%" PRId64 " action=%s sub=%s role=%s", c->id, act,
		 c->who.sub, auth_role_name(c->who.role));
	c->rs->kick = 1; /* api_finish runs hooks.kick on the loop thread */
	o = job_json(c, 0);
	if (o) {
		json_object *w = json_object_new_object();

		json_object_object_add(w, "accepted", json_object_new_string(act));
		json_object_object_add(w, "job", o);
		api_reply_json(c->rs, moved ? 200 : 202, w);
		json_object_put(w);
	}
	goto out;
dberr:
	api_reply_db_error(c, err);
out:
	db_rollback(c->db);
}
