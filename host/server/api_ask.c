/* api_ask: POST /api/v1/ai/query, a question in plain language answered
 * for the token's tenant (host/ai/query.c), in the JSON of
 * `pulse-host ask --json`. Role user or admin (docs/ask.md). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ai/askexec.h"
#include "ai/query.h"
#include "ai/route.h"
#include "base/conf.h"
#include "db/db.h"
#include "db/dbread.h"
#include "server/api_int.h"

#define API_ASK_MAX_QUESTION 2000

void api_ai_query(struct call *c)
{
	struct askexec_limits lim;
	struct askq_answer ans;
	struct crypto_key key;
	struct ai_ctx ctx = {0};
	json_object *body, *x, *o = NULL;
	const struct conf *cf = c->a->conf;
	PGconn *rd = NULL;
	const char *q;
	char err[2048], *j = NULL;
	int explain = 0, have_key = 0;

	if (!(body = api_parse_body(c)))
		return;
	q = api_body_str(body, "question");
	if (!q || !*q || strlen(q) > API_ASK_MAX_QUESTION) {
		api_reply_error(c->rs, 400, "bad_request", "question is required, "
				"a string of 1 to %d bytes: {\"question\": \"which "
				"PRs waited longest for review last month?\"}",
				API_ASK_MAX_QUESTION);
		goto out;
	}
	if (json_object_object_get_ex(body, "explain", &x))
		explain = json_object_get_boolean(x);
	if (api_load_key(cf->key_file, &key, "key_file", err, sizeof(err)) < 0) {
		api_reply_error(c->rs, 500, "key_file", "%s", err);
		goto out;
	}
	have_key = 1;
	/* analytics reads go to the replica when one is configured and up */
	if (cf->analytics_database_url && *cf->analytics_database_url) {
		int on_replica = 0;

		rd = db_connect_read(cf->analytics_database_url, cf->database_url,
				     &on_replica, err, sizeof(err));
		if (rd && !on_replica) {
			/* fell back (WARN given): use the call's connection */
			PQfinish(rd);
			rd = c->db;
		}
	} else {
		rd = c->db;
	}
	if (!rd) {
		api_reply_db_error(c, err);
		goto out;
	}
	lim.timeout_ms = cf->ask_timeout_ms;
	lim.max_rows = (unsigned)cf->ask_max_rows;
	lim.max_bytes = (size_t)cf->ask_max_bytes;
	lim.max_cost = (double)cf->ask_max_cost;
	ctx.db = c->db;
	ctx.ld = c->a->ld;
	ctx.key = &key;
	ctx.conf = cf;
	if (askq_run(&ctx, rd, c->who.tenant, q, &lim, &ans, err, sizeof(err)) < 0) {
		api_reply_error(c->rs, 400, "bad_request", "%s", err);
		goto out;
	}
	j = askq_answer_json(q, &ans, explain);
	askq_answer_free(&ans);
	db_rollback(c->db);
	if (!j || !(o = json_tokener_parse(j))) {
		api_reply_error(c->rs, 500, "internal", "out of memory");
		goto out;
	}
	api_reply_json(c->rs, 200, o);
out:
	if (have_key)
		crypto_wipe(&key, sizeof(key));
	if (rd && rd != c->db)
		PQfinish(rd);
	json_object_put(o);
	json_object_put(body);
	free(j);
}
