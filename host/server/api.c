/* api: REST handlers (see api.h). */
#include "config.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "server/api.h"
#include "server/auth.h"
#include "base/conf.h"
#include "base/crypto.h"
#include "db/db.h"
#include "analytics/dora.h"
#include "model/integration.h"
#include "model/tenant.h"
#include "jobs/jobstate.h"
#include "plugin/loader.h"
#include "base/log.h"
#include "plugin/settings.h"

struct api {
	const struct conf *conf;
	struct loader *ld;
	struct api_hooks hooks;
	struct crypto_key jwt;
	int have_jwt;
};

/* What a handler gets: the request, the caller and the route's ids. */
struct call {
	struct api *a;
	const struct api_request *rq;
	struct api_response *rs;
	struct auth_claims who;
	int64_t id;          /* the {id} of the path, if any */
	const char *action;  /* the last segment of job control routes */
	PGconn *db;
};

/* ------------------------------------------------------------ replies */

static void reply_error(struct api_response *rs, int status, const char *code,
			const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void reply_error(struct api_response *rs, int status, const char *code,
			const char *fmt, ...)
{
	char msg[1536];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sb_reset(&rs->body);
	rs->status = status;
	rs->content_type = "application/json";
	sb_addf(&rs->body, "{\"error\":{\"code\":\"%s\",\"message\":\"", code);
	sb_add_json_str(&rs->body, msg);
	sb_adds(&rs->body, "\"}}\n");
}

static void reply_db_error(struct call *c, const char *err)
{
	log_error("API", "method=%s path=%s error=\"%s\"", c->rq->method,
		  c->rq->path, err);
	if (db_conn_lost(c->db))
		reply_error(c->rs, 503, "database_unavailable",
			    "the database is unreachable: %s; retry later", err);
	else
		reply_error(c->rs, 500, "database_error", "%s", err);
}

static void reply_json(struct api_response *rs, int status, json_object *o)
{
	sb_reset(&rs->body);
	rs->status = status;
	rs->content_type = "application/json";
	sb_adds(&rs->body, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	sb_adds(&rs->body, "\n");
}

/* One result cell as JSON, typed by the column's type oid. */
static json_object *cell_json(const PGresult *r, int row, int col)
{
	const char *v;

	if (PQgetisnull(r, row, col))
		return NULL;
	v = PQgetvalue(r, row, col);
	switch (PQftype(r, col)) {
	case 20: case 21: case 23: /* int8, int2, int4 */
		return json_object_new_int64(strtoll(v, NULL, 10));
	case 700: case 701: case 1700:
		return json_object_new_double(strtod(v, NULL));
	case 16: /* bool */
		return json_object_new_boolean(v[0] == 't');
	case 114: case 3802: { /* json, jsonb */
		json_object *o = json_tokener_parse(v);

		return o ? o : json_object_new_string(v);
	}
	}
	return json_object_new_string(v);
}

static json_object *row_json(const PGresult *r, int row)
{
	json_object *o = json_object_new_object();
	int col;

	for (col = 0; o && col < PQnfields(r); col++)
		json_object_object_add(o, PQfname(r, col), cell_json(r, row, col));
	return o;
}

static json_object *rows_json(const PGresult *r)
{
	json_object *a = json_object_new_array();
	int row;

	for (row = 0; a && row < PQntuples(r); row++)
		json_object_array_add(a, row_json(r, row));
	return a;
}

/* ------------------------------------------------------------ helpers */

/* Value of query parameter name (percent-decoded) into buf, or NULL. */
static const char *query_arg(const char *q, const char *name, char *buf,
			     size_t len)
{
	size_t nl = strlen(name);

	while (q && *q) {
		const char *amp = strchr(q, '&');
		size_t seg = amp ? (size_t)(amp - q) : strlen(q);

		if (seg > nl && strncmp(q, name, nl) == 0 && q[nl] == '=') {
			const char *s = q + nl + 1, *end = q + seg;
			size_t o = 0;

			while (s < end && o + 1 < len) {
				if (*s == '%' && end - s >= 3 &&
				    isxdigit((unsigned char)s[1]) &&
				    isxdigit((unsigned char)s[2])) {
					char hex[3] = {s[1], s[2], 0};

					buf[o++] = (char)strtol(hex, NULL, 16);
					s += 3;
				} else {
					buf[o++] = *s == '+' ? ' ' : *s;
					s++;
				}
			}
			buf[o] = '\0';
			return buf;
		}
		q = amp ? amp + 1 : NULL;
	}
	return NULL;
}

/* Parse a positive decimal id; 0 if it is not one. */
static int64_t parse_id(const char *s, size_t len)
{
	int64_t v = 0;
	size_t i;

	if (!len || len > 18)
		return 0;
	for (i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return 0;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* Run one statement in the caller's tenant (its own transaction). NULL
 * with the reply set on failure. */
static PGresult *tenant_query(struct call *c, const char *sql, int n,
			      const char *const *params)
{
	char err[1024];
	PGresult *r;

	if (db_tenant_begin(c->db, c->who.tenant, err, sizeof(err)) < 0) {
		reply_db_error(c, err);
		return NULL;
	}
	r = db_query(c->db, err, sizeof(err), sql, n, params);
	if (!r) {
		db_rollback(c->db);
		reply_db_error(c, err);
		return NULL;
	}
	if (db_commit(c->db, err, sizeof(err)) < 0) {
		PQclear(r);
		reply_db_error(c, err);
		return NULL;
	}
	return r;
}

static json_object *parse_body(struct call *c)
{
	json_tokener *tok;
	json_object *o = NULL;

	if (!c->rq->body || !c->rq->body_len) {
		reply_error(c->rs, 400, "bad_request", "a JSON object body is required");
		return NULL;
	}
	tok = json_tokener_new();
	if (!tok)
		goto out;
	o = json_tokener_parse_ex(tok, c->rq->body, (int)c->rq->body_len);
	if (!o || json_tokener_get_error(tok) != json_tokener_success ||
	    !json_object_is_type(o, json_type_object)) {
		reply_error(c->rs, 400, "bad_json", "request body is not a JSON "
			    "object (error near offset %zu: %s)",
			    json_tokener_get_parse_end(tok),
			    json_tokener_error_desc(json_tokener_get_error(tok)));
		json_object_put(o);
		o = NULL;
	}
out:
	json_tokener_free(tok);
	return o;
}

static int load_key(const char *path, struct crypto_key *k, const char *what,
		    char *err, size_t errlen)
{
	char e[400];

	if (crypto_init(e, sizeof(e)) < 0 || crypto_key_load(path, 1, k, e, sizeof(e)) < 0) {
		snprintf(err, errlen, "%s: %s", what, e);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ jobs */

#define JOB_COLUMNS \
	"SELECT j.id, j.integration_id, i.name AS integration, i.plugin," \
	" j.state, j.interval_seconds, j.fast_retry_seconds, j.retry_count," \
	" j.max_retries, j.next_run_at, j.last_started_at, j.last_finished_at," \
	" j.last_error, j.last_error_class, j.control, j.auto_resume, j.owner," \
	" j.heartbeat_at, r.id AS run_id, r.state AS run_state, r.step," \
	" r.processed, r.total, r.started_at AS run_started_at," \
	" r.finished_at AS run_finished_at" \
	" FROM etl_jobs j JOIN integrations i ON i.id = j.integration_id" \
	" LEFT JOIN LATERAL (SELECT id, state, step, processed, total," \
	"   started_at, finished_at FROM job_runs" \
	"   WHERE integration_id = j.integration_id" \
	"   ORDER BY started_at DESC, id DESC LIMIT 1) r ON true"

static void jobs_list(struct call *c)
{
	PGresult *r = tenant_query(c, JOB_COLUMNS " ORDER BY j.id", 0, NULL);
	json_object *o;

	if (!r)
		return;
	o = json_object_new_object();
	json_object_object_add(o, "jobs", rows_json(r));
	reply_json(c->rs, 200, o);
	json_object_put(o);
	PQclear(r);
}

/* The job as JSON (NULL and the reply set when missing or on error). */
static json_object *job_json(struct call *c, int with_history)
{
	char ids[24], err[1024];
	const char *p[1] = {db_i64(ids, c->id)};
	PGresult *r = NULL;
	json_object *o = NULL;

	if (db_tenant_begin(c->db, c->who.tenant, err, sizeof(err)) < 0)
		goto dberr;
	r = db_query(c->db, err, sizeof(err), JOB_COLUMNS " WHERE j.id = $1", 1, p);
	if (!r)
		goto dberr;
	if (PQntuples(r) != 1) {
		reply_error(c->rs, 404, "not_found", "job %" PRId64 " not found",
			    c->id);
		goto out;
	}
	o = row_json(r, 0);
	PQclear(r);
	r = NULL;
	if (with_history) {
		r = db_query(c->db, err, sizeof(err),
			     "SELECT id, state, started_at, finished_at, error,"
			     " error_class, step, processed, total, stats"
			     " FROM job_runs WHERE integration_id ="
			     " (SELECT integration_id FROM etl_jobs WHERE id = $1)"
			     " ORDER BY started_at DESC, id DESC LIMIT 10", 1, p);
		if (!r)
			goto dberr;
		json_object_object_add(o, "runs", rows_json(r));
		PQclear(r);
		r = db_query(c->db, err, sizeof(err),
			     "SELECT from_state, to_state, reason, run_id, at"
			     " FROM job_transitions WHERE job_id = $1"
			     " ORDER BY at DESC, id DESC LIMIT 50", 1, p);
		if (!r)
			goto dberr;
		json_object_object_add(o, "transitions", rows_json(r));
	}
	goto out;
dberr:
	json_object_put(o);
	o = NULL;
	reply_db_error(c, err);
out:
	PQclear(r);
	db_rollback(c->db);
	return o;
}

static void jobs_get(struct call *c)
{
	json_object *o = job_json(c, 1);

	if (o)
		reply_json(c->rs, 200, o);
	json_object_put(o);
}

/*
 * start/stop/pause/resume. Moves that need no process happen here;
 * those that do (RUNNING) are left to the orchestrator: a stop/pause of
 * a RUNNING job is written to etl_jobs.control for the daemon running
 * it, a resume sets auto_resume for the next daemon tick.
 */
static void jobs_control(struct call *c)
{
	const char *act = c->action;
	char ids[24], err[1024], reason[256];
	const char *p[2];
	PGresult *r = NULL;
	const char *sql = NULL;
	json_object *o;
	int cur, rc, to = -1, status = 202;

	snprintf(reason, sizeof(reason), "%s requested by %s (role %s) via API",
		 act, c->who.sub[0] ? c->who.sub : "token",
		 auth_role_name(c->who.role));
	p[0] = db_i64(ids, c->id);
	if (db_tenant_begin(c->db, c->who.tenant, err, sizeof(err)) < 0)
		goto dberr;
	r = db_query(c->db, err, sizeof(err),
		     "SELECT state FROM etl_jobs WHERE id = $1 FOR UPDATE", 1, p);
	if (!r)
		goto dberr;
	if (PQntuples(r) != 1) {
		reply_error(c->rs, 404, "not_found", "job %" PRId64 " not found", c->id);
		goto out;
	}
	cur = jobstate_parse(PQgetvalue(r, 0, 0));
	PQclear(r);
	r = NULL;
	if (strcmp(act, "start") == 0) {
		if (cur == JS_NOT_STARTED || cur == JS_FINISHED)
			to = JS_PENDING;
		else if (cur == JS_ERROR) /* the orchestrator retries it now */
			sql = "UPDATE etl_jobs SET next_run_at = now(),"
			      " retry_count = 0 WHERE id = $1";
		else if (cur == JS_PAUSED)
			sql = "UPDATE etl_jobs SET auto_resume = true WHERE id = $1";
		else
			goto conflict;
	} else if (strcmp(act, "stop") == 0 || strcmp(act, "pause") == 0) {
		if (cur == JS_RUNNING)
			sql = "UPDATE etl_jobs SET control = $2 WHERE id = $1";
		else if (cur == JS_PENDING || cur == JS_ERROR)
			to = JS_PAUSED;
		else
			goto conflict;
	} else { /* resume */
		if (cur != JS_PAUSED)
			goto conflict;
		sql = "UPDATE etl_jobs SET auto_resume = true WHERE id = $1";
	}
	if (sql) {
		p[1] = act;
		r = db_query(c->db, err, sizeof(err), sql,
			     strstr(sql, "$2") ? 2 : 1, p);
		if (!r)
			goto dberr;
	} else {
		rc = jobstate_move(c->db, c->id, cur, to, reason, NULL, NULL,
				   err, sizeof(err));
		if (rc == JOBSTATE_ILLEGAL || rc == JOBSTATE_CHANGED) {
			reply_error(c->rs, 409, "illegal_transition", "%s", err);
			goto out;
		}
		if (rc < 0)
			goto dberr;
		status = 200;
	}
	if (db_commit(c->db, err, sizeof(err)) < 0)
		goto dberr;
	log_info("API", "job=%" PRId64 " action=%s sub=%s role=%s", c->id, act,
		 c->who.sub, auth_role_name(c->who.role));
	if (c->a->hooks.kick)
		c->a->hooks.kick(c->a->hooks.ctx);
	o = job_json(c, 0);
	if (o) {
		json_object *w = json_object_new_object();

		json_object_object_add(w, "accepted", json_object_new_string(act));
		json_object_object_add(w, "job", o);
		reply_json(c->rs, status, w);
		json_object_put(w);
	}
	goto out;
conflict:
	{
		static const int target[] = {JS_PENDING, JS_PAUSED, JS_PAUSED,
					     JS_RUNNING};
		char allowed[80];
		int t = act[0] == 's' ? (act[2] == 'a' ? 0 : 1) :
			act[0] == 'p' ? 2 : 3;

		reply_error(c->rs, 409, "illegal_transition",
			    "job %" PRId64 " is %s: cannot %s it (would move to "
			    "%s; allowed from %s: %s)", c->id, jobstate_name(cur),
			    act, jobstate_name(target[t]), jobstate_name(cur),
			    jobstate_allowed(cur, allowed, sizeof(allowed)));
	}
	goto out;
dberr:
	reply_db_error(c, err);
out:
	PQclear(r);
	db_rollback(c->db);
}

/* ------------------------------------------------------------ integrations */

#define INTEGRATION_COLUMNS \
	"SELECT i.id, i.name, i.type, i.plugin, i.settings, i.enabled," \
	" i.credentials IS NOT NULL AS has_credentials, i.created_at," \
	" i.updated_at, j.id AS job_id, j.state AS job_state" \
	" FROM integrations i LEFT JOIN etl_jobs j ON j.integration_id = i.id"

static void integrations_list(struct call *c)
{
	PGresult *r = tenant_query(c, INTEGRATION_COLUMNS " ORDER BY i.id", 0, NULL);
	json_object *o;

	if (!r)
		return;
	o = json_object_new_object();
	json_object_object_add(o, "integrations", rows_json(r));
	reply_json(c->rs, 200, o);
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
	    load_key(c->a->conf->key_file, &key, "key_file", err, sizeof(err)) == 0) {
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
		reply_error(c->rs, 404, "not_found", "integration %" PRId64
			    " not found", c->id);
	else
		reply_db_error(c, err);
	integration_free(in);
	return -1;
}

static void integrations_get(struct call *c)
{
	struct integration in;
	char ids[24];
	const char *p[1] = {db_i64(ids, c->id)};
	PGresult *r;
	json_object *o;

	if (integration_load(c, &in) < 0)
		return;
	r = tenant_query(c, INTEGRATION_COLUMNS " WHERE i.id = $1", 1, p);
	if (r && PQntuples(r) == 1) {
		o = row_json(r, 0);
		json_object_object_add(o, "secrets", secret_states(c, &in));
		reply_json(c->rs, 200, o);
		json_object_put(o);
	} else if (r) {
		reply_error(c->rs, 404, "not_found", "integration %" PRId64
			    " not found", c->id);
	}
	PQclear(r);
	integration_free(&in);
}

/*
 * Validate {"settings": {...}, "secrets": {...}} against plugin p: the
 * secrets are merged into the settings text the way an integration JSON
 * file holds them, so settings_parse() splits them out again. New
 * references in *settings and *secrets; -1 with the reply set.
 */
static int validate_settings(struct call *c, const struct plugin *p,
			     json_object *body, int require_all,
			     json_object **settings, json_object **secrets)
{
	json_object *s = NULL, *sec = NULL, *merged;
	char err[1024];
	int rc;

	json_object_object_get_ex(body, "settings", &s);
	json_object_object_get_ex(body, "secrets", &sec);
	if ((s && !json_object_is_type(s, json_type_object)) ||
	    (sec && !json_object_is_type(sec, json_type_object))) {
		reply_error(c->rs, 400, "bad_request",
			    "'settings' and 'secrets' must be JSON objects");
		return -1;
	}
	merged = json_object_new_object();
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
		reply_error(c->rs, 400, "invalid_settings", "%s", err);
		return -1;
	}
	return 0;
}

static const char *body_str(json_object *body, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(body, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static void integrations_create(struct call *c)
{
	json_object *body = parse_body(c), *settings = NULL, *secrets = NULL;
	const char *name, *plugin, *type;
	struct crypto_key key;
	struct plugin *p;
	char err[1024];
	int64_t id = 0;
	int have_key = 0;

	if (!body)
		return;
	name = body_str(body, "name");
	plugin = body_str(body, "plugin");
	type = body_str(body, "type");
	if (!type)
		type = "Data";
	if (!name || !plugin) {
		reply_error(c->rs, 400, "bad_request", "'name' and 'plugin' "
			    "(strings) are required");
		goto out;
	}
	p = loader_find(c->a->ld, plugin);
	if (!p || p->status != PLUGIN_LOADED) {
		reply_error(c->rs, 400, "unknown_plugin", "plugin '%s' is not "
			    "loaded on this daemon; see `pulse-host plugins`", plugin);
		goto out;
	}
	if (validate_settings(c, p, body, 1, &settings, &secrets) < 0)
		goto out;
	if (load_key(c->a->conf->key_file, &key, "key_file", err, sizeof(err)) < 0) {
		reply_error(c->rs, 500, "key_file", "%s", err);
		goto out;
	}
	have_key = 1;
	if (integration_add(c->db, &key, c->who.tenant, name, type, plugin,
			    settings, secrets, &id, err, sizeof(err)) < 0) {
		db_rollback(c->db);
		if (strstr(err, "duplicate") || strstr(err, "unique") ||
		    strstr(err, "already"))
			reply_error(c->rs, 409, "conflict", "%s", err);
		else if (strstr(err, "check constraint"))
			reply_error(c->rs, 400, "bad_request", "%s", err);
		else
			reply_db_error(c, err);
		goto out;
	}
	log_info("API", "integration=%" PRId64 " action=create plugin=%s sub=%s",
		 id, plugin, c->who.sub);
	c->id = id;
	integrations_get(c);
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

static void integrations_update(struct call *c)
{
	json_object *body = parse_body(c), *settings = NULL, *secrets = NULL,
		    *old = NULL, *v;
	struct integration in;
	struct crypto_key key;
	struct plugin *p;
	char ids[24], err[1024];
	const char *params[3];
	PGresult *r = NULL;
	int have_in = 0, have_key = 0;

	if (!body)
		return;
	if (integration_load(c, &in) < 0)
		goto out;
	have_in = 1;
	p = loader_find(c->a->ld, in.plugin);
	if (json_object_object_get_ex(body, "settings", NULL) ||
	    json_object_object_get_ex(body, "secrets", NULL)) {
		if (!p) {
			reply_error(c->rs, 409, "unknown_plugin", "plugin '%s' of "
				    "integration %" PRId64 " is not loaded", in.plugin,
				    c->id);
			goto out;
		}
		/* Settings given: replaced whole; else only secrets change. */
		if (validate_settings(c, p, body,
				      json_object_object_get_ex(body, "settings", NULL),
				      &settings, &secrets) < 0)
			goto out;
	}
	if (db_tenant_begin(c->db, c->who.tenant, err, sizeof(err)) < 0)
		goto dberr;
	params[0] = db_i64(ids, c->id);
	if (json_object_object_get_ex(body, "settings", NULL)) {
		params[1] = json_object_to_json_string_ext(settings, JSON_C_TO_STRING_PLAIN);
		r = db_query(c->db, err, sizeof(err), "UPDATE integrations SET "
			     "settings = $2::jsonb, updated_at = now() WHERE id = $1",
			     2, params);
		if (!r)
			goto dberr;
		PQclear(r);
		r = NULL;
	}
	if (json_object_object_get_ex(body, "enabled", &v)) {
		params[1] = json_object_get_boolean(v) ? "true" : "false";
		r = db_query(c->db, err, sizeof(err), "UPDATE integrations SET "
			     "enabled = $2::boolean, updated_at = now() WHERE id = $1",
			     2, params);
		if (!r)
			goto dberr;
		PQclear(r);
		r = NULL;
	}
	if ((params[1] = body_str(body, "name")) != NULL) {
		r = db_query(c->db, err, sizeof(err), "UPDATE integrations SET "
			     "name = $2, updated_at = now() WHERE id = $1", 2, params);
		if (!r)
			goto dberr;
		PQclear(r);
		r = NULL;
	}
	if (db_commit(c->db, err, sizeof(err)) < 0)
		goto dberr;
	if (secrets && json_object_object_length(secrets) > 0) {
		if (load_key(c->a->conf->key_file, &key, "key_file", err, sizeof(err)) < 0) {
			reply_error(c->rs, 500, "key_file", "%s", err);
			goto out;
		}
		have_key = 1;
		/* Secrets not mentioned are kept. */
		if (in.credentials &&
		    integration_secrets(&in, &key, &old, err, sizeof(err)) < 0)
			goto dberr;
		if (old) {
			json_object_object_foreach(secrets, k, sv)
				json_object_object_add(old, k, json_object_get(sv));
		}
		if (integration_set_credentials(c->db, &key, &in, old ? old : secrets,
						err, sizeof(err)) < 0)
			goto dberr;
	}
	log_info("API", "integration=%" PRId64 " action=update sub=%s", c->id,
		 c->who.sub);
	integrations_get(c);
	goto out;
dberr:
	db_rollback(c->db);
	reply_db_error(c, err);
out:
	PQclear(r);
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

static void integrations_delete(struct call *c)
{
	char ids[24];
	const char *p[1] = {db_i64(ids, c->id)};
	PGresult *r;

	r = tenant_query(c, "DELETE FROM integrations i WHERE id = $1 AND NOT"
			 " EXISTS (SELECT 1 FROM etl_jobs j WHERE j.integration_id"
			 " = i.id AND j.state = 'RUNNING') RETURNING id", 1, p);
	if (!r)
		return;
	if (PQntuples(r) == 1) {
		log_info("API", "integration=%" PRId64 " action=delete sub=%s",
			 c->id, c->who.sub);
		c->rs->status = 204;
		c->rs->content_type = "application/json";
		sb_reset(&c->rs->body);
	} else {
		PQclear(r);
		r = tenant_query(c, "SELECT 1 FROM integrations WHERE id = $1", 1, p);
		if (r && PQntuples(r) == 1)
			reply_error(c->rs, 409, "job_running", "integration %" PRId64
				    " has a RUNNING job; stop it first (POST "
				    "/api/v1/jobs/ID/stop)", c->id);
		else if (r)
			reply_error(c->rs, 404, "not_found", "integration %" PRId64
				    " not found", c->id);
	}
	PQclear(r);
}

/* ------------------------------------------------------------ raw, queue */

static void raw_get(struct call *c)
{
	char ids[24];
	const char *p[1] = {db_i64(ids, c->id)};
	PGresult *r;

	r = tenant_query(c, "SELECT id, integration_id, job_run_id, entity,"
			 " request_method, request_url, request_params, http_status,"
			 " status, attempts, error, dead_lettered, created_at,"
			 " updated_at, completed_at, body FROM raw_extraction_data"
			 " WHERE id = $1", 1, p);
	if (!r)
		return;
	if (PQntuples(r) == 1) {
		json_object *o = row_json(r, 0);

		reply_json(c->rs, 200, o);
		json_object_put(o);
	} else {
		reply_error(c->rs, 404, "not_found", "raw row %" PRId64 " not found",
			    c->id);
	}
	PQclear(r);
}

static void raw_list(struct call *c)
{
	char status[32], limit[16], integ[24];
	const char *p[3];
	PGresult *r;
	json_object *o;

	p[0] = query_arg(c->rq->query, "status", status, sizeof(status));
	if (!p[0])
		p[0] = "failed";
	if (strcmp(p[0], "pending") && strcmp(p[0], "processing") &&
	    strcmp(p[0], "completed") && strcmp(p[0], "failed")) {
		reply_error(c->rs, 400, "bad_request", "status must be pending, "
			    "processing, completed or failed");
		return;
	}
	p[1] = query_arg(c->rq->query, "limit", limit, sizeof(limit));
	if (!p[1] || parse_id(p[1], strlen(p[1])) <= 0)
		p[1] = "100";
	p[2] = query_arg(c->rq->query, "integration", integ, sizeof(integ));
	if (p[2] && parse_id(p[2], strlen(p[2])) <= 0) {
		reply_error(c->rs, 400, "bad_request", "integration must be an id");
		return;
	}
	r = tenant_query(c, "SELECT id, integration_id, job_run_id, entity,"
			 " request_url, http_status, status, attempts, error,"
			 " dead_lettered, updated_at FROM raw_extraction_data"
			 " WHERE status = $1 AND ($3::bigint IS NULL OR"
			 " integration_id = $3::bigint)"
			 " ORDER BY id LIMIT least($2::int, 1000)", 3, p);
	if (!r)
		return;
	o = json_object_new_object();
	json_object_object_add(o, "raw", rows_json(r));
	reply_json(c->rs, 200, o);
	json_object_put(o);
	PQclear(r);
}

/* {"insert": n, ...} from rows (key, count). */
static json_object *counts_json(const PGresult *r, int keycol, const char *const *keys)
{
	json_object *o = json_object_new_object();
	int row, i;

	for (i = 0; keys[i]; i++)
		json_object_object_add(o, keys[i], json_object_new_int64(0));
	for (row = 0; row < PQntuples(r); row++) {
		json_object *v;
		int64_t n = db_int64(r, row, 2);
		const char *k = PQgetvalue(r, row, keycol);

		if (json_object_object_get_ex(o, k, &v))
			n += json_object_get_int64(v);
		json_object_object_add(o, k, json_object_new_int64(n));
	}
	return o;
}

static void queue_summary(struct call *c)
{
	static const char *const statuses[] = {"pending", "processing",
		"completed", "failed", NULL};
	static const char *const ops[] = {"insert", "update", "delete", NULL};
	PGresult *r, *w;
	json_object *o, *vq, *raw;
	char err[1024];

	if (db_tenant_begin(c->db, c->who.tenant, err, sizeof(err)) < 0) {
		reply_db_error(c, err);
		return;
	}
	r = db_query(c->db, err, sizeof(err), "SELECT status, operation,"
		     " count(*) FROM vectorization_queue GROUP BY 1, 2", 0, NULL);
	w = r ? db_query(c->db, err, sizeof(err), "SELECT status, status,"
			 " count(*) FROM raw_extraction_data GROUP BY 1", 0, NULL) : NULL;
	db_rollback(c->db);
	if (!r || !w) {
		PQclear(r);
		reply_db_error(c, err);
		return;
	}
	o = json_object_new_object();
	vq = json_object_new_object();
	json_object_object_add(vq, "by_status", counts_json(r, 0, statuses));
	{
		/* by_operation: what is still waiting (not completed). */
		json_object *byop = json_object_new_object();
		int i, row;
		int64_t total = 0;

		for (i = 0; ops[i]; i++) {
			int64_t n = 0;

			for (row = 0; row < PQntuples(r); row++)
				if (strcmp(PQgetvalue(r, row, 1), ops[i]) == 0 &&
				    strcmp(PQgetvalue(r, row, 0), "completed") != 0)
					n += db_int64(r, row, 2);
			json_object_object_add(byop, ops[i], json_object_new_int64(n));
			total += n;
		}
		json_object_object_add(vq, "by_operation", byop);
		json_object_object_add(vq, "waiting", json_object_new_int64(total));
	}
	raw = json_object_new_object();
	json_object_object_add(raw, "by_status", counts_json(w, 0, statuses));
	json_object_object_add(o, "vectorization", vq);
	json_object_object_add(o, "raw", raw);
	reply_json(c->rs, 200, o);
	json_object_put(o);
	PQclear(r);
	PQclear(w);
}

/* ------------------------------------------------------------ misc */

static void health(struct call *c)
{
	json_object *o = json_object_new_object();
	PGresult *r;
	char err[256];

	r = db_query(c->db, err, sizeof(err), "SELECT 1", 0, NULL);
	json_object_object_add(o, "status", json_object_new_string(r ? "ok" : "degraded"));
	json_object_object_add(o, "database", json_object_new_string(r ? "ok" : "unreachable"));
	json_object_object_add(o, "version", json_object_new_string(PACKAGE_VERSION));
	json_object_object_add(o, "jobs_running", json_object_new_int(
		c->a->hooks.running ? c->a->hooks.running(c->a->hooks.ctx) : 0));
	reply_json(c->rs, r ? 200 : 503, o);
	json_object_put(o);
	PQclear(r);
}

static void me(struct call *c)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "tenant", json_object_new_int64(c->who.tenant));
	json_object_object_add(o, "role", json_object_new_string(auth_role_name(c->who.role)));
	json_object_object_add(o, "sub", json_object_new_string(c->who.sub));
	json_object_object_add(o, "exp", json_object_new_int64(c->who.exp));
	json_object_object_add(o, "can_control", json_object_new_boolean(
		auth_allowed(c->who.role, "jobs", "control")));
	json_object_object_add(o, "can_write", json_object_new_boolean(
		auth_allowed(c->who.role, "integrations", "write")));
	reply_json(c->rs, 200, o);
	json_object_put(o);
}

static void dora(struct call *c)
{
	struct dora_query q;
	char from[64], to[64], project[128], repo[256], err[1024];
	json_object *o;
	int usage = 0;

	memset(&q, 0, sizeof(q));
	q.tenant_id = c->who.tenant;
	q.from = query_arg(c->rq->query, "from", from, sizeof(from));
	q.to = query_arg(c->rq->query, "to", to, sizeof(to));
	q.project = query_arg(c->rq->query, "project", project, sizeof(project));
	q.repo = query_arg(c->rq->query, "repo", repo, sizeof(repo));
	o = dora_report_json(c->db, &q, &usage, err, sizeof(err));
	db_rollback(c->db);
	if (!o) {
		if (usage)
			reply_error(c->rs, 400, "bad_request", "%s", err);
		else
			reply_db_error(c, err);
		return;
	}
	reply_json(c->rs, 200, o);
	json_object_put(o);
}

/* ------------------------------------------------------------ routing */

struct route {
	const char *method;
	const char *pattern;  /* segments; "#" = an id, "*" = an action */
	const char *resource;
	const char *action;   /* auth action; NULL = any valid token */
	void (*fn)(struct call *c);
};

static const struct route routes[] = {
	{"GET", "me", "health", NULL, me},
	{"GET", "health", "health", "read", health},
	{"GET", "jobs", "jobs", "read", jobs_list},
	{"GET", "jobs/#", "jobs", "read", jobs_get},
	{"POST", "jobs/#/*", "jobs", "control", jobs_control},
	{"GET", "integrations", "integrations", "read", integrations_list},
	{"POST", "integrations", "integrations", "write", integrations_create},
	{"GET", "integrations/#", "integrations", "read", integrations_get},
	{"PATCH", "integrations/#", "integrations", "write", integrations_update},
	{"PUT", "integrations/#", "integrations", "write", integrations_update},
	{"DELETE", "integrations/#", "integrations", "write", integrations_delete},
	{"GET", "raw", "raw", "read", raw_list},
	{"GET", "raw/#", "raw", "read", raw_get},
	{"GET", "queue", "queue", "read", queue_summary},
	{"GET", "metrics/dora", "metrics", "read", dora},
	{NULL, NULL, NULL, NULL, NULL},
};

/* Match path (after /api/v1/) against pattern; fills id and action.
 * Returns 1 on a match. */
static int route_match(const char *pattern, const char *path, int64_t *id,
		       const char **action)
{
	static const char *const actions[] = {"start", "stop", "pause",
		"resume", NULL};

	while (*pattern) {
		const char *pe = strchr(pattern, '/'), *se = strchr(path, '/');
		size_t pl = pe ? (size_t)(pe - pattern) : strlen(pattern);
		size_t sl = se ? (size_t)(se - path) : strlen(path);

		if (pl == 1 && *pattern == '#') {
			if ((*id = parse_id(path, sl)) <= 0)
				return 0;
		} else if (pl == 1 && *pattern == '*') {
			size_t i;

			for (i = 0; actions[i]; i++)
				if (strlen(actions[i]) == sl &&
				    strncmp(actions[i], path, sl) == 0)
					break;
			if (!actions[i])
				return 0;
			*action = actions[i];
		} else if (pl != sl || strncmp(pattern, path, pl) != 0) {
			return 0;
		}
		pattern += pl + (pe ? 1 : 0);
		path += sl + (se ? 1 : 0);
		if (!pe != !se)
			return 0;
	}
	return *path == '\0';
}

/* The one token check of REST and WebSocket: signature, claims under
 * the configured policy, and a tenant that still exists. 0, or an HTTP
 * status (401, 500 key file, 503 database) with err set. */
static int check_token(struct api *a, const char *token,
		       struct auth_claims *who, char *err, size_t errlen)
{
	struct auth_policy pol = {AUTH_DEFAULT_SKEW_S,
				  a->conf->jwt_max_lifetime_s};
	PGconn *db;
	int rc;

	if (!a->have_jwt) {
		if (load_key(a->conf->jwt_key_file, &a->jwt, "jwt_key_file", err,
			     errlen) < 0)
			return 500;
		a->have_jwt = 1;
	}
	if (auth_token_verify_ex(a->jwt.k, sizeof(a->jwt.k), token, time(NULL),
				 &pol, who, err, errlen) != 0)
		return 401;
	db = a->hooks.db ? a->hooks.db(a->hooks.ctx, err, errlen) : NULL;
	if (!db)
		return a->hooks.db ? 503 : 0; /* tests without a database */
	rc = tenant_exists(db, who->tenant, err, errlen);
	if (rc < 0)
		return 503;
	if (rc == 0) {
		snprintf(err, errlen, "token is for tenant %" PRId64 ", which "
			 "does not exist (removed?)", who->tenant);
		return 401;
	}
	return 0;
}

int api_reload_keys(struct api *a, char *err, size_t errlen)
{
	struct crypto_key k;

	if (load_key(a->conf->jwt_key_file, &k, "jwt_key_file", err, errlen) < 0)
		return -1;
	a->jwt = k;
	a->have_jwt = 1;
	crypto_wipe(&k, sizeof(k));
	return 0;
}

int api_check_token(struct api *a, const char *token, struct auth_claims *who,
		    char *err, size_t errlen)
{
	return check_token(a, token, who, err, errlen) ? -1 : 0;
}

static int authenticate(struct api *a, const struct api_request *rq,
			struct auth_claims *who, struct api_response *rs)
{
	char err[512];
	const char *h = rq->authorization;
	int st;

	if (!h || strncasecmp(h, "Bearer ", 7) != 0) {
		reply_error(rs, 401, "unauthorized", "an API token is required: "
			    "send 'Authorization: Bearer TOKEN' (issue one with "
			    "`pulse-host token issue --tenant T --role R`)");
		return -1;
	}
	h += 7;
	while (*h == ' ')
		h++;
	st = check_token(a, h, who, err, sizeof(err));
	if (st == 500) {
		reply_error(rs, 500, "key_file", "%s", err);
		return -1;
	}
	if (st == 503) {
		reply_error(rs, 503, "database_unavailable", "cannot check the "
			    "token's tenant: %s; retry later", err);
		return -1;
	}
	if (st) {
		log_info("AUTH", "path=%s result=rejected reason=\"%s\"", rq->path, err);
		reply_error(rs, 401, "unauthorized", "%s", err);
		return -1;
	}
	return 0;
}

static void serve_static(const char *path, struct api_response *rs)
{
	size_t i;

	if (strcmp(path, "/") == 0)
		path = "/index.html";
	for (i = 0; www_files[i].path; i++) {
		if (strcmp(www_files[i].path, path) == 0) {
			rs->status = 200;
			rs->content_type = www_files[i].content_type;
			rs->static_body = www_files[i].data;
			rs->static_len = www_files[i].len;
			return;
		}
	}
	reply_error(rs, 404, "not_found", "no such page: %s", path);
}

void api_handle(struct api *a, const struct api_request *rq,
		struct api_response *rs)
{
	struct call c;
	const char *sub;
	char err[512];
	size_t i;
	int path_known = 0;

	memset(rs, 0, sizeof(*rs));
	memset(&c, 0, sizeof(c));
	c.a = a;
	c.rq = rq;
	c.rs = rs;
	if (strcmp(rq->path, "/healthz") == 0) {
		rs->status = 200;
		rs->content_type = "application/json";
		sb_adds(&rs->body, "{\"status\":\"ok\"}\n");
		return;
	}
	if (strcmp(rq->path, "/readyz") == 0) {
		PGconn *db = a->hooks.db(a->hooks.ctx, err, sizeof(err));
		PGresult *r = db ? db_query(db, err, sizeof(err), "SELECT 1", 0, NULL) : NULL;

		if (r) {
			rs->status = 200;
			rs->content_type = "application/json";
			sb_adds(&rs->body, "{\"status\":\"ready\",\"database\":\"ok\"}\n");
		} else {
			reply_error(rs, 503, "not_ready", "database unreachable: %s", err);
		}
		PQclear(r);
		return;
	}
	if (strncmp(rq->path, "/api/v1/", 8) != 0) {
		if (strcmp(rq->method, "GET") != 0 && strcmp(rq->method, "HEAD") != 0)
			reply_error(rs, 405, "method_not_allowed", "only GET here");
		else
			serve_static(rq->path, rs);
		return;
	}
	sub = rq->path + 8;
	if (authenticate(a, rq, &c.who, rs) < 0)
		return;
	for (i = 0; routes[i].fn; i++) {
		c.id = 0;
		c.action = NULL;
		if (!route_match(routes[i].pattern, sub, &c.id, &c.action))
			continue;
		path_known = 1;
		if (strcmp(routes[i].method, rq->method) == 0)
			break;
	}
	if (!routes[i].fn) {
		if (path_known)
			reply_error(rs, 405, "method_not_allowed", "%s is not "
				    "allowed on %s", rq->method, rq->path);
		else
			reply_error(rs, 404, "not_found", "no API route %s; see "
				    "docs/operations.md", rq->path);
		return;
	}
	if (routes[i].action &&
	    !auth_allowed(c.who.role, routes[i].resource, routes[i].action)) {
		log_info("AUTH", "path=%s method=%s role=%s result=forbidden",
			 rq->path, rq->method, auth_role_name(c.who.role));
		reply_error(rs, 403, "forbidden", "role '%s' may not %s %s",
			    auth_role_name(c.who.role),
			    strcmp(routes[i].action, "control") == 0 ?
			    "start/stop/pause/resume" : routes[i].action,
			    routes[i].resource);
		return;
	}
	c.db = a->hooks.db(a->hooks.ctx, err, sizeof(err));
	if (!c.db) {
		reply_error(rs, 503, "database_unavailable", "%s", err);
		return;
	}
	routes[i].fn(&c);
	if (!rs->status)
		reply_error(rs, 500, "internal", "no response was produced");
}

void api_response_free(struct api_response *rs)
{
	sb_free(&rs->body);
}

struct api *api_new(const struct conf *conf, struct loader *ld,
		    const struct api_hooks *hooks, char *err, size_t errlen)
{
	struct api *a = calloc(1, sizeof(*a));

	if (!a) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	a->conf = conf;
	a->ld = ld;
	a->hooks = *hooks;
	if (load_key(conf->jwt_key_file, &a->jwt, "jwt_key_file", err, errlen) < 0) {
		free(a);
		return NULL;
	}
	a->have_jwt = 1;
	return a;
}

void api_free(struct api *a)
{
	if (!a)
		return;
	crypto_wipe(&a->jwt, sizeof(a->jwt));
	free(a);
}
