/* people_store: the writes of the people module: resolve (091's
 * people_resolve), manual links, the per-tenant attribute settings. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "people/people.h"

int people_resolve(PGconn *c, int64_t tenant, struct people_counts *out,
		   char *err, size_t errlen)
{
	char num[24], msg[512];
	const char *p[1] = {db_i64(num, tenant)};
	PGresult *r = NULL;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (db_tenant_begin(c, tenant, err, errlen) < 0)
		return -1;
	r = db_query(c, msg, sizeof(msg),
		     "SELECT * FROM people_resolve($1::bigint)", 1, p);
	if (!r || PQntuples(r) != 1) {
		snprintf(err, errlen, "people: resolving failed: %s; is the schema "
			 "up to date (`pulse-host migrate`)?", r ? "no row" : msg);
		goto out;
	}
	out->people_added = db_int64(r, 0, 0);
	out->people_removed = db_int64(r, 0, 1);
	out->links_added = db_int64(r, 0, 2);
	out->links_removed = db_int64(r, 0, 3);
	out->accounts = db_int64(r, 0, 4);
	PQclear(r);
	/* In the same transaction, so the count matches what was resolved. */
	r = db_query(c, msg, sizeof(msg),
		     "SELECT count(*) FROM people_commit_email_conflicts($1::bigint)",
		     1, p);
	if (!r || PQntuples(r) != 1) {
		snprintf(err, errlen, "people: counting shared commit e-mails "
			 "failed: %s; is the schema up to date (`pulse-host "
			 "migrate`)?", r ? "no row" : msg);
		goto out;
	}
	out->email_conflicts = db_int64(r, 0, 0);
	rc = db_commit(c, err, errlen);
out:
	PQclear(r);
	if (rc < 0)
		db_rollback(c);
	return rc;
}

/* The person of directory user `user` (live users only; ambiguous names
 * are an error). *pid 0 when none. -1 on a database error. */
static int person_of_user(PGconn *c, const char *user, int64_t *pid,
			  int *many, char *err, size_t errlen)
{
	const char *p[1] = {user};
	char msg[512];
	PGresult *r;

	*pid = 0;
	*many = 0;
	r = db_query(c, msg, sizeof(msg),
		     "SELECT DISTINCT l.person_id FROM directory_users d "
		     "  JOIN people_links l ON l.tenant_id = d.tenant_id "
		     "   AND l.kind = 'directory' AND l.integration_id = d.integration_id "
		     "   AND l.account = d.external_id "
		     " WHERE d.tenant_id = nullif(current_setting('app.tenant_id', true), '')::bigint "
		     "   AND d.deleted_at IS NULL "
		     "   AND (d.external_id = $1 OR lower(d.principal_name) = lower($1) "
		     "        OR lower(d.mail) = lower($1) OR lower(d.account_name) = lower($1))",
		     1, p);
	if (!r) {
		snprintf(err, errlen, "people: looking up user '%s' failed: %s", user, msg);
		return -1;
	}
	if (PQntuples(r) == 1)
		*pid = db_int64(r, 0, 0);
	*many = PQntuples(r) > 1;
	PQclear(r);
	return 0;
}

static int kind_valid(const char *kind)
{
	return strcmp(kind, "github") == 0 || strcmp(kind, "jira") == 0;
}

