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
	int jobs_running;          /* hooks.running, read on the loop thread */
	/* issue 18: sign-in sessions (docs/auth.md) */
	const char *cookie;        /* the Cookie header, or NULL */
	const char *csrf;          /* the X-CSRF-Token header, or NULL */
	const char *peer;          /* the client's address, or NULL */
	int tls;                   /* served over TLS */
	int peer_loopback;         /* the client connected from a loopback address */
	/* issue 19: the console's files are revalidated, not refetched */
	const char *if_none_match; /* the If-None-Match header, or NULL */
};

struct api_response {
	int status;
	const char *content_type;  /* static string */
	struct strbuf body;        /* owned; api_response_free releases it */
	const unsigned char *static_body; /* embedded file instead of body */
	size_t static_len;
	/* Names this request in the log and in error replies, so a client
	 * can report a failure without seeing its internals. */
	char request_id[20];
	int kick;  /* a job changed: the loop thread runs hooks.kick */
	char set_cookie[320]; /* a Set-Cookie value to send, or "" */
	/* sessions were revoked: the loop re-checks every live viewer */
	int recheck_viewers;
	char location[1400]; /* a Location to send (302), or "" */
	/* issue 19: an embedded file's ETag (static string), or NULL; with
	 * it the reply may be cached and revalidated instead of no-store */
	const char *etag;
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

/*
 * Answer one request; rs is filled in every case. Blocking (database):
 * called on the server's API thread, never on the event loop, except for
 * a request api_needs_thread() says is answered from memory. One thread
 * at a time (it owns the API's database connection).
 */
void api_handle(struct api *a, const struct api_request *rq,
		struct api_response *rs);
/* Does answering path touch the database (so it goes to the API thread)? */
int api_needs_thread(const char *path);
/* On the loop thread, around api_handle: before, what the request may
 * report from the daemon's state (rq->jobs_running); after, act on the
 * response (rs->kick). */
void api_prepare(struct api *a, struct api_request *rq);
void api_finish(struct api *a, const struct api_response *rs);
void api_response_free(struct api_response *rs);

/*
 * Check an API token (for the WebSocket sessions): 0 and *who set (exp
 * already capped by jwt_max_lifetime_seconds), or -1 with err saying why
 * (also for a tenant that no longer exists). It queries the database on
 * the API thread's connection: call it on the API thread only, never on
 * the event loop.
 */
int api_check_token(struct api *a, const char *token, struct auth_claims *who,
		    char *err, size_t errlen);
/* The same without the tenant look-up (signature and claims only, no
 * database): safe on the event loop; the WebSocket handshake then asks
 * the API thread for the tenant look-up. */
int api_check_token_signed(struct api *a, const char *token,
			   struct auth_claims *who, char *err, size_t errlen);

/* How often (seconds) a live viewer's session or token is checked
 * again (auth.viewer_recheck_seconds), so a revocation made elsewhere
 * (the CLI, another daemon) closes it. */
int api_viewer_recheck_s(const struct api *a);

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
	const char *etag;         /* "\"crc-size\"", quotes included */
};
extern const struct www_file www_files[];

#endif
