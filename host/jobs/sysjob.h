/*
 * sysjob: jobs of the installation, not of a tenant (system_jobs, 083).
 * Today one: "housekeeping". The orchestrator claims it when due (and no
 * data job it runs after is RUNNING or PENDING), heartbeats it while its
 * process runs and records the end; operators force it like a data job.
 * Its states: NOT_STARTED, RUNNING, FINISHED, ERROR; every move is in
 * system_job_transitions (with actor and reason for an operator's).
 *
 * The SQL is in 083_housekeeping_job.sql (SECURITY DEFINER functions:
 * the table is written through them only).
 */
#ifndef PULSE_SYSJOB_H
#define PULSE_SYSJOB_H

#include <stddef.h>

#include <libpq-fe.h>

#define SYSJOB_HOUSEKEEPING "housekeeping"

/* Results of sysjob_claim. */
#define SYSJOB_CLAIMED 1
#define SYSJOB_NOT_DUE 0 /* not due, running elsewhere, or waiting */

/*
 * Claim name for owner (host:pid) when due; interval_s: the configured
 * interval (0 = never by itself); stale_s: a RUNNING row silent this
 * long is reset as stuck first. why (may be NULL) gets "waiting: job 3
 * (github, RUNNING)" and the like when not claimed. SYSJOB_CLAIMED,
 * SYSJOB_NOT_DUE, or -1 with err.
 */
int sysjob_claim(PGconn *c, const char *name, const char *owner,
		 int interval_s, int stale_s, char *why, size_t whylen,
		 char *err, size_t errlen);

/* Heartbeat of owner's run; *stop = 1 when an operator asked to stop
 * it. 0, or -1 with err. */
int sysjob_heartbeat(PGconn *c, const char *name, const char *owner,
		     int *stop, char *err, size_t errlen);

/* The end of owner's run: error NULL = FINISHED; summary_json (may be
 * NULL) kept as last_summary. *recorded (may be NULL) = 0 when owner no
 * longer held it. 0, or -1 with err. */
int sysjob_finish(PGconn *c, const char *name, const char *owner,
		  const char *error, const char *summary_json, int *recorded,
		  char *err, size_t errlen);

/* An operator's action ("start" | "stop" | "reset") on name, recorded
 * with actor and reason; prev (may be NULL, >= 16 bytes) gets the state
 * it was in. 0; 1 = no such system job; -1 with err. */
int sysjob_force(PGconn *c, const char *name, const char *action,
		 const char *reason, const char *actor, char *prev,
		 size_t prevlen, char *err, size_t errlen);

/* Rows of every system job (name, kind, state, interval_seconds,
 * next_run_at, last_started_at, last_finished_at, last_error,
 * last_summary, owner, after_plugins); caller PQclear()s. NULL with err. */
PGresult *sysjob_rows(PGconn *c, char *err, size_t errlen);

/* The last n transitions of name (from_state, to_state, reason, actor,
 * at), newest first; caller PQclear()s. NULL with err. */
PGresult *sysjob_transitions(PGconn *c, const char *name, int n, char *err,
			     size_t errlen);

#endif
