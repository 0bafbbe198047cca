/* oauth2_http: one plugin request with a service principal's bearer
 * token. The token and the secret stay in the host: the plugin names the
 * secret's config field, and the Authorization header is added here. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/oauth2_cc.h"
#include "auth/oauth2_http.h"
#include "base/crypto.h"
#include "http/http.h"
#include "plugin/job.h"

struct ctx {
	struct pulse_job *job;
	const pulse_oauth2_client *c;
	const pulse_http_request *req;  /* the plugin's */
	pulse_http_response *resp;      /* the last answer to it */
};

static int32_t io_post(void *vx, const char *url, const char *form,
		       long *status, char **body)
{
	struct ctx *x = vx;
	static const char *const hdrs[] = {
		"Accept: application/json",
		"Content-Type: application/x-www-form-urlencoded",
		NULL,
	};
	pulse_http_request r = {PULSE_STRUCT_HEADER(pulse_http_request)};
	pulse_http_response *resp = NULL;
	int32_t rc;

	*status = 0;
	*body = NULL;
	r.method = "POST";
	r.url = url;
	r.headers = hdrs;
	r.body = form;
	r.body_len = strlen(form);
	/* 400/401 carry the AADSTS code: hand them back to be judged. */
	r.flags = HTTP_HOST_PASS_401;
	rc = x->job->be->http(x->job, &r, &resp);
	if (rc != PULSE_OK)
		return rc;
	*status = (long)resp->status;
	*body = strdup(resp->body ? resp->body : "");
	if (resp->body)
		crypto_wipe(resp->body, resp->body_len);
	http_response_free(resp);
	if (!*body)
		return job_fail(x->job, PULSE_ERR_TRANSIENT, "oauth2: out of memory");
	return PULSE_OK;
}

static char *io_secret(void *vx)
{
	struct ctx *x = vx;
	char *s = x->job->be->secret_get ?
		x->job->be->secret_get(x->job, x->c->secret_key, 0) : NULL;
	size_t l;

	if (!s || !*s) {
		free(s);
		job_fail(x->job, PULSE_ERR_PERMANENT, "oauth2: no client secret "
			 "is stored in '%s'; set it with `pulse-host integration "
			 "set-secret %lld %s`", x->c->secret_key,
			 (long long)x->job->integration_id, x->c->secret_key);
		return NULL;
	}
	/* A secret pasted with its newline. */
	l = strlen(s);
	while (l && (s[l - 1] == '\n' || s[l - 1] == '\r' || s[l - 1] == ' '))
		s[--l] = '\0';
	return s;
}

static int32_t io_send(void *vx, const char *token, long *status)
{
	struct ctx *x = vx;
	pulse_http_request r = *x->req;
	const char **hdrs = NULL;
	char *auth = NULL;
	size_t n = 0, alen = strlen(token) + sizeof("Authorization: Bearer ");
	int32_t rc;

	*status = 0;
	while (x->req->headers && x->req->headers[n])
		n++;
	hdrs = calloc(n + 2, sizeof(*hdrs));
	auth = malloc(alen);
	if (!hdrs || !auth) {
		rc = job_fail(x->job, PULSE_ERR_TRANSIENT, "oauth2: out of memory");
		goto out;
	}
	snprintf(auth, alen, "Authorization: Bearer %s", token);
	(void)crypto_dontdump(auth, alen);
	if (n)
		memcpy(hdrs, x->req->headers, n * sizeof(*hdrs));
	hdrs[n] = auth;
	r.headers = hdrs;
	r.flags |= HTTP_HOST_PASS_401;
	rc = x->job->be->http(x->job, &r, &x->resp);
	if (rc == PULSE_OK)
		*status = (long)x->resp->status;
out:
	if (auth) {
		crypto_wipe(auth, alen);
		free(auth);
	}
	free(hdrs);
	return rc;
}

static void io_drop(void *vx)
{
	struct ctx *x = vx;

	http_response_free(x->resp);
	x->resp = NULL;
}

/* Only characters that can sit in a URL path or a form value unquoted
 * by accident: anything else is a configuration mistake. */
static int plain(const char *s, const char *extra)
{
	const char *p;

	if (!s || !*s)
		return 0;
	for (p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr(extra, *p)))
			return 0;
	return 1;
}

static int32_t check(struct pulse_job *job, const pulse_oauth2_client *c,
		     const pulse_http_request *req, char *authority, size_t n)
{
	const char *a = c->authority && *c->authority ? c->authority :
		OAUTH2_DEFAULT_AUTHORITY;
	size_t i;

	if (!plain(c->tenant, "-._"))
		return job_fail(job, PULSE_ERR_PERMANENT, "oauth2: `tenant` must "
				"be the directory (tenant) id or a domain, got "
				"'%s'", c->tenant ? c->tenant : "");
	if (!plain(c->client_id, "-._"))
		return job_fail(job, PULSE_ERR_PERMANENT, "oauth2: `client_id` "
				"must be the application (client) id, got '%s'",
				c->client_id ? c->client_id : "");
	if (!c->secret_key || !*c->secret_key || !c->scope || !*c->scope ||
	    strpbrk(c->scope, "\x1f\r\n"))
		return job_fail(job, PULSE_ERR_PERMANENT, "oauth2: a client "
				"without secret_key or scope (plugin bug)");
	if ((strncmp(a, "https://", 8) != 0 && strncmp(a, "http://", 7) != 0) ||
	    strpbrk(a, " \x1f\r\n?#") || strlen(a) >= n)
		return job_fail(job, PULSE_ERR_PERMANENT, "oauth2: `authority` "
				"must be an https URL such as %s, got '%s'",
				OAUTH2_DEFAULT_AUTHORITY, a);
	snprintf(authority, n, "%s", a);
	for (i = strlen(authority); i > 0 && authority[i - 1] == '/'; i--)
		authority[i - 1] = '\0';
	if (req->auth != PULSE_AUTH_NONE)
		return job_fail(job, PULSE_ERR_PERMANENT, "oauth2_http: the "
				"request must not set auth (the host adds the "
				"bearer token; plugin bug)");
	for (i = 0; req->headers && req->headers[i]; i++)
		if (strncasecmp(req->headers[i], "Authorization:", 14) == 0)
			return job_fail(job, PULSE_ERR_PERMANENT, "oauth2_http: "
					"the request carries its own "
					"Authorization header (plugin bug)");
	return PULSE_OK;
}

int32_t oauth2_http(struct pulse_job *job, const pulse_oauth2_client *c,
		    const pulse_http_request *req, pulse_http_response **resp)
{
	struct ctx x = {job, c, req, NULL};
	struct oauth2_io io = {&x, io_post, io_secret, io_send, io_drop};
	struct oauth2_key key;
	char authority[512], err[1024];
	int32_t rc;

	*resp = NULL;
	if ((rc = check(job, c, req, authority, sizeof(authority))) != PULSE_OK)
		return rc;
	key.integration_id = job->integration_id;
	key.authority = authority;
	key.tenant = c->tenant;
	key.client_id = c->client_id;
	key.scope = c->scope;
	rc = oauth2_call(&key, &io, err, sizeof(err));
	if (rc != PULSE_OK) {
		io_drop(&x);
		if (err[0])
			return job_fail(job, rc, "%s", err);
		return rc;
	}
	*resp = x.resp;
	return PULSE_OK;
}
