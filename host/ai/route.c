/*
 * route: the calls of route.h. Each provider call goes through run_hop,
 * which applies the error policy of docs/ai.md: TRANSIENT is retried on
 * the same provider (waiting its retry-after, else a jittered backoff)
 * up to its max_retries, then the route moves on and the provider cools
 * down; FALLBACK moves on at once; PERMANENT (credentials, quota) moves
 * on and cools the provider down; INVALID or CANCELLED stops the route.
 * Every call writes one ai_usage row.
 */
#include "config.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ai/provider.h"
#include "ai/route_int.h"
#include "base/log.h"
#include "plugin/loader.h"
#include "plugin/settings.h"

#define AI_CAT "AI"

enum hop_result { HOP_OK, HOP_NEXT, HOP_STOP };

/* One routed operation across the hops of a route. */
struct call {
	struct ai_ctx *ctx;
	int64_t tenant;
	const struct ai_route *route;
	const char *operation;
	const char *model;            /* recorded in usage rows */
	uint64_t items;
	uint32_t attempts;
	char agg[2048];               /* every provider's failure, for err */
	/* The provider call itself. */
	int32_t (*op)(struct call *c, struct ai_provider *p, pulse_usage *u,
		      char *err, size_t errlen);
	void *arg;
};

struct ai_embedder {
	struct ai_ctx *ctx;
	int64_t tenant;
	struct ai_route route;
	struct ai_provider *prov[AI_MAX_HOPS]; /* opened on first need */
	char unusable[AI_MAX_HOPS][320];       /* why a hop cannot serve */
	char model[128];
	uint32_t dim;
	int pinned;
};

/* ---- helpers ---- */

static void agg_add(struct call *c, const struct ai_hop *h, const char *why)
{
	size_t len = strlen(c->agg);

	snprintf(c->agg + len, sizeof(c->agg) - len, "%s%s (%lld): %s",
		 len ? "; " : "", h->name, (long long)h->id, why);
}

static void agg_err(const struct call *c, char *err, size_t errlen)
{
	snprintf(err, errlen, "no provider could serve context '%s' of tenant "
		 "%lld (route: %s): %s", c->route->context, (long long)c->tenant,
		 c->route->why, c->agg[0] ? c->agg : "the route is empty");
}

static int64_t setting_int(struct ai_provider *p, const char *key,
			   int64_t dflt)
{
	struct json_object *v;

	if (json_object_object_get_ex(ai_provider_settings(p), key, &v) &&
	    json_object_is_type(v, json_type_int))
		return json_object_get_int64(v);
	return dflt;
}

