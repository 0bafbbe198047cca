/*
 * oidc: a tenant's single sign-on provider, its pending sign-ins and the
 * people it signs in just in time (098_oidc.sql, docs/auth.md). Every
 * call runs inside the caller's tenant transaction (db_tenant_begin).
 * The client secret is sealed with the key file (crypto_seal, bound to
 * the tenant) and opened only to exchange a code.
 */
#ifndef PULSE_MODEL_OIDC_H
#define PULSE_MODEL_OIDC_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>
#include <libpq-fe.h>

#include "base/crypto.h"

#define OIDC_NOTFOUND 1
/* The "integration id" a provider's secret is sealed with: no
 * integration has it, so neither blob opens as the other. */
#define OIDC_SEAL_ID (-18)

struct oidc_provider {
	int64_t tenant;
	char issuer[512];
	char client_id[256];
	char auth_method[24];   /* client_secret_basic | client_secret_post */
	char scopes[512];
	char role_claim[128];   /* "" when none */
	json_object *role_map;  /* owned: {"value": "role"} */
	char default_role[8];   /* "" refuses */
	char redirect_base[512];
	int has_secret;
	char *secret;           /* opened by oidc_provider_get with a key */
	char updated_at[40];
};

/* The provider of the tenant; key (NULL: leave the secret sealed) opens
 * the client secret. 0, OIDC_NOTFOUND or -1 (err). Free with
 * oidc_provider_free. */
int oidc_provider_get(PGconn *db, int64_t tenant, const struct crypto_key *key,
		      struct oidc_provider *p, char *err, size_t errlen);
void oidc_provider_free(struct oidc_provider *p);

/* Insert or replace the tenant's provider from p; secret (NULL: keep the
 * stored one) is sealed with key. 0 or -1 (err). */
int oidc_provider_set(PGconn *db, const struct oidc_provider *p,
		      const struct crypto_key *key, const char *secret,
		      char *err, size_t errlen);

/* Remove it (and pending sign-ins). 0, OIDC_NOTFOUND or -1. */
int oidc_provider_remove(PGconn *db, int64_t tenant, char *err, size_t errlen);

/* Is a provider configured? 1, 0, or -1 (err). */
int oidc_provider_exists(PGconn *db, int64_t tenant, char *err, size_t errlen);

/* A pending sign-in (state is stored as its SHA-256); sign-ins older
 * than a day are dropped on the way. 0 or -1. */
int oidc_login_put(PGconn *db, int64_t tenant, const char *state,
		   const char *nonce, const char *verifier, char *err,
		   size_t errlen);

#define OIDC_STATE_UNKNOWN 1
#define OIDC_STATE_USED 2
#define OIDC_STATE_EXPIRED 3
/* Take the pending sign-in of state, once: 0 and nonce/verifier copied
 * (64 bytes each at least), OIDC_STATE_* or -1. It is marked used in
 * the caller's transaction, which should commit at once. */
int oidc_login_take(PGconn *db, int64_t tenant, const char *state,
		    int max_age_s, char *nonce, size_t nlen, char *verifier,
		    size_t vlen, char *err, size_t errlen);

/* Was nonce the nonce of a sign-in that was already completed? 1, 0
 * or -1. */
int oidc_nonce_used(PGconn *db, int64_t tenant, const char *nonce, char *err,
		    size_t errlen);

/*
 * Create or update the person of an ID token: email (lower-cased),
 * display name (NULL keeps it), role. A new user gets source 'oidc'. 0
 * and *id, *created; 2 when the user is disabled; -1 (err).
 */
int oidc_user_upsert(PGconn *db, int64_t tenant, const char *email,
		     const char *name, const char *role, int64_t *id,
		     int *created, char *err, size_t errlen);

#endif
