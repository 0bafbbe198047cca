/* hk: one housekeeping run (hk.h). */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "base/conf.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "db/db.h"
#include "housekeeping/hk.h"
#include "jobs/jobstate.h"

/* pg_try_advisory_lock key: one run per database. */
#define HK_LOCK_KEY "7245302"

/* Rows of one tenant that a window lets go, by table and class. The
 * conditions use $1 = tenant, $2 = days. */
struct hk_class {
	const char *table, *name, *key, *where;
	int window; /* 0 completed, 1 failed, 2 history, 3 usage */
};

static const struct hk_class classes[] = {
	{"raw_extraction_data", "completed", "id, created_at",
	 "status = 'completed'"
	 " AND created_at < now() - make_interval(days => $2::int)", 0},
	/* failed, or dead-lettered before it could complete; pending and
	 * processing rows that are not dead-lettered stay */
	{"raw_extraction_data", "failed", "id, created_at",
	 "(status = 'failed' OR (dead_lettered AND status <> 'completed'))"
	 " AND created_at < now() - make_interval(days => $2::int)", 1},
	/* run history: never a running run, never the last run of an
	 * integration (the status pages and `job list` show it) */
	{"job_runs", "finished", "id",
	 "state <> 'RUNNING'"
	 " AND coalesce(finished_at, started_at) < now() - make_interval(days => $2::int)"
	 " AND id NOT IN (SELECT max(id) FROM job_runs WHERE tenant_id = $1"
	 "   GROUP BY integration_id)", 2},
	{"job_transitions", "old", "id",
	 "at < now() - make_interval(days => $2::int)", 2},
	/* AI calls: usage and cost reports read them (docs/ai.md) */
	{"ai_usage", "old", "id",
	 "created_at < now() - make_interval(days => $2::int)", 3},
};

/* One batch of a class: count (dry run) or delete up to batch rows, in a
 * tenant transaction of its own. *n gets the rows. 0, or -1 with err. */
static int prune_batch(PGconn *c, const struct hk_class *k, int64_t tenant,
		       int days, int batch, const char *dropped, int64_t *n,
		       char *err, size_t errlen)
{
	struct strbuf sql = STRBUF_INIT;
	char ten[24], d[16], lim[16];
	const char *p[4] = {db_i64(ten, tenant), d, lim, dropped};
	int dry = dropped != NULL;
	PGresult *r = NULL;
	int rc = -1;

	snprintf(d, sizeof(d), "%d", days);
	snprintf(lim, sizeof(lim), "%d", batch);
	*n = 0;
	if (db_tenant_begin(c, tenant, err, errlen) < 0)
		goto out;
	if (!dry && strcmp(k->table, "job_transitions") == 0) {
		/* jobstate.c is the only writer of job_transitions */
		if (jobstate_prune_transitions(c, tenant, days, batch, n, err,
					       errlen) < 0)
			goto fail;
	} else {
		/* A dry run leaves out the rows of the partitions it would
		 * have dropped ($4), as the real run finds them gone. */
		if (dry)
			sb_addf(&sql, "SELECT count(*), $2::int, $3::int FROM %s"
				" WHERE tenant_id = $1 AND %s AND (tableoid::regclass::text"
				" <> ALL ($4::text[]) OR $4 IS NULL)", k->table, k->where);
		else
			sb_addf(&sql, "WITH d AS (DELETE FROM %s WHERE (%s) IN"
				" (SELECT %s FROM %s WHERE tenant_id = $1 AND %s"
				" LIMIT $3::int) RETURNING 1) SELECT count(*) FROM d",
				k->table, k->key, k->key, k->table, k->where);
		if (!sql.buf) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		if (!(r = db_query(c, err, errlen, sql.buf, dry ? 4 : 3, p)))
			goto fail;
		*n = db_int64(r, 0, 0);
	}
	if (db_commit(c, err, errlen) < 0)
		goto out;
	rc = 0;
	goto out;
fail:
	db_rollback(c);
out:
	PQclear(r);
	sb_free(&sql);
	return rc;
}

