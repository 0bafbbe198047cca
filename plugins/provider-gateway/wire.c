/* wire: OpenAI-compatible request bodies, replies and error policy. */
#define _GNU_SOURCE /* strcasestr */
#include <pulse-host/plugin.h>

#include <ctype.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gw.h"

int gw_duration_ms(const char *s, uint64_t *ms)
{
	double total = 0;
	char *end;

	if (!s)
		return -1;
	while (isspace((unsigned char)*s))
		s++;
	if (!*s)
		return -1;
	while (*s) {
		double v = strtod(s, &end), unit;

		if (end == s || v < 0 || !isfinite(v))
			return -1;
		s = end;
		if (!strncmp(s, "ms", 2)) {
			unit = 1;
			s += 2;
		} else if (!strncmp(s, "us", 2) || !strncmp(s, "µs", 3)) {
			unit = 0.001;
			s += s[0] == 'u' ? 2 : 3;
		} else if (!strncmp(s, "ns", 2)) {
			unit = 0.000001;
			s += 2;
		} else if (*s == 'h') {
			unit = 3600000;
			s++;
		} else if (*s == 'm') {
			unit = 60000;
			s++;
		} else if (*s == 's' || !*s || isspace((unsigned char)*s)) {
			unit = 1000; /* a bare number is seconds (Retry-After) */
			if (*s == 's')
				s++;
		} else {
			return -1;
		}
		total += v * unit;
		while (isspace((unsigned char)*s))
			s++;
	}
	if (total > 7 * 86400000.0)
		total = 7 * 86400000.0;
	*ms = (uint64_t)ceil(total);
	return 0;
}

/* error.code / error.type / error.message of an OpenAI error body. */
static void error_fields(const struct gw_fail *f, char *code, size_t codelen,
			 char *type, size_t typelen, char *message,
			 size_t msglen)
{
	struct json_object *o, *e = NULL, *v;

	code[0] = type[0] = message[0] = '\0';
	o = f->body ? json_tokener_parse(f->body) : NULL;
	if (o && json_object_object_get_ex(o, "error", &e) &&
	    json_object_is_type(e, json_type_object)) {
		if (json_object_object_get_ex(e, "code", &v) && v)
			snprintf(code, codelen, "%s", json_object_get_string(v));
		if (json_object_object_get_ex(e, "type", &v) && v)
			snprintf(type, typelen, "%s", json_object_get_string(v));
		if (json_object_object_get_ex(e, "message", &v) && v)
			snprintf(message, msglen, "%s", json_object_get_string(v));
	} else if (o && json_object_is_type(e, json_type_string)) {
		snprintf(message, msglen, "%s", json_object_get_string(e));
	}
	json_object_put(o);
}

/* The wait a 429 asks for: Retry-After, else the longer of the resets. */
static uint32_t asked_wait(const struct gw_fail *f)
{
	uint64_t a = 0, b = 0, ms = 0;

	if (f->retry_after && gw_duration_ms(f->retry_after, &ms) == 0 && ms)
		return ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
	if (f->reset_requests)
		gw_duration_ms(f->reset_requests, &a);
	if (f->reset_tokens)
		gw_duration_ms(f->reset_tokens, &b);
	ms = a > b ? a : b;
	return ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
}

int32_t gw_classify(const struct gw_fail *f, uint32_t *retry_ms, char *msg,
		    size_t msglen)
{
	char code[64], type[64], text[512];
	int32_t k;

	*retry_ms = 0;
	error_fields(f, code, sizeof(code), type, sizeof(type), text,
		     sizeof(text));
	if (f->status == 429 && (!strcmp(code, "insufficient_quota") ||
				 !strcmp(type, "insufficient_quota"))) {
		/* Billing: no retry helps; someone must add credit. */
		k = PULSE_ERR_PERMANENT;
	} else if (f->status == 429 && strcasestr(text, "request too large")) {
		k = PULSE_ERR_FALLBACK; /* above the TPM limit: never fits */
	} else if (f->status == 429) {
		k = PULSE_ERR_TRANSIENT;
		*retry_ms = asked_wait(f);
	} else if ((f->status == 400 || f->status == 413) &&
		   (!strcmp(code, "context_length_exceeded") ||
		    strcasestr(text, "maximum context length") ||
		    strcasestr(text, "context length"))) {
		k = PULSE_ERR_FALLBACK;
	} else if (f->status == 401 || f->status == 403) {
		k = PULSE_ERR_PERMANENT;
	} else if (f->status == 408 || f->status >= 500) {
		k = PULSE_ERR_TRANSIENT;
		*retry_ms = f->retry_after ? asked_wait(f) : 0;
	} else if (f->status == 404) {
		k = PULSE_ERR_FALLBACK; /* the model is not served here */
	} else {
		k = PULSE_ERR_INVALID; /* other 4xx: our request is wrong */
	}
	snprintf(msg, msglen, "HTTP %u%s%s%s%.300s", f->status,
		 code[0] ? " " : "", code, text[0] ? ": " : "", text);
	return k;
}

