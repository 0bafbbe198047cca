/* hk_steps: the housekeeping steps that remove nothing (hk.h): ANALYZE
 * after large loads, the vector store check, expired sessions. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/conf.h"
#include "db/db.h"
#include "housekeeping/hk.h"

/* A table is analysed when the rows changed since its last analyze are
 * at least analyze_min_rows and at least this share of its live rows:
 * autovacuum's own rule (10 %) with a floor, so a load too small to move
 * a plan costs nothing, and a large one is planned right at once instead
 * of whenever autovacuum comes by. */
#define HK_ANALYZE_FRACTION "0.1"

static int analyze(PGconn *c, const struct conf *conf, const struct hk_opts *o,
		   struct hk_report *rep, char *err, size_t errlen)
{
	char min[24];
	const char *p[2] = {db_i64(min, conf->hk_analyze_min_rows),
			    o->dry_run ? "t" : "f"};
	PGresult *r = NULL;
	int i, rc = -1;

	if (db_begin(c, err, errlen) < 0)
		return -1;
	if (!(r = db_query(c, err, errlen, "SELECT name, changed FROM hk_analyze("
			   "$1::bigint, " HK_ANALYZE_FRACTION ", $2::boolean)",
			   2, p)))
		goto fail;
	if (db_commit(c, err, errlen) < 0)
		goto out;
	for (i = 0; i < PQntuples(r); i++) {
		if (o->progress && !o->dry_run)
			fprintf(o->progress, "analyzed %s\n", PQgetvalue(r, i, 0));
		if (hk_report_check(rep, "analyze", 0, PQgetvalue(r, i, 0),
				    db_int64(r, i, 1), 0, o->dry_run ?
				    "would be analysed" : "analysed", err,
				    errlen) < 0)
			goto out;
	}
	rc = 0;
	goto out;
fail:
	db_rollback(c);
out:
	PQclear(r);
	return rc;
}

/* One tenant: stored vector references of the embedded store against the
 * points it holds, per collection. Equal counts are reported too (the
 * check ran); a difference is drift. */
static int vectors(PGconn *c, int64_t tenant, struct hk_report *rep,
		   char *err, size_t errlen)
{
	PGresult *r = NULL;
	char note[200];
	int i, rc = -1;

	if (db_tenant_begin(c, tenant, err, errlen) < 0)
		return -1;
	r = db_query(c, err, errlen,
		     "WITH r AS (SELECT collection, count(*) n FROM vector_references"
		     "   WHERE store = 'pgvectors' AND status = 'stored' GROUP BY 1),"
		     " p AS (SELECT collection, count(*) n FROM pgvectors GROUP BY 1)"
		     " SELECT collection, coalesce(r.n, 0), coalesce(p.n, 0)"
		     " FROM r FULL JOIN p USING (collection) ORDER BY 1", 0, NULL);
	if (!r)
		goto fail;
	if (db_commit(c, err, errlen) < 0)
		goto out;
	for (i = 0; i < PQntuples(r); i++) {
		int64_t refs = db_int64(r, i, 1), pts = db_int64(r, i, 2);
		int drift = refs != pts;

		if (drift)
			snprintf(note, sizeof(note), "%" PRId64 " %s; run `pulse-host "
				 "vectorize rebuild` for the tenant",
				 refs > pts ? refs - pts : pts - refs, refs > pts ?
				 "references without a point" :
				 "points without a reference");
		else
			snprintf(note, sizeof(note), "in step");
		if (hk_report_check(rep, drift ? "vector_drift" : "vector_check",
				    tenant, PQgetvalue(r, i, 0), refs, pts, note,
				    err, errlen) < 0)
			goto out;
	}
	rc = 0;
	goto out;
fail:
	db_rollback(c);
out:
	PQclear(r);
	return rc;
}

int hk_steps(PGconn *c, const struct conf *conf, const struct hk_opts *o,
	     struct hk_report *rep, char *err, size_t errlen)
{
	PGresult *t;
	int row, rc = -1;

	if (analyze(c, conf, o, rep, err, errlen) < 0)
		return -1;
	if (!(t = db_query(c, err, errlen, "SELECT id FROM tenants ORDER BY id",
			   0, NULL)))
		return -1;
	for (row = 0; row < PQntuples(t); row++)
		if (vectors(c, db_int64(t, row, 0), rep, err, errlen) < 0)
			goto out;
	/* Ended sessions and old audit events (hk_auth.c, issue 18). */
	for (row = 0; row < PQntuples(t); row++)
		if (hk_auth(c, conf, o, db_int64(t, row, 0), rep, err,
			    errlen) < 0)
			goto out;
	/* Old tombstones of the embedded vector store (hk_vectors.c). */
	for (row = 0; row < PQntuples(t); row++)
		if (hk_vectors(c, o, db_int64(t, row, 0), rep, err, errlen) < 0)
			goto out;
	rc = 0;
out:
	PQclear(t);
	return rc;
}
