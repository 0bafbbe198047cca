/*
 * pulse-host plugin SDK, ABI 1.4 (a superset of 1.3, 1.2, 1.1 and 1.0; see
 * docs/abi.md).
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

/* The one source of the ABI version: configure.ac reads these two lines,
 * so pkg-config's abi_major/abi_minor always agree with the header. */
#define PULSE_ABI_MAJOR 1
#define PULSE_ABI_MINOR 4

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

/* True if `member` lies wholly inside the struct `p` points to, as its
 * struct_size says: the feature test for anything added after 1.0, on
 * any boundary struct, e.g. PULSE_HAS(page, checkpoint_clear_key). The
 * member's whole extent counts, not only its first byte. */
#define PULSE_HAS(p, member) \
	((p) != NULL && \
	 (size_t)((const char *)&(p)->member - (const char *)(p)) + \
	 sizeof((p)->member) <= (size_t)(p)->struct_size)
/* The same for the host's vtable: PULSE_API_HAS(api, state_delete) before
 * calling a function a 1.0 host does not have. */
#define PULSE_API_HAS(api, member) \
	(PULSE_HAS(api, member) && (api)->member != NULL)

/*
 * Plugin globals, in the spirit of SQLite's SQLITE_EXTENSION_INIT1/2.
 * Every plugin keeps the host's vtable and its own pulse_host handle.
 *
 *   PULSE_PLUGIN_INIT(api, self);        at file scope, in ONE source file
 *   PULSE_PLUGIN_EXTERN(api, self);      in a header, for the other files
 *   PULSE_PLUGIN_INIT2(host_api, host);  first thing in info.init
 *
 * The names are yours (api/self, or a prefix of your own). The globals are
 * not exported: plugins are built with -fvisibility=hidden and loaded with
 * RTLD_LOCAL, so two plugins never share them. INIT2 must be in the same
 * file as INIT (it calls the static setter INIT defines).
 */
#define PULSE_PLUGIN_INIT(api_var, self_var) \
	const pulse_host_api *api_var; \
	pulse_host *self_var; \
	static void pulse_plugin_bind_(const pulse_host_api *a_, pulse_host *h_) \
	{ \
		api_var = a_; \
		self_var = h_; \
	} \
	typedef int pulse_plugin_init_needs_a_semicolon_
#define PULSE_PLUGIN_EXTERN(api_var, self_var) \
	extern const pulse_host_api *api_var; \
	extern pulse_host *self_var
#define PULSE_PLUGIN_INIT2(host_api, host) pulse_plugin_bind_((host_api), (host))

/* ---- status codes (int32_t) ---------------------------------------- */
#define PULSE_OK 0
#define PULSE_ERR (-1)           /* failure; see the job's error text */
#define PULSE_ERR_TRANSIENT (-2) /* worth retrying later */
#define PULSE_ERR_PERMANENT (-3) /* needs a human: credentials, config */
#define PULSE_ERR_CANCELLED (-4) /* stop or pause was requested */
#define PULSE_ERR_INVALID (-5)   /* bad argument, record or field */
#define PULSE_ERR_UNSUPPORTED (-6) /* not available in this context */
/* 1.1, providers: this model or provider cannot serve the request (context
 * too long, model gone, content refused); another one might. */
#define PULSE_ERR_FALLBACK (-7)

/* ---- plugin kinds --------------------------------------------------- */
#define PULSE_KIND_SOURCE 1       /* ops: pulse_source_ops */
#define PULSE_KIND_LLM 2          /* ops: pulse_llm_ops (1.1) */
#define PULSE_KIND_EMBEDDER 3     /* ops: pulse_embedder_ops (1.1) */
#define PULSE_KIND_VECTOR_STORE 4 /* ops: pulse_vector_store_ops (1.1) */

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

/* pulse_config_field.flags (1.1) */
#define PULSE_CFG_HAS_MIN 0x1 /* int_min is set: INT values below are refused */
#define PULSE_CFG_HAS_MAX 0x2 /* int_max is set: INT values above are refused */

