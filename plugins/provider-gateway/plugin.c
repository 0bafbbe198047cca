/*
 * plugin.c: the gateway provider, an OpenAI-compatible endpoint (OpenAI,
 * Azure's compatible route, a corporate gateway, Ollama, vLLM). Built
 * twice from this file (docs/abi.md, "one package, two plugins"):
 *   gateway        kind LLM: POST {base_url}/chat/completions
 *   gateway-embed  kind EMBEDDER (GW_EMBEDDER): POST {base_url}/embeddings
 * Both take the same settings, so one JSON serves either integration.
 *
 * The host's HTTP service injects the key (the plugin never reads it),
 * enforces the allow-list and the timeout; PULSE_HTTP_RAW hands every
 * status back here, where gw_classify applies the error policy and the
 * host's router retries, falls back and cools down (docs/ai.md).
 */
#include <pulse-host/plugin.h>

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw.h"

PULSE_PLUGIN_INIT(api, self);

#define GW_MAX_HEADERS 16

typedef struct gw_inst {
	char url[1024];              /* base_url without a trailing slash */
	char chat_model[128];
	char embed_model[128];
	uint32_t dimensions;         /* 0: ask the model once (info) */
	uint32_t batch;              /* inputs per request, <= 2048 */
	uint32_t timeout_ms;
	int has_key;
	char *headers[GW_MAX_HEADERS + 1]; /* "Name: value", NULL-terminated */
	struct gw_chat_out last;     /* the latest reply, borrowed by the host */
} gw_inst;

static const pulse_config_field fields[] = {
	{ PULSE_STRUCT_HEADER(pulse_config_field), .name = "base_url",
	  .type = PULSE_CFG_URL, .required = 1,
	  .description = "the API root, e.g. https://api.openai.com/v1 "
			 "(paths /chat/completions and /embeddings are added)" },
	{ PULSE_STRUCT_HEADER(pulse_config_field), .name = "api_key",
	  .type = PULSE_CFG_SECRET,
	  .description = "sent as Authorization: Bearer; omit for a keyless "
			 "local server (Ollama, vLLM)" },
	{ PULSE_STRUCT_HEADER(pulse_config_field), .name = "chat_model",
	  .type = PULSE_CFG_STRING, .default_json = "\"gpt-4o-mini\"",
	  .description = "model of chat completions" },
	{ PULSE_STRUCT_HEADER(pulse_config_field), .name = "embedding_model",
	  .type = PULSE_CFG_STRING, .default_json = "\"text-embedding-3-small\"",
	  .description = "model of embeddings" },
	{ PULSE_STRUCT_HEADER(pulse_config_field), .name = "embedding_dimensions",
	  .type = PULSE_CFG_INT, .default_json = "0",
	  .description = "floats per vector asked of the model (0: its own, "
			 "learnt with one probe)", PULSE_RANGE(0, 16384) },
	{ PULSE_STRUCT_HEADER(pulse_config_field), .name = "extra_headers",
	  .type = PULSE_CFG_JSON, .default_json = "{}",
	  .description = "headers added to every request, e.g. "
			 "{\"OpenAI-Organization\": \"org-1\"}" },
	{ PULSE_STRUCT_HEADER(pulse_config_field), .name = "timeout_s",
	  .type = PULSE_CFG_INT, .default_json = "60",
	  .description = "seconds per request", PULSE_RANGE(1, 600) },
	{ PULSE_STRUCT_HEADER(pulse_config_field), .name = "max_retries",
	  .type = PULSE_CFG_INT, .default_json = "3",
	  .description = "retries of a transient failure (429 rate limit, "
			 "5xx, timeout) before falling back", PULSE_RANGE(0, 10) },
	{ PULSE_STRUCT_HEADER(pulse_config_field), .name = "batch_size",
	  .type = PULSE_CFG_INT, .default_json = "2048",
	  .description = "texts per embeddings request",
	  PULSE_RANGE(1, GW_MAX_INPUTS) },
	{ PULSE_STRUCT_HEADER(pulse_config_field), .name = "price_input_per_1m",
	  .type = PULSE_CFG_STRING, .default_json = "\"\"",
	  .description = "USD per 1M input tokens, e.g. \"0.15\" (empty: no "
			 "cost is recorded)" },
	{ PULSE_STRUCT_HEADER(pulse_config_field), .name = "price_output_per_1m",
	  .type = PULSE_CFG_STRING, .default_json = "\"\"",
	  .description = "USD per 1M output tokens, e.g. \"0.60\"" },
	{ PULSE_STRUCT_HEADER(pulse_config_field), .name = NULL },
};

