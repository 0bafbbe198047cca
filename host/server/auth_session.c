/* auth_session: sessions stored hashed (see auth_session.h). */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gcrypt.h>

#include "base/crypto.h"
#include "db/db.h"
#include "server/auth_session.h"

int session_is_value(const char *tok, int64_t *tenant)
{
	const char *dot = tok ? strchr(tok, '.') : NULL;
	const char *p;
	int64_t t = 0;

	if (!dot || dot == tok || dot - tok > 18 || strchr(dot + 1, '.') ||
	    strlen(dot + 1) != 43)
		return 0;
	for (p = tok; p < dot; p++) {
		if (*p < '0' || *p > '9')
			return 0;
		t = t * 10 + (*p - '0');
	}
	if (t <= 0)
		return 0;
	*tenant = t;
	return 1;
}

/* SHA-256 of s as 64 hex digits. */
static void sha_hex(const char *prefix, const char *s, char out[65])
{
	unsigned char d[32];
	gcry_md_hd_t h;
	int i;

	memset(d, 0, sizeof(d));
	if (gcry_md_open(&h, GCRY_MD_SHA256, 0) == 0) {
		gcry_md_write(h, prefix, strlen(prefix));
		gcry_md_write(h, s, strlen(s));
		memcpy(d, gcry_md_read(h, GCRY_MD_SHA256), sizeof(d));
		gcry_md_close(h);
	}
	for (i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

void session_csrf(const char *value, char out[SESSION_CSRF_LEN])
{
	unsigned char d[32];
	char *b;

	gcry_md_hash_buffers(GCRY_MD_SHA256, 0, d, (gcry_buffer_t[]){
		{0, 0, 11, (void *)"pulse-csrf:"},
		{0, 0, strlen(value), (void *)(uintptr_t)value}}, 2);
	b = auth_b64url_encode(d, sizeof(d));
	snprintf(out, SESSION_CSRF_LEN, "%s", b ? b : "");
	free(b);
}

int session_str_eq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i;
	unsigned char diff = la != lb;

	for (i = 0; i < la && i < lb; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return diff == 0;
}

int session_create(PGconn *db, int64_t tenant, int64_t user_id, int abs_s,
		   const char *addr, char **value, int64_t *sid, char *err,
		   size_t errlen)
{
	unsigned char rnd[32];
	char t[24], u[24], a[24], hex[65], *b = NULL, *v = NULL;
	const char *p[5];
	PGresult *r;
	size_t n;
	int rc = -1;

	*value = NULL;
	gcry_randomize(rnd, sizeof(rnd), GCRY_STRONG_RANDOM);
	b = auth_b64url_encode(rnd, sizeof(rnd));
	n = b ? strlen(b) + 24 : 0;
	if (!b || !(v = malloc(n))) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	snprintf(v, n, "%" PRId64 ".%s", tenant, b);
	sha_hex("", v, hex);
	p[0] = db_i64(t, tenant);
	p[1] = db_i64(u, user_id);
	p[2] = hex;
	p[3] = db_i64(a, abs_s);
	p[4] = addr;
	r = db_query(db, err, errlen, "INSERT INTO sessions (tenant_id, user_id, "
		     "token_hash, expires_at, source_addr) VALUES ($1, $2, "
		     "decode($3, 'hex'), now() + make_interval(secs => $4::int), "
		     "$5) RETURNING id", 5, p);
	if (!r)
		goto out;
	*sid = db_int64(r, 0, 0);
	PQclear(r);
	*value = v;
	v = NULL;
	rc = 0;
out:
	crypto_wipe(rnd, sizeof(rnd));
	if (b)
		crypto_wipe(b, strlen(b));
	free(b);
	free(v);
	return rc;
}

int session_check(PGconn *db, const char *value, int idle_s,
		  struct auth_claims *who, char *err, size_t errlen)
{
	char hex[65], idle[24];
	const char *p[2] = {hex, db_i64(idle, idle_s)};
	PGresult *r = NULL;
	int64_t tenant;
	int rc = -1;

	memset(who, 0, sizeof(*who));
	if (!session_is_value(value, &tenant)) {
		snprintf(err, errlen, "not a session");
		return 1;
	}
	sha_hex("", value, hex);
	if (db_tenant_begin(db, tenant, err, errlen) < 0)
		return -1;
	r = db_query(db, err, errlen, "SELECT s.id, s.user_id, u.email, "
		     "u.status, coalesce(r.role, ''), s.revoked_why, "
		     "s.revoked_at IS NOT NULL, s.expires_at <= now(), "
		     "s.last_seen_at + make_interval(secs => $2::int) <= now(), "
		     "extract(epoch FROM s.expires_at)::bigint, "
		     "extract(epoch FROM s.created_at)::bigint "
		     "FROM sessions s JOIN users u ON u.id = s.user_id "
		     "LEFT JOIN user_roles r ON r.user_id = u.id AND "
		     "r.tenant_id = s.tenant_id WHERE s.token_hash = "
		     "decode($1, 'hex')", 2, p);
	if (!r)
		goto out;
	rc = 1;
	if (PQntuples(r) == 0) {
		snprintf(err, errlen, "unknown session; sign in again");
		goto out;
	}
	if (*PQgetvalue(r, 0, 6) == 't') {
		snprintf(err, errlen, "session revoked (%s); sign in again",
			 PQgetvalue(r, 0, 5));
		goto out;
	}
	if (strcmp(PQgetvalue(r, 0, 3), "active") != 0) {
		snprintf(err, errlen, "user is disabled");
		goto out;
	}
	if (*PQgetvalue(r, 0, 7) == 't') {
		snprintf(err, errlen, "session expired (absolute lifetime, "
			 "auth.session_absolute_seconds); sign in again");
		goto out;
	}
	if (*PQgetvalue(r, 0, 8) == 't') {
		snprintf(err, errlen, "session expired after %d s idle "
			 "(auth.session_idle_seconds); sign in again", idle_s);
		goto out;
	}
	if ((who->role = auth_role_parse(PQgetvalue(r, 0, 4))) < 0) {
		snprintf(err, errlen, "user has no role in this tenant");
		goto out;
	}
	who->tenant = tenant;
	who->session_id = db_int64(r, 0, 0);
	who->user_id = db_int64(r, 0, 1);
	snprintf(who->email, sizeof(who->email), "%s", PQgetvalue(r, 0, 2));
	snprintf(who->sub, sizeof(who->sub), "%s", PQgetvalue(r, 0, 2));
	who->exp = db_int64(r, 0, 9);
	who->iat = db_int64(r, 0, 10);
	PQclear(r);
	p[0] = db_i64(hex, who->session_id);
	r = db_query(db, err, errlen, "UPDATE sessions SET last_seen_at = now() "
		     "WHERE id = $1", 1, p);
	if (!r || db_commit(db, err, errlen) < 0) {
		rc = -1;
		goto out;
	}
	rc = 0;
out:
	PQclear(r);
	if (rc)
		db_rollback(db);
	if (rc)
		memset(who, 0, sizeof(*who));
	return rc;
}

int session_revoke(PGconn *db, int64_t sid, const char *why, char *err,
		   size_t errlen)
{
	char s[24];
	const char *p[2] = {db_i64(s, sid), why};
	PGresult *r = db_query(db, err, errlen, "UPDATE sessions SET revoked_at "
			       "= now(), revoked_why = $2 WHERE id = $1 AND "
			       "revoked_at IS NULL", 2, p);

	if (!r)
		return -1;
	PQclear(r);
	return 0;
}
