/* jobstate: the etl_jobs state machine (see jobstate.h). */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "db/db.h"
#include "jobs/jobstate.h"
#include "base/log.h"
#include "base/strbuf.h"

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

int jobstate_create(PGconn *c, int64_t tenant_id, int64_t integration_id,
		    int64_t *job_id, char *err, size_t errlen)
{
	char ten[24], integ[24];
	const char *p[2] = {db_i64(ten, tenant_id), db_i64(integ, integration_id)};
	PGresult *r;

	r = db_query(c, err, errlen, "INSERT INTO etl_jobs (tenant_id,"
		     " integration_id) VALUES ($1, $2) RETURNING id", 2, p);
	if (!r)
		return -1;
	if (job_id)
		*job_id = db_int64(r, 0, 0);
	PQclear(r);
	return 0;
}

/* ---- the orchestrator ------------------------------------------------ */

/* The reason of a claim's move to RUNNING, or NULL when the job is not
 * due any more (someone else ran it). */
static const char *claim_reason(int cur, int due, int auto_resume,
				int retry_count, const char *owner, char *buf,
				size_t len)
{
	if (cur == JS_PENDING)
		snprintf(buf, len, "picked by the orchestrator (job process %s)",
			 owner);
	else if (cur == JS_ERROR && due)
		snprintf(buf, len, "retry %d after error (job process %s)",
			 retry_count, owner);
	else if (cur == JS_PAUSED && auto_resume)
		snprintf(buf, len, "resumed from the checkpoint (job process %s)",
			 owner);
	else
		return NULL;
	return buf;
}

int jobstate_claim(PGconn *c, int64_t tenant_id, int64_t job_id,
		   const char *owner, struct jobstate_claim *out, char *err,
		   size_t errlen)
{
	struct jobstate_move m = {.retry_count = -1, .next_run_in_s = -1};
	struct jobstate_claim k;
	char ids[24], reason[256];
	const char *p[1] = {db_i64(ids, job_id)};
	PGresult *r;
	int cur, due, auto_resume, rc = -1;

	if (db_tenant_begin(c, tenant_id, err, errlen) < 0)
		return -1;
	r = db_query(c, err, errlen,
		     "SELECT j.state, coalesce(j.next_run_at <= now(), true),"
		     " j.auto_resume, j.retry_count, j.max_retries,"
		     " j.fast_retry_seconds, j.interval_seconds, i.enabled"
		     " FROM etl_jobs j JOIN integrations i ON i.id = j.integration_id"
		     " WHERE j.id = $1 FOR UPDATE OF j SKIP LOCKED", 1, p);
	if (!r)
		goto out;
	if (PQntuples(r) != 1 || PQgetvalue(r, 0, 7)[0] != 't') {
		rc = 0; /* another daemon is claiming it, or it went away */
		goto out;
	}
	cur = jobstate_parse(PQgetvalue(r, 0, 0));
	due = PQgetvalue(r, 0, 1)[0] == 't';
	auto_resume = PQgetvalue(r, 0, 2)[0] == 't';
	k.retry_count = atoi(PQgetvalue(r, 0, 3));
	k.max_retries = atoi(PQgetvalue(r, 0, 4));
	k.fast_retry_s = atoi(PQgetvalue(r, 0, 5));
	k.interval_s = atoi(PQgetvalue(r, 0, 6));
	if (out)
		*out = k;
	m.owner = owner;
	rc = 0;
	if ((cur == JS_NOT_STARTED || cur == JS_FINISHED) && due) {
		snprintf(reason, sizeof(reason), cur == JS_NOT_STARTED ?
			 "first run scheduled" : "interval of %d s elapsed",
			 k.interval_s);
		if (jobstate_move(c, job_id, cur, JS_PENDING, reason, &m, NULL,
				  err, errlen) < 0)
			goto fail;
		cur = JS_PENDING;
	}
	if (!claim_reason(cur, due, auto_resume, k.retry_count, owner, reason,
			  sizeof(reason)))
		goto out;
	if (jobstate_move(c, job_id, cur, JS_RUNNING, reason, &m, NULL, err,
			  errlen) < 0 || db_commit(c, err, errlen) < 0)
		goto fail;
	PQclear(r);
	return 1;
fail:
	rc = -1;
out:
	PQclear(r);
	db_rollback(c);
	return rc;
}

