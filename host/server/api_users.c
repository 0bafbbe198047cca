/* api_users: people and the audit log, admins of the tenant only
 * (issue 18, docs/auth.md):
 *   GET   /users
 *   POST  /users      {"email", "role", "display_name"?, "password"?}
 *   PATCH /users/ID   {"role"?, "status": "active"|"disabled"?, "password"?}
 *   GET   /audit?since=DATE&limit=N
 * Disabling a user revokes all of their sessions; their live viewers
 * are closed (recheck_viewers). */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/conf.h"
#include "base/crypto.h"
#include "db/db.h"
#include "model/audit.h"
#include "model/users.h"
#include "server/api_int.h"
#include "server/auth_passwd.h"

void api_users_list(struct call *c)
{
	char err[512];
	json_object *arr, *o;

	if (db_tenant_begin(c->db, c->who.tenant, err, sizeof(err)) < 0 ||
	    !(arr = users_list_json(c->db, c->who.tenant, err, sizeof(err)))) {
		db_rollback(c->db);
		api_reply_db_error(c, err);
		return;
	}
	db_rollback(c->db);
	o = json_object_new_object();
	json_object_object_add(o, "users", arr);
	api_reply_json(c->rs, 200, o);
	json_object_put(o);
}

/* Hash a new password after the policy; NULL with a 400 set. */
static char *new_hash(struct call *c, const char *pw)
{
	struct passwd_params pp = {(unsigned long)c->a->conf->auth_argon2_t,
		(unsigned long)c->a->conf->auth_argon2_m_kib, 1};
	char err[512], *h;

	if (passwd_policy_check(pw, c->a->conf->auth_min_password_length, err,
				sizeof(err)) < 0) {
		api_reply_error(c->rs, 400, "weak_password", "%s", err);
		return NULL;
	}
	if (!(h = passwd_hash(pw, &pp, err, sizeof(err))))
		api_reply_error(c->rs, 500, "internal", "cannot hash the password");
	return h;
}

static void wipe_body_password(json_object *body)
{
	json_object *v;

	if (body && json_object_object_get_ex(body, "password", &v) &&
	    json_object_is_type(v, json_type_string))
		crypto_wipe((void *)(uintptr_t)json_object_get_string(v),
			    (size_t)json_object_get_string_len(v));
}

void api_users_create(struct call *c)
{
	char err[512], email[128], actor[160], target[48];
	json_object *body = NULL, *o, *d = NULL;
	const char *role, *pw, *name;
	char *phc = NULL;
	int64_t id = 0;
	int rc;

	if (!(body = api_parse_body(c)))
		goto out;
	if (users_email_valid(api_body_str(body, "email"), email, sizeof(email),
			      err, sizeof(err)) < 0) {
		api_reply_error(c->rs, 400, "bad_request", "\"email\": %s", err);
		goto out;
	}
	role = api_body_str(body, "role");
	if (auth_role_parse(role) < 0) {
		api_reply_error(c->rs, 400, "bad_request", "\"role\" must be "
				"admin, user or view");
		goto out;
	}
	name = api_body_str(body, "display_name");
	pw = api_body_str(body, "password");
	if (pw && !(phc = new_hash(c, pw)))
		goto out;
	api_actor(c, actor, sizeof(actor));
	if (db_tenant_begin(c->db, c->who.tenant, err, sizeof(err)) < 0)
		goto dberr;
	rc = users_add(c->db, c->who.tenant, email, name, role, phc, &id, err,
		       sizeof(err));
	if (rc == USERS_EXISTS) {
		api_reply_error(c->rs, 409, "exists", "%s", err);
		goto out;
	}
	d = json_object_new_object();
	json_object_object_add(d, "email", json_object_new_string(email));
	json_object_object_add(d, "role", json_object_new_string(role));
	json_object_object_add(d, "password_set", json_object_new_boolean(phc != NULL));
	snprintf(target, sizeof(target), "user:%" PRId64, id);
	if (rc < 0 || audit_record(c->db, c->who.tenant, actor, "user.add",
				   target, NULL, c->rq->peer, d, err,
				   sizeof(err)) < 0 ||
	    db_commit(c->db, err, sizeof(err)) < 0)
		goto dberr;
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_int64(id));
	json_object_object_add(o, "email", json_object_new_string(email));
	json_object_object_add(o, "role", json_object_new_string(role));
	api_reply_json(c->rs, 201, o);
	json_object_put(o);
	goto out;
dberr:
	api_reply_db_error(c, err);
out:
	db_rollback(c->db);
	wipe_body_password(body);
	json_object_put(body);
	json_object_put(d);
	free(phc);
}

