/*
 * route_int: what the router's files share (route.c calls, route_config.c
 * resolves, route_usage.c records, route_cooldown.c remembers). Also used
 * by the `ai` CLI, the API and tests, which show and check routes.
 */
#ifndef PULSE_AI_ROUTE_INT_H
#define PULSE_AI_ROUTE_INT_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "ai/route.h"

struct json_object;
struct loader;

#define AI_MAX_HOPS 8
#define AI_DEFAULT_COOLDOWN_S 60
#define AI_DEFAULT_MAX_WAIT_S 60
#define AI_DEFAULT_RETRIES 2      /* for plugins without max_retries */
#define AI_BACKOFF_BASE_MS 500
#define AI_BACKOFF_CAP_MS 30000

/* One provider of a route. */
struct ai_hop {
	int64_t id;
	char name[128];
	char plugin[64];
	int local;        /* no base_url: runs on this machine */
};

/* The resolved route of one (tenant, context). */
struct ai_route {
	char context[16];
	unsigned kind;              /* PULSE_KIND_EMBEDDER or _LLM */
	struct ai_hop hop[AI_MAX_HOPS];
	size_t n;
	char source[16];            /* "local", "external" or "" (any) */
	char gateway_route[128];    /* model name asked of gateways, or "" */
	uint32_t cooldown_s;
	uint32_t max_wait_s;        /* longer waits fall back at once */
	int64_t config_from;        /* integration carrying the config; 0: defaults */
	char why[256];              /* where the route came from, for `ai route` */
};

/* The provider kind a context needs: EMBEDDER for etl/search, LLM for
 * query; 0 for an unknown context. */
unsigned ai_context_kind(const char *context);

/*
 * Resolve context's route for tenant: the ai_model_config of the lowest-id
 * enabled AI/Embedding integration that configures the context, else the
 * defaults (docs/ai.md). 0; 1 when nothing can serve (err says why); -1
 * with err naming the bad field of a config, or a database error.
 */
int ai_route_resolve(PGconn *db, struct loader *ld, int64_t tenant,
		     const char *context, struct ai_route *r, char *err,
		     size_t errlen);

/*
 * Validate cfg (an ai_model_config object) for tenant: contexts, fields,
 * provider references (ids or names of the tenant's enabled AI/Embedding
 * integrations whose plugin serves the context's kind; self_name is the
 * integration being added, which may refer to itself), and gateway_route
 * against the declared fields of the plugins involved. 0, or -1 with err
 * naming the field ("ai_model_config.query.providers[1]: ...").
 */
int ai_config_validate(PGconn *db, struct loader *ld, int64_t tenant,
		       struct json_object *cfg, const char *self_name,
		       const char *self_plugin, char *err, size_t errlen);

/* ---- usage rows, pins ---- */

#define AI_OUT_OK "ok"
#define AI_OUT_RETRIED "retried"
#define AI_OUT_FELL_BACK "fell_back"
#define AI_OUT_FAILED "failed"

struct ai_usage_row {
	int64_t integration_id;
	const char *plugin, *model, *context, *operation;
	uint64_t input_tokens, output_tokens, items;
	uint64_t latency_ms;
	const char *outcome;        /* AI_OUT_* */
	const char *error;          /* why, or NULL */
	const char *price_in, *price_out; /* per 1M tokens, decimal text or NULL */
	int local;                  /* served on this machine */
};

/* Insert one ai_usage row in its own tenant transaction. 0 or -1 (err).
 * The router logs a failure and goes on: usage never fails a call. */
int ai_usage_insert(PGconn *db, int64_t tenant, const struct ai_usage_row *u,
		    char *err, size_t errlen);

/* The pinned model of (tenant, context): 1 and model/dim filled, 0 when
 * none, -1 on a database error. */
int ai_pin_get(PGconn *db, int64_t tenant, const char *context, char *model,
	       size_t modellen, uint32_t *dim, char *err, size_t errlen);
/* Pin if none: 0 when the pin now equals (model, dim), 1 when another pin
 * was there first (model/dim of it in err), -1 on error. */
int ai_pin_set(PGconn *db, int64_t tenant, const char *context,
	       const char *model, uint32_t dim, int64_t integration_id,
	       char *err, size_t errlen);

/*
 * The usage report of tenant since (NULL: all; "7d", "24h", "30m", or a
 * date): per integration/plugin/model/context then one total row (plugin
 * NULL); columns in route_usage.c. Caller PQclear()s. NULL with err.
 */
PGresult *ai_usage_report(PGconn *db, int64_t tenant, const char *since,
			  char *err, size_t errlen);

/* ---- cooldown (process-wide, by integration id) ---- */

/* Milliseconds left of integration id's cooldown at now_ms (0: none);
 * why (may be NULL) receives the reason. */
uint64_t ai_cooldown_left(int64_t id, uint64_t now_ms, char *why,
			  size_t whylen);
void ai_cooldown_start(int64_t id, uint64_t until_ms, const char *why);
void ai_cooldown_clear(int64_t id);
/* Forget every cooldown (tests). */
void ai_cooldown_reset(void);

/* ---- anomalies (route_anomaly.c): a provider whose error rate or p95
 * latency jumps gets an ai_anomalies row and a WARN ---- */

/* The anomaly rule (docs/ai.md): the recent window against the baseline
 * window just before it, each with at least AI_ANOM_MIN_CALLS calls. */
#define AI_ANOM_RECENT_MIN 15        /* recent window, minutes */
#define AI_ANOM_BASELINE_H 24        /* baseline window before it, hours */
#define AI_ANOM_MIN_CALLS 20         /* calls (ok calls for latency) */
#define AI_ANOM_ERR_FLOOR 0.10       /* recent error rate at least this */
#define AI_ANOM_ERR_RISE 0.10        /* ... and baseline x2 + this */
#define AI_ANOM_P95_FACTOR 2.0       /* recent p95 at least x2 baseline */
#define AI_ANOM_P95_RISE_MS 250.0    /* ... and this much slower */
#define AI_ANOM_OPEN_MIN 60          /* an anomaly is "open" this long */

/*
 * Check integration id of tenant against the rule; a metric that jumped
 * (and has no row yet in the recent window) gets an ai_anomalies row and
 * a WARN log line. *raised (may be NULL) counts new rows. 0 or -1 (err).
 */
int ai_anomaly_check(PGconn *db, int64_t tenant, int64_t id, int *raised,
		     char *err, size_t errlen);
/* The same for every integration with calls in the recent window. */
int ai_anomaly_check_all(PGconn *db, int64_t tenant, int *raised, char *err,
			 size_t errlen);
/* What the router calls after a usage row: checks at most once a minute
 * per integration (process-wide); failures are logged, never returned. */
void ai_anomaly_after_call(PGconn *db, int64_t tenant, int64_t id,
			   uint64_t now_ms);

/* ---- clock ---- */
uint64_t ai_now_ms(const struct ai_ctx *ctx);
void ai_sleep_ms(const struct ai_ctx *ctx, uint64_t ms);

#endif