int jobstate_finish(PGconn *c, int64_t job_id, int to, const char *reason,
		    const struct jobstate_move *m, char *err, size_t errlen)
{
	char ids[24];
	const char *p[2] = {db_i64(ids, job_id), m->error_class};
	PGresult *r;
	int cur = -1;

	r = db_query(c, err, errlen,
		     "SELECT state FROM etl_jobs WHERE id = $1 FOR UPDATE", 1, p);
	if (!r)
		return -1;
	if (PQntuples(r) == 1)
		cur = jobstate_parse(PQgetvalue(r, 0, 0));
	PQclear(r);
	if (cur == to) {
		/* Closed already (by a runner that ran it outside the
		 * orchestrator): keep the class the policy decided on. */
		r = db_query(c, err, errlen, "UPDATE etl_jobs SET"
			     " last_error_class = $2 WHERE id = $1", 2, p);
		PQclear(r);
		return r ? 0 : -1;
	}
	if (cur >= 0 && jobstate_legal(cur, to))
		return jobstate_move(c, job_id, cur, to, reason, m, NULL, err,
				     errlen) < 0 ? -1 : 0;
	log_warn("ORCH", "job=%" PRId64 " event=finish_skipped state=%s "
		 "wanted=%s", job_id, jobstate_name(cur), jobstate_name(to));
	return 0;
}

int jobstate_heartbeat(PGconn *c, const char *const *owners, size_t n,
		       void (*fn)(void *ctx, int64_t job_id,
				  const char *control),
		       void *ctx, char *err, size_t errlen)
{
	struct strbuf arr = STRBUF_INIT;
	const char *p[1];
	PGresult *r = NULL;
	size_t i;
	int row, rc = -1;

	if (!n)
		return 0;
	/* A text[] literal; owners are host:pid, quoted for the parser. */
	sb_adds(&arr, "{");
	for (i = 0; i < n; i++) {
		sb_adds(&arr, i ? ",\"" : "\"");
		sb_add_json_str(&arr, owners[i]);
		sb_adds(&arr, "\"");
	}
	sb_adds(&arr, "}");
	if (!arr.buf) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	p[0] = arr.buf;
	r = db_query(c, err, errlen,
		     "SELECT job_id, control FROM orch_heartbeat($1::text[])", 1, p);
	if (!r)
		goto out;
	for (row = 0; row < PQntuples(r); row++)
		if (!PQgetisnull(r, row, 1))
			fn(ctx, db_int64(r, row, 0), PQgetvalue(r, row, 1));
	rc = 0;
out:
	PQclear(r);
	sb_free(&arr);
	return rc;
}

int jobstate_touch(PGconn *c, int64_t job_id, char *err, size_t errlen)
{
	char ids[24];
	const char *p[1] = {db_i64(ids, job_id)};
	PGresult *r;

	r = db_query(c, err, errlen, "UPDATE etl_jobs SET heartbeat_at = now()"
		     " WHERE id = $1", 1, p);
	PQclear(r);
	return r ? 0 : -1;
}

/* ---- operators (API, CLI) -------------------------------------------- */

