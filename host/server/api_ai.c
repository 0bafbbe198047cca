/*
 * api_ai: GET /ai/usage, /ai/capabilities and /ai/health (docs/ai.md).
 * All three are scoped to the token's tenant (no parameter names one);
 * the router checked the role: capabilities for every role, usage and
 * health (costs, provider errors) for user and admin.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ai/route_int.h"
#include "ai/route_report.h"
#include "db/db.h"
#include "server/api_int.h"

/* A database failure, or a bad request the message explains. */
static void reply_err(struct call *c, const char *err)
{
	if (db_conn_lost(c->db) || !strstr(err, "give a duration"))
		api_reply_db_error(c, err);
	else
		api_reply_error(c->rs, 400, "bad_request", "%s", err);
}

void api_ai_usage(struct call *c)
{
	char since[64], err[1024];
	const char *s = api_query_arg(c->rq->query, "since", since, sizeof(since));
	json_object *o, *an;
	PGresult *r;

	if (!(r = ai_usage_report(c->db, c->who.tenant, s, err, sizeof(err)))) {
		reply_err(c, err);
		return;
	}
	if (!(an = ai_anomalies_json(c->db, c->who.tenant, err, sizeof(err)))) {
		PQclear(r);
		reply_err(c, err);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "since", s ? json_object_new_string(s) : NULL);
	/* the columns of `pulse-host ai usage --json`; the total row has
	 * plugin null */
	json_object_object_add(o, "rows", api_rows_json(r));
	json_object_object_add(o, "anomalies", an);
	PQclear(r);
	api_reply_json(c->rs, 200, o);
	json_object_put(o);
}

void api_ai_capabilities(struct call *c)
{
	char err[1024];
	json_object *o = ai_capabilities_json(c->db, c->a->ld, c->who.tenant,
					      err, sizeof(err));

	if (!o) {
		api_reply_db_error(c, err);
		return;
	}
	api_reply_json(c->rs, 200, o);
	json_object_put(o);
}

void api_ai_health(struct call *c)
{
	char err[1024];
	json_object *o = ai_health_json(c->db, c->who.tenant, err, sizeof(err));

	if (!o) {
		api_reply_db_error(c, err);
		return;
	}
	api_reply_json(c->rs, 200, o);
	json_object_put(o);
}
