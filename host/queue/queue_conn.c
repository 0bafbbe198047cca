/* queue_conn: connecting, reconnecting with backoff, and reading
 * the broker's refusals into operator-readable errors. */
#include "config.h"

#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_tcp_socket.h>
#include <inttypes.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>

#include "base/log.h"
#include "queue/queue.h"
#include "queue/queue_int.h"

/*
 * Turn an RPC reply into q->err; returns QUEUE_EPERM for refusals an
 * operator must fix, QUEUE_ERR for everything worth retrying.
 */
int queue_reply_err(struct queue *q, amqp_rpc_reply_t r, const char *what)
{
	const amqp_connection_close_t *cc;
	const amqp_channel_close_t *ch;

	switch (r.reply_type) {
	case AMQP_RESPONSE_NORMAL:
		return QUEUE_OK;
	case AMQP_RESPONSE_NONE:
		queue_set_err(q, "broker %s: %s: no reply from the broker",
			q->url_masked, what);
		return QUEUE_ERR;
	case AMQP_RESPONSE_LIBRARY_EXCEPTION:
		queue_set_err(q, "broker %s: %s: %s", q->url_masked, what,
			amqp_error_string2(r.library_error));
		return QUEUE_ERR;
	case AMQP_RESPONSE_SERVER_EXCEPTION:
		break;
	}
	if (r.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
		cc = r.reply.decoded;
		if (cc->reply_code == AMQP_ACCESS_REFUSED) {
			queue_set_err(q, "broker %s refused the login of user '%s' "
				"(403: %.*s); fix user and password in "
				"broker_url or PULSE_HOST_BROKER_URL",
				q->url_masked, q->ci.user,
				(int)cc->reply_text.len,
				(const char *)cc->reply_text.bytes);
			return QUEUE_EPERM;
		}
		queue_set_err(q, "broker %s closed the connection during %s (%u: %.*s)%s",
			q->url_masked, what, cc->reply_code,
			(int)cc->reply_text.len, (const char *)cc->reply_text.bytes,
			cc->reply_code == AMQP_NOT_ALLOWED ?
			"; create the vhost (rabbitmqctl add_vhost) and grant "
			"the user rights on it, or fix broker_url" : "");
		return cc->reply_code == AMQP_NOT_ALLOWED ? QUEUE_EPERM : QUEUE_ERR;
	}
	if (r.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
		ch = r.reply.decoded;
		queue_set_err(q, "broker %s refused %s (%u: %.*s)%s", q->url_masked,
			what, ch->reply_code, (int)ch->reply_text.len,
			(const char *)ch->reply_text.bytes,
			ch->reply_code == AMQP_PRECONDITION_FAILED ?
			"; it exists with other settings: delete it "
			"(rabbitmqctl delete_queue / delete_exchange) so "
			"pulse-host can declare it" :
			ch->reply_code == AMQP_ACCESS_REFUSED ?
			"; grant the user configure/write/read rights "
			"(rabbitmqctl set_permissions)" : "");
		return ch->reply_code == AMQP_PRECONDITION_FAILED ||
		       ch->reply_code == AMQP_ACCESS_REFUSED ? QUEUE_EPERM :
							       QUEUE_ERR;
	}
	queue_set_err(q, "broker %s: %s: unexpected method 0x%08x", q->url_masked,
		what, (unsigned)r.reply.id);
	return QUEUE_ERR;
}

int queue_rpc_check(struct queue *q, const char *what)
{
	return queue_reply_err(q, amqp_get_rpc_reply(q->conn), what);
}

int queue_connect(struct queue *q)
{
	amqp_socket_t *s;
	struct timeval tv;
	amqp_rpc_reply_t r;
	int st, rc = QUEUE_ERR;

	queue_drop(q);
	q->conn = amqp_new_connection();
	if (!q->conn) {
		queue_set_err(q, "broker %s: out of memory", q->url_masked);
		goto out;
	}
	s = amqp_tcp_socket_new(q->conn);
	if (!s) {
		queue_set_err(q, "broker %s: cannot create a socket", q->url_masked);
		goto out;
	}
	queue_ms_to_tv(q->o.connect_timeout_ms, &tv);
	st = amqp_socket_open_noblock(s, q->ci.host, q->ci.port, &tv);
	if (st != AMQP_STATUS_OK) {
		queue_set_err(q, "cannot reach broker %s: %s%s", q->url_masked,
			amqp_error_string2(st),
			st == AMQP_STATUS_HOSTNAME_RESOLUTION_FAILED ?
			"; check the host name in broker_url" :
			"; is RabbitMQ running there?");
		goto out;
	}
	amqp_set_handshake_timeout(q->conn, &tv);
	/* Bound every RPC (declare, qos, close) so nothing hangs forever. */
	queue_ms_to_tv(q->o.confirm_timeout_ms, &tv);
	amqp_set_rpc_timeout(q->conn, &tv);
	r = amqp_login(q->conn, q->ci.vhost, 0, Q_FRAME_MAX, q->o.heartbeat_s,
		       AMQP_SASL_METHOD_PLAIN, q->ci.user, q->ci.password);
	if ((rc = queue_reply_err(q, r, "login")) != QUEUE_OK)
		goto out;
	amqp_channel_open(q->conn, Q_CHANNEL);
	if ((rc = queue_rpc_check(q, "opening a channel")) != QUEUE_OK)
		goto out;
	if ((rc = queue_declare_topology(q)) != QUEUE_OK)
		goto out;
	if (q->consume_queue[0] && (rc = queue_start_consumer(q)) != QUEUE_OK)
		goto out;
	q->generation++;
	rc = QUEUE_OK;
out:
	if (rc != QUEUE_OK && q->conn) {
		amqp_destroy_connection(q->conn);
		q->conn = NULL;
	}
	return rc;
}

