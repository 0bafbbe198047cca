/*
 * http: outgoing HTTP for plugins (libcurl). One easy handle per job keeps
 * connections (and HTTP/2 sessions) alive between requests. The host owns
 * auth, retries, rate limits, ETags and timeouts so that every plugin gets
 * them right the same way; see docs/http.md for the rules.
 */
#include "config.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <gcrypt.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/conf.h"
#include "http/http.h"
#include "plugin/job.h"
#include "plugin/loader.h"
#include "base/log.h"
#include "http/ratelimit.h"
#include "base/strbuf.h"

#define CAT "HTTP"
#define MAX_SECRETS 64
#define MAX_RATE_WAITS 12          /* per request, before giving up */
#define BACKOFF_BASE_MS 500
#define BACKOFF_CAP_MS (30 * 1000)
#define SECONDARY_MIN_MS (60 * 1000)
#define SECONDARY_CAP_MS (15 * 60 * 1000)
#define MAX_BODY (512u << 20)      /* a response larger than this is refused */
#define CANCEL_POLL_MS 1000

struct etag_entry {
	char *key;  /* "etag:<hash>" */
	char *etag;
};

struct http_client {
	struct http_client *next; /* registry of bound clients */
	struct pulse_job *job;
	int64_t integration_id;   /* of the job when bound: a job struct */
	int64_t run_id;           /* reused for another run gets a new client */
	int implicit;             /* created on first use, freed by the host */
	CURL *curl;
	char *ca_file;
	char *user_agent;
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
};

/* What one transfer produced. */
struct xfer {
	struct http_client *hc;
	struct strbuf body;
	char **hdr;     /* name, value pairs */
	size_t nhdr;
	size_t caphdr;
	int too_big;
	int oom;
};

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct http_client *registry;
static int global_done;
/* Settings for clients created on first use (http_set_default_conf). */
static struct conf default_conf;
static int have_default_conf;


int http_global_init(void)
{
	int rc = 0;

	pthread_mutex_lock(&reg_lock);
	if (global_done)
		goto out;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_error(CAT, "curl_global_init failed");
		rc = -1;
		goto out;
	}
	/* ETag keys are SHA-256 of the URL. Initialise libgcrypt only if no
	 * other subsystem has done it (its docs require one initialisation). */
	if (!gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P)) {
		gcry_check_version(NULL);
		gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	}
	global_done = 1;
out:
	pthread_mutex_unlock(&reg_lock);
	return rc;
}

void http_global_cleanup(void)
{
	struct http_client *hc;

	/* Clients created on first use belong to the host: free them. */
	for (;;) {
		pthread_mutex_lock(&reg_lock);
		for (hc = registry; hc && !hc->implicit; hc = hc->next)
			;
		pthread_mutex_unlock(&reg_lock);
		if (!hc)
			break;
		http_client_free(hc);
	}
	http_set_default_conf(NULL);
	pthread_mutex_lock(&reg_lock);
	have_default_conf = 0;
	if (global_done && !registry) {
		curl_global_cleanup();
		global_done = 0;
	}
	pthread_mutex_unlock(&reg_lock);
}

static struct http_client *find_client(struct pulse_job *job)
{
	struct http_client *hc;

	pthread_mutex_lock(&reg_lock);
	for (hc = registry; hc; hc = hc->next)
		if (hc->job == job)
			break;
	pthread_mutex_unlock(&reg_lock);
	return hc;
}

void http_set_default_conf(const struct conf *conf)
{
	pthread_mutex_lock(&reg_lock);
	free(default_conf.http_ca_file);
	free(default_conf.http_user_agent);
	memset(&default_conf, 0, sizeof(default_conf));
	if (conf) {
		default_conf.http_ca_file = conf->http_ca_file ?
			strdup(conf->http_ca_file) : NULL;
		default_conf.http_user_agent = conf->http_user_agent ?
			strdup(conf->http_user_agent) : NULL;
		default_conf.http_timeout_s = conf->http_timeout_s;
		default_conf.http_max_retries = conf->http_max_retries;
	} else {
		default_conf.http_timeout_s = 60;
		default_conf.http_max_retries = 5;
	}
	have_default_conf = conf != NULL;
	pthread_mutex_unlock(&reg_lock);
}

/*
 * The client bound to job. A job whose owner did not create one gets one
 * on first use (settings from http_set_default_conf); a job struct reused
 * for another run or integration gets a fresh one.
 */
static struct http_client *client_of(struct pulse_job *job)
{
	struct http_client *hc = find_client(job);
	struct conf c;

	if (!job)
		return NULL;
	if (hc && (hc->run_id != job->run_id ||
		   hc->integration_id != job->integration_id)) {
		if (!hc->implicit)
			log_warn(CAT, "client_rebound integration=%lld: the job "
				 "struct was reused without http_client_free",
				 (long long)job->integration_id);
		http_client_free(hc);
		hc = NULL;
	}
	if (hc)
		return hc;
	memset(&c, 0, sizeof(c));
	pthread_mutex_lock(&reg_lock);
	if (have_default_conf)
		c = default_conf; /* shallow: strings are copied by client_new */
	c.http_timeout_s = c.http_timeout_s > 0 ? c.http_timeout_s : 60;
	if (!have_default_conf)
		c.http_max_retries = 5;
	pthread_mutex_unlock(&reg_lock);
	hc = http_client_new(&c, job);
	if (hc)
		hc->implicit = 1;
	return hc;
}

