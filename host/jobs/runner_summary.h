/*
 * runner_summary: what a run did, as the job_runs.stats JSON and as the
 * summary `job run` prints at the end (host/jobs/runner.c fills it).
 */
#ifndef PULSE_RUNNER_SUMMARY_H
#define PULSE_RUNNER_SUMMARY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct http_stats;
struct json_object;
struct pipeline_count;

/* Everything borrowed for the call. */
struct runner_summary {
	const char *label;      /* "integration 3 (sandbox)" */
	int64_t run_id;
	double secs;
	uint64_t pages, bytes;  /* stored by the extract */
	uint64_t rows_done, rows_failed;
	const char *first_failure; /* of the failed raw rows */
	const struct pipeline_count *counts; /* per entity; NULL = none */
	size_t ncounts;
	const struct http_stats *http;
	const char *error;      /* the run's error, or NULL */
	int cancelled;
};

/* The job_runs.stats object (a new reference). */
struct json_object *runner_summary_json(const struct runner_summary *s);

/* "job run: ... finished in 1.2 s (run 5)" and its detail lines. */
void runner_summary_print(FILE *f, const struct runner_summary *s);

#endif