/* A table of these ends with an entry whose name is NULL; the stride is the
 * first entry's struct_size. STRING_LIST entries accept integers too (ids
 * such as Jira board 7); config_list_item hands them over as text ("7"). */
typedef struct pulse_config_field {
	uint32_t struct_size;
	uint16_t abi_major;
	uint16_t abi_minor;
	const char *name;          /* NULL terminates the table */
	uint32_t type;             /* PULSE_CFG_* */
	uint32_t required;         /* non-zero: must be present */
	const char *default_json;  /* JSON text of the default, or NULL */
	const char *description;   /* one line, shown in help */
	/* 1.1: a declared range for INT fields, checked by the host before the
	 * plugin runs. Zero is a valid bound, so flags says which are set. */
	uint32_t flags;            /* PULSE_CFG_HAS_MIN | PULSE_CFG_HAS_MAX */
	uint32_t reserved;
	int64_t int_min;
	int64_t int_max;
} pulse_config_field;

/* The range part of a row with designated initialisers:
 *   {PULSE_STRUCT_HEADER(pulse_config_field), .name = "page_size",
 *    .type = PULSE_CFG_INT, .default_json = "100",
 *    .description = "items per request", PULSE_RANGE(1, 100)},
 */
#define PULSE_RANGE(lo, hi) \
	.flags = PULSE_CFG_HAS_MIN | PULSE_CFG_HAS_MAX, .int_min = (lo), \
	.int_max = (hi)

/* ---- HTTP (the host owns retries, rate limits, ETags, timeouts) ----- */
#define PULSE_HTTP_JSON 0x1        /* body must parse as JSON, else retry */
#define PULSE_HTTP_CONDITIONAL 0x2 /* send the cached ETag; 304 possible */
#define PULSE_HTTP_NO_RETRY 0x4    /* one attempt only */
/* 1.2: one attempt, and every HTTP status (429 and 5xx included) comes
 * back as a response for the plugin to classify; no host waits. For
 * providers, whose router owns retries and fallbacks. Older hosts ignore
 * the flag (they judge statuses as for NO_RETRY). */
#define PULSE_HTTP_RAW 0x8

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
	/* 1.1: sent as "Content-Type: <value>" unless headers has one. */
	const char *content_type;
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
	/* 1.1, optional: a state key deleted in the same transaction (e.g. the
	 * cursor of a paging sequence this page finishes). */
	const char *checkpoint_clear_key;
} pulse_raw_page;

/* ---- OAuth2 client credentials (1.3) ----------------------------------
 * A service principal's access token, obtained and kept by the host
 * (docs/plugins.md, "The token service"): POST {authority}/{tenant}/
 * oauth2/v2.0/token with grant_type=client_credentials. One token per
 * (integration, tenant, client, scope), cached in memory and renewed
 * before it expires. The secret and the token never reach the plugin.
 */
typedef struct pulse_oauth2_client {
	uint32_t struct_size;
	uint16_t abi_major;
	uint16_t abi_minor;
	const char *authority;  /* token service base URL; NULL or "":
				   https://login.microsoftonline.com */
	const char *tenant;     /* directory (tenant) id or domain */
	const char *client_id;  /* application (client) id */
	const char *secret_key; /* config field (SECRET) with the client secret */
	const char *scope;      /* one resource: e.g.
				   https://graph.microsoft.com/.default */
} pulse_oauth2_client;

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
	/* Record why the job failed and return klass, so that
	 * `return api->fail(job, klass, ...)` ends extract or transform. The
	 * first failure of a job wins. klass is one of:
	 *   PULSE_ERR_TRANSIENT  the source or network is down, a rate limit,
	 *                        a bad page: the host retries the job later,
	 *                        with backoff, from its last checkpoint;
	 *   PULSE_ERR_PERMANENT  credentials, configuration or a plugin bug:
	 *                        the job fails and is not retried until an
	 *                        admin acts (the text is shown to them);
	 *   PULSE_ERR_CANCELLED  api->cancelled() said stop or pause: the job
	 *                        ends as stopped or paused, not failed, and a
	 *                        resume starts from the last checkpoint;
	 *   PULSE_ERR_FALLBACK   (providers, 1.1) try another provider/model;
	 *                        a source job treats it as TRANSIENT.
	 * Any other value is treated as PULSE_ERR_PERMANENT. */
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

	/* ---- 1.1: test with PULSE_API_HAS(api, name) before calling ---- */
	/* Remove a state key (absent is fine). PULSE_OK or a failure class. */
	int32_t (*state_delete)(pulse_job *job, const char *key);
	/* log() with the job's context: the line carries the tenant,
	 * integration and run ids, so it can be found from the job. */
	void (*job_log)(pulse_job *job, uint32_t level, const char *fmt, ...)
		PULSE_PRINTF(3, 4);

	/* ---- 1.3: test with PULSE_API_HAS(api, name) before calling ---- */
	/* api->http with "Authorization: Bearer <token>" of client's service
	 * principal (req->auth must be PULSE_AUTH_NONE). The host gets the
	 * token (cached per integration and scope, renewed before expiry);
	 * on a 401 it renews the token once and sends the request once more.
	 * A token request the identity platform refuses for good (bad or
	 * expired secret, unknown app, tenant or scope) fails the job
	 * PERMANENT with the remedy. Otherwise as api->http. */
	int32_t (*oauth2_http)(pulse_job *job, const pulse_oauth2_client *client,
			       const pulse_http_request *req,
			       pulse_http_response **resp);
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

