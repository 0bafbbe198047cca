/* jobstate: the etl_jobs state machine (see jobstate.h). */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "db/db.h"
#include "jobs/jobstate.h"
#include "base/log.h"

static const char *const state_names[JS_COUNT] = {
	"NOT_STARTED", "PENDING", "RUNNING", "FINISHED", "ERROR", "PAUSED",
};

/* legal[from][to] */
static const unsigned char legal[JS_COUNT][JS_COUNT] = {
	/*               NS PE RU FI ER PA */
	[JS_NOT_STARTED] = {0, 1, 0, 0, 0, 0},
	[JS_PENDING]     = {0, 0, 1, 0, 0, 1},
	[JS_RUNNING]     = {0, 0, 0, 1, 1, 1},
	[JS_FINISHED]    = {0, 1, 0, 0, 0, 0},
	[JS_ERROR]       = {0, 0, 1, 0, 0, 1},
	[JS_PAUSED]      = {0, 0, 1, 0, 0, 0},
};

const char *jobstate_name(int s)
{
	return s >= 0 && s < JS_COUNT ? state_names[s] : "?";
}

int jobstate_parse(const char *name)
{
	int i;

	for (i = 0; name && i < JS_COUNT; i++)
		if (strcmp(name, state_names[i]) == 0)
			return i;
	return -1;
}

int jobstate_legal(int from, int to)
{
	if (from < 0 || from >= JS_COUNT || to < 0 || to >= JS_COUNT)
		return 0;
	return legal[from][to];
}

const char *jobstate_allowed(int s, char *buf, size_t len)
{
	size_t used = 0;
	int t;

	if (len)
		buf[0] = '\0';
	for (t = 0; t < JS_COUNT; t++) {
		if (!jobstate_legal(s, t))
			continue;
		used += (size_t)snprintf(buf + (used < len ? used : len),
					 used < len ? len - used : 0, "%s%s",
					 used ? ", " : "", state_names[t]);
	}
	if (!used)
		snprintf(buf, len, "none");
	return buf;
}

int jobstate_move(PGconn *c, int64_t job_id, int from, int to,
		  const char *reason, const struct jobstate_move *m,
		  int *prev, char *err, size_t errlen)
{
	static const struct jobstate_move none = {.retry_count = -1,
						  .next_run_in_s = -1};
	char id[24], rc_s[24], next_s[24], run_s[24], allowed[80];
	const char *params[8];
	PGresult *r = NULL;
	int cur, rc = -1;

	if (!m)
		m = &none;
	db_i64(id, job_id);
	params[0] = id;
	r = db_query(c, err, errlen,
		     "SELECT state FROM etl_jobs WHERE id = $1 FOR UPDATE", 1,
		     params);
	if (!r)
		goto out;
	if (PQntuples(r) != 1) {
		snprintf(err, errlen, "job %" PRId64 " not found", job_id);
		rc = JOBSTATE_NOTFOUND;
		goto out;
	}
	cur = jobstate_parse(PQgetvalue(r, 0, 0));
	PQclear(r);
	r = NULL;
	if (prev)
		*prev = cur;
	if (from >= 0 && cur != from) {
		snprintf(err, errlen, "job %" PRId64 " is %s, not %s", job_id,
			 jobstate_name(cur), jobstate_name(from));
		rc = JOBSTATE_CHANGED;
		goto out;
	}
	if (!jobstate_legal(cur, to)) {
		snprintf(err, errlen,
			 "job %" PRId64 ": cannot move from %s to %s (allowed "
			 "from %s: %s)", job_id, jobstate_name(cur),
			 jobstate_name(to), jobstate_name(cur),
			 jobstate_allowed(cur, allowed, sizeof(allowed)));
		rc = JOBSTATE_ILLEGAL;
		goto out;
	}
	snprintf(rc_s, sizeof(rc_s), "%d", m->retry_count);
	db_i64(next_s, m->next_run_in_s);
	params[1] = state_names[to];
	params[2] = m->owner;
	params[3] = m->error;
	params[4] = rc_s;
	params[5] = next_s;
	params[6] = m->auto_resume ? "true" : "false";
	params[7] = m->error_class;
	/* Side effects follow the target state; see jobstate.h. */
	r = db_query(c, err, errlen,
		     "UPDATE etl_jobs SET state = $2, control = NULL,"
		     " owner = CASE WHEN $2 = 'RUNNING' THEN $3 END,"
		     " heartbeat_at = CASE WHEN $2 = 'RUNNING' THEN now() END,"
		     " last_started_at = CASE WHEN $2 = 'RUNNING' THEN now()"
		     "   ELSE last_started_at END,"
		     " last_finished_at = CASE WHEN $2 IN ('FINISHED', 'ERROR')"
		     "   THEN now() ELSE last_finished_at END,"
		     " last_error = CASE WHEN $2 = 'ERROR' THEN $4"
		     "   WHEN $2 = 'FINISHED' THEN NULL ELSE last_error END,"
		     " last_error_class = CASE WHEN $2 = 'ERROR' THEN $8"
		     "   WHEN $2 = 'FINISHED' THEN NULL ELSE last_error_class END,"
		     " retry_count = CASE WHEN $2 = 'FINISHED' THEN 0"
		     "   WHEN $2 = 'ERROR' AND $5::int >= 0 THEN $5::int"
		     "   ELSE retry_count END,"
		     " next_run_at = CASE WHEN $2 IN ('FINISHED', 'ERROR') THEN"
		     "   now() + make_interval(secs => CASE WHEN $6::bigint < 0"
		     "   THEN interval_seconds ELSE $6::bigint END)"
		     "   ELSE next_run_at END,"
		     " auto_resume = ($2 = 'PAUSED' AND $7::boolean)"
		     " WHERE id = $1",
		     8, params);
	if (!r)
		goto out;
	PQclear(r);
	db_i64(run_s, m->run_id);
	params[1] = state_names[cur];
	params[2] = state_names[to];
	params[3] = reason && *reason ? reason : "(no reason given)";
	params[4] = m->run_id ? run_s : NULL;
	r = db_query(c, err, errlen,
		     "INSERT INTO job_transitions (tenant_id, job_id, run_id,"
		     " from_state, to_state, reason)"
		     " SELECT tenant_id, id, $5, $2, $3, $4 FROM etl_jobs"
		     " WHERE id = $1",
		     5, params);
	if (!r)
		goto out;
	log_info("ORCH", "job=%" PRId64 " from=%s to=%s reason=\"%s\"", job_id,
		 state_names[cur], state_names[to], params[3]);
	rc = 0;
out:
	PQclear(r);
	return rc;
}
