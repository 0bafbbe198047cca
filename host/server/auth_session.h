/*
 * auth_session: sign-in sessions of people (issue 18, docs/auth.md).
 * The cookie value is "TENANT.RANDOM" (RANDOM: 32 random bytes,
 * base64url); the database keeps only SHA-256 of the value. The tenant
 * prefix lets the check run under that tenant's row-level security. The
 * CSRF token is SHA-256("pulse-csrf:" + cookie) in base64url: the page
 * learns it from the login reply; a cross-site form cannot, because it
 * cannot read the HttpOnly cookie.
 */
#ifndef PULSE_AUTH_SESSION_H
#define PULSE_AUTH_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "server/auth.h"

#define SESSION_COOKIE "pulse_session"
#define SESSION_CSRF_LEN 44 /* 43 characters and NUL */

/* Does tok look like a session value (not a JWT)? *tenant gets its
 * tenant when it does. */
int session_is_value(const char *tok, int64_t *tenant);

/* The CSRF token of a session value. */
void session_csrf(const char *value, char out[SESSION_CSRF_LEN]);

/* Constant-time equality of two NUL-terminated strings. */
int session_str_eq(const char *a, const char *b);

/*
 * A new session for user_id, living at most abs_s seconds, inside the
 * caller's tenant transaction. *value gets the cookie value (malloc'd,
 * caller frees and wipes), *sid its id. 0 or -1 (err).
 */
int session_create(PGconn *db, int64_t tenant, int64_t user_id, int abs_s,
		   const char *addr, char **value, int64_t *sid, char *err,
		   size_t errlen);

/*
 * Check a session value (its own transaction): 0 and *who (tenant, role,
 * user_id, session_id, email, exp = the absolute end), 1 refused with
 * err saying why (unknown, signed out, user disabled, idle or absolute
 * lifetime over, no role), -1 database error (err).
 */
int session_check(PGconn *db, const char *value, int idle_s,
		  struct auth_claims *who, char *err, size_t errlen);

/* Revoke one session inside the caller's tenant transaction. 0 or -1. */
int session_revoke(PGconn *db, int64_t sid, const char *why, char *err,
		   size_t errlen);

#endif
