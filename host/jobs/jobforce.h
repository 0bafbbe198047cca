/*
 * jobforce: an operator's force operations on a data job (CLI `job
 * force-stop|force-start|reset`, the admin API). Each is a move of the
 * state machine through jobstate_force (jobstate.h), recorded in
 * job_transitions with the actor and the reason; this file adds what each
 * needs beside the move:
 *
 *   stop   kill the job process (SIGKILL: a hung plugin never reaches its
 *          cancelled() check), then ERROR "stopped by operator: REASON",
 *          next run one interval away (no retry);
 *   start  PENDING: picked at the next tick, schedule and dependencies
 *          ignored;
 *   reset  NOT_STARTED (due at once, dependencies apply again), the
 *          checkpoint (integration_state) kept or cleared.
 *
 * Every call runs inside the caller's open tenant transaction; the kill
 * happens before the caller commits (a process is gone either way; the
 * state follows at the commit).
 */
#ifndef PULSE_JOBFORCE_H
#define PULSE_JOBFORCE_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

struct jobforce_result {
	int prev;            /* JS_* the job was in */
	int now;             /* JS_* it is in */
	long killed_pid;     /* stop: the job process killed, or 0 */
	int64_t cleared;     /* reset: checkpoint entries removed */
};

/* action: "stop" | "start" | "reset"; clear_checkpoint for reset only.
 * 0; JOBSTATE_NOTFOUND; JOBSTATE_ILLEGAL (err says why: running
 * elsewhere, already so, ...); -1 (database error, err). */
int jobforce(PGconn *c, int64_t job_id, const char *action,
	     const char *reason, const char *actor, int clear_checkpoint,
	     struct jobforce_result *out, char *err, size_t errlen);

#endif
