/* users: people, roles per tenant (see users.h). */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "model/users.h"

int users_email_valid(const char *email, char *out, size_t outlen,
		      char *err, size_t errlen)
{
	const char *at = email ? strchr(email, '@') : NULL;
	size_t i, n = email ? strlen(email) : 0;

	if (!email || !at || at == email || !at[1] || strchr(at + 1, '@') ||
	    n >= 128 || n >= outlen) {
		snprintf(err, errlen, "'%.128s' is not an email address (NAME@HOST, "
			 "at most 127 characters)", email ? email : "");
		return -1;
	}
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)email[i];

		if (ch <= ' ' || ch >= 127) {
			snprintf(err, errlen, "the email address holds a space, "
				 "a control or a non-ASCII character at byte %zu",
				 i + 1);
			return -1;
		}
		out[i] = (char)tolower(ch);
	}
	out[n] = '\0';
	return 0;
}

int users_add(PGconn *db, int64_t tenant, const char *email,
	      const char *name, const char *role, const char *phc,
	      int64_t *id, char *err, size_t errlen)
{
	char t[24];
	const char *p[4] = {db_i64(t, tenant), email, name, phc};
	const char *q[3];
	char u[24];
	PGresult *r;

	r = db_query(db, err, errlen, "INSERT INTO users (tenant_id, email, "
		     "display_name, password_hash) VALUES ($1, $2, $3, $4) "
		     "ON CONFLICT (tenant_id, email) DO NOTHING RETURNING id",
		     4, p);
	if (!r)
		return -1;
	if (PQntuples(r) == 0) {
		PQclear(r);
		snprintf(err, errlen, "user %s exists already in this tenant",
			 email);
		return USERS_EXISTS;
	}
	*id = db_int64(r, 0, 0);
	PQclear(r);
	q[0] = t;
	q[1] = db_i64(u, *id);
	q[2] = role;
	r = db_query(db, err, errlen, "INSERT INTO user_roles (tenant_id, "
		     "user_id, role) VALUES ($1, $2, $3)", 3, q);
	if (!r)
		return -1;
	PQclear(r);
	return 0;
}

int users_get(PGconn *db, int64_t tenant, const char *email, int64_t id,
	      struct user_row *u, char *err, size_t errlen)
{
	char t[24], i[24];
	const char *p[3] = {db_i64(t, tenant), email, db_i64(i, id)};
	PGresult *r;

	(void)tenant;
	r = db_query(db, err, errlen, "SELECT u.id, u.email, u.status, "
		     "coalesce(r.role, '') FROM users u LEFT JOIN user_roles r "
		     "ON r.user_id = u.id AND r.tenant_id = $1 WHERE "
		     "u.tenant_id = $1 AND ($2::text IS NULL OR u.email = $2) "
		     "AND ($2::text IS NOT NULL OR u.id = $3::bigint)", 3, p);
	if (!r)
		return -1;
	if (PQntuples(r) == 0) {
		PQclear(r);
		snprintf(err, errlen, "no user %s in this tenant; list them with "
			 "`pulse-host user list --tenant T`", email ? email : i);
		return USERS_NOTFOUND;
	}
	memset(u, 0, sizeof(*u));
	u->id = db_int64(r, 0, 0);
	snprintf(u->email, sizeof(u->email), "%s", PQgetvalue(r, 0, 1));
	snprintf(u->status, sizeof(u->status), "%s", PQgetvalue(r, 0, 2));
	snprintf(u->role, sizeof(u->role), "%s", PQgetvalue(r, 0, 3));
	PQclear(r);
	return 0;
}

