/* worker: queue consumers of the transform stage (see worker.h). */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/conf.h"
#include "base/failpoint.h"
#include "base/log.h"
#include "pipeline/pipeline.h"
#include "queue/queue.h"
#include "queue/worker.h"

#define WK_BATCH_WAIT_MS 1000  /* idle wait for the first message */
#define WK_MAX_PROCS 64

/* Raised by SIGTERM/SIGINT; every loop checks it between batches. */
static volatile sig_atomic_t wk_stop;

struct wk_stats {
	uint64_t msgs, batches, done, noop, failed, dead, retried, invalid;
	uint64_t records;
};

struct wk {
	const struct conf *conf;
	const struct worker_opts *o;
	struct pipeline *pipe;
	struct queue *con;             /* consumes pulse.transform */
	struct queue *pub;             /* sweeps, retries, depth checks */
	struct queue_delivery *batch;  /* prefetch entries */
	size_t *order;                 /* batch indices sorted by tenant, id */
	int64_t *ids;
	const char **ats;              /* ids' created_at (in batch) */
	struct pipeline_result *res;
	struct queue_msg *swept;       /* ids a sweep found, to publish */
	size_t nswept, capswept;
	int retry_streak;              /* consecutive infrastructure retries */
	struct wk_stats st;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void on_signal(int sig)
{
	(void)sig;
	wk_stop = 1;
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* SA_RESTART: libpq and librabbitmq simply resume; the flag is seen
	 * at the next batch boundary (at most WK_BATCH_WAIT_MS away). */
	sa.sa_flags = SA_RESTART;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int worker_decide(const struct pipeline_result *res, int max_attempts)
{
	switch (res->outcome) {
	case PIPE_DONE:
	case PIPE_NOOP:
		return WORKER_ACK;
	case PIPE_FAILED:
		return res->permanent || res->attempts >= max_attempts ?
		       WORKER_DEAD : WORKER_RETRY;
	default:
		return WORKER_RETRY;
	}
}

/* pipeline_dispatch_fn: collect what the sweep found; published after. */
static int sweep_collect(void *ctx, int64_t tenant_id, int64_t raw_id,
			 const char *created_at, char *err, size_t errlen)
{
	struct wk *w = ctx;

	if (w->nswept == w->capswept) {
		size_t cap = w->capswept ? w->capswept * 2 : 256;
		struct queue_msg *n = realloc(w->swept, cap * sizeof(*n));

		if (!n) {
			snprintf(err, errlen, "out of memory collecting swept rows");
			return -1;
		}
		w->swept = n;
		w->capswept = cap;
	}
	w->swept[w->nswept].tenant_id = tenant_id;
	w->swept[w->nswept].raw_id = raw_id;
	snprintf(w->swept[w->nswept].created_at,
		 sizeof(w->swept[w->nswept].created_at), "%s",
		 created_at ? created_at : "");
	w->nswept++;
	return 0;
}

/*
 * Find raw rows that need another dispatch and publish their ids.
 * Returns how many were found, or -1 (logged; the next sweep tries again).
 */
static long wk_sweep(struct wk *w, int stale_s)
{
	char err[1024];
	long n;

	w->nswept = 0;
	n = pipeline_sweep(w->pipe, stale_s, w->conf->jobs_max_attempts,
			   sweep_collect, w, err, sizeof(err));
	if (n < 0) {
		log_warn("WORKER", "event=sweep_failed error=\"%s\"", err);
		return -1;
	}
	if (w->nswept > 0 &&
	    queue_publish_raw_batch(w->pub, w->swept, w->nswept) != QUEUE_OK) {
		/* The rows stay pending; the next sweep finds them again. */
		log_warn("WORKER", "event=sweep_publish_failed rows=%zu error=\"%s\"",
			 w->nswept, queue_error(w->pub));
		return -1;
	}
	if (n > 0)
		log_info("WORKER", "event=swept rows=%ld stale_seconds=%d", n,
			 stale_s);
	return n;
}

/*
 * Drained: nothing ready in the stage queue, and the sweep (any age)
 * finds no open row. Rows other live workers on this host are processing
 * are theirs to finish.
 */
static int wk_drained(struct wk *w)
{
	uint32_t ready = 0;

	if (queue_depth(w->pub, QUEUE_TRANSFORM, &ready, NULL) != QUEUE_OK) {
		log_warn("WORKER", "event=depth_failed error=\"%s\"",
			 queue_error(w->pub));
		return 0;
	}
	return ready == 0 && wk_sweep(w, 0) == 0;
}

/* Wait for a first delivery, then take whatever else is already here. */
static int wk_collect(struct wk *w, size_t *n)
{
	size_t max = (size_t)w->o->prefetch;
	int r;

	*n = 0;
	r = queue_next(w->con, &w->batch[0], WK_BATCH_WAIT_MS);
	if (r <= 0)
		return r;
	*n = 1;
	while (*n < max && (r = queue_next(w->con, &w->batch[*n], 0)) == 1)
		(*n)++;
	/* A stop or a refusal after the first message: handle those we
	 * hold, the loop sees the rest. */
	return 1;
}

static int cmp_order(const void *a, const void *b, void *ctx)
{
	const struct queue_delivery *d = ctx;
	const struct queue_msg *x = &d[*(const size_t *)a].msg;
	const struct queue_msg *y = &d[*(const size_t *)b].msg;

	if (x->tenant_id != y->tenant_id)
		return x->tenant_id < y->tenant_id ? -1 : 1;
	return x->raw_id < y->raw_id ? -1 : x->raw_id > y->raw_id;
}

/* Do what worker_decide says for one delivery. */
static void wk_settle(struct wk *w, const struct queue_delivery *d,
		      const struct pipeline_result *res)
{
	char err[1024];

	switch (worker_decide(res, w->conf->jobs_max_attempts)) {
	case WORKER_ACK:
		if (res->outcome == PIPE_DONE) {
			w->st.done++;
			w->st.records += res->records;
		} else {
			w->st.noop++;
		}
		w->retry_streak = 0;
		/* the outcome is committed; the message not yet acked */
		FAILPOINT("worker.before_ack");
		queue_ack(w->con, d);
		return;
	case WORKER_DEAD:
		w->st.failed++;
		/* The row says it was given up on before the message goes:
		 * the sweep must not resurrect it. */
		if (pipeline_dead_letter(w->pipe, d->msg.tenant_id, d->msg.raw_id,
					 err, sizeof(err)) < 0) {
			log_warn("WORKER", "event=dead_letter_mark_failed raw_id=%"
				 PRId64 " tenant=%" PRId64 " error=\"%s\"",
				 d->msg.raw_id, d->msg.tenant_id, err);
			w->st.retried++;
			queue_retry_later(w->con, w->pub, d);
			return;
		}
		log_warn("WORKER", "event=dead_lettered raw_id=%" PRId64 " tenant=%"
			 PRId64 " attempts=%d permanent=%d error=\"%s\"",
			 d->msg.raw_id, d->msg.tenant_id, res->attempts,
			 res->permanent, res->err);
		w->st.dead++;
		queue_nack(w->con, d, 0);
		return;
	default:
		if (res->outcome == PIPE_FAILED)
			w->st.failed++;
		else
			w->retry_streak++;
		log_info("WORKER", "event=retry_later raw_id=%" PRId64 " tenant=%"
			 PRId64 " outcome=%s attempts=%d error=\"%s\"",
			 d->msg.raw_id, d->msg.tenant_id,
			 res->outcome == PIPE_FAILED ? "failed" : "infrastructure",
			 res->attempts, res->err);
		w->st.retried++;
		queue_retry_later(w->con, w->pub, d);
		return;
	}
}

/* Process n deliveries: one pipeline call per tenant, then settle each. */
static void wk_handle(struct wk *w, size_t n)
{
	size_t i, j, k, start;

	w->st.msgs += n;
	w->st.batches++;
	/* deliveries received, nothing claimed yet */
	FAILPOINT("worker.consumed");
	k = 0;
	for (i = 0; i < n; i++) {
		struct queue_delivery *d = &w->batch[i];

		if (!d->valid) {
			/* Not ours to understand: poison at the queue level. */
			log_error("WORKER", "event=invalid_message body=\"%s\" "
				  "action=dead_letter", d->body);
			w->st.invalid++;
			queue_nack(w->con, d, 0);
			continue;
		}
		w->order[k++] = i;
	}
	qsort_r(w->order, k, sizeof(*w->order), cmp_order, w->batch);
	for (start = 0; start < k; start = j) {
		int64_t tenant = w->batch[w->order[start]].msg.tenant_id;
		size_t m = 0;

		/* One tenant's ids, each once (a sweep may have sent twice). */
		for (j = start; j < k && w->batch[w->order[j]].msg.tenant_id == tenant;
		     j++) {
			const struct queue_msg *msg = &w->batch[w->order[j]].msg;

			if (m == 0 || w->ids[m - 1] != msg->raw_id) {
				w->ids[m] = msg->raw_id;
				w->ats[m++] = msg->created_at;
			} else if (!w->ats[m - 1][0]) {
				/* the twin from a sweep lacks it */
				w->ats[m - 1] = msg->created_at;
			}
		}
		pipeline_process_at(w->pipe, tenant, w->ids, w->ats, m, w->res);
		for (i = start, m = 0; i < j; i++) {
			const struct queue_delivery *d = &w->batch[w->order[i]];

			if (i > start && w->batch[w->order[i - 1]].msg.raw_id ==
			    d->msg.raw_id) {
				/* The duplicate: its twin carries the outcome. */
				w->st.noop++;
				queue_ack(w->con, d);
				continue;
			}
			wk_settle(w, d, &w->res[m++]);
		}
	}
}

static int sweep_interval(const struct wk *w)
{
	int s = w->o->sweep_s;

	if (s <= 0) {
		s = w->conf->jobs_stale_s / 2;
		s = s < 1 ? 1 : s > 60 ? 60 : s;
	}
	return s;
}

static void wk_free(struct wk *w)
{
	queue_close(w->con);
	queue_close(w->pub);
	pipeline_free(w->pipe);
	free(w->batch);
	free(w->order);
	free(w->ids);
	free(w->ats);
	free(w->res);
	free(w->swept);
}

/* One worker in this process. Returns 0 on a clean stop, else 1 (err). */
static int wk_main(const struct conf *conf, struct loader *ld,
		   const struct worker_opts *o, char *err, size_t errlen)
{
	struct queue_opts qo = {.stop = &wk_stop};
	struct wk w;
	double t0 = now_s(), next_sweep = 0, last_sweep = t0;
	int rc = 1, r, interval;

	memset(&w, 0, sizeof(w));
	w.conf = conf;
	w.o = o;
	w.batch = calloc((size_t)o->prefetch, sizeof(*w.batch));
	w.order = calloc((size_t)o->prefetch, sizeof(*w.order));
	w.ids = calloc((size_t)o->prefetch, sizeof(*w.ids));
	w.ats = calloc((size_t)o->prefetch, sizeof(*w.ats));
	w.res = calloc((size_t)o->prefetch, sizeof(*w.res));
	if (!w.batch || !w.order || !w.ids || !w.ats || !w.res) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (!(w.pipe = pipeline_new(conf, ld, err, errlen)))
		goto out;
	if (queue_open(conf->broker_url, &qo, &w.con, err, errlen) != QUEUE_OK ||
	    queue_open(conf->broker_url, &qo, &w.pub, err, errlen) != QUEUE_OK)
		goto out;
	r = queue_consume(w.con, QUEUE_TRANSFORM, o->prefetch);
	if (r == QUEUE_STOPPED) {
		rc = 0;
		goto out;
	}
	if (r != QUEUE_OK) {
		snprintf(err, errlen, "%s", queue_error(w.con));
		goto out;
	}
	interval = sweep_interval(&w);
	log_info("WORKER", "event=started queue=%s broker=%s prefetch=%d "
		 "sweep_seconds=%d once=%d", QUEUE_TRANSFORM,
		 queue_url_masked(w.con), o->prefetch, interval, o->once);
	for (;;) {
		size_t n;

		if (wk_stop)
			break;
		if (now_s() >= next_sweep) {
			uint32_t ready = 0;

			/* Lost messages only matter once the queue has run
			 * dry; sweeping a backlog would only duplicate it.
			 * Every ten intervals a sweep runs regardless. */
			if (now_s() - last_sweep >= 10.0 * interval ||
			    (queue_depth(w.pub, QUEUE_TRANSFORM, &ready, NULL) ==
			     QUEUE_OK && ready == 0)) {
				wk_sweep(&w, conf->jobs_stale_s);
				last_sweep = now_s();
			}
			next_sweep = now_s() + interval;
		}
		r = wk_collect(&w, &n);
		if (r == QUEUE_STOPPED)
			break;
		if (r == QUEUE_EPERM) {
			snprintf(err, errlen, "%s", queue_error(w.con));
			goto out;
		}
		if (n == 0) {
			if (o->once && wk_drained(&w))
				break;
			continue;
		}
		wk_handle(&w, n);
		if (w.retry_streak > 0) {
			/* The database is away: do not spin on requeues. */
			int ms = 250 << (w.retry_streak < 7 ? w.retry_streak : 7);

			for (; ms > 0 && !wk_stop; ms -= 100)
				usleep(100 * 1000);
		}
	}
	rc = 0;
out:
	{
		double dt = now_s() - t0;

		log_info("WORKER", "event=stopped messages=%" PRIu64 " batches=%" PRIu64
			 " done=%" PRIu64
			 " noop=%" PRIu64 " failed=%" PRIu64 " dead=%" PRIu64
			 " retried=%" PRIu64 " invalid=%" PRIu64 " records=%" PRIu64
			 " seconds=%.1f rows_per_s=%.1f", w.st.msgs, w.st.batches,
			 w.st.done,
			 w.st.noop, w.st.failed, w.st.dead, w.st.retried,
			 w.st.invalid, w.st.records, dt,
			 dt > 0 ? (double)w.st.done / dt : 0.0);
	}
	wk_free(&w);
	return rc;
}

static pid_t spawn(const struct conf *conf, struct loader *ld,
		   const struct worker_opts *o, int index)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		char name[32], err[1024];
		int rc;

