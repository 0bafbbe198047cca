/* vzworker: the vectorize worker role (see vzworker.h). */
#include "config.h"

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ai/route.h"
#include "ai/vectorize.h"
#include "base/conf.h"
#include "base/crypto.h"
#include "base/failpoint.h"
#include "base/log.h"
#include "db/db.h"
#include "queue/queue.h"
#include "queue/vzworker.h"

#define VW_STAGES 8        /* tenants whose stage stays open */
#define VW_STAGE_AGE_S 60  /* reopen after this: route changes apply */
#define VW_DISPATCH_MAX 2000

static volatile sig_atomic_t vw_stop;

struct vw_slot {
	struct vz_stage *st;
	time_t opened;
};

struct vw {
	const struct conf *conf;
	struct vzworker_opts o;
	PGconn *db;
	struct crypto_key key;
	struct ai_ctx ctx;
	struct vw_slot slots[VW_STAGES];
	struct queue *con, *pub;             /* broker mode only */
	struct queue_delivery *batch;
	int64_t *ids;
	unsigned char *dead;
	struct vz_counts c;
	uint64_t acked, dead_msgs, parked, published;
	int fail_streak;                     /* rounds in a row with a failure */
	time_t warned;                       /* last stage_unavailable */
};

static void vw_on_signal(int sig)
{
	(void)sig;
	vw_stop = 1;
}

static void vw_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = vw_on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART; /* seen at the next batch boundary */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* The open stage of tenant (opened on demand; borrowed from w), or NULL
 * with err. */
static struct vz_stage *vw_stage(struct vw *w, int64_t tenant, char *err,
				 size_t errlen)
{
	time_t now = time(NULL);
	int i, free_i = -1, oldest = 0;

	for (i = 0; i < VW_STAGES; i++) {
		struct vw_slot *s = &w->slots[i];

		if (s->st && now - s->opened >= VW_STAGE_AGE_S) {
			vz_stage_close(s->st);
			s->st = NULL;
		}
		if (s->st && vz_stage_tenant(s->st) == tenant)
			return s->st;
		if (!s->st && free_i < 0)
			free_i = i;
		if (s->st && s->opened < w->slots[oldest].opened)
			oldest = i;
	}
	if (free_i < 0) {
		vz_stage_close(w->slots[oldest].st);
		w->slots[oldest].st = NULL;
		free_i = oldest;
	}
	if (vz_stage_open(&w->ctx, tenant, &w->slots[free_i].st, err, errlen) < 0)
		return NULL;
	w->slots[free_i].opened = now;
	return w->slots[free_i].st;
}

/* The database connection, reconnected when lost. 0 or -1. */
static int vw_db(struct vw *w, char *err, size_t errlen)
{
	int i;

	if (w->db && !db_conn_lost(w->db))
		return 0;
	/* stages hold statements of the old connection: drop them */
	for (i = 0; i < VW_STAGES; i++) {
		vz_stage_close(w->slots[i].st);
		w->slots[i].st = NULL;
	}
	if (w->db)
		PQfinish(w->db);
	w->db = db_connect(w->conf->database_url, err, errlen);
	w->ctx.db = w->db;
	return w->db ? 0 : -1;
}

/*
 * Tenants with work: ids into *t (caller frees), *n of them; *busy gets
 * the due + processing rows of all. 0 or -1.
 */
static int vw_tenants(struct vw *w, int64_t **t, size_t *n, uint64_t *busy,
		      char *err, size_t errlen)
{
	PGresult *r;
	int i;

	*t = NULL;
	*n = 0;
	*busy = 0;
	r = db_query(w->db, err, errlen,
		     "SELECT tenant_id, due, processing FROM host_vectorize_tenants()",
		     0, NULL);
	if (!r)
		return -1;
	*t = calloc((size_t)PQntuples(r) + 1, sizeof(**t));
	if (!*t) {
		PQclear(r);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < PQntuples(r); i++) {
		(*t)[(*n)++] = db_int64(r, i, 0);
		*busy += (uint64_t)(db_int64(r, i, 1) + db_int64(r, i, 2));
	}
	PQclear(r);
	return 0;
}

