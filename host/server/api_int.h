/*
 * api_call: what the REST handlers (host/server/api_<resource>.c) share
 * with the router (api.c): the call they get, and how they parse requests
 * and render replies (api_io.c). Handlers only parse, authorise (the
 * router checked the role), call host/model/ or host/jobs/ and render.
 * Private to host/server/.
 */
#ifndef PULSE_API_INT_H
#define PULSE_API_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>
#include <libpq-fe.h>

#include "base/crypto.h"
#include "server/api.h"
#include "server/auth.h"

struct api {
	const struct conf *conf;
	struct loader *ld;
	struct api_hooks hooks;
	/* jwt (its own page, kept out of core dumps) is read by the API
	 * thread and replaced on SIGHUP by the loop thread: under key_lock. */
	pthread_mutex_t key_lock;
	struct crypto_key *jwt;
	int have_jwt;
	/* The API thread's own connection (api_handle never runs on the
	 * event loop; the loop's connection is hooks.db). */
	PGconn *db;
	struct authlimit *limit; /* failed sign-ins (auth_limit.h) */
};

/* What a handler gets: the request, the caller and the route's ids. */
struct call {
	struct api *a;
	const struct api_request *rq;
	struct api_response *rs;
	struct auth_claims who;
	int64_t id;          /* the {id} of the path, if any */
	const char *action;  /* the last segment of job control routes */
	PGconn *db;          /* the daemon's connection, borrowed */
	const char *session; /* the session value when signed in by cookie */
	char session_buf[128];
};

/* ---- replies (api_io.c) ---------------------------------------------- */

/* {"error":{"code":code,"message":...}} with status. */
void api_reply_error(struct api_response *rs, int status, const char *code,
		     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* A database error: err is logged with the request id, never sent.
 * The reply says 503 database_timeout (statement or lock timeout),
 * 503 database_unavailable (lost), else 500 internal; each with the id. */
void api_reply_db_error(struct call *c, const char *err);
/* The same without a call: what names the failing step in the log;
 * lost: the connection is gone; timed_out: a database timeout. */
void api_reply_internal(struct api_response *rs, const char *method,
			const char *path, const char *what, const char *err,
			int lost, int timed_out);
/* A fresh rs->request_id. */
void api_new_request_id(struct api_response *rs);
/* o as the body (o stays the caller's). */
void api_reply_json(struct api_response *rs, int status, json_object *o);
/* A result row as an object, the rows as an array, typed by the columns'
 * types (new references). */
json_object *api_row_json(const PGresult *r, int row);
json_object *api_rows_json(const PGresult *r);

/* ---- requests (api_io.c) --------------------------------------------- */

/* len bytes of valid UTF-8 without NUL? */
int api_text_ok(const char *s, size_t len);
/* The query string, percent-decoded, is valid UTF-8 without NUL? */
int api_query_ok(const char *q);
/* Value of query parameter name (percent-decoded) into buf, or NULL. */
const char *api_query_arg(const char *q, const char *name, char *buf,
			  size_t len);
/* A positive decimal id of len characters; 0 if it is not one. */
int64_t api_parse_id(const char *s, size_t len);
/* The body as a JSON object (new reference), or NULL with a 400 set. */
json_object *api_parse_body(struct call *c);
/* body[key] when it is a string (borrowed), else NULL. */
const char *api_body_str(json_object *body, const char *key);
/* Load (creating it 0600 if missing) the key file at path; what names it
 * in err. 0 or -1. */
int api_load_key(const char *path, struct crypto_key *k, const char *what,
		 char *err, size_t errlen);

/* ---- handlers, one file per resource --------------------------------- */

void api_jobs_list(struct call *c);
void api_jobs_get(struct call *c);
void api_jobs_control(struct call *c);
void api_integrations_list(struct call *c);
void api_integrations_get(struct call *c);
void api_integrations_create(struct call *c);
void api_integrations_update(struct call *c);
void api_integrations_delete(struct call *c);
void api_raw_list(struct call *c);
void api_ai_search(struct call *c);
void api_vectorization_summary(struct call *c);
void api_vectorization_history(struct call *c);
void api_raw_get(struct call *c);
void api_queue_summary(struct call *c);
void api_health(struct call *c);
void api_me(struct call *c);
void api_dora(struct call *c);
/* api_admin.c */
void api_stats(struct call *c);
void api_jobs_force_stop(struct call *c);
void api_jobs_force_start(struct call *c);
void api_jobs_reset(struct call *c);
void api_sysjob_force_stop(struct call *c);
void api_sysjob_force_start(struct call *c);
void api_sysjob_reset(struct call *c);

void api_ai_query(struct call *c);

void api_ai_usage(struct call *c);
void api_ai_capabilities(struct call *c);
void api_ai_health(struct call *c);

/* api_users.c, api_auth.c (issue 18, docs/auth.md) */
void api_auth_login(struct call *c);
void api_auth_logout(struct call *c);
void api_auth_session(struct call *c);
void api_users_list(struct call *c);
void api_users_create(struct call *c);
void api_users_update(struct call *c);
void api_audit_list(struct call *c);
/* Who did it, for the audit log: "user:EMAIL", "token:ID" or
 * "token:SUB" (a token issued before ids). */
void api_actor(const struct call *c, char *buf, size_t len);
/* Record an event in its own transaction; a failure is logged (the
 * action itself already happened). */
void api_audit(struct call *c, const char *action, const char *target,
	       json_object *detail);
/* The session cookie of value (NULL: clear it), flags as for password
 * sign-in (api_auth.c). */
void api_session_cookie(struct call *c, const char *value, int max_age);
/* api_oidc.c: single sign-on routes (sub: "auth/methods",
 * "auth/oidc/login", "auth/oidc/callback"), without a token. */
void api_oidc_route(struct call *c, const char *sub);

/* api_console.c (issue 19, docs/console.md) */
void api_console_branding(struct call *c);
void api_console_dora_weekly(struct call *c);
/* api_askfeedback.c, api_plugins.c (issue 19 remainders) */
void api_ask_feedback(struct call *c);
void api_plugins_list(struct call *c);

#endif
