/*
 * pulse-host plugin SDK, ABI 1.0.
 *
 * One header is the whole contract between the pulse-host daemon and a
 * plugin. It is C99, depends on nothing but <stdint.h>/<stddef.h>, and
 * exposes no third-party types (no json-c, libcurl or libpq).
 *
 * ---------------------------------------------------------------------
 * Compatibility rules (why the structs look the way they do)
 * ---------------------------------------------------------------------
 *  - A plugin exports exactly one symbol, pulse_plugin_entry_v1. The ABI
 *    major is part of the name, so a host never even finds the entry of a
 *    plugin built for another major.
 *  - Every struct that crosses the boundary starts with
 *        uint32_t struct_size; uint16_t abi_major; uint16_t abi_minor;
 *    Fill them with PULSE_STRUCT_INIT(type). The host copies
 *    min(struct_size, its own sizeof) bytes; fields a smaller (older)
 *    struct lacks read as zero, and zero always means "absent/default".
 *    A larger (newer) struct is accepted only if every byte the host does
 *    not know is zero; otherwise the plugin needs a newer host and is
 *    refused with a message saying so.
 *  - Fields and vtable entries are only ever appended, within a major.
 *  - Only fixed-width integers, pointers and function pointers; no bool,
 *    enum or bitfields, whose size the compiler picks.
 *
 * ---------------------------------------------------------------------
 * Threading contract
 * ---------------------------------------------------------------------
 *  - init and fini run once per process, on the host's main thread.
 *  - extract runs on one thread per job; a job handle is never used by two
 *    threads at once. Several jobs of one plugin may run at the same time
 *    (in different worker processes or threads), so plugin state set up in
 *    init must be read-only afterwards, or guarded by the plugin.
 *  - transform may run concurrently for different raw pages. It must not
 *    keep pointers to the page or records after it returns.
 *  - Every host API function is safe to call from any thread for distinct
 *    job handles.
 *
 * ---------------------------------------------------------------------
 * Memory contract
 * ---------------------------------------------------------------------
 *  - Strings and buffers a plugin passes to the host are borrowed only for
 *    the duration of the call; the host copies what it keeps.
 *  - `const` pointers the host returns are borrowed: they stay valid until
 *    the object they came from is released (the job for config values, the
 *    response for HTTP data). Never free them.
 *  - Non-const `char *` the host returns belong to the caller and must be
 *    released with api->free().
 *  - The pulse_plugin_info, ops and config tables a plugin returns must
 *    stay valid until fini returns (static storage is the norm).
 */
#ifndef PULSE_HOST_PLUGIN_H
#define PULSE_HOST_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PULSE_ABI_MAJOR 1
#define PULSE_ABI_MINOR 0

/* The entry symbol carries the major: a v2 host looks for _v2. */
#define PULSE_ENTRY_SYMBOL "pulse_plugin_entry_v1"

#if defined(__GNUC__) || defined(__clang__)
#define PULSE_EXPORT __attribute__((visibility("default")))
#define PULSE_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define PULSE_EXPORT
#define PULSE_PRINTF(fmt, args)
#endif

/* Initialise the common header of any boundary struct, positionally
 * (tables: {PULSE_STRUCT_INIT(t), ...}) or with designated initialisers
 * (t x = {PULSE_STRUCT_HEADER(t), .field = ...}; the rest reads zero). */
#define PULSE_STRUCT_INIT(type) \
	(uint32_t)sizeof(type), PULSE_ABI_MAJOR, PULSE_ABI_MINOR
#define PULSE_STRUCT_HEADER(type) \
	.struct_size = (uint32_t)sizeof(type), .abi_major = PULSE_ABI_MAJOR, \
	.abi_minor = PULSE_ABI_MINOR

/* ---- status codes (int32_t) ---------------------------------------- */
#define PULSE_OK 0
#define PULSE_ERR (-1)           /* failure; see the job's error text */
#define PULSE_ERR_TRANSIENT (-2) /* worth retrying later */
#define PULSE_ERR_PERMANENT (-3) /* needs a human: credentials, config */
#define PULSE_ERR_CANCELLED (-4) /* stop or pause was requested */
#define PULSE_ERR_INVALID (-5)   /* bad argument, record or field */
#define PULSE_ERR_UNSUPPORTED (-6) /* not available in this context */

/* ---- plugin kinds --------------------------------------------------- */
#define PULSE_KIND_SOURCE 1
/* Reserved; their ops tables arrive in a later 1.x minor. */
#define PULSE_KIND_LLM 2
#define PULSE_KIND_EMBEDDER 3
#define PULSE_KIND_VECTOR_STORE 4

/* ---- log levels ----------------------------------------------------- */
#define PULSE_LOG_ERROR 1
#define PULSE_LOG_WARN 2
#define PULSE_LOG_INFO 3
#define PULSE_LOG_DEBUG 4

/* ---- opaque handles (owned by the host) ----------------------------- */
typedef struct pulse_host pulse_host;       /* one per loaded plugin */
typedef struct pulse_job pulse_job;         /* one extract or transform */
typedef struct pulse_record pulse_record;   /* a record being emitted */
typedef struct pulse_http_response pulse_http_response;

