/* orchestrator: the tick - heartbeats, stop/pause, progress polling,
 * picking due jobs - and the lifecycle (see orchestrator.h; the slots,
 * claiming, the stuck sweep and housekeeping are in orch_*.c). */
#include "config.h"

#include <inttypes.h>
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
#include "jobs/jobstate.h"
#include "jobs/orchestrator.h"
#include "server/progress.h"
#include "server/server.h"
#include "jobs/orchestrator_int.h"

/* ------------------------------------------------------------ database */

PGconn *orch_db(struct orch *o, char *err, size_t errlen)
{
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

/* ------------------------------------------------------------ tick */

/* A stop/pause asked for job: SIGTERM its job process (escalate() sends
 * SIGKILL once jobs.stop_grace_seconds passed). */
static void on_control(void *ctx, int64_t job, const char *control)
{
	struct orch *o = ctx;
	int i;

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
}

/* Job processes still there jobs.stop_grace_seconds after the SIGTERM of
 * a stop or pause: a plugin that ignores SIGTERM (or never looks at
 * cancelled()) must not hold its job forever. */
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

/* Heartbeat our jobs and act on stop/pause requests. A job whose process
 * exited is heartbeated until its end is recorded: it is still ours. */
static void heartbeat(struct orch *o)
{
	const char *owners[MAX_SLOTS];
	char err[512];
	size_t n = 0;
	int i;

	for (i = 0; i < MAX_SLOTS; i++) {
		if (!o->slots[i].used || o->slots[i].aborted)
			continue;
		owners[n++] = o->slots[i].owner;
	}
	if (jobstate_heartbeat(o->db, owners, n, on_control, o, err,
			       sizeof(err)) < 0)
		log_warn("ORCH", "event=heartbeat_failed error=\"%s\"", err);
}

/* Progress read from job_runs, for job processes that send none. */
static void poll_progress(struct orch *o)
{
	int i;

	for (i = 0; i < MAX_SLOTS; i++) {
		struct slot *s = &o->slots[i];
		char st[16], e[8], k[8], step[128];
		uint64_t done, total;

		if (!s->used || s->aborted || s->exited || s->pipe_progress)
			continue;
		snprintf(step, sizeof(step), "%s", s->step);
		done = s->done;
		total = s->total;
		s->step[0] = '\0';
		orch_read_run(o, s, st, sizeof(st), e, sizeof(e), k, sizeof(k));
		if (!s->run_id)
			continue;
		orch_send_started(o, s);
		if (strcmp(step, s->step) != 0 || done != s->done || total != s->total)
			orch_publish(o, s, PROG_PROGRESS, "RUNNING", NULL);
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

static void pick(struct orch *o)
{
	char err[512], lim[16];
	const char *p[1] = {lim};
	PGresult *r;
	int row, free_slots = o->conf->jobs_max_running - orch_running(o);

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
	for (row = 0; row < PQntuples(r) && orch_running(o) < o->conf->jobs_max_running;
	     row++) {
		int64_t job = db_int64(r, row, 1);

		if (!orch_slot_of_job(o, job))
			orch_start_job(o, db_int64(r, row, 0), job, db_int64(r, row, 2));
	}
	PQclear(r);
}

static void tick(void *ctx)
{
	struct orch *o = ctx;
	char err[512];
	int i;

	o->ticks++;
	orch_reap(o);
	escalate(o);
	if (o->draining) {
		if (time(NULL) >= o->drain_deadline)
			for (i = 0; i < MAX_SLOTS; i++)
				if (o->slots[i].used && !o->slots[i].exited) {
					log_warn("ORCH", "job=%" PRId64 " event=kill "
						 "reason=\"shutdown grace over\"",
						 o->slots[i].job);
					kill(o->slots[i].pid, SIGKILL);
				}
		return;
	}
	if (!orch_db(o, err, sizeof(err))) {
		if (o->ticks % 20 == 1)
			log_warn("ORCH", "event=db_unreachable error=\"%s\"", err);
		return;
	}
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

/* ------------------------------------------------------------ lifecycle */

struct orch *orch_new(const struct conf *conf, struct loader *ld,
		      struct progress_bus *bus, struct server *srv,
		      char *err, size_t errlen)
{
	struct orch *o = calloc(1, sizeof(*o));

	if (!o) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	o->conf = conf;
	o->ld = ld;
	o->bus = bus;
	o->srv = srv;
	o->seed = (unsigned)time(NULL) ^ (unsigned)getpid();
	o->db = db_connect(conf->database_url, err, errlen);
	if (!o->db) {
		free(o);
		return NULL;
	}
	return o;
}

int orch_start(struct orch *o, int pick_jobs)
{
	o->pick = pick_jobs;
	return server_every(o->srv, ORCH_TICK_MS, tick, o);
}

void orch_shutdown(struct orch *o, int grace_s, void (*done)(void *ctx),
		   void *ctx)
{
	int i;

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
	if (!orch_running(o) && o->drained) {
		o->drained = NULL;
		done(ctx);
	}
}

int orch_running(const struct orch *o)
{
	int i, n = 0;

	for (i = 0; i < MAX_SLOTS; i++)
		n += o->slots[i].used;
	return n;
}

void orch_kick(struct orch *o)
{
	server_kick(o->srv);
}

void orch_free(struct orch *o)
{
	int i;

	if (!o)
		return;
	for (i = 0; i < MAX_SLOTS; i++)
		sb_free(&o->slots[i].in);
	if (o->db)
		PQfinish(o->db);
	free(o);
}
