/* api_oidc: single sign-on over OpenID Connect (issue 18 item 4,
 * docs/auth.md "Single sign-on"), routes that need no token:
 *   GET /auth/methods?tenant=T      which sign-ins the tenant offers
 *   GET /auth/oidc/login?tenant=T   302 to the provider (code flow, PKCE
 *                                   S256, state and nonce kept here)
 *   GET /auth/oidc/callback         the provider's answer: state, code
 *                                   exchange, ID token checked locally,
 *                                   the user made or updated, a session
 *                                   cookie as for password sign-in, 302 /
 * Every refusal answers JSON {"error":{"code","message"}} naming the
 * reason, is logged, and (once the tenant is known) audited. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gcrypt.h>

#include "auth/oidc_claims.h"
#include "auth/oidc_fetch.h"
#include "auth/oidc_jws.h"
#include "base/conf.h"
#include "base/crypto.h"
#include "base/log.h"
#include "db/db.h"
#include "model/audit.h"
#include "model/oidc.h"
#include "model/tenant.h"
#include "model/users.h"
#include "server/api_int.h"
#include "server/auth.h"
#include "server/auth_session.h"

#define LOGIN_MAX_AGE_S 600
#define CALLBACK_PATH "/api/v1/auth/oidc/callback"
/* Test-only (docs/auth.md): a file whose ID token replaces the code
 * exchange, so tests can send crafted tokens through the real checks. */
#define TEST_TOKEN_ENV "PULSE_HOST_TEST_OIDC_ID_TOKEN_FILE"
/* The state also goes to the browser that started the sign-in, so a
 * callback with another browser's state (login CSRF) is refused. */
#define STATE_COOKIE "pulse_oidc"

/* The value of cookie name in the Cookie header into buf, or NULL. */
static const char *cookie_get(const char *hdr, const char *name, char *buf,
			      size_t len)
{
	size_t n = strlen(name), l;
	const char *p = hdr;

	while (p && *p) {
		while (*p == ' ' || *p == ';')
			p++;
		if (strncmp(p, name, n) == 0 && p[n] == '=') {
			l = strcspn(p + n + 1, ";");
			if (l >= len)
				return NULL;
			memcpy(buf, p + n + 1, l);
			buf[l] = '\0';
			return buf;
		}
		p = strchr(p, ';');
	}
	return NULL;
}

/* 32 random bytes as base64url (43 characters) into out (44 bytes). */
static int random_b64(char out[44])
{
	unsigned char rnd[32];
	char *s;

	gcry_randomize(rnd, sizeof(rnd), GCRY_STRONG_RANDOM);
	s = auth_b64url_encode(rnd, sizeof(rnd));
	crypto_wipe(rnd, sizeof(rnd));
	if (!s)
		return -1;
	snprintf(out, 44, "%s", s);
	free(s);
	return 0;
}

/* redirect_base without a trailing slash + the callback path. */
static void redirect_uri(const struct oidc_provider *p, char *out, size_t len)
{
	size_t l = strlen(p->redirect_base);

	while (l && p->redirect_base[l - 1] == '/')
		l--;
	snprintf(out, len, "%.*s%s", (int)l, p->redirect_base, CALLBACK_PATH);
}

/* The tenant of ?tenant=, or 0 (reply set). */
static int64_t query_tenant(struct call *c)
{
	char name[128], err[512];
	int64_t t = 0;

	if (!api_query_arg(c->rq->query, "tenant", name, sizeof(name)) ||
	    !name[0]) {
		api_reply_error(c->rs, 400, "bad_request", "add ?tenant=NAME (the "
				"tenant to sign in to)");
		return 0;
	}
	if (tenant_resolve(c->db, name, &t, err, sizeof(err)) < 0 || t <= 0) {
		api_reply_error(c->rs, 404, "unknown_tenant", "no tenant '%s'",
				name);
		return 0;
	}
	return t;
}

/* Without ?tenant=, or for a name that is no tenant, single sign-on is
 * simply not offered: the answer does not tell which tenants exist. */