int jobstate_control(PGconn *c, int64_t job_id, const char *action,
		     const char *reason, int *moved, char *err, size_t errlen)
{
	char ids[24], allowed[80];
	const char *p[2] = {db_i64(ids, job_id), action};
	const char *sql = NULL;
	PGresult *r;
	int cur, to = -1, target, rc;

	*moved = 0;
	r = db_query(c, err, errlen,
		     "SELECT state FROM etl_jobs WHERE id = $1 FOR UPDATE", 1, p);
	if (!r)
		return -1;
	if (PQntuples(r) != 1) {
		PQclear(r);
		snprintf(err, errlen, "job %" PRId64 " not found", job_id);
		return JOBSTATE_NOTFOUND;
	}
	cur = jobstate_parse(PQgetvalue(r, 0, 0));
	PQclear(r);
	if (strcmp(action, "start") == 0) {
		target = JS_PENDING;
		if (cur == JS_NOT_STARTED || cur == JS_FINISHED)
			to = JS_PENDING;
		else if (cur == JS_ERROR) /* the orchestrator retries it now */
			sql = "UPDATE etl_jobs SET next_run_at = now(),"
			      " retry_count = 0 WHERE id = $1";
		else if (cur == JS_PAUSED)
			sql = "UPDATE etl_jobs SET auto_resume = true WHERE id = $1";
	} else if (strcmp(action, "stop") == 0 || strcmp(action, "pause") == 0) {
		target = JS_PAUSED;
		if (cur == JS_RUNNING)
			sql = "UPDATE etl_jobs SET control = $2 WHERE id = $1";
		else if (cur == JS_PENDING || cur == JS_ERROR)
			to = JS_PAUSED;
	} else if (strcmp(action, "resume") == 0) {
		target = JS_RUNNING;
		if (cur == JS_PAUSED)
			sql = "UPDATE etl_jobs SET auto_resume = true WHERE id = $1";
	} else {
		snprintf(err, errlen, "unknown job action '%s' (start, stop, "
			 "pause or resume)", action);
		return JOBSTATE_ILLEGAL;
	}
	if (sql) {
		r = db_query(c, err, errlen, sql, strstr(sql, "$2") ? 2 : 1, p);
		PQclear(r);
		return r ? 0 : -1;
	}
	if (to < 0) {
		snprintf(err, errlen, "job %" PRId64 " is %s: cannot %s it (would "
			 "move to %s; allowed from %s: %s)", job_id,
			 jobstate_name(cur), action, jobstate_name(target),
			 jobstate_name(cur),
			 jobstate_allowed(cur, allowed, sizeof(allowed)));
		return JOBSTATE_ILLEGAL;
	}
	rc = jobstate_move(c, job_id, cur, to, reason, NULL, NULL, err, errlen);
	if (rc == 0)
		*moved = 1;
	return rc;
}

