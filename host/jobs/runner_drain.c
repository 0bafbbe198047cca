/* runner_drain: transform + load of a run's raw rows in-process (as
 * pages arrive, leftovers, stale rows), or waiting for the workers when
 * a broker does it. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "db/db.h"
#include "jobs/runner_int.h"
#include "pipeline/pipeline.h"

/* ---- transform + load (in-process) ---------------------------------- */

static void tally(struct run *r, const struct pipeline_result *res, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (res[i].outcome == PIPE_DONE || res[i].outcome == PIPE_NOOP) {
			r->rows_done++;
			continue;
		}
		r->rows_failed++;
		if (!r->first_failure[0])
			snprintf(r->first_failure, sizeof(r->first_failure), "%s",
				 res[i].err);
		if (r->o->out && !r->o->quiet) {
			runner_end_line(r);
			fprintf(r->o->out, "raw row %" PRId64 " failed (attempt %d): %s\n",
				res[i].raw_id, res[i].attempts, res[i].err);
		}
	}
}

/* Process n queued rows: ids with their created_at texts (at[i]). */
static void process_ids(struct run *r, const int64_t *ids,
			char (*at)[PIPELINE_TS_LEN], size_t n)
{
	struct pipeline_result *res = calloc(n, sizeof(*res));
	const char **ats = calloc(n, sizeof(*ats));
	size_t i;

	if (!res || !ats)
		goto out;
	for (i = 0; i < n; i++)
		ats[i] = at[i];
	pipeline_process_at(r->pipe, r->in.tenant_id, ids, ats, n, res);
	tally(r, res, n);
out:
	free(res);
	free(ats);
}

static void flush_queue(struct run *r)
{
	if (r->nq == 0)
		return;
	process_ids(r, r->q, r->qat, r->nq);
	r->nq = 0;
}

/* Queue a row; created_at may be NULL (unknown). */
static int queue_id(struct run *r, int64_t id, const char *created_at)
{
	if (r->nq == r->capq) {
		size_t cap = r->capq ? r->capq * 2 : TRANSFORM_BATCH;
		int64_t *q = realloc(r->q, cap * sizeof(*q));
		char (*qat)[PIPELINE_TS_LEN];

		if (!q)
			return -1;
		r->q = q;
		qat = realloc(r->qat, cap * sizeof(*qat));
		if (!qat)
			return -1;
		r->qat = qat;
		r->capq = cap;
	}
	snprintf(r->qat[r->nq], sizeof(r->qat[r->nq]), "%s",
		 created_at ? created_at : "");
	r->q[r->nq++] = id;
	return 0;
}

/* In-process dispatch: transform as pages arrive, a batch at a time. */
int runner_dispatch_local(void *ctx, int64_t tenant, int64_t id,
			  const char *created_at, char *err, size_t errlen)
{
	struct run *r = ctx;

	(void)tenant;
	if (queue_id(r, id, created_at) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	r->rows_total++;
	if (r->nq >= TRANSFORM_BATCH)
		flush_queue(r);
	return 0;
}

/* Sweep at start: stale rows of any tenant, collected, then processed a
 * tenant's batch at a time. */
struct swept {
	int64_t tenant, id;
};
struct sweep_list {
	struct swept *v;
	size_t n, cap;
};

static int dispatch_sweep(void *ctx, int64_t tenant, int64_t id,
			  const char *created_at, char *err, size_t errlen)
{
	struct sweep_list *l = ctx;

	(void)created_at; /* the sweep does not know it */
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;
		struct swept *v = realloc(l->v, cap * sizeof(*v));

		if (!v) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n].tenant = tenant;
	l->v[l->n].id = id;
	l->n++;
	return 0;
}