static void methods(struct call *c)
{
	char err[512], name[128];
	json_object *o;
	int64_t t = 0;
	int has = 0;

	/* not found (or not a valid name): t stays 0 */
	if (api_query_arg(c->rq->query, "tenant", name, sizeof(name)) && name[0] &&
	    tenant_resolve(c->db, name, &t, err, sizeof(err)) < 0)
		t = 0;
	if (t > 0 && (db_tenant_begin(c->db, t, err, sizeof(err)) < 0 ||
		      (has = oidc_provider_exists(c->db, t, err, sizeof(err))) < 0)) {
		db_rollback(c->db);
		api_reply_db_error(c, err);
		return;
	}
	if (t > 0)
		db_rollback(c->db);
	o = json_object_new_object();
	json_object_object_add(o, "password", json_object_new_boolean(1));
	json_object_object_add(o, "token", json_object_new_boolean(1));
	json_object_object_add(o, "oidc", json_object_new_boolean(has));
	api_reply_json(c->rs, 200, o);
	json_object_put(o);
}

static void login(struct call *c)
{
	struct oidc_provider p;
	struct oidc_meta m;
	char err[1024], state[80], rnd[44], nonce[44], verifier[44], ruri[600];
	unsigned char d[32];
	char *challenge = NULL;
	int64_t t;
	int rc, have = 0;

	memset(&p, 0, sizeof(p));
	if (!(t = query_tenant(c)))
		return;
	if (db_tenant_begin(c->db, t, err, sizeof(err)) < 0 ||
	    (rc = oidc_provider_get(c->db, t, NULL, &p, err, sizeof(err))) < 0)
		goto dberr;
	have = 1;
	if (rc == OIDC_NOTFOUND) {
		api_reply_error(c->rs, 404, "sso_not_configured", "%s", err);
		goto out;
	}
	db_rollback(c->db);
	if (oidc_discover(c->a->conf, t, p.issuer, &m, err, sizeof(err)) < 0) {
		log_warn("AUTH", "oidc=discovery_failed tenant=%" PRId64 " error=\"%s\"",
			 t, err);
		api_reply_error(c->rs, 502, "discovery_failed", "the identity "
				"provider cannot be reached: %s", err);
		goto out;
	}
	if (random_b64(rnd) < 0 || random_b64(nonce) < 0 ||
	    random_b64(verifier) < 0) {
		api_reply_error(c->rs, 500, "internal", "out of memory");
		goto out;
	}
	/* the tenant rides in the state, as in session values */
	snprintf(state, sizeof(state), "%" PRId64 ".%s", t, rnd);
	gcry_md_hash_buffer(GCRY_MD_SHA256, d, verifier, strlen(verifier));
	if (!(challenge = auth_b64url_encode(d, sizeof(d)))) {
		api_reply_error(c->rs, 500, "internal", "out of memory");
		goto out;
	}
	if (db_tenant_begin(c->db, t, err, sizeof(err)) < 0 ||
	    oidc_login_put(c->db, t, state, nonce, verifier, err, sizeof(err)) < 0 ||
	    db_commit(c->db, err, sizeof(err)) < 0)
		goto dberr;
	redirect_uri(&p, ruri, sizeof(ruri));
	snprintf(c->rs->location, sizeof(c->rs->location), "%s%c",
		 m.authorization_endpoint,
		 strchr(m.authorization_endpoint, '?') ? '&' : '?');
	if (oidc_form_add(c->rs->location, sizeof(c->rs->location),
			  "response_type", "code") ||
	    oidc_form_add(c->rs->location, sizeof(c->rs->location),
			  "client_id", p.client_id) ||
	    oidc_form_add(c->rs->location, sizeof(c->rs->location),
			  "redirect_uri", ruri) ||
	    oidc_form_add(c->rs->location, sizeof(c->rs->location),
			  "scope", p.scopes) ||
	    oidc_form_add(c->rs->location, sizeof(c->rs->location),
			  "state", state) ||
	    oidc_form_add(c->rs->location, sizeof(c->rs->location),
			  "nonce", nonce) ||
	    oidc_form_add(c->rs->location, sizeof(c->rs->location),
			  "code_challenge", challenge) ||
	    oidc_form_add(c->rs->location, sizeof(c->rs->location),
			  "code_challenge_method", "S256")) {
		c->rs->location[0] = '\0';
		api_reply_error(c->rs, 500, "internal", "the authorization URL "
				"is too long (issuer, client id or scopes)");
		goto out;
	}
	snprintf(c->rs->set_cookie, sizeof(c->rs->set_cookie), "%s=%s; "
		 "Path=/api/v1/auth/oidc/; Max-Age=%d; HttpOnly; SameSite=Lax%s",
		 STATE_COOKIE, state, LOGIN_MAX_AGE_S, c->rq->tls ||
		 c->a->conf->auth_cookie_secure ? "; Secure" : "");
	log_info("AUTH", "oidc=redirect tenant=%" PRId64, t);
	c->rs->status = 302;
	c->rs->content_type = "text/plain";
	sb_adds(&c->rs->body, "redirecting to the identity provider\n");
	goto out;
dberr:
	api_reply_db_error(c, err);
out:
	db_rollback(c->db);
	if (have)
		oidc_provider_free(&p);
	crypto_wipe(verifier, sizeof(verifier));
	free(challenge);
}

