/* people_scope: the accounts of a team (directory group) or org unit, for
 * the --team / --org-unit filters of dora and search. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "db/db.h"
#include "people/people.h"

/* 1 if the group / OU is known in the tenant's directory, 0 if not, -1
 * on a database error. */
static int known(PGconn *c, const char *team, const char *ou, char *err,
		 size_t errlen)
{
	const char *p[2] = {team, ou};
	char msg[512];
	PGresult *r;
	int ok;

	r = db_query(c, msg, sizeof(msg),
		     "SELECT ($1::text IS NULL OR EXISTS (SELECT 1 FROM directory_groups g"
		     "   WHERE g.deleted_at IS NULL AND (lower(g.name) = lower($1)"
		     "     OR lower(g.mail) = lower($1) OR g.external_id = $1)))"
		     " AND ($2::text IS NULL OR $2 LIKE '%=%' OR EXISTS (SELECT 1"
		     "   FROM directory_org_units o WHERE o.deleted_at IS NULL"
		     "    AND (lower(o.dn) = lower($2) OR lower(o.name) = lower($2))))",
		     2, p);
	if (!r) {
		snprintf(err, errlen, "people: looking up the team failed: %s; is "
			 "the schema up to date (`pulse-host migrate`)?", msg);
		return -1;
	}
	ok = PQgetvalue(r, 0, 0)[0] == 't';
	PQclear(r);
	return ok;
}

char *people_scope_accounts(PGconn *c, const char *team, const char *ou,
			    const char *kind, int64_t *npeople,
			    int64_t *naccounts, int *usage,
			    char *err, size_t errlen)
{
	const char *p[3] = {team, ou, kind};
	char msg[512], *ret = NULL;
	PGresult *r;
	int k;

	*npeople = 0;
	*naccounts = 0;
	if ((team && !*team) || (ou && !*ou)) {
		snprintf(err, errlen, "--%s is empty", team && !*team ? "team" : "org-unit");
		*usage = 1;
		return NULL;
	}
	k = known(c, team, ou, err, errlen);
	if (k < 0)
		return NULL;
	if (!k) {
		snprintf(err, errlen, "no %s '%s' in the tenant's directory; give a "
			 "group's name, mail or external id (--team) or an org "
			 "unit's DN or name (--org-unit), as loaded by the ad or "
			 "entra integration (docs/people.md)",
			 team ? "group" : "org unit", team ? team : ou);
		*usage = 1;
		return NULL;
	}
	r = db_query(c, msg, sizeof(msg),
		     "SELECT a::text, cardinality(a), (SELECT count(*) FROM people_scope($1, $2))"
		     "  FROM people_accounts_of($1, $2, $3) a", 3, p);
	if (!r) {
		snprintf(err, errlen, "people: reading the team's accounts failed: %s", msg);
		return NULL;
	}
	*naccounts = db_int64(r, 0, 1);
	*npeople = db_int64(r, 0, 2);
	ret = strdup(PQgetvalue(r, 0, 0));
	if (!ret)
		snprintf(err, errlen, "people: out of memory");
	PQclear(r);
	return ret;
}
