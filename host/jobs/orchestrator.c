/* orchestrator: job picking, job processes, retries (see orchestrator.h). */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>


#include "base/conf.h"
#include "base/failpoint.h"
#include "db/db.h"
#include "jobs/jobpolicy.h"
#include "jobs/jobproc.h"
#include "jobs/jobstate.h"
#include "plugin/loader.h"
#include "base/log.h"
#include "housekeeping/hk.h"
#include "jobs/sysjob.h"
#include "jobs/orchestrator.h"
#include "server/progress.h"
#include "jobs/runner.h"
#include "server/server.h"
#include "base/strbuf.h"

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

/* ------------------------------------------------------------ events */

static void publish(struct orch *o, struct slot *s, int kind, const char *state,
		    const char *message)
{
	struct progress_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = kind;
	ev.tenant_id = s->tenant;
	ev.job_id = s->job;
	ev.integration_id = s->integration;
	ev.run_id = s->run_id;
	ev.state = state;
	ev.step = s->step[0] ? s->step : NULL;
	ev.done = s->done;
	ev.total = s->total;
	ev.run_started_us = s->run_started_us;
	ev.ts_us = progress_now_us();
	ev.message = message;
	progress_publish(o->bus, &ev);
}

static void send_started(struct orch *o, struct slot *s)
{
	if (s->started_sent)
		return;
	s->started_sent = 1;
	publish(o, s, PROG_STARTED, "RUNNING", NULL);
}

/* One line from a job process (see jobproc.h). */
static void handle_line(struct orch *o, struct slot *s, const char *line)
{
	struct jobproc_msg m;
	struct progress_event ev;

	if (jobproc_parse(line, &m) < 0)
		return;
	switch (m.kind) {
	case JOBPROC_STARTED:
		if (m.run_id)
			s->run_id = m.run_id;
		send_started(o, s);
		break;
	case JOBPROC_PROGRESS:
		s->pipe_progress = 1;
		send_started(o, s);
		snprintf(s->step, sizeof(s->step), "%s", m.step);
		s->done = m.done;
		s->total = m.total;
		memset(&ev, 0, sizeof(ev));
		ev.kind = PROG_PROGRESS;
		ev.tenant_id = s->tenant;
		ev.job_id = s->job;
		ev.integration_id = s->integration;
		ev.run_id = s->run_id;
		ev.state = "RUNNING";
		ev.step = s->step;
		ev.done = s->done;
		ev.total = s->total;
		ev.run_started_us = s->run_started_us;
		ev.ts_us = m.ts_us;
		progress_publish(o->bus, &ev);
		break;
	case JOBPROC_DONE:
		s->have_done = 1;
		s->done_rc = m.rc;
		s->done_cancelled = m.cancelled;
		snprintf(s->done_err, sizeof(s->done_err), "%s", m.error);
		break;
	}
}

static void maybe_finish(struct orch *o, struct slot *s);

static int pipe_read(void *ctx, int fd)
{
	struct slot *s = ctx;
	char buf[4096];
	ssize_t n;

	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n <= 0)
			return -1; /* EOF: the job process is gone */
		sb_add(&s->in, buf, (size_t)n);
		for (;;) {
			char *nl = s->in.buf ? memchr(s->in.buf, '\n', s->in.len) : NULL;
			size_t used;

			if (!nl)
				break;
			*nl = '\0';
			handle_line(s->o, s, s->in.buf);
			used = (size_t)(nl - s->in.buf) + 1;
			memmove(s->in.buf, nl + 1, s->in.len - used + 1);
			s->in.len -= used;
		}
	}
}

static void pipe_closed(void *ctx)
{
	struct slot *s = ctx;

	s->pipe_open = 0;
	maybe_finish(s->o, s);
}

/* ------------------------------------------------------------ finishing */

