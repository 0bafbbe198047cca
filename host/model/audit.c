/* audit: the append-only audit log (see audit.h). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "db/db.h"
#include "model/audit.h"
#include "model/tenant.h"

int audit_record(PGconn *db, int64_t tenant, const char *actor,
		 const char *action, const char *target, const char *result,
		 const char *addr, json_object *detail, char *err,
		 size_t errlen)
{
	char t[24];
	const char *p[7];
	PGresult *r;

	p[0] = db_i64(t, tenant);
	p[1] = actor;
	p[2] = action;
	p[3] = target;
	p[4] = result ? result : "ok";
	p[5] = addr;
	p[6] = detail ? json_object_to_json_string_ext(detail,
			JSON_C_TO_STRING_PLAIN) : "{}";
	r = db_query(db, err, errlen, "INSERT INTO audit_events (tenant_id, "
		     "actor, action, target, result, source_addr, detail) "
		     "VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)", 7, p);
	if (!r)
		return -1;
	PQclear(r);
	return 0;
}

int audit_record_tx(PGconn *db, int64_t tenant, const char *actor,
		    const char *action, const char *target, const char *result,
		    const char *addr, json_object *detail, char *err,
		    size_t errlen)
{
	if (db_tenant_begin(db, tenant, err, errlen) < 0)
		return -1;
	if (audit_record(db, tenant, actor, action, target, result, addr,
			 detail, err, errlen) < 0 ||
	    db_commit(db, err, errlen) < 0) {
		db_rollback(db);
		return -1;
	}
	return 0;
}

json_object *audit_list_json(PGconn *db, int64_t tenant, const char *since,
			     int limit, char *err, size_t errlen)
{
	char l[24];
	const char *p[2] = {since, db_i64(l, limit)};
	json_object *arr = NULL;
	PGresult *r;
	int i;

	r = tenant_query(db, tenant, "SELECT id, to_char(at AT TIME ZONE 'UTC', "
			 "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), actor, action, "
			 "target, result, source_addr, detail::text FROM "
			 "audit_events WHERE ($1::timestamptz IS NULL OR at >= "
			 "$1::timestamptz) ORDER BY id LIMIT $2", 2, p, err,
			 errlen);
	if (!r)
		return NULL;
	arr = json_object_new_array();
	for (i = 0; i < PQntuples(r); i++) {
		json_object *o = json_object_new_object();
		json_object *d = json_tokener_parse(PQgetvalue(r, i, 7));

		json_object_object_add(o, "id", json_object_new_int64(db_int64(r, i, 0)));
		json_object_object_add(o, "at", json_object_new_string(PQgetvalue(r, i, 1)));
		json_object_object_add(o, "actor", json_object_new_string(PQgetvalue(r, i, 2)));
		json_object_object_add(o, "action", json_object_new_string(PQgetvalue(r, i, 3)));
		json_object_object_add(o, "target", PQgetisnull(r, i, 4) ? NULL :
				       json_object_new_string(PQgetvalue(r, i, 4)));
		json_object_object_add(o, "result", json_object_new_string(PQgetvalue(r, i, 5)));
		json_object_object_add(o, "source_addr", PQgetisnull(r, i, 6) ? NULL :
				       json_object_new_string(PQgetvalue(r, i, 6)));
		json_object_object_add(o, "detail", d ? d : json_object_new_object());
		json_object_array_add(arr, o);
	}
	PQclear(r);
	return arr;
}

int64_t audit_prune(PGconn *db, int days, int batch, char *err,
		    size_t errlen)
{
	char d[24], b[24];
	const char *p[2] = {db_i64(d, days), db_i64(b, batch)};
	PGresult *r = db_query(db, err, errlen,
			       "SELECT host_audit_prune($1::int, $2::int)", 2, p);
	int64_t n;

	if (!r)
		return -1;
	n = db_int64(r, 0, 0);
	PQclear(r);
	return n;
}