/* Add a string member; 0 or -1 when out of memory. */
static int add_str(struct json_object *o, const char *k, const char *v)
{
	struct json_object *s = json_object_new_string(v ? v : "");

	return s && json_object_object_add(o, k, s) == 0 ? 0 : -1;
}

static char *to_text(struct json_object *o)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	char *t = s ? strdup(s) : NULL;

	json_object_put(o);
	return t;
}

/* response_format {"type": "json_schema", "json_schema": {name, schema,
 * strict}}; 0 or -1 (out of memory, or *bad when the schema is not a
 * JSON object). */
static int add_schema(struct json_object *rf, const struct gw_format *fmt,
		      int *bad)
{
	struct json_object *js, *schema = json_tokener_parse(fmt->schema);

	if (!schema || !json_object_is_type(schema, json_type_object)) {
		json_object_put(schema);
		*bad = 1;
		return -1;
	}
	if (add_str(rf, "type", "json_schema") < 0 ||
	    !(js = json_object_new_object()) ||
	    json_object_object_add(rf, "json_schema", js) < 0 ||
	    add_str(js, "name", fmt->name && *fmt->name ? fmt->name : "reply") < 0 ||
	    json_object_object_add(js, "schema", schema) < 0)
		return -1;
	return json_object_object_add(js, "strict",
				      json_object_new_boolean(fmt->strict));
}

char *gw_chat_body(const char *model, const struct gw_msg *m, uint32_t n,
		   uint32_t max_tokens, int32_t temperature_milli,
		   const struct gw_format *fmt, int *bad_schema)
{
	struct json_object *o = json_object_new_object(), *arr, *x, *rf;

	*bad_schema = 0;

	if (!o || add_str(o, "model", model) < 0 ||
	    !(arr = json_object_new_array()) ||
	    json_object_object_add(o, "messages", arr) < 0)
		goto fail;
	for (uint32_t i = 0; i < n; i++) {
		if (!(x = json_object_new_object()) ||
		    json_object_array_add(arr, x) < 0 ||
		    add_str(x, "role", m[i].role) < 0 ||
		    add_str(x, "content", m[i].content) < 0)
			goto fail;
	}
	if (max_tokens)
		json_object_object_add(o, "max_completion_tokens",
				       json_object_new_int64(max_tokens));
	if (temperature_milli >= 0)
		json_object_object_add(o, "temperature", json_object_new_double(
				       temperature_milli / 1000.0));
	if (fmt->schema) {
		if (!(rf = json_object_new_object()) ||
		    json_object_object_add(o, "response_format", rf) < 0 ||
		    add_schema(rf, fmt, bad_schema) < 0)
			goto fail;
	} else if (fmt->json) {
		if (!(rf = json_object_new_object()) ||
		    json_object_object_add(o, "response_format", rf) < 0 ||
		    add_str(rf, "type", "json_object") < 0)
			goto fail;
	}
	return to_text(o);
fail:
	json_object_put(o);
	return NULL;
}

char *gw_embed_body(const char *model, const char *const *texts, uint32_t n,
		    uint32_t dimensions)
{
	struct json_object *o = json_object_new_object(), *arr;

	if (!o || add_str(o, "model", model) < 0 ||
	    add_str(o, "encoding_format", "float") < 0 ||
	    !(arr = json_object_new_array()) ||
	    json_object_object_add(o, "input", arr) < 0)
		goto fail;
	for (uint32_t i = 0; i < n; i++) {
		/* the API refuses empty strings; one space embeds "nothing" */
		const char *t = texts[i] && *texts[i] ? texts[i] : " ";

		if (json_object_array_add(arr, json_object_new_string(t)) < 0)
			goto fail;
	}
	if (dimensions)
		json_object_object_add(o, "dimensions",
				       json_object_new_int64(dimensions));
	return to_text(o);
fail:
	json_object_put(o);
	return NULL;
}

static struct json_object *parse(const char *body, size_t len, char *err,
				 size_t errlen)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o = NULL;

	if (!tok) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	o = json_tokener_parse_ex(tok, body ? body : "", (int)len);
	if (!o || json_tokener_get_error(tok) != json_tokener_success) {
		json_object_put(o);
		o = NULL;
		snprintf(err, errlen, "the reply is truncated or not JSON "
			 "(%zu bytes)", len);
	} else if (!json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		o = NULL;
		snprintf(err, errlen, "the reply is JSON but not an object");
	}
	json_tokener_free(tok);
	return o;
}

