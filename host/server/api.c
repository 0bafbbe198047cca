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
static int check_token(struct api *a, const char *token,
		       struct auth_claims *who, char *err, size_t errlen)
{
	struct auth_policy pol = {AUTH_DEFAULT_SKEW_S,
				  a->conf->jwt_max_lifetime_s};
	PGconn *db;
	int rc;

	if (!a->have_jwt) {
		if (api_load_key(a->conf->jwt_key_file, &a->jwt, "jwt_key_file",
				 err, errlen) < 0)
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

	if (api_load_key(a->conf->jwt_key_file, &k, "jwt_key_file", err,
			 errlen) < 0)
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
		api_reply_error(rs, 401, "unauthorized", "an API token is required: "
				"send 'Authorization: Bearer TOKEN' (issue one with "
				"`pulse-host token issue --tenant T --role R`)");
		return -1;
	}
	h += 7;
	while (*h == ' ')
		h++;
	st = check_token(a, h, who, err, sizeof(err));
	if (st == 500) {
		api_reply_error(rs, 500, "key_file", "%s", err);
		return -1;
	}
	if (st == 503) {
		api_reply_error(rs, 503, "database_unavailable", "cannot check "
				"the token's tenant: %s; retry later", err);
		return -1;
	}
	if (st) {
		log_info("AUTH", "path=%s result=rejected reason=\"%s\"", rq->path, err);
		api_reply_error(rs, 401, "unauthorized", "%s", err);
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
			api_reply_error(rs, 503, "not_ready", "database unreachable: %s", err);
		}
		PQclear(r);
		return;
	}
	if (strncmp(rq->path, "/api/v1/", 8) != 0) {
		if (strcmp(rq->method, "GET") != 0 && strcmp(rq->method, "HEAD") != 0)
			api_reply_error(rs, 405, "method_not_allowed", "only GET here");
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
	c.db = a->hooks.db(a->hooks.ctx, err, sizeof(err));
	if (!c.db) {
		api_reply_error(rs, 503, "database_unavailable", "%s", err);
		return;
	}
	routes[i].fn(&c);
	if (!rs->status)
		api_reply_error(rs, 500, "internal", "no response was produced");
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
	if (api_load_key(conf->jwt_key_file, &a->jwt, "jwt_key_file", err, errlen) < 0) {
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
