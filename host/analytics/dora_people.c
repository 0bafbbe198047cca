/* dora_people: the --team / --org-unit cut of the DORA report. Lead time
 * counts the changes whose author (the PR's) is a GitHub login linked to
 * the team's people (091_people.sql); deployment frequency, change failure
 * rate and recovery time count the deployments that shipped at least one
 * such change (094_dora_teams.sql). */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "analytics/dora_int.h"
#include "people/people.h"

char *dora_people_authors(PGconn *c, const struct dora_query *q,
			  struct json_object *scope, int *usage, char *err,
			  size_t errlen)
{
	struct json_object *p, *cut;
	int64_t n = 0, nacc = 0;
	char *arr, msg[768];

	if (!q->team && !q->org_unit)
		return NULL;
	arr = people_scope_accounts(c, q->team, q->org_unit, "github", &n,
				    &nacc, usage, msg, sizeof(msg));
	if (!arr) {
		snprintf(err, errlen, "dora: %s", msg);
		return NULL;
	}
	p = json_object_new_object();
	dora_put_str(p, "team", q->team);
	dora_put_str(p, "org_unit", q->org_unit);
	dora_put_int(p, "people", n);
	dora_put_int(p, "github_logins", nacc);
	cut = json_object_new_array();
	json_object_array_add(cut, json_object_new_string("deployment_frequency"));
	json_object_array_add(cut, json_object_new_string("lead_time"));
	json_object_array_add(cut, json_object_new_string("change_failure_rate"));
	json_object_array_add(cut, json_object_new_string("recovery_time"));
	dora_put(p, "cut", cut);
	dora_put(scope, "people", p);
	return arr;
}

void dora_people_print(FILE *out, struct json_object *scope)
{
	struct json_object *p = json_object_object_get(scope, "people");
	struct json_object *t = json_object_object_get(p, "team");
	struct json_object *o = json_object_object_get(p, "org_unit");

	if (!p)
		return;
	fprintf(out, "people cut:%s%s%s%s: %" PRId64 " people, %" PRId64
		" GitHub logins; lead time counts their changes, the other keys\n"
		"the deployments that shipped at least one of them (docs/people.md)\n\n",
		t ? " team " : "", t ? json_object_get_string(t) : "",
		o ? " org unit " : "", o ? json_object_get_string(o) : "",
		json_object_get_int64(json_object_object_get(p, "people")),
		json_object_get_int64(json_object_object_get(p, "github_logins")));
}
