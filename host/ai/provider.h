/*
 * provider: one provider plugin instance (embedder or LLM) opened for one
 * integration, with the host services a provider needs behind its job
 * handle: validated settings with defaults, sealed secrets, and the HTTP
 * service (auth injection, allow-list, timeouts). The router (route.c) is
 * its only user; it owns retries, fallbacks and usage rows.
 */
#ifndef PULSE_AI_PROVIDER_H
#define PULSE_AI_PROVIDER_H

#include <stddef.h>
#include <stdint.h>

#include <pulse-host/plugin.h>

#include <libpq-fe.h>

struct conf;
struct crypto_key;
struct json_object;
struct loader;
struct plugin;

/* What opening a provider borrows (the router's ai_ctx holds the same). */
struct ai_env_ref {
	PGconn *db;
	struct loader *ld;
	const struct crypto_key *key;
	const struct conf *conf;
};

struct ai_provider;

/* True if plugin p serves kind (PULSE_KIND_EMBEDDER / _LLM / _VECTOR_STORE),
 * as its main kind or an extra one (ABI 1.2). */
int ai_plugin_serves(const struct plugin *p, unsigned kind);

/*
 * Open integration id of tenant as a provider of kind. The integration
 * must belong to tenant, be enabled, and its plugin must be loaded and
 * serve kind. *out is owned by the caller (ai_provider_close). 0, or -1
 * with err naming the integration and what to do.
 */
int ai_provider_open(const struct ai_env_ref *ctx, int64_t tenant, int64_t id,
		     unsigned kind, struct ai_provider **out, char *err,
		     size_t errlen);
/* The same, for a disabled integration too: only `vectorize move`
 * (vmove.h), which fills a store before the tenant is switched to it. */
int ai_provider_open_disabled(const struct ai_env_ref *ctx, int64_t tenant,
			      int64_t id, unsigned kind,
			      struct ai_provider **out, char *err,
			      size_t errlen);
void ai_provider_close(struct ai_provider *p);

/* Borrowed facts of an open provider. */
int64_t ai_provider_id(const struct ai_provider *p);
const char *ai_provider_name(const struct ai_provider *p);   /* integration */
const char *ai_provider_plugin(const struct ai_provider *p); /* plugin name */
/* The integration's settings with defaults applied (borrowed). */
struct json_object *ai_provider_settings(const struct ai_provider *p);

/*
 * Describe the embedding model (embedder only; info arrives from the
 * plugin, strings copied into the provider). model is borrowed from p.
 * A PULSE_* status; on failure err says why.
 */
int32_t ai_provider_embed_info(struct ai_provider *p, const char **model,
			       uint32_t *dim, uint32_t *batch, char *err,
			       size_t errlen);

/*
 * One plugin call. The status is the plugin's (PULSE_OK or a class, see
 * plugin.h's provider rules); usage is zeroed and filled by the plugin;
 * err holds the plugin's failure text.
 */
int32_t ai_provider_embed(struct ai_provider *p, const char *const *texts,
			  uint32_t n, float *out, uint32_t dim,
			  pulse_usage *usage, char *err, size_t errlen);
/* res->text/model are borrowed from the instance until its next call. */
int32_t ai_provider_chat(struct ai_provider *p, const pulse_chat_request *req,
			 pulse_chat_result *res, pulse_usage *usage, char *err,
			 size_t errlen);

/*
 * Vector stores (kind PULSE_KIND_VECTOR_STORE): one plugin call each, with
 * the plugin's status and failure text as above. Only vstore_plugin.c
 * calls them: it builds the tenant condition of every filter and payload.
 * hits (zeroed and sized here) is borrowed from the instance until its
 * next call.
 */
int32_t ai_provider_vs_ensure(struct ai_provider *p, const char *collection,
			      uint32_t dim, uint32_t distance, char *err,
			      size_t errlen);
int32_t ai_provider_vs_upsert(struct ai_provider *p, const char *collection,
			      const pulse_vector_point *pts, uint32_t n,
			      char *err, size_t errlen);
int32_t ai_provider_vs_remove(struct ai_provider *p, const char *collection,
			      const char *const *ids, uint32_t n_ids,
			      const char *filter_json, char *err, size_t errlen);
int32_t ai_provider_vs_query(struct ai_provider *p, const char *collection,
			     const float *vec, uint32_t dim, uint32_t k,
			     const char *filter_json, pulse_vector_hits *hits,
			     char *err, size_t errlen);
/* 1.4: 1 if the plugin's table has scroll (a 1.1-1.3 one has not). */
int ai_provider_vs_has_scroll(const struct ai_provider *p);
/* One scroll page into pg (zeroed here; borrowed until the next call).
 * PULSE_ERR_UNSUPPORTED without scroll. */
int32_t ai_provider_vs_scroll(struct ai_provider *p, const char *collection,
			      const char *filter_json, const char *offset,
			      uint32_t limit, uint32_t flags,
			      pulse_vector_page *pg, char *err, size_t errlen);

#endif