json_object *users_list_json(PGconn *db, int64_t tenant, char *err,
			     size_t errlen)
{
	char t[24];
	const char *p[1] = {db_i64(t, tenant)};
	json_object *arr;
	PGresult *r;
	int i;

	r = db_query(db, err, errlen, "SELECT u.id, u.email, u.display_name, "
		     "u.status, u.source, coalesce(r.role, ''), "
		     "u.password_hash IS NOT NULL, to_char(u.created_at AT TIME "
		     "ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
		     "to_char(u.disabled_at AT TIME ZONE 'UTC', "
		     "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM users u LEFT JOIN "
		     "user_roles r ON r.user_id = u.id AND r.tenant_id = $1 "
		     "WHERE u.tenant_id = $1 ORDER BY u.email", 1, p);
	if (!r)
		return NULL;
	arr = json_object_new_array();
	for (i = 0; i < PQntuples(r); i++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "id", json_object_new_int64(db_int64(r, i, 0)));
		json_object_object_add(o, "email", json_object_new_string(PQgetvalue(r, i, 1)));
		json_object_object_add(o, "display_name", PQgetisnull(r, i, 2) ?
				       NULL : json_object_new_string(PQgetvalue(r, i, 2)));
		json_object_object_add(o, "status", json_object_new_string(PQgetvalue(r, i, 3)));
		json_object_object_add(o, "source", json_object_new_string(PQgetvalue(r, i, 4)));
		json_object_object_add(o, "role", *PQgetvalue(r, i, 5) ?
				       json_object_new_string(PQgetvalue(r, i, 5)) : NULL);
		json_object_object_add(o, "has_password", json_object_new_boolean(
				       *PQgetvalue(r, i, 6) == 't'));
		json_object_object_add(o, "created_at", json_object_new_string(PQgetvalue(r, i, 7)));
		json_object_object_add(o, "disabled_at", PQgetisnull(r, i, 8) ?
				       NULL : json_object_new_string(PQgetvalue(r, i, 8)));
		json_object_array_add(arr, o);
	}
	PQclear(r);
	return arr;
}

/* Revoke every live session of user id; the count, or -1. */
static int revoke_sessions(PGconn *db, int64_t id, const char *why, char *err,
			   size_t errlen)
{
	char i[24];
	const char *p[2] = {db_i64(i, id), why};
	PGresult *r = db_query(db, err, errlen, "UPDATE sessions SET revoked_at "
			       "= now(), revoked_why = $2 WHERE user_id = $1 AND "
			       "revoked_at IS NULL", 2, p);
	int n;

	if (!r)
		return -1;
	n = atoi(PQcmdTuples(r));
	PQclear(r);
	return n;
}

/* UPDATE of one user row: 0, USERS_NOTFOUND or -1. */
static int update_one(PGconn *db, int64_t id, const char *sql, const char *arg,
		      char *err, size_t errlen)
{
	char i[24];
	const char *p[2] = {db_i64(i, id), arg};
	PGresult *r = db_query(db, err, errlen, sql, 2, p);
	int n;

	if (!r)
		return -1;
	n = atoi(PQcmdTuples(r));
	PQclear(r);
	if (n == 0) {
		snprintf(err, errlen, "no user %s in this tenant", i);
		return USERS_NOTFOUND;
	}
	return 0;
}

int users_set_disabled(PGconn *db, int64_t tenant, int64_t id, int disabled,
		       int *revoked, char *err, size_t errlen)
{
	int rc;

	(void)tenant;
	*revoked = 0;
	rc = update_one(db, id, "UPDATE users SET status = $2, updated_at = "
			"now(), disabled_at = CASE WHEN $2 = 'disabled' THEN "
			"now() END WHERE id = $1", disabled ? "disabled" :
			"active", err, errlen);
	if (rc || !disabled)
		return rc;
	*revoked = revoke_sessions(db, id, "user disabled", err, errlen);
	return *revoked < 0 ? -1 : 0;
}

int users_set_role(PGconn *db, int64_t tenant, int64_t id, const char *role,
		   char *err, size_t errlen)
{
	char t[24], i[24];
	const char *p[3] = {db_i64(t, tenant), db_i64(i, id), role};
	struct user_row u;
	PGresult *r;
	int rc = users_get(db, tenant, NULL, id, &u, err, errlen);

	if (rc)
		return rc;
	r = db_query(db, err, errlen, "INSERT INTO user_roles (tenant_id, "
		     "user_id, role) VALUES ($1, $2, $3) ON CONFLICT (tenant_id, "
		     "user_id) DO UPDATE SET role = EXCLUDED.role, updated_at = "
		     "now()", 3, p);
	if (!r)
		return -1;
	PQclear(r);
	return 0;
}

int users_set_password(PGconn *db, int64_t tenant, int64_t id,
		       const char *phc, int *revoked, char *err,
		       size_t errlen)
{
	int rc;

	(void)tenant;
	*revoked = 0;
	rc = update_one(db, id, "UPDATE users SET password_hash = $2, "
			"updated_at = now() WHERE id = $1", phc, err, errlen);
	if (rc)
		return rc;
	*revoked = revoke_sessions(db, id, "password reset", err, errlen);
	return *revoked < 0 ? -1 : 0;
}
