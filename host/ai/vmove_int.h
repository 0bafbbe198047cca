/* vmove_int: what vmove.c and vmove_back.c share. */
#ifndef PULSE_AI_VMOVE_INT_H
#define PULSE_AI_VMOVE_INT_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

struct vstore;

/* One value (row 0, col 0) of sql as int64, in a tenant transaction; 0
 * when no row. 0 or -1. */
int vmove_scalar(PGconn *db, int64_t tenant, const char *sql, int n,
		 const char *const *p, int64_t *v, char *err, size_t errlen);

/*
 * Read every point id of the tenant in collection from both stores by
 * scroll (page points per request, ids only) and compare the sets. 0 with
 * *n the common count, or -1 with err naming a point one store lacks
 * (or the counts) and saying the tenant stays on `stays`.
 */
int vmove_same_ids(struct vstore *a, struct vstore *b,
		   const char *collection, uint32_t page, const char *stays,
		   uint64_t *n, char *err, size_t errlen);

#endif
