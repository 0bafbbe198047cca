/*
 * route_report: provider health and context capabilities of a tenant as
 * JSON, for `pulse-host ai health` and the REST API (api_ai.c). Only
 * figures and names: no settings values other than model names, never a
 * secret.
 */
#include "config.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ai/route_int.h"
#include "ai/route_report.h"
#include "db/db.h"
#include "plugin/loader.h"
#include "plugin/settings.h"

#define STR_(x) #x
#define STR(x) STR_(x)

static json_object *num_or_null(const PGresult *r, int row, int col)
{
	const char *v;

	if (PQgetisnull(r, row, col))
		return NULL;
	v = PQgetvalue(r, row, col);
	return json_object_new_double_s(atof(v), v);
}

/* Open anomalies, all (id 0) or of one integration, as an array. */
static json_object *anomalies(const PGresult *r, int64_t id)
{
	json_object *a = json_object_new_array();

	for (int k = 0; k < PQntuples(r); k++) {
		json_object *o;

		if (id && db_int64(r, k, 1) != id)
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "id", json_object_new_int64(db_int64(r, k, 0)));
		json_object_object_add(o, "integration_id", PQgetisnull(r, k, 1) ?
				       NULL : json_object_new_int64(db_int64(r, k, 1)));
		json_object_object_add(o, "model", json_object_new_string(PQgetvalue(r, k, 2)));
		json_object_object_add(o, "metric", json_object_new_string(PQgetvalue(r, k, 3)));
		json_object_object_add(o, "baseline", num_or_null(r, k, 4));
		json_object_object_add(o, "observed", num_or_null(r, k, 5));
		json_object_object_add(o, "window_calls", json_object_new_int64(db_int64(r, k, 6)));
		json_object_object_add(o, "detected_at", json_object_new_string(PQgetvalue(r, k, 7)));
		json_object_array_add(a, o);
	}
	return a;
}

#define ANOMALIES_SQL \
	"SELECT id, integration_id, model, metric, baseline, observed," \
	" window_calls, to_char(detected_at AT TIME ZONE 'UTC'," \
	" 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM ai_anomalies WHERE" \
	" tenant_id = $1 AND detected_at >= now() - interval '" \
	STR(AI_ANOM_OPEN_MIN) " minutes' ORDER BY detected_at DESC, id DESC"

/* One statement in a tenant transaction; the result or NULL. */
static PGresult *tenant_query(PGconn *db, int64_t tenant, const char *sql,
			      char *err, size_t errlen)
{
	char t[24];
	const char *p[1] = {db_i64(t, tenant)};
	PGresult *r;

	if (db_tenant_begin(db, tenant, err, errlen) < 0)
		return NULL;
	r = db_query(db, err, errlen, sql, 1, p);
	if (!r || db_commit(db, err, errlen) < 0) {
		PQclear(r);
		db_rollback(db);
		return NULL;
	}
	return r;
}

json_object *ai_anomalies_json(PGconn *db, int64_t tenant, char *err,
			       size_t errlen)
{
	PGresult *r = tenant_query(db, tenant, ANOMALIES_SQL, err, errlen);
	json_object *a;

	if (!r)
		return NULL;
	a = anomalies(r, 0);
	PQclear(r);
	return a;
}

/* ---- health ---- */

#define HEALTH_SQL \
	"SELECT i.id, i.name, i.plugin, i.type, i.enabled, count(u.id)," \
	" count(u.id) FILTER (WHERE u.outcome <> 'ok')," \
	" round(count(u.id) FILTER (WHERE u.outcome <> 'ok')::numeric /" \
	" nullif(count(u.id), 0), 4)," \
	" percentile_disc(0.95) WITHIN GROUP (ORDER BY u.latency_ms)" \
	" FILTER (WHERE u.outcome = 'ok')" \
	" FROM integrations i LEFT JOIN ai_usage u ON u.integration_id = i.id" \
	" AND u.tenant_id = $1 AND u.created_at >= now() - interval '" \
	STR(AI_ANOM_RECENT_MIN) " minutes' WHERE i.tenant_id = $1 AND" \
	" i.type IN ('AI', 'Embedding') GROUP BY i.id ORDER BY i.id"

