/*
 * http_policy: what to do after one HTTP attempt, as a pure function of
 * what came back (status, a few headers, whether the body is whole) and
 * where the request stands (attempt number, flags). No I/O and no clock,
 * so every rule in docs/http.md is unit-tested directly
 * (tests/unit/test-http-policy.c); http_request.c only carries out the
 * verdict.
 */
#ifndef PULSE_HTTP_POLICY_H
#define PULSE_HTTP_POLICY_H

#include <stdint.h>

enum http_act {
	HTTP_ACT_DONE,           /* hand the response to the plugin */
	HTTP_ACT_RETRY,          /* back off wait_ms, then try again */
	HTTP_ACT_WAIT,           /* rate limited: wait wait_ms, then again */
	HTTP_ACT_WAIT_RESET,     /* token exhausted: rotate or wait for reset */
	HTTP_ACT_FAIL_TRANSIENT, /* give up; the job is retried later */
	HTTP_ACT_FAIL_PERMANENT, /* give up; retrying cannot help */
};

/* Why, so the caller can word its message. */
enum http_why {
	HTTP_WHY_OK,
	HTTP_WHY_TRANSPORT,   /* connection, timeout, TLS... (no status) */
	HTTP_WHY_SERVER,      /* 5xx or 408 */
	HTTP_WHY_BAD_JSON,    /* 2xx whose JSON body is truncated/invalid */
	HTTP_WHY_AUTH,        /* 401: the token was rejected */
	HTTP_WHY_DENIED,      /* 403 that is not a rate limit */
	HTTP_WHY_RETRY_AFTER, /* 403/429 with Retry-After */
	HTTP_WHY_SECONDARY,   /* 403/429 rate limit without a delay */
	HTTP_WHY_PRIMARY,     /* 403/429 with the token's budget at 0 */
};

/* What one attempt produced, and where the request stands. */
struct http_outcome {
	int transport_error;     /* no HTTP status: the exchange failed */
	int transport_transient; /* ... and the failure is worth retrying */
	long status;
	const char *retry_after; /* header values, NULL when absent */
	const char *remaining;   /* x-ratelimit-remaining */
	int bucket_empty;        /* the headers left this token's budget
				    for the resource at 0 until a reset */
	int says_rate_limit;     /* the error body mentions a rate limit */
	int want_json;           /* PULSE_HTTP_JSON */
	int body_json;           /* the body is one whole JSON value */
	int no_retry;            /* PULSE_HTTP_NO_RETRY */
	int attempt;             /* attempts made, this one included (>= 1) */
	int max_retries;
	int secondary;           /* secondary-limit waits so far */
};

struct http_verdict {
	enum http_act act;
	enum http_why why;
	int64_t wait_ms; /* RETRY and WAIT: how long */
};

/* Retries back off from 0.5 s, doubling to at most 30 s (with jitter);
 * a secondary limit without a delay waits 1 min, doubling to 15 min. */
#define HTTP_BACKOFF_BASE_MS 500
#define HTTP_BACKOFF_CAP_MS (30 * 1000)
#define HTTP_SECONDARY_MIN_MS (60 * 1000)
#define HTTP_SECONDARY_CAP_MS (15 * 60 * 1000)

void http_policy_decide(const struct http_outcome *o, struct http_verdict *v);

/* The ranges a request may not reach unless its host is allow-listed:
 * NULL for a public address, else a short description of the range
 * ("a loopback address", ...). sa is a struct sockaddr_in or _in6. */
struct sockaddr;
const char *http_policy_blocked_range(const struct sockaddr *sa);

#endif
