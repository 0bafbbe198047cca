/* job: the context behind a plugin's pulse_job handle. */
#ifndef PULSE_JOB_H
#define PULSE_JOB_H

#include <stdint.h>

#include <pulse-host/plugin.h>

struct http_client;
struct json_object;
struct plugin;
struct rec_value;
struct recset;
struct store;

#define JOB_EXTRACT 1
#define JOB_TRANSFORM 2
/* A provider call (host/ai): failure classes keep their provider meaning
 * (FALLBACK, INVALID) for the router, instead of the three job outcomes. */
#define JOB_PROVIDER 3

/*
 * Callbacks a job's owner (the runner, a worker, a test) installs. Each
 * may be NULL, in which case the matching host API call answers
 * PULSE_ERR_UNSUPPORTED (or does nothing, for progress).
 */
struct job_backend {
	int32_t (*raw_store)(struct pulse_job *job, const pulse_raw_page *page);
	char *(*state_get)(struct pulse_job *job, const char *key);
	/* A NULL value deletes the key (the API's state_delete). */
	int32_t (*state_set)(struct pulse_job *job, const char *key,
			     const char *value);
	void (*progress)(struct pulse_job *job, const char *step,
			 uint64_t done, uint64_t total);
	int32_t (*cancelled)(struct pulse_job *job);
	/* HTTP service (installed by http_backend_install) */
	int32_t (*http)(struct pulse_job *job, const pulse_http_request *req,
			pulse_http_response **resp);
	int32_t (*wait_until)(struct pulse_job *job, int64_t until,
			      const char *reason);
	void (*rate_budget)(struct pulse_job *job, int64_t remaining,
			    int64_t limit, int64_t reset_epoch);
	/* Decrypted secret for a config key; caller frees. */
	char *(*secret_get)(struct pulse_job *job, const char *key,
			    uint32_t index);
	/* Records (transform; installed by record_backend_install).
	 * record_begin returns a backend object whose first member is
	 * struct pulse_record. */
	pulse_record *(*record_begin)(struct pulse_job *job, const char *entity);
	int32_t (*record_set)(pulse_record *rec, const char *field,
			      const struct rec_value *v);
	int32_t (*record_end)(pulse_record *rec);
	void (*record_abort)(pulse_record *rec);
	int32_t (*record_delete)(struct pulse_job *job, const char *entity,
				 const char *external_id);
};

/* A typed value on its way into a record. */
#define REC_NULL 0
#define REC_STR 1
#define REC_INT 2
#define REC_FLOAT 3
#define REC_BOOL 4
#define REC_TIME 5 /* ISO-8601 text, validated by the backend */
#define REC_JSON 6 /* JSON text, validated by the backend */
struct rec_value {
	int type;
	const char *s; /* STR, TIME, JSON */
	int64_t i;     /* INT, BOOL */
	double f;      /* FLOAT */
};

/* The header of every record object; backends embed it first. */
struct pulse_record {
	struct pulse_job *job;
};

struct pulse_job {
	struct plugin *plugin;
	int mode;                     /* JOB_EXTRACT / JOB_TRANSFORM */
	int64_t tenant_id;
	int64_t integration_id;
	int64_t run_id;
	struct json_object *settings; /* validated, defaults applied; borrowed */
	const struct job_backend *be;
	/*
	 * Services of this job, one typed slot each, all borrowed: whoever
	 * builds the job (runner, pipeline, a test) owns them and frees them
	 * after the job. A slot a mode does not use stays NULL.
	 */
	struct store *store;          /* extract: raw pages, state, secrets */
	struct http_client *http;     /* extract: set by http_client_new */
	struct recset *records;       /* transform: the record batches */
	int32_t err_class;            /* 0 until fail() */
	char err[1024];               /* first failure, human readable */
};

/* Record a failure (first one wins) and log it; returns klass
 * (host/plugin/job.c). */
int32_t job_fail(struct pulse_job *job, int32_t klass, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
