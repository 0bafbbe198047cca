/* orchestrator_int: what the orchestrator's files share (orchestrator.c: the
 * tick and the lifecycle; orch_slot.c: a job process's pipe, end and
 * reaping; orch_claim.c: starting and claiming; orch_sweep.c: the stuck
 * sweep; orch_hk.c: housekeeping). Not for other subsystems: they use
 * orchestrator.h. */
#ifndef PULSE_ORCHESTRATOR_INT_H
#define PULSE_ORCHESTRATOR_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <libpq-fe.h>

#include "base/strbuf.h"

struct conf;
struct loader;
struct progress_bus;
struct server;

#define MAX_SLOTS 64

struct slot {
	int used;
	int aborted;            /* claim failed: the process exits unasked */
	pid_t pid;
	char owner[288];        /* host:pid of the job process */
	int64_t tenant, job, integration, run_id;
	int retry_count, max_retries, fast_retry_s, interval_s;
	int exited, status;
	int pipe_open;
	struct strbuf in;       /* partial line from the pipe */
	char control[16];       /* "", "stop", "pause", "shutdown" */
	time_t term_at;         /* when control's SIGTERM went out */
	int escalated;          /* SIGKILL followed after the stop grace */
	int have_done, done_rc, done_cancelled;
	char done_err[1024];
	int pipe_progress;      /* progress arrives on the pipe */
	int started_sent;
	int64_t run_started_us;
	char step[128];
	uint64_t done, total;
	struct orch *o;
};

struct orch {
	const struct conf *conf;
	struct loader *ld;
	struct progress_bus *bus;
	struct server *srv;
	PGconn *db;
	int pick;
	int draining;
	time_t drain_deadline;
	void (*drained)(void *ctx);
	void *drained_ctx;
	unsigned ticks;
	unsigned seed;
	pid_t hk_pid;           /* the housekeeping process, or 0 */
	unsigned hk_tick;       /* tick of the last claim attempt */
	char hk_wait[256];      /* why it last waited (logged on change) */
	struct slot slots[MAX_SLOTS];
};

/* ---- orch_slot.c --------------------------------------------------------- */

/* An event of kind about s's job to the progress bus. */
void orch_publish(struct orch *o, struct slot *s, int kind, const char *state,
		  const char *message);

/* PROG_STARTED for s, once. */
void orch_send_started(struct orch *o, struct slot *s);

/* Watched-fd callbacks of a job process's pipe (ctx is its slot). */
int orch_pipe_read(void *ctx, int fd);
void orch_pipe_closed(void *ctx);

/* The job_runs row s's job process opened (latest with its owner), into
 * the buffers and s's run id, step and counts; left as they are when
 * there is none. */
void orch_read_run(struct orch *o, struct slot *s, char *state, size_t slen,
		   char *error, size_t elen, char *klass, size_t klen);

/* ---- orch_claim.c -------------------------------------------------------- */

/* Whether a slot holds job. */
int orch_slot_of_job(const struct orch *o, int64_t job);

/* Fork a job process for (tenant, job, integration) in a free slot and
 * claim the job for it (nothing when no slot is free). */
void orch_start_job(struct orch *o, int64_t tenant, int64_t job,
		    int64_t integration);

/* ---- orch_sweep.c -------------------------------------------------------- */

/* Reset RUNNING jobs nobody runs any more. */
void orch_sweep_stuck(struct orch *o);

/* ---- orch_hk.c ----------------------------------------------------------- */

/* The housekeeping process (o->hk_pid) was reaped with wait status st. */
void orch_hk_reaped(struct orch *o, int st);

/* Claim, start or heartbeat the housekeeping process (each tick). */
void orch_housekeeping(struct orch *o);

#endif