static void wipe_free(char *s)
{
	if (!s)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

static void drop_secrets(struct http_client *hc)
{
	size_t i;

	for (i = 0; i < hc->nsecrets; i++)
		wipe_free(hc->secrets[i]);
	free(hc->secrets);
	hc->secrets = NULL;
	hc->nsecrets = 0;
	free(hc->secret_key);
	hc->secret_key = NULL;
	hc->cur = 0;
}

struct http_client *http_client_new(const struct conf *conf,
				    struct pulse_job *job)
{
	struct http_client *hc = NULL;
	const char *env, *pname;

	if (!job || http_global_init() < 0)
		return NULL;
	hc = calloc(1, sizeof(*hc));
	if (!hc)
		goto fail;
	hc->job = job;
	hc->integration_id = job->integration_id;
	hc->run_id = job->run_id;
	hc->curl = curl_easy_init();
	hc->ca_file = strdup(conf && conf->http_ca_file ? conf->http_ca_file : "");
	hc->user_agent = strdup(conf && conf->http_user_agent ?
				conf->http_user_agent : "pulse-host/" PACKAGE_VERSION);
	hc->tokens = calloc(1, sizeof(*hc->tokens));
	hc->ntokens = 1;
	if (!hc->curl || !hc->ca_file || !hc->user_agent || !hc->tokens)
		goto fail;
	hc->timeout_s = conf && conf->http_timeout_s > 0 ? conf->http_timeout_s : 60;
	hc->max_retries = conf && conf->http_max_retries >= 0 ?
		conf->http_max_retries : 5;
	pname = job->plugin && job->plugin->name ? job->plugin->name : NULL;
	snprintf(hc->vendor, sizeof(hc->vendor), "%s", pname ? pname : "API");
	if (pname)
		snprintf(hc->label, sizeof(hc->label), "integration %lld (%s)",
			 (long long)job->integration_id, pname);
	else
		snprintf(hc->label, sizeof(hc->label), "integration %lld",
			 (long long)job->integration_id);
	env = getenv("PULSE_HOST_TEST_MAX_WAIT_MS");
	if (env && *env) {
		hc->test_max_wait_ms = strtoll(env, NULL, 10);
		if (hc->test_max_wait_ms > 0)
			log_warn(CAT, "test_knob PULSE_HOST_TEST_MAX_WAIT_MS=%lld: "
				 "every wait is capped (tests only)",
				 (long long)hc->test_max_wait_ms);
	}
	hc->lim = rl_limiter_get(job->integration_id, 0, 0);
	if (!hc->lim)
		goto fail;
	pthread_mutex_lock(&reg_lock);
	hc->next = registry;
	registry = hc;
	pthread_mutex_unlock(&reg_lock);
	return hc;
fail:
	if (hc) {
		if (hc->curl)
			curl_easy_cleanup(hc->curl);
		free(hc->ca_file);
		free(hc->user_agent);
		free(hc->tokens);
		free(hc);
	}
	log_error(CAT, "could not create an HTTP client (out of memory or "
		  "libcurl failed to start)");
	return NULL;
}

void http_client_free(struct http_client *hc)
{
	struct http_client **pp;
	size_t i;

	if (!hc)
		return;
	pthread_mutex_lock(&reg_lock);
	for (pp = &registry; *pp; pp = &(*pp)->next)
		if (*pp == hc) {
			*pp = hc->next;
			break;
		}
	pthread_mutex_unlock(&reg_lock);
	drop_secrets(hc);
	for (i = 0; i < hc->netags; i++) {
		free(hc->etags[i].key);
		free(hc->etags[i].etag);
	}
	free(hc->etags);
	rl_limiter_put(hc->lim);
	curl_easy_cleanup(hc->curl);
	free(hc->tokens);
	free(hc->ca_file);
	free(hc->user_agent);
	free(hc);
}

void http_client_set_limits(struct http_client *hc,
			    const struct http_limits *lim)
{
	struct rl_limiter *l;

	if (!hc || !lim)
		return;
	l = rl_limiter_get(hc->job->integration_id, lim->max_concurrent,
			   lim->requests_per_hour);
	if (l)
		rl_limiter_put(l); /* hc keeps its own reference */
}

void http_client_stats(const struct http_client *hc, struct http_stats *out)
{
	if (!out)
		return;
	memset(out, 0, sizeof(*out));
	if (hc)
		*out = hc->st;
}

/* Persist the ETags remembered so far (state_set) and forget them. */
static void flush_etags(struct http_client *hc)
{
	const struct job_backend *be = hc->job->be;
	size_t i;

	for (i = 0; i < hc->netags; i++) {
		if (be && be->state_set &&
		    be->state_set(hc->job, hc->etags[i].key, hc->etags[i].etag) != PULSE_OK)
			hc->etag_errors++;
		free(hc->etags[i].key);
		free(hc->etags[i].etag);
	}
	hc->netags = 0;
}

int http_client_commit(struct http_client *hc)
{
	if (!hc)
		return 0;
	flush_etags(hc);
	return hc->etag_errors ? -1 : 0;
}

void http_backend_install(struct job_backend *be)
{
	if (!be)
		return;
	be->http = http_request;
	be->wait_until = http_wait_until;
	be->rate_budget = http_rate_budget;
}

/* ------------------------------------------------------------ helpers */

static int is_cancelled(struct http_client *hc)
{
	const struct job_backend *be = hc->job->be;

	if (hc->cancel_seen)
		return 1;
	if (be && be->cancelled && be->cancelled(hc->job))
		hc->cancel_seen = 1;
	return hc->cancel_seen;
}

/* Copy url into out with the values of credential-looking query
 * parameters replaced, so URLs can be logged and shown in errors. */
static void safe_url(const char *url, char *out, size_t n)
{
	static const char *const secret_params[] = {
		"token", "access_token", "api_key", "apikey", "key", "password",
		"secret", "client_secret", "sig", "signature", "code", NULL,
	};
	const char *q = strchr(url, '?'), *p;
	struct strbuf sb = STRBUF_INIT;
	char *s;

	if (!q) {
		snprintf(out, n, "%s", url);
		return;
	}
	sb_add(&sb, url, (size_t)(q - url) + 1);
	p = q + 1;
	while (*p) {
		const char *amp = strchr(p, '&'), *eq;
		size_t len = amp ? (size_t)(amp - p) : strlen(p);
		int hide = 0, i;

		eq = memchr(p, '=', len);
		if (eq)
			for (i = 0; secret_params[i]; i++)
				if ((size_t)(eq - p) == strlen(secret_params[i]) &&
				    strncasecmp(p, secret_params[i], (size_t)(eq - p)) == 0)
					hide = 1;
		if (hide) {
			sb_add(&sb, p, (size_t)(eq - p) + 1);
			sb_adds(&sb, "REDACTED");
		} else {
			sb_add(&sb, p, len);
		}
		p += len;
		if (*p == '&')
			sb_add(&sb, p++, 1);
	}
	s = sb.buf ? sb.buf : "";
	snprintf(out, n, "%s", s);
	sb_free(&sb);
}

static void iso_utc(int64_t epoch_s, char *out, size_t n)
{
	time_t t = (time_t)epoch_s;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/*
 * Sleep ms (capped by the test knob) in slices of at most a second,
 * checking for cancellation between them. step, when given, is shown as
 * the job's progress step and logged. Returns PULSE_OK or
 * PULSE_ERR_CANCELLED (job error set).
 */
static int32_t hc_sleep(struct http_client *hc, int64_t ms, const char *step)
{
	const struct job_backend *be = hc->job->be;
	int64_t start = rl_local_ms(), left;
	struct timespec ts;

	if (hc->test_max_wait_ms > 0 && ms > hc->test_max_wait_ms)
		ms = hc->test_max_wait_ms;
	if (ms <= 0)
		return PULSE_OK;
	if (step) {
		hc->st.waits++;
		log_info(CAT, "wait integration=%lld ms=%lld reason=\"%s\"",
			 (long long)hc->job->integration_id, (long long)ms, step);
		if (be && be->progress)
			be->progress(hc->job, step, 0, 0);
	}
	for (;;) {
		if (is_cancelled(hc)) {
			hc->st.wait_ms += (uint64_t)(rl_local_ms() - start);
			return job_fail(hc->job, PULSE_ERR_CANCELLED,
					"%s: cancelled while %s", hc->label,
					step ? step : "waiting to retry");
		}
		left = start + ms - rl_local_ms();
		if (left <= 0)
			break;
		if (left > CANCEL_POLL_MS)
			left = CANCEL_POLL_MS;
		ts.tv_sec = left / 1000;
		ts.tv_nsec = (long)(left % 1000) * 1000000L;
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
	if (step)
		hc->st.wait_ms += (uint64_t)(rl_local_ms() - start);
	return PULSE_OK;
}

/* The budget a URL draws from before the server has told us: GitHub
 * (and similar APIs) keep GraphQL apart from the REST "core" budget. */
static void predict_resource(const char *url, char *out, size_t n)
{
	const char *p = strstr(url, "://"), *path, *end;
	size_t len;

	path = p ? strchr(p + 3, '/') : NULL;
	if (!path)
		path = "/";
	end = path + strcspn(path, "?#");
	len = (size_t)(end - path);
	if (len >= 8 && strncmp(end - 8, "/graphql", 8) == 0)
		snprintf(out, n, "graphql");
	else
		snprintf(out, n, "core");
}

/* Load the secrets of config key `key` (all of a SECRET_LIST). */
static int32_t load_secrets(struct http_client *hc, const char *key)
{
	const struct job_backend *be = hc->job->be;
	struct rl_token *t;
	char *s;
	size_t n = 0;

	if (hc->secret_key && strcmp(hc->secret_key, key) == 0)
		return PULSE_OK;
	drop_secrets(hc);
	hc->secret_key = strdup(key);
	hc->secrets = calloc(MAX_SECRETS, sizeof(*hc->secrets));
	if (!hc->secret_key || !hc->secrets)
		goto oom;
	while (be && be->secret_get && n < MAX_SECRETS &&
	       (s = be->secret_get(hc->job, key, (uint32_t)n)) != NULL) {
		size_t l = strlen(s);

		while (l && isspace((unsigned char)s[l - 1]))
			s[--l] = '\0';
		hc->secrets[n++] = s;
	}
	hc->nsecrets = n;
	if (n == 0) {
		drop_secrets(hc);
		return job_fail(hc->job, PULSE_ERR_PERMANENT,
				"%s: no secret is stored for '%s'; set it with "
				"`pulse-host integration set-secret %lld %s`",
				hc->label, key, (long long)hc->job->integration_id, key);
	}
	if (n != hc->ntokens) {
		t = calloc(n, sizeof(*t));
		if (!t)
			goto oom;
		free(hc->tokens);
		hc->tokens = t;
		hc->ntokens = n;
	}
	return PULSE_OK;
oom:
	drop_secrets(hc);
	return job_fail(hc->job, PULSE_ERR_TRANSIENT, "%s: out of memory", hc->label);
}

/*
 * Pick a token whose budget for `resource` still has room, rotating away
 * from an exhausted one; when every token is exhausted, wait (visibly)
 * for the earliest reset. Returns PULSE_OK or an error class.
 */
static int32_t pick_token(struct http_client *hc, const char *resource,
			  int *rate_waits)
{
	for (;;) {
		int64_t now_s = rl_server_now_ms(&hc->clock) / 1000, earliest = 0;
		size_t k, i, n = hc->ntokens;
		char step[160], at[32];
		int32_t rc;

		for (k = 0; k < n; k++) {
			struct rl_bucket *b;

			i = (hc->cur + k) % n;
			b = rl_bucket_get(&hc->tokens[i], resource, 0);
			if (rl_bucket_usable(b, now_s)) {
				if (i != hc->cur)
					log_info(CAT, "token_rotate integration=%lld "
						 "resource=%s from=%zu to=%zu of=%zu",
						 (long long)hc->job->integration_id,
						 resource, hc->cur + 1, i + 1, n);
				hc->cur = i;
				return PULSE_OK;
			}
			if (!earliest || b->reset_s < earliest)
				earliest = b->reset_s;
		}
		if (++*rate_waits > MAX_RATE_WAITS)
			return job_fail(hc->job, PULSE_ERR_TRANSIENT,
					"%s: %s rate limit still exhausted after %d waits; "
					"the job will be retried later", hc->label,
					hc->vendor, MAX_RATE_WAITS);
		iso_utc(earliest, at, sizeof(at));
		snprintf(step, sizeof(step),
			 "waiting for %s rate limit reset at %s", hc->vendor, at);
		rc = hc_sleep(hc, rl_ms_until(&hc->clock, earliest), step);
		if (rc != PULSE_OK)
			return rc;
		/* Try again: the server has the final word on whether the
		 * window has reset (a capped test wait may end early). */
		for (i = 0; i < n; i++) {
			struct rl_bucket *b = rl_bucket_get(&hc->tokens[i], resource, 0);

			if (b)
				b->known = 0;
		}
	}
}

/* ------------------------------------------------------------ transfer */

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
	struct xfer *x = ud;
	size_t n = size * nmemb;

	if (x->body.len + n > MAX_BODY) {
		x->too_big = 1;
		return 0;
	}
	if (sb_add(&x->body, data, n) < 0) {
		x->oom = 1;
		return 0;
	}
	return n;
}

static void clear_headers(struct xfer *x)
{
	size_t i;

	for (i = 0; i < 2 * x->nhdr; i++)
		free(x->hdr[i]);
	x->nhdr = 0;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *ud)
{
	struct xfer *x = ud;
	size_t n = size * nmemb, nl, i;
	char *colon, *name, *value;
	const char *v, *e;

	/* A new status line starts a new response (redirect, 100 Continue):
	 * only the final response's headers count. */
	if (n >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		clear_headers(x);
		return n;
	}
	colon = memchr(data, ':', n);
	if (!colon)
		return n;
	nl = (size_t)(colon - data);
	v = colon + 1;
	e = data + n;
	while (v < e && (*v == ' ' || *v == '\t'))
		v++;
	while (e > v && (e[-1] == '\r' || e[-1] == '\n' || e[-1] == ' '))
		e--;
	if (x->nhdr == x->caphdr) {
		size_t cap = x->caphdr ? 2 * x->caphdr : 16;
		char **nh = realloc(x->hdr, 2 * cap * sizeof(*nh));

		if (!nh) {
			x->oom = 1;
			return 0;
		}
		x->hdr = nh;
		x->caphdr = cap;
	}
	name = strndup(data, nl);
	value = strndup(v, (size_t)(e - v));
	if (!name || !value) {
		free(name);
		free(value);
		x->oom = 1;
		return 0;
	}
	for (i = 0; i < nl; i++)
		name[i] = (char)tolower((unsigned char)name[i]);
	x->hdr[2 * x->nhdr] = name;
	x->hdr[2 * x->nhdr + 1] = value;
	x->nhdr++;
	return n;
}

static int on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut,
		       curl_off_t un)
{
	struct xfer *x = ud;
	int64_t now = rl_local_ms();

	(void)dt;
	(void)dn;
	(void)ut;
	(void)un;
	if (now - x->hc->last_cancel_ms < CANCEL_POLL_MS)
		return 0;
	x->hc->last_cancel_ms = now;
	return is_cancelled(x->hc);
}

static const char *xfer_header(const struct xfer *x, const char *name)
{
	size_t i;

	for (i = 0; i < x->nhdr; i++)
		if (strcmp(x->hdr[2 * i], name) == 0)
			return x->hdr[2 * i + 1];
	return NULL;
}

static void xfer_free(struct xfer *x)
{
	clear_headers(x);
	free(x->hdr);
	sb_free(&x->body);
	memset(x, 0, sizeof(*x));
}

/* Hand the transfer's body and headers over to a new response. */
static struct pulse_http_response *xfer_detach(struct xfer *x, long status)
{
	struct pulse_http_response *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->status = (uint32_t)status;
	r->body_len = x->body.len;
	r->body = sb_detach(&x->body);
	r->headers = x->hdr;
	r->nheaders = x->nhdr;
	x->hdr = NULL;
	x->nhdr = x->caphdr = 0;
	return r;
}

static int header_ok(const char *h)
{
	return h && strchr(h, ':') && !strpbrk(h, "\r\n");
}

/* True if the whole body is one JSON value (whitespace around allowed). */
static int body_is_json(const char *body, size_t len)
{
	struct json_tokener *tok;
	struct json_object *obj;
	size_t end;
	int ok = 0;

	if (len == 0 || len > INT32_MAX)
		return 0;
	tok = json_tokener_new();
	if (!tok)
		return 0;
	obj = json_tokener_parse_ex(tok, body, (int)len);
	if (obj && json_tokener_get_error(tok) == json_tokener_success) {
		end = json_tokener_get_parse_end(tok);
		while (end < len && isspace((unsigned char)body[end]))
			end++;
		ok = end == len;
	}
	json_object_put(obj);
	json_tokener_free(tok);
	return ok;
}

/* The "message" of a JSON error body, or "" (copied into out). */
static void body_message(const char *body, size_t len, char *out, size_t n)
{
	struct json_object *o = NULL, *m;

	out[0] = '\0';
	if (!body_is_json(body, len))
		return;
	o = json_tokener_parse(body);
	if (o && json_object_is_type(o, json_type_object) &&
	    json_object_object_get_ex(o, "message", &m) &&
	    json_object_is_type(m, json_type_string))
		snprintf(out, n, "%s", json_object_get_string(m));
	json_object_put(o);
}

struct attempt {
	CURLcode cc;
	long status;
	char errbuf[CURL_ERROR_SIZE];
	int64_t elapsed_ms;
};

/* One HTTP exchange with the current token. */
static int perform(struct http_client *hc, const pulse_http_request *req,
		   const char *method, const char *etag, struct xfer *x,
		   struct attempt *at)
{
	CURL *c = hc->curl;
	struct curl_slist *hl = NULL, *nl;
	struct strbuf auth = STRBUF_INIT;
	const char *secret = hc->nsecrets ? hc->secrets[hc->cur] : NULL;
	size_t i;
	int rc = -1;
	int64_t t0;
	long timeout_ms;

	curl_easy_reset(c); /* options only: live connections are kept */
	memset(at, 0, sizeof(*at));
	x->hc = hc;
	for (i = 0; req->headers && req->headers[i]; i++) {
		/* The host decides about credentials. */
		if (req->auth != PULSE_AUTH_NONE &&
		    strncasecmp(req->headers[i], "authorization:", 14) == 0)
			continue;
		if (!(nl = curl_slist_append(hl, req->headers[i])))
			goto out;
		hl = nl;
	}
	if (secret && req->auth == PULSE_AUTH_BEARER) {
		sb_adds(&auth, "Authorization: Bearer ");
		sb_adds(&auth, secret);
	} else if (secret && req->auth == PULSE_AUTH_HEADER) {
		sb_addf(&auth, "%s: %s", req->auth_header, secret);
	}
	if (auth.len) {
		nl = curl_slist_append(hl, auth.buf);
		explicit_bzero(auth.buf, auth.len);
		if (!nl)
			goto out;
		hl = nl;
	}
	if (etag) {
		struct strbuf h = STRBUF_INIT;

		sb_addf(&h, "If-None-Match: %s", etag);
		nl = h.buf ? curl_slist_append(hl, h.buf) : NULL;
		sb_free(&h);
		if (!nl)
			goto out;
		hl = nl;
	}
	if (!(nl = curl_slist_append(hl, "Expect:")))
		goto out;
	hl = nl;
	if (secret && req->auth == PULSE_AUTH_BASIC) {
		struct json_object *u = NULL;
		const char *user = "";

		if (req->auth_user && hc->job->settings &&
		    json_object_object_get_ex(hc->job->settings, req->auth_user, &u) &&
		    json_object_is_type(u, json_type_string))
			user = json_object_get_string(u);
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERNAME, user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, secret);
	}
	curl_easy_setopt(c, CURLOPT_URL, req->url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_USERAGENT, hc->user_agent);
	curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	timeout_ms = req->timeout_ms ? (long)req->timeout_ms : hc->timeout_s * 1000L;
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
			 timeout_ms < 30000 ? timeout_ms : 30000L);
	if (hc->ca_file[0])
		curl_easy_setopt(c, CURLOPT_CAINFO, hc->ca_file);
	/* TLS verification stays on (libcurl's default); proxies come from
	 * the usual environment variables (also libcurl's default). */
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, at->errbuf);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, x);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	if (strcmp(method, "GET") == 0) {
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	} else if (strcmp(method, "HEAD") == 0) {
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	} else {
		if (strcmp(method, "POST") != 0)
			curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)(req->body ? req->body_len : 0));
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body ? req->body : "");
	}
	t0 = rl_local_ms();
	at->cc = curl_easy_perform(c);
	at->elapsed_ms = rl_local_ms() - t0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &at->status);
	hc->st.requests++;
	hc->st.bytes += x->body.len;
	rc = 0;
