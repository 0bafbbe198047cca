/*
 * http_client: one client per job (a libcurl easy handle, so connections
 * and HTTP/2 sessions live across the job's requests), found through the
 * job's own http slot, plus the waits and cancellation checks every part
 * of the service shares.
 */
#include "config.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <gcrypt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/conf.h"
#include "base/log.h"
#include "http/http_int.h"
#include "plugin/job.h"
#include "server/metrics_shm.h"
#include "plugin/loaded.h"

/* libcurl's global state, and the clients alive: curl_global_cleanup
 * must not run under a live handle. */
static pthread_mutex_t global_lock = PTHREAD_MUTEX_INITIALIZER;
static int global_done;
static long nclients;

int http_global_init(void)
{
	int rc = 0;

	pthread_mutex_lock(&global_lock);
	if (global_done)
		goto out;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_error(HTTP_CAT, "curl_global_init failed");
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
	pthread_mutex_unlock(&global_lock);
	return rc;
}

void http_global_cleanup(void)
{
	pthread_mutex_lock(&global_lock);
	if (global_done && nclients == 0) {
		curl_global_cleanup();
		global_done = 0;
	} else if (nclients) {
		log_warn(HTTP_CAT, "global_cleanup with %ld client(s) alive: "
			 "libcurl is left initialised (free each job's client "
			 "with http_client_free first)", nclients);
	}
	pthread_mutex_unlock(&global_lock);
}

struct http_client *http_client_of(struct pulse_job *job)
{
	return job && job->http && job->http->job == job ? job->http : NULL;
}

/* Copy the allow-list, lower-cased (host names are case-insensitive)
 * and without IPv6 brackets, to match what the URL parser gives. */
static int copy_allow_list(struct http_client *hc, char *const *list)
{
	size_t n = 0, i, k;

	while (list && list[n])
		n++;
	hc->allow_hosts = calloc(n + 1, sizeof(*hc->allow_hosts));
	if (!hc->allow_hosts)
		return -1;
	for (i = 0; i < n; i++) {
		const char *h = list[i];
		size_t len = strlen(h);
		char *c;

		if (len >= 2 && h[0] == '[' && h[len - 1] == ']') {
			h++;
			len -= 2;
		}
		if (!(c = strndup(h, len)))
			return -1;
		for (k = 0; c[k]; k++)
			c[k] = (char)tolower((unsigned char)c[k]);
		hc->allow_hosts[hc->nallow++] = c;
	}
	return 0;
}

/* Everything but the job link and the global count (both set last). */
static void client_release(struct http_client *hc)
{
	size_t i;

	http_secrets_drop(hc);
	http_etags_free(hc);
	for (i = 0; i < hc->nallow; i++)
		free(hc->allow_hosts[i]);
	free(hc->allow_hosts);
	if (hc->lim)
		rl_limiter_put(hc->lim);
	if (hc->curl)
		curl_easy_cleanup(hc->curl);
	free(hc->tokens);
	free(hc->ca_file);
	free(hc->user_agent);
	free(hc);
}

static void set_names(struct http_client *hc, const struct pulse_job *job)
{
	const char *pname = job->plugin && job->plugin->name ?
		job->plugin->name : NULL;

	snprintf(hc->vendor, sizeof(hc->vendor), "%s", pname ? pname : "API");
	if (pname)
		snprintf(hc->label, sizeof(hc->label), "integration %lld (%s)",
			 (long long)job->integration_id, pname);
	else
		snprintf(hc->label, sizeof(hc->label), "integration %lld",
			 (long long)job->integration_id);
}

struct http_client *http_client_new(const struct conf *conf,
				    struct pulse_job *job)
{
	struct http_client *hc = NULL;
	const char *env;

