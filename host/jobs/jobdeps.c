/* jobdeps: job_dependencies, with cycles refused (jobdeps.h). */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "db/db.h"
#include "jobs/jobdeps.h"

int jobdeps_add(PGconn *c, int64_t job, int64_t on, char *err,
		size_t errlen)
{
	char js[24], os[24];
	const char *p[2] = {db_i64(js, job), db_i64(os, on)};
	PGresult *r = NULL;
	int rc = -1;

	if (job == on) {
		snprintf(err, errlen, "job %" PRId64 " cannot depend on itself",
			 job);
		return JOBDEPS_REFUSED;
	}
	/* Two concurrent adds could close a cycle neither sees. */
	if (db_exec(c, "LOCK TABLE job_dependencies IN SHARE ROW EXCLUSIVE MODE",
		    err, errlen) < 0)
		goto out;
	r = db_query(c, err, errlen,
		     "SELECT x, EXISTS (SELECT 1 FROM etl_jobs WHERE id = x)"
		     " FROM unnest(ARRAY[$1::bigint, $2::bigint]) x", 2, p);
	if (!r)
		goto out;
	for (rc = 0; rc < 2; rc++)
		if (PQgetvalue(r, rc, 1)[0] != 't') {
			snprintf(err, errlen, "job %s not found in this tenant; "
				 "see `pulse-host job depend --tenant T`",
				 PQgetvalue(r, rc, 0));
			rc = JOBDEPS_REFUSED;
			goto out;
		}
	rc = -1;
	PQclear(r);
	/* A path from `on` back to `job` over the saved edges would close
	 * a cycle with the new one: name it. */
	r = db_query(c, err, errlen,
		     "WITH RECURSIVE w(id, path) AS ("
		     "  SELECT $2::bigint, ARRAY[$1::bigint, $2::bigint]"
		     "  UNION ALL"
		     "  SELECT d.depends_on, w.path || d.depends_on"
		     "    FROM w JOIN job_dependencies d ON d.job_id = w.id"
		     "   WHERE w.id <> $1 AND (d.depends_on = $1"
		     "         OR NOT d.depends_on = ANY (w.path)))"
		     " SELECT 'job ' || array_to_string(path, ' -> job ')"
		     "   FROM w WHERE id = $1 LIMIT 1", 2, p);
	if (!r)
		goto out;
	if (PQntuples(r) == 1) {
		snprintf(err, errlen, "job %" PRId64 " cannot depend on job %"
			 PRId64 ": that would make a cycle (%s); remove one of "
			 "its edges first", job, on, PQgetvalue(r, 0, 0));
		rc = JOBDEPS_REFUSED;
		goto out;
	}
	PQclear(r);
	r = db_query(c, err, errlen,
		     "INSERT INTO job_dependencies (tenant_id, job_id, depends_on)"
		     " SELECT tenant_id, id, $2 FROM etl_jobs WHERE id = $1"
		     " ON CONFLICT DO NOTHING", 2, p);
	if (!r)
		goto out;
	rc = 0;
out:
	PQclear(r);
	return rc;
}

int jobdeps_remove(PGconn *c, int64_t job, int64_t on, int64_t *n,
		   char *err, size_t errlen)
{
	char js[24], os[24];
	const char *p[2] = {db_i64(js, job), db_i64(os, on)};
	PGresult *r;

	r = db_query(c, err, errlen,
		     "WITH d AS (DELETE FROM job_dependencies WHERE job_id = $1"
		     " AND ($2::bigint = 0 OR depends_on = $2) RETURNING 1)"
		     " SELECT count(*) FROM d", 2, p);
	if (!r)
		return -1;
	if (n)
		*n = db_int64(r, 0, 0);
	PQclear(r);
	return 0;
}

PGresult *jobdeps_list(PGconn *c, int64_t job, char *err, size_t errlen)
{
	char js[24];
	const char *p[1] = {db_i64(js, job)};

	return db_query(c, err, errlen,
			"SELECT d.job_id, ij.name AS integration, d.depends_on,"
			" ip.name AS depends_on_integration, p.state AS depends_on_state,"
			" ((p.state = 'FINISHED' AND p.last_finished_at >"
			"   coalesce(j.last_started_at, '-infinity'))"
			"  OR (d.on_failure = 'run' AND orch_dep_failed(p, j)))"
			"  AS satisfied, d.on_failure"
			" FROM job_dependencies d"
			" JOIN etl_jobs j ON j.id = d.job_id"
			" JOIN integrations ij ON ij.id = j.integration_id"
			" JOIN etl_jobs p ON p.id = d.depends_on"
			" JOIN integrations ip ON ip.id = p.integration_id"
			" WHERE $1::bigint = 0 OR d.job_id = $1"
			" ORDER BY d.job_id, d.depends_on", 1, p);
}

int jobdeps_on_failure(PGconn *c, int64_t job, int64_t on, const char *mode,
		       char *err, size_t errlen)
{
	char js[24], os[24];
	const char *p[3] = {db_i64(js, job), db_i64(os, on), mode};
	PGresult *r;

	if (strcmp(mode, "skip") != 0 && strcmp(mode, "run") != 0) {
		snprintf(err, errlen, "on-failure '%s': use skip (a failed "
			 "prerequisite skips the cycle) or run (run anyway)", mode);
		return JOBDEPS_REFUSED;
	}
	r = db_query(c, err, errlen, "UPDATE job_dependencies SET on_failure = $3"
		     " WHERE job_id = $1 AND ($2::bigint = 0 OR depends_on = $2)",
		     3, p);
	if (!r)
		return -1;
	PQclear(r);
	return 0;
}