static uint64_t get_u64(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) ?
	       (uint64_t)json_object_get_int64(v) : 0;
}

int gw_chat_parse(const char *body, size_t len, struct gw_chat_out *out,
		  char *err, size_t errlen)
{
	struct json_object *o = parse(body, len, err, errlen), *ch, *c0, *m,
			   *v, *u;
	const char *fin;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (!o)
		return -1;
	if (!json_object_object_get_ex(o, "choices", &ch) ||
	    !json_object_is_type(ch, json_type_array) ||
	    !(c0 = json_object_array_get_idx(ch, 0)) ||
	    !json_object_object_get_ex(c0, "message", &m) ||
	    !json_object_object_get_ex(m, "content", &v)) {
		snprintf(err, errlen, "the reply has no choices[0].message."
			 "content; is base_url an OpenAI-compatible endpoint?");
		goto out;
	}
	out->text = strdup(json_object_is_type(v, json_type_null) ? "" :
			   json_object_get_string(v));
	if (json_object_object_get_ex(o, "model", &v))
		out->model = strdup(json_object_get_string(v));
	fin = json_object_object_get_ex(c0, "finish_reason", &v) ?
	      json_object_get_string(v) : "";
	out->finish = !strcmp(fin, "stop") ? PULSE_FINISH_STOP :
		      !strcmp(fin, "length") ? PULSE_FINISH_LENGTH :
		      !strcmp(fin, "content_filter") ? PULSE_FINISH_FILTER : 0;
	if (json_object_object_get_ex(o, "usage", &u)) {
		out->prompt = get_u64(u, "prompt_tokens");
		out->completion = get_u64(u, "completion_tokens");
		out->total = get_u64(u, "total_tokens");
	}
	if (!out->text) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	rc = 0;
out:
	if (rc < 0)
		gw_chat_out_free(out);
	json_object_put(o);
	return rc;
}

void gw_chat_out_free(struct gw_chat_out *o)
{
	free(o->text);
	free(o->model);
	memset(o, 0, sizeof(*o));
}

int gw_embed_parse(const char *body, size_t len, uint32_t n, uint32_t dim,
		   float *out, uint64_t *tokens, int *dim_mismatch,
		   char *err, size_t errlen)
{
	struct json_object *o = parse(body, len, err, errlen), *data, *u;
	unsigned char *seen = NULL;
	size_t got;
	int rc = -1;

	*dim_mismatch = 0;
	if (!o)
		return -1;
	if (!json_object_object_get_ex(o, "data", &data) ||
	    !json_object_is_type(data, json_type_array)) {
		snprintf(err, errlen, "the reply has no data[] list");
		goto out;
	}
	got = json_object_array_length(data);
	if (got != n) {
		snprintf(err, errlen, "the reply has %zu embeddings for %u "
			 "inputs", got, n);
		goto out;
	}
	if (!(seen = calloc(n ? n : 1, 1))) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < got; i++) {
		struct json_object *d = json_object_array_get_idx(data, i), *ix,
				   *vec;
		int64_t at;
		size_t vlen;

		if (!json_object_object_get_ex(d, "index", &ix) ||
		    !json_object_object_get_ex(d, "embedding", &vec) ||
		    !json_object_is_type(vec, json_type_array)) {
			snprintf(err, errlen, "data[%zu] lacks index or embedding "
				 "(only encoding_format float is read)", i);
			goto out;
		}
		at = json_object_get_int64(ix);
		if (at < 0 || at >= (int64_t)n || seen[at]) {
			snprintf(err, errlen, "data[%zu].index %lld is out of "
				 "range or repeated", i, (long long)at);
			goto out;
		}
		seen[at] = 1;
		vlen = json_object_array_length(vec);
		if (vlen != dim) {
			*dim_mismatch = 1;
			snprintf(err, errlen, "the model returned %zu dimensions "
				 "but %u are declared (embedding_dimensions or the "
				 "pinned model); fix the integration's settings",
				 vlen, dim);
			goto out;
		}
		for (size_t j = 0; j < vlen; j++)
			out[(size_t)at * dim + j] = (float)json_object_get_double(
				json_object_array_get_idx(vec, j));
	}
	if (json_object_object_get_ex(o, "usage", &u))
		*tokens += get_u64(u, "total_tokens") ? get_u64(u, "total_tokens") :
			   get_u64(u, "prompt_tokens");
	rc = 0;
out:
	free(seen);
	json_object_put(o);
	return rc;
}
