/*
 * gw: the gateway provider's wire logic (OpenAI-compatible chat and
 * embeddings), free of the host API so tests drive it directly.
 */
#ifndef PULSE_GW_H
#define PULSE_GW_H

#include <stddef.h>
#include <stdint.h>

#define GW_MAX_INPUTS 2048 /* the embeddings endpoint's limit per request */

/* Go-style durations ("6m0s", "12ms", "1.5s", "1h2m") and plain seconds
 * ("20", "1.5"). 0 with *ms set, or -1 if s is neither. */
int gw_duration_ms(const char *s, uint64_t *ms);

/* The headers of a failed response the policy reads (NULL: absent). */
struct gw_fail {
	uint32_t status;
	const char *body;
	size_t body_len;
	const char *retry_after;       /* Retry-After, seconds */
	const char *reset_requests;    /* x-ratelimit-reset-requests */
	const char *reset_tokens;      /* x-ratelimit-reset-tokens */
};

/*
 * Classify a non-2xx response by the policy of docs/ai.md: a PULSE_ERR_*
 * class, *retry_ms (how long a TRANSIENT asks to wait, 0 = not said) and
 * msg (status, the error code and message from the body).
 */
int32_t gw_classify(const struct gw_fail *f, uint32_t *retry_ms, char *msg,
		    size_t msglen);

/* Request bodies (malloc'd JSON text, caller frees), NULL when out of
 * memory. messages are role/content pairs. */
struct gw_msg {
	const char *role, *content;
};
/* The response_format asked for: none, json_object, or json_schema with
 * schema (JSON text), name and strict. */
struct gw_format {
	int json;
	const char *schema, *name;
	int strict;
};
/* The chat request body (caller frees), or NULL: out of memory, or the
 * schema is not a JSON object (*bad_schema set). */
char *gw_chat_body(const char *model, const struct gw_msg *m, uint32_t n,
		   uint32_t max_tokens, int32_t temperature_milli,
		   const struct gw_format *fmt, int *bad_schema);
char *gw_embed_body(const char *model, const char *const *texts, uint32_t n,
		    uint32_t dimensions);

/* A chat reply: content (malloc'd), model (malloc'd or NULL), finish
 * (PULSE_FINISH_*), tokens. 0, or -1 with err (truncated/invalid JSON or
 * a shape that is not a chat completion). */
struct gw_chat_out {
	char *text, *model;
	uint32_t finish;
	uint64_t prompt, completion, total;
};
int gw_chat_parse(const char *body, size_t len, struct gw_chat_out *out,
		  char *err, size_t errlen);
void gw_chat_out_free(struct gw_chat_out *o);

/*
 * An embeddings reply for n inputs into out (n rows of dim floats),
 * placed by data[].index whatever the order. -1 with err on bad JSON,
 * a missing or repeated index, or a vector of another dimension (both
 * numbers named); *dim_mismatch is set then.
 */
int gw_embed_parse(const char *body, size_t len, uint32_t n, uint32_t dim,
		   float *out, uint64_t *tokens, int *dim_mismatch,
		   char *err, size_t errlen);

#endif
