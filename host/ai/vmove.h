/*
 * vmove: `pulse-host vectorize move`, copying a tenant's stored vectors
 * from the embedded pgvectors to a vector-store integration (qdrant, ...)
 * without embedding them again (docs/vectors.md, "Moving a tenant between
 * stores").
 *
 * pgvectors -> plugin here; plugin -> pgvectors in vmove_back.c (it
 * needs the plugin's ABI 1.4 scroll op to read points back). Batches
 * follow the pgvectors row id with a checkpoint (vector_moves, 108_vector_moves.sql), so a killed move
 * resumes; point ids are kept, so a repeated batch overwrites. The tenant
 * is switched to the target (its integration enabled) only after every
 * point is copied, the rows written meanwhile copied again, and the
 * target's points counted equal, in one transaction that holds the
 * collection's generation row (writers wait) and removes the old copy
 * unless kept.
 */
#ifndef PULSE_AI_VMOVE_H
#define PULSE_AI_VMOVE_H

#include <stddef.h>
#include <stdint.h>

struct ai_ctx;

struct vmove_opts {
	int64_t target;      /* the vector-store integration to move to */
	int dry_run;         /* say what would be done; write nothing */
	int keep_source;     /* keep the pgvectors copy after the switch */
	uint32_t batch;      /* points per batch; 0: 256 */
	/* progress (stderr in the CLI): points done of total; may be NULL */
	void (*progress)(void *arg, uint64_t done, uint64_t total);
	void *arg;
};

/* Without scroll (a 1.1-1.3 target plugin), the points the verifying
 * query reads back at most: above it, the count is the target's
 * acknowledgements (docs/vectors.md). A 1.4 target is checked by scroll,
 * exactly, at any size. */
#define VMOVE_VERIFY_MAX 10000

/* How the target's points were checked (vmove_result.verify_by). */
#define VMOVE_BY_ACKS 0   /* counted by the target's acknowledgements */
#define VMOVE_BY_QUERY 1  /* every id read back by one k-NN query */
#define VMOVE_BY_SCROLL 2 /* both id sets read in full by scroll */

struct vmove_result {
	char store[64];         /* the target's plugin name, or "pgvectors" */
	char source[64];        /* the source's: "pgvectors" or the plugin */
	char collection[128];
	uint32_t dim;
	uint64_t points;        /* pgvectors points of the collection */
	uint64_t to_copy;       /* left to copy when the run began */
	uint64_t copied;        /* upserted by this run, catch-up included */
	uint64_t caught_up;     /* of which written during the copy */
	uint64_t removed;       /* of the old copy (0 with keep_source) */
	uint64_t verified;      /* points the target returned, all ids equal */
	int verify_by;          /* VMOVE_BY_* */
	int resumed;            /* a checkpoint was found */
	int already_done;       /* the move had finished before */
	int disabled_target;    /* the target was enabled; disabled to copy */
	int switched;           /* the tenant now uses the target */
	/* the store a move back left still holds the tenant's points: the
	 * next move finishes the removal (vmove_clean.c); why it failed */
	int cleanup_pending;
	char cleanup_error[1024];
};

/*
 * Move tenant's vectors to o->target. 0, or -1 with err saying what
 * failed and what to do (a model or dimension mismatch names both and
 * says to use `vectorize rebuild`). res is filled as far as it got.
 */
int vmove_run(struct ai_ctx *ctx, int64_t tenant, const struct vmove_opts *o,
	      struct vmove_result *res, char *err, size_t errlen);

/*
 * The reverse (vmove_back.c): tenant's vectors from its vector-store
 * integration (a plugin with the ABI 1.4 scroll op; one without is
 * refused naming the op) back to pgvectors, with the same dry run,
 * checkpoint/resume, exact check and "already moved"; o->target unused.
 * The switch disables the integration; the points' removal from it after
 * the switch may fail and stays pending (res->cleanup_pending, still 0
 * returned): the next move of the tenant, either way, finishes it
 * (vmove_clean.c). 0 or -1 (err).
 */
int vmove_back_run(struct ai_ctx *ctx, int64_t tenant,
		   const struct vmove_opts *o, struct vmove_result *res,
		   char *err, size_t errlen);

#endif