static const char *setting_str(struct ai_provider *p, const char *key)
{
	struct json_object *v;

	if (json_object_object_get_ex(ai_provider_settings(p), key, &v) &&
	    json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return NULL;
}

/* Exponential backoff with equal jitter: [b/2, b] for b = base * 2^n. */
static uint64_t backoff_ms(uint32_t attempt)
{
	static __thread uint32_t seed;
	uint64_t b = AI_BACKOFF_BASE_MS;

	for (uint32_t i = 1; i < attempt && b < AI_BACKOFF_CAP_MS; i++)
		b *= 2;
	if (b > AI_BACKOFF_CAP_MS)
		b = AI_BACKOFF_CAP_MS;
	if (!seed)
		seed = (uint32_t)(uintptr_t)&seed ^ (uint32_t)ai_now_ms(NULL);
	seed ^= seed << 13;
	seed ^= seed >> 17;
	seed ^= seed << 5;
	return b / 2 + seed % (b / 2 + 1);
}

static const char *class_word(int32_t rc)
{
	switch (rc) {
	case PULSE_ERR_TRANSIENT: return "transient";
	case PULSE_ERR_FALLBACK: return "fall back";
	case PULSE_ERR_PERMANENT: return "permanent";
	case PULSE_ERR_INVALID: return "invalid";
	case PULSE_ERR_CANCELLED: return "cancelled";
	default: return "failed";
	}
}

static void record(struct call *c, const struct ai_hop *h,
		   struct ai_provider *p, const pulse_usage *u,
		   const char *model, uint64_t latency, const char *outcome,
		   const char *error)
{
	struct ai_usage_row row;
	char err[256];

	memset(&row, 0, sizeof(row));
	row.integration_id = h->id;
	row.plugin = h->plugin;
	row.model = model ? model : c->model;
	row.context = c->route->context;
	row.operation = c->operation;
	row.items = c->items;
	row.input_tokens = u ? u->prompt_tokens : 0;
	row.output_tokens = u ? u->completion_tokens : 0;
	row.latency_ms = latency;
	row.outcome = outcome;
	row.error = error;
	row.local = h->local;
	row.price_in = p ? setting_str(p, "price_input_per_1m") : NULL;
	row.price_out = p ? setting_str(p, "price_output_per_1m") : NULL;
	if (c->ctx->db &&
	    ai_usage_insert(c->ctx->db, c->tenant, &row, err, sizeof(err)) < 0)
		log_warn(AI_CAT, "usage row not written tenant=%lld "
			 "integration=%lld: %s", (long long)c->tenant,
			 (long long)h->id, err);
	ai_anomaly_after_call(c->ctx->db, c->tenant, h->id, ai_now_ms(c->ctx));
}

static void cool(struct call *c, const struct ai_hop *h, uint64_t min_ms,
		 const char *why)
{
	uint64_t ms = (uint64_t)c->route->cooldown_s * 1000;

	if (min_ms > ms)
		ms = min_ms;
	if (!ms)
		return;
	ai_cooldown_start(h->id, ai_now_ms(c->ctx) + ms, why);
	log_warn(AI_CAT, "cooldown tenant=%lld integration=%lld name=%s "
		 "for_ms=%llu why=\"%s\"", (long long)c->tenant,
		 (long long)h->id, h->name, (unsigned long long)ms, why);
}

/*
 * The policy on one hop. model_out (may be NULL) names the model that
 * answered, for the usage row.
 */
static enum hop_result run_hop(struct call *c, size_t i, struct ai_provider *p,
			       const char *(*answered)(struct call *c))
{
	const struct ai_hop *h = &c->route->hop[i];
	int last = i + 1 == c->route->n;
	int64_t max_retries = setting_int(p, "max_retries", AI_DEFAULT_RETRIES);
	uint64_t max_wait = (uint64_t)c->route->max_wait_s * 1000;
	const char *gone = last ? AI_OUT_FAILED : AI_OUT_FELL_BACK;
	char err[1024], why[1200];
	pulse_usage u;

	for (uint32_t attempt = 1;; attempt++) {
		uint64_t t0 = ai_now_ms(c->ctx), lat, wait;
		int32_t rc = c->op(c, p, &u, err, sizeof(err));

		lat = ai_now_ms(c->ctx) - t0;
		c->attempts++;
		if (rc == PULSE_OK) {
			record(c, h, p, &u, answered ? answered(c) : NULL, lat,
			       AI_OUT_OK, NULL);
			ai_cooldown_clear(h->id);
			return HOP_OK;
		}
		snprintf(why, sizeof(why), "%s (%s)", err, class_word(rc));
		if (rc == PULSE_ERR_TRANSIENT) {
			wait = u.retry_after_ms ? u.retry_after_ms :
			       backoff_ms(attempt);
			if ((int64_t)attempt <= max_retries && wait <= max_wait) {
				record(c, h, p, &u, NULL, lat, AI_OUT_RETRIED, why);
				log_info(AI_CAT, "retry tenant=%lld integration=%lld "
					 "attempt=%u wait_ms=%llu error=\"%s\"",
					 (long long)c->tenant, (long long)h->id,
					 attempt, (unsigned long long)wait, err);
				ai_sleep_ms(c->ctx, wait);
				continue;
			}
			if (wait > max_wait)
				snprintf(why + strlen(why), sizeof(why) - strlen(why),
					 "; asked to wait %llu ms, more than "
					 "max_wait_s %u", (unsigned long long)wait,
					 c->route->max_wait_s);
			else
				snprintf(why + strlen(why), sizeof(why) - strlen(why),
					 " after %u attempts", attempt);
			record(c, h, p, &u, NULL, lat, gone, why);
			cool(c, h, u.retry_after_ms, err);
			agg_add(c, h, why);
			return HOP_NEXT;
		}
		record(c, h, p, &u, NULL, lat,
		       rc == PULSE_ERR_FALLBACK || rc == PULSE_ERR_PERMANENT ||
		       rc == PULSE_ERR ? gone : AI_OUT_FAILED, why);
		agg_add(c, h, why);
		if (rc == PULSE_ERR_FALLBACK)
			return HOP_NEXT; /* this request only: no cooldown */
		if (rc == PULSE_ERR_PERMANENT || rc == PULSE_ERR) {
			cool(c, h, 0, err);
			return HOP_NEXT;
		}
		return HOP_STOP; /* INVALID, CANCELLED: nowhere else helps */
	}
}

/* Is hop i cooling down? Then note it and say so. */
static int hop_cooling(struct call *c, size_t i)
{
	const struct ai_hop *h = &c->route->hop[i];
	char why[300], msg[400];
	uint64_t left = ai_cooldown_left(h->id, ai_now_ms(c->ctx), why,
					 sizeof(why));

	if (!left)
		return 0;
	snprintf(msg, sizeof(msg), "skipped, cooling down for %llu s more "
		 "after: %s", (unsigned long long)(left + 999) / 1000, why);
	agg_add(c, h, msg);
	return 1;
}

/* ---- embedding ---- */

/* Open hop i of e if needed and check it serves e's model. 0 or -1 with
 * e->unusable[i] saying why. */
static int hop_ready(struct ai_embedder *e, size_t i)
{
	const struct ai_hop *h = &e->route.hop[i];
	const char *model;
	uint32_t dim, batch;
	char err[1024];

	if (e->unusable[i][0])
		return -1;
	if (!e->prov[i]) {
		if (ai_provider_open(&(struct ai_env_ref){e->ctx->db, e->ctx->ld, e->ctx->key, e->ctx->conf}, e->tenant, h->id, PULSE_KIND_EMBEDDER,
				     &e->prov[i], err, sizeof(err)) < 0) {
			snprintf(e->unusable[i], sizeof(e->unusable[i]), "%.300s", err);
			return -1;
		}
		if (ai_provider_embed_info(e->prov[i], &model, &dim, &batch, err,
					   sizeof(err)) != PULSE_OK) {
			snprintf(e->unusable[i], sizeof(e->unusable[i]), "%.300s", err);
			goto drop;
		}
		if (!e->model[0]) { /* the first provider names the model */
			snprintf(e->model, sizeof(e->model), "%s", model);
			e->dim = dim;
		} else if (strcmp(model, e->model) || dim != e->dim) {
			snprintf(e->unusable[i], sizeof(e->unusable[i]),
				 "serves model %s with %u dimensions, but the "
				 "%s vectors of this tenant are %s with %u; "
				 "re-vectorize to change models (docs/ai.md)",
				 model, dim, e->route.context, e->model, e->dim);
			goto drop;
		}
	}
	return 0;
drop:
	ai_provider_close(e->prov[i]);
	e->prov[i] = NULL;
	return -1;
}

int ai_embedder_open(struct ai_ctx *ctx, int64_t tenant, const char *context,
		     struct ai_embedder **out, char *err, size_t errlen)
{
	struct ai_embedder *e = calloc(1, sizeof(*e));
	struct call c;
	int rc;

	*out = NULL;
	if (!e) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	e->ctx = ctx;
	e->tenant = tenant;
	if (ai_context_kind(context) != PULSE_KIND_EMBEDDER) {
		snprintf(err, errlen, "context '%s' is not an embedding context "
			 "(etl or search)", context ? context : "(null)");
		goto fail;
	}
	if (ai_route_resolve(ctx->db, ctx->ld, tenant, context, &e->route,
			     err, errlen) != 0)
		goto fail;
	rc = ai_pin_get(ctx->db, tenant, context, e->model, sizeof(e->model),
			&e->dim, err, errlen);
	if (rc < 0)
		goto fail;
	e->pinned = rc;
	if (e->pinned) {
		*out = e;
		return 0;
	}
	/* Not pinned yet: the first provider that opens names the model. */
	memset(&c, 0, sizeof(c));
	c.ctx = ctx;
	c.tenant = tenant;
	c.route = &e->route;
	for (size_t i = 0; i < e->route.n; i++) {
		if (hop_cooling(&c, i))
			continue;
		if (hop_ready(e, i) == 0) {
			*out = e;
			return 0;
		}
		agg_add(&c, &e->route.hop[i], e->unusable[i]);
	}
	agg_err(&c, err, errlen);
fail:
	ai_embedder_close(e);
	return -1;
}

const char *ai_embedder_model(const struct ai_embedder *e)
{
	return e->model;
}

uint32_t ai_embedder_dim(const struct ai_embedder *e)
{
	return e->dim;
}

struct embed_arg {
	struct ai_embedder *e;
	const char *const *texts;
	uint32_t n;
	float *out;
	pulse_usage last;             /* of the latest call */
};

static int32_t op_embed(struct call *c, struct ai_provider *p, pulse_usage *u,
			char *err, size_t errlen)
{
	struct embed_arg *a = c->arg;
	int32_t rc = ai_provider_embed(p, a->texts, a->n, a->out, a->e->dim,
				       u, err, errlen);

	a->last = *u;
	return rc;
}

static int pin_now(struct ai_embedder *e, int64_t id, char *err,
		   size_t errlen)
{
	int rc = ai_pin_set(e->ctx->db, e->tenant, e->route.context, e->model,
			    e->dim, id, err, errlen);

	if (rc == 0)
		e->pinned = 1;
	return rc == 0 ? 0 : -1;
}

int ai_embed(struct ai_embedder *e, const char *const *texts, uint32_t n,
	     float *out, uint64_t *tokens, char *err, size_t errlen)
{
	struct embed_arg a = {.e = e, .texts = texts, .n = n, .out = out};
	struct call c;

	if (tokens)
		*tokens = 0;
	if (n == 0)
		return 0;
	memset(&c, 0, sizeof(c));
	c.ctx = e->ctx;
	c.tenant = e->tenant;
	c.route = &e->route;
	c.operation = "embed";
	c.model = e->model;
	c.items = n;
	c.op = op_embed;
	c.arg = &a;
	for (size_t i = 0; i < e->route.n; i++) {
		enum hop_result r;

		if (hop_cooling(&c, i))
			continue;
		if (hop_ready(e, i) < 0) {
			agg_add(&c, &e->route.hop[i], e->unusable[i]);
			continue;
		}
		r = run_hop(&c, i, e->prov[i], NULL);
		if (r == HOP_OK) {
			if (tokens)
				*tokens = a.last.total_tokens ? a.last.total_tokens :
					  a.last.prompt_tokens;
			if (!e->pinned &&
			    pin_now(e, e->route.hop[i].id, err, errlen) < 0)
				return -1;
			return 0;
		}
		if (r == HOP_STOP)
			break;
	}
	agg_err(&c, err, errlen);
	return -1;
}

void ai_embedder_close(struct ai_embedder *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < AI_MAX_HOPS; i++)
		ai_provider_close(e->prov[i]);
	free(e);
}

