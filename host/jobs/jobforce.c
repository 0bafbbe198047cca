/* jobforce: force-stop, force-start and reset of a data job (jobforce.h). */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "db/db.h"
#include "jobs/jobforce.h"
#include "jobs/jobstate.h"

/* Kill the job process of owner (host:pid) when it lives on this host.
 * *pid gets it (0 when there was none alive). 0, or JOBSTATE_ILLEGAL
 * when it runs on another host. */
static int kill_owner(int64_t job, const char *owner, long *pid, char *err,
		      size_t errlen)
{
	const char *colon = strrchr(owner, ':');

	*pid = 0;
	if (!*owner || !colon)
		return 0;
	if (!db_owner_same_host(owner)) {
		snprintf(err, errlen, "job %" PRId64 " runs on another host (%s): "
			 "force-stop it there (its daemon's API or CLI); nothing "
			 "changed", job, owner);
		return JOBSTATE_ILLEGAL;
	}
	if (!db_owner_alive(owner))
		return 0;
	*pid = strtol(colon + 1, NULL, 10);
	if (*pid > 1 && kill((pid_t)*pid, SIGKILL) < 0 && errno != ESRCH) {
		snprintf(err, errlen, "job %" PRId64 ": cannot kill its process %ld:"
			 " %s (run force-stop as the daemon's user)", job, *pid,
			 strerror(errno));
		*pid = 0;
		return JOBSTATE_ILLEGAL;
	}
	return 0;
}

int jobforce(PGconn *c, int64_t job_id, const char *action,
	     const char *reason, const char *actor, int clear_checkpoint,
	     struct jobforce_result *out, char *err, size_t errlen)
{
	char ids[24], why[1024];
	const char *p[1] = {db_i64(ids, job_id)};
	PGresult *r;
	char owner[288];
	int cur, to, rc;

	memset(out, 0, sizeof(*out));
	r = db_query(c, err, errlen, "SELECT state, coalesce(owner, '')"
		     " FROM etl_jobs WHERE id = $1 FOR UPDATE", 1, p);
	if (!r)
		return -1;
	if (PQntuples(r) != 1) {
		PQclear(r);
		snprintf(err, errlen, "job %" PRId64 " not found", job_id);
		return JOBSTATE_NOTFOUND;
	}
	cur = jobstate_parse(PQgetvalue(r, 0, 0));
	snprintf(owner, sizeof(owner), "%s", PQgetvalue(r, 0, 1));
	PQclear(r);
	out->prev = out->now = cur;
	if (strcmp(action, "stop") == 0) {
		to = JS_ERROR;
		if (cur == JS_RUNNING &&
		    (rc = kill_owner(job_id, owner, &out->killed_pid, err,
				     errlen)) != 0)
			return rc;
		if (cur == JS_ERROR) {
			snprintf(err, errlen, "job %" PRId64 " is not running (ERROR "
				 "already); nothing stopped", job_id);
			return JOBSTATE_ILLEGAL;
		}
		snprintf(why, sizeof(why), "stopped by operator: %s", reason);
	} else if (strcmp(action, "start") == 0) {
		to = JS_PENDING;
		if (cur == JS_RUNNING || cur == JS_PENDING) {
			snprintf(err, errlen, "job %" PRId64 " is %s already; nothing "
				 "started", job_id, jobstate_name(cur));
			return JOBSTATE_ILLEGAL;
		}
		snprintf(why, sizeof(why), "force-start: %s", reason);
	} else if (strcmp(action, "reset") == 0) {
		to = JS_NOT_STARTED;
		if (cur == JS_RUNNING) {
			snprintf(err, errlen, "job %" PRId64 " is RUNNING: force-stop "
				 "it first (`pulse-host job force-stop %" PRId64
				 " --reason ...`); nothing changed", job_id, job_id);
			return JOBSTATE_ILLEGAL;
		}
		snprintf(why, sizeof(why), "reset%s: %s", clear_checkpoint ?
			 " (checkpoint cleared)" : " (checkpoint kept)", reason);
	} else {
		snprintf(err, errlen, "unknown force action '%s'", action);
		return JOBSTATE_ILLEGAL;
	}
	if (cur != to &&
	    (rc = jobstate_force(c, job_id, to, why, actor, NULL, err,
				 errlen)) != 0)
		return rc;
	/* reset of a NOT_STARTED job: no move, still on record */
	if (cur == to && jobstate_note(c, job_id, why, actor, err, errlen) < 0)
		return -1;
	out->now = to;
	/* an operator's stop is not retried: the next run is one interval
	 * away (or a force-start) */
	if (to == JS_ERROR &&
	    jobstate_defer_stopped(c, job_id, reason, err, errlen) < 0)
		return -1;
	if (to == JS_NOT_STARTED && clear_checkpoint) {
		r = db_query(c, err, errlen, "WITH d AS (DELETE FROM integration_state"
			     " WHERE integration_id = (SELECT integration_id FROM"
			     " etl_jobs WHERE id = $1) RETURNING 1)"
			     " SELECT count(*) FROM d", 1, p);
		if (!r)
			return -1;
		out->cleared = db_int64(r, 0, 0);
		PQclear(r);
	}
	log_info("ORCH", "job=%" PRId64 " event=force_%s by=\"%s\" killed=%ld "
		 "cleared=%" PRId64, job_id, action, actor, out->killed_pid,
		 out->cleared);
	return 0;
}