/* The job_runs row the job process opened (latest with its owner). */
static void read_run(struct orch *o, struct slot *s, char *state, size_t slen,
		     char *error, size_t elen, char *klass, size_t klen)
{
	const char *p[2] = {s->owner, NULL};
	char ids[24], err[512];
	PGresult *r;

	p[1] = db_i64(ids, s->integration);
	if (db_tenant_begin(o->db, s->tenant, err, sizeof(err)) < 0)
		return;
	r = db_query(o->db, err, sizeof(err),
		     "SELECT id, state, coalesce(error, ''),"
		     " coalesce(error_class, ''), coalesce(step, ''), processed, total"
		     " FROM job_runs WHERE owner = $1 AND integration_id = $2"
		     " ORDER BY id DESC LIMIT 1", 2, p);
	if (r && PQntuples(r) == 1) {
		s->run_id = db_int64(r, 0, 0);
		snprintf(state, slen, "%s", PQgetvalue(r, 0, 1));
		snprintf(error, elen, "%s", PQgetvalue(r, 0, 2));
		snprintf(klass, klen, "%s", PQgetvalue(r, 0, 3));
		if (!s->step[0])
			snprintf(s->step, sizeof(s->step), "%s", PQgetvalue(r, 0, 4));
		s->done = (uint64_t)db_int64(r, 0, 5);
		s->total = (uint64_t)db_int64(r, 0, 6);
	}
	PQclear(r);
	db_rollback(o->db);
}

/* Vectorization queue counts of a tenant, to its "vectorization" channel. */
static void publish_vectorization(struct orch *o, int64_t tenant)
{
	struct progress_event ev;
	struct strbuf sb = STRBUF_INIT;
	char err[512];
	PGresult *r;

	if (db_tenant_begin(o->db, tenant, err, sizeof(err)) < 0)
		return;
	r = db_query(o->db, err, sizeof(err),
		     "SELECT count(*) FILTER (WHERE status <> 'completed'),"
		     " count(*) FILTER (WHERE status <> 'completed' AND operation = 'insert'),"
		     " count(*) FILTER (WHERE status <> 'completed' AND operation = 'update'),"
		     " count(*) FILTER (WHERE status <> 'completed' AND operation = 'delete'),"
		     " count(*) FILTER (WHERE status = 'failed')"
		     " FROM vectorization_queue", 0, NULL);
	db_rollback(o->db);
	if (!r)
		return;
	sb_addf(&sb, "{\"waiting\":%s,\"by_operation\":{\"insert\":%s,\"update\":%s,"
		"\"delete\":%s},\"failed\":%s}", PQgetvalue(r, 0, 0),
		PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 2), PQgetvalue(r, 0, 3),
		PQgetvalue(r, 0, 4));
	PQclear(r);
	memset(&ev, 0, sizeof(ev));
	ev.kind = PROG_VECTORIZATION;
	ev.tenant_id = tenant;
	ev.extra_json = sb.buf;
	if (sb.buf)
		progress_publish(o->bus, &ev);
	sb_free(&sb);
}

static void slot_free(struct slot *s)
{
	sb_free(&s->in);
	memset(s, 0, sizeof(*s));
}

/*
 * The job process is gone and its pipe drained: decide the job's next
 * state from how it ended (jobpolicy_decide) and move it there.
 */
