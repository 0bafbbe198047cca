/* tenant: the tenants table (no RLS: it has no tenant_id; see
 * docs/warehouse.md for the grants). */
#ifndef PULSE_TENANT_H
#define PULSE_TENANT_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

/* Names the database would accept but the CLI could misread: an
 * all-digit name (read as an id). 0, or -1 with err. */
int tenant_name_valid(const char *name, char *err, size_t errlen);

/* Create tenant name (checked by tenant_name_valid first); *id gets its id. 0, or -1 (err; a duplicate name
 * says so). */
int tenant_add(PGconn *c, const char *name, int64_t *id, char *err,
	       size_t errlen);

/* Resolve "42" or a tenant name to an id. 0, or -1 with err ("no tenant
 * 'x'; list them with `pulse-host tenant list`"). */
int tenant_resolve(PGconn *c, const char *name_or_id, int64_t *id,
		   char *err, size_t errlen);

/* Does tenant id exist? 1, 0, or -1 with err (database error). */
int tenant_exists(PGconn *c, int64_t id, char *err, size_t errlen);

/* All tenants: rows (id, name, created_at) ordered by id; caller
 * PQclear()s. NULL with err on failure. */
PGresult *tenant_list(PGconn *c, char *err, size_t errlen);

/*
 * Run one statement as tenant (row-level security), in a transaction of
 * its own: committed when it worked. The caller PQclear()s the result;
 * NULL with err (rolled back) on failure.
 */
PGresult *tenant_query(PGconn *c, int64_t tenant, const char *sql, int n,
		       const char *const *params, char *err, size_t errlen);

#endif
