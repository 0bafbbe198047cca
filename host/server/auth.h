/*
 * auth: API tokens (JWT, HS256 with libgcrypt's HMAC-SHA256) and the
 * role -> resource/action matrix.
 *
 * A token is header.payload.signature (base64url, no padding). The header
 * must be exactly alg HS256 (alg "none" and every other algorithm are
 * refused); the payload carries tenant (id), role (admin|user|view), exp,
 * iat and sub. The key is 32 random bytes in jwt_key_file (0600, created
 * on first use by crypto_key_load).
 */
#ifndef PULSE_AUTH_H
#define PULSE_AUTH_H

#include <stddef.h>
#include <stdint.h>

#define AUTH_VIEW 1
#define AUTH_USER 2
#define AUTH_ADMIN 3

struct auth_claims {
	int64_t tenant;
	int role;           /* AUTH_* */
	int64_t iat, exp;   /* epoch seconds */
	char sub[64];       /* who: free text, e.g. "alice" or "cli" */
	/* issue 18: what the caller signed in with */
	char jti[40];       /* machine token id (api_tokens.jti), "" = legacy */
	int64_t token_id;   /* api_tokens.id once checked, else 0 */
	int64_t user_id;    /* a person's session: users.id, else 0 */
	int64_t session_id; /* sessions.id, else 0 */
	char email[128];    /* the session's user */
};

/* "view"/"user"/"admin" <-> AUTH_*; parse returns -1 for anything else. */
const char *auth_role_name(int role);
int auth_role_parse(const char *name);

/* Parse "8h", "30m", "45s", "2d" or plain seconds. -1 if malformed. */
int64_t auth_parse_ttl(const char *s);

/* Sign claims into a token. Returns a malloc'd string (caller frees) or
 * NULL when out of memory. */
char *auth_token_issue(const unsigned char *key, size_t keylen,
		       const struct auth_claims *c);

/* Results of auth_token_verify besides 0. */
#define AUTH_MALFORMED (-1) /* not three base64url parts of JSON */
#define AUTH_BAD_ALG (-2)   /* alg is not HS256 (e.g. "none") */
#define AUTH_BAD_SIG (-3)
#define AUTH_EXPIRED (-4)
#define AUTH_BAD_CLAIMS (-5) /* missing/invalid tenant, role or exp */

#define AUTH_NOT_YET (-6)    /* nbf or iat in the future */

/* Limits a verifier applies besides the signature. */
struct auth_policy {
	int64_t skew_s;         /* clock skew allowed for nbf and iat */
	int64_t max_lifetime_s; /* exp is capped to iat + this; 0 = no cap */
};
#define AUTH_DEFAULT_SKEW_S 60

/*
 * Check a token against key at time now; fills *out on 0, else err says
 * why (never echoing the token). Refused besides a bad signature: a
 * payload with a duplicate key (JSON parsers disagree on which wins),
 * a missing or invalid tenant, role or exp, an nbf or iat later than now
 * plus pol->skew_s, and an exp past now. With pol->max_lifetime_s set, a
 * token needs iat and its effective exp (out->exp) is at most iat +
 * max_lifetime_s. pol NULL: the default skew, no lifetime cap.
 */
int auth_token_verify_ex(const unsigned char *key, size_t keylen,
			 const char *token, int64_t now,
			 const struct auth_policy *pol, struct auth_claims *out,
			 char *err, size_t errlen);
/* auth_token_verify_ex with pol NULL. */
int auth_token_verify(const unsigned char *key, size_t keylen,
		      const char *token, int64_t now, struct auth_claims *out,
		      char *err, size_t errlen);

/* 1 if the JSON object text (n bytes) repeats a key at its top level. */
int auth_json_has_duplicate_key(const char *json, size_t n);

/*
 * May role do action on resource? Resources: jobs, integrations, raw,
 * queue, metrics, health, search, ai, ai-usage. Actions: read, control
 * (start/stop/pause/resume), write (create/update/delete).
 *   view:  read everything but ai-usage (AI costs and provider errors)
 *   user:  read everything, control jobs
 *   admin: everything
 */
int auth_allowed(int role, const char *resource, const char *action);

/* base64url without padding, exposed for tests. encode returns a malloc'd
 * string; decode a malloc'd buffer (NUL-terminated, *n bytes) or NULL. */
char *auth_b64url_encode(const unsigned char *p, size_t n);
unsigned char *auth_b64url_decode(const char *s, size_t len, size_t *n);

#endif
