/* api_integrations: GET/POST /integrations, GET/PATCH/PUT/DELETE
 * /integrations/ID. Secrets are write-only: a read says "<set>" or
 * "<unset>" per secret field. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ai/route_guard.h"
#include "ai/vectorize.h"
#include "base/conf.h"
#include "base/crypto.h"
#include "base/log.h"
#include "db/db.h"
#include "model/integration.h"
#include "plugin/loader.h"
#include "plugin/settings.h"
#include "server/api_int.h"

void api_integrations_list(struct call *c)
{
	char err[1024];
	PGresult *r = integration_rows(c->db, c->who.tenant, 0, err, sizeof(err));
	json_object *o;

	if (!r) {
		api_reply_db_error(c, err);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "integrations", api_rows_json(r));
	api_reply_json(c->rs, 200, o);
	json_object_put(o);
	PQclear(r);
}

/* {"<field>": "<set>"|"<unset>"} for the plugin's secret fields. */
static json_object *secret_states(struct call *c, const struct integration *in)
{
	struct plugin *p = loader_find(c->a->ld, in->plugin);
	json_object *o = json_object_new_object(), *sec = NULL;
	struct crypto_key key;
	char err[1024];
	size_t i;

	if (in->credentials &&
	    api_load_key(c->a->conf->key_file, &key, "key_file", err, sizeof(err)) == 0) {
		if (integration_secrets(in, &key, &sec, err, sizeof(err)) < 0)
			sec = NULL;
		crypto_wipe(&key, sizeof(key));
	}
	for (i = 0; p && i < p->nfields; i++) {
		if (p->fields[i].type != PULSE_CFG_SECRET &&
		    p->fields[i].type != PULSE_CFG_SECRET_LIST)
			continue;
		json_object_object_add(o, p->fields[i].name, json_object_new_string(
			sec && json_object_object_get_ex(sec, p->fields[i].name, NULL) ?
			"<set>" : "<unset>"));
	}
	if (sec)
		integration_secrets_free(sec);
	return o;
}

/* Read integration c->id of the caller's tenant; 404 otherwise. */
static int integration_load(struct call *c, struct integration *in)
{
	char err[1024];
	int rc = integration_get(c->db, c->id, in, err, sizeof(err));

	db_rollback(c->db);
	if (rc == 0 && in->tenant_id == c->who.tenant)
		return 0;
	if (rc == 0 || rc == 1)
		api_reply_error(c->rs, 404, "not_found", "integration %" PRId64
				" not found", c->id);
	else
		api_reply_db_error(c, err);
	integration_free(in);
	return -1;
}

void api_integrations_get(struct call *c)
{
	struct integration in;
	char err[1024];
	PGresult *r;
	json_object *o;

	if (integration_load(c, &in) < 0)
		return;
	r = integration_rows(c->db, c->who.tenant, c->id, err, sizeof(err));
	if (!r)
		api_reply_db_error(c, err);
	else if (PQntuples(r) == 1) {
		o = api_row_json(r, 0);
		json_object_object_add(o, "secrets", secret_states(c, &in));
		api_reply_json(c->rs, 200, o);
		json_object_put(o);
	} else {
		api_reply_error(c->rs, 404, "not_found", "integration %" PRId64
				" not found", c->id);
	}
	PQclear(r);
	integration_free(&in);
}

/*
 * Validate {"settings": {...}, "secrets": {...}} against plugin p: the
 * secrets are merged into the settings text the way an integration JSON
 * file holds them, so settings_parse() splits them out again. kept
 * (borrowed, or NULL): the secrets stored already, which count for the
 * required fields unless the body gives them anew (a form leaves a
 * secret empty to keep it). New references in *settings and *secrets;
 * -1 with the reply set.
 */
