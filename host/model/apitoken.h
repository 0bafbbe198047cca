/*
 * apitoken: machine tokens of `pulse-host token issue`, recorded by
 * their jti (api_tokens, 092_users.sql) so each can be listed and
 * revoked. Calls run inside the caller's tenant transaction.
 */
#ifndef PULSE_APITOKEN_H
#define PULSE_APITOKEN_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>
#include <libpq-fe.h>

/* A new random jti (base64url of 16 bytes) into out (>= 24 bytes). */
void apitoken_new_jti(char *out, size_t len);

/* Record an issued token. 0 and *id, or -1. */
int apitoken_record(PGconn *db, int64_t tenant, const char *jti,
		    const char *role, const char *sub, int64_t exp,
		    int64_t *id, char *err, size_t errlen);

/* Is the token jti live? 0 and *id; 1 revoked or unknown (err says
 * which); -1 database error. */
int apitoken_check(PGconn *db, const char *jti, int64_t *id, char *err,
		   size_t errlen);

/* The tenant's tokens as a new JSON array (id, role, sub, issued_at,
 * expires_at, revoked_at, state), never the token itself. */
json_object *apitoken_list_json(PGconn *db, char *err, size_t errlen);

/* Revoke token id: 0, 1 no such token (or revoked already), -1. */
int apitoken_revoke(PGconn *db, int64_t id, char *err, size_t errlen);

#endif
