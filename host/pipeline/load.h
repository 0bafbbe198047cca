/*
 * load: write a recset into the canonical tables. Per entity: COPY into a
 * temporary staging table (COPY is refused on RLS tables), de-duplicate
 * (last record wins), then INSERT ... ON CONFLICT (tenant_id,
 * integration_id, external_id) DO UPDATE only where something changed,
 * and queue each inserted/updated/deleted row in vectorization_queue.
 */
#ifndef PULSE_LOAD_H
#define PULSE_LOAD_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

struct entity_registry;
struct recset;

struct load_count {
	uint64_t inserted;
	uint64_t updated;
	uint64_t unchanged;
	uint64_t deleted;
};

/*
 * Create the per-connection staging tables (temporary, ON COMMIT DELETE
 * ROWS), outside any transaction. Call once per connection. 0 or -1.
 */
int load_prepare(PGconn *c, const struct entity_registry *reg, char *err,
		 size_t errlen);

/*
 * Load rs inside the caller's open tenant transaction (db_tenant_begin);
 * the caller commits or rolls back. counts (reg->n entries, may be NULL)
 * are incremented. Returns 0, or -1 with err ("load of prs: <server
 * message>"); *transient is set when a retry may help.
 */
int load_apply(PGconn *c, const struct recset *rs, int64_t tenant_id,
	       struct load_count *counts, int *transient, char *err,
	       size_t errlen);

#endif