/* A refused callback: logged, audited in tenant (when known), and the
 * reply naming code and reason. */
static void refuse(struct call *c, int64_t tenant, int status,
		   const char *code, const char *email, const char *msg)
{
	char actor[160], err[512];
	json_object *d;

	log_info("AUTH", "oidc=refused tenant=%" PRId64 " code=%s reason=\"%s\"",
		 tenant, code, msg);
	if (tenant > 0) {
		d = json_object_new_object();
		json_object_object_add(d, "method", json_object_new_string("oidc"));
		json_object_object_add(d, "reason", json_object_new_string(code));
		snprintf(actor, sizeof(actor), "%s%s", email ? "user:" : "oidc",
			 email ? email : "");
		if (audit_record_tx(c->db, tenant, actor, "auth.login", NULL,
				    "failed", c->rq->peer, d, err, sizeof(err)) < 0)
			log_warn("AUDIT", "action=auth.login error=\"%s\"", err);
		json_object_put(d);
	}
	api_reply_error(c->rs, status, code, "single sign-on refused: %s", msg);
}

/* The ID token of the test file (malloc'd), or NULL when not testing. */
static char *test_token(void)
{
	const char *path = getenv(TEST_TOKEN_ENV);
	char buf[8192];
	size_t n;
	FILE *f;

	if (!path || !*path || !(f = fopen(path, "r")))
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	buf[n] = '\0';
	if (!n)
		return NULL;
	log_warn("AUTH", "oidc=test_token %s is set: the code exchange is "
		 "replaced by a file (tests only)", TEST_TOKEN_ENV);
	return strdup(buf);
}

/* Verify id_token's signature, refreshing the JWKS once for an unknown
 * kid: the claims (new reference), or NULL with *code and err. */
static json_object *verify(struct call *c, int64_t t, const struct oidc_meta *m,
			   const char *id_token, const char **code, char *err,
			   size_t errlen)
{
	json_object *jwks, *claims = NULL;
	char kid[128];
	int rc, pass;

	for (pass = 0; pass < 2; pass++) {
		if (!(jwks = oidc_jwks(c->a->conf, t, m->jwks_uri, pass, err, errlen))) {
			*code = "jwks_unavailable";
			return NULL;
		}
		rc = oidc_jws_verify(id_token, jwks, &claims, kid, sizeof(kid),
				     err, errlen);
		json_object_put(jwks);
		if (rc == OIDC_JWS_OK)
			return claims;
		if (rc == OIDC_JWS_BAD) {
			*code = "bad_signature";
			return NULL;
		}
	}
	*code = "unknown_kid";
	snprintf(err + strlen(err), errlen - strlen(err), ", also after "
		 "fetching the JWKS again");
	return NULL;
}