static int validate_settings(struct call *c, const struct plugin *p,
			     json_object *body, int require_all,
			     json_object *kept, json_object **settings,
			     json_object **secrets)
{
	json_object *s = NULL, *sec = NULL, *merged;
	char err[1024];
	int rc;

	json_object_object_get_ex(body, "settings", &s);
	json_object_object_get_ex(body, "secrets", &sec);
	if ((s && !json_object_is_type(s, json_type_object)) ||
	    (sec && !json_object_is_type(sec, json_type_object))) {
		api_reply_error(c->rs, 400, "bad_request",
				"'settings' and 'secrets' must be JSON objects");
		return -1;
	}
	merged = json_object_new_object();
	if (kept) {
		/* only secrets the plugin still declares: an old field
		 * left in the store must not fail the edit */
		json_object_object_foreach(kept, k0, v0) {
			unsigned t = settings_field_type(p, k0);

			if (t == PULSE_CFG_SECRET || t == PULSE_CFG_SECRET_LIST)
				json_object_object_add(merged, k0, json_object_get(v0));
		}
	}
	if (s) {
		json_object_object_foreach(s, k, v)
			json_object_object_add(merged, k, json_object_get(v));
	}
	if (sec) {
		json_object_object_foreach(sec, k2, v2)
			json_object_object_add(merged, k2, json_object_get(v2));
	}
	rc = settings_parse(p, "request body",
			    json_object_to_json_string_ext(merged, JSON_C_TO_STRING_PLAIN),
			    require_all, settings, secrets, err, sizeof(err));
	json_object_put(merged);
	if (rc < 0) {
		api_reply_error(c->rs, 400, "invalid_settings", "%s", err);
		return -1;
	}
	return 0;
}

/* The AI checks of settings (route_guard.h); -1 with the reply set. */
static int guard(struct call *c, json_object *settings, const char *name,
		 const char *plugin, int64_t id, json_object *old, int rev)
{
	char err[1536];

	if (ai_settings_guard(c->db, c->a->ld, c->who.tenant, settings, name,
			      plugin, id, old, rev, err, sizeof(err)) == 0)
		return 0;
	db_rollback(c->db);
	if (db_conn_lost(c->db))
		api_reply_db_error(c, err);
	else
		api_reply_error(c->rs, strstr(err, "pinned to model") ? 409 : 400,
				strstr(err, "pinned to model") ? "model_pinned" :
				"invalid_settings", "%s", err);
	return -1;
}

/* A display name: 1-200 bytes, not blank, no control characters (the
 * body's UTF-8 was checked by api_parse_body). 0, or -1 with a 400. */
static int name_ok(struct call *c, const char *name)
{
	size_t i, n = strlen(name), blank = 1;

	for (i = 0; i < n; i++) {
		if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f) {
			api_reply_error(c->rs, 400, "bad_request", "'name' holds a "
					"control character at byte %zu", i);
			return -1;
		}
		if (name[i] != ' ')
			blank = 0;
	}
	if (blank || n > 200) {
		api_reply_error(c->rs, 400, "bad_request", "'name' must be 1 to "
				"200 characters and not blank; got %zu bytes%s", n,
				n && blank ? " of spaces" : "");
		return -1;
	}
	return 0;
}

