/*
 * http_request: the plugin's http call. Checks the request, then runs
 * attempts until http_policy says it is done: each attempt picks a token
 * with budget, paces, takes a slot of the integration's limiter, goes
 * through the guard and the transfer, and the verdict decides between
 * handing the response over, retrying, waiting and failing.
 */
#include "config.h"

#include <curl/curl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/log.h"
#include "http/http_int.h"
#include "http/http_policy.h"
#include "plugin/job.h"
#include "server/metrics_shm.h"

/* One request in flight: its copy of the plugin's struct, and what the
 * attempts so far have used and learned. */
struct call {
	struct http_client *hc;
	pulse_http_request req;
	const char *method;
	char url[1024];       /* for logs and errors: secrets redacted */
	char resource[32];    /* the budget it draws from */
	char key[64];         /* ETag state key */
	const char *etag;
	char *saved_etag;     /* owned */
	int attempt, rate_waits, secondary;
	struct xfer x;
	struct attempt at;
	struct http_pin pin;
};

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

static int header_ok(const char *h)
{
	return h && strchr(h, ':') && !strpbrk(h, "\r\n");
}

/* Copy and check the plugin's request; load its secrets and ETag. */
static int32_t call_prepare(struct call *k, const pulse_http_request *reqp)
{
	struct http_client *hc = k->hc;
	const pulse_http_request *req = &k->req;
	size_t i;

	if (!reqp || reqp->struct_size < offsetof(pulse_http_request, url) +
	    sizeof(reqp->url))
		return job_fail(hc->job, PULSE_ERR_PERMANENT, "%s: invalid HTTP "
				"request (NULL or struct_size too small)", hc->label);
	memcpy(&k->req, reqp, reqp->struct_size < sizeof(k->req) ?
	       reqp->struct_size : sizeof(k->req));
	k->method = req->method && *req->method ? req->method : "GET";
	if (!req->url || (strncmp(req->url, "http://", 7) != 0 &&
			  strncmp(req->url, "https://", 8) != 0))
		return job_fail(hc->job, PULSE_ERR_PERMANENT, "%s: HTTP request "
				"without an absolute http(s) URL", hc->label);
	for (i = 0; req->headers && req->headers[i]; i++)
		if (!header_ok(req->headers[i]))
			return job_fail(hc->job, PULSE_ERR_PERMANENT, "%s: invalid "
					"request header (must be \"Name: value\" "
					"on one line)", hc->label);
	if (req->auth == PULSE_AUTH_HEADER && (!req->auth_header ||
	    !*req->auth_header || strpbrk(req->auth_header, ":\r\n")))
		return job_fail(hc->job, PULSE_ERR_PERMANENT, "%s: "
				"PULSE_AUTH_HEADER needs a header name in "
				"auth_header", hc->label);
	http_safe_url(req->url, k->url, sizeof(k->url));
	predict_resource(req->url, k->resource, sizeof(k->resource));
	/* Before any secret is loaded: a refused host never sees one. */
	if (http_guard_check(hc, k->method, req->url, k->url, &k->pin) != PULSE_OK)
		return hc->job->err_class;
	if (req->auth != PULSE_AUTH_NONE) {
		if (!req->auth_secret || !*req->auth_secret)
			return job_fail(hc->job, PULSE_ERR_PERMANENT, "%s: request "
					"with auth but no auth_secret config "
					"field", hc->label);
		if (http_secrets_load(hc, req->auth_secret) != PULSE_OK)
			return hc->job->err_class;
	}
	if (req->flags & PULSE_HTTP_CONDITIONAL) {
		http_etag_key(req->url, k->key, sizeof(k->key));
		k->etag = http_etag_lookup(hc, k->key, &k->saved_etag);
	}
	return PULSE_OK;
}

/* Wait until the token's pace and the integration's limiter allow one
 * more request, then send it. */
