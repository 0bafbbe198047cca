/* oidc_fetch: discovery, JWKS and the code exchange (see oidc_fetch.h). */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "auth/oidc_fetch.h"
#include "base/crypto.h"
#include "base/log.h"
#include "http/http.h"
#include "http/http_int.h"
#include "plugin/job.h"
#include "server/auth.h"

#define DISCOVERY_TTL_S 300
#define CACHE_SLOTS 16
#define TIMEOUT_MS 10000

struct cached {
	char key[512];     /* issuer (discovery) or jwks_uri */
	int jwks;
	time_t at;
	json_object *doc;
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cached cache[CACHE_SLOTS];

/* A new reference to the cached document, or NULL. */
static json_object *cache_get(const char *key, int jwks, int ttl)
{
	json_object *o = NULL;
	size_t i;

	pthread_mutex_lock(&cache_lock);
	for (i = 0; i < CACHE_SLOTS; i++)
		if (cache[i].doc && cache[i].jwks == jwks &&
		    strcmp(cache[i].key, key) == 0 &&
		    (!ttl || time(NULL) - cache[i].at < ttl))
			o = json_object_get(cache[i].doc);
	pthread_mutex_unlock(&cache_lock);
	return o;
}

/* Keep doc (borrowed; the cache takes its own reference). */
static void cache_put(const char *key, int jwks, json_object *doc)
{
	size_t i, slot = 0;

	pthread_mutex_lock(&cache_lock);
	for (i = 0; i < CACHE_SLOTS; i++) {
		if (cache[i].doc && cache[i].jwks == jwks &&
		    strcmp(cache[i].key, key) == 0) {
			slot = i;
			break;
		}
		if (!cache[i].doc || cache[i].at < cache[slot].at)
			slot = i;
	}
	json_object_put(cache[slot].doc);
	snprintf(cache[slot].key, sizeof(cache[slot].key), "%s", key);
	cache[slot].jwks = jwks;
	cache[slot].at = time(NULL);
	cache[slot].doc = json_object_get(doc);
	pthread_mutex_unlock(&cache_lock);
}

/*
 * One request through a host HTTP client of its own (no retries: a
 * person waits). *status and the body as JSON (new reference, NULL if it
 * is not JSON). 0, or -1 with err (refused by the guard, transport).
 */
static int request(const struct conf *conf, int64_t tenant, const char *method,
		   const char *url, const char *const *headers, const char *body,
		   long *status, json_object **out, char *err, size_t errlen)
{
	struct job_backend be;
	struct pulse_job job;
	struct http_client *hc;
	pulse_http_request rq;
	pulse_http_response *rs = NULL;
	int rc = -1;

	*out = NULL;
	memset(&be, 0, sizeof(be));
	memset(&job, 0, sizeof(job));
	memset(&rq, 0, sizeof(rq));
	http_backend_install(&be);
	job.mode = JOB_PROVIDER;
	job.tenant_id = tenant;
	job.be = &be;
	if (!(hc = http_client_new(conf, &job))) {
		snprintf(err, errlen, "cannot start the HTTP client");
		return -1;
	}
	/* Messages name single sign-on, not an integration. */
	snprintf(hc->label, sizeof(hc->label), "single sign-on (tenant %lld)",
		 (long long)tenant);
	rq.struct_size = sizeof(rq);
	rq.abi_major = PULSE_ABI_MAJOR;
	rq.abi_minor = PULSE_ABI_MINOR;
	rq.method = method;
	rq.url = url;
	rq.headers = headers;
	rq.body = body;
	rq.body_len = body ? strlen(body) : 0;
	rq.flags = PULSE_HTTP_RAW | PULSE_HTTP_NO_RETRY;
	rq.timeout_ms = TIMEOUT_MS;
	if (http_request(&job, &rq, &rs) != PULSE_OK) {
		snprintf(err, errlen, "%s", job.err[0] ? job.err : "request failed");
		goto out;
	}
	*status = (long)rs->status;
	*out = json_tokener_parse(rs->body);
	rc = 0;
out:
	http_response_free(rs);
	http_client_free(hc);
	return rc;
}

/* Copy string field k of o into buf; -1 if it is missing. */
static int field(json_object *o, const char *k, char *buf, size_t len)
{
	json_object *v;

	if (!json_object_object_get_ex(o, k, &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    (size_t)json_object_get_string_len(v) >= len)
		return -1;
	snprintf(buf, len, "%s", json_object_get_string(v));
	return 0;
}

int oidc_discover(const struct conf *conf, int64_t tenant, const char *issuer,
		  struct oidc_meta *m, char *err, size_t errlen)
{
	char url[640], iss[512];
	json_object *doc;
	long status = 0;
	size_t l = strlen(issuer);
	int rc = -1;

	if (!(doc = cache_get(issuer, 0, DISCOVERY_TTL_S))) {
		snprintf(url, sizeof(url), "%.*s/.well-known/openid-configuration",
			 (int)(l && issuer[l - 1] == '/' ? l - 1 : l), issuer);
		if (request(conf, tenant, "GET", url, NULL, NULL, &status, &doc,
			    err, errlen) < 0)
			return -1;
		if (status != 200 || !doc ||
		    !json_object_is_type(doc, json_type_object)) {
			snprintf(err, errlen, "discovery at %s answered %ld%s", url,
				 status, status == 200 ? " without a JSON object" : "");
			goto out;
		}
		if (field(doc, "issuer", iss, sizeof(iss)) < 0 ||
		    strcmp(iss, issuer) != 0) {
			snprintf(err, errlen, "discovery at %s names issuer '%s', not "
				 "the configured '%s' (set --issuer exactly as the "
				 "provider states it)", url, field(doc, "issuer", iss,
				 sizeof(iss)) < 0 ? "(none)" : iss, issuer);
			goto out;
		}
	}
	if (field(doc, "authorization_endpoint", m->authorization_endpoint,
		  sizeof(m->authorization_endpoint)) < 0 ||
	    field(doc, "token_endpoint", m->token_endpoint,
		  sizeof(m->token_endpoint)) < 0 ||
	    field(doc, "jwks_uri", m->jwks_uri, sizeof(m->jwks_uri)) < 0) {
		snprintf(err, errlen, "the discovery document of %s lacks "
			 "authorization_endpoint, token_endpoint or jwks_uri",
			 issuer);
		goto out;
	}
	cache_put(issuer, 0, doc);
	rc = 0;
out:
	json_object_put(doc);
	return rc;
}

json_object *oidc_jwks(const struct conf *conf, int64_t tenant,
		       const char *jwks_uri, int refresh, char *err,
		       size_t errlen)
{
	json_object *doc = NULL, *keys;
	long status = 0;

	if (!refresh && (doc = cache_get(jwks_uri, 1, 0)))
		return doc;
	if (request(conf, tenant, "GET", jwks_uri, NULL, NULL, &status, &doc,
		    err, errlen) < 0)
		return NULL;
	if (status != 200 || !doc || !json_object_object_get_ex(doc, "keys", &keys) ||
	    !json_object_is_type(keys, json_type_array)) {
		snprintf(err, errlen, "the JWKS at %s answered %ld%s", jwks_uri,
			 status, status == 200 ? " without a \"keys\" array" : "");
		json_object_put(doc);
		return NULL;
	}
	log_info("AUTH", "oidc=jwks_fetched tenant=%lld keys=%zu refresh=%d",
		 (long long)tenant, json_object_array_length(keys), refresh);
	cache_put(jwks_uri, 1, doc);
	return doc;
}

/* libcurl's escaping (RFC 3986: all but A-Z a-z 0-9 - . _ ~), the same
 * the client-credentials service uses for its form (oauth2_cc.c). */
int oidc_form_add(char *buf, size_t cap, const char *key, const char *value)
{
	char *k = curl_easy_escape(NULL, key, 0);
	char *v = curl_easy_escape(NULL, value, 0);
	size_t n = strlen(buf);
	int amp = n && buf[n - 1] != '?', rc = -1;

	if (k && v && n + amp + strlen(k) + 1 + strlen(v) < cap) {
		snprintf(buf + n, cap - n, "%s%s=%s", amp ? "&" : "", k, v);
		rc = 0;
	}
	curl_free(k);
	curl_free(v);
	return rc;
}

/* Standard base64 (with padding) of n bytes into out (4 * ceil(n / 3)
 * + 1 bytes). */
static void b64_std(const unsigned char *p, size_t n, char *out)
{
	static const char al[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i, o = 0;

	for (i = 0; i + 2 < n; i += 3) {
		out[o++] = al[p[i] >> 2];
		out[o++] = al[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
		out[o++] = al[((p[i + 1] & 15) << 2) | (p[i + 2] >> 6)];
		out[o++] = al[p[i + 2] & 63];
	}
	if (i < n) {
		out[o++] = al[p[i] >> 2];
		if (i + 1 < n) {
			out[o++] = al[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
			out[o++] = al[(p[i + 1] & 15) << 2];
		} else {
			out[o++] = al[(p[i] & 3) << 4];
			out[o++] = '=';
		}
		out[o++] = '=';
	}
	out[o] = '\0';
}

json_object *oidc_exchange_code(const struct conf *conf, int64_t tenant,
				const char *token_endpoint,
				const struct oidc_client_auth *ca,
				const char *code, const char *redirect_uri,
				const char *verifier, char *err, size_t errlen)
{
	char body[4096] = "", basic[1040] = "", cred[768] = "", hdr[1100];
	const char *headers[3] = {"Accept: application/json", NULL, NULL};
	json_object *out = NULL;
	long status = 0;

	if (oidc_form_add(body, sizeof(body), "grant_type", "authorization_code") ||
	    oidc_form_add(body, sizeof(body), "code", code) ||
	    oidc_form_add(body, sizeof(body), "redirect_uri", redirect_uri) ||
	    oidc_form_add(body, sizeof(body), "code_verifier", verifier) ||
	    ((ca->post || !ca->client_secret) &&
	     oidc_form_add(body, sizeof(body), "client_id", ca->client_id)) ||
	    (ca->post && ca->client_secret &&
	     oidc_form_add(body, sizeof(body), "client_secret", ca->client_secret))) {
		snprintf(err, errlen, "the token request is too long");
		goto out;
	}
	if (!ca->post && ca->client_secret) {
		/* RFC 6749 2.3.1: id and secret each form-encoded, then
		 * "id:secret" in base64 */
		char *ei = curl_easy_escape(NULL, ca->client_id, 0);
		char *es = curl_easy_escape(NULL, ca->client_secret, 0);
		int bad = !ei || !es || (size_t)snprintf(cred, sizeof(cred),
				"%s:%s", ei, es) >= sizeof(cred);
		size_t n = bad ? 0 : strlen(cred);

		if (es) {
			crypto_wipe(es, strlen(es));
			curl_free(es);
		}
		curl_free(ei);
		if (bad || 4 * ((n + 2) / 3) + 1 > sizeof(basic)) {
			snprintf(err, errlen, "the client id or secret is too long");
			goto out;
		}
		b64_std((const unsigned char *)cred, n, basic);
		snprintf(hdr, sizeof(hdr), "Authorization: Basic %s", basic);
		headers[1] = hdr;
	}
	{
		const char *ct[4] = {headers[0], "Content-Type: "
				     "application/x-www-form-urlencoded",
				     headers[1], NULL};

		if (request(conf, tenant, "POST", token_endpoint, ct, body,
			    &status, &out, err, errlen) < 0)
			goto out;
	}
	if (status != 200 || !out || !json_object_is_type(out, json_type_object)) {
		json_object *e = NULL, *d = NULL;

		if (out) {
			json_object_object_get_ex(out, "error", &e);
			json_object_object_get_ex(out, "error_description", &d);
		}
		snprintf(err, errlen, "the provider's token endpoint answered %ld%s%s"
			 "%s%s", status, e ? ": " : "", e ? json_object_get_string(e) :
			 "", d ? " - " : "", d ? json_object_get_string(d) : "");
		json_object_put(out);
		out = NULL;
	}
out:
	crypto_wipe(body, sizeof(body));
	crypto_wipe(basic, sizeof(basic));
	crypto_wipe(cred, sizeof(cred));
	crypto_wipe(hdr, sizeof(hdr));
	return out;
}
