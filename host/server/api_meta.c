/* api_meta: GET /health (the daemon) and GET /me (the caller's token). */
#include "config.h"

#include <stdio.h>

#include "db/db.h"
#include "server/api_int.h"

void api_health(struct call *c)
{
	json_object *o = json_object_new_object();
	PGresult *r;
	char err[256];

	r = db_query(c->db, err, sizeof(err), "SELECT 1", 0, NULL);
	json_object_object_add(o, "status", json_object_new_string(r ? "ok" : "degraded"));
	json_object_object_add(o, "database", json_object_new_string(r ? "ok" : "unreachable"));
	json_object_object_add(o, "version", json_object_new_string(PACKAGE_VERSION));
	json_object_object_add(o, "jobs_running", json_object_new_int(
		c->rq->jobs_running));
	api_reply_json(c->rs, r ? 200 : 503, o);
	json_object_put(o);
	PQclear(r);
}

void api_me(struct call *c)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "tenant", json_object_new_int64(c->who.tenant));
	json_object_object_add(o, "role", json_object_new_string(auth_role_name(c->who.role)));
	json_object_object_add(o, "sub", json_object_new_string(c->who.sub));
	json_object_object_add(o, "exp", json_object_new_int64(c->who.exp));
	json_object_object_add(o, "can_control", json_object_new_boolean(
		auth_allowed(c->who.role, "jobs", "control")));
	json_object_object_add(o, "can_write", json_object_new_boolean(
		auth_allowed(c->who.role, "integrations", "write")));
	api_reply_json(c->rs, 200, o);
	json_object_put(o);
}
