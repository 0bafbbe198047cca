/*
 * jobdeps: which jobs a job waits for (job_dependencies, 082). The rule
 * the orchestrator applies is in orch_due_jobs (082_job_dependencies.sql):
 * a job starting a new cycle waits until every job it depends on has
 * FINISHED since its own last start. Cycles are refused here, when an
 * edge is saved, with the cycle named.
 *
 * Every call runs inside the caller's open tenant transaction.
 */
#ifndef PULSE_JOBDEPS_H
#define PULSE_JOBDEPS_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#define JOBDEPS_REFUSED (-2) /* not found, self or cycle: err says which */

/* job waits for on. 0 (also when it already did), JOBDEPS_REFUSED, or
 * -1 (database error); err says why. */
int jobdeps_add(PGconn *c, int64_t job, int64_t on, char *err,
		size_t errlen);
/* Remove one edge (on > 0) or all of job's (on = 0). *n (may be NULL)
 * gets how many went. 0, or -1 with err. */
int jobdeps_remove(PGconn *c, int64_t job, int64_t on, int64_t *n,
		   char *err, size_t errlen);
/* What job does when prerequisite on (0 = each of its) failed in the
 * cycle: mode "skip" (the default: the cycle is skipped, with the
 * reason) or "run" (it runs anyway once the prerequisite ended). 0,
 * JOBDEPS_REFUSED (bad mode), or -1; err says why. */
int jobdeps_on_failure(PGconn *c, int64_t job, int64_t on, const char *mode,
		       char *err, size_t errlen);
/* Rows (job_id, integration, depends_on, depends_on_integration,
 * depends_on_state, satisfied, on_failure) of job (0 = the whole tenant), ordered;
 * caller PQclear()s. NULL with err. */
PGresult *jobdeps_list(PGconn *c, int64_t job, char *err, size_t errlen);

#endif