void api_users_update(struct call *c)
{
	char err[512], actor[160], target[48];
	json_object *body = NULL, *o;
	const char *role, *status, *pw;
	struct user_row u;
	char *phc = NULL;
	int rc, revoked = 0, n = 0;

	if (!(body = api_parse_body(c)))
		goto out;
	role = api_body_str(body, "role");
	status = api_body_str(body, "status");
	pw = api_body_str(body, "password");
	if ((role && auth_role_parse(role) < 0) ||
	    (status && strcmp(status, "active") != 0 &&
	     strcmp(status, "disabled") != 0) || (!role && !status && !pw)) {
		api_reply_error(c->rs, 400, "bad_request", "give \"role\" (admin, "
				"user, view), \"status\" (active, disabled) or "
				"\"password\"");
		goto out;
	}
	if (pw && !(phc = new_hash(c, pw)))
		goto out;
	api_actor(c, actor, sizeof(actor));
	snprintf(target, sizeof(target), "user:%" PRId64, c->id);
	if (db_tenant_begin(c->db, c->who.tenant, err, sizeof(err)) < 0)
		goto dberr;
	rc = users_get(c->db, c->who.tenant, NULL, c->id, &u, err, sizeof(err));
	if (rc == USERS_NOTFOUND) {
		api_reply_error(c->rs, 404, "not_found", "user %" PRId64
				" not found", c->id);
		goto out;
	}
	if (rc < 0)
		goto dberr;
	if (role) {
		json_object *d = json_object_new_object();

		json_object_object_add(d, "from", json_object_new_string(u.role));
		json_object_object_add(d, "to", json_object_new_string(role));
		rc = users_set_role(c->db, c->who.tenant, c->id, role, err,
				    sizeof(err));
		if (!rc)
			rc = audit_record(c->db, c->who.tenant, actor,
					  "user.set_role", target, NULL,
					  c->rq->peer, d, err, sizeof(err));
		json_object_put(d);
		if (rc)
			goto dberr;
	}
	if (status) {
		int dis = strcmp(status, "disabled") == 0;

		if (users_set_disabled(c->db, c->who.tenant, c->id, dis, &n, err,
				       sizeof(err)) ||
		    audit_record(c->db, c->who.tenant, actor, dis ?
				 "user.disable" : "user.enable", target, NULL,
				 c->rq->peer, NULL, err, sizeof(err)) < 0)
			goto dberr;
		revoked += n;
	}
	if (phc) {
		if (users_set_password(c->db, c->who.tenant, c->id, phc, &n, err,
				       sizeof(err)) ||
		    audit_record(c->db, c->who.tenant, actor,
				 "user.reset_password", target, NULL,
				 c->rq->peer, NULL, err, sizeof(err)) < 0)
			goto dberr;
		revoked += n;
	}
	if (db_commit(c->db, err, sizeof(err)) < 0)
		goto dberr;
	if (revoked || status)
		c->rs->recheck_viewers = 1;
	if (users_get(c->db, c->who.tenant, NULL, c->id, &u, err,
		      sizeof(err)) != 0)
		memset(&u, 0, sizeof(u)); /* outside RLS: best effort */
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_int64(c->id));
	json_object_object_add(o, "sessions_revoked", json_object_new_int(revoked));
	api_reply_json(c->rs, 200, o);
	json_object_put(o);
	goto out;
dberr:
	api_reply_db_error(c, err);
out:
	db_rollback(c->db);
	wipe_body_password(body);
	json_object_put(body);
	free(phc);
}

void api_audit_list(struct call *c)
{
	char err[512], since[64], lim[16];
	json_object *arr, *o;
	const char *s = api_query_arg(c->rq->query, "since", since, sizeof(since));
	const char *l = api_query_arg(c->rq->query, "limit", lim, sizeof(lim));
	int limit = l ? atoi(l) : 1000;

	if (limit < 1 || limit > 10000) {
		api_reply_error(c->rs, 400, "bad_request", "limit must be 1-10000");
		return;
	}
	arr = audit_list_json(c->db, c->who.tenant, s, limit, err, sizeof(err));
	if (!arr) {
		if (s && strncmp(db_last_sqlstate(), "2200", 4) == 0) {
			api_reply_error(c->rs, 400, "bad_request", "since '%s' is "
					"not a date or time (2026-12-01 or "
					"2026-12-01T10:00:00Z)", s);
			return;
		}
		api_reply_db_error(c, err);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "events", arr);
	api_reply_json(c->rs, 200, o);
	json_object_put(o);
}
