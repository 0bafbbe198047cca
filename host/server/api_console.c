/* api_console: the small read-only routes the web console needs
 * (issue 19, docs/console.md): the tenant's branding and the weekly
 * DORA trend (the sign-in methods are api_oidc.c's). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/dora.h"
#include "analytics/dora_weekly.h"
#include "db/db.h"
#include "model/branding.h"
#include "server/api_int.h"

void api_console_branding(struct call *c)
{
	char err[512];
	json_object *o = branding_get(c->db, c->who.tenant, err, sizeof(err));

	if (!o) {
		api_reply_db_error(c, err);
		return;
	}
	api_reply_json(c->rs, 200, o);
	json_object_put(o);
}

void api_console_dora_weekly(struct call *c)
{
	struct dora_query q;
	char to[64], project[128], repo[256], team[256], ou[512], wk[16];
	char err[1024], *end;
	json_object *o;
	long weeks = 13;
	int usage = 0;

	memset(&q, 0, sizeof(q));
	q.tenant_id = c->who.tenant;
	q.to = api_query_arg(c->rq->query, "to", to, sizeof(to));
	q.project = api_query_arg(c->rq->query, "project", project, sizeof(project));
	q.repo = api_query_arg(c->rq->query, "repo", repo, sizeof(repo));
	q.team = api_query_arg(c->rq->query, "team", team, sizeof(team));
	q.org_unit = api_query_arg(c->rq->query, "org_unit", ou, sizeof(ou));
	if (api_query_arg(c->rq->query, "weeks", wk, sizeof(wk))) {
		weeks = strtol(wk, &end, 10);
		if (*end || weeks < 1 || weeks > 104) {
			api_reply_error(c->rs, 400, "bad_request", "weeks=%s: give "
					"a number of weeks from 1 to 104", wk);
			return;
		}
	}
	o = dora_weekly_json(c->db, &q, (int)weeks, &usage, err, sizeof(err));
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