static int32_t call_send(struct call *k)
{
	struct http_client *hc = k->hc;
	char step[256];
	int64_t wait;
	int32_t rc;

	if (http_cancelled(hc))
		return job_fail(hc->job, PULSE_ERR_CANCELLED, "%s: cancelled",
				hc->label);
	if ((rc = http_token_pick(hc, k->resource, &k->rate_waits)) != PULSE_OK)
		return rc;
	/* A budget the plugin reported (GraphQL points) is spread over the
	 * time left before it resets. */
	wait = rl_pace_ms(rl_bucket_get(&hc->tokens[hc->cur], k->resource, 0),
			  rl_server_now_ms(&hc->clock));
	if (wait > 0) {
		snprintf(step, sizeof(step), "pacing %s requests to stay within "
			 "the rate limit", hc->vendor);
		if ((rc = http_sleep(hc, wait, wait >= 2000 ? step : NULL)) != PULSE_OK)
			return rc;
	}
	while ((wait = rl_limiter_try(hc->lim, rl_local_ms())) > 0) {
		snprintf(step, sizeof(step), "waiting for the integration's "
			 "hourly request budget");
		if ((rc = http_sleep(hc, wait, wait >= 2000 ? step : NULL)) != PULSE_OK)
			return rc;
	}
	http_xfer_free(&k->x);
	rc = http_transfer(hc, &k->req, k->method, k->etag, &k->pin, &k->x, &k->at);
	rl_limiter_done(hc->lim);
	if (rc == 0)
		metrics_http_count(k->url, k->at.status);
	if (rc < 0)
		return job_fail(hc->job, PULSE_ERR_TRANSIENT, "%s: out of memory "
				"building a request", hc->label);
	k->attempt++;
	{
		const char *date = http_xfer_header(&k->x, "date");
		time_t d = date ? curl_getdate(date, NULL) : -1;

		if (d > 0)
			rl_clock_observe(&hc->clock, (int64_t)d,
					 rl_local_ms() - k->at.elapsed_ms / 2);
	}
	http_token_note(hc, &k->x, k->resource);
	return PULSE_OK;
}

/* Failures that are not about the status: memory, size, cancel, guard. */
static int32_t call_broken(struct call *k)
{
	struct http_client *hc = k->hc;

	if (k->x.oom || k->x.too_big)
		return job_fail(hc->job, k->x.oom ? PULSE_ERR_TRANSIENT :
				PULSE_ERR_PERMANENT, "%s: %s %s: %s", hc->label,
				k->method, k->url, k->x.oom ? "out of memory "
				"reading the response" : "response larger than "
				"512 MiB refused");
	if (k->at.cc == CURLE_ABORTED_BY_CALLBACK && hc->cancel_seen)
		return job_fail(hc->job, PULSE_ERR_CANCELLED, "%s: cancelled "
				"during %s %s", hc->label, k->method, k->url);
	if (k->at.refused[0])
		return job_fail(hc->job, PULSE_ERR_PERMANENT, "%s: %s %s: %s",
				hc->label, k->method, k->url, k->at.refused);
	return PULSE_OK;
}

/* The job error for a verdict that gives up. */
static int32_t call_fail(struct call *k, const struct http_verdict *v,
			 const char *msg)
{
	struct http_client *hc = k->hc;
	struct pulse_job *job = hc->job;
	char which[48] = "";
	CURLcode cc = k->at.cc;

	if (v->act == HTTP_ACT_FAIL_TRANSIENT)
		return job_fail(job, PULSE_ERR_TRANSIENT, "%s: %s %s failed after "
				"%d attempt%s (%s); the job will be retried",
				hc->label, k->method, k->url, k->attempt,
				k->attempt == 1 ? "" : "s", msg);
	if (v->why == HTTP_WHY_AUTH) {
		if (hc->nsecrets > 1)
			snprintf(which, sizeof(which), " %zu of %zu",
				 hc->cur + 1, hc->nsecrets);
		return job_fail(job, PULSE_ERR_PERMANENT, "%s: token%s rejected "
				"(401%s%s); update it with `pulse-host integration "
				"set-secret %lld %s`", hc->label, which,
				msg[0] ? " " : "", msg, (long long)job->integration_id,
				k->req.auth_secret ? k->req.auth_secret : "");
	}
	if (v->why == HTTP_WHY_DENIED)
		return job_fail(job, PULSE_ERR_PERMANENT, "%s: access denied "
				"(403%s%s) for %s %s; give the token access to it, "
				"or remove it from the integration's configuration",
				hc->label, msg[0] ? " " : "", msg, k->method, k->url);
	return job_fail(job, PULSE_ERR_PERMANENT, "%s: %s %s failed: %s%s",
			hc->label, k->method, k->url, msg,
			cc == CURLE_PEER_FAILED_VERIFICATION ||
			cc == CURLE_SSL_CACERT_BADFILE ? "; check the server "
			"certificate or set http.ca_file in pulse-host.conf" :
			cc == CURLE_UNSUPPORTED_PROTOCOL ? "; a redirect to plain "
			"http is not followed (https is required; see "
			"http.allow_hosts)" : "");
}