/* ---- chat ---- */

struct chat_arg {
	const struct ai_chat_req *req;
	pulse_chat_message *msgs;
	pulse_chat_result res;
	const char *model;           /* asked for, or NULL */
};

static int32_t op_chat(struct call *c, struct ai_provider *p, pulse_usage *u,
		       char *err, size_t errlen)
{
	struct chat_arg *a = c->arg;
	pulse_chat_request q;

	memset(&q, 0, sizeof(q));
	q.struct_size = sizeof(q);
	q.abi_major = PULSE_ABI_MAJOR;
	q.abi_minor = PULSE_ABI_MINOR;
	q.model = a->model;
	q.messages = a->msgs;
	q.n_messages = a->req->n_messages;
	q.max_tokens = a->req->max_tokens;
	q.temperature_milli = a->req->temperature_milli;
	q.flags = a->req->json ? PULSE_CHAT_JSON : 0;
	q.json_schema = a->req->json_schema;
	q.json_schema_name = a->req->json_schema_name;
	q.json_schema_strict = a->req->json_schema_strict ? 1 : 0;
	return ai_provider_chat(p, &q, &a->res, u, err, errlen);
}

static const char *chat_answered(struct call *c)
{
	struct chat_arg *a = c->arg;

	return a->res.model ? a->res.model : a->model;
}

