/* search_people: see search_people.h. One look-up per hit (at most 200,
 * on indexed columns) keeps the SQL plain. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ai/search_people.h"
#include "db/db.h"
#include "people/people.h"

#define SEARCH_PEOPLE_MAX 200

uint32_t ai_search_people_fetch(uint32_t limit)
{
	uint32_t want = (limit ? limit : 10) * 5;

	return want > SEARCH_PEOPLE_MAX ? SEARCH_PEOPLE_MAX : want;
}

/* 1 if the hit's author is in gh (GitHub logins) / jira (account ids),
 * 0 if not, -1 on a database error. */
static int authored(PGconn *db, const struct ai_hit *h, const char *gh,
		    const char *jira, char *err, size_t errlen)
{
	char num[24], msg[512];
	const char *p[5] = {h->table, db_i64(num, h->integration_id),
			    h->external_id, gh, jira};
	PGresult *r;
	int yes;

	r = db_query(db, msg, sizeof(msg),
		     "SELECT CASE"
		     " WHEN $1 IN ('prs', 'prs_reviews', 'prs_comments', 'prs_commits') THEN"
		     "  EXISTS (SELECT 1 FROM prs p WHERE p.integration_id = $2::bigint"
		     "    AND p.repository_external_id = split_part($3, '#', 1)"
		     "    AND p.repository_external_id || '#' || p.number = $3"
		     "    AND lower(p.author) = ANY ($4::text[]))"
		     " WHEN $1 IN ('work_items', 'changelogs') THEN"
		     "  EXISTS (SELECT 1 FROM work_items w WHERE w.integration_id = $2::bigint"
		     "    AND w.key = $3 AND (w.assignee = ANY ($5::text[])"
		     "                        OR w.reporter = ANY ($5::text[])))"
		     " ELSE false END", 5, p);
	if (!r) {
		snprintf(err, errlen, "search: reading the author of %s %s failed: %s",
			 h->table, h->external_id, msg);
		return -1;
	}
	yes = PQgetvalue(r, 0, 0)[0] == 't';
	PQclear(r);
	return yes;
}

static void hit_free(struct ai_hit *h)
{
	free(h->table);
	free(h->external_id);
	free(h->title);
	free(h->url);
	memset(h, 0, sizeof(*h));
}

int ai_search_people_filter(PGconn *db, int64_t tenant, const char *team,
			    const char *ou, uint32_t limit, struct ai_hit *hits,
			    size_t *n, int *usage, char *err, size_t errlen)
{
	char *gh = NULL, *jira = NULL, msg[768];
	int64_t np, na;
	size_t i, kept = 0;
	int rc = -1, k;

	*usage = 0;
	if (limit == 0)
		limit = 10;
	if (db_tenant_begin(db, tenant, err, errlen) < 0)
		return -1;
	if (db_exec(db, "SET TRANSACTION READ ONLY", err, errlen) < 0)
		goto out;
	gh = people_scope_accounts(db, team, ou, "github", &np, &na, usage,
				   msg, sizeof(msg));
	if (gh)
		jira = people_scope_accounts(db, team, ou, "jira", &np, &na,
					     usage, msg, sizeof(msg));
	if (!gh || !jira) {
		snprintf(err, errlen, "search: %s", msg);
		goto out;
	}
	for (i = 0; i < *n; i++) {
		k = kept < limit ? authored(db, &hits[i], gh, jira, err, errlen) : 0;
		if (k < 0)
			goto out;
		if (!k) {
			hit_free(&hits[i]);
			continue;
		}
		if (kept != i) {
			hits[kept] = hits[i];
			memset(&hits[i], 0, sizeof(hits[i]));
		}
		kept++;
	}
	*n = kept;
	rc = 0;
out:
	free(gh);
	free(jira);
	db_rollback(db);
	return rc;
}