/* Describe the attempt, and ask the policy what comes next. */
static void call_judge(struct call *k, struct http_verdict *v, char *msg,
		       size_t n)
{
	const struct xfer *x = &k->x;
	struct http_outcome o;

	memset(&o, 0, sizeof(o));
	msg[0] = '\0';
	o.transport_error = k->at.cc != CURLE_OK;
	o.transport_transient = o.transport_error && http_curl_transient(k->at.cc);
	o.status = k->at.status;
	o.attempt = k->attempt;
	o.max_retries = k->hc->max_retries;
	o.no_retry = (k->req.flags & (PULSE_HTTP_NO_RETRY | PULSE_HTTP_RAW)) != 0;
	o.want_json = (k->req.flags & PULSE_HTTP_JSON) != 0;
	o.secondary = k->secondary;
	if (o.transport_error) {
		snprintf(msg, n, "%s", k->at.errbuf[0] ? k->at.errbuf :
			 curl_easy_strerror(k->at.cc));
	} else {
		o.retry_after = http_xfer_header(x, "retry-after");
		o.remaining = http_xfer_header(x, "x-ratelimit-remaining");
		o.bucket_empty = !rl_bucket_usable(
			rl_bucket_get(&k->hc->tokens[k->hc->cur], k->resource, 0),
			rl_server_now_ms(&k->hc->clock) / 1000);
		if (o.status == 401 || o.status == 403 || o.status == 429)
			http_body_message(x->body.buf, x->body.len, msg, n);
		o.says_rate_limit = strcasestr(msg, "rate limit") != NULL;
		o.body_json = o.want_json && http_body_is_json(x->body.buf, x->body.len);
	}
	http_policy_decide(&o, v);
	/* RAW (1.2): the plugin classifies statuses itself (a provider and
	 * its router); only transport failures are judged here, once. */
	if ((k->req.flags & PULSE_HTTP_RAW) && !o.transport_error) {
		v->act = HTTP_ACT_DONE;
		v->why = HTTP_WHY_OK;
	}
	if ((k->req.flags & HTTP_HOST_PASS_401) && o.status == 401) {
		v->act = HTTP_ACT_DONE;
		v->why = HTTP_WHY_OK;
	}
	if (v->why == HTTP_WHY_SERVER)
		snprintf(msg, n, "HTTP %ld", k->at.status);
	else if (v->why == HTTP_WHY_BAD_JSON)
		snprintf(msg, n, "HTTP %ld with a truncated or invalid JSON body "
			 "(%zu bytes)", k->at.status, x->body.len);
}