out:
	/* Wipe the copy of the credential libcurl's list holds. */
	for (nl = hl; nl; nl = nl->next)
		if (strncasecmp(nl->data, "authorization:", 14) == 0 ||
		    (req->auth == PULSE_AUTH_HEADER && req->auth_header &&
		     strncasecmp(nl->data, req->auth_header,
				 strlen(req->auth_header)) == 0))
			explicit_bzero(nl->data, strlen(nl->data));
	curl_slist_free_all(hl);
	if (auth.buf)
		explicit_bzero(auth.buf, auth.len);
	sb_free(&auth);
	if (secret && req->auth == PULSE_AUTH_BASIC)
		curl_easy_setopt(c, CURLOPT_PASSWORD, "");
	return rc;
}

/* Record what rate-limit headers say about the token just used. */
static void note_rate_headers(struct http_client *hc, const struct xfer *x,
			      const char *predicted)
{
	const char *rem = xfer_header(x, "x-ratelimit-remaining");
	const char *lim = xfer_header(x, "x-ratelimit-limit");
	const char *rst = xfer_header(x, "x-ratelimit-reset");
	const char *res = xfer_header(x, "x-ratelimit-resource");
	struct rl_bucket *b;

	snprintf(hc->last_resource, sizeof(hc->last_resource), "%s",
		 res && *res ? res : predicted);
	hc->last_token = hc->cur;
	if (!rem || !rst)
		return;
	b = rl_bucket_get(&hc->tokens[hc->cur], hc->last_resource, 1);
	rl_bucket_update(b, lim ? strtoll(lim, NULL, 10) : 0,
			 strtoll(rem, NULL, 10), strtoll(rst, NULL, 10));
	/* Keep the predicted bucket in step, so the next request of that
	 * kind sees the exhaustion before it is sent. */
	if (strcmp(hc->last_resource, predicted) != 0) {
		b = rl_bucket_get(&hc->tokens[hc->cur], predicted, 1);
		rl_bucket_update(b, lim ? strtoll(lim, NULL, 10) : 0,
				 strtoll(rem, NULL, 10), strtoll(rst, NULL, 10));
	}
}

