/*
 * http_transfer: one HTTP exchange through libcurl with the current
 * token, and the response object plugins read. Credentials go only into
 * this exchange's header list and are wiped from it afterwards.
 */
#include "config.h"

#include <ctype.h>
#include <curl/curl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/http_int.h"
#include "plugin/job.h"

void http_response_free(struct pulse_http_response *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < 2 * r->nheaders; i++)
		free(r->headers[i]);
	free(r->headers);
	free(r->body);
	free(r);
}

/* Copy url into out with the values of credential-looking query
 * parameters replaced, so URLs can be logged and shown in errors. */
void http_safe_url(const char *url, char *out, size_t n)
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

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
	struct xfer *x = ud;
	size_t n = size * nmemb;

	if (x->body.len + n > HTTP_MAX_BODY) {
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
	if (now - x->hc->last_cancel_ms < HTTP_CANCEL_POLL_MS)
		return 0;
	x->hc->last_cancel_ms = now;
	return http_cancelled(x->hc);
}

const char *http_xfer_header(const struct xfer *x, const char *name)
{
	size_t i;

	for (i = 0; i < x->nhdr; i++)
		if (strcmp(x->hdr[2 * i], name) == 0)
			return x->hdr[2 * i + 1];
	return NULL;
}

void http_xfer_free(struct xfer *x)
{
	clear_headers(x);
	free(x->hdr);
	sb_free(&x->body);
	memset(x, 0, sizeof(*x));
}

/* Hand the transfer's body and headers over to a new response. */
struct pulse_http_response *http_xfer_detach(struct xfer *x, long status)
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

/* True if the whole body is one JSON value (whitespace around allowed). */
int http_body_is_json(const char *body, size_t len)
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
void http_body_message(const char *body, size_t len, char *out, size_t n)
{
	struct json_object *o = NULL, *m;

	out[0] = '\0';
	if (!http_body_is_json(body, len))
		return;
	o = json_tokener_parse(body);
	if (o && json_object_is_type(o, json_type_object) &&
	    json_object_object_get_ex(o, "message", &m) &&
	    json_object_is_type(m, json_type_string))
		snprintf(out, n, "%s", json_object_get_string(m));
	json_object_put(o);
}

int http_curl_transient(CURLcode cc)
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

int http_transfer(struct http_client *hc, const pulse_http_request *req,
		  const char *method, const char *etag,
		  const struct http_pin *pin, struct xfer *x,
		  struct attempt *at)
{
	CURL *c = hc->curl;
	struct curl_slist *hl = NULL, *nl, *pinned = NULL;
	struct http_guard_ctx g;
	struct strbuf auth = STRBUF_INIT;
	const char *secret = hc->nsecrets ? hc->secrets[hc->cur] : NULL;
	size_t i;
	int rc = -1;
	int64_t t0;
	long timeout_ms;

	curl_easy_reset(c); /* options only: live connections are kept */
	memset(at, 0, sizeof(*at));
	x->hc = hc;
	g.hc = hc;
	g.pin = pin;
	g.refused = at->refused;
	g.refused_len = sizeof(at->refused);
	if (http_guard_apply(c, &g, &pinned) < 0)
		goto out;
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
	curl_slist_free_all(pinned);
	if (auth.buf)
		explicit_bzero(auth.buf, auth.len);
	sb_free(&auth);
	if (secret && req->auth == PULSE_AUTH_BASIC)
		curl_easy_setopt(c, CURLOPT_PASSWORD, "");
	return rc;
}
