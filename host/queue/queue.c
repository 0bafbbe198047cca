/* queue: handles, message bodies, and the pipeline's broker hook
 * (see queue.h). */
#include "config.h"

#include <amqp.h>
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
#include "pipeline/pipeline.h"
#include "queue/queue.h"
#include "queue/queue_int.h"

int64_t queue_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void queue_ms_to_tv(int ms, struct timeval *tv)
{
	if (ms < 0)
		ms = 0;
	tv->tv_sec = ms / 1000;
	tv->tv_usec = (ms % 1000) * 1000;
}

int queue_stopped(const struct queue *q)
{
	return q->o.stop && *q->o.stop;
}

void queue_set_err(struct queue *q, const char *fmt, ...)
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
	int n = m->created_at[0] ?
		snprintf(out, outlen, "{\"tenant_id\":%" PRId64 ",\"raw_id\":%"
			 PRId64 ",\"created_at\":\"%s\"}", m->tenant_id,
			 m->raw_id, m->created_at) :
		snprintf(out, outlen, "{\"tenant_id\":%" PRId64 ",\"raw_id\":%"
			 PRId64 "}", m->tenant_id, m->raw_id);

	return n < 0 || (size_t)n >= outlen ? -1 : n;
}

int queue_msg_decode(const void *body, size_t len, struct queue_msg *m)
{
	struct json_tokener *tok = NULL;
	struct json_object *o = NULL, *t, *r, *c;
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
	/* optional (older publishers); when present it must be well-formed,
	 * since it goes to the claim as a parameter */
	if (json_object_object_get_ex(o, "created_at", &c)) {
		if (!json_object_is_type(c, json_type_string) ||
		    !pipeline_ts_valid(json_object_get_string(c)))
			goto out;
		snprintf(m->created_at, sizeof(m->created_at), "%s",
			 json_object_get_string(c));
	}
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
	q->seed = (unsigned int)getpid() ^ (unsigned int)queue_now_ms();
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
void queue_drop(struct queue *q)
{
	if (q->conn) {
		amqp_destroy_connection(q->conn);
		q->conn = NULL;
		q->down_since_ms = queue_now_ms();
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
	rc = queue_connect_retry(q, queue_budget_deadline(q));
	if (rc != QUEUE_OK) {
		snprintf(err, errlen, "%s", q->err);
		queue_close(q);
		return -1;
	}
	*ctx = q;
	return 0;
}

static int broker_publish(void *ctx, int64_t tenant_id, int64_t raw_id,
			  const char *created_at, char *err, size_t errlen)
{
	struct queue *q = ctx;

	if (queue_publish_raw_at(q, tenant_id, raw_id, created_at) == QUEUE_OK)
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
