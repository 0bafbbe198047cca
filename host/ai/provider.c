/* provider: open a provider plugin instance for one integration. */
#include "config.h"

#include <json-c/json.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ai/provider.h"
#include "pipeline/store.h"
#include "http/http.h"
#include "model/integration.h"
#include "plugin/job.h"
#include "plugin/loader.h"
#include "plugin/settings.h"

struct ai_provider {
	struct pulse_job job;        /* the plugin's handle; backend below */
	struct job_backend be;
	struct integration in;       /* owned */
	struct plugin *plugin;       /* borrowed from the loader */
	struct json_object *settings; /* owned: with defaults */
	struct json_object *secrets;  /* owned: wiped on close */
	struct http_client *hc;      /* owned */
	unsigned kind;
	void *inst;                  /* the plugin's instance */
	char model[128];
};

#define PROVIDER(j) \
	((struct ai_provider *)((char *)(j) - offsetof(struct ai_provider, job)))

int ai_plugin_serves(const struct plugin *p, unsigned kind)
{
	if (!p || p->status != PLUGIN_LOADED)
		return 0;
	/* The loader fills the ops copy of every kind a plugin offers. */
	if (kind == PULSE_KIND_EMBEDDER)
		return p->embedder.open && p->embedder.embed;
	if (kind == PULSE_KIND_LLM)
		return p->llm.open && p->llm.chat;
	if (kind == PULSE_KIND_VECTOR_STORE)
		return p->vector_store.open && p->vector_store.query;
	return 0;
}

/* Secrets come from the integration's sealed credentials, decrypted once
 * at open; returned copies are the caller's (api->free). */
static char *cb_secret_get(struct pulse_job *job, const char *key,
			   uint32_t index)
{
	return store_secret_lookup(PROVIDER(job)->secrets, key, index);
}

static const char *kind_word(unsigned kind)
{
	return kind == PULSE_KIND_EMBEDDER ? "embedder" :
	       kind == PULSE_KIND_VECTOR_STORE ? "vector store" : "LLM";
}

/* Load the row, check it may serve, and fill settings and secrets. */
static int load_row(const struct ai_env_ref *ctx, int64_t tenant, int64_t id,
		    unsigned kind, int any, struct ai_provider *p, char *err,
		    size_t errlen)
{
	if (integration_get(ctx->db, id, &p->in, err, errlen) != 0)
		return -1;
	if (p->in.tenant_id != tenant) {
		snprintf(err, errlen, "integration %lld is not in tenant %lld",
			 (long long)id, (long long)tenant);
		return -1;
	}
	if (!p->in.enabled && !any) {
		snprintf(err, errlen, "integration %lld (%s) is disabled; enable "
			 "it with `pulse-host integration enable %lld`",
			 (long long)id, p->in.name, (long long)id);
		return -1;
	}
	p->plugin = loader_find(ctx->ld, p->in.plugin);
	if (!ai_plugin_serves(p->plugin, kind)) {
		snprintf(err, errlen, "integration %lld (%s): plugin '%s' is not "
			 "loaded as an %s%s%s; see `pulse-host plugins`",
			 (long long)id, p->in.name, p->in.plugin, kind_word(kind),
			 p->plugin && p->plugin->reason ? ": " : "",
			 p->plugin && p->plugin->reason ? p->plugin->reason : "");
		return -1;
	}
	if (!(p->settings = settings_with_defaults(p->plugin, p->in.settings,
						   err, errlen)))
		return -1;
	if (p->in.credentials && ctx->key &&
	    integration_secrets(&p->in, ctx->key, &p->secrets, err, errlen) < 0)
		return -1;
	return 0;
}

/* any: a disabled integration too. */
static int provider_open(const struct ai_env_ref *ctx, int64_t tenant,
			 int64_t id, unsigned kind, int any,
			 struct ai_provider **out, char *err, size_t errlen)
{
	struct ai_provider *p = calloc(1, sizeof(*p));
	int32_t rc;