/* ---- provider plugins (1.1) -------------------------------------------
 * Embedders, LLMs and vector stores serve the host's AI features rather
 * than running sync jobs. Common rules:
 *  - open() makes an instance for one integration; it reads that
 *    integration's settings through `job` (api->config_*) and reports
 *    errors with api->fail(job, ...). close() releases it. Every other op
 *    takes the instance and a job handle for config, logs and failures.
 *  - Arrays of structs the host passes (messages, points) use the stride
 *    of their first element's struct_size, like config-field tables.
 *  - Structs the host passes for the plugin to fill (usage, info, hits)
 *    arrive zeroed with the host's struct_size in their header; write only
 *    the members for which PULSE_HAS(out, member) is true.
 *  - Strings and arrays a plugin returns in such a struct are borrowed
 *    from the instance until its next call or close; the host copies them.
 *  - Return PULSE_OK or a class: PULSE_ERR_TRANSIENT (retry the same
 *    provider later: 429, 5xx, timeout), PULSE_ERR_FALLBACK (this provider
 *    or model cannot serve it: try the next one), PULSE_ERR_PERMANENT
 *    (credentials, a bad request: retrying anywhere will not help),
 *    PULSE_ERR_INVALID (bad arguments from the host: a dimension that does
 *    not match, say).
 *  - Unless the ops table's flags say PULSE_PROVIDER_THREAD_SAFE, the host
 *    never calls into one instance from two threads at once.
 */
#define PULSE_PROVIDER_THREAD_SAFE 0x1

/* Token accounting of one call, filled by the plugin. */
typedef struct pulse_usage {
	uint32_t struct_size;
	uint16_t abi_major;
	uint16_t abi_minor;
	uint64_t prompt_tokens;     /* input tokens (embedder: all tokens) */
	uint64_t completion_tokens; /* generated tokens (LLM) */
	uint64_t total_tokens;
	uint32_t retry_after_ms;    /* with TRANSIENT: when to try again, 0 = unknown */
	uint32_t reserved;
} pulse_usage;

/* ---- embedders ---- */
typedef struct pulse_embed_info {
	uint32_t struct_size;
	uint16_t abi_major;
	uint16_t abi_minor;
	const char *model;          /* e.g. "all-MiniLM-L6-v2" */
	uint32_t dimension;         /* floats per vector */
	uint32_t max_tokens;        /* longer texts are truncated */
	uint32_t preferred_batch;   /* texts per embed() call that run best */
	uint32_t flags;             /* PULSE_EMBED_NORMALIZED */
} pulse_embed_info;
#define PULSE_EMBED_NORMALIZED 0x1 /* vectors have unit L2 norm */

