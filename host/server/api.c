/* api: the router of the REST API: authentication, routes, roles, the
 * probes and the viewer page (see api.h); the handlers are in
 * api_<resource>.c. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/conf.h"
#include "base/crypto.h"
#include "base/log.h"
#include "db/db.h"
#include "model/tenant.h"
#include "server/api.h"
#include "server/api_int.h"
#include "server/auth.h"
#include "server/auth_limit.h"
#include "server/auth_session.h"
#include "model/apitoken.h"

#include "server/metrics.h"

/* ------------------------------------------------------------ routing */

struct route {
	const char *method;
	const char *pattern;  /* segments; "#" = an id, "*" = an action */
	const char *resource;
	const char *action;   /* auth action; NULL = any valid token */
	void (*fn)(struct call *c);
};

static const struct route routes[] = {
	{"GET", "me", "health", NULL, api_me},
	{"GET", "health", "health", "read", api_health},
	{"GET", "jobs", "jobs", "read", api_jobs_list},
	{"GET", "jobs/#", "jobs", "read", api_jobs_get},
	{"POST", "jobs/#/*", "jobs", "control", api_jobs_control},
	{"GET", "integrations", "integrations", "read", api_integrations_list},
	{"POST", "integrations", "integrations", "write", api_integrations_create},
	{"GET", "integrations/#", "integrations", "read", api_integrations_get},
	{"PATCH", "integrations/#", "integrations", "write", api_integrations_update},
	{"PUT", "integrations/#", "integrations", "write", api_integrations_update},
	{"DELETE", "integrations/#", "integrations", "write", api_integrations_delete},
	{"GET", "raw", "raw", "read", api_raw_list},
	{"GET", "raw/#", "raw", "read", api_raw_get},
	{"GET", "queue", "queue", "read", api_queue_summary},
	{"GET", "metrics/dora", "metrics", "read", api_dora},
	{"GET", "ai/search", "search", "read", api_ai_search},
	{"GET", "vectorization/queue/summary", "queue", "read", api_vectorization_summary},
	{"GET", "vectorization/history", "queue", "read", api_vectorization_history},
	{"GET", "stats", "metrics", "read", api_stats},
	{"POST", "jobs/#/force-stop", "jobs", "write", api_jobs_force_stop},
	{"POST", "jobs/#/force-start", "jobs", "write", api_jobs_force_start},
	{"POST", "jobs/#/reset", "jobs", "write", api_jobs_reset},
	{"POST", "system-jobs/housekeeping/force-stop", "jobs", "write", api_sysjob_force_stop},
	{"POST", "system-jobs/housekeeping/force-start", "jobs", "write", api_sysjob_force_start},
	{"POST", "system-jobs/housekeeping/reset", "jobs", "write", api_sysjob_reset},
	{"POST", "ai/query", "ask", "query", api_ai_query},
	{"GET", "ai/usage", "ai-usage", "read", api_ai_usage},
	{"GET", "ai/capabilities", "ai", "read", api_ai_capabilities},
	{"GET", "ai/health", "ai-usage", "read", api_ai_health},
	{"POST", "auth/logout", "health", NULL, api_auth_logout},
	{"GET", "auth/session", "health", NULL, api_auth_session},
	{"GET", "users", "users", "read", api_users_list},
	{"POST", "users", "users", "write", api_users_create},
	{"PATCH", "users/#", "users", "write", api_users_update},
	{"GET", "audit", "audit", "read", api_audit_list},
	{"GET", "console/branding", "health", NULL, api_console_branding},
	{"GET", "metrics/dora/weekly", "metrics", "read", api_console_dora_weekly},
	{"POST", "ask/feedback", "ask", "query", api_ask_feedback},
	{"GET", "plugins", "integrations", "read", api_plugins_list},
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
			if ((*id = api_parse_id(path, sl)) <= 0)
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
static int check_token(struct api *a, const char *token, int tenant_query,
		       struct auth_claims *who, PGconn *(*get_db)(struct api *a,
		       char *err, size_t errlen), char *err, size_t errlen)
{
	struct auth_policy pol = {AUTH_DEFAULT_SKEW_S,
				  a->conf->jwt_max_lifetime_s};
	PGconn *db;
	int64_t st;
	int rc;

	if (session_is_value(token, &st)) {
		/* A person's session: only the database can say; on the
		 * loop (no tenant_query) the API thread checks it next. */
		if (!tenant_query) {
			memset(who, 0, sizeof(*who));
			who->tenant = st;
			who->role = AUTH_VIEW;
			who->exp = time(NULL) + a->conf->auth_viewer_recheck_s;
			return 0;
		}
		db = a->hooks.db ? get_db(a, err, errlen) : NULL;
		if (!db) {
			if (a->hooks.db)
				return 503;
			snprintf(err, errlen, "sessions need the database");
			return 401;
		}
		rc = session_check(db, token, a->conf->auth_session_idle_s, who,
				   err, errlen);
		return rc < 0 ? 503 : rc ? 401 : 0;
	}
	pthread_mutex_lock(&a->key_lock);
	rc = 0;
	if (!a->have_jwt) {
		if (api_load_key(a->conf->jwt_key_file, a->jwt, "jwt_key_file",
				 err, errlen) < 0)
			rc = 500;
		else
			a->have_jwt = 1;
	}
	if (!rc && auth_token_verify_ex(a->jwt->k, sizeof(a->jwt->k), token,
					time(NULL), &pol, who, err, errlen) != 0)
		rc = 401;
	pthread_mutex_unlock(&a->key_lock);
	if (rc || !tenant_query)
		return rc;
	db = a->hooks.db ? get_db(a, err, errlen) : NULL;
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
	if (!who->jti[0])
		return 0; /* issued before ids: docs/auth.md */
	if (db_tenant_begin(db, who->tenant, err, errlen) < 0)
		return 503;
	rc = apitoken_check(db, who->jti, &who->token_id, err, errlen);
	db_rollback(db);
	return rc < 0 ? 503 : rc ? 401 : 0;
}

int api_reload_keys(struct api *a, char *err, size_t errlen)
{
	struct crypto_key k;

	if (api_load_key(a->conf->jwt_key_file, &k, "jwt_key_file", err,
			 errlen) < 0)
		return -1;
	pthread_mutex_lock(&a->key_lock);
	*a->jwt = k;
	a->have_jwt = 1;
	pthread_mutex_unlock(&a->key_lock);
	crypto_wipe(&k, sizeof(k));
	return 0;
}

/* The API thread's own connection, made (again) when missing or lost. */
static PGconn *thread_db(struct api *a, char *err, size_t errlen)
{
	if (a->db && !db_conn_lost(a->db))
		return a->db;
	PQfinish(a->db);
	a->db = db_connect(a->conf->database_url, err, errlen);
	return a->db;
}

int api_check_token(struct api *a, const char *token, struct auth_claims *who,
		    char *err, size_t errlen)
{
	return check_token(a, token, 1, who, thread_db, err, errlen) ? -1 : 0;
}

int api_check_token_signed(struct api *a, const char *token,
			   struct auth_claims *who, char *err, size_t errlen)
{
	return check_token(a, token, 0, who, thread_db, err, errlen) ? -1 : 0;
}

int api_needs_thread(const char *path)
{
	return strncmp(path, "/api/v1/", 8) == 0 || strcmp(path, "/readyz") == 0 ||
		strcmp(path, "/metrics") == 0;
}

void api_prepare(struct api *a, struct api_request *rq)
{
	rq->jobs_running = a->hooks.running ? a->hooks.running(a->hooks.ctx) : 0;
}

void api_finish(struct api *a, const struct api_response *rs)
{
	if (rs->kick && a->hooks.kick)
		a->hooks.kick(a->hooks.ctx);
}

/* The value of cookie name in a Cookie header, copied into buf; NULL if
 * absent. */
static const char *cookie_value(const char *hdr, const char *name, char *buf,
				size_t len)
{
	size_t n = strlen(name);
	const char *p = hdr;

	while (p && *p) {
		while (*p == ' ' || *p == ';')
			p++;
		if (strncmp(p, name, n) == 0 && p[n] == '=') {
			size_t l = strcspn(p + n + 1, ";");

			if (l >= len)
				return NULL;
			memcpy(buf, p + n + 1, l);
			buf[l] = '\0';
			return buf;
		}
		p = strchr(p, ';');
	}
	return NULL;
}

static int authenticate(struct api *a, const struct api_request *rq,
			struct call *c, struct api_response *rs)
{
	struct auth_claims *who = &c->who;
	char err[512], csrf[SESSION_CSRF_LEN];
	const char *h = rq->authorization;
	int st;

	c->session = NULL;
	if (h && strncasecmp(h, "Bearer ", 7) == 0) {
		h += 7;
		while (*h == ' ')
			h++;
	} else if ((h = cookie_value(rq->cookie, SESSION_COOKIE, c->session_buf,
				     sizeof(c->session_buf))) != NULL) {
		c->session = h;
	} else {
		api_reply_error(rs, 401, "unauthorized", "sign in (POST "
				"/api/v1/auth/login) or send an API token: "
				"'Authorization: Bearer TOKEN' (issue one with "
				"`pulse-host token issue --tenant T --role R`)");
		return -1;
	}
	st = check_token(a, h, 1, who, thread_db, err, sizeof(err));
	if (st == 500 || st == 503) {
		api_reply_internal(rs, rq->method, rq->path, st == 500 ?
				   "loading jwt_key_file" : "checking the token's "
				   "tenant", err, st == 503,
				   st == 503 && db_last_was_timeout());
		return -1;
	}
	if (st) {
		log_info("AUTH", "path=%s result=rejected reason=\"%s\"", rq->path, err);
		api_reply_error(rs, 401, "unauthorized", "%s", err);
		return -1;
	}
	/* A cookie rides along with any request the browser sends, also
	 * from another site's form: state changes need the CSRF token. */
	if (c->session && strcmp(rq->method, "GET") != 0 &&
	    strcmp(rq->method, "HEAD") != 0) {
		session_csrf(c->session, csrf);
		if (!rq->csrf || !session_str_eq(rq->csrf, csrf)) {
			log_info("AUTH", "path=%s method=%s result=csrf_refused",
				 rq->path, rq->method);
			api_reply_error(rs, 403, "csrf", "%s %s with a session "
					"cookie needs the header X-CSRF-Token (the "
					"csrf_token of the sign-in reply or of GET "
					"/api/v1/auth/session)", rq->method, rq->path);
			return -1;
		}
	}
	return 0;
}

/* An embedded file, or 304 when the browser holds this version already
 * (If-None-Match: its ETag, or a list holding it, or *). */
static void serve_static(const struct api_request *rq, struct api_response *rs)
{
	const char *path = rq->path;
	size_t i;

	if (strcmp(path, "/") == 0)
		path = "/index.html";
	for (i = 0; www_files[i].path; i++) {
		if (strcmp(www_files[i].path, path) == 0) {
			rs->content_type = www_files[i].content_type;
			rs->etag = www_files[i].etag;
			if (rq->if_none_match &&
			    (strstr(rq->if_none_match, www_files[i].etag) ||
			     strcmp(rq->if_none_match, "*") == 0)) {
				rs->status = 304;
				return;
			}
			rs->status = 200;
			rs->static_body = www_files[i].data;
			rs->static_len = www_files[i].len;
			return;
		}
	}
	api_reply_error(rs, 404, "not_found", "no such page: %s", path);
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
	api_new_request_id(rs);
	c.a = a;
	c.rq = rq;
	c.rs = rs;
	if (!api_text_ok(rq->path, strlen(rq->path)) || !api_query_ok(rq->query)) {
		/* Echoed in messages and bound as text parameters: refuse
		 * bytes that are not text here, not as a database error. */
		api_reply_error(rs, 400, "bad_encoding", "the URL is not valid "
				"UTF-8 text (or holds %%00)");
		return;
	}
	if (strcmp(rq->path, "/healthz") == 0) {
		rs->status = 200;
		rs->content_type = "application/json";
		sb_adds(&rs->body, "{\"status\":\"ok\"}\n");
		return;
	}
	if (strcmp(rq->path, "/readyz") == 0) {
		PGconn *db = a->hooks.db ? thread_db(a, err, sizeof(err)) : NULL;
		PGresult *r = db ? db_query(db, err, sizeof(err), "SELECT 1", 0, NULL) : NULL;

		if (r) {
			rs->status = 200;
			rs->content_type = "application/json";
			sb_adds(&rs->body, "{\"status\":\"ready\",\"database\":\"ok\"}\n");
		} else {
			log_warn("API", "request_id=%s path=/readyz error=\"%s\"",
				 rs->request_id, err);
			api_reply_error(rs, 503, "not_ready", "the database does not "
					"answer; the daemon's log says why");
		}
		PQclear(r);
		return;
	}
	if (strcmp(rq->path, "/metrics") == 0) {
		/* Its own access rule (metrics.h), not an API token. */
		PGconn *db = a->hooks.db ? thread_db(a, err, sizeof(err)) : NULL;
		struct metrics_req mq = {rq->method, rq->authorization,
					 rq->peer_loopback};
		struct metrics_reply mr = {0, NULL, &rs->body};

		metrics_handle(a->conf, &mq, &mr, db, db ? NULL : err);
		rs->status = mr.status;
		rs->content_type = mr.content_type;
		return;
	}
	if (strncmp(rq->path, "/api/v1/", 8) != 0) {
		if (strcmp(rq->method, "GET") != 0 && strcmp(rq->method, "HEAD") != 0)
			api_reply_error(rs, 405, "method_not_allowed", "only GET here");
		else
			serve_static(rq, rs);
		return;
	}
	sub = rq->path + 8;
	if (strcmp(sub, "auth/login") == 0) {
		/* the one API route without a token: it makes the session */
		if (strcmp(rq->method, "POST") != 0) {
			api_reply_error(rs, 405, "method_not_allowed", "POST only");
			return;
		}
		c.db = a->hooks.db ? thread_db(a, err, sizeof(err)) : NULL;
		if (!c.db) {
			api_reply_internal(rs, rq->method, rq->path, "connecting",
					   err, 1, 0);
			return;
		}
		api_auth_login(&c);
		return;
	}
	if (strncmp(sub, "auth/oidc/", 10) == 0 || strcmp(sub, "auth/methods") == 0) {
		/* single sign-on: before any token, like login (api_oidc.c) */
		c.db = a->hooks.db ? thread_db(a, err, sizeof(err)) : NULL;
		if (!c.db) {
			api_reply_internal(rs, rq->method, rq->path, "connecting",
					   err, 1, 0);
			return;
		}
		api_oidc_route(&c, sub);
		return;
	}
	if (authenticate(a, rq, &c, rs) < 0)
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
			api_reply_error(rs, 405, "method_not_allowed", "%s is not "
					"allowed on %s", rq->method, rq->path);
		else
			api_reply_error(rs, 404, "not_found", "no API route %s; see "
					"docs/operations.md", rq->path);
		return;
	}
	if (routes[i].action &&
	    !auth_allowed(c.who.role, routes[i].resource, routes[i].action)) {
		log_info("AUTH", "path=%s method=%s role=%s result=forbidden",
			 rq->path, rq->method, auth_role_name(c.who.role));
		api_reply_error(rs, 403, "forbidden", "role '%s' may not %s %s",
				auth_role_name(c.who.role),
				strcmp(routes[i].action, "control") == 0 ?
				"start/stop/pause/resume" : routes[i].action,
				routes[i].resource);
		return;
	}
	c.db = a->hooks.db ? thread_db(a, err, sizeof(err)) : NULL;
	if (!c.db) {
		api_reply_internal(rs, rq->method, rq->path, "connecting", err, 1, 0);
		return;
	}
	routes[i].fn(&c);
	if (!rs->status)
		api_reply_error(rs, 500, "internal", "no response was produced");
	/* Job control and integration changes are audited here, once, for
	 * every route that changed something (never the body: secrets). */
	if (rs->status >= 200 && rs->status < 300 &&
	    strcmp(rq->method, "GET") != 0 &&
	    (strcmp(routes[i].resource, "jobs") == 0 ||
	     strcmp(routes[i].resource, "integrations") == 0)) {
		char action[96], target[48];
		json_object *d = json_object_new_object();

		snprintf(action, sizeof(action), "%s.%s",
			 strcmp(routes[i].resource, "jobs") == 0 ? "job" :
			 "integration", c.action ? c.action :
			 strcmp(rq->method, "POST") == 0 ? (strstr(sub, "/force-") ||
			 strstr(sub, "/reset") ? strrchr(sub, '/') + 1 : "create") :
			 strcmp(rq->method, "DELETE") == 0 ? "delete" : "update");
		snprintf(target, sizeof(target), "%s:%" PRId64,
			 strcmp(routes[i].resource, "jobs") == 0 ? "job" :
			 "integration", c.id);
		json_object_object_add(d, "method", json_object_new_string(rq->method));
		json_object_object_add(d, "path", json_object_new_string(rq->path));
		json_object_object_add(d, "status", json_object_new_int(rs->status));
		api_audit(&c, action, c.id || strcmp(rq->method, "POST") != 0 ?
			  target : NULL, d);
		json_object_put(d);
	}
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
	pthread_mutex_init(&a->key_lock, NULL);
	a->jwt = crypto_secret_alloc(sizeof(*a->jwt));
	if (!a->jwt) {
		snprintf(err, errlen, "out of memory");
		pthread_mutex_destroy(&a->key_lock);
		free(a);
		return NULL;
	}
	if (api_load_key(conf->jwt_key_file, a->jwt, "jwt_key_file", err, errlen) < 0) {
		crypto_secret_free(a->jwt, sizeof(*a->jwt));
		free(a);
		return NULL;
	}
	a->have_jwt = 1;
	a->limit = authlimit_new();
	if (!a->limit) {
		snprintf(err, errlen, "out of memory");
		api_free(a);
		return NULL;
	}
	return a;
}

int api_viewer_recheck_s(const struct api *a)
{
	return a->conf->auth_viewer_recheck_s;
}

void api_free(struct api *a)
{
	if (!a)
		return;
	crypto_secret_free(a->jwt, sizeof(*a->jwt));
	authlimit_free(a->limit);
	PQfinish(a->db);
	pthread_mutex_destroy(&a->key_lock);
	free(a);
}