/* Every batch of class k for tenant; the total goes to the report. */
static int prune(PGconn *c, const struct conf *conf, const struct hk_opts *o,
		 const struct hk_class *k, int64_t tenant, int days,
		 const char *dropped, struct hk_report *rep, char *err,
		 size_t errlen)
{
	int64_t n, total = 0;

	do {
		if (prune_batch(c, k, tenant, days, conf->hk_batch_rows,
				o->dry_run ? dropped : NULL, &n, err,
				errlen) < 0)
			return -1;
		total += n;
		if (n && o->progress && !o->dry_run)
			fprintf(o->progress, "%s tenant %" PRId64 ": %" PRId64
				" %s rows deleted so far\n", k->table, tenant,
				total, k->name);
	} while (!o->dry_run && n >= conf->hk_batch_rows);
	if (!total)
		return 0;
	return hk_report_add(rep, "deleted", k->table, tenant, k->name, total,
			     0, err, errlen);
}

/* The tenant's windows: its tenant_retention row over the global ones. */
static int windows(PGconn *c, const struct conf *conf, int64_t tenant,
		   int w[4], char *err, size_t errlen)
{
	char ten[24];
	const char *p[1] = {db_i64(ten, tenant)};
	PGresult *r;
	int i;

	w[0] = conf->hk_completed_days;
	w[1] = conf->hk_failed_days;
	w[2] = conf->hk_history_days;
	w[3] = conf->hk_usage_days;
	if (db_tenant_begin(c, tenant, err, errlen) < 0)
		return -1;
	r = db_query(c, err, errlen, "SELECT completed_days, failed_days,"
		     " history_days, usage_days FROM tenant_retention"
		     " WHERE tenant_id = $1", 1, p);
	if (!r) {
		db_rollback(c);
		return -1;
	}
	for (i = 0; PQntuples(r) == 1 && i < 4; i++)
		if (!PQgetisnull(r, 0, i))
			w[i] = atoi(PQgetvalue(r, 0, i));
	PQclear(r);
	return db_commit(c, err, errlen);
}

static int per_tenant(PGconn *c, const struct conf *conf,
		      const struct hk_opts *o, struct hk_report *rep,
		      char *err, size_t errlen)
{
	struct strbuf dropped = STRBUF_INIT;
	PGresult *t;
	int row, w[4], rc = -1;
	size_t k;

	/* text[] of the partitions dropped (a dry run's would-be drops);
	 * the names are [a-z0-9_] only */
	sb_adds(&dropped, "{");
	for (k = 0; k < rep->n; k++)
		if (strcmp(rep->items[k].what, "partition_dropped") == 0)
			sb_addf(&dropped, "%s%s", dropped.len > 1 ? "," : "",
				rep->items[k].name);
	sb_adds(&dropped, "}");
	if (!dropped.buf) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (!(t = db_query(c, err, errlen, "SELECT id FROM tenants ORDER BY id",
			   0, NULL)))
		return -1;
	for (row = 0; row < PQntuples(t); row++) {
		int64_t tenant = db_int64(t, row, 0);

		if (windows(c, conf, tenant, w, err, errlen) < 0)
			goto out;
		for (k = 0; k < sizeof(classes) / sizeof(classes[0]); k++)
			if (prune(c, conf, o, &classes[k], tenant,
				  w[classes[k].window], dropped.buf, rep, err,
				  errlen) < 0)
				goto out;
	}
	rc = 0;
out:
	PQclear(t);
	sb_free(&dropped);
	return rc;
}

int hk_run(PGconn *c, const struct conf *conf, const struct hk_opts *o,
	   struct hk_report *rep, char *err, size_t errlen)
{
	PGresult *r;
	char e2[256];
	int rc = -1;

	memset(rep, 0, sizeof(*rep));
	rep->dry_run = o->dry_run;
	r = db_query(c, err, errlen, "SELECT pg_try_advisory_lock(" HK_LOCK_KEY ")",
		     0, NULL);
	if (!r)
		return -1;
	if (PQgetvalue(r, 0, 0)[0] != 't') {
		PQclear(r);
		rep->skipped = 1;
		return 0;
	}
	PQclear(r);
	if (hk_raw_ahead(c, conf->hk_months_ahead, o, rep, err, errlen) < 0 ||
	    hk_raw_drop_months(c, conf, o, rep, err, errlen) < 0 ||
	    per_tenant(c, conf, o, rep, err, errlen) < 0 ||
	    hk_steps(c, conf, o, rep, err, errlen) < 0)
		goto out;
	rc = 0;
out:
	db_rollback(c);
	PQclear(db_query(c, e2, sizeof(e2),
			 "SELECT pg_advisory_unlock(" HK_LOCK_KEY ")", 0, NULL));
	log_info("HK", "event=run dry_run=%d actions=%zu ok=%d", o->dry_run,
		 rep->n, rc == 0);
	return rc;
}