/* Put stale claims of every tenant with work back to pending. */
static void vw_sweep(struct vw *w, const int64_t *t, size_t n)
{
	char err[512];
	size_t i;

	for (i = 0; i < n; i++)
		if (vz_sweep(w->db, t[i], (uint32_t)w->o.stale_s, NULL, err,
			     sizeof(err)) < 0)
			log_warn("VZWORKER", "event=sweep_failed tenant=%" PRId64
				 " error=\"%s\"", t[i], err);
}

/* Broker: publish the ids of due rows not yet (or long ago) published.
 * Returns how many were published, or -1 (logged; a later round
 * publishes them again, once their dispatch is stale). */
static long vw_dispatch(struct vw *w)
{
	struct queue_msg *m = NULL;
	char lim[16], st[16], err[512];
	const char *p[2];
	PGresult *r;
	long n = -1;
	int i;

	snprintf(st, sizeof(st), "%d", w->o.stale_s);
	snprintf(lim, sizeof(lim), "%d", VW_DISPATCH_MAX);
	p[0] = st;
	p[1] = lim;
	r = db_query(w->db, err, sizeof(err),
		     "SELECT tenant_id, queue_id FROM host_vectorize_dispatch("
		     "$1::int, $2::int)", 2, p);
	if (!r) {
		log_warn("VZWORKER", "event=dispatch_failed error=\"%s\"", err);
		return -1;
	}
	if (PQntuples(r) == 0) {
		n = 0;
		goto out;
	}
	m = calloc((size_t)PQntuples(r), sizeof(*m));
	if (!m)
		goto out;
	for (i = 0; i < PQntuples(r); i++) {
		m[i].tenant_id = db_int64(r, i, 0);
		m[i].raw_id = db_int64(r, i, 1); /* a vectorization_queue id */
	}
	if (queue_publish(w->pub, QUEUE_VECTORIZE, m, (size_t)PQntuples(r)) !=
	    QUEUE_OK) {
		log_warn("VZWORKER", "event=publish_failed rows=%d error=\"%s\"",
			 PQntuples(r), queue_error(w->pub));
		goto out;
	}
	n = PQntuples(r);
	w->published += (uint64_t)n;
out:
	PQclear(r);
	free(m);
	return n;
}

/* A tenant whose stage cannot open (no embedding route yet, a plugin
 * missing): said at most once a minute, and its rows wait. */
static void vw_unroutable(struct vw *w, int64_t tenant, const char *err)
{
	time_t now = time(NULL);

	if (now - w->warned < 60)
		return;
	w->warned = now;
	log_warn("VZWORKER", "event=stage_unavailable tenant=%" PRId64
		 " error=\"%s\" action=\"rows wait until the tenant has an "
		 "embedding route (docs/ai.md)\"", tenant, err);
}

static int vw_cmp(const void *a, const void *b)
{
	const struct queue_delivery *x = a, *y = b;

	if (x->msg.tenant_id != y->msg.tenant_id)
		return x->msg.tenant_id < y->msg.tenant_id ? -1 : 1;
	return x->msg.raw_id < y->msg.raw_id ? -1 : x->msg.raw_id > y->msg.raw_id;
}

/* Process n deliveries (sorted here by tenant): claim, vectorize and
 * settle each message after the outcome committed. */
static void vw_handle(struct vw *w, size_t n)
{
	char err[1024];
	size_t i, j, k, m;

	qsort(w->batch, n, sizeof(*w->batch), vw_cmp);
	for (i = 0; i < n; i = j) {
		int64_t tenant = w->batch[i].msg.tenant_id;
		struct vz_stage *st;
		int rc = -1;

		for (j = i, m = 0; j < n && w->batch[j].msg.tenant_id == tenant; j++)
			if (w->batch[j].valid)
				w->ids[m++] = w->batch[j].msg.raw_id;
		st = vw_stage(w, tenant, err, sizeof(err));
		if (st) {
			rc = vz_stage_run_ids(st, w->ids, m, NULL, &w->c, w->dead,
					      err, sizeof(err));
		} else {
			/* no route: ack; the rows are published again once
			 * their dispatch is stale */
			vw_unroutable(w, tenant, err);
			memset(w->dead, VZ_ID_DONE, m);
			rc = 0;
		}
		if (rc < 0)
			log_warn("VZWORKER", "event=batch_failed tenant=%" PRId64
				 " messages=%zu error=\"%s\"", tenant, j - i, err);
		for (k = i, m = 0; k < j; k++) {
			const struct queue_delivery *d = &w->batch[k];

			if (!d->valid) {
				log_error("VZWORKER", "event=invalid_message body="
					  "\"%s\" action=dead_letter", d->body);
				queue_nack(w->con, d, 0);
				w->dead_msgs++;
				continue;
			}
			if (rc < 0) {
				/* the rows stay as they are; try again later */
				queue_retry_later(w->con, w->pub, d);
				w->parked++;
			} else if (w->dead[m] == VZ_ID_FAILED) {
				/* the row says failed, with its reason */
				queue_nack(w->con, d, 0);
				w->dead_msgs++;
			} else if (w->dead[m] == VZ_ID_LATER) {
				queue_retry_later(w->con, w->pub, d);
				w->parked++;
			} else {
				/* the rows' outcome is committed, not acked */
				FAILPOINT("vzworker.before_ack");
				queue_ack(w->con, d);
				w->acked++;
			}
			m++;
		}
	}
}

