/*
 * route: the one door to AI providers for the rest of the host.
 *
 * Vectorization, search and `ask` never open a provider plugin directly:
 * they ask the router for (tenant, context) and it picks the integrations
 * that serve that context from the tenant's ai_model_config, in order,
 * falling back on failure, cooling down providers that keep failing, and
 * writing one ai_usage row per provider call. Contexts are "etl" (bulk
 * embedding), "search" (query embedding) and "query" (chat for `ask`).
 *
 * Threads: an ai_embedder and ai_chat calls are used from one thread at a
 * time; ctx->db is used only inside these calls.
 */
#ifndef PULSE_AI_ROUTE_H
#define PULSE_AI_ROUTE_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

struct conf;
struct crypto_key;
struct loader;

#define AI_CTX_ETL "etl"
#define AI_CTX_SEARCH "search"
#define AI_CTX_QUERY "query"

/* What the router needs from its caller; all borrowed, outliving it. */
struct ai_ctx {
	PGconn *db;                    /* usage rows, integration rows */
	struct loader *ld;             /* scanned plugins */
	const struct crypto_key *key;  /* opens sealed credentials */
	const struct conf *conf;       /* http allow-list, timeouts */
	/* Test clock: when set, waits (retry-after, backoff, cooldown) call
	 * it instead of sleeping, and now_ms reads it. NULL: real time. */
	void (*sleep_ms)(void *arg, uint64_t ms);
	uint64_t (*now_ms)(void *arg);
	void *clock_arg;
	/* Analytics reads (search's embedded store): a read replica's
	 * connection, or NULL to read through db. Never written to. */
	PGconn *read_db;
};

/* ---- embedding ---- */

/* A routed embedder for one (tenant, context); opaque. */
struct ai_embedder;

/*
 * Resolve the route of context for tenant and make it ready to embed. The
 * model is the one pinned for the tenant's context (see docs/ai.md): once
 * vectors exist every provider in the route must serve that model and
 * dimension, so search never compares vectors of two models. *out is
 * owned by the caller (ai_embedder_close). 0, or -1 with err naming the
 * tenant, context and why (no route, no provider loaded, ...).
 */
int ai_embedder_open(struct ai_ctx *ctx, int64_t tenant, const char *context,
		     struct ai_embedder **out, char *err, size_t errlen);
/* The pinned model's name (borrowed from e) and vector dimension. */
const char *ai_embedder_model(const struct ai_embedder *e);
uint32_t ai_embedder_dim(const struct ai_embedder *e);
/*
 * Embed n texts into out (caller-owned, n * dim floats, row i for
 * texts[i]), batching as the provider prefers and falling back along
 * the route. tokens (may be NULL) receives the tokens used. 0, or -1
 * with err aggregating every provider's failure.
 */
int ai_embed(struct ai_embedder *e, const char *const *texts, uint32_t n,
	     float *out, uint64_t *tokens, char *err, size_t errlen);
void ai_embedder_close(struct ai_embedder *e);

/* ---- chat ---- */

struct ai_chat_msg {
	const char *role;    /* "system", "user", "assistant" */
	const char *content;
};

struct ai_chat_req {
	const struct ai_chat_msg *messages;
	uint32_t n_messages;
	uint32_t max_tokens;      /* 0: provider default */
	int32_t temperature_milli; /* -1: provider default */
	int json;                  /* ask for a JSON object reply */
	const char *operation;     /* recorded in ai_usage, e.g. "sql" */
	/* A structured reply: a JSON Schema (JSON text) the reply must match,
	 * its name (NULL: "reply") and strict (the provider follows it
	 * exactly). NULL: json above decides. */
	const char *json_schema;
	const char *json_schema_name;
	int json_schema_strict;
};

struct ai_chat_reply {
	char *text;               /* owned: free() */
	char *model;              /* owned: free(); the model that answered */
	int64_t integration_id;   /* the provider that answered */
	uint64_t prompt_tokens, completion_tokens;
	uint32_t attempts;        /* provider calls made, fallbacks included */
};

/*
 * One chat completion routed by tenant's context (normally "query").
 * Fills *out on success (free with ai_chat_reply_free). 0, or -1 with err
 * aggregating every provider's failure, or 1 when the tenant has no
 * chat route at all (callers may then fall back to rules).
 */
int ai_chat(struct ai_ctx *ctx, int64_t tenant, const char *context,
	    const struct ai_chat_req *req, struct ai_chat_reply *out,
	    char *err, size_t errlen);
void ai_chat_reply_free(struct ai_chat_reply *r);

#endif
