/* dora: the four DORA keys of one tenant (docs/dora.md), computed by the
 * SQL functions of host/db/migrations/010_dora.sql, as JSON or a text table. */
#ifndef PULSE_DORA_H
#define PULSE_DORA_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <libpq-fe.h>

struct json_object;

/* What to compute. Strings are borrowed for the call. */
struct dora_query {
	int64_t tenant_id;
	const char *tenant_name; /* shown in the report; NULL = the id */
	const char *project;     /* project key, or NULL for all */
	const char *repo;        /* "owner/name", or NULL for all */
	const char *from;        /* YYYY-MM-DD[THH:MM[:SS][Z|+HH:MM]] (UTC
				  * unless a zone is given), or NULL: to - 90 days */
	const char *to;          /* exclusive; NULL = now */
	const char *team;        /* directory group: lead time over the
				  * changes of its people (docs/people.md),
				  * or NULL */
	const char *org_unit;    /* org unit DN or name, likewise, or NULL */
};

/*
 * Compute the report in one read-only transaction scoped to q->tenant_id
 * on c (which must be idle). Returns a new object the caller releases
 * with json_object_put; this is the body of GET /api/v1/metrics/dora.
 * On failure returns NULL with err saying what and what to do; a bad
 * date or filter is a usage error (*usage set to 1 when usage != NULL).
 */
struct json_object *dora_report_json(PGconn *c, const struct dora_query *q,
				     int *usage, char *err, size_t errlen);

/* The compact text table of a report made by dora_report_json. */
void dora_report_print(FILE *out, struct json_object *report);

/* True if s is a date the window options accept (see struct dora_query). */
int dora_date_valid(const char *s);

/* 2023 DORA report bands: "elite", "high", "medium" or "low". */
const char *dora_band_frequency(double days_per_week, double days_per_month);
const char *dora_band_lead_time(double seconds);
const char *dora_band_failure_rate(double percent);
const char *dora_band_recovery(double seconds);

/* A duration in human units: "45 min", "3.2 h", "4.5 days". */
void dora_format_duration(double seconds, char *buf, size_t len);

/*
 * Project -> repository mapping used for --project and for attributing a
 * project's incidents (dora_project_repositories). Each runs in its own
 * transaction scoped to tenant. 0, or -1 with err.
 */
int dora_map_add(PGconn *c, int64_t tenant, const char *project,
		 const char *repo, char *err, size_t errlen);
/* *removed gets the number of rows deleted (0 when it was not mapped). */
int dora_map_remove(PGconn *c, int64_t tenant, const char *project,
		    const char *repo, int *removed, char *err, size_t errlen);
/* Rows (project_key, repository, known) ordered by project; "known" is
 * 't' when the repository was loaded by an integration. Caller
 * PQclear()s; NULL with err on failure. */
PGresult *dora_map_list(PGconn *c, int64_t tenant, char *err, size_t errlen);

#endif