static void finish(struct orch *o, struct slot *s)
{
	struct jobstate_move m = {.retry_count = -1, .next_run_in_s = -1};
	struct jobpolicy_in in;
	struct jobpolicy_out out, *d = &out;
	char run_state[16] = "", run_err[1024] = "", klass[16] = "";
	char ids[24], err[1024];
	const char *p[2];
	int desired, rc, kind;
	PGresult *r;

	if (!orch_db(o, err, sizeof(err))) {
		log_error("ORCH", "job=%" PRId64 " event=finish_deferred error=\"%s\"",
			  s->job, err);
		return; /* the stuck sweep resets it once the database is back */
	}
	read_run(o, s, run_state, sizeof(run_state), run_err, sizeof(run_err),
		 klass, sizeof(klass));
	memset(&in, 0, sizeof(in));
	in.signal = WIFSIGNALED(s->status) ? WTERMSIG(s->status) : 0;
	in.exit_code = WIFEXITED(s->status) ? WEXITSTATUS(s->status) : 0;
	in.control = s->control;
	in.escalated = s->escalated;
	in.grace_s = o->conf->jobs_stop_grace_s;
	in.rlimit_as_mb = o->conf->jobs_rlimit_as_mb;
	in.rlimit_cpu_s = o->conf->jobs_rlimit_cpu_s;
	in.have_done = s->have_done;
	in.done_rc = s->done_rc;
	in.done_cancelled = s->done_cancelled;
	in.done_err = s->done_err;
	in.run_id = s->run_id;
	in.run_state = run_state;
	in.run_err = run_err;
	in.run_class = klass;
	in.retry_count = s->retry_count;
	in.max_retries = s->max_retries;
	in.fast_retry_s = s->fast_retry_s;
	in.interval_s = s->interval_s;
	in.jitter = (double)rand_r(&o->seed) / RAND_MAX;
	jobpolicy_decide(&in, d);
	desired = d->state;
	m.error_class = d->error_class;
	m.retry_count = d->retry_count;
	m.next_run_in_s = d->next_run_in_s;
	m.auto_resume = d->auto_resume;
	m.error = d->message[0] ? d->message : NULL;
	m.run_id = s->run_id;
	p[0] = db_i64(ids, s->job);
	if (db_tenant_begin(o->db, s->tenant, err, sizeof(err)) < 0)
		goto dberr;
	if (d->close_run) {
		/* The run row still says RUNNING: the process never closed it. */
		p[1] = d->message;
		r = db_query(o->db, err, sizeof(err),
			     "UPDATE job_runs SET state = 'ERROR', finished_at = now(),"
			     " error = $2, error_class = 'permanent' WHERE job_id = $1"
			     " AND state = 'RUNNING'", 2, p);
		if (!r)
			goto dberr;
		PQclear(r);
	}
	rc = jobstate_finish(o->db, s->job, desired, d->reason, &m, err, sizeof(err));
	if (rc < 0 || db_commit(o->db, err, sizeof(err)) < 0)
		goto dberr;
	kind = desired == JS_FINISHED ? PROG_COMPLETED :
	       desired == JS_ERROR ? PROG_ERROR : PROG_STATE;
	send_started(o, s);
	if (desired == JS_FINISHED) {
		/* The bar ends full. */
		if (s->total && s->done < s->total)
			s->done = s->total;
	}
	publish(o, s, kind, jobstate_name(desired),
		desired == JS_FINISHED ? NULL : desired == JS_ERROR ? d->message :
		d->reason);
	log_info("ORCH", "job=%" PRId64 " run=%" PRId64 " event=ended state=%s "
		 "pid=%ld reason=\"%s\"", s->job, s->run_id, jobstate_name(desired),
		 (long)s->pid, d->reason);
	if (desired == JS_FINISHED)
		publish_vectorization(o, s->tenant);
	return;
dberr:
	db_rollback(o->db);
	log_error("ORCH", "job=%" PRId64 " event=finish_failed error=\"%s\"",
		  s->job, err);
}

static void maybe_finish(struct orch *o, struct slot *s)
{
	if (!s->used || !s->exited || s->pipe_open)
		return;
	if (!s->aborted)
		finish(o, s);
	slot_free(s);
	if (o->draining && !orch_running(o) && o->drained) {
		void (*fn)(void *) = o->drained;

		o->drained = NULL;
		fn(o->drained_ctx);
	} else if (!o->draining) {
		orch_kick(o);
	}
}

/* The housekeeping process ended: a process that died before recording
 * its end (a signal, a force-stop) gets it recorded here (ignored when it
 * did, or an operator moved the job meanwhile). */
