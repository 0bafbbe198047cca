/*
 * http: the host's outgoing HTTP service behind the plugin API's http,
 * wait_until and rate_budget calls (libcurl).
 *
 * The host owns everything that is not the plugin's business: auth
 * injection and token rotation, retries with backoff, primary and
 * secondary rate limits, ETags, timeouts, TLS, and where a request may
 * go at all (https, no internal addresses). See docs/http.md.
 *
 * Wiring (whoever builds the job, e.g. the runner):
 *
 *     struct job_backend be = { ...state_get, state_set, secret_get,
 *                               progress, cancelled... };
 *     http_backend_install(&be);          // sets be.http/wait_until/rate_budget
 *     job.be = &be;
 *     struct http_client *hc = http_client_new(&conf, &job); // job.http = hc
 *     ... plugin extract runs ...
 *     if (extract returned PULSE_OK) http_client_commit(hc);  // ETags
 *     http_client_free(hc);                                    // job.http = NULL
 *
 * The client uses the job's secret_get (auth), state_get/state_set (ETags),
 * progress (visible waits) and cancelled callbacks, when present. A job
 * without a client gets PULSE_ERR_UNSUPPORTED from every HTTP call.
 */
#ifndef PULSE_HTTP_H
#define PULSE_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include <pulse-host/plugin.h>

struct conf;
struct job_backend;
struct pulse_job;
struct http_client;

/* An HTTP response as plugins read it through the host API's http_status,
 * http_body and http_header calls. */
struct pulse_http_response {
	uint32_t status;
	char *body;        /* NUL-terminated; "" for none */
	uint64_t body_len;
	char **headers;    /* "name" "value" pairs, names lower-case */
	size_t nheaders;
};
/* A host-internal request flag (never from a plugin: hostapi masks it):
 * a 401 comes back as a response instead of failing the job, for the
 * token service (host/auth), which renews the token and retries once. */
#define HTTP_HOST_PASS_401 0x40000000u

/* Free a response and everything in it (host API http_release). */
void http_response_free(struct pulse_http_response *r);

/* Limits of one integration, shared by every client of that integration
 * in this process. Zero means the default. */
struct http_limits {
	int max_concurrent;    /* requests in flight at once (default 4) */
	int requests_per_hour; /* host-side budget (default: none, obey the
				  server's rate-limit headers only) */
};

/*
 * A client for one job: one libcurl easy handle (connection reuse,
 * HTTP/2 over TLS when offered), settings from conf (http.* keys; NULL:
 * the built-in defaults, with an empty allow-list). It is put in
 * job->http, where the job_backend callbacks find it. Returns NULL when
 * out of memory or when libcurl cannot start. The caller owns the client
 * and frees it with http_client_free before the job goes away (that also
 * clears job->http). conf is copied; job is borrowed.
 */
struct http_client *http_client_new(const struct conf *conf,
				    struct pulse_job *job);
void http_client_free(struct http_client *hc);

/*
 * ETags (PULSE_HTTP_CONDITIONAL): the ETags of this run's 200 responses
 * are kept in memory and saved with the job's state_set (key
 * "etag:<sha256 of url>") only by http_client_commit, which the owner
 * calls once the extract succeeded. A failed or killed run saves none, so
 * an ETag never stands for a page whose processing did not finish (the
 * next run would get a 304 and skip it). Returns 0, or -1 if a state_set
 * failed.
 */
int http_client_commit(struct http_client *hc);

/* Set the integration's limits (call before the first request). */
void http_client_set_limits(struct http_client *hc,
			    const struct http_limits *lim);

/* Point be->http, be->wait_until and be->rate_budget at this module. */
void http_backend_install(struct job_backend *be);

/* The callbacks themselves (also usable directly); they work on
 * job->http. */
int32_t http_request(struct pulse_job *job, const pulse_http_request *req,
		     pulse_http_response **resp);
int32_t http_wait_until(struct pulse_job *job, int64_t until,
			const char *reason);
void http_rate_budget(struct pulse_job *job, int64_t remaining,
		      int64_t limit, int64_t reset_epoch);

/* Counters of one client, for tests, benchmarks and job stats. */
struct http_stats {
	uint64_t requests;     /* attempts sent, retries included */
	uint64_t retries;
	uint64_t not_modified; /* 304s */
	uint64_t waits;        /* rate-limit or plugin waits */
	uint64_t wait_ms;      /* time spent in them */
	uint64_t bytes;        /* response bytes received */
};
void http_client_stats(const struct http_client *hc, struct http_stats *out);

/* libcurl global init/cleanup; call once per process (main does). Safe to
 * call more than once. */
int http_global_init(void);
void http_global_cleanup(void);

#endif
