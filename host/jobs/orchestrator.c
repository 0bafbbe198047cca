/* orchestrator: the thread and its tick - heartbeats, stop/pause,
 * progress polling, picking due jobs -, the loop's tick and its fork
 * requests, and the lifecycle (see orchestrator.h; the slots, claiming,
 * the stuck sweep and housekeeping are in orch_*.c). */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/conf.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "db/db.h"
#include "jobs/jobproc.h"
#include "jobs/jobstate.h"
#include "jobs/orchestrator.h"
#include "housekeeping/hk.h"
#include "server/progress.h"
#include "server/pubq.h"
#include "server/server.h"
#include "jobs/orchestrator_int.h"

/* ------------------------------------------------------------ database */

PGconn *orch_db(struct orch *o, char *err, size_t errlen)
{
	/* the thread's connection: only the thread calls this */
	if (o->db && !db_conn_lost(o->db))
		return o->db;
	if (o->db) {
		PQfinish(o->db);
		o->db = NULL;
		log_warn("ORCH", "event=db_reconnect");
	}
	o->db = db_connect(o->conf->database_url, err, errlen);
	return o->db;
}

/* ------------------------------------------------------------ thread tick */

/* A stop/pause asked for job: SIGTERM its job process (the loop's tick
 * sends SIGKILL once jobs.stop_grace_seconds passed). Under o->lock, so
 * the loop cannot reap the pid (and the kernel reuse it) meanwhile. */
static void on_control(void *ctx, int64_t job, const char *control)
{
	struct orch *o = ctx;
	int i;

	pthread_mutex_lock(&o->lock);
	for (i = 0; i < MAX_SLOTS; i++) {
		struct slot *s = &o->slots[i];

		if (!s->used || s->job != job || s->control[0] || s->exited)
			continue;
		snprintf(s->control, sizeof(s->control), "%s", control);
		log_info("ORCH", "job=%" PRId64 " event=cancel control=%s pid=%ld "
			 "signal=SIGTERM grace_s=%d", job, s->control, (long)s->pid,
			 o->conf->jobs_stop_grace_s);
		s->term_at = time(NULL);
		kill(s->pid, SIGTERM);
	}
	pthread_mutex_unlock(&o->lock);
}

/* Heartbeat our jobs and act on stop/pause requests. A job whose process
 * exited is heartbeated until its end is recorded: it is still ours. */
static void heartbeat(struct orch *o)
{
	static char buf[MAX_SLOTS][288];  /* the thread's only */
	const char *owners[MAX_SLOTS];
	char err[512];
	size_t n = 0;
	int i;

	pthread_mutex_lock(&o->lock);
	for (i = 0; i < MAX_SLOTS; i++) {
		struct slot *s = &o->slots[i];

		if (!s->used || !s->claimed || s->aborted)
			continue;
		snprintf(buf[n], sizeof(buf[n]), "%s", s->owner);
		owners[n] = buf[n];
		n++;
	}
	pthread_mutex_unlock(&o->lock);
	if (jobstate_heartbeat(o->db, owners, n, on_control, o, err,
			       sizeof(err)) < 0)
		log_warn("ORCH", "event=heartbeat_failed error=\"%s\"", err);
}

/* Progress read from job_runs, for job processes that send none: read
 * on a copy of the slot, applied if the slot still runs that job. */
static void poll_progress(struct orch *o)
{
	int i;

	for (i = 0; i < MAX_SLOTS; i++) {
		struct slot *s = &o->slots[i], c;
		char st[16], e[8], k[8];

		pthread_mutex_lock(&o->lock);
		if (!s->used || !s->claimed || s->aborted || s->exited ||
		    s->pipe_progress) {
			pthread_mutex_unlock(&o->lock);
			continue;
		}
		c = *s;
		pthread_mutex_unlock(&o->lock);
		c.step[0] = '\0';
		c.run_id = 0;
		orch_read_run(o, &c, st, sizeof(st), e, sizeof(e), k, sizeof(k));
		if (!c.run_id)
			continue;
		pthread_mutex_lock(&o->lock);
		if (s->used && s->job == c.job && s->pid == c.pid && !s->exited &&
		    !s->pipe_progress) {
			int moved = strcmp(c.step, s->step) != 0 ||
				    c.done != s->done || c.total != s->total;

			s->run_id = c.run_id;
			snprintf(s->step, sizeof(s->step), "%s", c.step);
			s->done = c.done;
			s->total = c.total;
			orch_send_started(o, s);
			if (moved)
				orch_publish(o, s, PROG_PROGRESS, "RUNNING", NULL);
		}
		pthread_mutex_unlock(&o->lock);
	}
}