int jobstate_force(PGconn *c, int64_t job_id, int to, const char *reason,
		   const char *actor, int *prev, char *err, size_t errlen)
{
	char ids[24], why[1024];
	const char *p[5];
	PGresult *r;
	int cur;

	if (to < 0 || to >= JS_COUNT || to == JS_RUNNING) {
		snprintf(err, errlen, "cannot force a job into %s: only a job "
			 "process makes a job RUNNING (use `pulse-host job run` "
			 "or the API's start); force one of NOT_STARTED, PENDING, "
			 "FINISHED, ERROR, PAUSED", jobstate_name(to));
		return JOBSTATE_ILLEGAL;
	}
	p[0] = db_i64(ids, job_id);
	r = db_query(c, err, errlen,
		     "SELECT state FROM etl_jobs WHERE id = $1 FOR UPDATE", 1, p);
	if (!r)
		return -1;
	if (PQntuples(r) != 1) {
		PQclear(r);
		snprintf(err, errlen, "job %" PRId64 " not found", job_id);
		return JOBSTATE_NOTFOUND;
	}
	cur = jobstate_parse(PQgetvalue(r, 0, 0));
	PQclear(r);
	if (prev)
		*prev = cur;
	if (cur == to) {
		snprintf(err, errlen, "job %" PRId64 " is already %s; nothing "
			 "forced", job_id, jobstate_name(to));
		return JOBSTATE_ILLEGAL;
	}
	snprintf(why, sizeof(why), "forced by %s: %s", actor, reason);
	p[1] = state_names[to];
	p[2] = why;
	r = db_query(c, err, errlen,
		     "UPDATE etl_jobs SET state = $2, control = NULL, owner = NULL,"
		     " heartbeat_at = NULL, auto_resume = false,"
		     " last_error = CASE WHEN $2 = 'ERROR' THEN $3"
		     "   WHEN $2 IN ('FINISHED', 'NOT_STARTED') THEN NULL ELSE last_error END,"
		     " last_error_class = CASE WHEN $2 = 'ERROR' THEN 'permanent'"
		     "   WHEN $2 IN ('FINISHED', 'NOT_STARTED') THEN NULL ELSE last_error_class END,"
		     " retry_count = CASE WHEN $2 IN ('FINISHED', 'NOT_STARTED') THEN 0"
		     "   ELSE retry_count END,"
		     " last_finished_at = CASE WHEN $2 IN ('FINISHED', 'ERROR') THEN now()"
		     "   ELSE last_finished_at END,"
		     " next_run_at = CASE WHEN $2 = 'FINISHED'"
		     "   THEN now() + make_interval(secs => interval_seconds)"
		     "   WHEN $2 = 'NOT_STARTED' THEN NULL ELSE next_run_at END"
		     " WHERE id = $1", 3, p);
	if (!r)
		return -1;
	PQclear(r);
	p[1] = state_names[cur];
	p[2] = state_names[to];
	p[3] = reason;
	p[4] = actor;
	r = db_query(c, err, errlen,
		     "INSERT INTO job_transitions (tenant_id, job_id, from_state,"
		     " to_state, reason, actor)"
		     " SELECT tenant_id, id, $2, $3, 'forced: ' || $4, $5"
		     " FROM etl_jobs WHERE id = $1", 5, p);
	if (!r)
		return -1;
	PQclear(r);
	log_info("ORCH", "job=%" PRId64 " from=%s to=%s forced_by=\"%s\" "
		 "reason=\"%s\"", job_id, state_names[cur], state_names[to],
		 actor, reason);
	return 0;
}

/* ---- housekeeping ---------------------------------------------------- */

int jobstate_prune_transitions(PGconn *c, int64_t tenant_id, int days,
			       int limit, int64_t *n, char *err,
			       size_t errlen)
{
	char ten[24], d[16], lim[16];
	const char *p[3] = {db_i64(ten, tenant_id), d, lim};
	PGresult *r;

	snprintf(d, sizeof(d), "%d", days);
	snprintf(lim, sizeof(lim), "%d", limit);
	r = db_query(c, err, errlen,
		     "WITH d AS (DELETE FROM job_transitions WHERE id IN"
		     " (SELECT id FROM job_transitions WHERE tenant_id = $1"
		     "  AND at < now() - make_interval(days => $2::int)"
		     "  LIMIT $3::int) RETURNING 1) SELECT count(*) FROM d", 3, p);
	if (!r)
		return -1;
	*n = db_int64(r, 0, 0);
	PQclear(r);
	return 0;
}

/* ---- a foreground `job run` ------------------------------------------ */

int jobstate_lock_integration(PGconn *c, int64_t integration_id,
			      int stale_s, struct jobstate_held *out,
			      char *err, size_t errlen)
{
	char integ[24], stale[16];
	const char *p[2] = {db_i64(integ, integration_id), stale};
	PGresult *r;

	snprintf(stale, sizeof(stale), "%d", stale_s);
	memset(out, 0, sizeof(*out));
	r = db_query(c, err, errlen,
		     "SELECT id, state, owner, coalesce(heartbeat_at >"
		     " now() - make_interval(secs => $2::int), false)"
		     " FROM etl_jobs WHERE integration_id = $1 FOR UPDATE", 2, p);
	if (!r)
		return -1;
	if (PQntuples(r) == 0) {
		PQclear(r);
		snprintf(err, errlen, "integration %" PRId64 " has no job",
			 integration_id);
		return JOBSTATE_NOTFOUND;
	}
	out->job_id = db_int64(r, 0, 0);
	out->state = jobstate_parse(PQgetvalue(r, 0, 1));
	if (!PQgetisnull(r, 0, 2))
		snprintf(out->owner, sizeof(out->owner), "%s", PQgetvalue(r, 0, 2));
	out->fresh = PQgetvalue(r, 0, 3)[0] == 't';
	PQclear(r);
	return 0;
}

