/* tenant: add, resolve and list tenants. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "db/db.h"
#include "model/tenant.h"

int tenant_add(PGconn *c, const char *name, int64_t *id, char *err,
	       size_t errlen)
{
	const char *params[1] = {name};
	PGresult *r = PQexecParams(c, "INSERT INTO tenants (name) VALUES ($1)"
				   " RETURNING id", 1, NULL, params, NULL, NULL, 0);
	const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	int rc = -1;

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
