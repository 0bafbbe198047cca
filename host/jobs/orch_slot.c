/* orch_slot: a job process's slot - its pipe and progress events (loop),
 * its end recorded in the job's state (thread), and the reaping of its
 * process (loop). */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/conf.h"
#include "base/failpoint.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "db/db.h"
#include "jobs/jobpolicy.h"
#include "jobs/jobproc.h"
#include "jobs/jobstate.h"
#include "jobs/orchestrator_int.h"
#include "jobs/orchestrator.h"
#include "server/progress.h"
#include "server/pubq.h"

/* ------------------------------------------------------------ events */

void orch_publish(struct orch *o, struct slot *s, int kind, const char *state,
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
	pubq_post(o->q, &ev);
}

void orch_send_started(struct orch *o, struct slot *s)
{
	if (s->started_sent)
		return;
	s->started_sent = 1;
	orch_publish(o, s, PROG_STARTED, "RUNNING", NULL);
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
		orch_send_started(o, s);
		break;
	case JOBPROC_PROGRESS:
		s->pipe_progress = 1;
		orch_send_started(o, s);
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
		pubq_post(o->q, &ev);
		break;
	case JOBPROC_DONE:
		s->have_done = 1;
		s->done_rc = m.rc;
		s->done_cancelled = m.cancelled;
		snprintf(s->done_err, sizeof(s->done_err), "%s", m.error);
		break;
	}
}

int orch_pipe_read(void *ctx, int fd)
{
	struct slot *s = ctx;
	struct orch *o = s->o;
	char buf[4096];
	ssize_t n;
	int rc = 0;

	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			goto out;
		if (n <= 0) {
			rc = -1; /* EOF: the job process is gone */
			goto out;
		}
		pthread_mutex_lock(&o->lock);
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
		pthread_mutex_unlock(&o->lock);
	}
out:
	pubq_drain(o->q); /* on the loop already: publish now */
	return rc;
}

void orch_pipe_closed(void *ctx)
{
	struct slot *s = ctx;
	struct orch *o = s->o;

	pthread_mutex_lock(&o->lock);
	s->pipe_open = 0;
	o->kicked = 1; /* the thread records the end */
	pthread_cond_broadcast(&o->cond);
	pthread_mutex_unlock(&o->lock);
}

/* ------------------------------------------------------------ finishing */

/* The job_runs row the job process opened (latest with its owner). */
void orch_read_run(struct orch *o, struct slot *s, char *state, size_t slen,
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
		pubq_post(o->q, &ev);
	sb_free(&sb);
}

static void slot_free(struct slot *s)
{
	sb_free(&s->in);
	memset(s, 0, sizeof(*s));
}

/*
 * The job process is gone and its pipe drained: decide the job's next
 * state from how it ended (jobpolicy_decide) and move it there. s is the
 * thread's copy of the slot.
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
	orch_read_run(o, s, run_state, sizeof(run_state), run_err, sizeof(run_err),
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
	orch_send_started(o, s);
	if (desired == JS_FINISHED) {
		/* The bar ends full. */
		if (s->total && s->done < s->total)
			s->done = s->total;
	}
	orch_publish(o, s, kind, jobstate_name(desired),
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

void orch_finish_ended(struct orch *o)
{
	int i;

	for (i = 0; i < MAX_SLOTS; i++) {
		struct slot *s = &o->slots[i], c;

		pthread_mutex_lock(&o->lock);
		if (!s->used || !s->claimed || !s->exited || s->pipe_open ||
		    s->finishing) {
			pthread_mutex_unlock(&o->lock);
			continue;
		}
		s->finishing = 1;
		c = *s; /* c.in is s's: left alone */
		pthread_mutex_unlock(&o->lock);
		if (!c.aborted)
			finish(o, &c);
		pthread_mutex_lock(&o->lock);
		slot_free(s);
		if (o->draining && !orch_running_locked(o)) {
			o->drained_pending = 1;
			pubq_wake(o->q);
		} else if (!o->draining) {
			o->kicked = 1; /* a slot is free: pick again soon */
		}
		pthread_mutex_unlock(&o->lock);
	}
}

void orch_reap(struct orch *o)
{
	int st, i, any = 0;
	pid_t pid;

	/* Under o->lock: the thread signals pids only under it, so none is
	 * reaped (and reusable) between its check and its kill(). */
	pthread_mutex_lock(&o->lock);
	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		any = 1;
		if (o->hk_pid && pid == o->hk_pid) {
			o->hk_pid = 0;
			o->hk_reaped = 1;
			o->hk_status = st;
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
				break;
			}
		}
	}
	if (any) {
		o->kicked = 1;
		pthread_cond_broadcast(&o->cond);
	}
	pthread_mutex_unlock(&o->lock);
}

/* With o->lock held; the thread waits in orch_fork_on_loop. */
void orch_fork_job_locked(struct orch *o, struct orch_fork *f, int *evfd,
			  struct slot **sp)
{
	struct slot *s = NULL;
	int i, gofd = -1;
	pid_t pid;

	for (i = 0; i < MAX_SLOTS && !s; i++)
		if (!o->slots[i].used)
			s = &o->slots[i];
	if (!s) {
		snprintf(f->err, sizeof(f->err), "no free slot");
		return;
	}
	pid = jobproc_spawn(o->conf, o->ld, f->job, f->integration, &gofd, evfd,
			    f->err, sizeof(f->err));
	if (pid < 0)
		return;
	sb_free(&s->in);
	memset(s, 0, sizeof(*s));
	s->used = 1;
	s->o = o;
	s->tenant = f->tenant;
	s->job = f->job;
	s->integration = f->integration;
	s->pid = pid;
	s->gofd = gofd;
	s->pipe_open = 1;
	snprintf(s->owner, sizeof(s->owner), "%s:%ld", o->host, (long)pid);
	s->run_started_us = progress_now_us();
	f->pid = pid;
	f->slot = (int)(s - o->slots);
	*sp = s;
}
