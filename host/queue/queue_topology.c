/* queue_topology: the exchanges, stage queues, dead-letter and retry
 * queues declared on every (re)connect, and the consumer subscription. */
#include "config.h"

#include <amqp.h>
#include <amqp_framing.h>
#include <stdio.h>
#include <string.h>

#include "queue/queue.h"
#include "queue/queue_int.h"

/* Stage queues: each dead-letters to pulse.dlx and has a retry queue. */
static const char *const q_stages[] = {QUEUE_TRANSFORM, QUEUE_VECTORIZE, NULL};

static amqp_table_entry_t str_entry(const char *k, const char *v)
{
	amqp_table_entry_t e;

	memset(&e, 0, sizeof(e));
	e.key = amqp_cstring_bytes(k);
	e.value.kind = AMQP_FIELD_KIND_UTF8;
	e.value.value.bytes = amqp_cstring_bytes(v);
	return e;
}

static int declare_queue(struct queue *q, const char *name,
			 amqp_table_entry_t *args, int nargs,
			 const char *exchange, const char *key)
{
	amqp_table_t t = {nargs, args};
	char what[192];
	int rc;

	snprintf(what, sizeof(what), "declaring queue %s", name);
	amqp_queue_declare(q->conn, Q_CHANNEL, amqp_cstring_bytes(name), 0, 1,
			   0, 0, t);
	if ((rc = queue_rpc_check(q, what)) != QUEUE_OK)
		return rc;
	snprintf(what, sizeof(what), "binding queue %s to %s", name, exchange);
	amqp_queue_bind(q->conn, Q_CHANNEL, amqp_cstring_bytes(name),
			amqp_cstring_bytes(exchange), amqp_cstring_bytes(key),
			amqp_empty_table);
	return queue_rpc_check(q, what);
}

/* Idempotent: the same arguments every time, so redeclaring is a no-op. */
int queue_declare_topology(struct queue *q)
{
	amqp_table_entry_t a[2];
	char retry[160], what[128];
	size_t i;
	int rc;

	snprintf(what, sizeof(what), "declaring exchange %s", QUEUE_EXCHANGE);
	amqp_exchange_declare(q->conn, Q_CHANNEL, amqp_cstring_bytes(QUEUE_EXCHANGE),
			      amqp_cstring_bytes("direct"), 0, 1, 0, 0,
			      amqp_empty_table);
	if ((rc = queue_rpc_check(q, what)) != QUEUE_OK)
		return rc;
	snprintf(what, sizeof(what), "declaring exchange %s", QUEUE_DLX);
	amqp_exchange_declare(q->conn, Q_CHANNEL, amqp_cstring_bytes(QUEUE_DLX),
			      amqp_cstring_bytes("fanout"), 0, 1, 0, 0,
			      amqp_empty_table);
	if ((rc = queue_rpc_check(q, what)) != QUEUE_OK)
		return rc;
	if ((rc = declare_queue(q, QUEUE_DEAD, NULL, 0, QUEUE_DLX, "")) != QUEUE_OK)
		return rc;
	for (i = 0; q_stages[i]; i++) {
		a[0] = str_entry("x-dead-letter-exchange", QUEUE_DLX);
		rc = declare_queue(q, q_stages[i], a, 1, QUEUE_EXCHANGE,
				   q_stages[i]);
		if (rc != QUEUE_OK)
			return rc;
		/* Parked messages expire (per-message TTL) back to the stage. */
		snprintf(retry, sizeof(retry), "%s.retry", q_stages[i]);
		a[0] = str_entry("x-dead-letter-exchange", QUEUE_EXCHANGE);
		a[1] = str_entry("x-dead-letter-routing-key", q_stages[i]);
		rc = declare_queue(q, retry, a, 2, QUEUE_EXCHANGE, retry);
		if (rc != QUEUE_OK)
			return rc;
	}
	return QUEUE_OK;
}

int queue_start_consumer(struct queue *q)
{
	char what[192];
	int rc;

	snprintf(what, sizeof(what), "setting prefetch %d", q->prefetch);
	amqp_basic_qos(q->conn, Q_CHANNEL, 0, (uint16_t)q->prefetch, 0);
	if ((rc = queue_rpc_check(q, what)) != QUEUE_OK)
		return rc;
	snprintf(what, sizeof(what), "consuming queue %s", q->consume_queue);
	amqp_basic_consume(q->conn, Q_CHANNEL, amqp_cstring_bytes(q->consume_queue),
			   amqp_empty_bytes, 0, 0, 0, amqp_empty_table);
	return queue_rpc_check(q, what);
}
