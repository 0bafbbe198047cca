/* raw: the raw ledger and queue counts for the API (see raw.h). */
#include "config.h"

#include <stdio.h>

#include "db/db.h"
#include "model/raw.h"
#include "model/tenant.h"

PGresult *raw_row(PGconn *c, int64_t tenant, int64_t id, char *err,
		  size_t errlen)
{
	char ids[24];
	const char *p[1] = {db_i64(ids, id)};

	return tenant_query(c, tenant, "SELECT id, integration_id, job_run_id,"
			    " entity, request_method, request_url, request_params,"
			    " http_status, status, attempts, error, dead_lettered,"
			    " created_at, updated_at, completed_at, body"
			    " FROM raw_extraction_data WHERE id = $1", 1, p,
			    err, errlen);
}

PGresult *raw_rows(PGconn *c, int64_t tenant, const char *status,
		   const char *limit, const char *integration, char *err,
		   size_t errlen)
{
	const char *p[3] = {status, limit, integration};

	return tenant_query(c, tenant, "SELECT id, integration_id, job_run_id,"
			    " entity, request_url, http_status, status, attempts,"
			    " error, dead_lettered, updated_at"
			    " FROM raw_extraction_data"
			    " WHERE status = $1 AND ($3::bigint IS NULL OR"
			    " integration_id = $3::bigint)"
			    " ORDER BY id LIMIT least($2::int, 1000)", 3, p,
			    err, errlen);
}

int raw_queue_counts(PGconn *c, int64_t tenant, PGresult **vectorization,
		     PGresult **raw, char *err, size_t errlen)
{
	PGresult *v, *w;

	*vectorization = *raw = NULL;
	if (db_tenant_begin(c, tenant, err, errlen) < 0)
		return -1;
	v = db_query(c, err, errlen, "SELECT status, operation, count(*)"
		     " FROM vectorization_queue GROUP BY 1, 2", 0, NULL);
	w = v ? db_query(c, err, errlen, "SELECT status, status, count(*)"
			 " FROM raw_extraction_data GROUP BY 1", 0, NULL) : NULL;
	db_rollback(c);
	if (!w) {
		PQclear(v);
		return -1;
	}
	*vectorization = v;
	*raw = w;
	return 0;
}