int people_link(PGconn *c, int64_t tenant, const char *user, const char *kind,
		const char *account, int *usage, char *err, size_t errlen)
{
	char num[24], acc[512], msg[512];
	const char *p[4];
	int64_t pid;
	int many, rc = -1;
	PGresult *r;

	*usage = 0;
	if (!kind_valid(kind) || !*account) {
		snprintf(err, errlen, "people link: give --github LOGIN or --jira "
			 "ACCOUNT_ID (not empty)");
		*usage = 1;
		return -1;
	}
	/* GitHub logins are case-insensitive: stored lower-case. */
	snprintf(acc, sizeof(acc), "%s", account);
	if (strcmp(kind, "github") == 0)
		for (char *s = acc; *s; s++)
			if (*s >= 'A' && *s <= 'Z')
				*s = (char)(*s - 'A' + 'a');
	if (db_tenant_begin(c, tenant, err, errlen) < 0)
		return -1;
	if (person_of_user(c, user, &pid, &many, err, errlen) < 0)
		goto out;
	if (!pid) {
		snprintf(err, errlen, "people link: %s directory user '%s' in this "
			 "tenant%s; give the external id, principal name, mail or "
			 "account name of one user (`pulse-host people list`)",
			 many ? "more than one person matches" : "no person for",
			 user, many ? "" : " (run `pulse-host people resolve` after "
			 "the directory loads)");
		*usage = 1;
		goto out;
	}
	p[0] = db_i64(num, pid);
	p[1] = kind;
	p[2] = acc;
	p[3] = NULL;
	r = db_query(c, msg, sizeof(msg),
		     "INSERT INTO people_links (tenant_id, person_id, kind, account, method) "
		     "VALUES (nullif(current_setting('app.tenant_id', true), '')::bigint, "
		     "        $1::bigint, $2, $3, 'manual') "
		     "ON CONFLICT (tenant_id, kind, account, (coalesce(integration_id, 0))) "
		     "DO UPDATE SET person_id = EXCLUDED.person_id, method = 'manual', "
		     "              created_at = now()", 3, p);
	if (!r) {
		snprintf(err, errlen, "people link: %s", msg);
		goto out;
	}
	PQclear(r);
	rc = db_commit(c, err, errlen);
out:
	if (rc < 0)
		db_rollback(c);
	return rc;
}

int people_unlink(PGconn *c, int64_t tenant, const char *kind,
		  const char *account, int *removed, char *err, size_t errlen)
{
	const char *p[2] = {kind, account};
	char msg[512];
	PGresult *r;
	int rc = -1;

	*removed = 0;
	if (!kind_valid(kind)) {
		snprintf(err, errlen, "people unlink: give --github LOGIN or --jira ACCOUNT_ID");
		return -1;
	}
	if (db_tenant_begin(c, tenant, err, errlen) < 0)
		return -1;
	r = db_query(c, msg, sizeof(msg),
		     "DELETE FROM people_links WHERE kind = $1 AND account = "
		     "  CASE WHEN $1 = 'github' THEN lower($2) ELSE $2 END", 2, p);
	if (!r) {
		snprintf(err, errlen, "people unlink: %s", msg);
		goto out;
	}
	*removed = atoi(PQcmdTuples(r));
	PQclear(r);
	rc = db_commit(c, err, errlen);
out:
	if (rc < 0)
		db_rollback(c);
	return rc;
}

int people_set_attributes(PGconn *c, int64_t tenant, const char *github,
			  const char *jira, char *err, size_t errlen)
{
	const char *p[4] = {github, jira, github ? "1" : "0", jira ? "1" : "0"};
	char msg[512];
	PGresult *r;
	int rc = -1;

	if (db_tenant_begin(c, tenant, err, errlen) < 0)
		return -1;
	r = db_query(c, msg, sizeof(msg),
		     "INSERT INTO people_settings AS s (tenant_id, github_attribute, jira_attribute) "
		     "VALUES (nullif(current_setting('app.tenant_id', true), '')::bigint, "
		     "        nullif($1, ''), nullif($2, '')) "
		     "ON CONFLICT (tenant_id) DO UPDATE SET "
		     "  github_attribute = CASE WHEN $3 = '1' THEN nullif($1, '') ELSE s.github_attribute END, "
		     "  jira_attribute = CASE WHEN $4 = '1' THEN nullif($2, '') ELSE s.jira_attribute END, "
		     "  updated_at = now()", 4, p);
	if (!r) {
		snprintf(err, errlen, "people config: %s", msg);
		goto out;
	}
	PQclear(r);
	rc = db_commit(c, err, errlen);
out:
	if (rc < 0)
		db_rollback(c);
	return rc;
}
