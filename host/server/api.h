/*
 * api: the REST API under /api/v1/ (JSON in and out) plus /healthz,
 * /readyz and the embedded viewer page. Transport-free: host/server/server.c
 * turns each HTTP request into a struct api_request and writes back the
 * struct api_response, so tests can call api_handle() directly.
 *
 * Errors are {"error":{"code":"...","message":"..."}} with 400 (bad
 * input), 401 (no or invalid token), 403 (valid token, role not
 * allowed), 404 (no such thing in the token's tenant, also for another
 * tenant's ids, so ids of other tenants are never confirmed), 409 (state
 * conflict, e.g. an illegal transition), 501, 503 (database down).
 */
#ifndef PULSE_API_H
#define PULSE_API_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "base/strbuf.h"

struct auth_claims;
struct conf;
struct loader;

struct api_request {
	const char *method;        /* "GET", "POST", "PATCH", "DELETE", ... */
	const char *path;          /* "/api/v1/jobs/5/start" */
	const char *query;         /* "status=failed&limit=10", or NULL */
	const char *authorization; /* the Authorization header, or NULL */
	const char *body;          /* NULL or body_len bytes */
	size_t body_len;
};

struct api_response {
	int status;
	const char *content_type;  /* static string */
	struct strbuf body;        /* owned; api_response_free releases it */
	const unsigned char *static_body; /* embedded file instead of body */
	size_t static_len;
};

/* What the API needs from the daemon around it. */
struct api_hooks {
	/* The daemon's database connection, reconnected if it was lost;
	 * NULL (err set) when the database is unreachable. Borrowed. */
	PGconn *(*db)(void *ctx, char *err, size_t errlen);
	/* Look at the jobs now (a job was started or resumed). */
	void (*kick)(void *ctx);
	/* Jobs this daemon runs right now. */
	int (*running)(void *ctx);
	void *ctx;
};

struct api;

/*
 * conf, ld and hooks are borrowed and must outlive the API. Loads (and
 * creates, 0600) conf->jwt_key_file and conf->key_file lazily on first
 * need. Returns NULL with err set on failure. Free with api_free.
 */
struct api *api_new(const struct conf *conf, struct loader *ld,
		    const struct api_hooks *hooks, char *err, size_t errlen);
void api_free(struct api *a);

/* Answer one request; rs is filled in every case. */
void api_handle(struct api *a, const struct api_request *rq,
		struct api_response *rs);
void api_response_free(struct api_response *rs);

/*
 * Check an API token (for the WebSocket handshake and its re-checks): 0
 * and *who set (exp already capped by jwt_max_lifetime_seconds), or -1
 * with err saying why (also for a tenant that no longer exists).
 */
int api_check_token(struct api *a, const char *token, struct auth_claims *who,
		    char *err, size_t errlen);

/* Read conf->jwt_key_file again (SIGHUP): tokens signed with the old key
 * are refused from now on. 0, or -1 with err (the old key stays). */
int api_reload_keys(struct api *a, char *err, size_t errlen);

/* The viewer page, embedded at build time by host/server/embed-www.sh from
 * host/server/www/ (terminated by a NULL path). */
struct www_file {
	const char *path;         /* "/index.html" */
	const char *content_type;
	const unsigned char *data;
	size_t len;
};
extern const struct www_file www_files[];

#endif