static int transient_curl(CURLcode cc)
{
	switch (cc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_PARTIAL_FILE:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_BAD_CONTENT_ENCODING:
	case CURLE_WEIRD_SERVER_REPLY:
		return 1;
	default:
		return 0;
	}
}

static void etag_key(const char *url, char *out, size_t n)
{
	unsigned char d[32];
	size_t i, o;

	gcry_md_hash_buffer(GCRY_MD_SHA256, d, url, strlen(url));
	o = (size_t)snprintf(out, n, "etag:");
	for (i = 0; i < 16 && o + 2 < n; i++, o += 2)
		snprintf(out + o, n - o, "%02x", d[i]);
}

static struct etag_entry *etag_find(struct http_client *hc, const char *key)
{
	size_t i;

	for (i = 0; i < hc->netags; i++)
		if (strcmp(hc->etags[i].key, key) == 0)
			return &hc->etags[i];
	return NULL;
}

static void etag_remember(struct http_client *hc, const char *key,
			  const char *etag)
{
	struct etag_entry *e = etag_find(hc, key), *ne;
	char *v = strdup(etag);

	if (!v)
		return; /* only costs a full fetch next time */
	if (e) {
		free(e->etag);
		e->etag = v;
		return;
	}
	ne = realloc(hc->etags, (hc->netags + 1) * sizeof(*ne));
	if (!ne) {
		free(v);
		return;
	}
	hc->etags = ne;
	ne[hc->netags].key = strdup(key);
	ne[hc->netags].etag = v;
	if (!ne[hc->netags].key) {
		free(v);
		return;
	}
	hc->netags++;
}

