/* queue_publish: persistent publishes and waiting for the broker's
 * publisher confirms. */
#include "config.h"

#include <amqp.h>
#include <amqp_framing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "queue/queue.h"
#include "queue/queue_int.h"

/* Mark confirm states for tags [first, first+n) hit by an ack/nack. */
static size_t mark(unsigned char *st, uint64_t first, size_t n, uint64_t tag,
		   int multiple, unsigned char val)
{
	size_t i, hit = 0;

	for (i = 0; i < n; i++) {
		uint64_t t = first + i;

		if ((t == tag || (multiple && t < tag)) && st[i] == 0) {
			st[i] = val;
			hit++;
		}
	}
	return hit;
}

/*
 * Wait until every tag in [first, first+n) is acked or nacked. Returns
 * QUEUE_OK when all were acked; QUEUE_ERR otherwise (q->err says why;
 * the connection is dropped on timeouts, returns and breakage, since its
 * state is then unknown).
 */
static int wait_confirms(struct queue *q, uint64_t first, size_t n,
			 const char *rk)
{
	unsigned char *st = calloc(n, 1);
	size_t left = n, nacked = 0, returned = 0;
	int64_t deadline = queue_now_ms() + q->o.confirm_timeout_ms;
	int rc = QUEUE_ERR, status;
	amqp_frame_t f;

	if (!st) {
		queue_set_err(q, "out of memory waiting for confirms");
		goto out;
	}
	while (left > 0) {
		int64_t wait = deadline - queue_now_ms();
		struct timeval tv;

		if (wait <= 0) {
			queue_set_err(q, "broker %s did not confirm %zu of %zu "
				"message(s) to %s within %d ms", q->url_masked,
				left, n, rk, q->o.confirm_timeout_ms);
			queue_drop(q);
			goto out;
		}
		queue_ms_to_tv(wait > 1000 ? 1000 : (int)wait, &tv);
		status = amqp_simple_wait_frame_noblock(q->conn, &f, &tv);
		if (status == AMQP_STATUS_TIMEOUT)
			continue;
		if (status != AMQP_STATUS_OK) {
			queue_lost(q, "waiting for publisher confirms", status);
			goto out;
		}
		if (f.frame_type != AMQP_FRAME_METHOD)
			continue; /* header/body of a basic.return */
		switch (f.payload.method.id) {
		case AMQP_BASIC_ACK_METHOD: {
			const amqp_basic_ack_t *a = f.payload.method.decoded;

			left -= mark(st, first, n, a->delivery_tag, a->multiple, 1);
			break;
		}
		case AMQP_BASIC_NACK_METHOD: {
			const amqp_basic_nack_t *a = f.payload.method.decoded;
			size_t k = mark(st, first, n, a->delivery_tag,
					a->multiple, 2);

			left -= k;
			nacked += k;
			break;
		}
		case AMQP_BASIC_RETURN_METHOD:
			returned++;
			break;
		case AMQP_CONNECTION_CLOSE_METHOD:
		case AMQP_CHANNEL_CLOSE_METHOD:
			queue_note_close(q, &f);
			goto out;
		default:
			break;
		}
	}
	if (returned) {
		/* Unroutable: someone deleted a queue or binding; reconnecting
		 * declares the topology again. */
		queue_set_err(q, "broker %s returned %zu message(s) to %s as "
			"unroutable; the topology is redeclared on reconnect",
			q->url_masked, returned, rk);
		queue_drop(q);
		goto out;
	}
	if (nacked) {
		queue_set_err(q, "broker %s refused (nack) %zu of %zu message(s) to %s",
			q->url_masked, nacked, n, rk);
		goto out;
	}
	amqp_maybe_release_buffers(q->conn);
	rc = QUEUE_OK;
out:
	free(st);
	return rc;
}

