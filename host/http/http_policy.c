/* http_policy: status -> action, and which addresses are internal. */
#include "config.h"

#include <ctype.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "http/http_policy.h"
#include "http/ratelimit.h"

/* Retry-After in seconds (an HTTP-date never starts with a digit). */
static int delay_seconds(const char *s)
{
	return s && isdigit((unsigned char)*s);
}

/* Retry a transient failure, unless the request is out of attempts. */
static void retry(const struct http_outcome *o, enum http_why why,
		  struct http_verdict *v)
{
	v->why = why;
	if (o->no_retry || o->attempt > o->max_retries) {
		v->act = HTTP_ACT_FAIL_TRANSIENT;
		return;
	}
	v->act = HTTP_ACT_RETRY;
	v->wait_ms = rl_backoff_ms(o->attempt - 1, HTTP_BACKOFF_BASE_MS,
				   HTTP_BACKOFF_CAP_MS);
}

/* 403 and 429: a rate limit of some kind, or a plain refusal. */
static void limited(const struct http_outcome *o, struct http_verdict *v)
{
	int zero = o->remaining && strtoll(o->remaining, NULL, 10) == 0;
	int64_t wait;
	int i;

	if (delay_seconds(o->retry_after)) {
		v->act = HTTP_ACT_WAIT;
		v->why = HTTP_WHY_RETRY_AFTER;
		v->wait_ms = strtoll(o->retry_after, NULL, 10) * 1000;
		return;
	}
	if (zero && o->bucket_empty) {
		v->act = HTTP_ACT_WAIT_RESET;
		v->why = HTTP_WHY_PRIMARY;
		return;
	}
	if (o->status == 429 || o->says_rate_limit || zero) {
		/* No delay given (or a primary limit without a reset time):
		 * at least a minute, doubling each time. */
		wait = HTTP_SECONDARY_MIN_MS;
		for (i = 0; i < o->secondary && wait < HTTP_SECONDARY_CAP_MS; i++)
			wait *= 2;
		if (wait > HTTP_SECONDARY_CAP_MS)
			wait = HTTP_SECONDARY_CAP_MS;
		v->act = HTTP_ACT_WAIT;
		v->why = HTTP_WHY_SECONDARY;
		v->wait_ms = wait;
		return;
	}
	v->act = HTTP_ACT_FAIL_PERMANENT;
	v->why = HTTP_WHY_DENIED;
}

void http_policy_decide(const struct http_outcome *o, struct http_verdict *v)
{
	memset(v, 0, sizeof(*v));
	if (o->transport_error) {
		if (o->transport_transient) {
			retry(o, HTTP_WHY_TRANSPORT, v);
			return;
		}
		v->act = HTTP_ACT_FAIL_PERMANENT;
		v->why = HTTP_WHY_TRANSPORT;
		return;
	}
	if (o->status == 401) {
		v->act = HTTP_ACT_FAIL_PERMANENT;
		v->why = HTTP_WHY_AUTH;
		return;
	}
	if (o->status == 403 || o->status == 429) {
		limited(o, v);
		return;
	}
	if (o->status >= 500 || o->status == 408) {
		retry(o, HTTP_WHY_SERVER, v);
		return;
	}
	if (o->want_json && o->status >= 200 && o->status < 300 &&
	    o->status != 204 && !o->body_json) {
		retry(o, HTTP_WHY_BAD_JSON, v);
		return;
	}
	v->act = HTTP_ACT_DONE;
	v->why = HTTP_WHY_OK;
}

static const char *v4_range(uint32_t a)
{
	if ((a >> 24) == 0)
		return "an unspecified address (0.0.0.0/8)";
	if ((a >> 24) == 127)
		return "a loopback address";
	if ((a >> 24) == 10 || (a >> 20) == 0xac1 || (a >> 16) == 0xc0a8)
		return "a private address";
	if ((a >> 16) == 0xa9fe)
		return "a link-local address (where cloud metadata services live)";
	return NULL;
}

const char *http_policy_blocked_range(const struct sockaddr *sa)
{
	const struct sockaddr_in6 *s6;
	const uint8_t *b;
	static const uint8_t zero10[10];

	if (!sa)
		return "an unknown address";
	if (sa->sa_family == AF_INET)
		return v4_range(ntohl(((const struct sockaddr_in *)(const void *)
				       sa)->sin_addr.s_addr));
	if (sa->sa_family != AF_INET6)
		return "an address of an unknown family";
	s6 = (const struct sockaddr_in6 *)(const void *)sa;
	b = s6->sin6_addr.s6_addr;
	/* IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d)
	 * addresses reach the IPv4 address inside. */
	if (memcmp(b, zero10, 10) == 0 &&
	    ((b[10] == 0xff && b[11] == 0xff) || (b[10] == 0 && b[11] == 0))) {
		uint32_t a = (uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 |
			     (uint32_t)b[14] << 8 | b[15];

		if (b[10] == 0 && a <= 1)
			return a ? "a loopback address" :
				"an unspecified address (::)";
		return v4_range(a);
	}
	if ((b[0] & 0xfe) == 0xfc)
		return "a private address (fc00::/7)";
	if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)
		return "a link-local address";
	return NULL;
}
