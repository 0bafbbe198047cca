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
 * Two threads (issue #11 item 12: the loop must not wait for the
 * database). The orchestrator thread runs every query of the tick on a
 * connection of its own; the event loop's thread only forks, reaps,
 * signals, reads job pipes and publishes. Every entry point below is
 * for the loop's thread. Events cross from the thread to the bus through
 * a queue (server/pubq.h); slot state is shared under one mutex, held
 * for copies only.
 *
 * Forks: all of them (job processes, housekeeping) happen on the loop's
 * thread, and only when the orchestrator thread asked for one and waits
 * for the answer in pthread_cond_wait: a fork never catches that thread
 * inside malloc or a log call, whose locks the child would inherit held
 * (the ASan allocator of Debian 12's GCC has no fork handler; glibc's
 * malloc and stdio do; the log lock has one, base/log.c). The API
 * thread may still be anywhere when the loop forks: it was before.
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
/* Stops and joins the thread (after its query in flight ends); call
 * after server_free (the loop watches the orchestrator's queue). */
void orch_free(struct orch *o);

/* Register the loop's tick timer and start the orchestrator thread.
 * pick = 0 runs no jobs (server-only role). */
int orch_start(struct orch *o, int pick);

/* Before orch_start: also run fn(ctx) on the orchestrator thread every
 * ms (database reads that must stay off the loop; fn publishes through
 * a server/pubq.h queue). 0, or -1 when full or started. */
int orch_also(struct orch *o, int ms, void (*fn)(void *ctx), void *ctx);

/* The orchestrator thread's connection, reconnected when lost; NULL with
 * err when the database is down. Borrowed; for that thread only. */
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
int orch_running(struct orch *o);

/* Run a tick soon (a job was started or resumed through the API). */
void orch_kick(struct orch *o);

#endif
