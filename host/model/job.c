/* job: job rows for the API (see job.h). */
#include "config.h"

#include <stdio.h>

#include "db/db.h"
#include "model/job.h"
#include "model/tenant.h"

/* A job, its integration and its latest run, as the API shows them. */
#define JOB_COLUMNS \
	"SELECT j.id, j.integration_id, i.name AS integration, i.plugin," \
	" j.state, j.interval_seconds, j.fast_retry_seconds, j.retry_count," \
	" j.max_retries, j.next_run_at, j.last_started_at, j.last_finished_at," \
	" j.last_error, j.last_error_class, j.control, j.auto_resume, j.owner," \
	" j.heartbeat_at, r.id AS run_id, r.state AS run_state, r.step," \
	" r.processed, r.total, r.started_at AS run_started_at," \
	" r.finished_at AS run_finished_at," \
	" (SELECT coalesce(json_agg(d.depends_on ORDER BY d.depends_on), '[]')" \
	"   FROM job_dependencies d WHERE d.job_id = j.id) AS depends_on" \
	" FROM etl_jobs j JOIN integrations i ON i.id = j.integration_id" \
	" LEFT JOIN LATERAL (SELECT id, state, step, processed, total," \
	"   started_at, finished_at FROM job_runs" \
	"   WHERE integration_id = j.integration_id" \
	"   ORDER BY started_at DESC, id DESC LIMIT 1) r ON true"

PGresult *job_rows(PGconn *c, int64_t tenant, int64_t job_id, char *err,
		   size_t errlen)
{
	char ids[24];
	const char *p[1] = {db_i64(ids, job_id)};

	if (job_id <= 0)
		return tenant_query(c, tenant, JOB_COLUMNS " ORDER BY j.id", 0,
				    NULL, err, errlen);
	return tenant_query(c, tenant, JOB_COLUMNS " WHERE j.id = $1", 1, p,
			    err, errlen);
}

PGresult *job_runs(PGconn *c, int64_t tenant, int64_t job_id, char *err,
		   size_t errlen)
{
	char ids[24];
	const char *p[1] = {db_i64(ids, job_id)};

	return tenant_query(c, tenant,
			    "SELECT id, state, started_at, finished_at, error,"
			    " error_class, step, processed, total, stats"
			    " FROM job_runs WHERE integration_id ="
			    " (SELECT integration_id FROM etl_jobs WHERE id = $1)"
			    " ORDER BY started_at DESC, id DESC LIMIT 10", 1, p,
			    err, errlen);
}

PGresult *job_transitions(PGconn *c, int64_t tenant, int64_t job_id,
			  char *err, size_t errlen)
{
	char ids[24];
	const char *p[1] = {db_i64(ids, job_id)};

	return tenant_query(c, tenant,
			    "SELECT from_state, to_state, reason, run_id, at"
			    " FROM job_transitions WHERE job_id = $1"
			    " ORDER BY at DESC, id DESC LIMIT 50", 1, p, err,
			    errlen);
}
