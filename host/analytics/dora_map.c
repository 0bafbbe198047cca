/* dora_map: which repositories belong to a project (for incident
 * attribution and --project). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "db/db.h"
#include "analytics/dora.h"

/* ------------------------------------------------------------ mapping */

int dora_map_add(PGconn *c, int64_t tenant, const char *project,
		 const char *repo, char *err, size_t errlen)
{
	char id[24], msg[512];
	const char *p[3] = {db_i64(id, tenant), project, repo};
	PGresult *r;

	if (db_tenant_begin(c, tenant, err, errlen) < 0)
		return -1;
	r = db_query(c, msg, sizeof(msg),
		     "INSERT INTO dora_project_repositories "
		     "(tenant_id, project_key, repository_external_id) "
		     "VALUES ($1::bigint, $2, lower($3)) ON CONFLICT DO NOTHING", 3, p);
	if (!r) {
		snprintf(err, errlen, "dora map: could not map project '%s' to "
			 "'%s': %s", project, repo, msg);
		db_rollback(c);
		return -1;
	}
	PQclear(r);
	return db_commit(c, err, errlen);
}

int dora_map_remove(PGconn *c, int64_t tenant, const char *project,
		    const char *repo, int *removed, char *err, size_t errlen)
{
	char msg[512];
	const char *p[2] = {project, repo};
	PGresult *r;

	if (db_tenant_begin(c, tenant, err, errlen) < 0)
		return -1;
	r = db_query(c, msg, sizeof(msg),
		     "DELETE FROM dora_project_repositories WHERE project_key = $1 "
		     "AND repository_external_id = lower($2)", 2, p);
	if (!r) {
		snprintf(err, errlen, "dora unmap: %s", msg);
		db_rollback(c);
		return -1;
	}
	*removed = atoi(PQcmdTuples(r));
	PQclear(r);
	return db_commit(c, err, errlen);
}

PGresult *dora_map_list(PGconn *c, int64_t tenant, char *err, size_t errlen)
{
	char msg[512];
	PGresult *r;

	if (db_tenant_begin(c, tenant, err, errlen) < 0)
		return NULL;
	r = db_query(c, msg, sizeof(msg),
		     "SELECT m.project_key, m.repository_external_id,"
		     " EXISTS (SELECT 1 FROM repositories r"
		     "   WHERE r.tenant_id = m.tenant_id"
		     "     AND r.external_id = m.repository_external_id)"
		     "  FROM dora_project_repositories m"
		     " ORDER BY 1, 2", 0, NULL);
	if (!r)
		snprintf(err, errlen, "dora map: listing failed: %s", msg);
	db_rollback(c);
	return r;
}
