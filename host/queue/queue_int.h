/*
 * queue_int: what the files of the queue module share (not for callers
 * outside host/queue; they use queue.h).
 *
 *   queue.c          handles, message bodies, the pipeline's broker hook
 *   queue_conn.c     connect, reconnect with backoff, broker refusals
 *   queue_topology.c exchanges, stage/dead/retry queues, the consumer
 *   queue_publish.c  publishes with publisher confirms
 *   queue_consume.c  deliveries, acks/nacks, retry parking, depth/purge
 */
#ifndef PULSE_QUEUE_INT_H
#define PULSE_QUEUE_INT_H

#include <amqp.h>
#include <stdint.h>
#include <sys/time.h>

#include "queue/queue.h"

#define Q_CHANNEL 1
#define Q_FRAME_MAX 131072
#define Q_WINDOW 256 /* publishes in flight before we wait for confirms */

struct queue {
	struct queue_opts o;
	char *url_buf;                /* parsed copy; ci points into it */
	struct amqp_connection_info ci;
	char url_masked[512];
	amqp_connection_state_t conn; /* NULL while disconnected */
	uint64_t generation;          /* successful connects so far */
	int confirming;               /* confirm.select done on conn */
	uint64_t next_tag;            /* delivery tag of the next publish */
	char consume_queue[128];      /* "" = not consuming */
	int prefetch;
	int failures;                 /* consecutive failed connects */
	int64_t down_since_ms;        /* when the connection was lost */
	unsigned int seed;            /* jitter */
	char err[768];
};

/* queue.c */
int64_t queue_now_ms(void); /* CLOCK_MONOTONIC in ms */
void queue_ms_to_tv(int ms, struct timeval *tv);
int queue_stopped(const struct queue *q); /* *o.stop raised */
void queue_set_err(struct queue *q, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Forget the connection without a goodbye (the broker is gone anyway). */
void queue_drop(struct queue *q);

/* queue_conn.c */
int queue_reply_err(struct queue *q, amqp_rpc_reply_t r, const char *what);
int queue_rpc_check(struct queue *q, const char *what);
int queue_connect_retry(struct queue *q, int64_t deadline);
int64_t queue_budget_deadline(const struct queue *q);
int queue_ensure_conn(struct queue *q, int64_t deadline);
int queue_lost(struct queue *q, const char *what, int status);
void queue_note_close(struct queue *q, const amqp_frame_t *f);

/* queue_topology.c */
int queue_declare_topology(struct queue *q);
int queue_start_consumer(struct queue *q);

/* queue_publish.c */
int queue_publish_ex(struct queue *q, const char *rk,
		     const struct queue_msg *msgs, size_t n, int ttl_ms);

#endif