static int cmp_swept(const void *a, const void *b)
{
	const struct swept *x = a, *y = b;

	if (x->tenant != y->tenant)
		return x->tenant < y->tenant ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

void runner_recover(struct run *r)
{
	struct sweep_list l = {NULL, 0, 0};
	struct pipeline_result res[TRANSFORM_BATCH];
	int64_t ids[TRANSFORM_BATCH];
	char err[512];
	long found;
	size_t i = 0, k;

	found = pipeline_sweep(r->pipe, r->conf->jobs_stale_s,
			       r->conf->jobs_max_attempts, dispatch_sweep, &l,
			       err, sizeof(err));
	if (found < 0)
		log_warn("RUNNER", "event=sweep_failed error=\"%s\"", err);
	if (l.n == 0)
		goto out;
	qsort(l.v, l.n, sizeof(*l.v), cmp_swept);
	runner_set_progress(r, "recover stale raw rows", 0, l.n);
	while (i < l.n && !runner_cancel_requested()) {
		for (k = 0; k < TRANSFORM_BATCH && i + k < l.n &&
		     l.v[i + k].tenant == l.v[i].tenant; k++)
			ids[k] = l.v[i + k].id;
		pipeline_process_many(r->pipe, l.v[i].tenant, ids, k, res);
		i += k;
		runner_set_progress(r, "recover stale raw rows", i, l.n);
	}
	log_info("RUNNER", "event=recovered rows=%zu", i);
out:
	free(l.v);
}

/* Rows of this integration still open (an earlier run was killed, or
 * failed rows with attempts left): process them too. */
int runner_leftovers(struct run *r, char *err, size_t errlen)
{
	char ten[24], integ[24], mx[16];
	const char *params[3] = {db_i64(ten, r->in.tenant_id),
				 db_i64(integ, r->in.id), mx};
	PGresult *x;
	int i, n;

	snprintf(mx, sizeof(mx), "%d", r->conf->jobs_max_attempts);
	if (db_tenant_begin(r->conn, r->in.tenant_id, err, errlen) < 0)
		return -1;
	x = db_query(r->conn, err, errlen,
		     "SELECT id, status, owner, " PIPELINE_TS_SQL("created_at")
		     " FROM raw_extraction_data"
		     " WHERE tenant_id = $1 AND integration_id = $2"
		     " AND status IN ('pending', 'processing', 'failed')"
		     " AND NOT dead_lettered AND attempts < $3::int ORDER BY id",
		     3, params);
	if (!x) {
		db_rollback(r->conn);
		return -1;
	}
	n = PQntuples(x);
	for (i = 0; i < n; i++) {
		const char *owner = PQgetisnull(x, i, 2) ? NULL : PQgetvalue(x, i, 2);

		if (strcmp(PQgetvalue(x, i, 1), "processing") == 0) {
			char ids[24];
			const char *up[1] = {db_i64(ids, db_int64(x, i, 0))};
			PGresult *u;

			if (owner && db_owner_alive(owner) &&
			    strcmp(owner, db_owner_id()) != 0)
				continue; /* someone is working on it */
			u = db_query(r->conn, err, errlen, "UPDATE raw_extraction_data"
				     " SET status = 'pending', owner = NULL WHERE id = $1",
				     1, up);
			PQclear(u);
		}
		if (queue_id(r, db_int64(x, i, 0), PQgetvalue(x, i, 3)) < 0)
			break;
	}
	PQclear(x);
	return db_commit(r->conn, err, errlen);
}

void runner_transform_all(struct run *r)
{
	int64_t *all = r->q;
	char (*at)[PIPELINE_TS_LEN] = r->qat;
	size_t n = r->nq, i, chunk;

	r->q = NULL;
	r->qat = NULL;
	r->nq = r->capq = 0;
	runner_set_progress(r, "transform+load raw rows", 0, n);
	for (i = 0; i < n && !runner_cancel_requested(); i += chunk) {
		chunk = n - i < TRANSFORM_BATCH ? n - i : TRANSFORM_BATCH;
		process_ids(r, all + i, at + i, chunk);
		runner_set_progress(r, "transform+load raw rows", i + chunk, n);
	}
	free(all);
	free(at);
}

/* ---- broker mode ------------------------------------------------------ */

/* The error of the run's first failed row, for the summary. */
static void first_failure(struct run *r)
{
	char ten[24], rid[24], err[256];
	const char *params[2] = {db_i64(ten, r->in.tenant_id),
				 db_i64(rid, r->run_id)};
	PGresult *x;

	if (db_tenant_begin(r->conn, r->in.tenant_id, err, sizeof(err)) < 0)
		return;
	x = db_query(r->conn, err, sizeof(err),
		     "SELECT 'raw row ' || id || ': ' || coalesce(error, '?')"
		     " FROM raw_extraction_data WHERE tenant_id = $1"
		     " AND job_run_id = $2 AND status = 'failed' ORDER BY id LIMIT 1",
		     2, params);
	if (x && PQntuples(x) > 0)
		snprintf(r->first_failure, sizeof(r->first_failure), "%s",
			 PQgetvalue(x, 0, 0));
	PQclear(x);
	db_commit(r->conn, err, sizeof(err));
}

int runner_wait_for_workers(struct run *r, char *err, size_t errlen)
{
	char ten[24], rid[24];
	const char *params[2] = {db_i64(ten, r->in.tenant_id),
				 db_i64(rid, r->run_id)};
	double start = runner_now_s();

	for (;;) {
		PGresult *x;
		uint64_t done, failed, open;

		if (db_tenant_begin(r->conn, r->in.tenant_id, err, errlen) < 0)
			return -1;
		x = db_query(r->conn, err, errlen,
			     "SELECT count(*) FILTER (WHERE status = 'completed'),"
			     " count(*) FILTER (WHERE status = 'failed'),"
			     " count(*) FILTER (WHERE status IN ('pending', 'processing'))"
			     " FROM raw_extraction_data WHERE tenant_id = $1"
			     " AND job_run_id = $2", 2, params);
		db_commit(r->conn, err, errlen);
		if (!x)
			return -1;
		done = (uint64_t)db_int64(x, 0, 0);
		failed = (uint64_t)db_int64(x, 0, 1);
		open = (uint64_t)db_int64(x, 0, 2);
		PQclear(x);
		runner_set_progress(r, "waiting for workers", done + failed,
			     done + failed + open);
		if (open == 0) {
			r->rows_done = done;
			r->rows_failed = failed;
			if (failed)
				first_failure(r);
			return 0;
		}
		if (runner_cancel_requested()) {
			snprintf(err, errlen, "cancelled while waiting for workers "
				 "(%" PRIu64 " raw rows still open; they will be "
				 "processed by the workers)", open);
			return -1;
		}
		if (r->o->wait_timeout_s > 0 &&
		    runner_now_s() - start > r->o->wait_timeout_s) {
			snprintf(err, errlen, "%" PRIu64 " raw rows still open "
				 "after %d s; are `pulse-host worker` processes "
				 "running against this broker?", open,
				 r->o->wait_timeout_s);
			return -1;
		}
		usleep(250 * 1000);
	}
}

