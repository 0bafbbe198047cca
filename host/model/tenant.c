/* tenant: add, resolve and list tenants. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "db/db.h"
#include "model/tenant.h"

int tenant_name_valid(const char *name, char *err, size_t errlen)
{
	const char *p;

	for (p = name; *p && isdigit((unsigned char)*p); p++)
		;
	/* "--tenant 7" means tenant id 7: a name "7" would be ambiguous. */
	if (*name && !*p) {
		snprintf(err, errlen, "tenant name '%s' is all digits, which "
			 "`--tenant` would read as a tenant id; use a name with "
			 "a letter, e.g. 'team-%s'", name, name);
		return -1;
	}
	return 0;
}

int tenant_add(PGconn *c, const char *name, int64_t *id, char *err,
	       size_t errlen)
{
	const char *params[1] = {name};
	PGresult *r;
	const char *state;
	int rc = -1;

	if (tenant_name_valid(name, err, errlen) < 0)
		return -1;
	r = PQexecParams(c, "INSERT INTO tenants (name) VALUES ($1)"
			 " RETURNING id", 1, NULL, params, NULL, NULL, 0);
	state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	if (PQresultStatus(r) == PGRES_TUPLES_OK) {
		*id = db_int64(r, 0, 0);
		rc = 0;
	} else if (state && strcmp(state, "23505") == 0) {
		snprintf(err, errlen, "tenant '%s' already exists; see `pulse-host "
			 "tenant list`", name);
	} else if (state && strcmp(state, "23514") == 0) {
		snprintf(err, errlen, "tenant name '%s' is not allowed: use 1-63 "
			 "letters, digits, '_', '.' or '-', starting with a "
			 "letter or digit", name);
	} else {
		snprintf(err, errlen, "cannot add tenant '%s': %s", name,
			 PQresultErrorMessage(r));
	}
	PQclear(r);
	return rc;
}

int tenant_resolve(PGconn *c, const char *s, int64_t *id, char *err,
		   size_t errlen)
{
	const char *params[1] = {s};
	const char *p;
	int numeric = *s != '\0';
	PGresult *r;

	for (p = s; *p; p++)
		numeric &= isdigit((unsigned char)*p) != 0;
	r = db_query(c, err, errlen, numeric ?
		     "SELECT id FROM tenants WHERE id = $1::bigint" :
		     "SELECT id FROM tenants WHERE name = $1", 1, params);
	if (!r)
		return -1;
	if (PQntuples(r) == 0) {
		snprintf(err, errlen, "no tenant '%s'; list them with `pulse-host "
			 "tenant list` or add it with `pulse-host tenant add %s`",
			 s, numeric ? "NAME" : s);
		PQclear(r);
		return -1;
	}
	*id = db_int64(r, 0, 0);
	PQclear(r);
	return 0;
}

int tenant_exists(PGconn *c, int64_t id, char *err, size_t errlen)
{
	char buf[24];
	const char *params[1] = {db_i64(buf, id)};
	PGresult *r = db_query(c, err, errlen,
			       "SELECT 1 FROM tenants WHERE id = $1::bigint", 1,
			       params);
	int rc;

	if (!r)
		return -1;
	rc = PQntuples(r) > 0;
	PQclear(r);
	return rc;
}

PGresult *tenant_list(PGconn *c, char *err, size_t errlen)
{
	return db_query(c, err, errlen,
			"SELECT id, name, to_char(created_at AT TIME ZONE 'UTC',"
			" 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM tenants ORDER BY id",
			0, NULL);
}

PGresult *tenant_query(PGconn *c, int64_t tenant, const char *sql, int n,
		       const char *const *params, char *err, size_t errlen)
{
	PGresult *r;

	if (db_tenant_begin(c, tenant, err, errlen) < 0)
		return NULL;
	r = db_query(c, err, errlen, sql, n, params);
	if (!r) {
		db_rollback(c);
		return NULL;
	}
	if (db_commit(c, err, errlen) < 0) {
		PQclear(r);
		return NULL;
	}
	return r;
}
