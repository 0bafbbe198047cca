/*
 * route_config: which integrations serve a (tenant, context), from the
 * integrations' ai_model_config or the defaults, and the validation of
 * that config (every error names its field).
 */
#include "config.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ai/provider.h"
#include "ai/route_int.h"
#include "db/db.h"
#include "plugin/loader.h"
#include "plugin/settings.h"

/* An AI/Embedding integration of the tenant, as routing sees it. */
struct cand {
	int64_t id;
	const char *name, *plugin;  /* borrowed from the result */
	struct plugin *p;           /* NULL: not loaded */
	int local;
	struct json_object *cfg;    /* owned: ai_model_config, or NULL */
};

struct cands {
	PGresult *res;
	struct cand *v;
	size_t n;
};

unsigned ai_context_kind(const char *context)
{
	if (!context)
		return 0;
	if (!strcmp(context, AI_CTX_ETL) || !strcmp(context, AI_CTX_SEARCH))
		return PULSE_KIND_EMBEDDER;
	if (!strcmp(context, AI_CTX_QUERY))
		return PULSE_KIND_LLM;
	return 0;
}

static const char *kind_noun(unsigned kind)
{
	return kind == PULSE_KIND_EMBEDDER ? "embeddings" : "chat";
}

/* A provider is local when its plugin takes no base_url: it runs here. */
static int plugin_local(const struct plugin *p)
{
	return !p || settings_field_type(p, "base_url") == 0;
}

static void cands_free(struct cands *c)
{
	for (size_t i = 0; i < c->n; i++)
		json_object_put(c->v[i].cfg);
	free(c->v);
	PQclear(c->res);
	memset(c, 0, sizeof(*c));
}

/* The tenant's enabled AI/Embedding integrations, by id. */
static int cands_load(PGconn *db, struct loader *ld, int64_t tenant,
		      struct cands *c, char *err, size_t errlen)
{
	int rows;

	memset(c, 0, sizeof(*c));
	if (db_tenant_begin(db, tenant, err, errlen) < 0)
		return -1;
	c->res = db_query(db, err, errlen,
			  "SELECT id, name, plugin, settings->'" SETTINGS_AI_MODEL_CONFIG
			  "' FROM integrations WHERE enabled AND type IN ('AI',"
			  " 'Embedding') ORDER BY id", 0, NULL);
	if (!c->res || db_commit(db, err, errlen) < 0) {
		db_rollback(db);
		return -1;
	}
	rows = PQntuples(c->res);
	if (rows > 0 && !(c->v = calloc((size_t)rows, sizeof(*c->v)))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (int i = 0; i < rows; i++) {
		struct cand *k = &c->v[c->n++];

		k->id = db_int64(c->res, i, 0);
		k->name = PQgetvalue(c->res, i, 1);
		k->plugin = PQgetvalue(c->res, i, 2);
		k->p = loader_find(ld, k->plugin);
		k->local = plugin_local(k->p);
		if (!PQgetisnull(c->res, i, 3))
			k->cfg = json_tokener_parse(PQgetvalue(c->res, i, 3));
	}
	return 0;
}

/* A reference: an integration id (number or digits) or a name. */
static struct cand *cands_find(struct cands *c, struct json_object *ref)
{
	const char *s = json_object_get_string(ref);
	char *end;
	long long id;

	if (json_object_is_type(ref, json_type_int)) {
		id = json_object_get_int64(ref);
	} else if (s && *s) {
		id = strtoll(s, &end, 10);
		if (*end)
			id = -1;
	} else {
		return NULL;
	}
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].id == id || (s && !strcmp(c->v[i].name, s)))
			return &c->v[i];
	return NULL;
}

static void hop_set(struct ai_hop *h, const struct cand *k)
{
	memset(h, 0, sizeof(*h));
	h->id = k->id;
	snprintf(h->name, sizeof(h->name), "%s", k->name);
	snprintf(h->plugin, sizeof(h->plugin), "%s", k->plugin);
	h->local = k->local;
}

static int source_ok(const char *source, int local)
{
	if (!source[0])
		return 1;
	return !strcmp(source, "local") ? local : !local;
}

/* Everything that can serve kind: local first for embeddings, external
 * (gateways) first for chat; by id within each group. */
static void route_defaults(struct cands *c, struct ai_route *r)
{
	int want_local_first = r->kind == PULSE_KIND_EMBEDDER;

	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < c->n && r->n < AI_MAX_HOPS; i++) {
			struct cand *k = &c->v[i];
			int first = k->local == want_local_first;

			if ((pass == 0) != first ||
			    !ai_plugin_serves(k->p, r->kind) ||
			    !source_ok(r->source, k->local))
				continue;
			hop_set(&r->hop[r->n++], k);
		}
}

/* ---- validation ---- */