static int chat_copy(struct chat_arg *a, const struct ai_hop *h,
		     const pulse_usage *u, struct ai_chat_reply *out)
{
	const char *model = a->res.model ? a->res.model :
			    a->model ? a->model : "";

	out->text = a->res.text ? strndup(a->res.text, a->res.text_len ?
					  (size_t)a->res.text_len :
					  strlen(a->res.text)) : strdup("");
	out->model = strdup(model);
	out->integration_id = h->id;
	out->prompt_tokens = u->prompt_tokens;
	out->completion_tokens = u->completion_tokens;
	return out->text && out->model ? 0 : -1;
}

/* The op with the usage it filled, kept for the reply. */
struct chat_call {
	struct call c;
	pulse_usage last;
};

static int32_t op_chat_keep(struct call *c, struct ai_provider *p,
			    pulse_usage *u, char *err, size_t errlen)
{
	struct chat_call *cc = (struct chat_call *)c;
	int32_t rc = op_chat(c, p, u, err, errlen);

	cc->last = *u;
	return rc;
}

int ai_chat(struct ai_ctx *ctx, int64_t tenant, const char *context,
	    const struct ai_chat_req *req, struct ai_chat_reply *out,
	    char *err, size_t errlen)
{
	struct ai_route route;
	struct chat_arg a;
	struct chat_call cc;
	int rc = -1, oom = 0;

	memset(out, 0, sizeof(*out));
	memset(&a, 0, sizeof(a));
	if (!context)
		context = AI_CTX_QUERY;
	if (ai_context_kind(context) != PULSE_KIND_LLM) {
		snprintf(err, errlen, "context '%s' is not a chat context (query)",
			 context);
		return -1;
	}
	rc = ai_route_resolve(ctx->db, ctx->ld, tenant, context, &route, err,
			      errlen);
	if (rc != 0)
		return rc;
	rc = -1;
	if (!req || !req->n_messages) {
		snprintf(err, errlen, "a chat request needs at least one message");
		return -1;
	}
	a.req = req;
	if (!(a.msgs = calloc(req->n_messages, sizeof(*a.msgs)))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (uint32_t i = 0; i < req->n_messages; i++) {
		a.msgs[i].struct_size = sizeof(a.msgs[i]);
		a.msgs[i].abi_major = PULSE_ABI_MAJOR;
		a.msgs[i].abi_minor = PULSE_ABI_MINOR;
		a.msgs[i].role = req->messages[i].role;
		a.msgs[i].content = req->messages[i].content;
	}
	memset(&cc, 0, sizeof(cc));
	cc.c.ctx = ctx;
	cc.c.tenant = tenant;
	cc.c.route = &route;
	cc.c.operation = req->operation ? req->operation : "chat";
	cc.c.items = req->n_messages;
	cc.c.op = op_chat_keep;
	cc.c.arg = &a;
	for (size_t i = 0; i < route.n; i++) {
		struct ai_provider *p = NULL;
		enum hop_result r;
		char oerr[1024];

		if (hop_cooling(&cc.c, i))
			continue;
		if (ai_provider_open(&(struct ai_env_ref){ctx->db, ctx->ld, ctx->key, ctx->conf}, tenant, route.hop[i].id, PULSE_KIND_LLM,
				     &p, oerr, sizeof(oerr)) < 0) {
			agg_add(&cc.c, &route.hop[i], oerr);
			continue;
		}
		/* gateway_route: the model asked of providers that take one */
		a.model = route.gateway_route[0] &&
			  settings_field_type(loader_find(ctx->ld,
					      route.hop[i].plugin), "chat_model") ?
			  route.gateway_route : NULL;
		cc.c.model = a.model ? a.model : setting_str(p, "chat_model");
		r = run_hop(&cc.c, i, p, chat_answered);
		if (r == HOP_OK) {
			rc = chat_copy(&a, &route.hop[i], &cc.last, out);
			out->attempts = cc.c.attempts;
			if (rc < 0) {
				ai_chat_reply_free(out);
				oom = 1;
				snprintf(err, errlen, "out of memory");
			}
		}
		ai_provider_close(p);
		if (r != HOP_NEXT)
			break;
	}
	if (rc < 0 && !oom)
		agg_err(&cc.c, err, errlen);
	free(a.msgs);
	return rc;
}

void ai_chat_reply_free(struct ai_chat_reply *r)
{
	if (!r)
		return;
	free(r->text);
	free(r->model);
	memset(r, 0, sizeof(*r));
}