/* Jobs whose prerequisite failed in this cycle (on_failure skip) skip
 * it: recorded with the reason by orch_skip_failed_deps (083). */
static void skip_failed_deps(struct orch *o)
{
	char err[512];
	PGresult *r = db_query(o->db, err, sizeof(err), "SELECT tenant_id,"
			       " job_id, reason FROM orch_skip_failed_deps()",
			       0, NULL);
	int row;

	if (!r) {
		log_warn("ORCH", "event=skip_failed error=\"%s\"", err);
		return;
	}
	for (row = 0; row < PQntuples(r); row++)
		log_info("ORCH", "tenant=%s job=%s event=skip reason=\"%s\"",
			 PQgetvalue(r, row, 0), PQgetvalue(r, row, 1),
			 PQgetvalue(r, row, 2));
	PQclear(r);
}

static int running(struct orch *o)
{
	int n;

	pthread_mutex_lock(&o->lock);
	n = orch_running_locked(o);
	pthread_mutex_unlock(&o->lock);
	return n;
}

static void pick(struct orch *o)
{
	char err[512], lim[16];
	const char *p[1] = {lim};
	PGresult *r;
	int row, free_slots = o->conf->jobs_max_running - running(o);

	if (free_slots <= 0)
		return;
	snprintf(lim, sizeof(lim), "%d", free_slots + MAX_SLOTS / 4);
	r = db_query(o->db, err, sizeof(err),
		     "SELECT tenant_id, job_id, integration_id FROM orch_due_jobs($1)",
		     1, p);
	if (!r) {
		log_warn("ORCH", "event=pick_failed error=\"%s\"", err);
		return;
	}
	for (row = 0; row < PQntuples(r) && running(o) < o->conf->jobs_max_running;
	     row++) {
		int64_t job = db_int64(r, row, 1);

		if (!orch_slot_of_job(o, job))
			orch_start_job(o, db_int64(r, row, 0), job, db_int64(r, row, 2));
	}
	PQclear(r);
}

