/*
 * api_call: what the REST handlers (host/server/api_<resource>.c) share
 * with the router (api.c): the call they get, and how they parse requests
 * and render replies (api_io.c). Handlers only parse, authorise (the
 * router checked the role), call host/model/ or host/jobs/ and render.
 * Private to host/server/.
 */
#ifndef PULSE_API_INT_H
#define PULSE_API_INT_H

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
	struct crypto_key jwt;
	int have_jwt;
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
};

/* ---- replies (api_io.c) ---------------------------------------------- */

/* {"error":{"code":code,"message":...}} with status. */
void api_reply_error(struct api_response *rs, int status, const char *code,
		     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* 503 when the connection is lost, else 500; logged. */
void api_reply_db_error(struct call *c, const char *err);
/* o as the body (o stays the caller's). */
void api_reply_json(struct api_response *rs, int status, json_object *o);
/* A result row as an object, the rows as an array, typed by the columns'
 * types (new references). */
json_object *api_row_json(const PGresult *r, int row);
json_object *api_rows_json(const PGresult *r);

/* ---- requests (api_io.c) --------------------------------------------- */

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
void api_raw_get(struct call *c);
void api_queue_summary(struct call *c);
void api_health(struct call *c);
void api_me(struct call *c);
void api_dora(struct call *c);

#endif