static void callback(struct call *c)
{
	const struct conf *conf = c->a->conf;
	struct oidc_provider p;
	struct oidc_meta m;
	struct crypto_key key;
	char err[1024], state[128], code[512], nonce[64], verifier[64];
	char ruri[600], perr[256], email[128];
	char actor[160], target[48];
	const char *why = NULL, *tn, *name, *role, *mail;
	char *id_token = NULL, *value = NULL;
	json_object *tok = NULL, *claims = NULL, *d = NULL, *v;
	int64_t t = 0, uid = 0, sid = 0;
	int rc, have = 0, created = 0;

	memset(&p, 0, sizeof(p));
	memset(&key, 0, sizeof(key));
	if (api_query_arg(c->rq->query, "error", perr, sizeof(perr))) {
		char desc[256] = "";

		api_query_arg(c->rq->query, "error_description", desc, sizeof(desc));
		if (api_query_arg(c->rq->query, "state", state, sizeof(state)) &&
		    !session_is_value(state, &t))
			t = 0;
		refuse(c, t, 401, "provider_error", NULL, desc[0] ? desc : perr);
		return;
	}
	if (!api_query_arg(c->rq->query, "state", state, sizeof(state)) ||
	    !session_is_value(state, &t)) {
		refuse(c, 0, 400, "state_mismatch", NULL, "the callback carries no "
		       "state of a sign-in started here; start again at "
		       "/api/v1/auth/oidc/login?tenant=T");
		return;
	}
	if (!cookie_get(c->rq->cookie, STATE_COOKIE, code, sizeof(code)) ||
	    !session_str_eq(code, state)) {
		refuse(c, 0, 400, "state_mismatch", NULL, "the state is not the one "
		       "this browser started (another browser's sign-in, or "
		       "cookies are blocked); start again");
		return;
	}
	if (!api_query_arg(c->rq->query, "code", code, sizeof(code)) || !code[0]) {
		refuse(c, t, 400, "bad_request", NULL, "the callback carries no "
		       "authorization code");
		return;
	}
	if (db_tenant_begin(c->db, t, err, sizeof(err)) < 0 ||
	    (rc = oidc_login_take(c->db, t, state, LOGIN_MAX_AGE_S, nonce,
				  sizeof(nonce), verifier, sizeof(verifier), err,
				  sizeof(err))) < 0 ||
	    db_commit(c->db, err, sizeof(err)) < 0)
		goto dberr;
	if (rc) {
		db_rollback(c->db);
		refuse(c, rc == OIDC_STATE_UNKNOWN ? 0 : t, 400, rc ==
		       OIDC_STATE_UNKNOWN ? "state_mismatch" : rc == OIDC_STATE_USED ?
		       "state_used" : "state_expired", NULL,
		       rc == OIDC_STATE_UNKNOWN ? "the state does not match a "
		       "sign-in started here (forged, or from another server); "
		       "start again" : rc == OIDC_STATE_USED ? "this sign-in was "
		       "already completed (a state is good once); start again" :
		       "the sign-in took longer than 10 minutes; start again");
		return;
	}
	if (api_load_key(conf->key_file, &key, "key_file", err, sizeof(err)) < 0 ||
	    db_tenant_begin(c->db, t, err, sizeof(err)) < 0 ||
	    (rc = oidc_provider_get(c->db, t, &key, &p, err, sizeof(err))) < 0)
		goto dberr;
	have = rc == 0;
	db_rollback(c->db);
	if (rc == OIDC_NOTFOUND) {
		refuse(c, t, 404, "sso_not_configured", NULL, err);
		goto out;
	}
	if (oidc_discover(conf, t, p.issuer, &m, err, sizeof(err)) < 0) {
		refuse(c, t, 502, "discovery_failed", NULL, err);
		goto out;
	}
	redirect_uri(&p, ruri, sizeof(ruri));
	if (!(id_token = test_token())) {
		struct oidc_client_auth ca = {p.client_id, p.secret,
			strcmp(p.auth_method, "client_secret_post") == 0};

		if (!(tok = oidc_exchange_code(conf, t, m.token_endpoint, &ca,
					       code, ruri, verifier, err,
					       sizeof(err)))) {
			refuse(c, t, 401, "code_exchange_failed", NULL, err);
			goto out;
		}
		if (!json_object_object_get_ex(tok, "id_token", &v) ||
		    !json_object_is_type(v, json_type_string)) {
			refuse(c, t, 401, "no_id_token", NULL, "the token endpoint "
			       "returned no id_token (is \"openid\" in the scopes?)");
			goto out;
		}
		id_token = strdup(json_object_get_string(v));
	}
	if (!id_token || !(claims = verify(c, t, &m, id_token, &why, err,
					   sizeof(err)))) {
		refuse(c, t, 401, why ? why : "internal", NULL, id_token ? err :
		       "out of memory");
		goto out;
	}
	{
		struct oidc_expect e = {p.issuer, p.client_id, time(NULL),
					OIDC_SKEW_S};

		if (oidc_claims_check(claims, &e, &why, err, sizeof(err)) < 0) {
			refuse(c, t, 401, why, NULL, err);
			goto out;
		}
	}
	tn = oidc_claim_str(claims, "nonce");
	if (!tn || strcmp(tn, nonce) != 0) {
		int used = 0;

		if (tn && db_tenant_begin(c->db, t, err, sizeof(err)) == 0)
			used = oidc_nonce_used(c->db, t, tn, err, sizeof(err));
		db_rollback(c->db);
		refuse(c, t, 401, used == 1 ? "nonce_replayed" : "nonce_mismatch",
		       NULL, used == 1 ? "the ID token's nonce belongs to a sign-in "
		       "that was already completed (a replayed token)" : "the ID "
		       "token's nonce is not the one of this sign-in");
		goto out;
	}
	mail = oidc_claim_str(claims, "email");
	if (!mail)
		mail = oidc_claim_str(claims, "preferred_username");
	if (!mail || users_email_valid(mail, email, sizeof(email), err,
				       sizeof(err)) < 0) {
		refuse(c, t, 401, "no_email", NULL, "the ID token carries no email "
		       "(add the \"email\" scope, or map an email claim at the "
		       "provider)");
		goto out;
	}
	{
		json_object *ev;

		if (json_object_object_get_ex(claims, "email_verified", &ev) &&
		    json_object_is_type(ev, json_type_boolean) &&
		    !json_object_get_boolean(ev)) {
			refuse(c, t, 401, "email_not_verified", email, "the "
			       "provider says this email is not verified");
			goto out;
		}
	}
	if (!(role = oidc_claims_role(claims, p.role_claim, p.role_map,
				      p.default_role, err, sizeof(err)))) {
		refuse(c, t, 403, "no_role", email, err);
		goto out;
	}
	name = oidc_claim_str(claims, "name");
	if (db_tenant_begin(c->db, t, err, sizeof(err)) < 0 ||
	    (rc = oidc_user_upsert(c->db, t, email, name, role, &uid, &created,
				   err, sizeof(err))) < 0)
		goto dberr;
	if (rc == 2) {
		db_rollback(c->db);
		refuse(c, t, 403, "disabled", email, "this account is disabled; "
		       "ask an admin of the tenant");
		goto out;
	}
	if (session_create(c->db, t, uid, conf->auth_session_abs_s, c->rq->peer,
			   &value, &sid, err, sizeof(err)) < 0)
		goto dberr;
	d = json_object_new_object();
	json_object_object_add(d, "method", json_object_new_string("oidc"));
	json_object_object_add(d, "role", json_object_new_string(role));
	json_object_object_add(d, "created", json_object_new_boolean(created));
	snprintf(actor, sizeof(actor), "user:%s", email);
	snprintf(target, sizeof(target), "user:%" PRId64, uid);
	if (audit_record(c->db, t, actor, "auth.login", target, "ok", c->rq->peer,
			 d, err, sizeof(err)) < 0 ||
	    db_commit(c->db, err, sizeof(err)) < 0)
		goto dberr;
	log_info("AUTH", "login=ok method=oidc tenant=%" PRId64 " user=%" PRId64
		 " created=%d", t, uid, created);
	api_session_cookie(c, value, conf->auth_session_abs_s);
	snprintf(c->rs->location, sizeof(c->rs->location), "/");
	c->rs->status = 302;
	c->rs->content_type = "text/plain";
	sb_adds(&c->rs->body, "signed in\n");
	goto out;
dberr:
	api_reply_db_error(c, err);
out:
	db_rollback(c->db);
	if (have)
		oidc_provider_free(&p);
	crypto_wipe(&key, sizeof(key));
	crypto_wipe(verifier, sizeof(verifier));
	crypto_wipe(code, sizeof(code));
	if (value) {
		crypto_wipe(value, strlen(value));
		free(value);
	}
	free(id_token);
	json_object_put(tok);
	json_object_put(claims);
	json_object_put(d);
}

void api_oidc_route(struct call *c, const char *sub)
{
	if (strcmp(c->rq->method, "GET") != 0) {
		api_reply_error(c->rs, 405, "method_not_allowed", "GET only");
		return;
	}
	if (strcmp(sub, "auth/methods") == 0)
		methods(c);
	else if (strcmp(sub, "auth/oidc/login") == 0)
		login(c);
	else if (strcmp(sub, "auth/oidc/callback") == 0)
		callback(c);
	else
		api_reply_error(c->rs, 404, "not_found", "no API route %s",
				c->rq->path);
}