static void hk_reaped(struct orch *o, int st)
{
	char err[512], why[128];

	o->hk_pid = 0;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return;
	if (WIFSIGNALED(st))
		snprintf(why, sizeof(why), "housekeeping process killed by "
			 "signal %d", WTERMSIG(st));
	else
		snprintf(why, sizeof(why), "housekeeping process exited with "
			 "status %d", WEXITSTATUS(st));
	if (o->db && sysjob_finish(o->db, SYSJOB_HOUSEKEEPING, db_owner_id(),
				   why, NULL, NULL, err, sizeof(err)) < 0)
		log_warn("HK", "event=finish_failed error=\"%s\"", err);
}

void orch_reap(struct orch *o)
{
	int st, i;
	pid_t pid;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		if (pid == o->hk_pid) {
			hk_reaped(o, st);
			continue;
		}
		for (i = 0; i < MAX_SLOTS; i++) {
			struct slot *s = &o->slots[i];

			if (s->used && s->pid == pid) {
				s->exited = 1;
				s->status = st;
				/* The gap between a job process's exit and its
				 * recorded end (tests/daemon/orch-reap-gap.sh). */
				FAILPOINT("orch.reaped");
				maybe_finish(o, s);
				break;
			}
		}
	}
}

/* ------------------------------------------------------------ claiming */

static struct slot *slot_new(struct orch *o)
{
	int i;

	for (i = 0; i < MAX_SLOTS; i++)
		if (!o->slots[i].used)
			return &o->slots[i];
	return NULL;
}

static int slot_of_job(const struct orch *o, int64_t job)
{
	int i;

	for (i = 0; i < MAX_SLOTS; i++)
		if (o->slots[i].used && o->slots[i].job == job)
			return 1;
	return 0;
}

/* Claim the job for the job process of s (see jobstate_claim): 1 =
 * claimed, 0 = not ours to run, -1 = database error. */
static int claim(struct orch *o, struct slot *s, char *err, size_t errlen)
{
	struct jobstate_claim k;
	int rc;

	rc = jobstate_claim(o->db, s->tenant, s->job, s->owner, &k, err, errlen);
	if (rc == 1) {
		s->retry_count = k.retry_count;
		s->max_retries = k.max_retries;
		s->fast_retry_s = k.fast_retry_s;
		s->interval_s = k.interval_s;
	}
	return rc;
}

/* Fork a job process for (tenant, job, integration) and claim the job for
 * it; the process starts working only once the claim committed. */
static void start_job(struct orch *o, int64_t tenant, int64_t job,
		      int64_t integration)
{
	struct slot *s = slot_new(o);
	int gofd = -1, evfd = -1, rc;
	char err[1024], host[256];
	pid_t pid;

	if (!s)
		return;
	pid = jobproc_spawn(o->conf, o->ld, job, integration, &gofd, &evfd,
			    err, sizeof(err));
	if (pid < 0) {
		log_error("ORCH", "job=%" PRId64 " event=spawn_failed error=\"%s\"",
			  job, err);
		return;
	}
	memset(s, 0, sizeof(*s));
	s->used = 1;
	s->o = o;
	s->tenant = tenant;
	s->job = job;
	s->integration = integration;
	s->pid = pid;
	if (gethostname(host, sizeof(host)) < 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	snprintf(s->owner, sizeof(s->owner), "%s:%ld", host, (long)pid);
	s->run_started_us = progress_now_us();
	rc = claim(o, s, err, sizeof(err));
	if (rc < 0)
		log_error("ORCH", "job=%" PRId64 " event=claim_failed error=\"%s\"",
			  job, err);
	s->aborted = rc != 1;
	/* the job is claimed for a forked process not yet released */
	FAILPOINT("orch.dispatch");
	if (jobproc_release(gofd, !s->aborted) < 0)
		s->aborted = 1;
	s->pipe_open = 1;
	if (server_watch_fd(o->srv, evfd, pipe_read, pipe_closed, s) < 0)
		s->pipe_open = 0;
	if (!s->aborted)
		log_info("ORCH", "job=%" PRId64 " integration=%" PRId64 " tenant=%"
			 PRId64 " event=started pid=%ld", job, integration, tenant,
			 (long)pid);
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
		read_run(o, s, st, sizeof(st), e, sizeof(e), k, sizeof(k));
		if (!s->run_id)
			continue;
		send_started(o, s);
		if (strcmp(step, s->step) != 0 || done != s->done || total != s->total)
			publish(o, s, PROG_PROGRESS, "RUNNING", NULL);
	}
}