/* ---- declarative configuration -------------------------------------
 * The host validates an integration's JSON settings against this table
 * before a plugin ever sees them, fills in defaults, and prints it as the
 * plugin's help (`pulse-host plugins show NAME`).
 */
#define PULSE_CFG_STRING 1
#define PULSE_CFG_INT 2
#define PULSE_CFG_BOOL 3
#define PULSE_CFG_STRING_LIST 4
#define PULSE_CFG_SECRET 5      /* stored encrypted, never printed */
#define PULSE_CFG_SECRET_LIST 6 /* several secrets, e.g. rotating tokens */
#define PULSE_CFG_REGEX 7       /* a POSIX extended regex, compiled to check */
#define PULSE_CFG_DATE 8        /* ISO-8601 date or date-time */
#define PULSE_CFG_URL 9         /* http(s) URL */
#define PULSE_CFG_JSON 10       /* any JSON value, passed through */

typedef struct pulse_config_field {
	uint32_t struct_size;
	uint16_t abi_major;
	uint16_t abi_minor;
	const char *name;          /* NULL terminates the table */
	uint32_t type;             /* PULSE_CFG_* */
	uint32_t required;         /* non-zero: must be present */
	const char *default_json;  /* JSON text of the default, or NULL */
	const char *description;   /* one line, shown in help */
} pulse_config_field;

/* ---- HTTP (the host owns retries, rate limits, ETags, timeouts) ----- */
#define PULSE_HTTP_JSON 0x1        /* body must parse as JSON, else retry */
#define PULSE_HTTP_CONDITIONAL 0x2 /* send the cached ETag; 304 possible */
#define PULSE_HTTP_NO_RETRY 0x4    /* one attempt only */

#define PULSE_AUTH_NONE 0
#define PULSE_AUTH_BEARER 1 /* Authorization: Bearer <secret>, rotating */
#define PULSE_AUTH_BASIC 2  /* Basic <auth_user field>:<secret> */
#define PULSE_AUTH_HEADER 3 /* <auth_header>: <secret> */

typedef struct pulse_http_request {
	uint32_t struct_size;
	uint16_t abi_major;
	uint16_t abi_minor;
	const char *method;               /* "GET" when NULL */
	const char *url;                  /* absolute URL */
	const char *const *headers;       /* "Name: value", NULL-terminated */
	const char *body;                 /* may be NULL */
	uint64_t body_len;
	uint32_t flags;                   /* PULSE_HTTP_* */
	uint32_t auth;                    /* PULSE_AUTH_* */
	const char *auth_secret;          /* config field holding the secret(s) */
	const char *auth_user;            /* config field holding the user (BASIC) */
	const char *auth_header;          /* header name (AUTH_HEADER) */
	uint32_t timeout_ms;              /* 0: host default */
	uint32_t reserved;
} pulse_http_request;

/* ---- raw pages -------------------------------------------------------
 * One API response = one raw row. Storing the page and moving the
 * checkpoint happen in one transaction, so a killed job resumes exactly
 * after the last page it stored.
 */
typedef struct pulse_raw_page {
	uint32_t struct_size;
	uint16_t abi_major;
	uint16_t abi_minor;
	const char *entity;          /* the plugin's own kind, e.g. "pull_requests" */
	const char *request_method;
	const char *request_url;
	const char *request_params;  /* JSON text or NULL (e.g. GraphQL variables) */
	uint32_t http_status;
	uint32_t reserved;
	const char *body;            /* JSON text */
	uint64_t body_len;
	const char *checkpoint_key;  /* optional: state key to set ... */
	const char *checkpoint_value; /* ... to this value, atomically */
} pulse_raw_page;

/* ---- the host services vtable (append-only) --------------------------
 * Functions taking a job may be called only while that job runs. In a
 * transform, the HTTP, raw-page and progress calls return
 * PULSE_ERR_UNSUPPORTED.
 */