typedef struct pulse_embedder_ops {
	uint32_t struct_size;
	uint16_t abi_major;
	uint16_t abi_minor;
	uint32_t flags;             /* PULSE_PROVIDER_THREAD_SAFE */
	uint32_t reserved;
	int32_t (*open)(void *state, pulse_job *job, void **inst);
	void (*close)(void *inst);
	/* Describe the model this instance serves (info arrives zeroed). */
	int32_t (*info)(void *inst, pulse_job *job, pulse_embed_info *info);
	/* Embed n NUL-terminated UTF-8 texts into out, which the caller owns:
	 * n rows of dim floats, row i for texts[i]. dim must equal the model's
	 * dimension (else PULSE_ERR_INVALID). usage may be NULL. */
	int32_t (*embed)(void *inst, pulse_job *job, const char *const *texts,
			 uint32_t n, float *out, uint32_t dim, pulse_usage *usage);
} pulse_embedder_ops;

/* ---- LLMs (chat completion) ---- */
typedef struct pulse_chat_message {
	uint32_t struct_size;
	uint16_t abi_major;
	uint16_t abi_minor;
	const char *role;           /* "system", "user" or "assistant" */
	const char *content;        /* UTF-8 text */
} pulse_chat_message;

#define PULSE_CHAT_JSON 0x1     /* ask for a JSON object as the reply */

typedef struct pulse_chat_request {
	uint32_t struct_size;
	uint16_t abi_major;
	uint16_t abi_minor;
	const char *model;          /* NULL: the integration's default */
	const pulse_chat_message *messages; /* stride: messages[0].struct_size */
	uint32_t n_messages;
	uint32_t max_tokens;        /* 0: provider default */
	int32_t temperature_milli;  /* 0..2000 = 0.0..2.0; -1: provider default */
	uint32_t flags;             /* PULSE_CHAT_* */
	uint32_t timeout_ms;        /* 0: provider default */
	uint32_t reserved;
	/* 1.2 (test PULSE_HAS(req, json_schema)): a structured reply. When
	 * json_schema is set (a JSON Schema as JSON text), the reply must
	 * match it: an OpenAI-compatible provider sends response_format
	 * {"type": "json_schema", "json_schema": {name, schema, strict}}. */
	const char *json_schema;
	const char *json_schema_name;  /* NULL: "reply" */
	uint32_t json_schema_strict;   /* 1: the provider must follow it exactly */
	uint32_t reserved2;
} pulse_chat_request;

#define PULSE_FINISH_STOP 1     /* the model ended its answer */
#define PULSE_FINISH_LENGTH 2   /* cut at max_tokens */
#define PULSE_FINISH_FILTER 3   /* withheld by a content filter */

typedef struct pulse_chat_result {
	uint32_t struct_size;
	uint16_t abi_major;
	uint16_t abi_minor;
	const char *text;           /* the reply; borrowed from the instance */
	uint64_t text_len;
	const char *model;          /* the model that answered, or NULL */
	uint32_t finish;            /* PULSE_FINISH_*, 0 = unknown */
	uint32_t reserved;
	/* Host-owned and zeroed (a pointer, so pulse_usage may grow); NULL
	 * if the host does not want the counts. */
	pulse_usage *usage;
} pulse_chat_result;

typedef struct pulse_llm_ops {
	uint32_t struct_size;
	uint16_t abi_major;
	uint16_t abi_minor;
	uint32_t flags;             /* PULSE_PROVIDER_THREAD_SAFE */
	uint32_t reserved;
	int32_t (*open)(void *state, pulse_job *job, void **inst);
	void (*close)(void *inst);
	/* One chat completion: req in, res out (res arrives zeroed). */
	int32_t (*chat)(void *inst, pulse_job *job, const pulse_chat_request *req,
			pulse_chat_result *res);
} pulse_llm_ops;

/* ---- vector stores ---- */
#define PULSE_DISTANCE_COSINE 1
#define PULSE_DISTANCE_EUCLID 2
#define PULSE_DISTANCE_DOT 3
#define PULSE_DISTANCE_MANHATTAN 4

typedef struct pulse_vector_point {
	uint32_t struct_size;
	uint16_t abi_major;
	uint16_t abi_minor;
	const char *id;             /* unsigned integer or UUID, as text */
	const float *vector;        /* dim floats */
	uint32_t dim;
	uint32_t reserved;
	const char *payload_json;   /* a JSON object, or NULL */
} pulse_vector_point;