/* ------------------------------------------------------------ the API */

int32_t http_request(struct pulse_job *job, const pulse_http_request *reqp,
		     pulse_http_response **resp)
{
	struct http_client *hc = client_of(job);
	pulse_http_request req;
	struct xfer x;
	struct attempt at;
	const char *method;
	char url[1024], resource[32], key[64], msg[256], step[256];
	char *stored_etag = NULL;
	const char *etag = NULL;
	int attempt = 0, rate_waits = 0, secondary = 0;
	int32_t rc = PULSE_ERR;
	size_t i;

	memset(&x, 0, sizeof(x));
	if (resp)
		*resp = NULL;
	if (!hc)
		return job_fail(job, PULSE_ERR_UNSUPPORTED,
				"http: no HTTP client is bound to this job");
	memset(&req, 0, sizeof(req));
	if (!reqp || !resp || reqp->struct_size < offsetof(pulse_http_request, url) +
	    sizeof(reqp->url)) {
		rc = job_fail(job, PULSE_ERR_PERMANENT, "%s: invalid HTTP request "
			      "(NULL or struct_size too small)", hc->label);
		goto out;
	}
	memcpy(&req, reqp, reqp->struct_size < sizeof(req) ?
	       reqp->struct_size : sizeof(req));
	method = req.method && *req.method ? req.method : "GET";
	if (!req.url || (strncmp(req.url, "http://", 7) != 0 &&
			 strncmp(req.url, "https://", 8) != 0)) {
		rc = job_fail(job, PULSE_ERR_PERMANENT, "%s: HTTP request without "
			      "an absolute http(s) URL", hc->label);
		goto out;
	}
	for (i = 0; req.headers && req.headers[i]; i++)
		if (!header_ok(req.headers[i])) {
			rc = job_fail(job, PULSE_ERR_PERMANENT, "%s: invalid request "
				      "header (must be \"Name: value\" on one line)",
				      hc->label);
			goto out;
		}
	if (req.auth == PULSE_AUTH_HEADER && (!req.auth_header ||
	    !*req.auth_header || strpbrk(req.auth_header, ":\r\n"))) {
		rc = job_fail(job, PULSE_ERR_PERMANENT, "%s: PULSE_AUTH_HEADER "
			      "needs a header name in auth_header", hc->label);
		goto out;
	}
	safe_url(req.url, url, sizeof(url));
	predict_resource(req.url, resource, sizeof(resource));
	if (req.auth != PULSE_AUTH_NONE) {
		if (!req.auth_secret || !*req.auth_secret) {
			rc = job_fail(job, PULSE_ERR_PERMANENT, "%s: request with "
				      "auth but no auth_secret config field", hc->label);
			goto out;
		}
		if ((rc = load_secrets(hc, req.auth_secret)) != PULSE_OK)
			goto out;
	}
	if (req.flags & PULSE_HTTP_CONDITIONAL) {
		struct etag_entry *e;

		etag_key(req.url, key, sizeof(key));
		e = etag_find(hc, key);
		if (e) {
			etag = e->etag;
		} else if (job->be && job->be->state_get) {
			stored_etag = job->be->state_get(job, key);
			etag = stored_etag;
		}
	}

	for (;;) {
		const char *rem, *ra;
		int64_t wait;
		int retry = 0;

		if (is_cancelled(hc)) {
			rc = job_fail(job, PULSE_ERR_CANCELLED, "%s: cancelled", hc->label);
			goto out;
		}
		if ((rc = pick_token(hc, resource, &rate_waits)) != PULSE_OK)
			goto out;
		/* A budget the plugin reported (GraphQL points) is spread
		 * over the time left before it resets. */
		wait = rl_pace_ms(rl_bucket_get(&hc->tokens[hc->cur], resource, 0),
				  rl_server_now_ms(&hc->clock));
		if (wait > 0) {
			snprintf(step, sizeof(step), "pacing %s requests to stay "
				 "within the rate limit", hc->vendor);
			if ((rc = hc_sleep(hc, wait, wait >= 2000 ? step : NULL)) != PULSE_OK)
				goto out;
		}
		while ((wait = rl_limiter_try(hc->lim, rl_local_ms())) > 0) {
			snprintf(step, sizeof(step), "waiting for the integration's "
				 "hourly request budget");
			if ((rc = hc_sleep(hc, wait, wait >= 2000 ? step : NULL)) != PULSE_OK)
				goto out;
		}
		xfer_free(&x);
		if (perform(hc, &req, method, etag, &x, &at) < 0) {
			rl_limiter_done(hc->lim);
			rc = job_fail(job, PULSE_ERR_TRANSIENT, "%s: out of memory "
				      "building a request", hc->label);
			goto out;
		}
		rl_limiter_done(hc->lim);
		attempt++;
		{
			const char *date = xfer_header(&x, "date");
			time_t d = date ? curl_getdate(date, NULL) : -1;

			if (d > 0)
				rl_clock_observe(&hc->clock, (int64_t)d,
						 rl_local_ms() - at.elapsed_ms / 2);
		}
		note_rate_headers(hc, &x, resource);
		if (x.oom || x.too_big) {
			rc = job_fail(job, x.oom ? PULSE_ERR_TRANSIENT : PULSE_ERR_PERMANENT,
				      "%s: %s %s: %s", hc->label, method, url,
				      x.oom ? "out of memory reading the response" :
				      "response larger than 512 MiB refused");
			goto out;
		}
		if (at.cc == CURLE_ABORTED_BY_CALLBACK && hc->cancel_seen) {
			rc = job_fail(job, PULSE_ERR_CANCELLED, "%s: cancelled during "
				      "%s %s", hc->label, method, url);
			goto out;
		}
		if (at.cc != CURLE_OK) {
			snprintf(msg, sizeof(msg), "%s", at.errbuf[0] ? at.errbuf :
				 curl_easy_strerror(at.cc));
			if (!transient_curl(at.cc)) {
				rc = job_fail(job, PULSE_ERR_PERMANENT,
					      "%s: %s %s failed: %s%s", hc->label,
					      method, url, msg,
					      at.cc == CURLE_PEER_FAILED_VERIFICATION ||
					      at.cc == CURLE_SSL_CACERT_BADFILE ?
					      "; check the server certificate or set "
					      "http.ca_file in pulse-host.conf" : "");
				goto out;
			}
			retry = 1;
		} else if (at.status == 401) {
			char which[48] = "";

			if (hc->nsecrets > 1)
				snprintf(which, sizeof(which), " %zu of %zu",
					 hc->cur + 1, hc->nsecrets);
			body_message(x.body.buf, x.body.len, msg, sizeof(msg));
			rc = job_fail(job, PULSE_ERR_PERMANENT,
				      "%s: token%s rejected (401%s%s); update it with "
				      "`pulse-host integration set-secret %lld %s`",
				      hc->label, which, msg[0] ? " " : "", msg,
				      (long long)job->integration_id,
				      req.auth_secret ? req.auth_secret : "");
			goto out;
		} else if (at.status == 403 || at.status == 429) {
			rem = xfer_header(&x, "x-ratelimit-remaining");
			ra = xfer_header(&x, "retry-after");
			body_message(x.body.buf, x.body.len, msg, sizeof(msg));
			if (ra && strtoll(ra, NULL, 10) >= 0 && isdigit((unsigned char)*ra)) {
				/* Secondary limit with an explicit delay. */
				snprintf(step, sizeof(step), "waiting %s s for %s "
					 "secondary rate limit (Retry-After)", ra, hc->vendor);
				if (++rate_waits > MAX_RATE_WAITS)
					goto too_many_waits;
				if ((rc = hc_sleep(hc, strtoll(ra, NULL, 10) * 1000,
						   step)) != PULSE_OK)
					goto out;
				continue;
			}
			if (rem && strtoll(rem, NULL, 10) == 0 &&
			    !rl_bucket_usable(rl_bucket_get(&hc->tokens[hc->cur],
							    resource, 0),
					      rl_server_now_ms(&hc->clock) / 1000)) {
				/* Primary limit: the bucket is now marked empty;
				 * pick_token rotates or waits for the reset. */
				log_info(CAT, "rate_limited integration=%lld method=%s "
					 "url=%s status=%ld token_no=%zu resource=%s",
					 (long long)job->integration_id, method, url,
					 at.status, hc->cur + 1, hc->last_resource);
				continue;
			}
			if (at.status == 429 || strcasestr(msg, "rate limit") ||
			    (rem && strtoll(rem, NULL, 10) == 0)) {
				/* Secondary limit without a delay (or a primary
				 * one without a reset time): at least a minute,
				 * doubling each time. */
				wait = SECONDARY_MIN_MS;
				for (i = 0; i < (size_t)secondary && wait < SECONDARY_CAP_MS; i++)
					wait *= 2;
				if (wait > SECONDARY_CAP_MS)
					wait = SECONDARY_CAP_MS;
				secondary++;
				snprintf(step, sizeof(step), "waiting %lld s for %s "
					 "secondary rate limit", (long long)(wait / 1000),
					 hc->vendor);
				if (++rate_waits > MAX_RATE_WAITS)
					goto too_many_waits;
				if ((rc = hc_sleep(hc, wait, step)) != PULSE_OK)
					goto out;
				continue;
			}
			rc = job_fail(job, PULSE_ERR_PERMANENT,
				      "%s: access denied (403%s%s) for %s %s; give the "
				      "token access to it, or remove it from the "
				      "integration's configuration", hc->label,
				      msg[0] ? " " : "", msg, method, url);
			goto out;
		} else if (at.status >= 500 || at.status == 408) {
			snprintf(msg, sizeof(msg), "HTTP %ld", at.status);
			retry = 1;
		} else if ((req.flags & PULSE_HTTP_JSON) && at.status >= 200 &&
			   at.status < 300 && at.status != 204 &&
			   !body_is_json(x.body.buf, x.body.len)) {
			snprintf(msg, sizeof(msg), "HTTP %ld with a truncated or "
				 "invalid JSON body (%zu bytes)", at.status, x.body.len);
			retry = 1;
		}
		if (retry) {
			if ((req.flags & PULSE_HTTP_NO_RETRY) || attempt > hc->max_retries) {
				rc = job_fail(job, PULSE_ERR_TRANSIENT,
					      "%s: %s %s failed after %d attempt%s (%s); "
					      "the job will be retried", hc->label, method,
					      url, attempt, attempt == 1 ? "" : "s", msg);
				goto out;
			}
			hc->st.retries++;
			log_info(CAT, "retry integration=%lld method=%s url=%s "
				 "attempt=%d status=%ld error=\"%s\" elapsed_ms=%lld",
				 (long long)job->integration_id, method, url, attempt,
				 at.status, msg, (long long)at.elapsed_ms);
			if ((rc = hc_sleep(hc, rl_backoff_ms(attempt - 1, BACKOFF_BASE_MS,
							     BACKOFF_CAP_MS), NULL)) != PULSE_OK)
				goto out;
			continue;
		}
		break;
	}

	log_debug(CAT, "request integration=%lld method=%s url=%s status=%ld "
		  "attempt=%d elapsed_ms=%lld bytes=%zu", (long long)job->integration_id,
		  method, url, at.status, attempt, (long long)at.elapsed_ms, x.body.len);
	if (at.status == 304) {
		hc->st.not_modified++;
	} else if ((req.flags & PULSE_HTTP_CONDITIONAL) && at.status == 200) {
		const char *e = xfer_header(&x, "etag");

		if (e && *e)
			etag_remember(hc, key, e);
	}
	*resp = xfer_detach(&x, at.status);
	if (!*resp) {
		rc = job_fail(job, PULSE_ERR_TRANSIENT, "%s: out of memory", hc->label);
		goto out;
	}
	rc = PULSE_OK;
	goto out;
too_many_waits:
	rc = job_fail(job, PULSE_ERR_TRANSIENT, "%s: %s %s still rate limited "
		      "after %d waits; the job will be retried later", hc->label,
		      method, url, MAX_RATE_WAITS);
out:
	xfer_free(&x);
	free(stored_etag);
	return rc;
}