/* One attempt on the current connection; see queue_publish. */
static int publish_once(struct queue *q, const char *rk,
			const struct queue_msg *msgs, size_t n, int ttl_ms)
{
	amqp_basic_properties_t p;
	char body[192], ttl[24];
	size_t off, i;
	int rc, st;

	if (!q->confirming) {
		/* librabbitmq 0.11 ships the confirm.select RPC wrapper but no
		 * confirm reader; wait_confirms reads the acks itself. */
		amqp_confirm_select(q->conn, Q_CHANNEL);
		if ((rc = queue_rpc_check(q, "enabling publisher confirms")) != QUEUE_OK) {
			queue_drop(q);
			return rc;
		}
		q->confirming = 1;
		q->next_tag = 1;
	}
	memset(&p, 0, sizeof(p));
	p._flags = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG;
	p.content_type = amqp_cstring_bytes("application/json");
	p.delivery_mode = AMQP_DELIVERY_PERSISTENT;
	if (ttl_ms > 0) {
		snprintf(ttl, sizeof(ttl), "%d", ttl_ms);
		p._flags |= AMQP_BASIC_EXPIRATION_FLAG;
		p.expiration = amqp_cstring_bytes(ttl);
	}
	for (off = 0; off < n; off += Q_WINDOW) {
		size_t k = n - off < Q_WINDOW ? n - off : Q_WINDOW;
		uint64_t first = q->next_tag;

		for (i = 0; i < k; i++) {
			int len = queue_msg_encode(&msgs[off + i], body, sizeof(body));
			amqp_bytes_t b;

			if (len < 0) {
				queue_set_err(q, "cannot encode a message");
				return QUEUE_ERR;
			}
			b.len = (size_t)len;
			b.bytes = body;
			/* mandatory: an unroutable message comes back rather
			 * than being acked into nowhere. */
			st = amqp_basic_publish(q->conn, Q_CHANNEL,
						amqp_cstring_bytes(QUEUE_EXCHANGE),
						amqp_cstring_bytes(rk), 1, 0, &p, b);
			if (st != AMQP_STATUS_OK)
				return queue_lost(q, "publishing", st);
			q->next_tag++;
		}
		if ((rc = wait_confirms(q, first, k, rk)) != QUEUE_OK)
			return rc;
	}
	return QUEUE_OK;
}

int queue_publish_ex(struct queue *q, const char *rk,
		      const struct queue_msg *msgs, size_t n, int ttl_ms)
{
	int64_t deadline = queue_budget_deadline(q);
	int rc;

	if (n == 0)
		return QUEUE_OK;
	for (;;) {
		if ((rc = queue_ensure_conn(q, deadline)) != QUEUE_OK)
			return rc;
		rc = publish_once(q, rk, msgs, n, ttl_ms);
		/* Retry only when the connection broke (it is gone now); a
		 * nack on a live connection goes back to the caller. */
		if (rc == QUEUE_OK || q->conn || queue_now_ms() >= deadline ||
		    queue_stopped(q))
			return rc;
	}
}

int queue_publish(struct queue *q, const char *routing_key,
		  const struct queue_msg *msgs, size_t n)
{
	return queue_publish_ex(q, routing_key, msgs, n, 0);
}

int queue_publish_raw(struct queue *q, int64_t tenant_id, int64_t raw_id)
{
	return queue_publish_raw_at(q, tenant_id, raw_id, NULL);
}

int queue_publish_raw_at(struct queue *q, int64_t tenant_id, int64_t raw_id,
			 const char *created_at)
{
	struct queue_msg m;

	memset(&m, 0, sizeof(m));
	m.tenant_id = tenant_id;
	m.raw_id = raw_id;
	if (created_at)
		snprintf(m.created_at, sizeof(m.created_at), "%s", created_at);
	return queue_publish_ex(q, QUEUE_TRANSFORM, &m, 1, 0);
}

int queue_publish_raw_batch(struct queue *q, const struct queue_msg *msgs,
			    size_t n)
{
	return queue_publish_ex(q, QUEUE_TRANSFORM, msgs, n, 0);
}