static json_object *cooldown_json(int64_t id)
{
	json_object *o = json_object_new_object();
	char why[300];
	uint64_t left = ai_cooldown_left(id, ai_now_ms(NULL), why, sizeof(why));

	json_object_object_add(o, "cooling", json_object_new_boolean(left > 0));
	json_object_object_add(o, "left_s", json_object_new_int64(
		(int64_t)((left + 999) / 1000)));
	json_object_object_add(o, "reason", left ? json_object_new_string(why) : NULL);
	return o;
}

json_object *ai_health_json(PGconn *db, int64_t tenant, char *err,
			    size_t errlen)
{
	PGresult *h = NULL, *an = NULL;
	json_object *o = NULL, *list;

	if (ai_anomaly_check_all(db, tenant, NULL, err, errlen) < 0 ||
	    !(h = tenant_query(db, tenant, HEALTH_SQL, err, errlen)) ||
	    !(an = tenant_query(db, tenant, ANOMALIES_SQL, err, errlen)))
		goto out;
	o = json_object_new_object();
	json_object_object_add(o, "window_minutes", json_object_new_int(AI_ANOM_RECENT_MIN));
	list = json_object_new_array();
	for (int k = 0; k < PQntuples(h); k++) {
		json_object *p = json_object_new_object(), *rec = json_object_new_object();
		int64_t id = db_int64(h, k, 0);

		json_object_object_add(p, "integration_id", json_object_new_int64(id));
		json_object_object_add(p, "name", json_object_new_string(PQgetvalue(h, k, 1)));
		json_object_object_add(p, "plugin", json_object_new_string(PQgetvalue(h, k, 2)));
		json_object_object_add(p, "type", json_object_new_string(PQgetvalue(h, k, 3)));
		json_object_object_add(p, "enabled", json_object_new_boolean(PQgetvalue(h, k, 4)[0] == 't'));
		json_object_object_add(p, "cooldown", cooldown_json(id));
		json_object_object_add(rec, "calls", json_object_new_int64(db_int64(h, k, 5)));
		json_object_object_add(rec, "errors", json_object_new_int64(db_int64(h, k, 6)));
		json_object_object_add(rec, "error_rate", num_or_null(h, k, 7));
		json_object_object_add(rec, "p95_ms", num_or_null(h, k, 8));
		json_object_object_add(p, "recent", rec);
		json_object_object_add(p, "anomalies", anomalies(an, id));
		json_object_array_add(list, p);
	}
	json_object_object_add(o, "providers", list);
	json_object_object_add(o, "anomalies", anomalies(an, 0));
out:
	PQclear(h);
	PQclear(an);
	return o;
}

/* ---- capabilities ---- */

/* settings[key] of integration id with the plugin's defaults, as text
 * (first of keys present and non-empty/non-zero); "" if none. */
static void setting_of(PGconn *db, struct loader *ld, int64_t tenant,
		       const struct ai_hop *h, const char *const *keys,
		       char *out, size_t outlen)
{
	char t[24], i[24], err[256];
	const char *p[2] = {db_i64(t, tenant), db_i64(i, h->id)};
	json_object *raw = NULL, *set = NULL, *v;
	PGresult *r;

	out[0] = '\0';
	if (db_tenant_begin(db, tenant, err, sizeof(err)) < 0)
		return;
	r = db_query(db, err, sizeof(err), "SELECT settings FROM integrations"
		     " WHERE tenant_id = $1 AND id = $2", 2, p);
	db_rollback(db);
	if (r && PQntuples(r) == 1)
		raw = json_tokener_parse(PQgetvalue(r, 0, 0));
	PQclear(r);
	if (raw)
		set = settings_with_defaults(loader_find(ld, h->plugin), raw, err,
					     sizeof(err));
	for (size_t k = 0; set && keys[k] && !out[0]; k++)
		if (json_object_object_get_ex(set, keys[k], &v) &&
		    (json_object_is_type(v, json_type_string) ||
		     (json_object_is_type(v, json_type_int) &&
		      json_object_get_int64(v) > 0)))
			snprintf(out, outlen, "%s", json_object_get_string(v));
	json_object_put(set);
	json_object_put(raw);
}

