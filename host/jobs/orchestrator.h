/*
 * orchestrator: picks due jobs, runs each in a forked job process, and
 * moves it through the state machine (host/jobs/jobstate.h) as it ends.
 *
 * - Picking: orch_due_jobs() (PENDING first, then due jobs), claimed under
 *   a row lock (FOR UPDATE SKIP LOCKED) and moved to RUNNING with the job
 *   process as owner in one transaction, so two daemons on one database
 *   never run the same job.
 * - Isolation: the job process runs runner_run() and dies with the daemon
 *   (PR_SET_PDEATHSIG); a plugin crash kills only it and the job goes
 *   ERROR "plugin crashed (signal N)".
 * - Progress travels over a pipe per job process (JSON lines) into the
 *   server's event loop and out to the progress bus.
 * - Control: a stop/pause written to etl_jobs.control is seen at the next
 *   heartbeat by whichever daemon runs the job; it SIGTERMs the job
 *   process, whose plugin stops at its next cancelled() check.
 * - Errors: transient ones retry with exponential backoff and jitter from
 *   fast_retry_seconds, up to max_retries; permanent ones wait for an
 *   operator (or the normal interval).
 * - Stuck jobs (RUNNING, owner dead or silent past the heartbeat timeout)
 *   are reset to ERROR and retried at once.
 *
 * Single-threaded: every entry point runs on the server's event loop.
 *
 * Beside it: host/jobs/jobproc.c (the job process and its pipe protocol),
 * host/jobs/jobpolicy.c (the next state of a job whose process ended) and
 * host/jobs/jobstate.c (every write to etl_jobs and job_transitions).
 * The orchestrator itself: orchestrator.c and orch_*.c, sharing
 * orchestrator_int.h.
 */
#ifndef PULSE_ORCHESTRATOR_H
#define PULSE_ORCHESTRATOR_H

#include <stddef.h>

#include <libpq-fe.h>

struct conf;
struct loader;
struct progress_bus;
struct server;
struct orch;

/* Tick period (ms): heartbeats, control, picking. */
#define ORCH_TICK_MS 500

/*
 * conf, ld, bus, srv are borrowed and must outlive the orchestrator.
 * Connects to the database (NULL and err when that fails). Call
 * orch_start() to begin picking jobs.
 */
struct orch *orch_new(const struct conf *conf, struct loader *ld,
		      struct progress_bus *bus, struct server *srv,
		      char *err, size_t errlen);
void orch_free(struct orch *o);

/* Register the tick timer. pick = 0 runs no jobs (server-only role). */
int orch_start(struct orch *o, int pick);

/* The daemon's connection, reconnected when lost; NULL with err when the
 * database is down. Borrowed. */
PGconn *orch_db(struct orch *o, char *err, size_t errlen);

/* Reap exited job processes (call on SIGCHLD). */
void orch_reap(struct orch *o);

/*
 * Begin a clean shutdown: pick nothing more, SIGTERM every job process
 * (each checkpoints and stops; its job goes PAUSED and resumes at the
 * next daemon start), SIGKILL those still alive after grace_s. done(ctx)
 * is called once no job process is left.
 */
void orch_shutdown(struct orch *o, int grace_s, void (*done)(void *ctx),
		   void *ctx);

/* Job processes running now. */
int orch_running(const struct orch *o);

/* Run a tick soon (a job was started or resumed through the API). */
void orch_kick(struct orch *o);

#endif
