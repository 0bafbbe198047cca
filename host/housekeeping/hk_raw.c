/* hk_raw: the raw ledger's month partitions, made ahead and dropped whole
 * (hk.h; the rule is in 081_housekeeping.sql's hk_raw_blocker). */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <stdio.h>

#include "base/conf.h"
#include "db/db.h"
#include "housekeeping/hk.h"

#define RAW "raw_extraction_data"

int hk_raw_ahead(PGconn *c, int ahead, const struct hk_opts *o,
		 struct hk_report *rep, char *err, size_t errlen)
{
	char k_s[16];
	const char *p[1] = {k_s};
	PGresult *r = NULL;
	int k, rc = -1;

	for (k = 0; k <= ahead; k++) {
		const char *name;

		snprintf(k_s, sizeof(k_s), "%d", k);
		/* The month k after this one (UTC), its partition's name, and
		 * whether it exists; created unless this is a dry run. */
		r = db_query(c, err, errlen,
			     "WITH m AS (SELECT (date_trunc('month', now() AT TIME ZONE 'UTC')"
			     "   + make_interval(months => $1::int)) AT TIME ZONE 'UTC' AS t)"
			     " SELECT '" RAW "_' || to_char(t AT TIME ZONE 'UTC', '\"y\"YYYY\"m\"MM'),"
			     " to_regclass('" RAW "_' || to_char(t AT TIME ZONE 'UTC', '\"y\"YYYY\"m\"MM')) IS NOT NULL,"
			     " t FROM m", 1, p);
		if (!r)
			goto out;
		name = PQgetvalue(r, 0, 0);
		if (PQgetvalue(r, 0, 1)[0] != 't') {
			if (!o->dry_run) {
				const char *cp[1] = {PQgetvalue(r, 0, 2)};
				PGresult *x = db_query(c, err, errlen,
					"SELECT raw_partition_create($1::timestamptz)",
					1, cp);

				if (!x)
					goto out;
				PQclear(x);
			}
			if (o->progress)
				fprintf(o->progress, "partition %s %screated\n",
					name, o->dry_run ? "would be " : "");
			if (hk_report_add(rep, "partition_created", RAW, 0, name,
					  0, 0, err, errlen) < 0)
				goto out;
		}
		PQclear(r);
		r = NULL;
	}
	rc = 0;
out:
	PQclear(r);
	return rc;
}

int hk_raw_drop_months(PGconn *c, const struct conf *conf,
		       const struct hk_opts *o, struct hk_report *rep,
		       char *err, size_t errlen)
{
	char cd[16], fd[16];
	const char *p[3] = {NULL, cd, fd};
	PGresult *r = NULL, *x = NULL;
	int row, rc = -1;

	snprintf(cd, sizeof(cd), "%d", conf->hk_completed_days);
	snprintf(fd, sizeof(fd), "%d", conf->hk_failed_days);
	r = db_query(c, err, errlen,
		     "SELECT name, bytes, blocker FROM hk_raw_partitions($1, $2)",
		     2, p + 1);
	if (!r)
		goto out;
	for (row = 0; row < PQntuples(r); row++) {
		int64_t rows, bytes;

		if (!PQgetisnull(r, row, 2))
			continue;
		p[0] = PQgetvalue(r, row, 0);
		/* Each drop commits by itself: a run cut short keeps the
		 * months it dropped and nothing half-done. */
		x = db_query(c, err, errlen, o->dry_run ?
			     "SELECT hk_raw_rows($1), $2::int, $3::int" :
			     "SELECT rows, bytes FROM hk_raw_drop($1, $2, $3)",
			     3, p);
		if (!x)
			goto out;
		if (PQntuples(x) == 1 && !PQgetisnull(x, 0, 0)) {
			rows = db_int64(x, 0, 0);
			bytes = o->dry_run ? db_int64(r, row, 1) : db_int64(x, 0, 1);
			if (o->progress)
				fprintf(o->progress, "partition %s %sdropped: "
					"%" PRId64 " rows, %" PRId64 " bytes\n",
					p[0], o->dry_run ? "would be " : "",
					rows, bytes);
			if (hk_report_add(rep, "partition_dropped", RAW, 0,
					  p[0], rows, bytes, err, errlen) < 0)
				goto out;
		}
		PQclear(x);
		x = NULL;
	}
	rc = 0;
out:
	PQclear(x);
	PQclear(r);
	return rc;
}
