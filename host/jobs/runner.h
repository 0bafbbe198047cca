/*
 * runner: one run of an integration's job: `pulse-host job run ID`.
 * Opens a job_runs row, runs the plugin's extract with the store
 * backend and the HTTP service (host/http/http.h, one client per run), and either transforms + loads the run's raw rows in-process
 * (no broker) or publishes their ids and waits for the workers.
 */
#ifndef PULSE_RUNNER_H
#define PULSE_RUNNER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "plugin/job.h"

struct conf;
struct loader;

/* What the runner tells an observer (see runner_opts.observe). */
struct runner_event {
	int kind;             /* RUNNER_EV_* */
	int64_t run_id;
	const char *step;     /* PROGRESS */
	uint64_t done, total; /* PROGRESS; total 0 = unknown */
	int32_t err_class;    /* DONE: 0 on success, else PULSE_ERR_TRANSIENT,
			       * PULSE_ERR_PERMANENT or PULSE_ERR_CANCELLED */
	const char *err;      /* DONE: the job's error text, or NULL */
};
#define RUNNER_EV_STARTED 1  /* the job_runs row exists */
#define RUNNER_EV_PROGRESS 2 /* a progress step of extract or transform */
#define RUNNER_EV_DONE 3     /* the run ended (job_runs is final); sent
			      * only after STARTED */

struct runner_opts {
	FILE *out;        /* progress and summary (stdout) */
	int tty;          /* 1: one updating line; 0: a line per step/10% */
	int in_process;   /* ignore broker_url */
	int quiet;        /* summary only */
	int wait_timeout_s; /* broker mode: give up waiting (0 = forever) */
	int extract_only; /* store pages, leave them pending, do not wait */
	/* The orchestrator already moved etl_jobs to RUNNING (and owns its
	 * state machine): the runner then writes job_runs only. */
	int orchestrated;
	/* Called in the calling thread, strings borrowed for the call. */
	void (*observe)(void *ctx, const struct runner_event *ev);
	void *observe_ctx;
};

/*
 * Run integration id. Returns RUNNER_OK; RUNNER_FAILED with err in the
 * form "integration 3 (github) failed: <why>"; or RUNNER_PARTIAL when the
 * extract finished but some raw rows failed to transform or load (err
 * says how many and why the first did).
 */
#define RUNNER_OK 0
#define RUNNER_FAILED 1
#define RUNNER_PARTIAL 3
int runner_run(const struct conf *conf, struct loader *ld, int64_t id,
	       const struct runner_opts *o, char *err, size_t errlen);

/* SIGINT/SIGTERM make job->be->cancelled() return 1 from then on. */
void runner_install_signals(void);
int runner_cancel_requested(void);

#endif