/* Whether the run of job p[0] by owner p[1] is still RUNNING (its process
 * died before recording an end). In the caller's tenant transaction. */
static int run_running(struct orch *o, const char *const *p)
{
	char err[512];
	PGresult *r;
	int yes = 1; /* unknown counts as running: the old, immediate reset */

	r = db_query(o->db, err, sizeof(err), "SELECT EXISTS (SELECT 1 FROM"
		     " job_runs WHERE job_id = $1 AND owner = $2 AND"
		     " state = 'RUNNING')", 2, p);
	if (r && PQntuples(r) == 1)
		yes = PQgetvalue(r, 0, 0)[0] == 't';
	PQclear(r);
	return yes;
}

/* Reset RUNNING jobs nobody runs any more. */
static void sweep_stuck(struct orch *o)
{
	struct jobstate_move m = {.retry_count = -1, .next_run_in_s = 0,
				  .error_class = "stuck"};
	char err[512], reason[512], ids[24];
	const char *p[2];
	PGresult *r, *x;
	int row;

	r = db_query(o->db, err, sizeof(err),
		     "SELECT tenant_id, job_id, coalesce(owner, ''), silent_seconds"
		     " FROM orch_stuck_jobs(0)", 0, NULL);
	for (row = 0; r && row < PQntuples(r); row++) {
		int64_t tenant = db_int64(r, row, 0), job = db_int64(r, row, 1);
		const char *owner = PQgetvalue(r, row, 2);
		int64_t silent = db_int64(r, row, 3);
		int gone = *owner && !db_owner_alive(owner), local;
		char host[256];

		if (slot_of_job(o, job))
			continue;
		/* An owner on this host is judged by its pid alone: a live
		 * job process is its own daemon's to stop (a late heartbeat
		 * under load must not start a second run beside it), and
		 * one whose daemon died dies with it. Others by age. */
		if (gethostname(host, sizeof(host)) < 0)
			host[0] = '\0';
		host[sizeof(host) - 1] = '\0';
		local = strncmp(owner, host, strlen(host)) == 0 &&
			owner[strlen(host)] == ':';
		if (!local)
			gone = 0;
		if (local ? !gone : silent < o->conf->jobs_heartbeat_timeout_s)
			continue;
		p[0] = db_i64(ids, job);
		p[1] = owner;
		if (db_tenant_begin(o->db, tenant, err, sizeof(err)) < 0)
			break;
		/* A gone local process whose run ended normally is being
		 * recorded by its daemon (the gap between exit and record):
		 * reset it only when that daemon fell silent too. A run
		 * still RUNNING died mid-way: reset it now. */
		if (gone && silent < o->conf->jobs_heartbeat_timeout_s &&
		    !run_running(o, p)) {
			db_rollback(o->db);
			log_info("ORCH", "job=%" PRId64 " event=stuck_deferred "
				 "owner=%s silent_s=%" PRId64 " reason=\"its process "
				 "exited after ending its run; its daemon records "
				 "the end\"", job, owner, silent);
			continue;
		}
		snprintf(reason, sizeof(reason), "stuck: no heartbeat from %s for %"
			 PRId64 " s%s; reset for an immediate retry",
			 *owner ? owner : "(no owner)", silent,
			 gone ? " and that process is gone" : "");
		m.error = reason;
		if (jobstate_move(o->db, job, JS_RUNNING, JS_ERROR, reason, &m, NULL,
				  err, sizeof(err)) == 0) {
			x = db_query(o->db, err, sizeof(err),
				     "UPDATE job_runs SET state = 'ERROR', finished_at = now(),"
				     " error = 'abandoned: its job process is gone',"
				     " error_class = 'transient' WHERE job_id = $1 AND"
				     " state = 'RUNNING'", 1, p);
			PQclear(x);
			if (x && db_commit(o->db, err, sizeof(err)) == 0) {
				struct slot tmp;

				memset(&tmp, 0, sizeof(tmp));
				tmp.tenant = tenant;
				tmp.job = job;
				publish(o, &tmp, PROG_ERROR, "ERROR", reason);
				continue;
			}
		}
		db_rollback(o->db);
		log_warn("ORCH", "job=%" PRId64 " event=stuck_reset_failed error=\"%s\"",
			 job, err);
	}
	if (!r)
		log_warn("ORCH", "event=stuck_sweep_failed error=\"%s\"", err);
	PQclear(r);
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

		if (!slot_of_job(o, job))
			start_job(o, db_int64(r, row, 0), job, db_int64(r, row, 2));
	}
	PQclear(r);
}

