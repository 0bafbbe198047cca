/*
 * route_guard: the checks an integration's settings pass before they are
 * saved (`integration add/update`, POST/PATCH /api/v1/integrations):
 * ai_model_config is validated against the tenant's integrations and the
 * plugins involved, and an update may not change the embedding model
 * behind a tenant's pinned vectors unless it re-vectorizes.
 */
#ifndef PULSE_AI_ROUTE_GUARD_H
#define PULSE_AI_ROUTE_GUARD_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

struct json_object;
struct loader;

/*
 * Check settings (without defaults, as saved) of integration self_name
 * (plugin self_plugin; self_id 0 when it is being added, else its id and
 * old_settings its current settings) for tenant. re_vectorize: the
 * caller will clear the pins and re-embed (vz_rebuild), so a model
 * change is allowed. 0, or -1 with err naming the field, or, for a
 * pinned model, both models and the remedy.
 */
int ai_settings_guard(PGconn *db, struct loader *ld, int64_t tenant,
		      struct json_object *settings, const char *self_name,
		      const char *self_plugin, int64_t self_id,
		      struct json_object *old_settings, int re_vectorize,
		      char *err, size_t errlen);

#endif
