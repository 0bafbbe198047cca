/* orch_sweep: the stuck sweep - RUNNING jobs nobody runs any more are
 * reset to ERROR for an immediate retry. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/conf.h"
#include "base/log.h"
#include "db/db.h"
#include "jobs/jobstate.h"
#include "jobs/orchestrator_int.h"
#include "server/progress.h"

/* Whether the run of job p[0] by owner p[1] is still RUNNING (its process
 * died before recording an end). In the caller's tenant transaction. */
static int run_running(struct orch *o, const char *const *p)
{
	char err[512];
	PGresult *r;
	int yes = 1; /* unknown counts as running: the old, immediate reset */

	r = db_query(o->db, err, sizeof(err), "SELECT EXISTS (SELECT 1 FROM"
		     " job_runs WHERE job_id = $1 AND owner = $2 AND"
		     " state = 'RUNNING')", 2, p);
	if (r && PQntuples(r) == 1)
		yes = PQgetvalue(r, 0, 0)[0] == 't';
	PQclear(r);
	return yes;
}

/* Reset RUNNING jobs nobody runs any more. */
void orch_sweep_stuck(struct orch *o)
{
	struct jobstate_move m = {.retry_count = -1, .next_run_in_s = 0,
				  .error_class = "stuck"};
	char err[512], reason[512], ids[24];
	const char *p[2];
	PGresult *r, *x;
	int row;

	r = db_query(o->db, err, sizeof(err),
		     "SELECT tenant_id, job_id, coalesce(owner, ''), silent_seconds"
		     " FROM orch_stuck_jobs(0)", 0, NULL);
	for (row = 0; r && row < PQntuples(r); row++) {
		int64_t tenant = db_int64(r, row, 0), job = db_int64(r, row, 1);
		const char *owner = PQgetvalue(r, row, 2);
		int64_t silent = db_int64(r, row, 3);
		int gone = *owner && !db_owner_alive(owner), local;
		char host[256];

		if (orch_slot_of_job(o, job))
			continue;
		/* An owner on this host is judged by its pid alone: a live
		 * job process is its own daemon's to stop (a late heartbeat
		 * under load must not start a second run beside it), and
		 * one whose daemon died dies with it. Others by age. */
		if (gethostname(host, sizeof(host)) < 0)
			host[0] = '\0';
		host[sizeof(host) - 1] = '\0';
		local = strncmp(owner, host, strlen(host)) == 0 &&
			owner[strlen(host)] == ':';
		if (!local)
			gone = 0;
		if (local ? !gone : silent < o->conf->jobs_heartbeat_timeout_s)
			continue;
		p[0] = db_i64(ids, job);
		p[1] = owner;
		if (db_tenant_begin(o->db, tenant, err, sizeof(err)) < 0)
			break;
		/* A gone local process whose run ended normally is being
		 * recorded by its daemon (the gap between exit and record):
		 * reset it only when that daemon fell silent too. A run
		 * still RUNNING died mid-way: reset it now. */
		if (gone && silent < o->conf->jobs_heartbeat_timeout_s &&
		    !run_running(o, p)) {
			db_rollback(o->db);
			log_info("ORCH", "job=%" PRId64 " event=stuck_deferred "
				 "owner=%s silent_s=%" PRId64 " reason=\"its process "
				 "exited after ending its run; its daemon records "
				 "the end\"", job, owner, silent);
			continue;
		}
		snprintf(reason, sizeof(reason), "stuck: no heartbeat from %s for %"
			 PRId64 " s%s; reset for an immediate retry",
			 *owner ? owner : "(no owner)", silent,
			 gone ? " and that process is gone" : "");
		m.error = reason;
		if (jobstate_move(o->db, job, JS_RUNNING, JS_ERROR, reason, &m, NULL,
				  err, sizeof(err)) == 0) {
			x = db_query(o->db, err, sizeof(err),
				     "UPDATE job_runs SET state = 'ERROR', finished_at = now(),"
				     " error = 'abandoned: its job process is gone',"
				     " error_class = 'transient' WHERE job_id = $1 AND"
				     " state = 'RUNNING'", 1, p);
			PQclear(x);
			if (x && db_commit(o->db, err, sizeof(err)) == 0) {
				struct slot tmp;

				memset(&tmp, 0, sizeof(tmp));
				tmp.tenant = tenant;
				tmp.job = job;
				orch_publish(o, &tmp, PROG_ERROR, "ERROR", reason);
				continue;
			}
		}
		db_rollback(o->db);
		log_warn("ORCH", "job=%" PRId64 " event=stuck_reset_failed error=\"%s\"",
			 job, err);
	}
	if (!r)
		log_warn("ORCH", "event=stuck_sweep_failed error=\"%s\"", err);
	PQclear(r);
}