static json_object *context_json(PGconn *db, struct loader *ld, int64_t tenant,
				 const char *context, int *served, char *err,
				 size_t errlen)
{
	static const char *const emb_model[] = {"embedding_model", "model", NULL};
	static const char *const emb_dim[] = {"embedding_dimensions", "dimension", NULL};
	static const char *const chat_model[] = {"chat_model", "model", NULL};
	json_object *o = json_object_new_object(), *list = json_object_new_array();
	struct ai_route r;
	char why[1024], model[128] = "", dim[24] = "";
	uint32_t pdim = 0;
	int rc = ai_route_resolve(db, ld, tenant, context, &r, why, sizeof(why));
	int emb = ai_context_kind(context) == PULSE_KIND_EMBEDDER, pin = 0;

	*served = rc == 0 && r.n > 0;
	json_object_object_add(o, "context", json_object_new_string(context));
	json_object_object_add(o, "kind", json_object_new_string(emb ? "embedder" : "llm"));
	for (size_t k = 0; rc == 0 && k < r.n; k++) {
		json_object *h = json_object_new_object();

		json_object_object_add(h, "integration_id", json_object_new_int64(r.hop[k].id));
		json_object_object_add(h, "name", json_object_new_string(r.hop[k].name));
		json_object_object_add(h, "plugin", json_object_new_string(r.hop[k].plugin));
		json_object_object_add(h, "source", json_object_new_string(
			r.hop[k].local ? "local" : "external"));
		json_object_array_add(list, h);
	}
	json_object_object_add(o, "providers", list);
	json_object_object_add(o, "why", json_object_new_string(rc == 0 ? r.why : why));
	if (emb && (pin = ai_pin_get(db, tenant, context, model, sizeof(model),
				     &pdim, err, errlen)) < 0) {
		json_object_put(o);
		return NULL;
	}
	if (pin) {
		snprintf(dim, sizeof(dim), "%u", pdim);
	} else if (*served) {
		if (!emb && r.gateway_route[0])
			snprintf(model, sizeof(model), "%s", r.gateway_route);
		else
			setting_of(db, ld, tenant, &r.hop[0], emb ? emb_model :
				   chat_model, model, sizeof(model));
		if (emb)
			setting_of(db, ld, tenant, &r.hop[0], emb_dim, dim,
				   sizeof(dim));
	}
	json_object_object_add(o, "model", model[0] ? json_object_new_string(model) : NULL);
	json_object_object_add(o, "dimension", dim[0] ? json_object_new_int64(atoll(dim)) : NULL);
	if (emb) {
		json_object *pm = NULL;

		if (pin) {
			pm = json_object_new_object();
			json_object_object_add(pm, "model", json_object_new_string(model));
			json_object_object_add(pm, "dimension", json_object_new_int64(pdim));
		}
		json_object_object_add(o, "pinned", pm);
	}
	return o;
}

/* Is the ask schema (migration 070) installed? 1, 0 or -1. */
static int ask_schema(PGconn *db, char *err, size_t errlen)
{
	PGresult *r = db_query(db, err, errlen, "SELECT to_regnamespace('ask')"
			       " IS NOT NULL", 0, NULL);
	int rc;

	if (!r)
		return -1;
	rc = PQgetvalue(r, 0, 0)[0] == 't';
	PQclear(r);
	return rc;
}

json_object *ai_capabilities_json(PGconn *db, struct loader *ld,
				  int64_t tenant, char *err, size_t errlen)
{
	static const char *const ctxs[] = {AI_CTX_ETL, AI_CTX_SEARCH, AI_CTX_QUERY};
	json_object *o = json_object_new_object(), *list = json_object_new_array();
	json_object *feat = json_object_new_object(), *x;
	int served[3], schema;

	json_object_object_add(o, "contexts", list);
	json_object_object_add(o, "features", feat);
	for (size_t k = 0; k < 3; k++) {
		if (!(x = context_json(db, ld, tenant, ctxs[k], &served[k], err,
				       errlen)))
			goto fail;
		json_object_array_add(list, x);
	}
	if ((schema = ask_schema(db, err, errlen)) < 0)
		goto fail;
	x = json_object_new_object();
	json_object_object_add(x, "available", json_object_new_boolean(served[1]));
	json_object_object_add(x, "needs", json_object_new_string(
		"a provider for the search context (embeddings)"));
	json_object_object_add(feat, "search", x);
	x = json_object_new_object();
	json_object_object_add(x, "available", json_object_new_boolean(served[2] && schema));
	json_object_object_add(x, "needs", json_object_new_string(
		"a provider for the query context (chat) and the ask schema "
		"(pulse-host migrate)"));
	json_object_object_add(feat, "ask", x);
	return o;
fail:
	json_object_put(o);
	return NULL;
}
