/*
 * pipeline: transform + load of stored raw rows (one API response each).
 *
 * A raw row moves pending -> processing -> completed | failed. Processing a
 * row claims it first (committed), then runs the plugin's transform and
 * loads the records, marking the row completed in the same transaction as
 * the load. A duplicate message finds the row completed and does nothing,
 * so callers may deliver an id any number of times.
 *
 * Callers: the in-process runner (`job run` without a broker) and the
 * queue workers (`pulse-host worker`). One struct pipeline is used by one
 * thread at a time; it owns one database connection (as the app role).
 */
#ifndef PULSE_PIPELINE_H
#define PULSE_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

struct conf;
struct loader;
struct pipeline;

/*
 * Where a freshly stored raw row goes. Called after the row's transaction
 * committed. In-process mode the runner queues it for its own pipeline;
 * broker mode the queue publishes {tenant_id, raw_id, created_at}.
 * created_at is the row's partition key as PIPELINE_TS text (borrowed),
 * or NULL when the caller does not know it (the sweep). Return 0, or -1
 * with err set: the extract then fails transiently (the row stays pending
 * and pipeline_sweep() finds it again).
 */
typedef int (*pipeline_dispatch_fn)(void *ctx, int64_t tenant_id,
				    int64_t raw_id, const char *created_at,
				    char *err, size_t errlen);

/*
 * A raw row's created_at (the partition key of raw_extraction_data) as
 * carried in messages: ISO 8601 in UTC, "2026-01-31T23:59:59.123456Z",
 * so that it parses back identically whatever the session's DateStyle.
 * PIPELINE_TS_SQL turns the column into that text in a query.
 */
#define PIPELINE_TS_LEN 32
#define PIPELINE_TS_SQL(col) "to_char(" col " AT TIME ZONE 'UTC', " \
	"'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
/* 1 if s has the shape of a PIPELINE_TS text (so it is safe to pass as a
 * timestamptz parameter), 0 otherwise. */
int pipeline_ts_valid(const char *s);

/*
 * Broker support, registered once at startup by the queue module
 * (e.g. queue_register() from main.c). NULL until then: `job run` with a
 * broker_url configured refuses to run and says so.
 *   open:    connect a publisher for this process; *ctx is its state.
 *   publish: a pipeline_dispatch_fn taking that ctx.
 *   close:   release it (ctx may be NULL).
 */
struct pipeline_broker {
	int (*open)(const struct conf *conf, void **ctx, char *err,
		    size_t errlen);
	pipeline_dispatch_fn publish;
	void (*close)(void *ctx);
};
void pipeline_register_broker(const struct pipeline_broker *b);
const struct pipeline_broker *pipeline_get_broker(void);

/*
 * Connect (conf->database_url) and build the entity registry from the
 * catalog. Plugins are looked up in ld (borrowed; it must outlive the
 * pipeline). Returns NULL with err set on failure. Free with
 * pipeline_free.
 */
struct pipeline *pipeline_new(const struct conf *conf, struct loader *ld,
			      char *err, size_t errlen);
void pipeline_free(struct pipeline *p);

/* Outcome of processing one raw row. */
#define PIPE_DONE 0    /* transformed, loaded, marked completed */
#define PIPE_NOOP 1    /* already completed, claimed by someone else,
			* dead-lettered or not found: nothing to do (ack) */
#define PIPE_FAILED 2  /* marked failed; err says why. attempts tells the
			* caller whether to dead-letter (>= jobs.max_attempts) */
#define PIPE_RETRY 3   /* not processed because of an infrastructure error
			* (database gone, ...); the row is left for a retry */

struct pipeline_result {
	int64_t raw_id;
	int outcome;       /* PIPE_* */
	int permanent;     /* FAILED: 1 if the data itself is bad (a retry
			    * cannot help), 0 if transient */
	int attempts;      /* after this try */
	uint64_t records;  /* records the transform emitted */
	char err[1024];
};

/*
 * Process one raw row of tenant_id. Returns res->outcome. res is filled
 * in every case.
 */
int pipeline_process(struct pipeline *p, int64_t tenant_id, int64_t raw_id,
		     struct pipeline_result *res);

/*
 * Process n raw rows of one tenant, loading them in as few transactions
 * as possible (this is what makes the load fast). A row whose transform
 * fails is marked failed on its own; if a batch's load fails, its rows are
 * retried one by one so the failure lands on the row that caused it.
 * res has n entries, in the order of ids. Returns the number of rows
 * that ended PIPE_DONE or PIPE_NOOP.
 */
size_t pipeline_process_many(struct pipeline *p, int64_t tenant_id,
			     const int64_t *ids, size_t n,
			     struct pipeline_result *res);

/*
 * pipeline_process_many, with each row's created_at (PIPELINE_TS text,
 * created_at[i] for ids[i]; borrowed). When every row's is given, the
 * claim names the partitions to look in, so PostgreSQL reads one month's
 * index instead of all of them. created_at NULL, or any entry NULL or
 * "": the claim looks the ids up in every partition (messages from
 * before the field existed, the sweep).
 */
size_t pipeline_process_at(struct pipeline *p, int64_t tenant_id,
			   const int64_t *ids, const char *const *created_at,
			   size_t n, struct pipeline_result *res);

/* Mark a row dead-lettered (after the queue gave up on it). 0 or -1. */
int pipeline_dead_letter(struct pipeline *p, int64_t tenant_id,
			 int64_t raw_id, char *err, size_t errlen);

/*
 * Recovery sweep over all tenants: rows untouched for stale_seconds that
 * are pending, processing (only if the owner is gone: a dead pid on this
 * host, or another host's owner silent for at least jobs.stale_seconds,
 * whatever stale_seconds says), or failed with attempts < max_attempts
 * and not dead-lettered (for those the age is the retry back-off).
 * Processing rows are reset to pending first; rows owned by the calling
 * process count as abandoned (call this between messages, not during
 * one). Each row found is handed to fn; a failing fn stops the sweep.
 * Returns the number of rows dispatched, or -1 with err set.
 */
long pipeline_sweep(struct pipeline *p, int stale_seconds, int max_attempts,
		    pipeline_dispatch_fn fn, void *ctx, char *err,
		    size_t errlen);

/* Records loaded since pipeline_new, per entity (for summaries). */
struct pipeline_count {
	const char *entity;  /* borrowed from the registry */
	uint64_t records;    /* records emitted by transforms */
	uint64_t inserted;
	uint64_t updated;
	uint64_t unchanged;  /* upserts that changed nothing */
	uint64_t deleted;
};
/* The counters (n entries, one per canonical entity); borrowed. */
const struct pipeline_count *pipeline_counts(const struct pipeline *p,
					     size_t *n);

#endif