	*out = NULL;
	if (!p) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	p->kind = kind;
	if (load_row(ctx, tenant, id, kind, any, p, err, errlen) < 0)
		goto fail;
	http_backend_install(&p->be);
	p->be.secret_get = cb_secret_get;
	p->job.plugin = p->plugin;
	p->job.mode = JOB_PROVIDER;
	p->job.tenant_id = tenant;
	p->job.integration_id = id;
	p->job.settings = p->settings;
	p->job.be = &p->be;
	if (!(p->hc = http_client_new(ctx->conf, &p->job))) {
		snprintf(err, errlen, "cannot start the HTTP client (out of "
			 "memory, or libcurl failed to initialise)");
		goto fail;
	}
	rc = kind == PULSE_KIND_EMBEDDER ?
		p->plugin->embedder.open(p->plugin->state, &p->job, &p->inst) :
	     kind == PULSE_KIND_VECTOR_STORE ?
		p->plugin->vector_store.open(p->plugin->state, &p->job, &p->inst) :
		p->plugin->llm.open(p->plugin->state, &p->job, &p->inst);
	if (rc != PULSE_OK) {
		p->inst = NULL;
		snprintf(err, errlen, "integration %lld (%s): %s", (long long)id,
			 p->in.name, p->job.err[0] ? p->job.err :
			 "the plugin refused to open");
		goto fail;
	}
	*out = p;
	return 0;
fail:
	ai_provider_close(p);
	return -1;
}

int ai_provider_open(const struct ai_env_ref *ctx, int64_t tenant, int64_t id,
		     unsigned kind, struct ai_provider **out, char *err,
		     size_t errlen)
{
	return provider_open(ctx, tenant, id, kind, 0, out, err, errlen);
}

int ai_provider_open_disabled(const struct ai_env_ref *ctx, int64_t tenant,
			      int64_t id, unsigned kind,
			      struct ai_provider **out, char *err,
			      size_t errlen)
{
	return provider_open(ctx, tenant, id, kind, 1, out, err, errlen);
}

void ai_provider_close(struct ai_provider *p)
{
	if (!p)
		return;
	if (p->inst) {
		if (p->kind == PULSE_KIND_EMBEDDER)
			p->plugin->embedder.close(p->inst);
		else if (p->kind == PULSE_KIND_VECTOR_STORE)
			p->plugin->vector_store.close(p->inst);
		else
			p->plugin->llm.close(p->inst);
	}
	http_client_free(p->hc);
	json_object_put(p->settings);
	integration_secrets_free(p->secrets);
	integration_free(&p->in);
	free(p);
}

int64_t ai_provider_id(const struct ai_provider *p)
{
	return p->in.id;
}

const char *ai_provider_name(const struct ai_provider *p)
{
	return p->in.name;
}

const char *ai_provider_plugin(const struct ai_provider *p)
{
	return p->in.plugin;
}

struct json_object *ai_provider_settings(const struct ai_provider *p)
{
	return p->settings;
}

/* A fresh failure slot for each call: the job's first failure wins. */
static void call_reset(struct ai_provider *p)
{
	p->job.err_class = 0;
	p->job.err[0] = '\0';
}

static int32_t call_end(struct ai_provider *p, int32_t rc, char *err,
			size_t errlen)
{
	if (rc == PULSE_OK && p->job.err_class)
		rc = p->job.err_class; /* a failure the plugin ignored */
	if (rc != PULSE_OK)
		snprintf(err, errlen, "%s", p->job.err[0] ? p->job.err :
			 "the plugin failed without saying why");
	return rc;
}

int32_t ai_provider_embed_info(struct ai_provider *p, const char **model,
			       uint32_t *dim, uint32_t *batch, char *err,
			       size_t errlen)
{
	pulse_embed_info info;
	int32_t rc;

	memset(&info, 0, sizeof(info));
	info.struct_size = sizeof(info);
	info.abi_major = PULSE_ABI_MAJOR;
	info.abi_minor = PULSE_ABI_MINOR;
	call_reset(p);
	rc = call_end(p, p->plugin->embedder.info(p->inst, &p->job, &info),
		      err, errlen);
	if (rc != PULSE_OK)
		return rc;
	if (!info.model || !info.dimension) {
		snprintf(err, errlen, "integration %lld (%s): the plugin names "
			 "no model or dimension", (long long)p->in.id,
			 p->in.name);
		return PULSE_ERR_PERMANENT;
	}
	snprintf(p->model, sizeof(p->model), "%s", info.model);
	*model = p->model;
	*dim = info.dimension;
	*batch = info.preferred_batch ? info.preferred_batch : 32;
	return PULSE_OK;
}