/* One tick of the thread: every query the orchestrator makes. */
static void thread_tick(struct orch *o)
{
	char err[512];
	int draining;

	o->ticks++;
	/* before the database check: a drain must end even without one */
	orch_finish_ended(o);
	if (!orch_db(o, err, sizeof(err))) {
		if (o->ticks % 20 == 1)
			log_warn("ORCH", "event=db_unreachable error=\"%s\"", err);
		return;
	}
	orch_hk_reaped(o);
	pthread_mutex_lock(&o->lock);
	draining = o->draining;
	pthread_mutex_unlock(&o->lock);
	if (draining)
		return;
	heartbeat(o);
	poll_progress(o);
	if (!o->pick)
		return;
	if (o->ticks % 10 == 1)
		orch_sweep_stuck(o);
	orch_housekeeping(o);
	if (o->ticks % 2)
		skip_failed_deps(o);
	pick(o);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void run_also(struct orch *o)
{
	int64_t now = now_ms();
	int i;

	for (i = 0; i < o->nalso; i++) {
		struct orch_also *a = &o->also[i];

		if (now < a->next_ms)
			continue;
		a->fn(a->ctx);
		a->next_ms = now_ms() + a->ms;
	}
}

/* The orchestrator thread: a tick every ORCH_TICK_MS, sooner when
 * kicked. Its waits are untimed only in orch_fork_on_loop. */
static void *orch_thread(void *arg)
{
	struct orch *o = arg;
	int64_t next = now_ms() + ORCH_TICK_MS;

	pthread_mutex_lock(&o->lock);
	while (!o->quit) {
		int64_t now = now_ms();

		if (!o->kicked && now < next) {
			struct timespec ts;
			int64_t at = next;

			ts.tv_sec = (time_t)(at / 1000);
			ts.tv_nsec = (long)(at % 1000) * 1000000;
			pthread_cond_timedwait(&o->cond, &o->lock, &ts);
			continue;
		}
		o->kicked = 0;
		pthread_mutex_unlock(&o->lock);
		thread_tick(o);
		run_also(o);
		next = now_ms() + ORCH_TICK_MS;
		pthread_mutex_lock(&o->lock);
	}
	pthread_mutex_unlock(&o->lock);
	return NULL;
}

pid_t orch_fork_on_loop(struct orch *o, struct orch_fork *f)
{
	f->done = 0;
	f->pid = -1;
	f->slot = -1;
	f->err[0] = '\0';
	pthread_mutex_lock(&o->lock);
	if (o->quit || o->draining) {
		pthread_mutex_unlock(&o->lock);
		return -1;
	}
	o->req = f;
	pubq_wake(o->q);
	/* Parked here while the loop forks: no allocation, no log line. */
	while (!f->done && !o->quit)
		pthread_cond_wait(&o->cond, &o->lock);
	o->req = NULL;
	pthread_mutex_unlock(&o->lock);
	return f->done ? f->pid : -1;
}

/* ------------------------------------------------------------ loop side */

/* The loop's half of a fork request, and the end of a drain. */
static void loop_wake(void *ctx)
{
	struct orch *o = ctx;
	struct orch_fork *f;
	struct slot *s = NULL;
	void (*fn)(void *) = NULL;
	int evfd = -1;

	pthread_mutex_lock(&o->lock);
	f = o->req;
	if (f && !f->done) {
		/* Fork while holding o->lock: the thread is in
		 * pthread_cond_wait (it must be, for us to hold the lock)
		 * and cannot leave it before we answer. */
		if (o->draining) {
			snprintf(f->err, sizeof(f->err), "shutting down");
		} else if (f->hk) {
			o->hk_pid = hk_spawn(o->conf, db_owner_id(), f->err,
					     sizeof(f->err));
			f->pid = o->hk_pid;
			if (o->hk_pid < 0)
				o->hk_pid = 0;
		} else {
			orch_fork_job_locked(o, f, &evfd, &s);
		}
		f->done = 1;
		pthread_cond_broadcast(&o->cond);
	}
	if (o->drained_pending && o->drained) {
		fn = o->drained;
		o->drained = NULL;
	}
	o->drained_pending = 0;
	pthread_mutex_unlock(&o->lock);
	if (s && server_watch_fd(o->srv, evfd, orch_pipe_read, orch_pipe_closed,
				 s) < 0) {
		pthread_mutex_lock(&o->lock);
		s->pipe_open = 0;
		o->kicked = 1;
		pthread_cond_broadcast(&o->cond);
		pthread_mutex_unlock(&o->lock);
	}
	if (fn)
		fn(o->drained_ctx);
}

/* Job processes still there jobs.stop_grace_seconds after the SIGTERM of
 * a stop or pause: a plugin that ignores SIGTERM (or never looks at
 * cancelled()) must not hold its job forever. With o->lock held. */
static void escalate(struct orch *o)
{
	time_t now = time(NULL);
	int i;

	for (i = 0; i < MAX_SLOTS; i++) {
		struct slot *s = &o->slots[i];

		if (!s->used || s->exited || s->escalated || !s->term_at ||
		    now < s->term_at + o->conf->jobs_stop_grace_s)
			continue;
		log_warn("ORCH", "job=%" PRId64 " event=kill control=%s pid=%ld "
			 "signal=SIGKILL reason=\"no exit %d s after SIGTERM\"",
			 s->job, s->control, (long)s->pid,
			 o->conf->jobs_stop_grace_s);
		s->escalated = 1;
		kill(s->pid, SIGKILL);
	}
}

/* The loop's tick: reaping, escalation, the shutdown deadline; no query. */
static void loop_tick(void *ctx)
{
	struct orch *o = ctx;
	int i;

	orch_reap(o);
	pthread_mutex_lock(&o->lock);
	escalate(o);
	if (o->draining && time(NULL) >= o->drain_deadline)
		for (i = 0; i < MAX_SLOTS; i++)
			if (o->slots[i].used && !o->slots[i].exited) {
				log_warn("ORCH", "job=%" PRId64 " event=kill "
					 "reason=\"shutdown grace over\"",
					 o->slots[i].job);
				kill(o->slots[i].pid, SIGKILL);
			}
	pthread_mutex_unlock(&o->lock);
}

/* ------------------------------------------------------------ lifecycle */

struct orch *orch_new(const struct conf *conf, struct loader *ld,
		      struct progress_bus *bus, struct server *srv,
		      char *err, size_t errlen)
{
	struct orch *o = calloc(1, sizeof(*o));
	pthread_condattr_t ca;

	if (!o) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	o->conf = conf;
	o->ld = ld;
	o->bus = bus;
	o->srv = srv;
	o->seed = (unsigned)time(NULL) ^ (unsigned)getpid();
	(void)db_owner_id(); /* set once here, read by both threads */
	if (gethostname(o->host, sizeof(o->host)) < 0)
		snprintf(o->host, sizeof(o->host), "localhost");
	o->host[sizeof(o->host) - 1] = '\0';
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&o->cond, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&o->lock, NULL);
	o->q = pubq_new(srv, bus, loop_wake, o);
	if (!o->q) {
		snprintf(err, errlen, "cannot set up the orchestrator's queue: %s",
			 strerror(errno));
		goto fail;
	}
	o->db = db_connect(conf->database_url, err, errlen);
	if (!o->db)
		goto fail;
	return o;
fail:
	pubq_free(o->q); /* only before the server runs: nothing watches it yet */
	pthread_cond_destroy(&o->cond);
	pthread_mutex_destroy(&o->lock);
	free(o);
	return NULL;
}