int32_t http_wait_until(struct pulse_job *job, int64_t until, const char *reason)
{
	struct http_client *hc = client_of(job);
	char step[256], at[32];

	if (!hc)
		return job_fail(job, PULSE_ERR_UNSUPPORTED,
				"wait_until: no HTTP client is bound to this job");
	/* The plugin saw the budget of the last request's token run out (e.g.
	 * GraphQL RATE_LIMITED in a 200): mark it, and when another token
	 * still has budget for that resource, switch instead of sleeping. */
	if (hc->last_resource[0] && hc->last_token < hc->ntokens) {
		struct rl_bucket *b = rl_bucket_get(&hc->tokens[hc->last_token],
						    hc->last_resource, 1);
		int64_t now_s = rl_server_now_ms(&hc->clock) / 1000;
		size_t k;

		if (b && until > now_s) {
			b->remaining = 0;
			b->reset_s = until;
			b->known = 1;
		}
		for (k = 1; k < hc->ntokens; k++) {
			size_t i = (hc->last_token + k) % hc->ntokens;

			if (rl_bucket_usable(rl_bucket_get(&hc->tokens[i],
							   hc->last_resource, 0), now_s)) {
				log_info(CAT, "token_rotate integration=%lld resource=%s "
					 "from=%zu to=%zu of=%zu (instead of waiting)",
					 (long long)job->integration_id, hc->last_resource,
					 hc->last_token + 1, i + 1, hc->ntokens);
				hc->cur = i;
				return PULSE_OK;
			}
		}
	}
	iso_utc(until, at, sizeof(at));
	if (reason && *reason)
		snprintf(step, sizeof(step), "%s", reason);
	else
		snprintf(step, sizeof(step), "waiting for %s rate limit reset at %s",
			 hc->vendor, at);
	return hc_sleep(hc, rl_ms_until(&hc->clock, until), step);
}

void http_rate_budget(struct pulse_job *job, int64_t remaining, int64_t limit,
		      int64_t reset_epoch)
{
	struct http_client *hc = client_of(job);
	struct rl_bucket *b;

	if (!hc || !hc->last_resource[0] || hc->last_token >= hc->ntokens)
		return;
	b = rl_bucket_get(&hc->tokens[hc->last_token], hc->last_resource, 1);
	rl_bucket_update(b, limit, remaining, reset_epoch);
	log_debug(CAT, "rate_budget integration=%lld resource=%s remaining=%lld "
		  "limit=%lld reset=%lld cost=%lld", (long long)job->integration_id,
		  hc->last_resource, (long long)remaining, (long long)limit,
		  (long long)reset_epoch, (long long)b->cost);
}