static void gw_close(void *p)
{
	gw_inst *in = p;

	if (!in)
		return;
	for (size_t i = 0; in->headers[i]; i++)
		free(in->headers[i]);
	gw_chat_out_free(&in->last);
	free(in);
}

static int price_ok(const char *s)
{
	char *end;

	if (!s || !*s)
		return 1;
	return strtod(s, &end) >= 0 && !*end;
}

/* extra_headers: an object of string values; names without CR/LF/colon. */
static int32_t load_headers(gw_inst *in, pulse_job *job)
{
	const char *text = api->config_string(job, "extra_headers");
	struct json_object *o = text ? json_tokener_parse(text) : NULL;
	size_t n = 0;
	int32_t rc = PULSE_OK;

	if (text && !json_object_is_type(o, json_type_object)) {
		rc = api->fail(job, PULSE_ERR_PERMANENT, "gateway: extra_headers "
			       "must be an object of header names to values");
		goto out;
	}
	json_object_object_foreach(o, k, v) {
		const char *s = json_object_get_string(v);

		if (n == GW_MAX_HEADERS || !json_object_is_type(v, json_type_string) ||
		    strpbrk(k, ":\r\n ") || strpbrk(s, "\r\n")) {
			rc = api->fail(job, PULSE_ERR_PERMANENT, "gateway: "
				       "extra_headers.%s: must be a text value, a "
				       "name without ':' or spaces, at most %d "
				       "headers", k, GW_MAX_HEADERS);
			goto out;
		}
		if (!(in->headers[n] = malloc(strlen(k) + strlen(s) + 3))) {
			rc = api->fail(job, PULSE_ERR_TRANSIENT, "gateway: out of memory");
			goto out;
		}
		sprintf(in->headers[n++], "%s: %s", k, s);
	}
out:
	json_object_put(o);
	return rc;
}

static int32_t gw_open(void *state, pulse_job *job, void **inst)
{
	gw_inst *in = calloc(1, sizeof(*in));
	const char *url = api->config_string(job, "base_url");
	char *key;
	size_t len;
	int32_t rc;

	(void)state;
	if (!in)
		return api->fail(job, PULSE_ERR_TRANSIENT, "gateway: out of memory");
	if (!url || !*url) {
		rc = api->fail(job, PULSE_ERR_PERMANENT, "gateway: base_url is not "
			       "set; e.g. https://api.openai.com/v1");
		goto fail;
	}
	snprintf(in->url, sizeof(in->url), "%s", url);
	len = strlen(in->url);
	while (len && in->url[len - 1] == '/')
		in->url[--len] = '\0';
	snprintf(in->chat_model, sizeof(in->chat_model), "%s",
		 api->config_string(job, "chat_model"));
	snprintf(in->embed_model, sizeof(in->embed_model), "%s",
		 api->config_string(job, "embedding_model"));
	in->dimensions = (uint32_t)api->config_int(job, "embedding_dimensions", 0);
	in->batch = (uint32_t)api->config_int(job, "batch_size", GW_MAX_INPUTS);
	in->timeout_ms = (uint32_t)api->config_int(job, "timeout_s", 60) * 1000;
	if (!price_ok(api->config_string(job, "price_input_per_1m")) ||
	    !price_ok(api->config_string(job, "price_output_per_1m"))) {
		rc = api->fail(job, PULSE_ERR_PERMANENT, "gateway: "
			       "price_input_per_1m and price_output_per_1m must "
			       "be decimal numbers of USD, e.g. \"0.15\"");
		goto fail;
	}
	/* Only whether a key exists: the host injects it into requests. */
	key = api->secret_get(job, "api_key", 0);
	in->has_key = key && *key;
	if (key) {
		memset(key, 0, strlen(key));
		api->free(key);
	}
	if ((rc = load_headers(in, job)) != PULSE_OK)
		goto fail;
	*inst = in;
	return PULSE_OK;
fail:
	gw_close(in);
	return rc;
}

