/*
 * job: reading jobs for the REST API and the viewer (rows rendered as
 * JSON by host/server/api_jobs.c). Every change of a job's state goes
 * through host/jobs/jobstate.h instead.
 */
#ifndef PULSE_JOB_H
#define PULSE_JOB_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

/*
 * The jobs of tenant with their integration (name, plugin) and latest
 * run (run_id, run_state, step, processed, total, ...), ordered by id;
 * job_id > 0: only that one (no row when it is not the tenant's). In a
 * transaction of its own. The caller PQclear()s; NULL with err.
 */
PGresult *job_rows(PGconn *c, int64_t tenant, int64_t job_id, char *err,
		   size_t errlen);

/* The job's 10 latest runs (with their stats), newest first. As above. */
PGresult *job_runs(PGconn *c, int64_t tenant, int64_t job_id, char *err,
		   size_t errlen);

/* The job's 50 latest transitions, newest first. As above. */
PGresult *job_transitions(PGconn *c, int64_t tenant, int64_t job_id,
			  char *err, size_t errlen);

#endif
