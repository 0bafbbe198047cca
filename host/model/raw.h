/*
 * raw: reading the raw ledger (raw_extraction_data) and the queues'
 * counts for the REST API (host/server/api_raw.c). Each call runs in a
 * transaction of its own as the tenant; the caller PQclear()s results.
 */
#ifndef PULSE_RAW_H
#define PULSE_RAW_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

/* Raw row id with its body and bookkeeping (no row: not the tenant's).
 * NULL with err. */
PGresult *raw_row(PGconn *c, int64_t tenant, int64_t id, char *err,
		  size_t errlen);

/*
 * Raw rows in status (pending | processing | completed | failed), of one
 * integration (NULL = all), the first limit (at most 1000) by id, without
 * bodies. status, limit and integration are decimal/text parameters as
 * the caller checked them. NULL with err.
 */
PGresult *raw_rows(PGconn *c, int64_t tenant, const char *status,
		   const char *limit, const char *integration, char *err,
		   size_t errlen);

/* Counts of vectorization_queue rows (status, operation, count) and of
 * raw rows (status, status, count). 0, or -1 with err (nothing to
 * clear). */
int raw_queue_counts(PGconn *c, int64_t tenant, PGresult **vectorization,
		     PGresult **raw, char *err, size_t errlen);

#endif
