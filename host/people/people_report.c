/* people_report: the reads of the people module as JSON: the people with
 * their links, and what is left unmatched. The SQL builds the JSON;
 * json-c parses it once. */
#include "config.h"

#include <stdio.h>

#include <json-c/json.h>

#include "db/db.h"
#include "people/people.h"

/* Run sql (one row, one json column) in a read-only tenant transaction;
 * returns the parsed object (caller owns) or NULL with err. */
static struct json_object *json_row(PGconn *c, int64_t tenant, const char *what,
				    const char *sql, int n,
				    const char *const *params, char *err,
				    size_t errlen)
{
	struct json_object *o = NULL;
	char msg[512];
	PGresult *r = NULL;

	if (db_tenant_begin(c, tenant, err, errlen) < 0)
		return NULL;
	if (db_exec(c, "SET TRANSACTION READ ONLY", err, errlen) < 0)
		goto out;
	r = db_query(c, msg, sizeof(msg), sql, n, params);
	if (!r || PQntuples(r) != 1) {
		snprintf(err, errlen, "people: reading %s failed: %s; is the schema "
			 "up to date (`pulse-host migrate`)?", what, r ? "no row" : msg);
		goto out;
	}
	o = json_tokener_parse(PQgetvalue(r, 0, 0));
	if (!o)
		snprintf(err, errlen, "people: reading %s: the database returned "
			 "JSON that does not parse", what);
out:
	PQclear(r);
	db_rollback(c);
	return o;
}

struct json_object *people_list_json(PGconn *c, int64_t tenant,
				     const char *user, char *err,
				     size_t errlen)
{
	const char *p[1] = {user};

	return json_row(c, tenant, "people",
		"SELECT json_build_object('people', coalesce(json_agg(x ORDER BY x.id), '[]')) FROM ("
		" SELECT p.id, p.display_name, p.mail,"
		"  (SELECT json_agg(json_build_object('kind', l.kind, 'account', l.account,"
		"          'method', l.method) ORDER BY l.kind, l.account)"
		"     FROM people_links l WHERE l.tenant_id = p.tenant_id"
		"      AND l.person_id = p.id) AS links"
		"   FROM people p"
		"  WHERE p.tenant_id = nullif(current_setting('app.tenant_id', true), '')::bigint"
		"    AND ($1::text IS NULL OR p.id IN ("
		"        SELECT l.person_id FROM people_links l JOIN directory_users d"
		"          ON d.tenant_id = l.tenant_id AND d.integration_id = l.integration_id"
		"         AND d.external_id = l.account"
		"       WHERE l.kind = 'directory' AND (d.external_id = $1"
		"         OR lower(d.principal_name) = lower($1) OR lower(d.mail) = lower($1)"
		"         OR lower(d.account_name) = lower($1))))) x",
		1, p, err, errlen);
}

struct json_object *people_unmatched_json(PGconn *c, int64_t tenant,
					  char *err, size_t errlen)
{
	return json_row(c, tenant, "unmatched accounts",
		"WITH t AS (SELECT nullif(current_setting('app.tenant_id', true), '')::bigint AS id),"
		" acc AS (SELECT a.kind, a.account, a.email, a.display_name FROM people_accounts a, t"
		"  WHERE a.tenant_id = t.id AND NOT EXISTS (SELECT 1 FROM people_links l"
		"   WHERE l.tenant_id = t.id AND l.kind = a.kind AND l.account = a.account)),"
		" dir AS (SELECT d.external_id, d.source, d.principal_name, d.mail, d.display_name"
		"  FROM directory_users d, t WHERE d.tenant_id = t.id AND d.deleted_at IS NULL"
		"   AND NOT EXISTS (SELECT 1 FROM people_links l JOIN people_links o"
		"        ON o.tenant_id = l.tenant_id AND o.person_id = l.person_id"
		"       AND o.kind IN ('github', 'jira')"
		"     WHERE l.tenant_id = t.id AND l.kind = 'directory'"
		"       AND l.integration_id = d.integration_id AND l.account = d.external_id))"
		" SELECT json_build_object("
		"  'github', coalesce((SELECT json_agg(json_build_object('account', account,"
		"     'email', email, 'display_name', display_name) ORDER BY account)"
		"     FROM acc WHERE kind = 'github'), '[]'),"
		"  'jira', coalesce((SELECT json_agg(json_build_object('account', account,"
		"     'email', email, 'display_name', display_name) ORDER BY account)"
		"     FROM acc WHERE kind = 'jira'), '[]'),"
		"  'directory', coalesce((SELECT json_agg(json_build_object('external_id',"
		"     external_id, 'source', source, 'principal_name', principal_name,"
		"     'mail', mail, 'display_name', display_name)"
		"     ORDER BY principal_name, external_id) FROM dir), '[]'),"
		/* one commit address, two logins: linked to nobody (104) */
		"  'github_email_conflicts', coalesce((SELECT json_agg(json_build_object("
		"     'email', x.email, 'logins', x.logins) ORDER BY x.email)"
		"     FROM t, people_commit_email_conflicts(t.id) x), '[]'))",
		0, NULL, err, errlen);
}
