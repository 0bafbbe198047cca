/*
 * worker: `pulse-host worker`, the consumers of the transform stage.
 *
 * Each worker process consumes pulse.transform (ids only), hands batches
 * of one tenant's raw ids to pipeline_process_many(), and acks a message
 * only after its row's transaction committed. Failures follow the
 * database: a permanent failure, or one at jobs.max_attempts, marks the
 * row dead-lettered and nacks the message into pulse.dead; a transient
 * one parks the message in pulse.transform.retry. A recovery sweep (at
 * start and periodically) republishes rows whose message was lost.
 *
 * Any number of workers, on any number of machines, may share the queue:
 * the row claim in the database makes a second delivery a no-op.
 */
#ifndef PULSE_WORKER_H
#define PULSE_WORKER_H

#include <stddef.h>

struct conf;
struct loader;
struct pipeline_result;

struct worker_opts {
	int prefetch;     /* basic.qos, also the largest batch (16) */
	int concurrency;  /* worker processes to run (1) */
	int once;         /* exit 0 once the queue is drained and the
			     sweep finds no open raw row */
	int sweep_s;      /* seconds between sweeps; 0: half of
			     jobs.stale_seconds, between 1 and 60 */
};

/*
 * Run the workers until SIGTERM/SIGINT (each finishes the batch in hand,
 * then exits) or, with once, until drained. conf->broker_url must be set.
 * Plugins are looked up in ld (borrowed). Returns 0 on a clean stop, or 1
 * with err set.
 */
int worker_run(const struct conf *conf, struct loader *ld,
	       const struct worker_opts *o, char *err, size_t errlen);

/* What a worker does with a message after pipeline_process_many. */
#define WORKER_ACK 0    /* done, or nothing to do */
#define WORKER_DEAD 1   /* mark dead-lettered, nack into pulse.dead */
#define WORKER_RETRY 2  /* park in the retry queue, try again later */
int worker_decide(const struct pipeline_result *res, int max_attempts);

#endif