static int check_providers(struct cands *c, unsigned kind, const char *path,
			   struct json_object *list, const char *self_name,
			   const char *self_plugin, struct loader *ld,
			   char *err, size_t errlen)
{
	size_t n;

	if (!json_object_is_type(list, json_type_array)) {
		snprintf(err, errlen, "%s: must be a list of integration ids or "
			 "names, e.g. [\"local-embed\", 7]", path);
		return -1;
	}
	n = json_object_array_length(list);
	if (n > AI_MAX_HOPS) {
		snprintf(err, errlen, "%s: %zu providers; at most %d", path, n,
			 AI_MAX_HOPS);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(list, i);
		const char *s = json_object_get_string(e);
		struct cand *k = cands_find(c, e);
		const struct plugin *p = k ? k->p : NULL;

		if (!k && self_name && s && !strcmp(s, self_name)) {
			p = loader_find(ld, self_plugin);
		} else if (!k) {
			snprintf(err, errlen, "%s[%zu]: no enabled AI or Embedding "
				 "integration '%s' in this tenant; see `pulse-host "
				 "integration list`", path, i, s ? s : "?");
			return -1;
		}
		if (!ai_plugin_serves(p, kind)) {
			snprintf(err, errlen, "%s[%zu]: integration '%s' (plugin "
				 "'%s') does not serve %s, which this context needs",
				 path, i, s ? s : "?", k ? k->plugin : self_plugin,
				 kind_noun(kind));
			return -1;
		}
	}
	return 0;
}

/* gateway_route names a model: some plugin of the route must take one. */
static int check_gateway_route(struct cands *c, unsigned kind,
			       const char *path, struct json_object *v,
			       struct json_object *list, char *err,
			       size_t errlen)
{
	const char *field = kind == PULSE_KIND_EMBEDDER ? "embedding_model" :
			    "chat_model";

	if (!json_object_is_type(v, json_type_string) ||
	    !json_object_get_string_len(v)) {
		snprintf(err, errlen, "%s: must be a model name (text)", path);
		return -1;
	}
	for (size_t i = 0; list && i < json_object_array_length(list); i++) {
		struct cand *k = cands_find(c, json_object_array_get_idx(list, i));

		if (k && k->p && settings_field_type(k->p, field))
			return 0;
	}
	for (size_t i = 0; !list && i < c->n; i++)
		if (c->v[i].p && settings_field_type(c->v[i].p, field))
			return 0;
	snprintf(err, errlen, "%s: no provider of this route declares the "
		 "field '%s' that a gateway route overrides; add a gateway "
		 "integration to the route or drop gateway_route", path, field);
	return -1;
}

static int check_uint(const char *path, struct json_object *v, int64_t lo,
		      int64_t hi, char *err, size_t errlen)
{
	int64_t x;

	if (!json_object_is_type(v, json_type_int) ||
	    (x = json_object_get_int64(v)) < lo || x > hi) {
		snprintf(err, errlen, "%s: must be a whole number from %lld to "
			 "%lld", path, (long long)lo, (long long)hi);
		return -1;
	}
	return 0;
}

static int check_context(struct cands *c, struct loader *ld,
			 const char *ctxname, struct json_object *v,
			 const char *self_name, const char *self_plugin,
			 char *err, size_t errlen)
{
	unsigned kind = ai_context_kind(ctxname);
	struct json_object *list = NULL;
	char path[160];

	if (json_object_is_type(v, json_type_array)) {
		snprintf(path, sizeof(path), "ai_model_config.%s", ctxname);
		return check_providers(c, kind, path, v, self_name, self_plugin,
				       ld, err, errlen);
	}
	if (!json_object_is_type(v, json_type_object)) {
		snprintf(err, errlen, "ai_model_config.%s: must be a list of "
			 "providers or an object {\"providers\": [...], "
			 "\"source\": \"local\", ...}", ctxname);
		return -1;
	}
	json_object_object_get_ex(v, "providers", &list);
	json_object_object_foreach(v, key, val) {
		snprintf(path, sizeof(path), "ai_model_config.%s.%s", ctxname, key);
		if (!strcmp(key, "providers")) {
			if (check_providers(c, kind, path, val, self_name,
					    self_plugin, ld, err, errlen) < 0)
				return -1;
		} else if (!strcmp(key, "source")) {
			const char *s = json_object_get_string(val);

			if (!json_object_is_type(val, json_type_string) ||
			    (strcmp(s, "local") && strcmp(s, "external"))) {
				snprintf(err, errlen, "%s: must be \"local\" or "
					 "\"external\"", path);
				return -1;
			}
		} else if (!strcmp(key, "gateway_route")) {
			if (check_gateway_route(c, kind, path, val, list, err,
						errlen) < 0)
				return -1;
		} else if (!strcmp(key, "cooldown_s")) {
			if (check_uint(path, val, 0, 86400, err, errlen) < 0)
				return -1;
		} else if (!strcmp(key, "max_wait_s")) {
			if (check_uint(path, val, 0, 3600, err, errlen) < 0)
				return -1;
		} else {
			snprintf(err, errlen, "%s: unknown field; valid fields: "
				 "providers, source, gateway_route, cooldown_s, "
				 "max_wait_s", path);
			return -1;
		}
	}
	return 0;
}

