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
 *
 * This file is the only writer of etl_jobs and job_transitions: the
 * orchestrator (claim, finish, heartbeat), the API and CLI (control) and a
 * foreground `job run` all go through the operations below.
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

/*
 * Create the job of a new Data integration (NOT_STARTED), inside the
 * caller's open tenant transaction. *job_id (may be NULL) gets its id.
 * 0, or -1 with err.
 */
int jobstate_create(PGconn *c, int64_t tenant_id, int64_t integration_id,
		    int64_t *job_id, char *err, size_t errlen);

/* ---- the orchestrator ------------------------------------------------ */

/* The job's retry knobs, as a claim read them. */
struct jobstate_claim {
	int retry_count, max_retries, fast_retry_s, interval_s;
};

/*
 * Claim job_id of tenant for the job process `owner`, in a transaction of
 * its own: lock the row (skipping it if another daemon holds the lock),
 * check it is still due and its integration enabled, and move it to
 * RUNNING, via PENDING where the state machine asks for it. *out (may be
 * NULL) gets the retry knobs. 1 = claimed and committed, 0 = not ours to
 * run (nothing written), -1 = database error (err; rolled back).
 */
int jobstate_claim(PGconn *c, int64_t tenant_id, int64_t job_id,
		   const char *owner, struct jobstate_claim *out, char *err,
		   size_t errlen);

/*
 * The orchestrator's end of a run, inside the caller's open tenant
 * transaction: move the job to `to` (JS_FINISHED, JS_ERROR or JS_PAUSED)
 * with reason and m. A job already in `to` only gets m->error_class as
 * its last_error_class; one whose state cannot move there (an operator
 * moved it meanwhile) is left alone and logged. 0, or -1 with err.
 */
int jobstate_finish(PGconn *c, int64_t job_id, int to, const char *reason,
		    const struct jobstate_move *m, char *err, size_t errlen);

/*
 * Heartbeat every RUNNING job owned by one of owners[0..n) (host:pid of
 * job processes), across tenants. For each that has a stop or pause asked
 * for, fn(ctx, job_id, "stop"|"pause") is called (strings borrowed for
 * the call). 0, or -1 with err.
 */
int jobstate_heartbeat(PGconn *c, const char *const *owners, size_t n,
		       void (*fn)(void *ctx, int64_t job_id,
				  const char *control),
		       void *ctx, char *err, size_t errlen);

/* One job's heartbeat (its run reports progress), inside the caller's
 * open tenant transaction. 0, or -1 with err. */
int jobstate_touch(PGconn *c, int64_t job_id, char *err, size_t errlen);

/* ---- operators (API, CLI) -------------------------------------------- */

/*
 * start | stop | pause | resume of job_id, inside the caller's open
 * tenant transaction. Moves that need no process happen here (*moved =
 * 1); those that concern a process are left for the orchestrator to act
 * on (*moved = 0): a stop/pause of a RUNNING job is written to
 * etl_jobs.control for the daemon running it, a start of an ERROR job
 * makes it due now, a start/resume of a PAUSED one sets auto_resume.
 * reason is recorded with a move. Returns 0; JOBSTATE_NOTFOUND;
 * JOBSTATE_ILLEGAL or JOBSTATE_CHANGED with err naming the states
 * allowed; or -1 (database error, err).
 */
int jobstate_control(PGconn *c, int64_t job_id, const char *action,
		     const char *reason, int *moved, char *err, size_t errlen);

/*
 * An operator forces job_id into state `to`, whatever it is in, inside the
 * caller's open tenant transaction: the move is recorded with reason and
 * actor ("cli:USER"). RUNNING is refused (no process would own it: start
 * the job instead), as is the state the job is already in. The job keeps
 * no owner or pending control; PENDING runs at the next pick, FINISHED
 * waits its interval, NOT_STARTED is due at once, ERROR keeps its retry
 * time and gets last_error "forced by ACTOR: REASON". 0;
 * JOBSTATE_NOTFOUND; JOBSTATE_ILLEGAL (err says why); or -1.
 */
int jobstate_force(PGconn *c, int64_t job_id, int to, const char *reason,
		   const char *actor, int *prev, char *err, size_t errlen);

/*
 * Record an operator's action on job_id that moves no state (a reset of
 * a NOT_STARTED job) as a same-state transition "forced: WHY" by actor,
 * inside the caller's open tenant transaction. 0 or -1 with err.
 */
int jobstate_note(PGconn *c, int64_t job_id, const char *why,
		  const char *actor, char *err, size_t errlen);

/*
 * After an operator's stop: job_id is not retried until one interval
 * from now, and last_error says "stopped by operator: REASON". Inside
 * the caller's open tenant transaction. 0 or -1 with err.
 */
int jobstate_defer_stopped(PGconn *c, int64_t job_id, const char *reason,
			   char *err, size_t errlen);


/* ---- housekeeping ---------------------------------------------------- */

/*
 * Delete up to limit job_transitions of tenant older than days, inside
 * the caller's open tenant transaction; *n gets how many. 0, or -1 with
 * err.
 */
int jobstate_prune_transitions(PGconn *c, int64_t tenant_id, int days,
			       int limit, int64_t *n, char *err,
			       size_t errlen);

/* ---- a foreground `job run` ------------------------------------------ */

/* The job row of an integration, as locked by jobstate_lock_integration. */
struct jobstate_held {
	int64_t job_id;
	int state;            /* JS_* */
	char owner[288];      /* host:pid, or "" */
	int fresh;            /* heartbeat within the stale window */
};

/*
 * Lock the job of integration_id (FOR UPDATE) inside the caller's open
 * tenant transaction and read it into *out. stale_s: how recent a
 * heartbeat counts as fresh. 0; JOBSTATE_NOTFOUND (the integration has no
 * job); or -1 with err.
 */
int jobstate_lock_integration(PGconn *c, int64_t integration_id,
			      int stale_s, struct jobstate_held *out,
			      char *err, size_t errlen);

/*
 * An operator's `job run` takes the job whatever its state (the caller
 * checked nobody live holds it): RUNNING owned by owner, the transition
 * from `from` recorded with reason and run_id. Inside the caller's open
 * tenant transaction. 0, or -1 with err.
 */
int jobstate_foreground_begin(PGconn *c, int64_t job_id, int from,
			      const char *owner, const char *reason,
			      int64_t run_id, char *err, size_t errlen);

/*
 * The end of that run: the job goes to `to` (JS_FINISHED, JS_ERROR, or
 * JS_PENDING when cancelled) with error as last_error (NULL = success: the
 * retry count resets and the next run is an interval away; otherwise it
 * is counted and the next run is fast_retry_seconds away). Inside the
 * caller's open tenant transaction. 0, or -1 with err.
 */
int jobstate_foreground_end(PGconn *c, int64_t job_id, int to,
			    const char *error, int64_t run_id, char *err,
			    size_t errlen);

#endif