/* Sleep ms in short slices; returns -1 as soon as *stop is raised. */
static int nap(struct queue *q, int ms)
{
	int64_t end = queue_now_ms() + ms;

	while (!queue_stopped(q)) {
		int64_t left = end - queue_now_ms();
		struct timespec ts;

		if (left <= 0)
			return 0;
		if (left > 100)
			left = 100;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)left * 1000000L;
		nanosleep(&ts, NULL);
	}
	return -1;
}

/* Exponential backoff with "equal jitter": half fixed, half random. */
static int backoff_ms(struct queue *q)
{
	int64_t d = q->o.backoff_min_ms;
	int i;

	for (i = 1; i < q->failures && d < q->o.backoff_max_ms; i++)
		d *= 2;
	if (d > q->o.backoff_max_ms)
		d = q->o.backoff_max_ms;
	return (int)(d / 2 + rand_r(&q->seed) % (d / 2 + 1));
}

/*
 * Connect, retrying with backoff until connected, *stop, or `deadline`
 * (a queue_now_ms() value; 0 = no deadline). A refusal before we ever connected
 * is a configuration error and returned at once.
 */
int queue_connect_retry(struct queue *q, int64_t deadline)
{
	int rc, delay;

	for (;;) {
		if (queue_stopped(q))
			return QUEUE_STOPPED;
		rc = queue_connect(q);
		if (rc == QUEUE_OK) {
			if (q->failures > 0 || q->generation > 1)
				log_info("QUEUE", "event=reconnected broker=%s "
					 "attempts=%d downtime_ms=%" PRId64,
					 q->url_masked, q->failures + 1,
					 q->down_since_ms ?
					 queue_now_ms() - q->down_since_ms : 0);
			else
				log_debug("QUEUE", "event=connected broker=%s",
					  q->url_masked);
			q->failures = 0;
			q->down_since_ms = 0;
			return QUEUE_OK;
		}
		if (rc == QUEUE_EPERM && q->generation == 0) {
			log_error("QUEUE", "event=refused broker=%s error=\"%s\"",
				  q->url_masked, q->err);
			return rc;
		}
		if (!q->down_since_ms)
			q->down_since_ms = queue_now_ms();
		q->failures++;
		delay = backoff_ms(q);
		if (deadline && queue_now_ms() + delay > deadline) {
			log_warn("QUEUE", "event=give_up broker=%s attempt=%d "
				 "error=\"%s\"", q->url_masked, q->failures,
				 q->err);
			return rc;
		}
		log_msg(rc == QUEUE_EPERM ? LOG_ERROR : LOG_WARN, "QUEUE",
			"event=reconnect broker=%s attempt=%d error=\"%s\" "
			"next_retry_ms=%d", q->url_masked, q->failures, q->err,
			delay);
		if (nap(q, delay) < 0)
			return QUEUE_STOPPED;
	}
}

int64_t queue_budget_deadline(const struct queue *q)
{
	if (q->o.publish_budget_ms < 0)
		return queue_now_ms(); /* one try */
	return queue_now_ms() + q->o.publish_budget_ms;
}

/* Connected, or reconnected within the publish budget. */
int queue_ensure_conn(struct queue *q, int64_t deadline)
{
	if (q->conn)
		return QUEUE_OK;
	return queue_connect_retry(q, deadline);
}

/* The connection broke under us: note why, drop it. */
int queue_lost(struct queue *q, const char *what, int status)
{
	queue_set_err(q, "broker %s: connection lost while %s: %s", q->url_masked,
		what, amqp_error_string2(status));
	log_warn("QUEUE", "event=connection_lost broker=%s during=\"%s\" "
		 "error=\"%s\"", q->url_masked, what, amqp_error_string2(status));
	queue_drop(q);
	return QUEUE_ERR;
}

/* Describe a close the broker sent us unasked (shutdown, deleted queue). */
void queue_note_close(struct queue *q, const amqp_frame_t *f)
{
	const amqp_connection_close_t *cc;
	const amqp_channel_close_t *ch;

	if (f->payload.method.id == AMQP_CONNECTION_CLOSE_METHOD) {
		cc = f->payload.method.decoded;
		queue_set_err(q, "broker %s closed the connection (%u: %.*s)",
			q->url_masked, cc->reply_code, (int)cc->reply_text.len,
			(const char *)cc->reply_text.bytes);
	} else if (f->payload.method.id == AMQP_CHANNEL_CLOSE_METHOD) {
		ch = f->payload.method.decoded;
		queue_set_err(q, "broker %s closed the channel (%u: %.*s)",
			q->url_masked, ch->reply_code, (int)ch->reply_text.len,
			(const char *)ch->reply_text.bytes);
	} else {
		queue_set_err(q, "broker %s cancelled our consumer (queue deleted?)",
			q->url_masked);
	}
	log_warn("QUEUE", "event=closed_by_broker error=\"%s\"", q->err);
	queue_drop(q);
}