static int validate(struct cands *c, struct loader *ld,
		    struct json_object *cfg, const char *self_name,
		    const char *self_plugin, char *err, size_t errlen)
{
	if (!json_object_is_type(cfg, json_type_object)) {
		snprintf(err, errlen, "ai_model_config: must be a JSON object "
			 "keyed by context (etl, search, query)");
		return -1;
	}
	json_object_object_foreach(cfg, key, val) {
		if (!ai_context_kind(key)) {
			snprintf(err, errlen, "ai_model_config.%s: unknown context; "
				 "valid contexts: etl, search, query", key);
			return -1;
		}
		if (check_context(c, ld, key, val, self_name, self_plugin, err,
				  errlen) < 0)
			return -1;
	}
	return 0;
}

int ai_config_validate(PGconn *db, struct loader *ld, int64_t tenant,
		       struct json_object *cfg, const char *self_name,
		       const char *self_plugin, char *err, size_t errlen)
{
	struct cands c;
	int rc;

	if (cands_load(db, ld, tenant, &c, err, errlen) < 0) {
		cands_free(&c);
		return -1;
	}
	rc = validate(&c, ld, cfg, self_name, self_plugin, err, errlen);
	cands_free(&c);
	return rc;
}

/* ---- resolution ---- */

static void apply_object(struct ai_route *r, struct json_object *v)
{
	struct json_object *x;

	if (json_object_object_get_ex(v, "source", &x))
		snprintf(r->source, sizeof(r->source), "%s",
			 json_object_get_string(x));
	if (json_object_object_get_ex(v, "gateway_route", &x))
		snprintf(r->gateway_route, sizeof(r->gateway_route), "%s",
			 json_object_get_string(x));
	if (json_object_object_get_ex(v, "cooldown_s", &x))
		r->cooldown_s = (uint32_t)json_object_get_int64(x);
	if (json_object_object_get_ex(v, "max_wait_s", &x))
		r->max_wait_s = (uint32_t)json_object_get_int64(x);
}

/* The configured route of k for r->context; 0, or -1 naming the field. */
static int route_configured(struct cands *c, struct loader *ld,
			    struct cand *k, struct json_object *v,
			    struct ai_route *r, char *err, size_t errlen)
{
	struct json_object *list = v;
	char bad[512];

	if (check_context(c, ld, r->context, v, NULL, NULL, bad,
			  sizeof(bad)) < 0) {
		snprintf(err, errlen, "integration %lld (%s): %s; fix it with "
			 "`pulse-host integration update %lld`", (long long)k->id,
			 k->name, bad, (long long)k->id);
		return -1;
	}
	if (json_object_is_type(v, json_type_object)) {
		apply_object(r, v);
		list = NULL;
		json_object_object_get_ex(v, "providers", &list);
	}
	snprintf(r->why, sizeof(r->why), "ai_model_config.%s of integration "
		 "%lld (%s)", r->context, (long long)k->id, k->name);
	r->config_from = k->id;
	for (size_t i = 0; list && i < json_object_array_length(list) &&
	     r->n < AI_MAX_HOPS; i++) {
		struct cand *h = cands_find(c, json_object_array_get_idx(list, i));

		if (h && source_ok(r->source, h->local))
			hop_set(&r->hop[r->n++], h);
	}
	if (!list) { /* an object without providers: the defaults, filtered */
		route_defaults(c, r);
		snprintf(r->why, sizeof(r->why), "defaults filtered by "
			 "ai_model_config.%s of integration %lld (%s)",
			 r->context, (long long)k->id, k->name);
	}
	return 0;
}

int ai_route_resolve(PGconn *db, struct loader *ld, int64_t tenant,
		     const char *context, struct ai_route *r, char *err,
		     size_t errlen)
{
	struct json_object *v;
	struct cands c;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	r->kind = ai_context_kind(context);
	if (!r->kind) {
		snprintf(err, errlen, "unknown AI context '%s'; valid contexts: "
			 "etl, search, query", context ? context : "(null)");
		return -1;
	}
	snprintf(r->context, sizeof(r->context), "%s", context);
	r->cooldown_s = AI_DEFAULT_COOLDOWN_S;
	r->max_wait_s = AI_DEFAULT_MAX_WAIT_S;
	if (cands_load(db, ld, tenant, &c, err, errlen) < 0)
		goto out;
	for (size_t i = 0; i < c.n; i++) {
		if (!c.v[i].cfg ||
		    !json_object_object_get_ex(c.v[i].cfg, context, &v))
			continue;
		if (route_configured(&c, ld, &c.v[i], v, r, err, errlen) < 0)
			goto out;
		break;
	}
	if (!r->config_from) {
		route_defaults(&c, r);
		snprintf(r->why, sizeof(r->why), "defaults: %s",
			 r->kind == PULSE_KIND_EMBEDDER ?
			 "local embedders first, then gateways" :
			 "gateways first, then local models");
	}
	rc = 0;
	if (r->n == 0) {
		snprintf(err, errlen, "tenant %lld has no %s provider for context "
			 "'%s' (%s); add an %s integration (docs/ai.md)",
			 (long long)tenant, kind_noun(r->kind), context, r->why,
			 r->kind == PULSE_KIND_EMBEDDER ? "Embedding" : "AI");
		rc = 1;
	}
out:
	cands_free(&c);
	return rc;
}
