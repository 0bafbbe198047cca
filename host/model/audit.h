/*
 * audit: the audit log (audit_events, 093_audit.sql; docs/auth.md):
 * append-only for the app role. Callers record inside their own tenant
 * transaction (db_tenant_begin), so an action and its event commit
 * together.
 */
#ifndef PULSE_AUDIT_H
#define PULSE_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>
#include <libpq-fe.h>

/*
 * One event: actor ("user:EMAIL", "token:ID", "cli"), action
 * ("auth.login", "user.disable", ...), target (NULL or "user:7"), result
 * ("ok", "failed", "locked"; NULL = "ok"), addr (NULL or the source
 * address), detail (borrowed, NULL = {}; never secrets). 0 or -1 (err).
 */
int audit_record(PGconn *db, int64_t tenant, const char *actor,
		 const char *action, const char *target, const char *result,
		 const char *addr, json_object *detail, char *err,
		 size_t errlen);

/* The same in a transaction of its own (db_tenant_begin ... commit). */
int audit_record_tx(PGconn *db, int64_t tenant, const char *actor,
		    const char *action, const char *target, const char *result,
		    const char *addr, json_object *detail, char *err,
		    size_t errlen);

/* Events of tenant since (a timestamp or date text, NULL = all), oldest
 * first, at most limit: a new JSON array, or NULL with err. Runs in a
 * transaction of its own. */
json_object *audit_list_json(PGconn *db, int64_t tenant, const char *since,
			     int limit, char *err, size_t errlen);

/* Retention: delete the tenant's events older than days (up to batch
 * rows per call) through host_audit_prune. Inside the caller's tenant
 * transaction. Rows deleted, or -1 with err. */
int64_t audit_prune(PGconn *db, int days, int batch, char *err,
		    size_t errlen);

#endif