	if (!job || http_global_init() < 0)
		return NULL;
	hc = calloc(1, sizeof(*hc));
	if (!hc)
		goto fail;
	hc->job = job;
	hc->curl = curl_easy_init();
	hc->ca_file = strdup(conf && conf->http_ca_file ? conf->http_ca_file : "");
	hc->user_agent = strdup(conf && conf->http_user_agent ?
				conf->http_user_agent : "pulse-host/" PACKAGE_VERSION);
	hc->tokens = calloc(1, sizeof(*hc->tokens));
	hc->ntokens = 1;
	if (!hc->curl || !hc->ca_file || !hc->user_agent || !hc->tokens ||
	    copy_allow_list(hc, conf ? conf->http_allow_hosts : NULL) < 0)
		goto fail;
	hc->timeout_s = conf && conf->http_timeout_s > 0 ? conf->http_timeout_s : 60;
	hc->max_retries = conf && conf->http_max_retries >= 0 ?
		conf->http_max_retries : 5;
	set_names(hc, job);
	env = getenv("PULSE_HOST_TEST_MAX_WAIT_MS");
	if (env && *env) {
		hc->test_max_wait_ms = strtoll(env, NULL, 10);
		if (hc->test_max_wait_ms > 0)
			log_warn(HTTP_CAT, "test_knob PULSE_HOST_TEST_MAX_WAIT_MS=%lld: "
				 "every wait is capped (tests only)",
				 (long long)hc->test_max_wait_ms);
	}
	hc->lim = rl_limiter_get(job->integration_id, 0, 0);
	if (!hc->lim)
		goto fail;
	if (job->http && job->http != hc)
		log_warn(HTTP_CAT, "client_replaced integration=%lld: the job "
			 "already had a client (free it with http_client_free)",
			 (long long)job->integration_id);
	job->http = hc;
	pthread_mutex_lock(&global_lock);
	nclients++;
	pthread_mutex_unlock(&global_lock);
	return hc;
fail:
	if (hc)
		client_release(hc);
	log_error(HTTP_CAT, "could not create an HTTP client (out of memory or "
		  "libcurl failed to start)");
	return NULL;
}

void http_client_free(struct http_client *hc)
{
	if (!hc)
		return;
	if (hc->job && hc->job->http == hc)
		hc->job->http = NULL;
	client_release(hc);
	pthread_mutex_lock(&global_lock);
	nclients--;
	pthread_mutex_unlock(&global_lock);
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

void http_backend_install(struct job_backend *be)
{
	if (!be)
		return;
	be->http = http_request;
	be->wait_until = http_wait_until;
	be->rate_budget = http_rate_budget;
}

int http_cancelled(struct http_client *hc)
{
	const struct job_backend *be = hc->job->be;

	if (hc->cancel_seen)
		return 1;
	if (be && be->cancelled && be->cancelled(hc->job))
		hc->cancel_seen = 1;
	return hc->cancel_seen;
}

int32_t http_sleep(struct http_client *hc, int64_t ms, const char *step)
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
		log_info(HTTP_CAT, "wait integration=%lld ms=%lld reason=\"%s\"",
			 (long long)hc->job->integration_id, (long long)ms, step);
		if (be && be->progress)
			be->progress(hc->job, step, 0, 0);
	}
	for (;;) {
		if (http_cancelled(hc)) {
			hc->st.wait_ms += (uint64_t)(rl_local_ms() - start);
			return job_fail(hc->job, PULSE_ERR_CANCELLED,
					"%s: cancelled while %s", hc->label,
					step ? step : "waiting to retry");
		}
		left = start + ms - rl_local_ms();
		if (left <= 0)
			break;
		if (left > HTTP_CANCEL_POLL_MS)
			left = HTTP_CANCEL_POLL_MS;
		ts.tv_sec = left / 1000;
		ts.tv_nsec = (long)(left % 1000) * 1000000L;
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
	if (step) {
		hc->st.wait_ms += (uint64_t)(rl_local_ms() - start);
		metrics_wait_ms((uint64_t)(rl_local_ms() - start));
	}
	return PULSE_OK;
}