/* Carry out a waiting verdict. PULSE_OK: go round again. */
static int32_t call_wait(struct call *k, const struct http_verdict *v,
			 const char *msg)
{
	struct http_client *hc = k->hc;
	char step[256];

	if (v->act == HTTP_ACT_RETRY) {
		hc->st.retries++;
		metrics_retry();
		log_info(HTTP_CAT, "retry integration=%lld method=%s url=%s "
			 "attempt=%d status=%ld error=\"%s\" elapsed_ms=%lld",
			 (long long)hc->job->integration_id, k->method, k->url,
			 k->attempt, k->at.status, msg, (long long)k->at.elapsed_ms);
		return http_sleep(hc, v->wait_ms, NULL);
	}
	if (v->act == HTTP_ACT_WAIT_RESET) {
		/* The bucket is now marked empty; http_token_pick rotates
		 * or waits for the reset. */
		log_info(HTTP_CAT, "rate_limited integration=%lld method=%s "
			 "url=%s status=%ld token_no=%zu resource=%s",
			 (long long)hc->job->integration_id, k->method, k->url,
			 k->at.status, hc->cur + 1, hc->last_resource);
		return PULSE_OK;
	}
	if (v->why == HTTP_WHY_RETRY_AFTER)
		snprintf(step, sizeof(step), "waiting %lld s for %s secondary "
			 "rate limit (Retry-After)", (long long)(v->wait_ms / 1000),
			 hc->vendor);
	else
		snprintf(step, sizeof(step), "waiting %lld s for %s secondary "
			 "rate limit", (long long)(v->wait_ms / 1000), hc->vendor);
	if (v->why == HTTP_WHY_SECONDARY)
		k->secondary++;
	if (++k->rate_waits > HTTP_MAX_RATE_WAITS)
		return job_fail(hc->job, PULSE_ERR_TRANSIENT, "%s: %s %s still "
				"rate limited after %d waits; the job will be "
				"retried later", hc->label, k->method, k->url,
				HTTP_MAX_RATE_WAITS);
	return http_sleep(hc, v->wait_ms, step);
}

/* The final response: count it, remember its ETag, hand it over. */
static int32_t call_finish(struct call *k, pulse_http_response **resp)
{
	struct http_client *hc = k->hc;

	log_debug(HTTP_CAT, "request integration=%lld method=%s url=%s "
		  "status=%ld attempt=%d elapsed_ms=%lld bytes=%zu",
		  (long long)hc->job->integration_id, k->method, k->url,
		  k->at.status, k->attempt, (long long)k->at.elapsed_ms,
		  k->x.body.len);
	if (k->at.status == 304) {
		hc->st.not_modified++;
	} else if ((k->req.flags & PULSE_HTTP_CONDITIONAL) && k->at.status == 200) {
		const char *e = http_xfer_header(&k->x, "etag");

		if (e && *e)
			http_etag_remember(hc, k->key, e);
	}
	*resp = http_xfer_detach(&k->x, k->at.status);
	if (!*resp)
		return job_fail(hc->job, PULSE_ERR_TRANSIENT, "%s: out of memory",
				hc->label);
	return PULSE_OK;
}

int32_t http_request(struct pulse_job *job, const pulse_http_request *reqp,
		     pulse_http_response **resp)
{
	struct call *k = NULL;
	struct http_verdict v;
	char msg[256];
	int32_t rc;

	if (resp)
		*resp = NULL;
	if (!http_client_of(job))
		return job_fail(job, PULSE_ERR_UNSUPPORTED,
				"http: no HTTP client is bound to this job");
	if (!resp)
		return job_fail(job, PULSE_ERR_PERMANENT, "%s: invalid HTTP "
				"request (NULL or struct_size too small)",
				job->http->label);
	/* On the heap: the pin and the curl error buffer are large. */
	if (!(k = calloc(1, sizeof(*k))))
		return job_fail(job, PULSE_ERR_TRANSIENT, "%s: out of memory",
				job->http->label);
	k->hc = job->http;
	if ((rc = call_prepare(k, reqp)) != PULSE_OK)
		goto out;
	for (;;) {
		if ((rc = call_send(k)) != PULSE_OK ||
		    (rc = call_broken(k)) != PULSE_OK)
			goto out;
		call_judge(k, &v, msg, sizeof(msg));
		if (v.act == HTTP_ACT_DONE)
			break;
		if (v.act == HTTP_ACT_FAIL_TRANSIENT ||
		    v.act == HTTP_ACT_FAIL_PERMANENT) {
			rc = call_fail(k, &v, msg);
			goto out;
		}
		if ((rc = call_wait(k, &v, msg)) != PULSE_OK)
			goto out;
	}
	rc = call_finish(k, resp);
out:
	http_xfer_free(&k->x);
	free(k->saved_etag);
	free(k);
	return rc;
}