/* In-process: drain every tenant with work once. Returns the rows
 * claimed; *stuck gets the tenants whose stage could not open. */
static long vw_drain(struct vw *w, const int64_t *t, size_t n, size_t *stuck)
{
	struct vz_opts o = {0};
	uint64_t before = w->c.claimed;
	char err[1024];
	size_t i;
	int failing = 0;

	*stuck = 0;
	o.batch = (uint32_t)w->o.batch;
	o.stale_seconds = (uint32_t)w->o.stale_s;
	for (i = 0; i < n && !vw_stop; i++) {
		struct vz_stage *st = vw_stage(w, t[i], err, sizeof(err));
		int r;

		if (!st) {
			vw_unroutable(w, t[i], err);
			(*stuck)++;
			continue;
		}
		r = vz_stage_run(st, &o, &w->c, err, sizeof(err));
		if (r < 0)
			log_warn("VZWORKER", "event=drain_failed tenant=%" PRId64
				 " error=\"%s\"", t[i], err);
		failing |= r != 0;
	}
	if (failing) {
		/* the embedder or store is away: wait longer each round, so
		 * that an outage does not use up the rows' attempts */
		int ms = 1000 << (w->fail_streak < 5 ? w->fail_streak : 5);

		w->fail_streak++;
		for (; ms > 0 && !vw_stop; ms -= 100)
			usleep(100 * 1000);
	} else {
		w->fail_streak = 0;
	}
	return (long)(w->c.claimed - before);
}

static void vw_free(struct vw *w)
{
	int i;

	for (i = 0; i < VW_STAGES; i++)
		vz_stage_close(w->slots[i].st);
	queue_close(w->con);
	queue_close(w->pub);
	if (w->db)
		PQfinish(w->db);
	crypto_wipe(&w->key, sizeof(w->key));
	free(w->batch);
	free(w->ids);
	free(w->dead);
}

/* One round of the loop. 1: drained (once may stop), 0: more to do,
 * -1: fatal (err). */
static int vw_round(struct vw *w, double *next_sweep, char *err,
		    size_t errlen)
{
	struct timespec ts;
	int64_t *t = NULL;
	size_t nt = 0, n = 0, stuck = 0;
	uint64_t busy = 0;
	double now;
	int r, rc = 0;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (double)ts.tv_sec + ts.tv_nsec / 1e9;
	if (vw_db(w, err, errlen) < 0) {
		log_warn("VZWORKER", "event=db_unreachable error=\"%s\"", err);
		sleep(1);
		return 0;
	}
	if (!w->con) {
		/* in-process: the table is the queue */
		if (vw_tenants(w, &t, &nt, &busy, err, errlen) < 0) {
			log_warn("VZWORKER", "event=poll_failed error=\"%s\"", err);
			sleep(1);
			return 0;
		}
		if (busy == 0) {
			rc = 1;
			if (!w->o.once)
				sleep(1);
		} else if (vw_drain(w, t, nt, &stuck) == 0) {
			/* only claims of a live worker, not due, or tenants
			 * without a route (--once: nothing we can do) */
			rc = stuck == nt;
			if (!rc || !w->o.once)
				sleep(1);
		}
		free(t);
		return rc;
	}
	if (now >= *next_sweep) {
		if (vw_tenants(w, &t, &nt, &busy, err, errlen) == 0) {
			vw_sweep(w, t, nt);
			vw_dispatch(w);
		}
		free(t);
		*next_sweep = now + w->o.sweep_s;
	}
	r = queue_next(w->con, &w->batch[0], 1000);
	if (r == QUEUE_STOPPED)
		return 0;
	if (r == QUEUE_EPERM) {
		snprintf(err, errlen, "%s", queue_error(w->con));
		return -1;
	}
	if (r == 1) {
		n = 1;
		while (n < (size_t)w->o.prefetch &&
		       queue_next(w->con, &w->batch[n], 0) == 1)
			n++;
		vw_handle(w, n);
		return 0;
	}
	if (w->o.once) {
		uint32_t ready = 1;

		/* drained: nothing ready, nothing due or claimed */
		if (queue_depth(w->pub, QUEUE_VECTORIZE, &ready, NULL) == QUEUE_OK &&
		    ready == 0 &&
		    vw_tenants(w, &t, &nt, &busy, err, errlen) == 0 && busy == 0)
			rc = 1;
		else
			*next_sweep = 0; /* publish what is due now */
		free(t);
	}
	return rc;
}

