/* oidc: providers, pending sign-ins and just-in-time users (oidc.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gcrypt.h>

#include "db/db.h"
#include "model/oidc.h"

static void copy(char *dst, size_t n, const PGresult *r, int col)
{
	snprintf(dst, n, "%s", PQgetisnull(r, 0, col) ? "" : PQgetvalue(r, 0, col));
}

int oidc_provider_get(PGconn *db, int64_t tenant, const struct crypto_key *key,
		      struct oidc_provider *p, char *err, size_t errlen)
{
	char t[24];
	const char *q[1] = {db_i64(t, tenant)};
	PGresult *r;
	unsigned char *blob = NULL;
	size_t blen = 0, n;
	int rc = -1;

	memset(p, 0, sizeof(*p));
	r = db_query(db, err, errlen, "SELECT issuer, client_id, auth_method, "
		     "scopes, role_claim, role_map::text, default_role, "
		     "redirect_base, client_secret, updated_at::text FROM "
		     "oidc_providers WHERE tenant_id = $1", 1, q);
	if (!r)
		return -1;
	if (PQntuples(r) == 0) {
		snprintf(err, errlen, "single sign-on is not configured for tenant "
			 "%s (`pulse-host auth oidc set --tenant T ...`)", t);
		rc = OIDC_NOTFOUND;
		goto out;
	}
	p->tenant = tenant;
	copy(p->issuer, sizeof(p->issuer), r, 0);
	copy(p->client_id, sizeof(p->client_id), r, 1);
	copy(p->auth_method, sizeof(p->auth_method), r, 2);
	copy(p->scopes, sizeof(p->scopes), r, 3);
	copy(p->role_claim, sizeof(p->role_claim), r, 4);
	p->role_map = json_tokener_parse(PQgetvalue(r, 0, 5));
	copy(p->default_role, sizeof(p->default_role), r, 6);
	copy(p->redirect_base, sizeof(p->redirect_base), r, 7);
	copy(p->updated_at, sizeof(p->updated_at), r, 9);
	p->has_secret = !PQgetisnull(r, 0, 8);
	if (p->has_secret && key) {
		blob = PQunescapeBytea((const unsigned char *)PQgetvalue(r, 0, 8),
				       &blen);
		if (!blob || crypto_open(key, tenant, OIDC_SEAL_ID, blob, blen,
					 &p->secret, &n, err, errlen) < 0) {
			if (!blob)
				snprintf(err, errlen, "out of memory");
			oidc_provider_free(p);
			goto out;
		}
	}
	rc = 0;
out:
	PQfreemem(blob);
	PQclear(r);
	return rc;
}

void oidc_provider_free(struct oidc_provider *p)
{
	json_object_put(p->role_map);
	p->role_map = NULL;
	crypto_free_secret(p->secret);
	p->secret = NULL;
}

int oidc_provider_set(PGconn *db, const struct oidc_provider *p,
		      const struct crypto_key *key, const char *secret,
		      char *err, size_t errlen)
{
	char t[24], *hex = NULL;
	unsigned char *blob = NULL;
	size_t blen = 0, i;
	PGresult *r;
	const char *q[10];
	int rc = -1;

	if (secret) {
		if (crypto_seal(key, p->tenant, OIDC_SEAL_ID, secret, strlen(secret),
				&blob, &blen, err, errlen) < 0)
			return -1;
		/* bytea hex input: "\x" and two digits a byte */
		if (!(hex = malloc(2 * blen + 3))) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		strcpy(hex, "\\x");
		for (i = 0; i < blen; i++)
			sprintf(hex + 2 + 2 * i, "%02x", blob[i]);
	}
	q[0] = db_i64(t, p->tenant);
	q[1] = p->issuer;
	q[2] = p->client_id;
	q[3] = p->auth_method;
	q[4] = p->scopes;
	q[5] = p->role_claim[0] ? p->role_claim : NULL;
	q[6] = p->role_map ? json_object_to_json_string_ext(p->role_map,
		JSON_C_TO_STRING_PLAIN) : "{}";
	q[7] = p->default_role[0] ? p->default_role : NULL;
	q[8] = p->redirect_base;
	q[9] = hex;
	r = db_query(db, err, errlen, "INSERT INTO oidc_providers (tenant_id, "
		     "issuer, client_id, auth_method, scopes, role_claim, role_map, "
		     "default_role, redirect_base, client_secret) VALUES ($1, $2, "
		     "$3, $4, $5, $6, $7::jsonb, $8, $9, $10::bytea) ON CONFLICT "
		     "(tenant_id) DO UPDATE SET issuer = EXCLUDED.issuer, "
		     "client_id = EXCLUDED.client_id, auth_method = "
		     "EXCLUDED.auth_method, scopes = EXCLUDED.scopes, role_claim = "
		     "EXCLUDED.role_claim, role_map = EXCLUDED.role_map, "
		     "default_role = EXCLUDED.default_role, redirect_base = "
		     "EXCLUDED.redirect_base, client_secret = coalesce("
		     "EXCLUDED.client_secret, oidc_providers.client_secret), "
		     "updated_at = now()", 10, q);
	if (!r)
		goto out;
	PQclear(r);
	rc = 0;
