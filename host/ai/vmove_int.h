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

/*
 * Finish the tenant's pending cleanups (vmove_clean.c): the points a
 * finished move back left in its source store are removed by scroll,
 * page points per request, and the mark cleared; a failure is recorded
 * (vector_moves.cleanup_error) and returned (-1, err says to run the move
 * again). res->removed counts; res->cleanup_pending says whether one is
 * left (with dry_run: whether one is pending; nothing is removed). 0 or -1.
 */
struct ai_ctx;
struct vmove_result;
int vmove_cleanup(struct ai_ctx *ctx, int64_t tenant, uint32_t page,
		  int dry_run, struct vmove_result *res, char *err,
		  size_t errlen);

#endif
