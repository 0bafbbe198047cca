/* route_guard: settings checks before an AI integration is saved. */
#include "config.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "ai/provider.h"
#include "ai/route_guard.h"
#include "ai/route_int.h"
#include "plugin/loader.h"
#include "plugin/settings.h"

/* The fields that choose an embedder's model and size. */
static const char *const model_keys[] = {"embedding_model", "model", NULL};
static const char *const dim_keys[] = {"embedding_dimensions", "dimension", NULL};

/* The first of keys in settings-with-defaults, as text ("" if none). */
static void pick(struct json_object *set, const char *const *keys, char *out,
		 size_t len)
{
	struct json_object *v;

	out[0] = '\0';
	for (size_t k = 0; set && keys[k] && !out[0]; k++)
		if (json_object_object_get_ex(set, keys[k], &v) && v)
			snprintf(out, len, "%s", json_object_get_string(v));
}

/* Does integration id serve context's route now? 1, 0, or -1 (err). */
static int in_route(PGconn *db, struct loader *ld, int64_t tenant,
		    const char *context, int64_t id, char *err, size_t errlen)
{
	struct ai_route r;
	int rc = ai_route_resolve(db, ld, tenant, context, &r, err, errlen);

	if (rc != 0)
		return 0; /* no route, or a bad config: nothing pinned to guard */
	for (size_t k = 0; k < r.n; k++)
		if (r.hop[k].id == id)
			return 1;
	return 0;
}

/* Refuse a change of model or size of a provider behind pinned vectors. */
static int pin_guard(PGconn *db, struct loader *ld, int64_t tenant,
		     const struct plugin *p, struct json_object *settings,
		     const char *self_name, int64_t self_id,
		     struct json_object *old_settings, char *err,
		     size_t errlen)
{
	static const char *const ctxs[] = {AI_CTX_ETL, AI_CTX_SEARCH};
	struct json_object *olds = NULL, *news = NULL;
	char om[128], nm[128], od[24], nd[24], pm[128], e2[256];
	uint32_t pdim;
	int rc = 0, got;

	if (!ai_plugin_serves(p, PULSE_KIND_EMBEDDER))
		return 0;
	olds = settings_with_defaults(p, old_settings, e2, sizeof(e2));
	news = settings_with_defaults(p, settings, e2, sizeof(e2));
	pick(olds, model_keys, om, sizeof(om));
	pick(news, model_keys, nm, sizeof(nm));
	pick(olds, dim_keys, od, sizeof(od));
	pick(news, dim_keys, nd, sizeof(nd));
	if (!strcmp(om, nm) && !strcmp(od, nd))
		goto out; /* the model is not being changed */
	for (size_t k = 0; k < 2 && rc == 0; k++) {
		if ((got = ai_pin_get(db, tenant, ctxs[k], pm, sizeof(pm), &pdim,
				      err, errlen)) < 0) {
			rc = -1;
			break;
		}
		if (!got)
			continue;
		if ((got = in_route(db, ld, tenant, ctxs[k], self_id, err,
				    errlen)) <= 0)
			continue;
		snprintf(err, errlen, "integration %lld (%s): the %s vectors of "
			 "this tenant are pinned to model %s (%u dimensions), and "
			 "this update changes the model from %s%s%s to %s%s%s; "
			 "vectors of two models cannot be compared. To change "
			 "models, re-vectorize: repeat the update with "
			 "--re-vectorize (API: \"re_vectorize\": true), which "
			 "clears the pin and queues every row to be embedded again "
			 "(`pulse-host vectorize rebuild`)", (long long)self_id,
			 self_name, ctxs[k], pm, pdim, om[0] ? om : "?",
			 od[0] && strcmp(od, "0") ? "/" : "",
			 od[0] && strcmp(od, "0") ? od : "", nm[0] ? nm : "?",
			 nd[0] && strcmp(nd, "0") ? "/" : "",
			 nd[0] && strcmp(nd, "0") ? nd : "");
		rc = -1;
	}
out:
	json_object_put(olds);
	json_object_put(news);
	return rc;
}

int ai_settings_guard(PGconn *db, struct loader *ld, int64_t tenant,
		      struct json_object *settings, const char *self_name,
		      const char *self_plugin, int64_t self_id,
		      struct json_object *old_settings, int re_vectorize,
		      char *err, size_t errlen)
{
	const struct plugin *p = loader_find(ld, self_plugin);
	struct json_object *cfg;

	if (!p || p->info.kind == PULSE_KIND_SOURCE)
		return 0;
	if (json_object_object_get_ex(settings, SETTINGS_AI_MODEL_CONFIG, &cfg) &&
	    ai_config_validate(db, ld, tenant, cfg, self_name, self_plugin, err,
			       errlen) < 0)
		return -1;
	if (self_id > 0 && !re_vectorize)
		return pin_guard(db, ld, tenant, p, settings, self_name, self_id,
				 old_settings, err, errlen);
	return 0;
}