void api_integrations_create(struct call *c)
{
	json_object *body = api_parse_body(c), *settings = NULL, *secrets = NULL;
	const char *name, *plugin, *type;
	struct crypto_key key;
	struct plugin *p;
	char err[1024];
	int64_t id = 0;
	int have_key = 0;

	if (!body)
		return;
	name = api_body_str(body, "name");
	plugin = api_body_str(body, "plugin");
	type = api_body_str(body, "type");
	if (!type)
		type = "Data";
	if (!name || !plugin) {
		api_reply_error(c->rs, 400, "bad_request", "'name' and 'plugin' "
				"(strings) are required");
		goto out;
	}
	if (name_ok(c, name) < 0)
		goto out;
	if (strcmp(type, "Data") && strcmp(type, "AI") && strcmp(type, "Embedding")) {
		api_reply_error(c->rs, 400, "bad_request", "'type' must be Data, AI "
				"or Embedding");
		goto out;
	}
	p = loader_find(c->a->ld, plugin);
	if (!p || p->status != PLUGIN_LOADED) {
		api_reply_error(c->rs, 400, "unknown_plugin", "plugin '%s' is not "
				"loaded on this daemon; see `pulse-host plugins`", plugin);
		goto out;
	}
	if (validate_settings(c, p, body, 1, NULL, &settings, &secrets) < 0 ||
	    guard(c, settings, name, plugin, 0, NULL, 0) < 0)
		goto out;
	if (api_load_key(c->a->conf->key_file, &key, "key_file", err, sizeof(err)) < 0) {
		api_reply_error(c->rs, 500, "key_file", "%s", err);
		goto out;
	}
	have_key = 1;
	if (integration_add(c->db, &key, c->who.tenant, name, type, plugin,
			    settings, secrets, &id, err, sizeof(err)) < 0) {
		db_rollback(c->db);
		/* Only our own message is shown; the server's stays in the log. */
		if (strstr(err, "already has an integration named"))
			api_reply_error(c->rs, 409, "conflict", "the tenant already "
					"has an integration named '%s'", name);
		else
			api_reply_db_error(c, err);
		goto out;
	}
	log_info("API", "integration=%" PRId64 " action=create plugin=%s sub=%s",
		 id, plugin, c->who.sub);
	c->id = id;
	api_integrations_get(c);
	if (c->rs->status == 200)
		c->rs->status = 201;
out:
	if (have_key)
		crypto_wipe(&key, sizeof(key));
	json_object_put(settings);
	if (secrets)
		integration_secrets_free(secrets);
	json_object_put(body);
}

