/* hk_auth: housekeeping of issue 18's tables: audit_events older than
 * housekeeping.audit_days (through host_audit_prune: the table is
 * append-only for the app role), and sessions that ended (expired or
 * revoked) more than a day ago. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>

#include "base/conf.h"
#include "db/db.h"
#include "housekeeping/hk.h"
#include "model/audit.h"

/* One batch of one tenant; rows deleted (or due, dry run) or -1. */
static int64_t audit_batch(PGconn *c, const struct conf *conf, int64_t tenant,
			   int dry, char *err, size_t errlen)
{
	char d[24];
	const char *p[1] = {db_i64(d, conf->hk_audit_days)};
	PGresult *r;
	int64_t n;

	if (db_tenant_begin(c, tenant, err, errlen) < 0)
		return -1;
	if (dry) {
		r = db_query(c, err, errlen, "SELECT count(*) FROM audit_events "
			     "WHERE at < now() - make_interval(days => $1::int)",
			     1, p);
		n = r ? db_int64(r, 0, 0) : -1;
		PQclear(r);
	} else {
		n = audit_prune(c, conf->hk_audit_days, conf->hk_batch_rows, err,
				errlen);
	}
	if (n < 0 || db_commit(c, err, errlen) < 0) {
		db_rollback(c);
		return -1;
	}
	return n;
}

static int64_t sessions_sweep(PGconn *c, int64_t tenant, int dry, char *err,
			      size_t errlen)
{
	PGresult *r;
	int64_t n;

	if (db_tenant_begin(c, tenant, err, errlen) < 0)
		return -1;
	r = db_query(c, err, errlen, dry ?
		     "SELECT count(*) FROM sessions WHERE coalesce(revoked_at, "
		     "expires_at) < now() - interval '1 day'" :
		     "WITH d AS (DELETE FROM sessions WHERE coalesce(revoked_at, "
		     "expires_at) < now() - interval '1 day' RETURNING 1) "
		     "SELECT count(*) FROM d", 0, NULL);
	n = r ? db_int64(r, 0, 0) : -1;
	PQclear(r);
	if (n < 0 || db_commit(c, err, errlen) < 0) {
		db_rollback(c);
		return -1;
	}
	return n;
}

int hk_auth(PGconn *c, const struct conf *conf, const struct hk_opts *o,
	    int64_t tenant, struct hk_report *rep, char *err, size_t errlen)
{
	int64_t n, total = 0;

	do {
		if ((n = audit_batch(c, conf, tenant, o->dry_run, err, errlen)) < 0)
			return -1;
		total += n;
	} while (!o->dry_run && n >= conf->hk_batch_rows);
	if (total && hk_report_add(rep, "deleted", "audit_events", tenant,
				   "audit", total, 0, err, errlen) < 0)
		return -1;
	if ((n = sessions_sweep(c, tenant, o->dry_run, err, errlen)) < 0)
		return -1;
	if (n && hk_report_add(rep, "deleted", "sessions", tenant, "ended",
			       n, 0, err, errlen) < 0)
		return -1;
	return 0;
}