int orch_also(struct orch *o, int ms, void (*fn)(void *ctx), void *ctx)
{
	if (o->thr_on || o->nalso == ORCH_ALSO_MAX)
		return -1;
	o->also[o->nalso].ms = ms;
	o->also[o->nalso].fn = fn;
	o->also[o->nalso].ctx = ctx;
	o->also[o->nalso].next_ms = now_ms() + ms;
	o->nalso++;
	return 0;
}

int orch_start(struct orch *o, int pick_jobs)
{
	o->pick = pick_jobs;
	if (server_every(o->srv, ORCH_TICK_MS, loop_tick, o) < 0)
		return -1;
	if (pthread_create(&o->thr, NULL, orch_thread, o) != 0)
		return -1;
	o->thr_on = 1;
	return 0;
}

void orch_shutdown(struct orch *o, int grace_s, void (*done)(void *ctx),
		   void *ctx)
{
	int i, n;

	pthread_mutex_lock(&o->lock);
	o->draining = 1;
	o->drain_deadline = time(NULL) + grace_s;
	o->drained = done;
	o->drained_ctx = ctx;
	for (i = 0; i < MAX_SLOTS; i++) {
		struct slot *s = &o->slots[i];

		if (!s->used || s->exited)
			continue;
		if (!s->control[0])
			snprintf(s->control, sizeof(s->control), "shutdown");
		kill(s->pid, SIGTERM);
	}
	n = orch_running_locked(o);
	if (!n)
		o->drained = NULL;
	o->kicked = 1;
	pthread_cond_broadcast(&o->cond);
	pthread_mutex_unlock(&o->lock);
	if (!n)
		done(ctx);
}

int orch_running_locked(const struct orch *o)
{
	int i, n = 0;

	for (i = 0; i < MAX_SLOTS; i++)
		n += o->slots[i].used;
	return n;
}

int orch_running(struct orch *o)
{
	return running(o);
}

void orch_kick(struct orch *o)
{
	pthread_mutex_lock(&o->lock);
	o->kicked = 1;
	pthread_cond_broadcast(&o->cond);
	pthread_mutex_unlock(&o->lock);
	server_kick(o->srv);
}

void orch_free(struct orch *o)
{
	int i;

	if (!o)
		return;
	if (o->thr_on) {
		pthread_mutex_lock(&o->lock);
		o->quit = 1;
		pthread_cond_broadcast(&o->cond);
		pthread_mutex_unlock(&o->lock);
		pthread_join(o->thr, NULL);
	}
	for (i = 0; i < MAX_SLOTS; i++) {
		sb_free(&o->slots[i].in);
		if (o->slots[i].used && o->slots[i].gofd >= 0)
			close(o->slots[i].gofd);
	}
	if (o->db)
		PQfinish(o->db);
	pubq_free(o->q);
	pthread_cond_destroy(&o->cond);
	pthread_mutex_destroy(&o->lock);
	free(o);
}
