/*
 * queue: the RabbitMQ side of the pipeline (librabbitmq).
 *
 * Messages carry ids only: {"tenant_id":1,"raw_id":42}, plus the raw
 * row's partition key when the publisher knows it ("created_at", see
 * PIPELINE_TS in pipeline/pipeline.h; older messages lack it). The database row
 * is the truth; a lost message is found again by the pipeline's sweep and
 * a duplicate finds its row already completed.
 *
 * Topology, declared idempotently on every (re)connect:
 *   exchange pulse (direct, durable)
 *     -> queue pulse.transform, pulse.vectorize (durable, dead-lettered to
 *        pulse.dlx), bound with their own names as routing keys
 *   exchange pulse.dlx (fanout, durable) -> queue pulse.dead (poison)
 *   queue <stage>.retry (durable): messages parked there expire after the
 *        retry delay and are dead-lettered back to pulse/<stage>.
 *
 * One struct queue is one AMQP connection with one channel. Publishing and
 * consuming on the same queue handle is allowed, but a worker keeps them
 * apart (one handle each) so confirms and deliveries never interleave.
 * A handle is not thread-safe; use one per thread or process.
 *
 * Every operation reconnects by itself (exponential backoff with jitter,
 * logged at WARN with the password masked) when the broker went away.
 */
#ifndef PULSE_QUEUE_H
#define PULSE_QUEUE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#define QUEUE_EXCHANGE "pulse"
#define QUEUE_DLX "pulse.dlx"
#define QUEUE_TRANSFORM "pulse.transform"
#define QUEUE_VECTORIZE "pulse.vectorize"
#define QUEUE_DEAD "pulse.dead"

struct queue;

/* Zero means "the default" for every field. */
struct queue_opts {
	int heartbeat_s;        /* AMQP heartbeat (10) */
	int connect_timeout_ms; /* TCP connect + login (5000) */
	int confirm_timeout_ms; /* wait for basic.ack of a publish (10000) */
	int publish_budget_ms;  /* how long a publish keeps reconnecting
				   before it reports failure (30000; <0: one
				   try) */
	int backoff_min_ms;     /* first reconnect delay (250) */
	int backoff_max_ms;     /* cap of the exponential backoff (10000) */
	int retry_delay_ms;     /* queue_retry_later parking time (5000) */
	/* Reconnect and wait loops return as soon as *stop is non-zero
	   (a signal handler's flag). NULL: never. Borrowed. */
	const volatile sig_atomic_t *stop;
};

/* One message: which raw row (of which tenant) a stage should process. */
struct queue_msg {
	int64_t tenant_id;
	int64_t raw_id;
	/* the raw row's created_at (PIPELINE_TS text), "" when unknown:
	 * lets the claim read one partition of raw_extraction_data */
	char created_at[32];
};

/* A message received by queue_next. */
struct queue_delivery {
	uint64_t tag;         /* delivery tag on the connection it came from */
	uint64_t generation;  /* which connection; acks on a newer one are
				 skipped (the broker requeued it already) */
	int redelivered;
	int valid;            /* body parsed into msg */
	struct queue_msg msg;
	char body[256];       /* the body as received (truncated), for logs */
};

/* Result codes (negative = failure). */
#define QUEUE_OK 0
#define QUEUE_ERR -1      /* transient: broker gone, timeout, nack */
#define QUEUE_EPERM -2    /* needs an operator: bad URL, login refused,
			     unknown vhost, topology declared differently */
#define QUEUE_STOPPED -3  /* *opts.stop became non-zero */

/*
 * Parse `url` (amqp://user:pass@host:port/vhost) and prepare a handle;
 * no connection is made yet (operations connect on first use). Returns 0
 * and *out (release with queue_close), or QUEUE_EPERM with the reason in
 * err (password masked). `opts` may be NULL; it is copied.
 */
int queue_open(const char *url, const struct queue_opts *opts,
	       struct queue **out, char *err, size_t errlen);
/* Close the connection politely (if any) and free the handle. NULL ok. */
void queue_close(struct queue *q);

