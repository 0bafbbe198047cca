/* api_dora: GET /metrics/dora (the DORA report of host/analytics/dora.c). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "analytics/dora.h"
#include "db/db.h"
#include "server/api_int.h"

void api_dora(struct call *c)
{
	struct dora_query q;
	char from[64], to[64], project[128], repo[256], team[256], ou[512];
	char err[1024];
	json_object *o;
	int usage = 0;

	memset(&q, 0, sizeof(q));
	q.tenant_id = c->who.tenant;
	q.from = api_query_arg(c->rq->query, "from", from, sizeof(from));
	q.to = api_query_arg(c->rq->query, "to", to, sizeof(to));
	q.project = api_query_arg(c->rq->query, "project", project, sizeof(project));
	q.repo = api_query_arg(c->rq->query, "repo", repo, sizeof(repo));
	q.team = api_query_arg(c->rq->query, "team", team, sizeof(team));
	q.org_unit = api_query_arg(c->rq->query, "org_unit", ou, sizeof(ou));
	o = dora_report_json(c->db, &q, &usage, err, sizeof(err));
	db_rollback(c->db);
	if (!o) {
		if (usage)
			api_reply_error(c->rs, 400, "bad_request", "%s", err);
		else
			api_reply_db_error(c, err);
		return;
	}
	api_reply_json(c->rs, 200, o);
	json_object_put(o);
}
