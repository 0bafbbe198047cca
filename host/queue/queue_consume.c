/* queue_consume: subscribing, receiving deliveries, acks, nacks,
 * retry parking, and queue inspection. */
#include "config.h"

#include <amqp.h>
#include <amqp_framing.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include "base/log.h"
#include "queue/queue.h"
#include "queue/queue_int.h"

/* Read a method frame the library did not expect; returns its id, or 0. */
static amqp_method_number_t read_stray(struct queue *q, amqp_frame_t *f,
				       int *status)
{
	*status = amqp_simple_wait_frame(q->conn, f);
	if (*status != AMQP_STATUS_OK || f->frame_type != AMQP_FRAME_METHOD)
		return 0;
	return f->payload.method.id;
}

int queue_consume(struct queue *q, const char *queue_name, int prefetch)
{
	if (strlen(queue_name) >= sizeof(q->consume_queue)) {
		queue_set_err(q, "queue name '%s' is too long", queue_name);
		return QUEUE_EPERM;
	}
	snprintf(q->consume_queue, sizeof(q->consume_queue), "%s", queue_name);
	q->prefetch = prefetch > 0 ? (prefetch > 65535 ? 65535 : prefetch) : 16;
	queue_drop(q);
	return queue_connect_retry(q, 0);
}

int queue_next(struct queue *q, struct queue_delivery *d, int timeout_ms)
{
	amqp_envelope_t env;
	amqp_rpc_reply_t r;
	amqp_frame_t f;
	struct timeval tv;
	int rc, status;

	memset(d, 0, sizeof(*d));
	for (;;) {
		if (queue_stopped(q))
			return QUEUE_STOPPED;
		if (!q->conn && (rc = queue_connect_retry(q, 0)) != QUEUE_OK)
			return rc;
		amqp_maybe_release_buffers(q->conn);
		queue_ms_to_tv(timeout_ms, &tv);
		r = amqp_consume_message(q->conn, &env, &tv, 0);
		if (r.reply_type == AMQP_RESPONSE_NORMAL) {
			size_t len = env.message.body.len;

			d->tag = env.delivery_tag;
			d->generation = q->generation;
			d->redelivered = env.redelivered;
			d->valid = queue_msg_decode(env.message.body.bytes, len,
						    &d->msg) == 0;
			if (len >= sizeof(d->body))
				len = sizeof(d->body) - 1;
			memcpy(d->body, env.message.body.bytes, len);
			d->body[len] = '\0';
			amqp_destroy_envelope(&env);
			return 1;
		}
		if (r.reply_type != AMQP_RESPONSE_LIBRARY_EXCEPTION) {
			queue_lost(q, "consuming", AMQP_STATUS_UNEXPECTED_STATE);
			continue;
		}
		if (r.library_error == AMQP_STATUS_TIMEOUT)
			return 0;
		if (r.library_error != AMQP_STATUS_UNEXPECTED_STATE) {
			queue_lost(q, "consuming", r.library_error);
			continue;
		}
		switch (read_stray(q, &f, &status)) {
		case 0:
			if (status != AMQP_STATUS_OK)
				queue_lost(q, "consuming", status);
			break;
		case AMQP_CONNECTION_CLOSE_METHOD:
		case AMQP_CHANNEL_CLOSE_METHOD:
		case AMQP_BASIC_CANCEL_METHOD:
			queue_note_close(q, &f);
			break;
		default:
			break; /* e.g. a late confirm; nothing to do */
		}
	}
}

/* Is d still ackable on the current connection? */
static int same_conn(struct queue *q, const struct queue_delivery *d,
		     const char *what)
{
	if (q->conn && d->generation == q->generation)
		return 1;
	queue_set_err(q, "cannot %s delivery %" PRIu64 ": its connection is gone; "
		"the broker has requeued it", what, d->tag);
	log_debug("QUEUE", "event=stale_delivery tag=%" PRIu64 " action=%s",
		  d->tag, what);
	return 0;
}

int queue_ack(struct queue *q, const struct queue_delivery *d)
{
	int st;

	if (!same_conn(q, d, "ack"))
		return QUEUE_ERR;
	st = amqp_basic_ack(q->conn, Q_CHANNEL, d->tag, 0);
	return st == AMQP_STATUS_OK ? QUEUE_OK : queue_lost(q, "acking", st);
}

int queue_nack(struct queue *q, const struct queue_delivery *d, int requeue)
{
	int st;

	if (!same_conn(q, d, requeue ? "requeue" : "dead-letter"))
		return QUEUE_ERR;
	st = amqp_basic_nack(q->conn, Q_CHANNEL, d->tag, 0, requeue ? 1 : 0);
	return st == AMQP_STATUS_OK ? QUEUE_OK : queue_lost(q, "nacking", st);
}

int queue_retry_later(struct queue *q, struct queue *pub,
		      const struct queue_delivery *d)
{
	char rk[160];

	snprintf(rk, sizeof(rk), "%s.retry", q->consume_queue);
	if (!d->valid || queue_publish_ex(pub, rk, &d->msg, 1,
				    q->o.retry_delay_ms) != QUEUE_OK) {
		if (d->valid)
			log_warn("QUEUE", "event=park_failed queue=%s error=\"%s\"",
				 rk, queue_error(pub));
		return queue_nack(q, d, 1);
	}
	return queue_ack(q, d);
}

int queue_depth(struct queue *q, const char *queue_name, uint32_t *messages,
		uint32_t *consumers)
{
	amqp_queue_declare_ok_t *ok;
	char what[192];
	int rc;

	if ((rc = queue_ensure_conn(q, queue_budget_deadline(q))) != QUEUE_OK)
		return rc;
	snprintf(what, sizeof(what), "looking up queue %s", queue_name);
	ok = amqp_queue_declare(q->conn, Q_CHANNEL, amqp_cstring_bytes(queue_name),
				1, 0, 0, 0, amqp_empty_table);
	if ((rc = queue_rpc_check(q, what)) != QUEUE_OK || !ok) {
		queue_drop(q); /* a failed passive declare closes the channel */
		return rc == QUEUE_OK ? QUEUE_ERR : rc;
	}
	if (messages)
		*messages = ok->message_count;
	if (consumers)
		*consumers = ok->consumer_count;
	return QUEUE_OK;
}

int queue_purge(struct queue *q, const char *queue_name, uint32_t *purged)
{
	amqp_queue_purge_ok_t *ok;
	char what[192];
	int rc;

	if ((rc = queue_ensure_conn(q, queue_budget_deadline(q))) != QUEUE_OK)
		return rc;
	snprintf(what, sizeof(what), "purging queue %s", queue_name);
	ok = amqp_queue_purge(q->conn, Q_CHANNEL, amqp_cstring_bytes(queue_name));
	if ((rc = queue_rpc_check(q, what)) != QUEUE_OK || !ok) {
		queue_drop(q);
		return rc == QUEUE_OK ? QUEUE_ERR : rc;
	}
	if (purged)
		*purged = ok->message_count;
	return QUEUE_OK;
}
