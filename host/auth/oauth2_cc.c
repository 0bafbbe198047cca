/* oauth2_cc: token cache, token requests and the 401 retry (see
 * oauth2_cc.h). The cache is process-wide and guarded by one mutex; a
 * token is fetched outside the lock, so two jobs missing at once may both
 * fetch (harmless: the later one is kept). */
#include "config.h"

#include <curl/curl.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pulse-host/plugin.h>

#include "auth/oauth2_cc.h"
#include "base/crypto.h"

/* Renew this long before expiry (a fifth of a short lifetime). */
#define OAUTH2_MARGIN_S 300

struct tok {
	struct tok *next;
	char *key;       /* integration|authority|tenant|client|scope */
	char *token;     /* held out of core dumps; wiped on free */
	int64_t renew_at; /* epoch s: fetch a new one from here on */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct tok *cache;
static int64_t (*clock_fn)(void);

static int64_t now_s(void)
{
	return clock_fn ? clock_fn() : (int64_t)time(NULL);
}

void oauth2_set_clock(int64_t (*now)(void))
{
	clock_fn = now;
}

static void wipe(char *s)
{
	if (s) {
		crypto_wipe(s, strlen(s));
		free(s);
	}
}

static void tok_free(struct tok *t)
{
	if (!t)
		return;
	free(t->key);
	wipe(t->token);
	free(t);
}

void oauth2_cache_clear(void)
{
	struct tok *t, *n;

	pthread_mutex_lock(&lock);
	for (t = cache; t; t = n) {
		n = t->next;
		tok_free(t);
	}
	cache = NULL;
	pthread_mutex_unlock(&lock);
}

size_t oauth2_cache_size(void)
{
	struct tok *t;
	size_t n = 0;

	pthread_mutex_lock(&lock);
	for (t = cache; t; t = t->next)
		n++;
	pthread_mutex_unlock(&lock);
	return n;
}

/* The cache key; malloc'ed (caller frees), NULL when out of memory.
 * '\x1f' cannot occur in any part (the caller checked them). */
static char *key_text(const struct oauth2_key *k)
{
	size_t n = strlen(k->authority) + strlen(k->tenant) +
		strlen(k->client_id) + strlen(k->scope) + 32;
	char *s = malloc(n);

	if (s)
		snprintf(s, n, "%lld\x1f%s\x1f%s\x1f%s\x1f%s",
			 (long long)k->integration_id, k->authority, k->tenant,
			 k->client_id, k->scope);
	return s;
}

/* A copy of a fresh cached token (caller wipes), or NULL. */
static char *cache_get(const char *key)
{
	struct tok *t;
	char *copy = NULL;

	pthread_mutex_lock(&lock);
	for (t = cache; t; t = t->next)
		if (strcmp(t->key, key) == 0 && now_s() < t->renew_at) {
			copy = strdup(t->token);
			break;
		}
	pthread_mutex_unlock(&lock);
	return copy;
}

/* Forget key's token if it is still `token` (a 401 said it is bad; a
 * newer one another job fetched meanwhile stays). */
static void cache_drop(const char *key, const char *token)
{
	struct tok **pp, *t;

	pthread_mutex_lock(&lock);
	for (pp = &cache; (t = *pp) != NULL; pp = &t->next)
		if (strcmp(t->key, key) == 0) {
			if (!token || strcmp(t->token, token) == 0) {
				*pp = t->next;
				tok_free(t);
			}
			break;
		}
	pthread_mutex_unlock(&lock);
}

/* Keep token under key (copied); replaces an older one. */
static void cache_put(const char *key, const char *token, int64_t renew_at)
{
	struct tok *t = calloc(1, sizeof(*t));

	if (!t)
		return; /* not cached: the next call fetches again */
	t->key = strdup(key);
	t->token = strdup(token);
	t->renew_at = renew_at;
	if (!t->key || !t->token) {
		tok_free(t);
		return;
	}
	(void)crypto_dontdump(t->token, strlen(t->token) + 1);
	cache_drop(key, NULL);
	pthread_mutex_lock(&lock);
	t->next = cache;
	cache = t;
	pthread_mutex_unlock(&lock);
}

char *oauth2_form(const char *client_id, const char *secret,
		  const char *scope)
{
	char *id = curl_easy_escape(NULL, client_id, 0);
	char *sec = curl_easy_escape(NULL, secret, 0);
	char *sc = curl_easy_escape(NULL, scope, 0);
	char *out = NULL;
	size_t n;

	if (!id || !sec || !sc)
		goto out;
	n = strlen(id) + strlen(sec) + strlen(sc) + 96;
	out = malloc(n);
	if (out)
		snprintf(out, n, "grant_type=client_credentials&client_id=%s"
			 "&client_secret=%s&scope=%s", id, sec, sc);
out:
	curl_free(id);
	if (sec) {
		crypto_wipe(sec, strlen(sec));
		curl_free(sec);
	}
	curl_free(sc);
	return out;
}

char *oauth2_token_url(const char *authority, const char *tenant)
{
	size_t n = strlen(authority) + strlen(tenant) + 32;
	char *u = malloc(n);

	if (u)
		snprintf(u, n, "%s/%s/oauth2/v2.0/token", authority, tenant);
	return u;
}

/* Parse a 200 token answer into *token (malloc'ed) and its lifetime. */
static int parse_token(const char *body, char **token, int64_t *expires_in)
{
	struct json_object *o = body ? json_tokener_parse(body) : NULL, *v;
	int rc = -1;

	*token = NULL;
	*expires_in = 0;
	if (!o || !json_object_object_get_ex(o, "access_token", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    !*json_object_get_string(v))
		goto out;
	*token = strdup(json_object_get_string(v));
	/* expires_in is a number, but older endpoints sent a string. */
	if (json_object_object_get_ex(o, "expires_in", &v))
		*expires_in = json_object_is_type(v, json_type_string) ?
			strtoll(json_object_get_string(v), NULL, 10) :
			json_object_get_int64(v);
	if (*expires_in <= 0)
		*expires_in = 3599;
	rc = *token ? 0 : -1;
out:
	json_object_put(o);
	return rc;
}

/* A new token from the token endpoint into *token (caller wipes). */
static int32_t fetch(const struct oauth2_key *k, const char *key,
		     const struct oauth2_io *io, char **token, char *err,
		     size_t errlen)
{
	char *secret = NULL, *form = NULL, *url = NULL, *body = NULL;
	long status = 0;
	int64_t life, margin;
	int32_t rc;

	*token = NULL;
	if (!(secret = io->secret(io->ctx))) {
		rc = PULSE_ERR_PERMANENT; /* io recorded why */
		goto out;
	}
	form = oauth2_form(k->client_id, secret, k->scope);
	url = oauth2_token_url(k->authority, k->tenant);
	if (!form || !url) {
		snprintf(err, errlen, "oauth2: out of memory");
		rc = PULSE_ERR_TRANSIENT;
		goto out;
	}
	if ((rc = io->post(io->ctx, url, form, &status, &body)) != PULSE_OK)
		goto out;
	if (status != 200) {
		rc = oauth2_error_judge(status, body, k, err, errlen);
		goto out;
	}
	if (parse_token(body, token, &life) < 0) {
		snprintf(err, errlen, "oauth2: the token endpoint %s answered 200 "
			 "without an access_token; check `authority` (it must be "
			 "the identity platform, e.g. %s)", url,
			 OAUTH2_DEFAULT_AUTHORITY);
		rc = PULSE_ERR_PERMANENT;
		goto out;
	}
	margin = life >= 5 * OAUTH2_MARGIN_S ? OAUTH2_MARGIN_S : life / 5;
	cache_put(key, *token, now_s() + life - margin);
	rc = PULSE_OK;
out:
	wipe(secret);
	wipe(form);
	wipe(body); /* it held the token */
	free(url);
	return rc;
}

int32_t oauth2_call(const struct oauth2_key *k, const struct oauth2_io *io,
		    char *err, size_t errlen)
{
	char *key = key_text(k), *token = NULL;
	long status = 0;
	int32_t rc;

	err[0] = '\0';
	if (!key) {
		snprintf(err, errlen, "oauth2: out of memory");
		return PULSE_ERR_TRANSIENT;
	}
	if (!(token = cache_get(key))) {
		if ((rc = fetch(k, key, io, &token, err, errlen)) != PULSE_OK)
			goto out;
	}
	if ((rc = io->send(io->ctx, token, &status)) != PULSE_OK || status != 401)
		goto out;
	/* 401: revoked, or expired early; once with a new token. A token we
	 * just fetched that is refused gets the same second chance (the
	 * resource may lag the identity platform by a moment). */
	io->drop(io->ctx);
	cache_drop(key, token);
	wipe(token);
	token = NULL;
	if ((rc = fetch(k, key, io, &token, err, errlen)) != PULSE_OK)
		goto out;
	if ((rc = io->send(io->ctx, token, &status)) != PULSE_OK)
		goto out;
	if (status == 401) {
		io->drop(io->ctx);
		cache_drop(key, token);
		snprintf(err, errlen, "oauth2: the service refused a new token "
			 "of application %s for %s (401 twice); grant the "
			 "application the permissions the plugin needs, with "
			 "admin consent, in tenant %s", k->client_id, k->scope,
			 k->tenant);
		rc = PULSE_ERR_PERMANENT;
	}
out:
	wipe(token);
	free(key);
	return rc;
}