/* POST body to base_url + path; on PULSE_OK *resp is a 2xx response. */
static int32_t post(gw_inst *in, pulse_job *job, const char *path,
		    const char *body, pulse_http_response **resp, uint32_t *wait)
{
	pulse_http_request req = {PULSE_STRUCT_HEADER(pulse_http_request)};
	char url[1100], msg[700];
	struct gw_fail f;
	uint64_t blen = 0;
	int32_t rc, k;

	*resp = NULL;
	*wait = 0;
	snprintf(url, sizeof(url), "%s%s", in->url, path);
	req.method = "POST";
	req.url = url;
	req.headers = (const char *const *)in->headers;
	req.body = body;
	req.body_len = strlen(body);
	req.content_type = "application/json";
	req.flags = PULSE_HTTP_NO_RETRY | PULSE_HTTP_RAW;
	req.timeout_ms = in->timeout_ms;
	if (in->has_key) {
		req.auth = PULSE_AUTH_BEARER;
		req.auth_secret = "api_key";
	}
	rc = api->http(job, &req, resp);
	if (rc != PULSE_OK) /* transport: reset, timeout, refused */
		return rc == PULSE_ERR_PERMANENT ? rc : PULSE_ERR_TRANSIENT;
	f.status = api->http_status(*resp);
	if (f.status >= 200 && f.status < 300)
		return PULSE_OK;
	memset(&f, 0, sizeof(f));
	f.status = api->http_status(*resp);
	f.body = api->http_body(*resp, &blen);
	f.body_len = (size_t)blen;
	f.retry_after = api->http_header(*resp, "retry-after");
	f.reset_requests = api->http_header(*resp, "x-ratelimit-reset-requests");
	f.reset_tokens = api->http_header(*resp, "x-ratelimit-reset-tokens");
	k = gw_classify(&f, wait, msg, sizeof(msg));
	api->http_release(*resp);
	*resp = NULL;
	if (f.status == 401 || f.status == 403)
		return api->fail(job, k, "gateway: %s %s refused the key (%s); "
				 "set a valid one with `pulse-host integration "
				 "set-secret INTEGRATION api_key`", "POST", url, msg);
	return api->fail(job, k, "gateway: POST %s: %s", url, msg);
}

static void set_usage(pulse_usage *u, uint64_t in, uint64_t out,
		      uint64_t total, uint32_t wait)
{
	if (!u)
		return;
	if (PULSE_HAS(u, prompt_tokens))
		u->prompt_tokens = in;
	if (PULSE_HAS(u, completion_tokens))
		u->completion_tokens = out;
	if (PULSE_HAS(u, total_tokens))
		u->total_tokens = total ? total : in + out;
	if (PULSE_HAS(u, retry_after_ms))
		u->retry_after_ms = wait;
}