out:
	free(hex);
	free(blob);
	return rc;
}

int oidc_provider_remove(PGconn *db, int64_t tenant, char *err, size_t errlen)
{
	char t[24];
	const char *q[1] = {db_i64(t, tenant)};
	PGresult *r;
	int n;

	r = db_query(db, err, errlen, "DELETE FROM oidc_logins WHERE tenant_id "
		     "= $1", 1, q);
	if (!r)
		return -1;
	PQclear(r);
	r = db_query(db, err, errlen, "DELETE FROM oidc_providers WHERE "
		     "tenant_id = $1", 1, q);
	if (!r)
		return -1;
	n = atoi(PQcmdTuples(r));
	PQclear(r);
	if (!n)
		snprintf(err, errlen, "single sign-on is not configured for "
			 "tenant %s", t);
	return n ? 0 : OIDC_NOTFOUND;
}

int oidc_provider_exists(PGconn *db, int64_t tenant, char *err, size_t errlen)
{
	char t[24];
	const char *q[1] = {db_i64(t, tenant)};
	PGresult *r;
	int n;

	r = db_query(db, err, errlen, "SELECT 1 FROM oidc_providers WHERE "
		     "tenant_id = $1", 1, q);
	if (!r)
		return -1;
	n = PQntuples(r) > 0;
	PQclear(r);
	return n;
}

/* SHA-256 of state as bytea hex text ("\x..."), into out (67 bytes). */
static void state_hash(const char *state, char out[67])
{
	unsigned char d[32];
	int i;

	gcry_md_hash_buffer(GCRY_MD_SHA256, d, state, strlen(state));
	strcpy(out, "\\x");
	for (i = 0; i < 32; i++)
		sprintf(out + 2 + 2 * i, "%02x", d[i]);
}

int oidc_login_put(PGconn *db, int64_t tenant, const char *state,
		   const char *nonce, const char *verifier, char *err,
		   size_t errlen)
{
	char t[24], h[67];
	const char *q[4] = {db_i64(t, tenant), h, nonce, verifier};
	PGresult *r;

	state_hash(state, h);
	r = db_query(db, err, errlen, "DELETE FROM oidc_logins WHERE tenant_id "
		     "= $1 AND created_at < now() - interval '1 day'", 1, q);
	if (!r)
		return -1;
	PQclear(r);
	r = db_query(db, err, errlen, "INSERT INTO oidc_logins (tenant_id, "
		     "state_hash, nonce, verifier) VALUES ($1, $2::bytea, $3, $4)",
		     4, q);
	if (!r)
		return -1;
	PQclear(r);
	return 0;
}