static void usage_init(pulse_usage *u)
{
	memset(u, 0, sizeof(*u));
	u->struct_size = sizeof(*u);
	u->abi_major = PULSE_ABI_MAJOR;
	u->abi_minor = PULSE_ABI_MINOR;
}

int32_t ai_provider_embed(struct ai_provider *p, const char *const *texts,
			  uint32_t n, float *out, uint32_t dim,
			  pulse_usage *usage, char *err, size_t errlen)
{
	usage_init(usage);
	call_reset(p);
	return call_end(p, p->plugin->embedder.embed(p->inst, &p->job, texts,
						     n, out, dim, usage),
			err, errlen);
}

int32_t ai_provider_chat(struct ai_provider *p, const pulse_chat_request *req,
			 pulse_chat_result *res, pulse_usage *usage, char *err,
			 size_t errlen)
{
	usage_init(usage);
	memset(res, 0, sizeof(*res));
	res->struct_size = sizeof(*res);
	res->abi_major = PULSE_ABI_MAJOR;
	res->abi_minor = PULSE_ABI_MINOR;
	res->usage = usage;
	call_reset(p);
	return call_end(p, p->plugin->llm.chat(p->inst, &p->job, req, res),
			err, errlen);
}

/* ---- vector stores: one plugin call each, like embed and chat ---- */

int32_t ai_provider_vs_ensure(struct ai_provider *p, const char *collection,
			      uint32_t dim, uint32_t distance, char *err,
			      size_t errlen)
{
	call_reset(p);
	return call_end(p, p->plugin->vector_store.ensure_collection(
				p->inst, &p->job, collection, dim, distance),
			err, errlen);
}

int32_t ai_provider_vs_upsert(struct ai_provider *p, const char *collection,
			      const pulse_vector_point *pts, uint32_t n,
			      char *err, size_t errlen)
{
	call_reset(p);
	return call_end(p, p->plugin->vector_store.upsert(p->inst, &p->job,
							  collection, pts, n),
			err, errlen);
}

int32_t ai_provider_vs_remove(struct ai_provider *p, const char *collection,
			      const char *const *ids, uint32_t n_ids,
			      const char *filter_json, char *err, size_t errlen)
{
	call_reset(p);
	return call_end(p, p->plugin->vector_store.remove(p->inst, &p->job,
							  collection, ids, n_ids,
							  filter_json),
			err, errlen);
}

int32_t ai_provider_vs_query(struct ai_provider *p, const char *collection,
			     const float *vec, uint32_t dim, uint32_t k,
			     const char *filter_json, pulse_vector_hits *hits,
			     char *err, size_t errlen)
{
	memset(hits, 0, sizeof(*hits));
	hits->struct_size = sizeof(*hits);
	hits->abi_major = PULSE_ABI_MAJOR;
	hits->abi_minor = PULSE_ABI_MINOR;
	call_reset(p);
	return call_end(p, p->plugin->vector_store.query(p->inst, &p->job,
							 collection, vec, dim, k,
							 filter_json, hits),
			err, errlen);
}

int ai_provider_vs_has_scroll(const struct ai_provider *p)
{
	return p->plugin->vector_store.scroll != NULL;
}

int32_t ai_provider_vs_scroll(struct ai_provider *p, const char *collection,
			      const char *filter_json, const char *offset,
			      uint32_t limit, uint32_t flags,
			      pulse_vector_page *pg, char *err, size_t errlen)
{
	memset(pg, 0, sizeof(*pg));
	pg->struct_size = sizeof(*pg);
	pg->abi_major = PULSE_ABI_MAJOR;
	pg->abi_minor = PULSE_ABI_MINOR;
	if (!ai_provider_vs_has_scroll(p)) {
		snprintf(err, errlen, "the plugin's vector-store ops have no "
			 "scroll (ABI 1.4)");
		return PULSE_ERR_UNSUPPORTED;
	}
	call_reset(p);
	return call_end(p, p->plugin->vector_store.scroll(p->inst, &p->job,
							  collection, filter_json,
							  offset, limit, flags, pg),
			err, errlen);
}