#ifndef GW_EMBEDDER
static int32_t gw_chat(void *p, pulse_job *job, const pulse_chat_request *req,
		       pulse_chat_result *res)
{
	gw_inst *in = p;
	struct gw_msg *m = NULL;
	pulse_http_response *resp = NULL;
	const pulse_chat_message *msg;
	uint32_t stride, wait = 0;
	uint64_t blen = 0;
	const char *body;
	char *text = NULL, err[512];
	struct gw_format fmt = {0};
	int32_t rc;
	int bad_schema = 0;

	gw_chat_out_free(&in->last);
	if (!req->n_messages || !req->messages)
		return api->fail(job, PULSE_ERR_INVALID, "gateway: no messages");
	stride = req->messages[0].struct_size;
	if (!(m = calloc(req->n_messages, sizeof(*m))))
		return api->fail(job, PULSE_ERR_TRANSIENT, "gateway: out of memory");
	for (uint32_t i = 0; i < req->n_messages; i++) {
		msg = (const pulse_chat_message *)((const char *)req->messages +
						   (size_t)i * stride);
		m[i].role = msg->role;
		m[i].content = msg->content;
	}
	fmt.json = (req->flags & PULSE_CHAT_JSON) != 0;
	if (PULSE_HAS(req, json_schema_strict) && req->json_schema) {
		fmt.schema = req->json_schema;
		fmt.name = req->json_schema_name;
		fmt.strict = req->json_schema_strict != 0;
	}
	text = gw_chat_body(req->model && *req->model ? req->model :
			    in->chat_model, m, req->n_messages, req->max_tokens,
			    req->temperature_milli, &fmt, &bad_schema);
	if (!text) {
		rc = bad_schema ?
			api->fail(job, PULSE_ERR_INVALID, "gateway: the JSON "
				  "schema asked for is not a JSON object") :
			api->fail(job, PULSE_ERR_TRANSIENT, "gateway: out of memory");
		goto out;
	}
	rc = post(in, job, "/chat/completions", text, &resp, &wait);
	if (rc != PULSE_OK) {
		set_usage(res->usage, 0, 0, 0, wait);
		goto out;
	}
	body = api->http_body(resp, &blen);
	if (gw_chat_parse(body, (size_t)blen, &in->last, err, sizeof(err)) < 0) {
		rc = api->fail(job, PULSE_ERR_TRANSIENT, "gateway: POST %s/chat/"
			       "completions: %s", in->url, err);
		goto out;
	}
	if (PULSE_HAS(res, text)) {
		res->text = in->last.text;
		res->text_len = strlen(in->last.text);
	}
	if (PULSE_HAS(res, model))
		res->model = in->last.model;
	if (PULSE_HAS(res, finish))
		res->finish = in->last.finish;
	if (PULSE_HAS(res, usage))
		set_usage(res->usage, in->last.prompt, in->last.completion,
			  in->last.total, 0);
out:
	if (resp)
		api->http_release(resp);
	free(text);
	free(m);
	return rc;
}

static const pulse_llm_ops ops = {
	PULSE_STRUCT_HEADER(pulse_llm_ops),
	.flags = 0,
	.open = gw_open,
	.close = gw_close,
	.chat = gw_chat,
};
#define GW_KIND PULSE_KIND_LLM
#define GW_NAME "gateway"
#define GW_WHAT "chat completions"
#else
/* One request of at most batch texts; rows land at out. */
static int32_t embed_chunk(gw_inst *in, pulse_job *job,
			   const char *const *texts, uint32_t n, float *out,
			   uint32_t dim, uint64_t *tokens, uint32_t *wait)
{
	pulse_http_response *resp = NULL;
	char *text = gw_embed_body(in->embed_model, texts, n, in->dimensions);
	char err[512];
	uint64_t blen = 0;
	const char *body;
	int32_t rc;
	int mism;

	if (!text)
		return api->fail(job, PULSE_ERR_TRANSIENT, "gateway: out of memory");
	rc = post(in, job, "/embeddings", text, &resp, wait);
	free(text);
	if (rc != PULSE_OK)
		return rc;
	body = api->http_body(resp, &blen);
	if (gw_embed_parse(body, (size_t)blen, n, dim, out, tokens, &mism, err,
			   sizeof(err)) < 0)
		/* a wrong dimension is configuration, not luck */
		rc = api->fail(job, mism ? PULSE_ERR_PERMANENT :
			       PULSE_ERR_TRANSIENT, "gateway: POST %s/embeddings "
			       "(model %s): %s", in->url, in->embed_model, err);
	api->http_release(resp);
	return rc;
}