void api_integrations_update(struct call *c)
{
	json_object *body = api_parse_body(c), *settings = NULL, *secrets = NULL,
		    *old = NULL, *v;
	struct integration in;
	struct crypto_key key;
	struct plugin *p;
	const char *settings_json = NULL;
	char err[1024];
	int have_in = 0, have_key = 0, enabled = -1, rev = 0;
	uint64_t requeued = 0;

	if (!body)
		return;
	if (json_object_object_get_ex(body, "name", &v) &&
	    (!json_object_is_type(v, json_type_string) ||
	     name_ok(c, json_object_get_string(v)) < 0)) {
		if (!c->rs->status)
			api_reply_error(c->rs, 400, "bad_request", "'name' must be "
					"a string");
		goto out;
	}
	if (json_object_object_get_ex(body, "enabled", &v) &&
	    !json_object_is_type(v, json_type_boolean)) {
		/* json-c would read the string "false" as true. */
		api_reply_error(c->rs, 400, "bad_request", "'enabled' must be true "
				"or false (a JSON boolean), got %s",
				json_type_to_name(json_object_get_type(v)));
		goto out;
	}
	if (integration_load(c, &in) < 0)
		goto out;
	have_in = 1;
	p = loader_find(c->a->ld, in.plugin);
	if (json_object_object_get_ex(body, "settings", NULL) ||
	    json_object_object_get_ex(body, "secrets", NULL)) {
		if (!p) {
			api_reply_error(c->rs, 409, "unknown_plugin", "plugin '%s' of "
					"integration %" PRId64 " is not loaded", in.plugin,
					c->id);
			goto out;
		}
		/* The stored secrets, so that a required one left out of
		 * the body (kept as it is) still counts. */
		if (in.credentials) {
			if (api_load_key(c->a->conf->key_file, &key, "key_file", err,
					 sizeof(err)) < 0) {
				api_reply_error(c->rs, 500, "key_file", "%s", err);
				goto out;
			}
			have_key = 1;
			if (integration_secrets(&in, &key, &old, err, sizeof(err)) < 0)
				goto dberr;
		}
		/* Settings given: replaced whole; else only secrets change. */
		if (validate_settings(c, p, body,
				      json_object_object_get_ex(body, "settings", NULL),
				      old, &settings, &secrets) < 0)
			goto out;
	}
	if (json_object_object_get_ex(body, "re_vectorize", &v) &&
	    !json_object_is_type(v, json_type_boolean)) {
		api_reply_error(c->rs, 400, "bad_request", "'re_vectorize' must "
				"be true or false (a JSON boolean)");
		goto out;
	}
	rev = json_object_object_get_ex(body, "re_vectorize", &v) &&
	      json_object_get_boolean(v);
	if (json_object_object_get_ex(body, "settings", NULL)) {
		if (guard(c, settings, in.name, in.plugin, c->id, in.settings,
			  rev) < 0)
			goto out;
		settings_json = json_object_to_json_string_ext(settings,
							       JSON_C_TO_STRING_PLAIN);
	}
	if (json_object_object_get_ex(body, "enabled", &v))
		enabled = json_object_get_boolean(v);
	if (integration_update(c->db, c->who.tenant, c->id, settings_json,
			       enabled, api_body_str(body, "name"), err,
			       sizeof(err)) < 0)
		goto dberr;
	if (secrets && json_object_object_length(secrets) > 0) {
		if (!have_key &&
		    api_load_key(c->a->conf->key_file, &key, "key_file", err, sizeof(err)) < 0) {
			api_reply_error(c->rs, 500, "key_file", "%s", err);
			goto out;
		}
		have_key = 1;
		/* Secrets not mentioned are kept (old: read above). */
		if (old) {
			json_object_object_foreach(secrets, k, sv)
				json_object_object_add(old, k, json_object_get(sv));
		}
		if (integration_set_credentials(c->db, &key, &in, old ? old : secrets,
						err, sizeof(err)) < 0)
			goto dberr;
	}
	/* an explicit re-vectorize: clear the pin, queue every row */
	if (rev && vz_rebuild(c->db, c->who.tenant, NULL, &requeued, err,
			      sizeof(err)) < 0)
		goto dberr;
	log_info("API", "integration=%" PRId64 " action=update sub=%s%s", c->id,
		 c->who.sub, rev ? " re_vectorize=1" : "");
	api_integrations_get(c);
	goto out;
dberr:
	db_rollback(c->db);
	if (strcmp(db_last_sqlstate(), "23505") == 0) /* unique_violation */
		api_reply_error(c->rs, 409, "conflict", "the tenant already has "
				"an integration named '%s'",
				api_body_str(body, "name") ? api_body_str(body, "name") : "?");
	else
		api_reply_db_error(c, err);
out:
	if (have_key)
		crypto_wipe(&key, sizeof(key));
	if (old)
		integration_secrets_free(old);
	if (secrets)
		integration_secrets_free(secrets);
	json_object_put(settings);
	if (have_in)
		integration_free(&in);
	json_object_put(body);
}

void api_integrations_delete(struct call *c)
{
	char err[1024];
	int rc = integration_delete(c->db, c->who.tenant, c->id, err, sizeof(err));

	if (rc == 0) {
		log_info("API", "integration=%" PRId64 " action=delete sub=%s",
			 c->id, c->who.sub);
		c->rs->status = 204;
		c->rs->content_type = "application/json";
		sb_reset(&c->rs->body);
	} else if (rc == INTEGRATION_RUNNING) {
		api_reply_error(c->rs, 409, "job_running", "integration %" PRId64
				" has a RUNNING job; stop it first (POST "
				"/api/v1/jobs/ID/stop)", c->id);
	} else if (rc == INTEGRATION_NOTFOUND) {
		api_reply_error(c->rs, 404, "not_found", "integration %" PRId64
				" not found", c->id);
	} else {
		api_reply_db_error(c, err);
	}
}
