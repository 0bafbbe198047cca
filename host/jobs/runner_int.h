/*
 * runner_int: what the files of the runner share (not for callers
 * outside host/jobs; they use runner.h).
 *
 *   runner.c         the run: set-up, job bookkeeping, extract, finish
 *   runner_drain.c   in-process transform + load of the run's raw rows,
 *                    and the broker-mode wait for the workers
 *   runner_summary.c the summary printed and stored at the end
 */
#ifndef PULSE_RUNNER_INT_H
#define PULSE_RUNNER_INT_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include "base/conf.h"
#include "cli/termprogress.h"
#include "db/db.h"
#include "http/http.h"
#include "model/integration.h"
#include "pipeline/pipeline.h"
#include "pipeline/store.h"
#include "plugin/job.h"
#include "plugin/loader.h"
#include "jobs/runner.h"

#define TRANSFORM_BATCH 64  /* raw rows per load transaction */

/* One run's state; lives on runner_run's stack, owns what it points to
 * except conf, o and plugin (borrowed). */
struct run {
	const struct conf *conf;
	const struct runner_opts *o;
	PGconn *conn;
	struct integration in;
	struct plugin *plugin;
	struct json_object *settings, *secrets;
	int64_t job_id, run_id;
	struct store store;
	struct pulse_job job;
	struct job_backend be;
	struct pipeline *pipe;
	const struct pipeline_broker *broker;
	void *bctx;
	int64_t *q;              /* in-process: ids waiting for transform */
	char (*qat)[PIPELINE_TS_LEN]; /* their created_at, "" if unknown */
	size_t nq, capq;
	uint64_t rows_done, rows_failed, rows_total;
	char first_failure[1024];
	/* progress */
	char step[64];
	uint64_t done, total;
	double last_db;
	int last_decile;
	struct termprogress tp;  /* progress on o->out */
	double t0;
	char label[160];         /* "integration 3 (sandbox)" */
	struct http_stats http;
};

/* runner.c */
double runner_now_s(void);
/* Finish the current progress line on a TTY before other output. */
void runner_end_line(struct run *r);
/* Report progress to the terminal, job_runs (at most once a second) and
 * the observer. */
void runner_set_progress(struct run *r, const char *step, uint64_t done,
			 uint64_t total);

/* runner_drain.c */
/* The store's dispatch hook in-process: ctx is the struct run. */
int runner_dispatch_local(void *ctx, int64_t tenant, int64_t id,
			  const char *created_at, char *err, size_t errlen);
/* Transform stale raw rows of any tenant left by dead processes. */
void runner_recover(struct run *r);
/* Queue this integration's raw rows still open from earlier runs. */
int runner_leftovers(struct run *r, char *err, size_t errlen);
/* Transform + load every queued raw row, a batch per transaction. */
void runner_transform_all(struct run *r);
/* Broker mode: wait until the workers closed every raw row of the run. */
int runner_wait_for_workers(struct run *r, char *err, size_t errlen);

#endif