		snprintf(name, sizeof(name), "worker-%d", index);
		log_set_process(name);
		rc = wk_main(conf, ld, o, err, sizeof(err));
		if (rc)
			log_error("WORKER", "event=failed error=\"%s\"", err);
		exit(rc);
	}
	if (pid < 0)
		log_error("WORKER", "event=fork_failed error=\"%s\"", strerror(errno));
	return pid;
}

/*
 * Several worker processes: restart one that crashed (a plugin may take
 * its process down; the unacked messages go back to the queue), forward
 * a stop, and exit when all are gone.
 */
static int supervise(const struct conf *conf, struct loader *ld,
		     const struct worker_opts *o, char *err, size_t errlen)
{
	pid_t pids[WK_MAX_PROCS];
	int n = o->concurrency, alive = 0, i, status, rc = 0, forwarded = 0;

	for (i = 0; i < n; i++) {
		pids[i] = spawn(conf, ld, o, i + 1);
		if (pids[i] > 0)
			alive++;
	}
	if (alive < n) {
		wk_stop = 1;
		rc = 1;
		snprintf(err, errlen, "could not start %d worker processes "
			 "(fork failed); see the log", n);
	}
	while (alive > 0) {
		pid_t pid;

		if (wk_stop && !forwarded) {
			for (i = 0; i < n; i++)
				if (pids[i] > 0)
					kill(pids[i], SIGTERM);
			forwarded = 1;
		}
		pid = waitpid(-1, &status, WNOHANG);
		if (pid <= 0) {
			usleep(100 * 1000);
			continue;
		}
		for (i = 0; i < n && pids[i] != pid; i++)
			;
		if (i == n)
			continue;
		pids[i] = 0;
		alive--;
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			continue;
		if (WIFSIGNALED(status))
			log_error("WORKER", "event=process_died index=%d signal=%d",
				  i + 1, WTERMSIG(status));
		if (wk_stop || WIFEXITED(status)) {
			/* An orderly error exit (bad config, broker refusal)
			 * would only repeat itself. */
			rc = 1;
			if (!err[0])
				snprintf(err, errlen, "worker process %d exited "
					 "with status %d; see its log", i + 1,
					 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
			continue;
		}
		sleep(1);
		pids[i] = spawn(conf, ld, o, i + 1);
		if (pids[i] > 0)
			alive++;
	}
	return rc;
}

int worker_run(const struct conf *conf, struct loader *ld,
	       const struct worker_opts *opts, char *err, size_t errlen)
{
	struct worker_opts o = *opts;

	err[0] = '\0';
	if (!conf->broker_url || !conf->broker_url[0]) {
		snprintf(err, errlen, "no broker_url configured; in-process mode "
			 "needs no worker (job run processes its own rows)");
		return 1;
	}
	if (o.prefetch <= 0)
		o.prefetch = 16;
	if (o.prefetch > 1000)
		o.prefetch = 1000;
	if (o.concurrency <= 0)
		o.concurrency = 1;
	if (o.concurrency > WK_MAX_PROCS)
		o.concurrency = WK_MAX_PROCS;
	wk_stop = 0;
	install_signals();
	if (o.concurrency == 1)
		return wk_main(conf, ld, &o, err, errlen);
	return supervise(conf, ld, &o, err, errlen);
}
