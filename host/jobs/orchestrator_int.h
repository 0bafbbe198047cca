/* orchestrator_int: what the orchestrator's files share (orchestrator.c: the
 * thread, the ticks and the lifecycle; orch_slot.c: a job process's pipe,
 * end and reaping; orch_claim.c: forking and claiming; orch_sweep.c: the
 * stuck sweep; orch_hk.c: housekeeping). Not for other subsystems: they
 * use orchestrator.h.
 *
 * Two threads share struct orch (see orchestrator.h): the event loop's
 * (forks, reaps, reads pipes, signals) and the orchestrator thread's
 * (every query, on o->db). o->lock guards the slots and every field
 * marked "lock"; it is held for copies and flag changes only, never
 * across a query, so the loop never waits for the database. */
#ifndef PULSE_ORCHESTRATOR_INT_H
#define PULSE_ORCHESTRATOR_INT_H

#include <stddef.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <libpq-fe.h>

#include "base/strbuf.h"

struct conf;
struct loader;
struct progress_bus;
struct pubq;
struct server;

#define MAX_SLOTS 64
#define ORCH_ALSO_MAX 4

/* lock. A slot is filled by the loop when it forks the job process
 * (used, pid, owner, ids, gofd), claimed by the thread (claimed, the
 * retry fields, aborted), fed by the loop (pipe, exit) and, once exited
 * and drained, finished and freed by the thread. */
struct slot {
	int used;
	int claimed;            /* the thread claimed (or gave up) the job */
	int finishing;          /* the thread is recording its end */
	int gofd;               /* go pipe until the claim is done, else -1 */
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

/* A fork the thread asks the loop for: the thread waits (parked in
 * pthread_cond_wait, so in no allocator and no log call) until the loop
 * has forked and answered (done). */
struct orch_fork {
	int hk;                 /* the housekeeping process, else a job's */
	int64_t tenant, job, integration;
	int done;
	pid_t pid;              /* -1 with err when no process was forked */
	int slot;               /* a job's slot index */
	char err[512];
};

/* Work for the thread beside the tick (vectorization progress). */
struct orch_also {
	int ms;
	void (*fn)(void *ctx);
	void *ctx;
	int64_t next_ms;
};

struct orch {
	const struct conf *conf;
	struct loader *ld;
	struct progress_bus *bus;
	struct server *srv;
	struct pubq *q;         /* thread -> loop: events and fork requests */
	PGconn *db;             /* the thread's */
	int pick;
	char host[256];
	pthread_t thr;
	int thr_on;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int quit, kicked;       /* lock */
	struct orch_fork *req;  /* lock: the fork asked for, or NULL */
	int draining;           /* lock */
	time_t drain_deadline;  /* lock */
	void (*drained)(void *ctx);   /* loop */
	void *drained_ctx;
	int drained_pending;    /* lock: the last slot went while draining */
	unsigned ticks;         /* thread */
	unsigned seed;          /* thread */
	pid_t hk_pid;           /* lock: the housekeeping process, or 0 */
	int hk_reaped, hk_status;     /* lock: it ended, not yet recorded */
	unsigned hk_tick;       /* thread: tick of the last claim attempt */
	char hk_wait[256];      /* thread: why it last waited */
	struct orch_also also[ORCH_ALSO_MAX];
	int nalso;
	struct slot slots[MAX_SLOTS];
};

/* ---- orchestrator.c ------------------------------------------------------ */

/* Thread: ask the loop to fork f (a job process into a free slot, or the
 * housekeeping process) and wait for it. f->pid, or -1 (f->err set). */
pid_t orch_fork_on_loop(struct orch *o, struct orch_fork *f);

/* Job processes running now; with o->lock held. */
int orch_running_locked(const struct orch *o);

/* ---- orch_slot.c --------------------------------------------------------- */

/* An event of kind about s's job, queued for the progress bus (either
 * thread; with o->lock held when s is a live slot, so that events keep
 * the order of the changes they report). */
void orch_publish(struct orch *o, struct slot *s, int kind, const char *state,
		  const char *message);

/* PROG_STARTED for s, once (as orch_publish). */
void orch_send_started(struct orch *o, struct slot *s);

/* Loop: watched-fd callbacks of a job process's pipe (ctx is its slot). */
int orch_pipe_read(void *ctx, int fd);
void orch_pipe_closed(void *ctx);

/* Thread: record the end of every slot whose process exited and whose
 * pipe is drained, and free the slot. */
void orch_finish_ended(struct orch *o);

/* Loop: fork the job process f asks for, with o->lock held. */
void orch_fork_job_locked(struct orch *o, struct orch_fork *f, int *evfd,
			  struct slot **sp);

/* Thread: the job_runs row s's job process opened (latest with its owner), into
 * the buffers and s's run id, step and counts; left as they are when
 * there is none. */
void orch_read_run(struct orch *o, struct slot *s, char *state, size_t slen,
		   char *error, size_t elen, char *klass, size_t klen);

/* ---- orch_claim.c -------------------------------------------------------- */

/* Whether a slot holds job (takes o->lock). */
int orch_slot_of_job(struct orch *o, int64_t job);

/* Thread: have the loop fork a job process for (tenant, job, integration)
 * in a free slot and claim the job for it (nothing when none is free). */
void orch_start_job(struct orch *o, int64_t tenant, int64_t job,
		    int64_t integration);

/* ---- orch_sweep.c -------------------------------------------------------- */

/* Reset RUNNING jobs nobody runs any more. */
void orch_sweep_stuck(struct orch *o);

/* ---- orch_hk.c ----------------------------------------------------------- */

/* Thread: record the end of a housekeeping process the loop reaped. */
void orch_hk_reaped(struct orch *o);

/* Thread: claim, start or heartbeat the housekeeping process (each tick). */
void orch_housekeeping(struct orch *o);

#endif
