/* queue: RabbitMQ stages over librabbitmq 0.11 (see queue.h). */
#include "config.h"

#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_tcp_socket.h>
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "base/conf.h"
#include "base/log.h"
#include "pipeline/pipeline.h"
#include "queue/queue.h"

#define Q_CHANNEL 1
#define Q_FRAME_MAX 131072
#define Q_WINDOW 256 /* publishes in flight before we wait for confirms */

/* Stage queues: each dead-letters to pulse.dlx and has a retry queue. */
static const char *const q_stages[] = {QUEUE_TRANSFORM, QUEUE_VECTORIZE, NULL};

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

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void ms_to_tv(int ms, struct timeval *tv)
{
	if (ms < 0)
		ms = 0;
	tv->tv_sec = ms / 1000;
	tv->tv_usec = (ms % 1000) * 1000;
}

static int stopped(const struct queue *q)
{
	return q->o.stop && *q->o.stop;
}

static void set_err(struct queue *q, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void set_err(struct queue *q, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(q->err, sizeof(q->err), fmt, ap);
	va_end(ap);
}

size_t queue_mask_url(const char *url, char *out, size_t outlen)
{
	const char *auth, *at, *colon, *slash;
	int n;

	if (!outlen)
		return 0;
	auth = strstr(url, "://");
	auth = auth ? auth + 3 : url;
	slash = strchr(auth, '/');
	at = NULL;
	/* The last '@' before the path ends the user info. */
	for (const char *p = auth; *p && (!slash || p < slash); p++)
		if (*p == '@')
			at = p;
	colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
	if (!colon)
		n = snprintf(out, outlen, "%s", url);
	else
		n = snprintf(out, outlen, "%.*s***%s", (int)(colon + 1 - url),
			     url, at);
	if (n < 0)
		n = 0;
	return (size_t)n < outlen ? (size_t)n : outlen - 1;
}

int queue_msg_encode(const struct queue_msg *m, char *out, size_t outlen)
{
	int n = snprintf(out, outlen, "{\"tenant_id\":%" PRId64 ",\"raw_id\":%"
			 PRId64 "}", m->tenant_id, m->raw_id);

	return n < 0 || (size_t)n >= outlen ? -1 : n;
}

int queue_msg_decode(const void *body, size_t len, struct queue_msg *m)
{
	struct json_tokener *tok = NULL;
	struct json_object *o = NULL, *t, *r;
	int rc = -1;

	memset(m, 0, sizeof(*m));
	if (!body || len == 0 || len > 4096)
		goto out;
	tok = json_tokener_new();
	if (!tok)
		goto out;
	o = json_tokener_parse_ex(tok, body, (int)len);
	if (!o || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len ||
	    !json_object_is_type(o, json_type_object))
		goto out;
	if (!json_object_object_get_ex(o, "tenant_id", &t) ||
	    !json_object_object_get_ex(o, "raw_id", &r) ||
	    !json_object_is_type(t, json_type_int) ||
	    !json_object_is_type(r, json_type_int))
		goto out;
	m->tenant_id = json_object_get_int64(t);
	m->raw_id = json_object_get_int64(r);
	if (m->tenant_id <= 0 || m->raw_id <= 0 || m->raw_id == INT64_MAX ||
	    m->tenant_id == INT64_MAX)
		goto out;
	rc = 0;
out:
	if (rc)
		memset(m, 0, sizeof(*m));
	json_object_put(o);
	if (tok)
		json_tokener_free(tok);
	return rc;
}

int queue_open(const char *url, const struct queue_opts *opts,
	       struct queue **out, char *err, size_t errlen)
{
	struct queue *q;

	*out = NULL;
	q = calloc(1, sizeof(*q));
	if (!q || !(q->url_buf = strdup(url ? url : ""))) {
		snprintf(err, errlen, "out of memory");
		free(q);
		return QUEUE_ERR;
	}
	if (opts)
		q->o = *opts;
	if (q->o.heartbeat_s <= 0)
		q->o.heartbeat_s = 10;
	if (q->o.connect_timeout_ms <= 0)
		q->o.connect_timeout_ms = 5000;
	if (q->o.confirm_timeout_ms <= 0)
		q->o.confirm_timeout_ms = 10000;
	if (q->o.publish_budget_ms == 0)
		q->o.publish_budget_ms = 30000;
	if (q->o.backoff_min_ms <= 0)
		q->o.backoff_min_ms = 250;
	if (q->o.backoff_max_ms <= 0)
		q->o.backoff_max_ms = 10000;
	if (q->o.backoff_max_ms < q->o.backoff_min_ms)
		q->o.backoff_max_ms = q->o.backoff_min_ms;
	if (q->o.retry_delay_ms <= 0)
		q->o.retry_delay_ms = 5000;
	q->seed = (unsigned int)getpid() ^ (unsigned int)now_ms();
	queue_mask_url(q->url_buf, q->url_masked, sizeof(q->url_masked));
	amqp_default_connection_info(&q->ci);
	if (strncmp(url ? url : "", "amqp://", 7) != 0 ||
	    amqp_parse_url(q->url_buf, &q->ci) != AMQP_STATUS_OK) {
		snprintf(err, errlen, "broker_url '%s' is not an AMQP URL; write "
			 "it as amqp://user:password@host:port/vhost (vhost \"/\" "
			 "is spelled %%2f)", q->url_masked);
		queue_close(q);
		return QUEUE_EPERM;
	}
	*out = q;
	return QUEUE_OK;
}

const char *queue_url_masked(const struct queue *q)
{
	return q->url_masked;
}

const char *queue_error(const struct queue *q)
{
	return q->err[0] ? q->err : "no error";
}

uint64_t queue_generation(const struct queue *q)
{
	return q->generation;
}

/* Forget the connection without a goodbye (the broker is gone anyway). */
static void q_drop(struct queue *q)
{
	if (q->conn) {
		amqp_destroy_connection(q->conn);
		q->conn = NULL;
		q->down_since_ms = now_ms();
	}
	q->confirming = 0;
}

void queue_close(struct queue *q)
{
	if (!q)
		return;
	if (q->conn) {
		struct timeval tv = {2, 0};

		/* Unacked deliveries go back to their queue on close. A
		 * broker that does not answer within 2 s is left behind. */
		amqp_set_rpc_timeout(q->conn, &tv);
		amqp_channel_close(q->conn, Q_CHANNEL, AMQP_REPLY_SUCCESS);
		amqp_connection_close(q->conn, AMQP_REPLY_SUCCESS);
		amqp_destroy_connection(q->conn);
	}
	free(q->url_buf);
	free(q);
}

/*
 * Turn an RPC reply into q->err; returns QUEUE_EPERM for refusals an
 * operator must fix, QUEUE_ERR for everything worth retrying.
 */
static int reply_err(struct queue *q, amqp_rpc_reply_t r, const char *what)
{
	const amqp_connection_close_t *cc;
	const amqp_channel_close_t *ch;

	switch (r.reply_type) {
	case AMQP_RESPONSE_NORMAL:
		return QUEUE_OK;
	case AMQP_RESPONSE_NONE:
		set_err(q, "broker %s: %s: no reply from the broker",
			q->url_masked, what);
		return QUEUE_ERR;
	case AMQP_RESPONSE_LIBRARY_EXCEPTION:
		set_err(q, "broker %s: %s: %s", q->url_masked, what,
			amqp_error_string2(r.library_error));
		return QUEUE_ERR;
	case AMQP_RESPONSE_SERVER_EXCEPTION:
		break;
	}
	if (r.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
		cc = r.reply.decoded;
		if (cc->reply_code == AMQP_ACCESS_REFUSED) {
			set_err(q, "broker %s refused the login of user '%s' "
				"(403: %.*s); fix user and password in "
				"broker_url or PULSE_HOST_BROKER_URL",
				q->url_masked, q->ci.user,
				(int)cc->reply_text.len,
				(const char *)cc->reply_text.bytes);
			return QUEUE_EPERM;
		}
		set_err(q, "broker %s closed the connection during %s (%u: %.*s)%s",
			q->url_masked, what, cc->reply_code,
			(int)cc->reply_text.len, (const char *)cc->reply_text.bytes,
			cc->reply_code == AMQP_NOT_ALLOWED ?
			"; create the vhost (rabbitmqctl add_vhost) and grant "
			"the user rights on it, or fix broker_url" : "");
		return cc->reply_code == AMQP_NOT_ALLOWED ? QUEUE_EPERM : QUEUE_ERR;
	}
	if (r.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
		ch = r.reply.decoded;
		set_err(q, "broker %s refused %s (%u: %.*s)%s", q->url_masked,
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
	set_err(q, "broker %s: %s: unexpected method 0x%08x", q->url_masked,
		what, (unsigned)r.reply.id);
	return QUEUE_ERR;
}

static int rpc_check(struct queue *q, const char *what)
{
	return reply_err(q, amqp_get_rpc_reply(q->conn), what);
}

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
	if ((rc = rpc_check(q, what)) != QUEUE_OK)
		return rc;
	snprintf(what, sizeof(what), "binding queue %s to %s", name, exchange);
	amqp_queue_bind(q->conn, Q_CHANNEL, amqp_cstring_bytes(name),
			amqp_cstring_bytes(exchange), amqp_cstring_bytes(key),
			amqp_empty_table);
	return rpc_check(q, what);
}

/* Idempotent: the same arguments every time, so redeclaring is a no-op. */
static int declare_topology(struct queue *q)
{
	amqp_table_entry_t a[2];
	char retry[160], what[128];
	size_t i;
	int rc;

	snprintf(what, sizeof(what), "declaring exchange %s", QUEUE_EXCHANGE);
	amqp_exchange_declare(q->conn, Q_CHANNEL, amqp_cstring_bytes(QUEUE_EXCHANGE),
			      amqp_cstring_bytes("direct"), 0, 1, 0, 0,
			      amqp_empty_table);
	if ((rc = rpc_check(q, what)) != QUEUE_OK)
		return rc;
	snprintf(what, sizeof(what), "declaring exchange %s", QUEUE_DLX);
	amqp_exchange_declare(q->conn, Q_CHANNEL, amqp_cstring_bytes(QUEUE_DLX),
			      amqp_cstring_bytes("fanout"), 0, 1, 0, 0,
			      amqp_empty_table);
	if ((rc = rpc_check(q, what)) != QUEUE_OK)
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

static int start_consumer(struct queue *q)
{
	char what[192];
	int rc;

	snprintf(what, sizeof(what), "setting prefetch %d", q->prefetch);
	amqp_basic_qos(q->conn, Q_CHANNEL, 0, (uint16_t)q->prefetch, 0);
	if ((rc = rpc_check(q, what)) != QUEUE_OK)
		return rc;
	snprintf(what, sizeof(what), "consuming queue %s", q->consume_queue);
	amqp_basic_consume(q->conn, Q_CHANNEL, amqp_cstring_bytes(q->consume_queue),
			   amqp_empty_bytes, 0, 0, 0, amqp_empty_table);
	return rpc_check(q, what);
}

int queue_connect(struct queue *q)
{
	amqp_socket_t *s;
	struct timeval tv;
	amqp_rpc_reply_t r;
	int st, rc = QUEUE_ERR;

	q_drop(q);
	q->conn = amqp_new_connection();
	if (!q->conn) {
		set_err(q, "broker %s: out of memory", q->url_masked);
		goto out;
	}
	s = amqp_tcp_socket_new(q->conn);
	if (!s) {
		set_err(q, "broker %s: cannot create a socket", q->url_masked);
		goto out;
	}
	ms_to_tv(q->o.connect_timeout_ms, &tv);
	st = amqp_socket_open_noblock(s, q->ci.host, q->ci.port, &tv);
	if (st != AMQP_STATUS_OK) {
		set_err(q, "cannot reach broker %s: %s%s", q->url_masked,
			amqp_error_string2(st),
			st == AMQP_STATUS_HOSTNAME_RESOLUTION_FAILED ?
			"; check the host name in broker_url" :
			"; is RabbitMQ running there?");
		goto out;
	}
	amqp_set_handshake_timeout(q->conn, &tv);
	/* Bound every RPC (declare, qos, close) so nothing hangs forever. */
	ms_to_tv(q->o.confirm_timeout_ms, &tv);
	amqp_set_rpc_timeout(q->conn, &tv);
	r = amqp_login(q->conn, q->ci.vhost, 0, Q_FRAME_MAX, q->o.heartbeat_s,
		       AMQP_SASL_METHOD_PLAIN, q->ci.user, q->ci.password);
	if ((rc = reply_err(q, r, "login")) != QUEUE_OK)
		goto out;
	amqp_channel_open(q->conn, Q_CHANNEL);
	if ((rc = rpc_check(q, "opening a channel")) != QUEUE_OK)
		goto out;
	if ((rc = declare_topology(q)) != QUEUE_OK)
		goto out;
	if (q->consume_queue[0] && (rc = start_consumer(q)) != QUEUE_OK)
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
	int64_t end = now_ms() + ms;

	while (!stopped(q)) {
		int64_t left = end - now_ms();
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
 * (a now_ms() value; 0 = no deadline). A refusal before we ever connected
 * is a configuration error and returned at once.
 */
static int connect_retry(struct queue *q, int64_t deadline)
{
	int rc, delay;

	for (;;) {
		if (stopped(q))
			return QUEUE_STOPPED;
		rc = queue_connect(q);
		if (rc == QUEUE_OK) {
			if (q->failures > 0 || q->generation > 1)
				log_info("QUEUE", "event=reconnected broker=%s "
					 "attempts=%d downtime_ms=%" PRId64,
					 q->url_masked, q->failures + 1,
					 q->down_since_ms ?
					 now_ms() - q->down_since_ms : 0);
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
			q->down_since_ms = now_ms();
		q->failures++;
		delay = backoff_ms(q);
		if (deadline && now_ms() + delay > deadline) {
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

static int64_t budget_deadline(const struct queue *q)
{
	if (q->o.publish_budget_ms < 0)
		return now_ms(); /* one try */
	return now_ms() + q->o.publish_budget_ms;
}

/* Connected, or reconnected within the publish budget. */
static int ensure_conn(struct queue *q, int64_t deadline)
{
	if (q->conn)
		return QUEUE_OK;
	return connect_retry(q, deadline);
}

/* The connection broke under us: note why, drop it. */
static int lost(struct queue *q, const char *what, int status)
{
	set_err(q, "broker %s: connection lost while %s: %s", q->url_masked,
		what, amqp_error_string2(status));
	log_warn("QUEUE", "event=connection_lost broker=%s during=\"%s\" "
		 "error=\"%s\"", q->url_masked, what, amqp_error_string2(status));
	q_drop(q);
	return QUEUE_ERR;
}

/* Read a method frame the library did not expect; returns its id, or 0. */
static amqp_method_number_t read_stray(struct queue *q, amqp_frame_t *f,
				       int *status)
{
	*status = amqp_simple_wait_frame(q->conn, f);
	if (*status != AMQP_STATUS_OK || f->frame_type != AMQP_FRAME_METHOD)
		return 0;
	return f->payload.method.id;
}

/* Describe a close the broker sent us unasked (shutdown, deleted queue). */
static void note_close(struct queue *q, const amqp_frame_t *f)
{
	const amqp_connection_close_t *cc;
	const amqp_channel_close_t *ch;

	if (f->payload.method.id == AMQP_CONNECTION_CLOSE_METHOD) {
		cc = f->payload.method.decoded;
		set_err(q, "broker %s closed the connection (%u: %.*s)",
			q->url_masked, cc->reply_code, (int)cc->reply_text.len,
			(const char *)cc->reply_text.bytes);
	} else if (f->payload.method.id == AMQP_CHANNEL_CLOSE_METHOD) {
		ch = f->payload.method.decoded;
		set_err(q, "broker %s closed the channel (%u: %.*s)",
			q->url_masked, ch->reply_code, (int)ch->reply_text.len,
			(const char *)ch->reply_text.bytes);
	} else {
		set_err(q, "broker %s cancelled our consumer (queue deleted?)",
			q->url_masked);
	}
	log_warn("QUEUE", "event=closed_by_broker error=\"%s\"", q->err);
	q_drop(q);
}

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
	int64_t deadline = now_ms() + q->o.confirm_timeout_ms;
	int rc = QUEUE_ERR, status;
	amqp_frame_t f;

	if (!st) {
		set_err(q, "out of memory waiting for confirms");
		goto out;
	}
	while (left > 0) {
		int64_t wait = deadline - now_ms();
		struct timeval tv;

		if (wait <= 0) {
			set_err(q, "broker %s did not confirm %zu of %zu "
				"message(s) to %s within %d ms", q->url_masked,
				left, n, rk, q->o.confirm_timeout_ms);
			q_drop(q);
			goto out;
		}
		ms_to_tv(wait > 1000 ? 1000 : (int)wait, &tv);
		status = amqp_simple_wait_frame_noblock(q->conn, &f, &tv);
		if (status == AMQP_STATUS_TIMEOUT)
			continue;
		if (status != AMQP_STATUS_OK) {
			lost(q, "waiting for publisher confirms", status);
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
			note_close(q, &f);
			goto out;
		default:
			break;
		}
	}
	if (returned) {
		/* Unroutable: someone deleted a queue or binding; reconnecting
		 * declares the topology again. */
		set_err(q, "broker %s returned %zu message(s) to %s as "
			"unroutable; the topology is redeclared on reconnect",
			q->url_masked, returned, rk);
		q_drop(q);
		goto out;
	}
	if (nacked) {
		set_err(q, "broker %s refused (nack) %zu of %zu message(s) to %s",
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
	char body[128], ttl[24];
	size_t off, i;
	int rc, st;

	if (!q->confirming) {
		/* librabbitmq 0.11 ships the confirm.select RPC wrapper but no
		 * confirm reader; wait_confirms reads the acks itself. */
		amqp_confirm_select(q->conn, Q_CHANNEL);
		if ((rc = rpc_check(q, "enabling publisher confirms")) != QUEUE_OK) {
			q_drop(q);
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
				set_err(q, "cannot encode a message");
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
				return lost(q, "publishing", st);
			q->next_tag++;
		}
		if ((rc = wait_confirms(q, first, k, rk)) != QUEUE_OK)
			return rc;
	}
	return QUEUE_OK;
}

static int publish_ex(struct queue *q, const char *rk,
		      const struct queue_msg *msgs, size_t n, int ttl_ms)
{
	int64_t deadline = budget_deadline(q);
	int rc;

	if (n == 0)
		return QUEUE_OK;
	for (;;) {
		if ((rc = ensure_conn(q, deadline)) != QUEUE_OK)
			return rc;
		rc = publish_once(q, rk, msgs, n, ttl_ms);
		/* Retry only when the connection broke (it is gone now); a
		 * nack on a live connection goes back to the caller. */
		if (rc == QUEUE_OK || q->conn || now_ms() >= deadline ||
		    stopped(q))
			return rc;
	}
}

int queue_publish(struct queue *q, const char *routing_key,
		  const struct queue_msg *msgs, size_t n)
{
	return publish_ex(q, routing_key, msgs, n, 0);
}

int queue_publish_raw(struct queue *q, int64_t tenant_id, int64_t raw_id)
{
	struct queue_msg m = {tenant_id, raw_id};

	return publish_ex(q, QUEUE_TRANSFORM, &m, 1, 0);
}

int queue_publish_raw_batch(struct queue *q, const struct queue_msg *msgs,
			    size_t n)
{
	return publish_ex(q, QUEUE_TRANSFORM, msgs, n, 0);
}

int queue_consume(struct queue *q, const char *queue_name, int prefetch)
{
	if (strlen(queue_name) >= sizeof(q->consume_queue)) {
		set_err(q, "queue name '%s' is too long", queue_name);
		return QUEUE_EPERM;
	}
	snprintf(q->consume_queue, sizeof(q->consume_queue), "%s", queue_name);
	q->prefetch = prefetch > 0 ? (prefetch > 65535 ? 65535 : prefetch) : 16;
	q_drop(q);
	return connect_retry(q, 0);
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
		if (stopped(q))
			return QUEUE_STOPPED;
		if (!q->conn && (rc = connect_retry(q, 0)) != QUEUE_OK)
			return rc;
		amqp_maybe_release_buffers(q->conn);
		ms_to_tv(timeout_ms, &tv);
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
			lost(q, "consuming", AMQP_STATUS_UNEXPECTED_STATE);
			continue;
		}
		if (r.library_error == AMQP_STATUS_TIMEOUT)
			return 0;
		if (r.library_error != AMQP_STATUS_UNEXPECTED_STATE) {
			lost(q, "consuming", r.library_error);
			continue;
		}
		switch (read_stray(q, &f, &status)) {
		case 0:
			if (status != AMQP_STATUS_OK)
				lost(q, "consuming", status);
			break;
		case AMQP_CONNECTION_CLOSE_METHOD:
		case AMQP_CHANNEL_CLOSE_METHOD:
		case AMQP_BASIC_CANCEL_METHOD:
			note_close(q, &f);
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
	set_err(q, "cannot %s delivery %" PRIu64 ": its connection is gone; "
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
	return st == AMQP_STATUS_OK ? QUEUE_OK : lost(q, "acking", st);
}

int queue_nack(struct queue *q, const struct queue_delivery *d, int requeue)
{
	int st;

	if (!same_conn(q, d, requeue ? "requeue" : "dead-letter"))
		return QUEUE_ERR;
	st = amqp_basic_nack(q->conn, Q_CHANNEL, d->tag, 0, requeue ? 1 : 0);
	return st == AMQP_STATUS_OK ? QUEUE_OK : lost(q, "nacking", st);
}

int queue_retry_later(struct queue *q, struct queue *pub,
		      const struct queue_delivery *d)
{
	char rk[160];

	snprintf(rk, sizeof(rk), "%s.retry", q->consume_queue);
	if (!d->valid || publish_ex(pub, rk, &d->msg, 1,
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

	if ((rc = ensure_conn(q, budget_deadline(q))) != QUEUE_OK)
		return rc;
	snprintf(what, sizeof(what), "looking up queue %s", queue_name);
	ok = amqp_queue_declare(q->conn, Q_CHANNEL, amqp_cstring_bytes(queue_name),
				1, 0, 0, 0, amqp_empty_table);
	if ((rc = rpc_check(q, what)) != QUEUE_OK || !ok) {
		q_drop(q); /* a failed passive declare closes the channel */
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

	if ((rc = ensure_conn(q, budget_deadline(q))) != QUEUE_OK)
		return rc;
	snprintf(what, sizeof(what), "purging queue %s", queue_name);
	ok = amqp_queue_purge(q->conn, Q_CHANNEL, amqp_cstring_bytes(queue_name));
	if ((rc = rpc_check(q, what)) != QUEUE_OK || !ok) {
		q_drop(q);
		return rc == QUEUE_OK ? QUEUE_ERR : rc;
	}
	if (purged)
		*purged = ok->message_count;
	return QUEUE_OK;
}

/* ---- the pipeline's broker (extract side) ----------------------------- */

static int broker_open(const struct conf *conf, void **ctx, char *err,
		       size_t errlen)
{
	struct queue *q;
	int rc;

	*ctx = NULL;
	if (queue_open(conf->broker_url, NULL, &q, err, errlen) != QUEUE_OK)
		return -1;
	/* Fail the run early if the broker stays away. */
	rc = connect_retry(q, budget_deadline(q));
	if (rc != QUEUE_OK) {
		snprintf(err, errlen, "%s", q->err);
		queue_close(q);
		return -1;
	}
	*ctx = q;
	return 0;
}

static int broker_publish(void *ctx, int64_t tenant_id, int64_t raw_id,
			  char *err, size_t errlen)
{
	struct queue *q = ctx;

	if (queue_publish_raw(q, tenant_id, raw_id) == QUEUE_OK)
		return 0;
	snprintf(err, errlen, "raw row %" PRId64 " not queued (it stays "
		 "pending; a worker's sweep will queue it): %s", raw_id, q->err);
	return -1;
}

static void broker_close(void *ctx)
{
	queue_close(ctx);
}

void queue_register(void)
{
	static const struct pipeline_broker b = {
		broker_open, broker_publish, broker_close,
	};

	pipeline_register_broker(&b);
}
