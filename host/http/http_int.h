/*
 * http_int: what the files of the HTTP service share and nothing outside
 * host/http/ may use: the client struct and the calls between its parts.
 *
 *   http_client.c    lifecycle: a client per job, waits, cancellation
 *   http_tokens.c    secrets, per-token budgets, rotation, waits for resets
 *   http_transfer.c  one curl exchange and the response it produces
 *   http_etag.c      conditional requests (If-None-Match, 304)
 *   http_guard.c     where a request may go (https, internal addresses)
 *   http_policy.c    status -> action (pure)
 *   http_request.c   the plugin's http call: the loop tying them together
 */
#ifndef PULSE_HTTP_INT_H
#define PULSE_HTTP_INT_H

#include <curl/curl.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "base/strbuf.h"
#include "http/http.h"
#include "http/ratelimit.h"

#define HTTP_CAT "HTTP"
#define HTTP_MAX_SECRETS 64
#define HTTP_MAX_RATE_WAITS 12 /* per request, before giving up */
#define HTTP_MAX_BODY (512u << 20) /* a larger response is refused */
#define HTTP_CANCEL_POLL_MS 1000

#define HTTP_PIN_MAX 16

/* What one URL resolved to, and whether its host is allow-listed. */
struct http_pin {
	int allowed;
	size_t naddr;
	struct sockaddr_storage addr[HTTP_PIN_MAX];
	char resolve[1024]; /* CURLOPT_RESOLVE entry; "" = none (IP literal,
			       or resolution failed and curl reports it) */
};

struct etag_entry {
	char *key;  /* "etag:<hash>" */
	char *etag;
};

struct http_client {
	struct pulse_job *job;    /* borrowed; job->http points back here */
	CURL *curl;
	char *ca_file;
	char *user_agent;
	char **allow_hosts;       /* http.allow_hosts, lower-case; owned */
	size_t nallow;
	int timeout_s;
	int max_retries;
	int64_t test_max_wait_ms; /* PULSE_HOST_TEST_MAX_WAIT_MS, 0 = off */
	char label[160];          /* "integration 7 (github)" for errors */
	char vendor[40];          /* "github", for wait messages */
	struct rl_clock clock;
	/* Secrets of one config key, index = token number. */
	char *secret_key;
	char **secrets;
	size_t nsecrets;
	size_t cur;               /* token in use */
	struct rl_token *tokens;  /* budgets, one per secret (or one, no auth) */
	size_t ntokens;
	char last_resource[32];   /* bucket of the last response (rate_budget) */
	size_t last_token;
	struct rl_limiter *lim;
	/* ETags of this run's 200s, persisted by http_client_commit once the
	 * extract succeeded (never for a failed run). */
	struct etag_entry *etags;
	size_t netags;
	int etag_errors;
	int64_t last_cancel_ms;
	int cancel_seen;
	struct http_stats st;
	/* The last URL origin the guard passed, reused for a minute so a
	 * job's requests do not each wait for a DNS lookup. */
	char pin_origin[300];
	int64_t pin_ms;
	struct http_pin pin;
};

/* http_client.c */
/* The client of job (job->http), or NULL when its builder made none. */
struct http_client *http_client_of(struct pulse_job *job);
/* True once the job was cancelled (asks the job's backend, sticky). */
int http_cancelled(struct http_client *hc);
/* Sleep ms in slices, watching for cancellation; step (may be NULL) is
 * shown as progress and logged. PULSE_OK or PULSE_ERR_CANCELLED. */
int32_t http_sleep(struct http_client *hc, int64_t ms, const char *step);

/* http_tokens.c */
void http_secrets_drop(struct http_client *hc);
/* Load every secret of config key `key` (a SECRET_LIST gives several). */
int32_t http_secrets_load(struct http_client *hc, const char *key);
/* Pick a token with budget for resource, rotating or waiting. */
int32_t http_token_pick(struct http_client *hc, const char *resource,
			int *rate_waits);

/* http_guard.c: where a request may go. https is required and
 * loopback, private, link-local and metadata addresses are refused, both
 * unless the URL's host is on the operator's http.allow_hosts. The host
 * is resolved here, checked, and the answer pinned for the transfer
 * (CURLOPT_RESOLVE), so a second, rebinding DNS answer cannot move the
 * connection; every socket curl opens (redirects, reconnects) is checked
 * again before it connects. */
/*
 * Check url (for method; shown as shown_url) and fill pin. Returns
 * PULSE_OK, or fails the job permanently with a message that names the
 * integration, the host, the address and the config key that would
 * allow it.
 */
int32_t http_guard_check(struct http_client *hc, const char *method,
			 const char *url, const char *shown_url,
			 struct http_pin *pin);

/* Where the socket check reports a refusal. */
struct http_guard_ctx {
	const struct http_client *hc;
	const struct http_pin *pin;
	char *refused;      /* message buffer, "" until a refusal */
	size_t refused_len;
};

/*
 * Set the pin and the socket check on c for one transfer. *list gets
 * the CURLOPT_RESOLVE list, which the caller frees after the transfer
 * (curl_slist_free_all). Returns 0, or -1 when out of memory.
 */
int http_guard_apply(CURL *c, struct http_guard_ctx *g,
		     struct curl_slist **list);

/* http_transfer.c: one exchange and what it produced. */
struct xfer {
	struct http_client *hc;
	struct strbuf body;
	char **hdr;     /* name, value pairs */
	size_t nhdr;
	size_t caphdr;
	int too_big;
	int oom;
};
struct attempt {
	CURLcode cc;
	long status;
	char errbuf[CURL_ERROR_SIZE];
	int64_t elapsed_ms;
	char refused[320];  /* set when the guard refused a connection */
};
/* One exchange with the current token, connecting only where pin says.
 * Returns 0 (outcome in at and x) or -1 when out of memory. */
int http_transfer(struct http_client *hc, const pulse_http_request *req,
		  const char *method, const char *etag,
		  const struct http_pin *pin, struct xfer *x,
		  struct attempt *at);
const char *http_xfer_header(const struct xfer *x, const char *name);
void http_xfer_free(struct xfer *x);
/* Hand the body and headers to a new response (caller owns it). */
struct pulse_http_response *http_xfer_detach(struct xfer *x, long status);
int http_curl_transient(CURLcode cc);
int http_body_is_json(const char *body, size_t len);
void http_body_message(const char *body, size_t len, char *out, size_t n);
/* url with credential-looking query values replaced, for logs. */
void http_safe_url(const char *url, char *out, size_t n);

/* http_tokens.c: what the rate-limit headers of a transfer say about
 * the token just used. */
void http_token_note(struct http_client *hc, const struct xfer *x,
		     const char *predicted);

/* http_etag.c */
void http_etag_key(const char *url, char *out, size_t n);
/* The ETag to send for key: this run's, else the saved one. *saved is
 * set to a copy the caller frees (NULL if none came from state). */
const char *http_etag_lookup(struct http_client *hc, const char *key,
			     char **saved);
void http_etag_remember(struct http_client *hc, const char *key,
			const char *etag);
void http_etags_free(struct http_client *hc);

#endif
