/*
 * vzworker: the vectorize worker role (`pulse-host worker --roles
 * vectorize`, and the daemon when its roles include vectorize).
 *
 * The vectorization_queue table is the truth; loads only insert rows
 * there. The worker finds the work by polling the table (docs/queue.md):
 *
 * - With a broker: every sweep round, host_vectorize_dispatch() marks due
 *   pending rows dispatched and the worker publishes their ids to
 *   pulse.vectorize (publisher confirms). Any worker consumes them with
 *   manual acks, claims those ids (vz_stage_run_ids; SKIP LOCKED, so a
 *   duplicate message finds its row taken or completed) and acks after the
 *   outcome is committed. A row failed for good is nacked into pulse.dead;
 *   an infrastructure error parks the message in pulse.vectorize.retry.
 *   A lost message is published again once dispatched_at is older than
 *   the stale time; stale claims are swept back to pending.
 * - Without one: the same loop drains each tenant with work in-process
 *   (vz_stage_run), polling every second when idle.
 */
#ifndef PULSE_VZWORKER_H
#define PULSE_VZWORKER_H

#include <stddef.h>

struct conf;
struct loader;

struct vzworker_opts {
	int prefetch;   /* broker: unacked messages, also the batch (64) */
	int batch;      /* in-process: rows per claim (64) */
	int once;       /* exit 0 when nothing is due or being processed */
	int sweep_s;    /* seconds between dispatch/sweep rounds (1) */
	int stale_s;    /* claims and dispatches older are redone
			   (jobs.stale_seconds) */
};

/*
 * Run until SIGTERM/SIGINT (the batch in hand is finished) or, with once,
 * until drained. Uses the broker when conf->broker_url is set. Returns 0
 * on a clean stop, or 1 with err set.
 */
int vzworker_run(const struct conf *conf, struct loader *ld,
		 const struct vzworker_opts *o, char *err, size_t errlen);

#endif
