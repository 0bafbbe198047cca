/*
 * jobstate: the state machine of etl_jobs.
 *
 *   NOT_STARTED -> PENDING
 *   PENDING     -> RUNNING | PAUSED
 *   RUNNING     -> FINISHED | ERROR | PAUSED
 *   ERROR       -> RUNNING (retry) | PAUSED
 *   PAUSED      -> RUNNING (resume)
 *   FINISHED    -> PENDING (the interval is due again)
 *
 * Every move is checked here and recorded in job_transitions with its
 * reason, in the same transaction as the state change; anything else is
 * refused with a message naming the states allowed.
 */
#ifndef PULSE_JOBSTATE_H
#define PULSE_JOBSTATE_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#define JS_NOT_STARTED 0
#define JS_PENDING 1
#define JS_RUNNING 2
#define JS_FINISHED 3
#define JS_ERROR 4
#define JS_PAUSED 5
#define JS_COUNT 6

/* "NOT_STARTED" ...; "?" for a bad value. */
const char *jobstate_name(int s);
/* The JS_* of a name, or -1. */
int jobstate_parse(const char *name);
/* 1 if from -> to is a legal move. */
int jobstate_legal(int from, int to);
/* "PENDING" or "RUNNING, PAUSED" or "none" into buf: the moves from s. */
const char *jobstate_allowed(int s, char *buf, size_t len);

/* What a move also writes, depending on its target (zero = nothing). */
struct jobstate_move {
	const char *owner;      /* RUNNING: host:pid running it */
	const char *error;      /* ERROR: last_error */
	const char *error_class; /* ERROR: transient|permanent|crash|stuck */
	int retry_count;        /* ERROR: new retry_count (-1 keeps it) */
	int64_t next_run_in_s;  /* ERROR/FINISHED: next_run_at = now() + this;
				 * -1 = the job's interval */
	int auto_resume;        /* PAUSED: resume at the next daemon start */
	int64_t run_id;         /* recorded with the transition (0 = none) */
};

/* Results besides 0 (moved) and -1 (database error, err set). */
#define JOBSTATE_ILLEGAL (-2)  /* not a legal move from the current state */
#define JOBSTATE_CHANGED (-3)  /* the job is not in the expected state */
#define JOBSTATE_NOTFOUND (-4) /* no such job in this tenant */

/*
 * Move job_id to `to`, inside the caller's open tenant transaction
 * (db_tenant_begin): locks the row, checks it is in `from` (any state if
 * from < 0) and that the move is legal, updates the row, and inserts the
 * job_transitions row with reason. *prev (may be NULL) gets the state the
 * job was in. On anything but 0 nothing was written and err says why,
 * e.g. "job 5: cannot move from FINISHED to PAUSED (allowed: PENDING)".
 */
int jobstate_move(PGconn *c, int64_t job_id, int from, int to,
		  const char *reason, const struct jobstate_move *m,
		  int *prev, char *err, size_t errlen);

#endif