int oidc_login_take(PGconn *db, int64_t tenant, const char *state,
		    int max_age_s, char *nonce, size_t nlen, char *verifier,
		    size_t vlen, char *err, size_t errlen)
{
	char t[24], h[67], age[24];
	const char *q[3] = {db_i64(t, tenant), h, db_i64(age, max_age_s)};
	PGresult *r;
	int rc;

	state_hash(state, h);
	/* FOR UPDATE: two callbacks racing with one state, one wins */
	r = db_query(db, err, errlen, "SELECT nonce, verifier, used_at IS NOT "
		     "NULL, created_at < now() - make_interval(secs => $3::int) "
		     "FROM oidc_logins WHERE tenant_id = $1 AND state_hash = "
		     "$2::bytea FOR UPDATE", 3, q);
	if (!r)
		return -1;
	if (PQntuples(r) == 0)
		rc = OIDC_STATE_UNKNOWN;
	else if (strcmp(PQgetvalue(r, 0, 2), "t") == 0)
		rc = OIDC_STATE_USED;
	else if (strcmp(PQgetvalue(r, 0, 3), "t") == 0)
		rc = OIDC_STATE_EXPIRED;
	else
		rc = 0;
	if (rc == 0) {
		snprintf(nonce, nlen, "%s", PQgetvalue(r, 0, 0));
		snprintf(verifier, vlen, "%s", PQgetvalue(r, 0, 1));
	}
	PQclear(r);
	if (rc == OIDC_STATE_UNKNOWN)
		return rc;
	r = db_query(db, err, errlen, "UPDATE oidc_logins SET used_at = "
		     "coalesce(used_at, now()) WHERE tenant_id = $1 AND "
		     "state_hash = $2::bytea", 2, q);
	if (!r)
		return -1;
	PQclear(r);
	return rc;
}

int oidc_nonce_used(PGconn *db, int64_t tenant, const char *nonce, char *err,
		    size_t errlen)
{
	char t[24];
	const char *q[2] = {db_i64(t, tenant), nonce};
	PGresult *r;
	int n;

	r = db_query(db, err, errlen, "SELECT 1 FROM oidc_logins WHERE "
		     "tenant_id = $1 AND nonce = $2 AND used_at IS NOT NULL", 2, q);
	if (!r)
		return -1;
	n = PQntuples(r) > 0;
	PQclear(r);
	return n;
}

int oidc_user_upsert(PGconn *db, int64_t tenant, const char *email,
		     const char *name, const char *role, int64_t *id,
		     int *created, char *err, size_t errlen)
{
	char t[24], u[24];
	const char *q[3] = {db_i64(t, tenant), email, name};
	PGresult *r;

	*created = 0;
	r = db_query(db, err, errlen, "SELECT id, status FROM users WHERE "
		     "tenant_id = $1 AND email = $2 FOR UPDATE", 2, q);
	if (!r)
		return -1;
	if (PQntuples(r) && strcmp(PQgetvalue(r, 0, 1), "active") != 0) {
		*id = db_int64(r, 0, 0);
		PQclear(r);
		return 2;
	}
	if (PQntuples(r)) {
		*id = db_int64(r, 0, 0);
		PQclear(r);
		r = db_query(db, err, errlen, "UPDATE users SET display_name = "
			     "coalesce($3, display_name), updated_at = now() WHERE "
			     "tenant_id = $1 AND email = $2", 3, q);
	} else {
		PQclear(r);
		r = db_query(db, err, errlen, "INSERT INTO users (tenant_id, email, "
			     "display_name, source) VALUES ($1, $2, $3, 'oidc') "
			     "RETURNING id", 3, q);
		if (r)
			*id = db_int64(r, 0, 0);
		*created = 1;
	}
	if (!r)
		return -1;
	PQclear(r);
	q[1] = db_i64(u, *id);
	q[2] = role;
	r = db_query(db, err, errlen, "INSERT INTO user_roles (tenant_id, user_id, "
		     "role) VALUES ($1, $2, $3) ON CONFLICT (tenant_id, user_id) DO "
		     "UPDATE SET role = EXCLUDED.role, updated_at = now() WHERE "
		     "user_roles.role <> EXCLUDED.role", 3, q);
	if (!r)
		return -1;
	PQclear(r);
	return 0;
}
