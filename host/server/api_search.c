/* api_search: GET /ai/search (host/ai/search.c), GET
 * /vectorization/queue/summary (host/ai/vectorize.c) and GET
 * /vectorization/history (host/ai/vectorize_history.c). All are scoped
 * to the token's tenant: no parameter names a tenant. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ai/route.h"
#include "ai/search.h"
#include "ai/search_people.h"
#include "ai/vectorize.h"
#include "base/conf.h"
#include "db/db.h"
#include "db/dbread.h"
#include "server/api_int.h"

#define API_SEARCH_MAX_TABLES 16

void api_ai_search(struct call *c)
{
	char q[2048], tbl[512], integ[32], since[64], limit[16], err[2048];
	char team[256], ou[512];
	const char *tables[API_SEARCH_MAX_TABLES], *team_p, *ou_p;
	uint32_t want;
	int usage = 0;
	struct ai_search_opts so = {0};
	struct ai_hit *hits = NULL;
	struct crypto_key key;
	struct ai_ctx ctx = {0};
	PGconn *rd = NULL;
	json_object *o;
	char *save = NULL, *tok, *end;
	size_t n = 0;
	int rc;

	if (!api_query_arg(c->rq->query, "q", q, sizeof(q)) || !*q) {
		api_reply_error(c->rs, 400, "bad_request", "q is required: "
				"GET /api/v1/ai/search?q=flaky+login+test");
		return;
	}
	if (api_query_arg(c->rq->query, "table", tbl, sizeof(tbl))) {
		for (tok = strtok_r(tbl, ",", &save); tok;
		     tok = strtok_r(NULL, ",", &save)) {
			if (so.n_tables == API_SEARCH_MAX_TABLES) {
				api_reply_error(c->rs, 400, "bad_request",
						"table lists more than %d tables",
						API_SEARCH_MAX_TABLES);
				return;
			}
			tables[so.n_tables++] = tok;
		}
		so.tables = so.n_tables ? tables : NULL;
	}
	if (api_query_arg(c->rq->query, "integration", integ, sizeof(integ))) {
		so.integration_id = strtoll(integ, &end, 10);
		if (*end || so.integration_id <= 0) {
			api_reply_error(c->rs, 400, "bad_request", "integration "
					"'%s' is not an integration id", integ);
			return;
		}
	}
	so.since = api_query_arg(c->rq->query, "since", since, sizeof(since));
	if (api_query_arg(c->rq->query, "limit", limit, sizeof(limit))) {
		long l = strtol(limit, &end, 10);

		if (*end || l < 1 || l > 200) {
			api_reply_error(c->rs, 400, "bad_request", "limit '%s': "
					"give 1 to 200", limit);
			return;
		}
		so.limit = (uint32_t)l;
	}
	if (api_load_key(c->a->conf->key_file, &key, "key_file", err,
			 sizeof(err)) < 0) {
		api_reply_error(c->rs, 500, "key_file", "%s", err);
		return;
	}
	ctx.db = c->db;
	ctx.ld = c->a->ld;
	ctx.key = &key;
	ctx.conf = c->a->conf;
	/* the vectors are read from the replica when one is set and up (a
	 * replica that does not answer falls back here, with a WARN) */
	if (ctx.conf->analytics_database_url && *ctx.conf->analytics_database_url) {
		int on_replica = 0;

		rd = db_connect_read(ctx.conf->analytics_database_url,
				     ctx.conf->database_url, &on_replica, err,
				     sizeof(err));
		ctx.read_db = rd && on_replica ? rd : NULL;
	}
	want = so.limit ? so.limit : 10;
	team_p = api_query_arg(c->rq->query, "team", team, sizeof(team));
	ou_p = api_query_arg(c->rq->query, "org_unit", ou, sizeof(ou));
	if (team_p || ou_p)
		so.limit = ai_search_people_fetch(want);
	rc = ai_search(&ctx, c->who.tenant, q, &so, &hits, &n, err, sizeof(err));
	if (rd)
		PQfinish(rd);
	crypto_wipe(&key, sizeof(key));
	db_rollback(c->db);
	if (rc < 0) {
		if (db_conn_lost(c->db))
			api_reply_db_error(c, err);
		else
			api_reply_error(c->rs, strstr(err, "not a searchable") ||
					strstr(err, "not a date") ? 400 : 503,
					strstr(err, "not a searchable") ||
					strstr(err, "not a date") ? "bad_request" :
					"search_unavailable", "%s", err);
		return;
	}
	if ((team_p || ou_p) &&
	    ai_search_people_filter(c->db, c->who.tenant, team_p, ou_p, want,
				    hits, &n, &usage, err, sizeof(err)) < 0) {
		ai_hits_free(hits, n);
		if (usage)
			api_reply_error(c->rs, 400, "bad_request", "%s", err);
		else
			api_reply_db_error(c, err);
		return;
	}
	o = ai_hits_json(q, hits, n);
	ai_hits_free(hits, n);
	api_reply_json(c->rs, 200, o);
	json_object_put(o);
}

/* Answer with JSON text s built by SQL (freed here); NULL: the database
 * failed with err. what names the text in a 500. */
static void reply_sql_json(struct call *c, char *s, const char *err,
			   const char *what)
{
	json_object *o;

	if (!s) {
		api_reply_db_error(c, err);
		return;
	}
	o = json_tokener_parse(s);
	free(s);
	if (!o) {
		api_reply_error(c->rs, 500, "internal", "the %s is not JSON", what);
		return;
	}
	api_reply_json(c->rs, 200, o);
	json_object_put(o);
}

void api_vectorization_summary(struct call *c)
{
	char err[1024];

	reply_sql_json(c, vz_summary_json(c->db, c->who.tenant, err,
					  sizeof(err)), err, "summary");
}

/* ?window=1h (60 one-minute buckets, the default) or 24h (96 of 15
 * minutes): what the console's throughput chart draws. */
void api_vectorization_history(struct call *c)
{
	char err[1024], w[16];
	const char *window = "1h";
	int bucket = 60, n = 60;

	if (api_query_arg(c->rq->query, "window", w, sizeof(w))) {
		if (strcmp(w, "24h") == 0) {
			window = "24h";
			bucket = 900;
			n = 96;
		} else if (strcmp(w, "1h") != 0) {
			api_reply_error(c->rs, 400, "bad_request", "window=%s: "
					"give 1h or 24h", w);
			return;
		}
	}
	reply_sql_json(c, vz_history_json(c->db, c->who.tenant, window, bucket,
					  n, err, sizeof(err)), err, "history");
}