/* One connection attempt now (no retries), declaring the topology.
 * Returns QUEUE_OK, QUEUE_ERR or QUEUE_EPERM; see queue_error(). */
int queue_connect(struct queue *q);
/* The URL with its password replaced by "***" (owned by q). */
const char *queue_url_masked(const struct queue *q);
/* The last failure, human readable, password masked (owned by q). */
const char *queue_error(const struct queue *q);
/* Number of successful connects so far (1 after the first). */
uint64_t queue_generation(const struct queue *q);

/*
 * Publish persistent messages to `routing_key` on exchange pulse and wait
 * until the broker confirmed every one (publisher confirms). A message
 * only counts when acked: on a nack, a confirm timeout or a broker that
 * stays away longer than publish_budget_ms the call fails and the caller
 * leaves its rows pending (the sweep republishes them). A publish cut by
 * a lost connection is retried as a whole after reconnecting; duplicates
 * are harmless by design.
 */
int queue_publish(struct queue *q, const char *routing_key,
		  const struct queue_msg *msgs, size_t n);
/* The extract-side hook: one raw id for the transform stage. */
int queue_publish_raw(struct queue *q, int64_t tenant_id, int64_t raw_id);
/* The same with the row's created_at (PIPELINE_TS text, or NULL). */
int queue_publish_raw_at(struct queue *q, int64_t tenant_id, int64_t raw_id,
			 const char *created_at);
/* Many raw ids for the transform stage, confirmed together. */
int queue_publish_raw_batch(struct queue *q, const struct queue_msg *msgs,
			    size_t n);

/*
 * Consume `queue_name` with manual acks and basic.qos `prefetch`
 * (0 = 16). The subscription is remembered and re-established after every
 * reconnect. Connects now, retrying until connected or *stop; returns
 * QUEUE_OK, QUEUE_STOPPED, or QUEUE_EPERM when the broker refuses us.
 */
int queue_consume(struct queue *q, const char *queue_name, int prefetch);
/*
 * Wait up to timeout_ms for the next delivery. Returns 1 with *d filled,
 * 0 on timeout, QUEUE_STOPPED when *stop was raised, QUEUE_EPERM when the
 * broker refuses us for good before we were ever connected. A lost
 * connection is re-established inside (backoff; never spins).
 */
int queue_next(struct queue *q, struct queue_delivery *d, int timeout_ms);
/* Ack d: call only after the database transaction committed. */
int queue_ack(struct queue *q, const struct queue_delivery *d);
/* basic.nack d; requeue=0 dead-letters it to pulse.dead. */
int queue_nack(struct queue *q, const struct queue_delivery *d, int requeue);
/*
 * A transient failure: park d's message in <queue>.retry for
 * retry_delay_ms (it then returns to the stage queue) by a confirmed
 * publish on `pub` (a publishing handle, not q), then ack d on q. If
 * parking fails, d is nacked with requeue instead.
 */
int queue_retry_later(struct queue *q, struct queue *pub,
		      const struct queue_delivery *d);

/* Ready messages and consumers of an existing queue (passive declare). */
int queue_depth(struct queue *q, const char *queue_name, uint32_t *messages,
		uint32_t *consumers);
/* Drop every ready message of queue_name (tests, operators). */
int queue_purge(struct queue *q, const char *queue_name, uint32_t *purged);

/*
 * Make this module the pipeline's broker (pipeline_register_broker): with
 * broker_url set, `job run` then publishes each stored page's id after
 * its commit, through one confirming publisher per run. Call once at
 * startup (main.c).
 */
void queue_register(void);

/*
 * Copy url into out with the password (between "user:" and "@") replaced
 * by "***". Always NUL-terminates; returns the length written.
 */
size_t queue_mask_url(const char *url, char *out, size_t outlen);
/* Encode one message body; returns its length (< outlen) or -1. */
int queue_msg_encode(const struct queue_msg *m, char *out, size_t outlen);
/* Parse a body; returns 0 on success, -1 when it is not a valid message. */
int queue_msg_decode(const void *body, size_t len, struct queue_msg *m);

#endif
