/*
 * stats: storage figures of one tenant (`pulse-host stats`, GET
 * /api/v1/stats; docs/operations.md, "Storage figures"):
 *
 *   tables        per tenant-scoped table: the tenant's rows, the bytes of
 *                 those rows (pg_column_size of each row: compressed, as
 *                 stored, without indexes), and the whole table's size on
 *                 disk (all tenants, with indexes and TOAST);
 *   raw_by_month  per month partition of the raw ledger: the tenant's rows
 *                 and bytes, and the partition's size on disk;
 *   growth        the tenant's raw ledger rows and bytes created in the
 *                 last 30 days, and per day (bytes_per_day = bytes / 30).
 */
#ifndef PULSE_STATS_H
#define PULSE_STATS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>
#include <libpq-fe.h>

#define STATS_GROWTH_DAYS 30

/* The figures of tenant as a new JSON object (the caller puts it), in a
 * tenant transaction of its own; NULL with err. */
json_object *stats_json(PGconn *c, int64_t tenant, char *err, size_t errlen);

/* Human lines of a stats_json object to f. */
void stats_print(json_object *o, FILE *f);

#endif
