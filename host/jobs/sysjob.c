/* sysjob: the system jobs' calls (sysjob.h). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "db/db.h"
#include "jobs/sysjob.h"

int sysjob_claim(PGconn *c, const char *name, const char *owner,
		 int interval_s, int stale_s, char *why, size_t whylen,
		 char *err, size_t errlen)
{
	char iv[24], st[24];
	const char *p[4] = {name, owner, db_i64(iv, interval_s),
			    db_i64(st, stale_s)};
	PGresult *r;
	int rc;

	if (why && whylen)
		*why = '\0';
	/* A holder on this host that is gone (a daemon killed with -9) is
	 * stuck now, not after the heartbeat timeout. */
	r = db_query(c, err, errlen, "SELECT coalesce(owner, '') FROM system_jobs"
		     " WHERE name = $1 AND state = 'RUNNING'", 1, p);
	if (!r)
		return -1;
	if (PQntuples(r) == 1 && *PQgetvalue(r, 0, 0) &&
	    db_owner_same_host(PQgetvalue(r, 0, 0)) &&
	    !db_owner_alive(PQgetvalue(r, 0, 0)))
		p[3] = "0";
	PQclear(r);
	r = db_query(c, err, errlen, "SELECT sysjob_claim($1, $2, $3::int,"
		     " $4::int, false)", 4, p);
	if (!r)
		return -1;
	rc = strcmp(PQgetvalue(r, 0, 0), "claimed") == 0 ? SYSJOB_CLAIMED :
	     SYSJOB_NOT_DUE;
	if (why && whylen)
		snprintf(why, whylen, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	return rc;
}

int sysjob_heartbeat(PGconn *c, const char *name, const char *owner,
		     int *stop, char *err, size_t errlen)
{
	const char *p[2] = {name, owner};
	PGresult *r = db_query(c, err, errlen,
			       "SELECT * FROM sysjob_heartbeat($1, $2)", 2, p);

	if (!r)
		return -1;
	*stop = PQntuples(r) == 1 && !PQgetisnull(r, 0, 0) &&
		strcmp(PQgetvalue(r, 0, 0), "stop") == 0;
	PQclear(r);
	return 0;
}

int sysjob_finish(PGconn *c, const char *name, const char *owner,
		  const char *error, const char *summary_json, int *recorded,
		  char *err, size_t errlen)
{
	const char *p[4] = {name, owner, error, summary_json};
	PGresult *r = db_query(c, err, errlen, "SELECT sysjob_finish($1, $2,"
			       " $3, $4::jsonb)", 4, p);

	if (!r)
		return -1;
	if (recorded)
		*recorded = PQgetvalue(r, 0, 0)[0] == 't';
	PQclear(r);
	return 0;
}

int sysjob_force(PGconn *c, const char *name, const char *action,
		 const char *reason, const char *actor, char *prev,
		 size_t prevlen, char *err, size_t errlen)
{
	const char *p[4] = {name, action, reason, actor};
	PGresult *r = db_query(c, err, errlen, "SELECT sysjob_force($1, $2, $3,"
			       " $4)", 4, p);
	int rc;

	if (!r)
		return -1;
	rc = PQgetisnull(r, 0, 0) ? 1 : 0;
	if (prev && prevlen)
		snprintf(prev, prevlen, "%s", rc ? "" : PQgetvalue(r, 0, 0));
	PQclear(r);
	return rc;
}

PGresult *sysjob_rows(PGconn *c, char *err, size_t errlen)
{
	return db_query(c, err, errlen,
			"SELECT name, 'system' AS kind, state, interval_seconds,"
			" next_run_at, last_started_at, last_finished_at,"
			" last_error, last_summary, owner,"
			" coalesce(array_to_string(after_plugins, ','), '*')"
			"   AS after_plugins"
			" FROM system_jobs ORDER BY name", 0, NULL);
}

PGresult *sysjob_transitions(PGconn *c, const char *name, int n, char *err,
			     size_t errlen)
{
	char lim[24];
	const char *p[2] = {name, db_i64(lim, n)};

	return db_query(c, err, errlen,
			"SELECT from_state, to_state, reason, actor, at"
			" FROM system_job_transitions WHERE job_name = $1"
			" ORDER BY id DESC LIMIT $2::int", 2, p);
}
