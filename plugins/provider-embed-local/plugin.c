/*
 * plugin.c: the embed-local provider (kind EMBEDDER, pinned name
 * "embed-local"). One instance per integration: it loads the model
 * directory once (config.json, vocab.txt, model.safetensors, optionally
 * tokenizer_config.json), verifies the weights when `sha256` is set, and
 * embeds batches of texts. Instances are read-only after open and every
 * call has its own scratch and thread team, so the ops table is
 * THREAD_SAFE.
 */
#include <pulse-host/plugin.h>

#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blascore.h"
#include "embed.h"

#define EMB_DEFAULT_DIR "/usr/share/pulse-host/models/all-MiniLM-L6-v2"

PULSE_PLUGIN_INIT(api, self);

typedef struct emb_inst {
	emb_model *m;
	emb_vocab *v;
	int max_tokens;		/* including [CLS] and [SEP] */
	int batch;
	char model[128];	/* the model directory's last component */
} emb_inst;

static const pulse_config_field fields[] = {
	{ PULSE_STRUCT_HEADER(pulse_config_field), .name = "model_dir",
	  .type = PULSE_CFG_STRING, .default_json = "\"" EMB_DEFAULT_DIR "\"",
	  .description = "folder with config.json, vocab.txt, model.safetensors "
			 "(docs/embeddings.md)" },
	{ PULSE_STRUCT_HEADER(pulse_config_field), .name = "threads",
	  .type = PULSE_CFG_INT, .default_json = "0",
	  .description = "threads each embedding call runs on (0: one per "
			 "online CPU)", PULSE_RANGE(0, EMB_MAX_THREADS) },
	{ PULSE_STRUCT_HEADER(pulse_config_field), .name = "batch_size",
	  .type = PULSE_CFG_INT, .default_json = "32",
	  .description = "texts per forward pass", PULSE_RANGE(1, 1024) },
	{ PULSE_STRUCT_HEADER(pulse_config_field), .name = "max_tokens",
	  .type = PULSE_CFG_INT, .default_json = "256",
	  .description = "tokens per text, [CLS] and [SEP] included; longer "
			 "texts are truncated", PULSE_RANGE(2, 512) },
	{ PULSE_STRUCT_HEADER(pulse_config_field), .name = "sha256",
	  .type = PULSE_CFG_STRING, .default_json = "\"\"",
	  .description = "if set, model.safetensors must have this SHA-256 "
			 "(all-MiniLM-L6-v2: 53aa5117...b128d9db)" },
	{ PULSE_STRUCT_HEADER(pulse_config_field), .name = NULL },
};

static void emb_close(void *p)
{
	emb_inst *in = p;
	if (!in)
		return;
	emb_model_free(in->m);
	emb_vocab_free(in->v);
	free(in);
}

/* Refuses a tokenizer_config.json that asks for a cased tokenizer. */
static int check_tokenizer_config(const char *dir, char *err, size_t errlen)
{
	char path[PATH_MAX];
	json_object *o, *v;
	int rc = 0;
	snprintf(path, sizeof path, "%s/tokenizer_config.json", dir);
	o = json_object_from_file(path);
	if (!o)
		return 0;	/* optional */
	if (json_object_object_get_ex(o, "do_lower_case", &v) &&
	    !json_object_get_boolean(v)) {
		snprintf(err, errlen, "%.900s: do_lower_case is false; embed-local "
			 "implements BERT's uncased tokenizer only", path);
		rc = -1;
	}
	json_object_put(o);
	return rc;
}

/* Loads the instance's files; err says what is wrong. *out owned by caller. */
static int emb_load(const char *dir, const char *sha, emb_inst *in,
		    char *err, size_t errlen)
{
	char path[PATH_MAX];
	if (emb_model_load(dir, &in->m, err, errlen) < 0)
		return -1;
	if (sha && *sha) {
		snprintf(path, sizeof path, "%s/model.safetensors", dir);
		if (emb_verify_sha256(in->m->map, in->m->map_len, sha, path,
				      err, errlen) < 0)
			return -1;
	}
	snprintf(path, sizeof path, "%s/vocab.txt", dir);
	if (emb_vocab_load(path, &in->v, err, errlen) < 0 ||
	    emb_check_vocab(in->m, in->v, path, err, errlen) < 0 ||
	    check_tokenizer_config(dir, err, errlen) < 0)
		return -1;
	return 0;
}

static int32_t emb_open(void *state, pulse_job *job, void **inst)
{
	char err[1024];
	emb_inst *in = calloc(1, sizeof *in);
	(void)state;
	if (!in)
		return api->fail(job, PULSE_ERR_TRANSIENT, "embed-local: out of memory");
	const char *dir = api->config_string(job, "model_dir");
	const char *sha = api->config_string(job, "sha256");
	int threads = (int)api->config_int(job, "threads", 0);
	in->batch = (int)api->config_int(job, "batch_size", 32);
	in->max_tokens = (int)api->config_int(job, "max_tokens", 256);
	if (!dir || !*dir)
		dir = EMB_DEFAULT_DIR;
	if (emb_load(dir, sha, in, err, sizeof err) < 0) {
		emb_close(in);
		return api->fail(job, PULSE_ERR_PERMANENT, "embed-local: %s", err);
	}
	if (in->max_tokens > in->m->cfg.max_pos)
		in->max_tokens = in->m->cfg.max_pos;
	if (threads <= 0)
		threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
	emb_model_set_threads(in->m, threads);
	struct blascore_info bi;
	blascore_info(&bi);
	const char *base = strrchr(dir, '/');
	snprintf(in->model, sizeof in->model, "%s", base && base[1] ? base + 1 : dir);
	api->log(self, PULSE_LOG_INFO, "embed-local: %s loaded (%d dims, %d layers, "
		 "vocab %d, max %d tokens, %d threads, OpenBLAS core %s (%s))",
		 in->model, in->m->cfg.hidden, in->m->cfg.layers, in->m->cfg.vocab,
		 in->max_tokens, in->m->threads, bi.core, bi.source);
	if (bi.advice[0])	/* the host could not fix it (blascore.h) */
		api->log(self, PULSE_LOG_WARN, "embed-local: %s", bi.advice);
	*inst = in;
	return PULSE_OK;
}

