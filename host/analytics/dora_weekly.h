/* dora_weekly: the four DORA keys week by week (issue 19). */
#ifndef PULSE_DORA_WEEKLY_H
#define PULSE_DORA_WEEKLY_H

#include <stdio.h>

#include <libpq-fe.h>

struct json_object;
struct dora_query;

/*
 * The last `weeks` 7-day windows ending with q->to's day (or today), each
 * computed by dora_report_json with q's filters; q->from is ignored.
 * {"weeks":[{"from","to",KEY:{value,display,band,sample,reason
 * [,breakdown{coding,pickup,review,deploy}]}}]} oldest first; a new
 * object, or NULL with err (*usage = 1 for bad input).
 */
struct json_object *dora_weekly_json(PGconn *c, const struct dora_query *q,
				     int weeks, int *usage, char *err,
				     size_t errlen);

/* The trend as a table plus one sparkline per key. */
void dora_weekly_print(FILE *out, struct json_object *trend);

#endif
