/*
 * vectorize: the stage that drains vectorization_queue (filled by
 * host/pipeline/load.c) into the tenant's vector store. See
 * docs/vectors.md.
 *
 * Per batch: claim (FOR UPDATE SKIP LOCKED; processing, claimed_at,
 * claimed_by), build each entity's text from its current row
 * (vectorize_text.c), skip rows whose text hash is unchanged, embed the
 * rest through the tenant's "etl" route, upsert or delete in the store,
 * then in one transaction write vector_references and mark the claims
 * completed. Every step is idempotent (point ids are UUIDv5 of the row,
 * the current row decides insert vs delete), so a crash anywhere is
 * repaired by the next run: stale claims go back to pending. A failed
 * batch is retried with backoff; after max_attempts its items are failed
 * with the reason. Nothing here ever fails an ETL job.
 */
#ifndef PULSE_AI_VECTORIZE_H
#define PULSE_AI_VECTORIZE_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

struct ai_ctx;

struct vz_counts {
	uint64_t claimed;    /* queue rows taken */
	uint64_t embedded;   /* texts sent to the embedder */
	uint64_t unchanged;  /* text hash equal: nothing sent */
	uint64_t upserted;   /* points written */
	uint64_t deleted;    /* points removed */
	uint64_t skipped;    /* entities without a text (no builder) */
	uint64_t retried;    /* rows put back with backoff */
	uint64_t failed;     /* rows failed for good */
	uint64_t batches;
};

struct vz_opts {
	uint32_t batch;          /* rows per claim; 0: 64 */
	uint32_t max_attempts;   /* 0: 5 */
	uint32_t stale_seconds;  /* claims older are swept; 0: 300 */
	uint32_t max_batches;    /* stop after this many; 0: until drained */
	/* Called after each batch (may be NULL); non-zero stops the run. */
	int (*progress)(void *arg, int64_t tenant, const struct vz_counts *c);
	void *arg;
};

/*
 * Drain tenant's due queue rows. c (may be NULL) accumulates counts. 0
 * when the queue holds nothing due, 1 when stopped early (max_batches,
 * progress, or a failed batch: the rest waits), -1 with err when the
 * stage itself cannot run (no route, no database); failed batches are
 * not an error here: they are retried.
 */
int vz_run_tenant(struct ai_ctx *ctx, int64_t tenant, const struct vz_opts *o,
		  struct vz_counts *c, char *err, size_t errlen);

/*
 * A stage: one tenant's embedder (the "etl" route), store and collection,
 * kept open across batches by the workers (opening a local model is not
 * free). Owned by the caller: vz_stage_close. Borrows ctx.
 */
struct vz_stage;
int vz_stage_open(struct ai_ctx *ctx, int64_t tenant, struct vz_stage **out,
		  char *err, size_t errlen);
void vz_stage_close(struct vz_stage *s);
int64_t vz_stage_tenant(const struct vz_stage *s);
/* Seconds spent so far in the embedder, the store, and the database
 * (claim, build, record), for the benchmark. */
void vz_stage_times(const struct vz_stage *s, double *embed_s,
		    double *store_s, double *db_s);
/* vz_run_tenant on an open stage (sweeps, then drains). */
int vz_stage_run(struct vz_stage *s, const struct vz_opts *o,
		 struct vz_counts *c, char *err, size_t errlen);
/*
 * Process the queue rows ids (a worker's messages) of the stage's tenant
 * that are still pending and due; others (done, claimed elsewhere, not
 * due) are left alone. Rows that were in a failed batch are processed
 * one at a time; after a failed batch the rest is not tried. dead (may be
 * NULL; n entries) gets VZ_ID_* per id. 0, or -1 with err when the stage
 * itself cannot run (the claims stay and are swept later).
 */
#define VZ_ID_DONE 0     /* processed, or nothing to do (ack) */
#define VZ_ID_FAILED 1   /* failed for good, with its reason (dead) */
#define VZ_ID_LATER 2    /* not tried: a batch before it failed (retry) */
#define VZ_ID_CLAIMED 3  /* internal */
int vz_stage_run_ids(struct vz_stage *s, const int64_t *ids, size_t n,
		     const struct vz_opts *o, struct vz_counts *c,
		     unsigned char *dead, char *err, size_t errlen);

/* Put claims older than stale_seconds, or of a dead process on this
 * host, back to pending. *n (may be NULL) gets how many. 0 or -1. */
int vz_sweep(PGconn *db, int64_t tenant, uint32_t stale_seconds,
	     uint64_t *n, char *err, size_t errlen);

/* Queue an 'update' of every live row of table (NULL: every table with a
 * text builder) of tenant and forget their text hashes, so the next run
 * re-embeds them (a model change). Without table it also clears the
 * tenant's embedding-model pins (ai_model_pins), so the next embed pins
 * the new model. *n gets the rows queued. 0 or -1. */
int vz_rebuild(PGconn *db, int64_t tenant, const char *table, uint64_t *n,
	       char *err, size_t errlen);

/* Counts by status, by status x operation and by table x status, as a
 * JSON object (caller frees):
 *   {"pending":N,"processing":N,"completed":N,"failed":N,
 *    "by_operation":{"insert":{"pending":N,...},...},
 *    "by_table":{"prs":{"pending":N,...},...}, "vectors":N}
 * NULL with err. */
char *vz_summary_json(PGconn *db, int64_t tenant, char *err, size_t errlen);

/* Throughput history (vectorize_history.c): the queue rows of tenant that
 * reached completed or failed (their updated_at) in n buckets of
 * bucket_s seconds, the last one holding now. A JSON object (caller
 * frees):
 *   {"window":"1h","bucket_seconds":60,"done":N,"failed":N,
 *    "per_second":X,"buckets":[{"start":"ISO-8601 UTC","done":N,
 *    "failed":N,"per_second":X},...]}   oldest first
 * per_second is done / bucket_s (the window's: done / (n * bucket_s)).
 * NULL with err. */
char *vz_history_json(PGconn *db, int64_t tenant, const char *window,
		      int bucket_s, int n, char *err, size_t errlen);

/* ---- text builders (vectorize_text.c) ---- */

/* The builder SQL of entity, or NULL when it has no text. The query takes
 * $1 tenant, $2 a text[] of external ids, $3 integration id, and returns
 * live rows only: (external_id, text, title, display_id, url,
 * updated_at ISO-8601). */
const char *vz_text_sql(const char *entity);
/* The entities that have a builder, NULL-terminated. */
extern const char *const vz_text_entities[];

#endif
