/*
 * http_tokens: the credentials of a job's requests. Every secret of the
 * request's config key (a SECRET_LIST holds several tokens), the budget
 * each token has left per rate-limit resource, rotation to a token with
 * budget, and waiting for a reset when none has any.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/crypto.h"
#include "base/log.h"
#include "http/http_int.h"
#include "plugin/job.h"

static void wipe_free(char *s)
{
	if (!s)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

void http_secrets_drop(struct http_client *hc)
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

static void iso_utc(int64_t epoch_s, char *out, size_t n)
{
	time_t t = (time_t)epoch_s;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Load the secrets of config key `key` (all of a SECRET_LIST). */
int32_t http_secrets_load(struct http_client *hc, const char *key)
{
	const struct job_backend *be = hc->job->be;
	struct rl_token *t;
	char *s;
	size_t n = 0;

	if (hc->secret_key && strcmp(hc->secret_key, key) == 0)
		return PULSE_OK;
	http_secrets_drop(hc);
	hc->secret_key = strdup(key);
	hc->secrets = calloc(HTTP_MAX_SECRETS, sizeof(*hc->secrets));
	if (!hc->secret_key || !hc->secrets)
		goto oom;
	while (be && be->secret_get && n < HTTP_MAX_SECRETS &&
	       (s = be->secret_get(hc->job, key, (uint32_t)n)) != NULL) {
		size_t l = strlen(s);

		while (l && isspace((unsigned char)s[l - 1]))
			s[--l] = '\0';
		/* Held for the whole job: out of any core dump. */
		(void)crypto_dontdump(s, l + 1);
		hc->secrets[n++] = s;
	}
	hc->nsecrets = n;
	if (n == 0) {
		http_secrets_drop(hc);
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
	http_secrets_drop(hc);
	return job_fail(hc->job, PULSE_ERR_TRANSIENT, "%s: out of memory", hc->label);
}

/*
 * Pick a token whose budget for `resource` still has room, rotating away
 * from an exhausted one; when every token is exhausted, wait (visibly)
 * for the earliest reset. Returns PULSE_OK or an error class.
 */
int32_t http_token_pick(struct http_client *hc, const char *resource,
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
					log_info(HTTP_CAT, "token_rotate integration=%lld "
						 "resource=%s from=%zu to=%zu of=%zu",
						 (long long)hc->job->integration_id,
						 resource, hc->cur + 1, i + 1, n);
				hc->cur = i;
				return PULSE_OK;
			}
			if (!earliest || b->reset_s < earliest)
				earliest = b->reset_s;
		}
		if (++*rate_waits > HTTP_MAX_RATE_WAITS)
			return job_fail(hc->job, PULSE_ERR_TRANSIENT,
					"%s: %s rate limit still exhausted after %d waits; "
					"the job will be retried later", hc->label,
					hc->vendor, HTTP_MAX_RATE_WAITS);
		iso_utc(earliest, at, sizeof(at));
		snprintf(step, sizeof(step),
			 "waiting for %s rate limit reset at %s", hc->vendor, at);
		rc = http_sleep(hc, rl_ms_until(&hc->clock, earliest), step);
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

/* Record what rate-limit headers say about the token just used. */
void http_token_note(struct http_client *hc, const struct xfer *x,
			      const char *predicted)
{
	const char *rem = http_xfer_header(x, "x-ratelimit-remaining");
	const char *lim = http_xfer_header(x, "x-ratelimit-limit");
	const char *rst = http_xfer_header(x, "x-ratelimit-reset");
	const char *res = http_xfer_header(x, "x-ratelimit-resource");
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

int32_t http_wait_until(struct pulse_job *job, int64_t until, const char *reason)
{
	struct http_client *hc = http_client_of(job);
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
				log_info(HTTP_CAT, "token_rotate integration=%lld resource=%s "
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
	return http_sleep(hc, rl_ms_until(&hc->clock, until), step);
}

void http_rate_budget(struct pulse_job *job, int64_t remaining, int64_t limit,
		      int64_t reset_epoch)
{
	struct http_client *hc = http_client_of(job);
	struct rl_bucket *b;

	if (!hc || !hc->last_resource[0] || hc->last_token >= hc->ntokens)
		return;
	b = rl_bucket_get(&hc->tokens[hc->last_token], hc->last_resource, 1);
	rl_bucket_update(b, limit, remaining, reset_epoch);
	log_debug(HTTP_CAT, "rate_budget integration=%lld resource=%s remaining=%lld "
		  "limit=%lld reset=%lld cost=%lld", (long long)job->integration_id,
		  hc->last_resource, (long long)remaining, (long long)limit,
		  (long long)reset_epoch, (long long)b->cost);
}