static int32_t emb_info(void *p, pulse_job *job, pulse_embed_info *info)
{
	emb_inst *in = p;
	(void)job;
	if (PULSE_HAS(info, model))
		info->model = in->model;
	if (PULSE_HAS(info, dimension))
		info->dimension = (uint32_t)in->m->cfg.hidden;
	if (PULSE_HAS(info, max_tokens))
		info->max_tokens = (uint32_t)in->max_tokens;
	if (PULSE_HAS(info, preferred_batch))
		info->preferred_batch = (uint32_t)in->batch;
	if (PULSE_HAS(info, flags))
		info->flags = PULSE_EMBED_NORMALIZED;
	return PULSE_OK;
}

/* Embeds texts[0..n) (n <= in->batch) into out; adds their tokens. */
static int32_t emb_chunk(emb_inst *in, pulse_job *job, const char *const *texts,
			 int n, float *out, uint64_t *tokens)
{
	char err[512];
	int32_t rc = PULSE_ERR_TRANSIENT;
	int32_t *ids = malloc((size_t)n * (size_t)in->max_tokens * sizeof *ids);
	int32_t **rows = malloc((size_t)n * sizeof *rows);
	int *len = malloc((size_t)n * sizeof *len);
	if (!ids || !rows || !len) {
		rc = api->fail(job, PULSE_ERR_TRANSIENT, "embed-local: out of memory "
			       "for a batch of %d", n);
		goto out;
	}
	for (int i = 0; i < n; i++) {
		rows[i] = ids + (size_t)i * in->max_tokens;
		const char *t = texts[i] ? texts[i] : "";
		len[i] = emb_tokenize(in->v, t, strlen(t), in->max_tokens, rows[i],
				      NULL, err, sizeof err);
		if (len[i] < 0) {
			rc = api->fail(job, PULSE_ERR_INVALID, "embed-local: %s", err);
			goto out;
		}
		*tokens += (uint64_t)len[i];
	}
	if (emb_forward(in->m, (const int32_t *const *)rows, len, n, out,
			err, sizeof err) < 0) {
		rc = api->fail(job, PULSE_ERR_TRANSIENT, "embed-local: %s", err);
		goto out;
	}
	rc = PULSE_OK;
out:
	free(ids);
	free(rows);
	free(len);
	return rc;
}

static int32_t emb_embed(void *p, pulse_job *job, const char *const *texts,
			 uint32_t n, float *out, uint32_t dim, pulse_usage *usage)
{
	emb_inst *in = p;
	uint64_t tokens = 0;
	if (dim != (uint32_t)in->m->cfg.hidden)
		return api->fail(job, PULSE_ERR_INVALID, "embed-local: the caller "
				 "asked for %u floats per vector; model %s gives %d",
				 dim, in->model, in->m->cfg.hidden);
	for (uint32_t i = 0; i < n; i += (uint32_t)in->batch) {
		int k = n - i < (uint32_t)in->batch ? (int)(n - i) : in->batch;
		int32_t rc = emb_chunk(in, job, texts + i, k, out + (size_t)i * dim, &tokens);
		if (rc != PULSE_OK)
			return rc;
	}
	if (usage && PULSE_HAS(usage, prompt_tokens))
		usage->prompt_tokens = tokens;
	if (usage && PULSE_HAS(usage, total_tokens))
		usage->total_tokens = tokens;
	return PULSE_OK;
}

static const pulse_embedder_ops ops = {
	PULSE_STRUCT_HEADER(pulse_embedder_ops),
	.flags = PULSE_PROVIDER_THREAD_SAFE,
	.open = emb_open,
	.close = emb_close,
	.info = emb_info,
	.embed = emb_embed,
};

static int32_t emb_init(const pulse_host_api *host_api, pulse_host *host,
			void **state, char *err, uint32_t errlen)
{
	(void)state;
	(void)err;
	(void)errlen;
	PULSE_PLUGIN_INIT2(host_api, host);
	return PULSE_OK;
}

static const pulse_plugin_info info = {
	PULSE_STRUCT_HEADER(pulse_plugin_info),
	.kind = PULSE_KIND_EMBEDDER,
	.name = "embed-local",
	.version = "1.0.0",
	.ops = &ops,
	.description = "sentence embeddings from a local BERT model "
		       "(all-MiniLM-L6-v2), OpenBLAS; no network",
	.config_fields = fields,
	.init = emb_init,
};

PULSE_EXPORT const pulse_plugin_info *pulse_plugin_entry_v1(uint32_t host_minor)
{
	/* the embedder ops exist from ABI 1.1 */
	return host_minor >= 1 ? &info : NULL;
}