static int32_t gw_embed(void *p, pulse_job *job, const char *const *texts,
			uint32_t n, float *out, uint32_t dim, pulse_usage *usage)
{
	gw_inst *in = p;
	uint64_t tokens = 0;
	uint32_t wait = 0;
	int32_t rc = PULSE_OK;

	if (in->dimensions && dim != in->dimensions)
		return api->fail(job, PULSE_ERR_INVALID, "gateway: the caller "
				 "asked for %u floats per vector; embedding_"
				 "dimensions is %u", dim, in->dimensions);
	for (uint32_t i = 0; i < n && rc == PULSE_OK; i += in->batch) {
		uint32_t k = n - i < in->batch ? n - i : in->batch;

		rc = embed_chunk(in, job, texts + i, k, out + (size_t)i * dim,
				 dim, &tokens, &wait);
	}
	set_usage(usage, tokens, 0, tokens, wait);
	return rc;
}

/* Without embedding_dimensions the model's own size is learnt once. */
static int32_t gw_info(void *p, pulse_job *job, pulse_embed_info *info)
{
	gw_inst *in = p;
	const char *probe[1] = {"dimension probe"};
	pulse_http_response *resp = NULL;
	struct json_object *o = NULL, *d, *e;
	uint64_t blen = 0;
	uint32_t wait;
	int32_t rc;
	char *text;

	if (!in->dimensions) {
		if (!(text = gw_embed_body(in->embed_model, probe, 1, 0)))
			return api->fail(job, PULSE_ERR_TRANSIENT, "gateway: out "
					 "of memory");
		rc = post(in, job, "/embeddings", text, &resp, &wait);
		free(text);
		if (rc != PULSE_OK)
			return rc;
		o = json_tokener_parse(api->http_body(resp, &blen));
		api->http_release(resp);
		if (o && json_object_object_get_ex(o, "data", &d) &&
		    (e = json_object_array_get_idx(d, 0)) &&
		    json_object_object_get_ex(e, "embedding", &e))
			in->dimensions = (uint32_t)json_object_array_length(e);
		json_object_put(o);
		if (!in->dimensions)
			return api->fail(job, PULSE_ERR_TRANSIENT, "gateway: the "
					 "dimension probe got no embedding back "
					 "from %s/embeddings", in->url);
	}
	if (PULSE_HAS(info, model))
		info->model = in->embed_model;
	if (PULSE_HAS(info, dimension))
		info->dimension = in->dimensions;
	if (PULSE_HAS(info, preferred_batch))
		info->preferred_batch = in->batch;
	return PULSE_OK;
}

static const pulse_embedder_ops ops = {
	PULSE_STRUCT_HEADER(pulse_embedder_ops),
	.flags = 0,
	.open = gw_open,
	.close = gw_close,
	.info = gw_info,
	.embed = gw_embed,
};
#define GW_KIND PULSE_KIND_EMBEDDER
#define GW_NAME "gateway-embed"
#define GW_WHAT "embeddings"
#endif

static int32_t gw_init(const pulse_host_api *host_api, pulse_host *host,
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
	.kind = GW_KIND,
	.name = GW_NAME,
	.version = "1.0.0",
	.ops = &ops,
	.description = "OpenAI-compatible gateway (OpenAI, Azure, LiteLLM, "
		       "Ollama, vLLM): " GW_WHAT,
	.config_fields = fields,
	.init = gw_init,
};

PULSE_EXPORT const pulse_plugin_info *pulse_plugin_entry_v1(uint32_t host_minor)
{
	/* provider ops exist from ABI 1.1 */
	return host_minor >= 1 ? &info : NULL;
}
