/* vectorize_int: what the stage's files share (vectorize.c: the stage;
 * vectorize_queue.c: claims and outcomes; vectorize_build.c: the texts).
 * Not for other subsystems: they use vectorize.h. */
#ifndef PULSE_AI_VECTORIZE_INT_H
#define PULSE_AI_VECTORIZE_INT_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "ai/vectorize.h"
#include "ai/vstore.h"

/* One claimed queue row and what the batch decided for it. */
struct vz_item {
	int64_t qid, integration;
	char *entity, *external_id;
	int live;              /* the row exists: upsert, else delete */
	int unchanged;         /* same text hash as stored */
	char *text, *title, *display, *url, *updated;
	char hash[65];
	char point_id[VSTORE_ID_LEN];
};

struct vz_batch {
	struct vz_item *it;
	size_t n;
};

/* ---- vectorize_queue.c --------------------------------------------------- */

/* Free what b holds (b itself is not freed) and empty it. */
void vz_batch_free(struct vz_batch *b);

/* A copy of a cell (caller frees), NULL for SQL NULL or out of memory. */
char *vz_cell(const PGresult *r, int row, int col);

/* Claim up to max due rows (only the queue ids ids[0..nids) when ids is
 * not NULL). 0 with b filled (maybe empty; b owns its items), or -1. */
int vz_claim(PGconn *db, int64_t tenant, uint32_t max,
	     const int64_t *ids, size_t nids, struct vz_batch *b,
	     char *err, size_t errlen);

/* Record the outcome and release the claims, in one transaction. ok: the
 * store has them; else put back with backoff or fail after max. */
int vz_finish(PGconn *db, int64_t tenant, const struct vz_batch *b,
	      int ok, int refund, const char *why, const char *store,
	      const char *collection, const char *model, uint32_t max,
	      struct vz_counts *c, const int64_t *qids,
	      unsigned char *dead, size_t nqids, char *err,
	      size_t errlen);

/* ---- vectorize_build.c --------------------------------------------------- */

/* Build every item's text (items of entities without a builder stay
 * !live and are marked skipped by the caller via *skipped[i]). */
int vz_build(PGconn *db, int64_t tenant, struct vz_batch *b,
	     const char *collection, char *done_group, char *err,
	     size_t errlen);

#endif