typedef struct pulse_host_api {
	uint32_t struct_size;
	uint16_t abi_major;
	uint16_t abi_minor;

	/* Logging: one structured line, category is the plugin name. Never
	 * pass secrets; the host does not log them and neither should you. */
	void (*log)(pulse_host *host, uint32_t level, const char *fmt, ...)
		PULSE_PRINTF(3, 4);
	void (*free)(void *ptr);

	/* Validated settings of the job's integration (defaults applied).
	 * Borrowed strings, valid until the job ends. Absent: NULL / default. */
	const char *(*config_string)(pulse_job *job, const char *key);
	int64_t (*config_int)(pulse_job *job, const char *key, int64_t dflt);
	int32_t (*config_bool)(pulse_job *job, const char *key, int32_t dflt);
	uint32_t (*config_list_count)(pulse_job *job, const char *key);
	const char *(*config_list_item)(pulse_job *job, const char *key,
					uint32_t index);
	/* A decrypted secret; the caller frees it with api->free. Prefer the
	 * request's auth fields, which never hand the secret to the plugin. */
	char *(*secret_get)(pulse_job *job, const char *key, uint32_t index);

	/* HTTP: on PULSE_OK *resp is set (any HTTP status, including 304 and
	 * 4xx the host did not retry); release it with http_release. On
	 * failure the job's error text says why. */
	int32_t (*http)(pulse_job *job, const pulse_http_request *req,
			pulse_http_response **resp);
	uint32_t (*http_status)(const pulse_http_response *resp);
	const char *(*http_body)(const pulse_http_response *resp, uint64_t *len);
	const char *(*http_header)(const pulse_http_response *resp,
				   const char *name);
	void (*http_release)(pulse_http_response *resp);
	/* Sleep until epoch seconds `until`, visibly (job step `reason`),
	 * returning early with PULSE_ERR_CANCELLED if the job is stopped. */
	int32_t (*wait_until)(pulse_job *job, int64_t until, const char *reason);
	/* Report an API-level budget (e.g. GraphQL points) for pacing. */
	void (*rate_budget)(pulse_job *job, int64_t remaining, int64_t limit,
			    int64_t reset_epoch);

	/* Raw pages and per-integration state (cursors, watermarks). */
	int32_t (*raw_store)(pulse_job *job, const pulse_raw_page *page);
	char *(*state_get)(pulse_job *job, const char *key);
	int32_t (*state_set)(pulse_job *job, const char *key, const char *value);

	/* Progress and control. total 0 = unknown. */
	void (*progress)(pulse_job *job, const char *step, uint64_t done,
			 uint64_t total);
	int32_t (*cancelled)(pulse_job *job);
	/* Record why the job failed; class is PULSE_ERR_TRANSIENT or
	 * PULSE_ERR_PERMANENT. Returns class, so `return api->fail(...)`. */
	int32_t (*fail)(pulse_job *job, int32_t klass, const char *fmt, ...)
		PULSE_PRINTF(3, 4);

	/* Typed record emission (transform only). Fields are validated against
	 * the host's entity registry: an unknown entity or field, or a value of
	 * the wrong type, fails with the entity and field named. */
	pulse_record *(*record_begin)(pulse_job *job, const char *entity);
	int32_t (*record_str)(pulse_record *rec, const char *field,
			      const char *value); /* NULL value = SQL NULL */
	int32_t (*record_int)(pulse_record *rec, const char *field, int64_t v);
	int32_t (*record_float)(pulse_record *rec, const char *field, double v);
	int32_t (*record_bool)(pulse_record *rec, const char *field, int32_t v);
	int32_t (*record_time)(pulse_record *rec, const char *field,
			       const char *iso8601);
	int32_t (*record_json)(pulse_record *rec, const char *field,
			       const char *json);
	/* Finish (and queue for load) or abandon the record. Both release it. */
	int32_t (*record_end)(pulse_record *rec);
	void (*record_abort)(pulse_record *rec);
	/* Mark an entity deleted at the source. */
	int32_t (*record_delete)(pulse_job *job, const char *entity,
				 const char *external_id);
} pulse_host_api;

/* ---- source plugins --------------------------------------------------- */
typedef struct pulse_source_ops {
	uint32_t struct_size;
	uint16_t abi_major;
	uint16_t abi_minor;
	/* Pull everything due from the API, storing each response with
	 * raw_store. Return PULSE_OK, or the class given to api->fail. */
	int32_t (*extract)(void *state, pulse_job *job);
	/* Turn one stored page into canonical records. */
	int32_t (*transform)(void *state, pulse_job *job,
			     const pulse_raw_page *page);
	/* Optional: checks the table cannot express (e.g. "org or repos").
	 * Write a one-line reason into err. */
	int32_t (*validate)(void *state, pulse_job *job, char *err,
			    uint32_t errlen);
} pulse_source_ops;

/* ---- the plugin descriptor --------------------------------------------
 * Fields up to and including `ops` are required; the rest may be absent
 * (zero) or cut off by a smaller struct_size from an older 1.x header.
 */
typedef struct pulse_plugin_info {
	uint32_t struct_size;
	uint16_t abi_major;
	uint16_t abi_minor;
	uint32_t kind;                 /* PULSE_KIND_* */
	uint32_t reserved;
	const char *name;              /* [a-z0-9_-], unique per host */
	const char *version;           /* the plugin's own version */
	const void *ops;               /* pulse_source_ops for SOURCE */
	/* optional from here */
	const char *description;
	const pulse_config_field *config_fields;
	/* Called once after validation. Write a reason into err on failure;
	 * the host refuses the plugin and shows it. */
	int32_t (*init)(const pulse_host_api *api, pulse_host *host,
			void **state, char *err, uint32_t errlen);
	void (*fini)(void *state);
} pulse_plugin_info;

/* The one symbol a plugin exports. host_minor is the ABI minor of the host,
 * so a plugin may offer features only to hosts that know them. */
typedef const pulse_plugin_info *(*pulse_plugin_entry_fn)(uint32_t host_minor);
PULSE_EXPORT const pulse_plugin_info *pulse_plugin_entry_v1(uint32_t host_minor);

#ifdef __cplusplus
}
#endif
#endif /* PULSE_HOST_PLUGIN_H */
