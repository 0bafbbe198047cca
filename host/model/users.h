/*
 * users: people who sign in, their role per tenant (092_users.sql,
 * docs/auth.md). Every call runs inside the caller's tenant transaction
 * (db_tenant_begin), so the change and its audit event commit together.
 */
#ifndef PULSE_USERS_H
#define PULSE_USERS_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>
#include <libpq-fe.h>

#define USERS_NOTFOUND 1
#define USERS_EXISTS 2

struct user_row {
	int64_t id;
	char email[128];
	char status[16];   /* active | disabled */
	char role[8];      /* admin | user | view | "" (none) */
};

/* Lower-case and check an email (something@host, at most 127 bytes,
 * printable ASCII). 0, or -1 with err. out gets the lower-cased copy. */
int users_email_valid(const char *email, char *out, size_t outlen,
		      char *err, size_t errlen);

/* Add a local user with role (admin|user|view) and phc (NULL: no
 * password yet). 0 and *id, USERS_EXISTS, or -1 (err). */
int users_add(PGconn *db, int64_t tenant, const char *email,
	      const char *name, const char *role, const char *phc,
	      int64_t *id, char *err, size_t errlen);

/* Find by email (lower-cased by the caller) or by id (email NULL).
 * 0 and *u, USERS_NOTFOUND, or -1. */
int users_get(PGconn *db, int64_t tenant, const char *email, int64_t id,
	      struct user_row *u, char *err, size_t errlen);

/* The tenant's users as a new JSON array (id, email, display_name,
 * status, source, role, has_password, created_at, disabled_at), or NULL. */
json_object *users_list_json(PGconn *db, int64_t tenant, char *err,
			     size_t errlen);

/* Disable (1) or enable (0) a user. Disabling revokes every session of
 * the user; *revoked gets how many. 0, USERS_NOTFOUND or -1. */
int users_set_disabled(PGconn *db, int64_t tenant, int64_t id, int disabled,
		       int *revoked, char *err, size_t errlen);

/* Set the user's role in tenant. 0, USERS_NOTFOUND or -1. */
int users_set_role(PGconn *db, int64_t tenant, int64_t id, const char *role,
		   char *err, size_t errlen);

/* Replace the password hash; revokes the user's sessions (*revoked).
 * 0, USERS_NOTFOUND or -1. */
int users_set_password(PGconn *db, int64_t tenant, int64_t id,
		       const char *phc, int *revoked, char *err,
		       size_t errlen);

#endif
