/*
 * dora_int: what the files of the DORA module share (not for callers
 * outside host/analytics; they use dora.h).
 *
 *   dora.c        the report: window, scope, the SQL functions' rows
 *   dora_band.c   bands, durations in words, date syntax
 *   dora_figure.c one JSON object per figure, and the reasons
 *   dora_text.c   the text table
 *   dora_map.c    project <-> repository mapping
 */
#ifndef PULSE_DORA_INT_H
#define PULSE_DORA_INT_H

#include <stdint.h>
#include <stdio.h>

#include <libpq-fe.h>

#include "analytics/dora.h"

struct json_object;

/* What dora_diagnostics() found, to explain a missing figure. */
struct diag {
	int64_t repositories, deployments_window, non_production, unsuccessful;
	int64_t incident_mappings, mapped_projects;
	const char *environments, *regexes;
	const struct dora_query *q;
};

/* dora.c: a column of the first row of r by name; 0 / NULL when null. */
int64_t dora_i64(const PGresult *r, const char *name);
double dora_dbl(const PGresult *r, const char *name);

/* dora_figure.c: JSON helpers (values are owned by the object they are
 * added to). */
struct json_object *dora_jnum(double v, int decimals);
void dora_put(struct json_object *o, const char *k, struct json_object *v);
void dora_put_str(struct json_object *o, const char *k, const char *s);
void dora_put_int(struct json_object *o, const char *k, int64_t v);
const char *dora_plural(int64_t n, const char *one, const char *many);

/* dora_figure.c: one figure from its SQL function's row (new object,
 * owned by the caller). */
struct json_object *dora_figure_frequency(const PGresult *r,
					  const struct diag *d);
struct json_object *dora_figure_lead_time(const PGresult *r,
					  const struct diag *d,
					  int64_t deployments);
struct json_object *dora_figure_failure_rate(const PGresult *r,
					     const struct diag *d);
struct json_object *dora_figure_recovery(const PGresult *r,
					 const struct diag *d);

/* dora_people.c: inside the report's transaction, the GitHub logins of
 * the people of q->team / q->org_unit as an array literal (malloc'ed,
 * caller frees), with what the cut is added to scope. NULL when neither
 * is set (*err empty) or on failure (err; *usage for an unknown team). */
char *dora_people_authors(PGconn *c, const struct dora_query *q,
			  struct json_object *scope, int *usage, char *err,
			  size_t errlen);
/* The cut's line of the text report (nothing without one). */
void dora_people_print(FILE *out, struct json_object *scope);

#endif