int vzworker_run(const struct conf *conf, struct loader *ld,
		 const struct vzworker_opts *opts, char *err, size_t errlen)
{
	struct queue_opts qo = {.stop = &vw_stop};
	struct vw w;
	double next_sweep = 0;
	int rc = 1, r;

	memset(&w, 0, sizeof(w));
	err[0] = '\0';
	w.conf = conf;
	w.o = *opts;
	if (w.o.prefetch <= 0)
		w.o.prefetch = 64;
	if (w.o.prefetch > 1000)
		w.o.prefetch = 1000;
	if (w.o.batch <= 0)
		w.o.batch = 64;
	if (w.o.sweep_s <= 0)
		w.o.sweep_s = 1;
	if (w.o.stale_s <= 0)
		w.o.stale_s = conf->jobs_stale_s > 0 ? conf->jobs_stale_s : 300;
	vw_stop = 0;
	vw_signals();
	w.batch = calloc((size_t)w.o.prefetch, sizeof(*w.batch));
	w.ids = calloc((size_t)w.o.prefetch, sizeof(*w.ids));
	w.dead = calloc((size_t)w.o.prefetch, 1);
	if (!w.batch || !w.ids || !w.dead) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (crypto_init(err, errlen) < 0 ||
	    crypto_key_load(conf->key_file, 1, &w.key, err, errlen) < 0)
		goto out;
	w.ctx.ld = ld;
	w.ctx.key = &w.key;
	w.ctx.conf = conf;
	if (vw_db(&w, err, errlen) < 0)
		goto out;
	if (conf->broker_url && conf->broker_url[0]) {
		if (queue_open(conf->broker_url, &qo, &w.con, err, errlen) != QUEUE_OK ||
		    queue_open(conf->broker_url, &qo, &w.pub, err, errlen) != QUEUE_OK)
			goto out;
		r = queue_consume(w.con, QUEUE_VECTORIZE, w.o.prefetch);
		if (r == QUEUE_STOPPED) {
			rc = 0;
			goto out;
		}
		if (r != QUEUE_OK) {
			snprintf(err, errlen, "%s", queue_error(w.con));
			goto out;
		}
	}
	log_info("VZWORKER", "event=started mode=%s prefetch=%d batch=%d once=%d",
		 w.con ? "broker" : "in-process", w.o.prefetch, w.o.batch,
		 w.o.once);
	while (!vw_stop) {
		r = vw_round(&w, &next_sweep, err, errlen);
		if (r < 0)
			goto out;
		if (r == 1 && w.o.once)
			break;
	}
	rc = 0;
out:
	log_info("VZWORKER", "event=stopped claimed=%" PRIu64 " embedded=%" PRIu64
		 " unchanged=%" PRIu64 " upserted=%" PRIu64 " deleted=%" PRIu64
		 " retried=%" PRIu64 " failed=%" PRIu64 " published=%" PRIu64
		 " acked=%" PRIu64 " dead=%" PRIu64 " parked=%" PRIu64,
		 w.c.claimed, w.c.embedded, w.c.unchanged, w.c.upserted,
		 w.c.deleted, w.c.retried, w.c.failed, w.published, w.acked,
		 w.dead_msgs, w.parked);
	vw_free(&w);
	return rc;
}
