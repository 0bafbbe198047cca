/* api_auth: password sign-in and sessions (issue 18, docs/auth.md):
 *   POST /auth/login    {"email", "password", "tenant" (optional)}
 *   POST /auth/logout   (revokes the caller's session)
 *   GET  /auth/session  (who is signed in, and the CSRF token)
 * The password is never logged nor stored; only its Argon2id hash. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/conf.h"
#include "base/crypto.h"
#include "base/log.h"
#include "db/db.h"
#include "model/audit.h"
#include "model/tenant.h"
#include "model/users.h"
#include "server/api_int.h"
#include "server/auth_limit.h"
#include "server/auth_passwd.h"
#include "server/auth_session.h"

#define MAX_CANDIDATES 8

void api_actor(const struct call *c, char *buf, size_t len)
{
	if (c->who.session_id)
		snprintf(buf, len, "user:%s", c->who.email);
	else if (c->who.token_id)
		snprintf(buf, len, "token:%" PRId64, c->who.token_id);
	else
		snprintf(buf, len, "token:sub:%s", c->who.sub);
}

void api_audit(struct call *c, const char *action, const char *target,
	       json_object *detail)
{
	char actor[160], err[512];

	api_actor(c, actor, sizeof(actor));
	if (audit_record_tx(c->db, c->who.tenant, actor, action, target, NULL,
			    c->rq->peer, detail, err, sizeof(err)) < 0)
		log_warn("AUDIT", "request_id=%s action=%s error=\"%s\"",
			 c->rs->request_id, action, err);
}

struct candidate {
	int64_t tenant, user;
	char status[16];
	char *phc;
};

/* Accounts of email (in tenant, or in every tenant when 0): at most
 * MAX_CANDIDATES into cand. The count, or -1 (err). */
static int lookup(PGconn *db, const char *email, int64_t tenant,
		  struct candidate *cand, char *err, size_t errlen)
{
	char t[24];
	const char *p[2] = {email, tenant ? db_i64(t, tenant) : NULL};
	PGresult *r;
	int i, n;

	if (db_begin(db, err, errlen) < 0)
		return -1;
	r = db_query(db, err, errlen, "SELECT tenant_id, user_id, status, "
		     "password_hash FROM host_login_lookup($1, $2::bigint)", 2, p);
	if (!r || db_commit(db, err, errlen) < 0) {
		PQclear(r);
		db_rollback(db);
		return -1;
	}
	n = PQntuples(r) < MAX_CANDIDATES ? PQntuples(r) : MAX_CANDIDATES;
	for (i = 0; i < n; i++) {
		cand[i].tenant = db_int64(r, i, 0);
		cand[i].user = db_int64(r, i, 1);
		snprintf(cand[i].status, sizeof(cand[i].status), "%s",
			 PQgetvalue(r, i, 2));
		cand[i].phc = PQgetisnull(r, i, 3) ? NULL :
			      strdup(PQgetvalue(r, i, 3));
	}
	PQclear(r);
	return n;
}

/* An audit event about a sign-in in each candidate's tenant. */
static void audit_signin(struct call *c, struct candidate *cand, int n,
			 const char *email, const char *action,
			 const char *result, const char *why)
{
	char actor[160], target[48], err[512];
	json_object *d = json_object_new_object();
	int i;

	snprintf(actor, sizeof(actor), "user:%s", email);
	json_object_object_add(d, "reason", json_object_new_string(why));
	for (i = 0; i < n; i++) {
		snprintf(target, sizeof(target), "user:%" PRId64, cand[i].user);
		if (audit_record_tx(c->db, cand[i].tenant, actor, action, target,
				    result, c->rq->peer, d, err, sizeof(err)) < 0)
			log_warn("AUDIT", "action=%s error=\"%s\"", action, err);
	}
	json_object_put(d);
}

/* A 429 for a lock-out: the seconds left are in the message and in
 * retry_after. */
static void reply_locked(struct call *c, const char *what, int64_t left)
{
	json_object *o = json_object_new_object(), *e = json_object_new_object();
	char msg[256];

	snprintf(msg, sizeof(msg), "too many failed sign-ins %s; try again in "
		 "%" PRId64 " s", what, left);
	json_object_object_add(e, "code", json_object_new_string("locked_out"));
	json_object_object_add(e, "message", json_object_new_string(msg));
	json_object_object_add(e, "retry_after", json_object_new_int64(left));
	json_object_object_add(o, "error", e);
	json_object_object_add(o, "request_id", json_object_new_string(c->rs->request_id));
	api_reply_json(c->rs, 429, o);
	json_object_put(o);
}