/* Housekeeping (host/housekeeping/hk.h) is the system job
 * "housekeeping" (host/jobs/sysjob.h): claimed when due and no data job it
 * runs after is busy, heartbeated while its process runs (an operator's
 * force-stop kills it), its end recorded by the process itself. The
 * daemon's owner id (host:pid) holds it. */
static void housekeeping(struct orch *o)
{
	char err[512], why[256];
	int stop = 0, x;

	if (o->hk_pid) {
		if (o->ticks % 2)
			return;
		if (sysjob_heartbeat(o->db, SYSJOB_HOUSEKEEPING, db_owner_id(),
				     &stop, err, sizeof(err)) < 0)
			log_warn("HK", "event=heartbeat_failed error=\"%s\"", err);
		else if (stop) {
			log_info("HK", "event=kill pid=%ld reason=\"stopped by "
				 "operator\"", (long)o->hk_pid);
			kill(o->hk_pid, SIGKILL);
		}
		return;
	}
	/* every 2 s: a claim is a row lock and a look at the data jobs */
	if (o->hk_tick && o->ticks - o->hk_tick < 4)
		return;
	o->hk_tick = o->ticks;
	x = sysjob_claim(o->db, SYSJOB_HOUSEKEEPING, db_owner_id(),
			 o->conf->hk_interval_s, o->conf->jobs_heartbeat_timeout_s,
			 why, sizeof(why), err, sizeof(err));
	if (x < 0) {
		log_warn("HK", "event=claim_failed error=\"%s\"", err);
		return;
	}
	if (x != SYSJOB_CLAIMED) {
		if (strncmp(why, "waiting", 7) == 0 && strcmp(why, o->hk_wait) != 0)
			log_info("HK", "event=wait %s", why);
		snprintf(o->hk_wait, sizeof(o->hk_wait), "%s", why);
		return;
	}
	o->hk_wait[0] = '\0';
	o->hk_pid = hk_spawn(o->conf, db_owner_id(), err, sizeof(err));
	if (o->hk_pid < 0) {
		log_warn("HK", "event=spawn_failed error=\"%s\"", err);
		o->hk_pid = 0;
		if (sysjob_finish(o->db, SYSJOB_HOUSEKEEPING, db_owner_id(), err,
				  NULL, NULL, err, sizeof(err)) < 0)
			log_warn("HK", "event=finish_failed error=\"%s\"", err);
	}
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
		sweep_stuck(o);
	housekeeping(o);
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