/* Query results: parallel arrays of n entries, borrowed from the instance
 * until its next call. Filled by the plugin, best match first. */
typedef struct pulse_vector_hits {
	uint32_t struct_size;
	uint16_t abi_major;
	uint16_t abi_minor;
	uint32_t n;
	uint32_t reserved;
	const char *const *ids;
	const float *scores;        /* higher is closer, whatever the distance */
	const char *const *payloads; /* JSON objects; NULL entries allowed */
} pulse_vector_hits;

/* 1.4: one page of stored points read back by scroll: parallel arrays of
 * n entries, borrowed from the instance until its next call, in the
 * store's id order. */
typedef struct pulse_vector_page {
	uint32_t struct_size;
	uint16_t abi_major;
	uint16_t abi_minor;
	uint32_t n;
	uint32_t dim;               /* floats per vector; 0 if vectors omitted */
	const char *const *ids;
	const float *vectors;       /* n rows of dim floats, or NULL */
	const char *const *payloads; /* JSON objects, or NULL (entries too) */
	/* Opaque: pass it back as `offset` for the next page. NULL: this
	 * was the last page. */
	const char *next_offset;
} pulse_vector_page;

#define PULSE_SCROLL_NO_VECTORS 0x1  /* ids (and payloads) only */
#define PULSE_SCROLL_NO_PAYLOADS 0x2 /* ids (and vectors) only */

/* Filters are JSON text in the shape
 *   {"must":[{"key":"tenant","match":{"value":"t1"}}, ...]}
 * (conditions all of which must hold; values are strings or integers).
 * A store that speaks another dialect translates it. The host also sends
 * {"key","match":{"any":[...]}} and {"key","range":{"gte":N}} conditions,
 * and on a query a top-level "score_threshold": N (hits scoring below it
 * may be left out; the host checks again). The host's first condition is
 * always the tenant's (docs/vectors.md). */
typedef struct pulse_vector_store_ops {
	uint32_t struct_size;
	uint16_t abi_major;
	uint16_t abi_minor;
	uint32_t flags;             /* PULSE_PROVIDER_THREAD_SAFE */
	uint32_t reserved;
	int32_t (*open)(void *state, pulse_job *job, void **inst);
	void (*close)(void *inst);
	/* Create the collection if absent; an existing one must have the same
	 * dim and distance (else PULSE_ERR_PERMANENT saying what differs). */
	int32_t (*ensure_collection)(void *inst, pulse_job *job,
				     const char *name, uint32_t dim,
				     uint32_t distance);
	/* Insert or replace n points (stride: points[0].struct_size). */
	int32_t (*upsert)(void *inst, pulse_job *job, const char *collection,
			  const pulse_vector_point *points, uint32_t n);
	/* Delete by ids (n_ids > 0) or else by filter_json; never both empty.
	 * With both, delete the ids that also match the filter. */
	int32_t (*remove)(void *inst, pulse_job *job, const char *collection,
			  const char *const *ids, uint32_t n_ids,
			  const char *filter_json);
	/* The k nearest points to vector that match filter_json (NULL: all). */
	int32_t (*query)(void *inst, pulse_job *job, const char *collection,
			 const float *vector, uint32_t dim, uint32_t k,
			 const char *filter_json, pulse_vector_hits *hits);
	/* ---- 1.4: optional; the host tests PULSE_HAS(ops, scroll) and
	 * NULL. A page of at most limit points matching filter_json, with
	 * their vectors and payloads unless flags (PULSE_SCROLL_*) say not.
	 * offset: NULL for the first page, else a previous next_offset.
	 * page arrives zeroed; every point matching the filter is on exactly
	 * one page while no one writes to the collection. */
	int32_t (*scroll)(void *inst, pulse_job *job, const char *collection,
			  const char *filter_json, const char *offset,
			  uint32_t limit, uint32_t flags,
			  pulse_vector_page *page);
} pulse_vector_store_ops;

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
	const void *ops;               /* the ops table of `kind` */
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