/* Set-Cookie for value (NULL: clear it). */
static void set_cookie(struct call *c, const char *value, int max_age)
{
	snprintf(c->rs->set_cookie, sizeof(c->rs->set_cookie),
		 "%s=%s; Path=/; Max-Age=%d; HttpOnly; SameSite=Lax%s",
		 SESSION_COOKIE, value ? value : "", value ? max_age : 0,
		 c->rq->tls || c->a->conf->auth_cookie_secure ? "; Secure" : "");
}

void api_auth_login(struct call *c)
{
	const struct conf *conf = c->a->conf;
	struct candidate cand[MAX_CANDIDATES];
	char email[128], err[512], akey[192], ckey[192], csrf[SESSION_CSRF_LEN];
	char dummy[160];
	char *value = NULL;
	json_object *body = NULL, *o;
	const char *pw, *tn;
	int64_t tenant = 0, left, now = time(NULL), sid = 0;
	int n = 0, i, match = -1, matches = 0;
	struct user_row u;

	memset(cand, 0, sizeof(cand));
	if (!(body = api_parse_body(c)))
		goto out;
	pw = api_body_str(body, "password");
	if (users_email_valid(api_body_str(body, "email"), email, sizeof(email),
			      err, sizeof(err)) < 0 || !pw) {
		api_reply_error(c->rs, 400, "bad_request", "sign-in needs \"email\" "
				"and \"password\" (strings)%s%s", pw ? ": " : "",
				pw ? err : "");
		goto out;
	}
	snprintf(akey, sizeof(akey), "addr:%s", c->rq->peer ? c->rq->peer : "?");
	snprintf(ckey, sizeof(ckey), "account:%s", email);
	if ((left = authlimit_locked(c->a->limit, akey, now)) > 0) {
		log_info("AUTH", "login=locked scope=address addr=%s", akey + 5);
		reply_locked(c, "from this address", left);
		goto out;
	}
	if ((tn = api_body_str(body, "tenant")) != NULL &&
	    tenant_resolve(c->db, tn, &tenant, err, sizeof(err)) < 0) {
		/* no such tenant: the same answer as a wrong password */
		tenant = -1;
	}
	if (tenant >= 0 && (n = lookup(c->db, email, tenant, cand, err,
				       sizeof(err))) < 0) {
		api_reply_db_error(c, err);
		goto out;
	}
	if ((left = authlimit_locked(c->a->limit, ckey, now)) > 0) {
		log_info("AUTH", "login=locked scope=account");
		audit_signin(c, cand, n, email, "auth.login", "locked",
			     "account locked out");
		reply_locked(c, "for this account", left);
		goto out;
	}
	/* Every candidate is checked, so the time does not say whether an
	 * account exists: a missing one (or one without a password) costs
	 * a hash of the configured cost against a tag nobody has. */
	snprintf(dummy, sizeof(dummy), "$argon2id$v=19$m=%d,t=%d,p=1$"
		 "AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		 conf->auth_argon2_m_kib, conf->auth_argon2_t);
	for (i = 0; i < n; i++) {
		if (cand[i].phc && passwd_verify(pw, cand[i].phc, err,
						 sizeof(err)) == 1) {
			matches++;
			if (match < 0)
				match = i;
		} else if (!cand[i].phc) {
			passwd_verify(pw, dummy, err, sizeof(err));
		}
	}
	if (n == 0)
		passwd_verify(pw, dummy, err, sizeof(err));
	if (match < 0) {
		int64_t la = authlimit_fail(c->a->limit, akey,
					    conf->auth_address_attempts,
					    conf->auth_lockout_window_s,
					    conf->auth_lockout_s, now);
		int64_t lc = authlimit_fail(c->a->limit, ckey,
					    conf->auth_lockout_attempts,
					    conf->auth_lockout_window_s,
					    conf->auth_lockout_s, now);

		log_info("AUTH", "login=failed");
		audit_signin(c, cand, n, email, "auth.login", "failed",
			     "wrong password");
		if (lc || la) {
			audit_signin(c, cand, n, email, "auth.lockout", "locked",
				     lc ? "account" : "address");
			reply_locked(c, lc ? "for this account" : "from this "
				     "address", lc ? lc : la);
			goto out;
		}
		api_reply_error(c->rs, 401, "unauthorized", "wrong email or "
				"password");
		goto out;
	}
	if (matches > 1 && tenant <= 0) {
		api_reply_error(c->rs, 400, "choose_tenant", "this account exists "
				"in several tenants: add \"tenant\" (name or id)");
		goto out;
	}
	if (strcmp(cand[match].status, "active") != 0) {
		audit_signin(c, cand + match, 1, email, "auth.login", "failed",
			     "user is disabled");
		api_reply_error(c->rs, 403, "disabled", "this account is "
				"disabled; ask an admin of the tenant");
		goto out;
	}
	authlimit_ok(c->a->limit, ckey);
	tenant = cand[match].tenant;
	if (db_tenant_begin(c->db, tenant, err, sizeof(err)) < 0 ||
	    users_get(c->db, tenant, NULL, cand[match].user, &u, err,
		      sizeof(err)) != 0 ||
	    session_create(c->db, tenant, u.id, conf->auth_session_abs_s,
			   c->rq->peer, &value, &sid, err, sizeof(err)) < 0)
		goto dberr;
	{
		char actor[160], target[48];

		snprintf(actor, sizeof(actor), "user:%s", email);
		snprintf(target, sizeof(target), "user:%" PRId64, u.id);
		if (audit_record(c->db, tenant, actor, "auth.login", target, "ok",
				 c->rq->peer, NULL, err, sizeof(err)) < 0 ||
		    db_commit(c->db, err, sizeof(err)) < 0)
			goto dberr;
	}
	log_info("AUTH", "login=ok tenant=%" PRId64 " user=%" PRId64, tenant, u.id);
	set_cookie(c, value, conf->auth_session_abs_s);
	session_csrf(value, csrf);
	o = json_object_new_object();
	json_object_object_add(o, "tenant", json_object_new_int64(tenant));
	json_object_object_add(o, "user_id", json_object_new_int64(u.id));
	json_object_object_add(o, "email", json_object_new_string(u.email));
	json_object_object_add(o, "role", json_object_new_string(u.role));
	json_object_object_add(o, "csrf_token", json_object_new_string(csrf));
	json_object_object_add(o, "expires_at", json_object_new_int64(now + conf->auth_session_abs_s));
	json_object_object_add(o, "idle_seconds", json_object_new_int(conf->auth_session_idle_s));
	api_reply_json(c->rs, 200, o);
	json_object_put(o);
	goto out;
dberr:
	api_reply_db_error(c, err);
out:
	db_rollback(c->db);
	for (i = 0; i < MAX_CANDIDATES; i++)
		free(cand[i].phc);
	if (value) {
		crypto_wipe(value, strlen(value));
		free(value);
	}
	if (body) {
		/* the password sits in the parsed body: wipe it */
		json_object *v;

		if (json_object_object_get_ex(body, "password", &v) &&
		    json_object_is_type(v, json_type_string))
			crypto_wipe((void *)(uintptr_t)json_object_get_string(v),
				    (size_t)json_object_get_string_len(v));
	}
	json_object_put(body);
}

void api_auth_logout(struct call *c)
{
	char err[512];
	json_object *o;

	if (!c->who.session_id) {
		api_reply_error(c->rs, 400, "not_a_session", "logout ends a "
				"sign-in session; revoke a machine token with "
				"`pulse-host token revoke --tenant T ID`");
		return;
	}
	if (db_tenant_begin(c->db, c->who.tenant, err, sizeof(err)) < 0 ||
	    session_revoke(c->db, c->who.session_id, "signed out", err,
			   sizeof(err)) < 0 ||
	    db_commit(c->db, err, sizeof(err)) < 0) {
		db_rollback(c->db);
		api_reply_db_error(c, err);
		return;
	}
	api_audit(c, "auth.logout", NULL, NULL);
	set_cookie(c, NULL, 0);
	c->rs->recheck_viewers = 1;
	o = json_object_new_object();
	json_object_object_add(o, "signed_out", json_object_new_boolean(1));
	api_reply_json(c->rs, 200, o);
	json_object_put(o);
}

void api_auth_session(struct call *c)
{
	char csrf[SESSION_CSRF_LEN];
	json_object *o = json_object_new_object();

	json_object_object_add(o, "tenant", json_object_new_int64(c->who.tenant));
	json_object_object_add(o, "role", json_object_new_string(auth_role_name(c->who.role)));
	json_object_object_add(o, "expires_at", json_object_new_int64(c->who.exp));
	if (c->who.session_id) {
		json_object_object_add(o, "user_id", json_object_new_int64(c->who.user_id));
		json_object_object_add(o, "email", json_object_new_string(c->who.email));
	}
	if (c->session) {
		session_csrf(c->session, csrf);
		json_object_object_add(o, "csrf_token", json_object_new_string(csrf));
	}
	api_reply_json(c->rs, 200, o);
	json_object_put(o);
}

void api_session_cookie(struct call *c, const char *value, int max_age)
{
	set_cookie(c, value, max_age);
}