/* Record from -> to of job_id (tenant taken from the row). */
static int record_transition(PGconn *c, const char *job, int64_t run_id,
			     const char *from, const char *to,
			     const char *reason, char *err, size_t errlen)
{
	char run_s[24];
	const char *p[5] = {job, run_id ? db_i64(run_s, run_id) : NULL, from,
			    to, reason};
	PGresult *r;

	r = db_query(c, err, errlen,
		     "INSERT INTO job_transitions (tenant_id, job_id, run_id,"
		     " from_state, to_state, reason)"
		     " SELECT tenant_id, id, $2, $3, $4, $5 FROM etl_jobs"
		     " WHERE id = $1", 5, p);
	PQclear(r);
	return r ? 0 : -1;
}

int jobstate_foreground_begin(PGconn *c, int64_t job_id, int from,
			      const char *owner, const char *reason,
			      int64_t run_id, char *err, size_t errlen)
{
	char ids[24];
	const char *p[2] = {db_i64(ids, job_id), owner};
	PGresult *r;

	r = db_query(c, err, errlen,
		     "UPDATE etl_jobs SET state = 'RUNNING', owner = $2,"
		     " heartbeat_at = now(), last_started_at = now()"
		     " WHERE id = $1", 2, p);
	if (!r)
		return -1;
	PQclear(r);
	return record_transition(c, ids, run_id, jobstate_name(from),
				 "RUNNING", reason, err, errlen);
}

int jobstate_foreground_end(PGconn *c, int64_t job_id, int to,
			    const char *error, int64_t run_id, char *err,
			    size_t errlen)
{
	char ids[24];
	const char *p[3] = {db_i64(ids, job_id), jobstate_name(to), error};
	PGresult *r;

	r = db_query(c, err, errlen,
		     "UPDATE etl_jobs SET state = $2, owner = NULL,"
		     " last_finished_at = now(), last_error = $3::text,"
		     " retry_count = CASE WHEN $3::text IS NULL THEN 0"
		     "   ELSE retry_count + 1 END,"
		     " next_run_at = now() + make_interval(secs => CASE WHEN"
		     "   $3::text IS NULL THEN interval_seconds"
		     "   ELSE fast_retry_seconds END)"
		     " WHERE id = $1", 3, p);
	if (!r)
		return -1;
	PQclear(r);
	return record_transition(c, ids, run_id, "RUNNING", jobstate_name(to),
				 "job run ended", err, errlen);
}

int jobstate_note(PGconn *c, int64_t job_id, const char *why,
		  const char *actor, char *err, size_t errlen)
{
	char ids[24];
	const char *q[3] = {db_i64(ids, job_id), why, actor};
	PGresult *r = db_query(c, err, errlen, "INSERT INTO job_transitions"
			       " (tenant_id, job_id, from_state, to_state, reason, actor)"
			       " SELECT tenant_id, id, state, state, 'forced: ' || $2, $3"
			       " FROM etl_jobs WHERE id = $1", 3, q);

	if (!r)
		return -1;
	PQclear(r);
	return 0;
}

int jobstate_defer_stopped(PGconn *c, int64_t job_id, const char *reason,
			   char *err, size_t errlen)
{
	char ids[24];
	const char *q[2] = {db_i64(ids, job_id), reason};
	PGresult *r = db_query(c, err, errlen, "UPDATE etl_jobs SET next_run_at ="
			       " now() + make_interval(secs => interval_seconds),"
			       " last_error = 'stopped by operator: ' || $2"
			       " WHERE id = $1", 2, q);

	if (!r)
		return -1;
	PQclear(r);
	return 0;
}
