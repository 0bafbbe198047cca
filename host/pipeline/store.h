/*
 * store: the extract side of a job's backend: raw pages, per-integration
 * state (checkpoints) and decrypted secrets.
 *
 * A JOB_EXTRACT job finds its store in job->store (set and owned by the
 * job's builder, e.g. the runner).
 */
#ifndef PULSE_STORE_H
#define PULSE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "plugin/job.h"
#include "pipeline/pipeline.h"

struct json_object;

struct store {
	PGconn *conn;                /* borrowed; used only by the job */
	int64_t tenant_id;
	int64_t integration_id;
	int64_t run_id;
	struct json_object *secrets; /* borrowed: decrypted credentials */
	pipeline_dispatch_fn dispatch; /* may be NULL */
	void *dispatch_ctx;
	uint64_t pages;              /* pages stored by this job */
	uint64_t bytes;
};

/* job_backend callbacks; job->store must be set. */
int32_t store_raw_store(struct pulse_job *job, const pulse_raw_page *page);
char *store_state_get(struct pulse_job *job, const char *key);
int32_t store_state_set(struct pulse_job *job, const char *key,
			const char *value);
/*
 * Value index of secret key in decrypted credentials (a string, or an
 * array of strings); a copy owned by the caller, or NULL. Shared by the
 * source and provider callbacks.
 */
struct json_object;
char *store_secret_lookup(struct json_object *secrets, const char *key,
			  uint32_t index);
/* A copy of secret `key` (item index of a SECRET_LIST; 0 for SECRET);
 * caller frees with api->free (wipe first: crypto_free_secret). */
char *store_secret_get(struct pulse_job *job, const char *key,
		       uint32_t index);

/* State outside a job (tests, CLI): value or NULL (caller frees). */
char *store_state_read(PGconn *c, int64_t tenant_id, int64_t integration_id,
		       const char *key, char *err, size_t errlen);

#endif
