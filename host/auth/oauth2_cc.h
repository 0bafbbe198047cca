/*
 * oauth2_cc: the host's OAuth2 client-credentials service (Entra ID, or
 * any identity platform with the same v2.0 token endpoint), behind the
 * plugin API's oauth2_http (ABI 1.3; docs/plugins.md "The token service").
 *
 *  - POST {authority}/{tenant}/oauth2/v2.0/token, form-encoded, with the
 *    client id, the URL-encoded secret, the scope and
 *    grant_type=client_credentials;
 *  - one token per (integration, authority, tenant, client, scope), kept in
 *    this process's memory (never on disk, never logged, out of core
 *    dumps) and renewed before it expires;
 *  - a 401 on a request gets one new token and one retry;
 *  - the identity platform's permanent refusals (AADSTS codes) fail with a
 *    remedy; its transient ones are retried later.
 *
 * The logic is free of I/O: the caller supplies the token POST, the
 * secret and the request itself (struct oauth2_io), so that the unit test
 * (tests/unit/test-oauth2.c) drives every path; oauth2_http.c wires it to
 * a job's HTTP client.
 */
#ifndef PULSE_AUTH_OAUTH2_CC_H
#define PULSE_AUTH_OAUTH2_CC_H

#include <stddef.h>
#include <stdint.h>

#define OAUTH2_DEFAULT_AUTHORITY "https://login.microsoftonline.com"

/* Whose token: every member borrowed. */
struct oauth2_key {
	int64_t integration_id;
	const char *authority;  /* base URL without the trailing slash */
	const char *tenant;
	const char *client_id;
	const char *scope;
};

/* What the service needs from its caller. Each returns PULSE_OK or a
 * failure class the caller has already recorded (job_fail). */
struct oauth2_io {
	void *ctx;
	/* POST form (application/x-www-form-urlencoded) to url; *status and
	 * *body (malloc'ed, the service frees it) of the answer. */
	int32_t (*post)(void *ctx, const char *url, const char *form,
			long *status, char **body);
	/* The decrypted client secret, malloc'ed (the service wipes and
	 * frees it), or NULL after recording why. */
	char *(*secret)(void *ctx);
	/* Send the request with this bearer token; keep the response in ctx
	 * and say its status. */
	int32_t (*send)(void *ctx, const char *token, long *status);
	/* Release the response send kept (a 401 before the retry). */
	void (*drop)(void *ctx);
};

/*
 * One request with key's token: a cached one if still fresh, else a new
 * one; on a 401, one new token and one more send. PULSE_OK: the response
 * is in io->ctx (any status but a second 401). Otherwise a failure class:
 * with err set, the caller records err as the job's failure; with err
 * empty, io already recorded it.
 */
int32_t oauth2_call(const struct oauth2_key *key, const struct oauth2_io *io,
		    char *err, size_t errlen);

/* The form body of a token request, every value URL-encoded (secrets
 * often hold + / =). malloc'ed; the caller wipes and frees it. NULL when
 * out of memory. */
char *oauth2_form(const char *client_id, const char *secret,
		  const char *scope);

/* The token URL: {authority}/{tenant}/oauth2/v2.0/token; malloc'ed. */
char *oauth2_token_url(const char *authority, const char *tenant);

/*
 * Judge a refused token request (status, body): PULSE_ERR_PERMANENT with
 * the remedy of a known AADSTS code or error, else PULSE_ERR_TRANSIENT
 * (5xx, temporarily_unavailable, AADSTS90024/90033/90006). msg names the
 * code and what to do; never holds a secret. (oauth2_errors.c)
 */
int32_t oauth2_error_judge(long status, const char *body,
			   const struct oauth2_key *key, char *msg, size_t n);

/* Tests: the clock (epoch seconds; NULL = time()), and an empty cache. */
void oauth2_set_clock(int64_t (*now)(void));
void oauth2_cache_clear(void);
/* How many tokens the cache holds (tests, stats). */
size_t oauth2_cache_size(void);

#endif
