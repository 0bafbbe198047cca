/*
 * lexical-local: a test-only local embedder (no base_url, so the router
 * counts it as local), for the fallback chain gateway -> local without a
 * real model. Vectors: a hash of each word into `dimension` buckets, L2
 * normalised; the model name is a setting, so a test can make it match a
 * gateway's. `fail_calls` makes the first N embed calls fail TRANSIENT.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pulse-host/plugin.h>

PULSE_PLUGIN_INIT(api, self);

struct lex {
	char model[64];
	uint32_t dim;
	int64_t fail_calls;
};

static const pulse_config_field fields[] = {
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = "model",
	 .type = PULSE_CFG_STRING, .default_json = "\"lexical\"",
	 .description = "model name it reports"},
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = "dimension",
	 .type = PULSE_CFG_INT, .default_json = "384",
	 .description = "floats per vector", PULSE_RANGE(1, 4096)},
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = "fail_calls",
	 .type = PULSE_CFG_INT, .default_json = "0",
	 .description = "fail this many calls first", PULSE_RANGE(0, 100)},
	{PULSE_STRUCT_HEADER(pulse_config_field), .name = NULL},
};

static int32_t lex_open(void *state, pulse_job *job, void **inst)
{
	struct lex *l = calloc(1, sizeof(*l));

	(void)state;
	if (!l)
		return api->fail(job, PULSE_ERR_TRANSIENT, "out of memory");
	snprintf(l->model, sizeof(l->model), "%s", api->config_string(job, "model"));
	l->dim = (uint32_t)api->config_int(job, "dimension", 384);
	l->fail_calls = api->config_int(job, "fail_calls", 0);
	*inst = l;
	return PULSE_OK;
}

static void lex_close(void *inst)
{
	free(inst);
}

static int32_t lex_info(void *inst, pulse_job *job, pulse_embed_info *info)
{
	struct lex *l = inst;

	(void)job;
	info->model = l->model;
	info->dimension = l->dim;
	info->preferred_batch = 64;
	return PULSE_OK;
}

static int32_t lex_embed(void *inst, pulse_job *job, const char *const *texts,
			 uint32_t n, float *out, uint32_t dim, pulse_usage *u)
{
	struct lex *l = inst;
	uint64_t words = 0;

	if (l->fail_calls > 0) {
		l->fail_calls--;
		return api->fail(job, PULSE_ERR_TRANSIENT, "lexical-local: "
				 "failing as configured");
	}
	if (dim != l->dim)
		return api->fail(job, PULSE_ERR_INVALID, "lexical-local: %u != %u",
				 dim, l->dim);
	for (uint32_t i = 0; i < n; i++) {
		float *v = out + (size_t)i * dim, norm = 0;
		uint32_t h = 2166136261u;

		memset(v, 0, dim * sizeof(*v));
		for (const char *p = texts[i];; p++) {
			if (*p && *p != ' ') {
				h = (h ^ (unsigned char)*p) * 16777619u;
				continue;
			}
			if (h != 2166136261u) {
				v[h % dim] += 1;
				words++;
			}
			h = 2166136261u;
			if (!*p)
				break;
		}
		for (uint32_t j = 0; j < dim; j++)
			norm += v[j] * v[j];
		if (norm == 0)
			v[0] = norm = 1;
		for (uint32_t j = 0; j < dim; j++)
			v[j] /= sqrtf(norm);
	}
	u->prompt_tokens = u->total_tokens = words;
	return PULSE_OK;
}

static const pulse_embedder_ops ops = {
	PULSE_STRUCT_HEADER(pulse_embedder_ops),
	.open = lex_open,
	.close = lex_close,
	.info = lex_info,
	.embed = lex_embed,
};

static int32_t lex_init(const pulse_host_api *a, pulse_host *h, void **state,
			char *err, uint32_t errlen)
{
	(void)state;
	(void)err;
	(void)errlen;
	PULSE_PLUGIN_INIT2(a, h);
	return PULSE_OK;
}

static const pulse_plugin_info info = {
	PULSE_STRUCT_HEADER(pulse_plugin_info),
	.kind = PULSE_KIND_EMBEDDER,
	.name = "lexical-local",
	.version = "0.1",
	.ops = &ops,
	.description = "test-only local embedder",
	.config_fields = fields,
	.init = lex_init,
};

PULSE_EXPORT const pulse_plugin_info *pulse_plugin_entry_v1(uint32_t host_minor)
{
	return host_minor >= 1 ? &info : NULL;
}
