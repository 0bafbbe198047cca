/*
 * record: the record backend of transform jobs. Records are validated
 * against the entity registry as they are built and accumulate in a
 * per-entity batch (a struct recset), already encoded for COPY, until
 * load_apply() writes them.
 *
 * A JOB_TRANSFORM job finds its set in job->records.
 */
#ifndef PULSE_RECORD_H
#define PULSE_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "plugin/job.h"
#include "base/strbuf.h"

struct entity;
struct entity_registry;

/* One entity's batch. Values are stored COPY-text-escaped, each
 * NUL-terminated, in data; offs has nfields entries per record:
 * an offset into data, REC_UNSET or REC_SQLNULL. */
#define REC_UNSET (-1)
#define REC_SQLNULL (-2)
struct rec_batch {
	const struct entity *ent;
	struct strbuf data;
	long *offs;            /* nrec * ent->nfields */
	int64_t *ord;          /* input position, for last-wins de-dup */
	int64_t *integration;  /* integration_id of each record */
	unsigned char *del;    /* 1: a deletion (only external_id is set) */
	size_t nrec, cap;
};

struct recset {
	const struct entity_registry *reg;
	struct rec_batch *b;   /* reg->n batches */
	int64_t next_ord;
	uint64_t nrecords;     /* finished records, all entities */
	/* the raw row being transformed, for error messages */
	int64_t raw_id;
	int64_t integration_id;
	char ctx[160];         /* "raw row 42 (github/pull_requests)" */
	/* marks at recset_begin_row, to drop a failed row's records */
	size_t *mark_nrec;
	size_t *mark_len;
	uint64_t mark_nrecords;
};

/* A new, empty set over reg (borrowed). NULL when memory runs out. */
struct recset *recset_new(const struct entity_registry *reg);
void recset_free(struct recset *rs);
/* Empty every batch, keeping the memory. */
void recset_reset(struct recset *rs);
/* Records from now on come from this raw row. plugin/entity only feed
 * error messages. */
void recset_begin_row(struct recset *rs, int64_t raw_id,
		      int64_t integration_id, const char *plugin,
		      const char *raw_entity);
/* Drop every record added since recset_begin_row (the row failed). */
void recset_drop_row(struct recset *rs);
/* Records the current row added so far. */
uint64_t recset_row_records(const struct recset *rs);

/* Point be->record_begin/set/end/abort/delete at this module; they work
 * on job->records, which the job's builder sets (and owns). */
void record_backend_install(struct job_backend *be);

/* Checks shared with others: ISO-8601 date or date-time; valid UTF-8. */
int record_valid_time(const char *s);
int record_valid_utf8(const char *s);

#endif
